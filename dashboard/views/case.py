"""Case: the radiograph with the AI's anchors beside the conversation, scorecard and measurements.

URL: /case?id=CASE_ID[&conversation=ID][&turn=N]
"""

import functools
from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import cases
from cases.worklist import ConversationMark
from dashboard import feedback, resources, state
from dashboard.components import (
    canvas,
    chat,
    choice,
    composer,
    findings,
    frame,
    labels,
    light,
    pickers,
    review,
    viewer,
)
from dashboard.components.text import escape
from dashboard.state import SessionKey
from services import access, overlay, workflows
from services.access import PageId, Right
from services.overlay import Layer, OverlayItem, SavedBox


def started_notice(ctx: frame.PageContext, new_id: int, source_id: int) -> None:
    """Say that the questions went to a new conversation, not the read-only one."""
    st.success(
        ctx.t("owner.started", id=new_id, source=source_id),
        icon=":material/call_split:",
    )


def owner_notice(
    ctx: frame.PageContext, store: cases.CaseStore, conversation: cases.Conversation
) -> str:
    """Why the chosen conversation is read-only, in the interface language."""
    mark = store.find_conversation_mark(conversation.conversation_id)
    if mark is not None:
        return ctx.t(
            "owner.marked",
            id=conversation.conversation_id,
            purpose=ctx.t(f"owner.purpose.{mark.value}"),
        )
    # Shown as text by the question box (no Markdown): the name goes in as it is.
    return ctx.t(
        "owner.read_only",
        id=conversation.conversation_id,
        owner=conversation.created_by,
    )


def mark_control(
    ctx: frame.PageContext,
    store: cases.CaseStore,
    conversation: cases.Conversation,
    area: DeltaGenerator,
) -> None:
    """Let the author or a reviewer keep a conversation for teaching or QA (read-only)."""
    if not (
        ctx.can(Right.ANNOTATE)
        or (ctx.can(Right.ASK) and conversation.created_by == ctx.actor)
    ):
        return
    current = store.find_conversation_mark(conversation.conversation_id)
    options: list[ConversationMark | None] = [None, *ConversationMark]
    key = f"mark-{conversation.conversation_id}"
    # The stored mark is shown; a choice the reader just made is taken once.
    chosen = st.session_state.pop(key, current)
    choice.choice(
        ctx.t("owner.mark"),
        options,
        format_func=lambda m: ctx.t(
            "owner.mark_none" if m is None else f"owner.purpose.{m.value}"
        ),
        key=key,
        shown=current,
        help=ctx.t("owner.mark_help"),
        where=area,
    )
    if chosen != current:
        with feedback.guard():
            # Server side: the author marks with the right to ask, anyone else must review.
            own = conversation.created_by == ctx.actor
            access.require(ctx.identity, Right.ASK if own else Right.ANNOTATE)
            store.mark_conversation(
                conversation.conversation_id, chosen, actor=ctx.actor
            )
            st.rerun()


def deid_report(
    ctx: frame.PageContext, store: cases.CaseStore, image: cases.Image
) -> None:
    """What de-identification removed from this image: attribute names, blanked pixels."""
    report = store.find_deid_report(image.image_id)
    if report is None:
        st.caption(ctx.t("deid.none"))
        return
    s = report.summary
    st.caption(ctx.t("deid.method", method=escape(s.method)))
    for key, names in (
        ("deid.removed", s.removed),
        ("deid.replaced", s.replaced),
        ("deid.emptied", s.emptied),
        ("deid.dropped", s.dropped_values),
    ):
        if names:
            st.markdown(
                f"**{ctx.t(key)}** ({len(names)}): "
                + escape(", ".join(str(n) for n in names))
            )
    st.caption(
        ctx.t(
            "deid.pixels",
            policy=s.pixel_policy.value,
            searched=ctx.t("quiz.yes" if s.pixels_searched else "quiz.no"),
            boxes=len(s.blanked),
        )
    )


ctx = frame.open_page(PageId.CASE)
frame.compact()
with feedback.guard(stop=True):
    store = resources.store()
    vocabulary = resources.vocabulary()

case_id = st.query_params.get("id")
if not case_id:
    st.title(ctx.t("case.title_none"))
    picked = pickers.case_picker(ctx, store, key="case_pick")
    if picked:
        st.query_params["id"] = picked
        st.rerun()
    st.stop()

with feedback.guard(stop=True):
    detail = store.get_case_detail(case_id)
if not detail.images:
    st.title(ctx.t("case.title", case=escape(case_id)))
    st.info(ctx.t("case.no_image"))
    st.stop()

image = pickers.image_picker(
    ctx, detail.images, key=f"{SessionKey.IMAGE.value}-{case_id}"
)
calibration = (
    ctx.t(
        "case.calibration",
        row=f"{image.calibration.row_mm:.3f}",
        col=f"{image.calibration.col_mm:.3f}",
        source=ctx.t(f"calibration.{image.calibration.source.value}"),
    )
    if image.calibration.is_calibrated
    else ctx.t("case.no_calibration")
)
st.title(ctx.t("case.title", case=escape(case_id)))
st.caption(
    " · ".join(
        escape(p)
        for p in (
            image.modality or image.source_format.value.upper(),
            image.view_position or ctx.t("case.view_unknown"),
            f"{image.columns}×{image.rows} px",
            calibration,
            ctx.t(
                "case.imported",
                actor=image.imported_by,
                time=image.imported_at.astimezone().strftime("%Y-%m-%d"),
            ),
        )
    )
)
labels.caption(ctx, store, case_id)
if image.warnings:
    feedback.show_issues(image.warnings)
frame.disclaimer(ctx)

# --------------------------------------------------------------------------- conversation choice
# The picker is drawn after a question may have opened a new conversation, so its state
# can follow; its place on the page is kept here.
picker_area = st.container()
conversations = [
    c for c in store.list_conversations(case_id) if c.image_id == image.image_id
]
conversation_key = f"{SessionKey.CONVERSATION.value}-{image.image_id}"
requested = st.query_params.get("conversation")
pickers.catch_up(conversation_key)  # a choice made on a picker drawn before the last
conversation_id = pickers.resolve_adoptable(
    conversations,
    base=conversation_key,
    requested=int(requested) if requested and requested.isdigit() else None,
    allow_new=ctx.can(Right.ASK),
)
conversation = next(
    (c for c in conversations if c.conversation_id == conversation_id), None
)
available = resources.available_backends()
settings = resources.load_settings()
if state.get(SessionKey.NEW_BACKEND, "") not in available:
    state.put(
        SessionKey.NEW_BACKEND,
        settings.default_backend
        if settings.default_backend in available
        else (available[0] if available else "embedded"),
    )
# A saved conversation of someone else's, or one kept for teaching or QA, is read-only:
# a question starts a new conversation (the store refuses the turn anyway).
read_only = (
    None
    if conversation is None
    else workflows.read_only_reason(store, conversation, ctx.actor)
)
backend_name = (
    conversation.backend
    if conversation and read_only is None
    else state.get(SessionKey.NEW_BACKEND, "embedded")
)

# --------------------------------------------------------------------------- layout and chat
prefix = f"case-{image.image_id[:16]}"
left, right = st.columns(ctx.columns, gap="medium")
with right:
    # A fixed height keeps the page still while an answer streams in.
    # The column matches the image beside it: the notice of a read-only conversation
    # and the chat box share the height with the transcript.
    transcript = st.container(
        height=ctx.image_side - (130 if read_only else 10),
        border=True,
        autoscroll=True,
    )
    composer_area = st.container()

previous = canvas.previous_boxes(prefix)
working = previous[-1] if previous else None
can_ask = ctx.can(Right.ASK) and backend_name in available
# Questions go through a queue answered by a worker thread, so a follow-up sent before
# the previous answer arrived is answered after it, in the same conversation. They are
# sent as the composer's state (the list of questions the page has not seen acknowledged)
# and queued by its callback, which runs before the next script run
# (components/composer.py, components/chat.py, services/question_queue.py).
# A question on a read-only conversation opens a new one, seeded from it when the
# reader asks; the toggle's value is read before it is drawn so the queue's worker never
# sees it reset halfway through a run.
seed_key = f"seed-{conversation.conversation_id}" if conversation else "seed-none"
seed_from = (
    conversation.conversation_id
    if read_only is not None
    and conversation is not None
    and st.session_state.get(seed_key)
    else None
)
queue = chat.question_queue(
    ctx,
    store,
    case_id=case_id,
    image=image,
    backend_name=backend_name,
    seed_from=seed_from,
)
# A callback that a newer send stopped left its questions in the composer's state: they
# are queued now, before anything on the page reads the drawn box or the picker (each
# question is queued once, whichever takes it first).
if chat.deliver(ctx, queue, conversation_key, working, prefix, report_unreadable=False):
    previous = canvas.previous_boxes(prefix)  # the box went with a question
    working = previous[-1] if previous else None
notice = None
if read_only is not None and conversation is not None and can_ask:
    seeds = bool(store.list_turns(conversation.conversation_id))
    notice = composer.Notice(
        text=owner_notice(ctx, store, conversation),
        seed_label=ctx.t("owner.seed") if seeds else None,
        seed_help=ctx.t("owner.seed_help"),
        seed_on=bool(st.session_state.get(seed_key)),
    )


def _seed_pressed(on: bool, key: str = seed_key) -> None:
    st.session_state[key] = True if on else None


with composer_area:
    if working is not None and can_ask:
        st.toggle(
            ctx.t("chat.ask_about_box"), value=True, key=SessionKey.ASK_ABOUT_BOX.value
        )
    composer.question_box(
        ctx,
        placeholder=ctx.t("chat.read_only")
        if not can_ask
        else ctx.t("owner.placeholder")
        if read_only
        else ctx.t("chat.placeholder"),
        disabled=not can_ask,
        acknowledged=chat.delivered().acknowledged(),
        on_send=functools.partial(
            chat.deliver, ctx, queue, conversation_key, working, prefix
        ),
        notice=notice,
        on_seed=_seed_pressed,
    )

# Show the conversation the queue opened for questions asked before one existed, or
# asked on a read-only conversation.
started_from = None
if conversation is None or read_only is not None:
    previous_id = conversation.conversation_id if conversation else None
    if adopted := chat.adopt(queue, store, conversation_key, conversation_id):
        started_from = previous_id
        conversation, read_only = adopted, None
        conversations = pickers.with_conversation(conversations, adopted)
finished = queue.clear_finished()  # answered while an earlier run was interrupted
turns = store.list_turns(conversation.conversation_id) if conversation else ()
events = store.list_anchor_events(conversation.conversation_id) if conversation else ()
with transcript:
    if not turns and not queue.items():
        st.caption(ctx.t("chat.empty"))
    if started_from is not None and conversation is not None:
        started_notice(ctx, conversation.conversation_id, started_from)
    # A question sent on a read-only conversation goes to a new one: the old
    # transcript is not shown above it, so it never looks appended.
    drawn: set[tuple[int, int]] = set()
    if not (read_only and queue.items()):
        chat.render_transcript(ctx, turns, events)
        drawn = {(t.conversation_id, t.index) for t in turns}
    chat.render_failed(ctx, finished)
    # Waits for the queue, answers shown in place (and any the transcript missed).
    finished += chat.follow(ctx, queue, drawn)
chat.report_finished(finished)
if finished:
    previous_id = conversation.conversation_id if conversation else None
    if (conversation is None or read_only is not None) and (
        adopted := chat.adopt(queue, store, conversation_key, conversation_id)
    ):
        conversation, read_only = adopted, None
        conversations = pickers.with_conversation(conversations, adopted)
        if previous_id is not None:
            with transcript:  # said below the answers the new conversation holds
                started_notice(ctx, adopted.conversation_id, previous_id)
    turns = store.list_turns(conversation.conversation_id) if conversation else ()
    events = (
        store.list_anchor_events(conversation.conversation_id) if conversation else ()
    )
    if turns:
        state.put(SessionKey.SHOWN_TURN, len(turns))

with picker_area:
    c1, c2 = st.columns([3, 1])
    with c1:
        pickers.adoptable_picker(
            ctx, conversations, base=conversation_key, allow_new=ctx.can(Right.ASK)
        )
    if conversation is None and ctx.can(Right.ASK):
        c2.selectbox(
            ctx.t("case.backend"),
            available or ["embedded"],
            key=SessionKey.NEW_BACKEND.value,
            help=ctx.t("case.backend_help"),
        )
    elif conversation is not None:
        c2.caption(
            ctx.t(
                "case.engine",
                backend=escape(conversation.backend),
                model=escape(conversation.model_id),
                version=escape(conversation.model_version),
            )
        )
        if conversation.backend not in available:
            st.warning(
                ctx.t("case.backend_gone", backend=conversation.backend),
                icon=":material/warning:",
            )
if conversation is None:
    st.query_params.pop("conversation", None)
else:
    st.query_params["conversation"] = str(conversation.conversation_id)


def _show_anchor_details() -> None:
    if st.session_state.get(SessionKey.HIGHLIGHT.value):
        state.put(SessionKey.DETAIL_SECTION, "anchors")


OVERLAY_KEYS = (
    SessionKey.SHOWN_TURN,
    SessionKey.LAYERS,
    SessionKey.HIGHLIGHT,
    SessionKey.ZOOM,
)
"""The overlay controls: Streamlit widgets in draw mode, drawn by the viewer in view mode."""


def _apply_controls(sent: Mapping[str, Any]) -> None:
    """Keep the viewer's overlay controls as the reader set them (before the next run).

    The run checks the turn and the anchor against the conversation, as for the widgets.
    """
    turn = sent.get("turn")
    if isinstance(turn, int) and not isinstance(turn, bool):
        state.put(SessionKey.SHOWN_TURN, turn)
    layers = sent.get("layers")
    if isinstance(layers, list):
        state.put(SessionKey.LAYERS, [layer for layer in Layer if layer in layers])
    highlight = sent.get("highlight")
    if isinstance(highlight, str):
        if highlight and highlight != state.get(SessionKey.HIGHLIGHT, ""):
            state.put(SessionKey.DETAIL_SECTION, "anchors")
        state.put(SessionKey.HIGHLIGHT, highlight)
    zoom = sent.get("zoom")
    if isinstance(zoom, bool):
        state.put(SessionKey.ZOOM, True if zoom else None)
    sent_number = sent.get("sent")
    if isinstance(sent_number, int) and not isinstance(sent_number, bool):
        state.put(SessionKey.CONTROLS_SEEN, sent_number)


# --------------------------------------------------------------------------- overlay controls
turn_count = len(turns)
can_draw = ctx.can(Right.ASK) or ctx.can(Right.ANNOTATE)
with left:
    mode = (
        st.segmented_control(
            ctx.t("case.mode"),
            ["view", "draw"],
            default="view",
            required=True,
            key=SessionKey.IMAGE_MODE.value,
            format_func=lambda m: ctx.t(f"case.mode.{m}"),
            label_visibility="collapsed",
        )
        if can_draw
        else "view"
    )
    drawing = mode == "draw"
    # In view mode the viewer draws the overlay controls (fewer Streamlit elements for a
    # new tab to draw); in draw mode they are widgets under the same keys. A widget's
    # value is dropped after a run that does not draw it, so in view mode each is kept
    # as the page's own state.
    for key in OVERLAY_KEYS:
        if not drawing and key.value in st.session_state:
            st.session_state[key.value] = st.session_state[key.value]
    if SessionKey.LAYERS.value not in st.session_state:
        state.put(SessionKey.LAYERS, list(Layer))
    image_area = st.container()
    # Widgets in draw mode only (in view mode the viewer draws these controls).
    row: list[DeltaGenerator | None] = (
        list(st.columns([2, 3])) if drawing else [None, None]
    )
    turn_area, layer_area = row
    shown_turn = 0
    if turn_count:
        requested_turn = st.query_params.get("turn")
        shown_for = state.get(SessionKey.SHOWN_FOR, 0)
        state.put(
            SessionKey.SHOWN_FOR, conversation.conversation_id if conversation else 0
        )
        if shown_for != state.get(SessionKey.SHOWN_FOR, 0) or state.get(
            SessionKey.SHOWN_TURN, 0
        ) not in range(1, turn_count + 1):
            # A link may name the turn; switching conversations shows the newest turn.
            from_link = (
                not shown_for
                and requested_turn
                and requested_turn.isdigit()
                and 1 <= int(requested_turn) <= turn_count
            )
            state.put(
                SessionKey.SHOWN_TURN,
                int(requested_turn) if from_link and requested_turn else turn_count,
            )
        if turn_count == 1:
            shown_turn = 1
            if turn_area is not None:
                turn_area.caption(ctx.t("case.after_turn_one"))
        elif turn_area is not None:
            shown_turn = light.turn_choice(
                ctx.t("case.after_turn"),
                turn_count,
                key=SessionKey.SHOWN_TURN.value,
                where=turn_area,
            )
        else:
            shown_turn = state.get(SessionKey.SHOWN_TURN, turn_count)
    layers: list[Layer] = (
        layer_area.pills(
            ctx.t("case.layers"),
            list(Layer),
            selection_mode="multi",
            wrap=True,
            format_func=lambda layer: ctx.t(f"layer.{layer.value}"),
            key=SessionKey.LAYERS.value,
        )
        if layer_area is not None
        else state.get(SessionKey.LAYERS, list(Layer))
    )
    items = (
        [
            OverlayItem(anchor=a, status=s)
            for a, s in workflows.replay_state(
                store, conversation.conversation_id, shown_turn
            )
        ]
        if conversation and shown_turn
        else []
    )
    ids = [i.anchor.id for i in items]
    if state.get(SessionKey.HIGHLIGHT, "") not in ["", *ids]:
        state.put(SessionKey.HIGHLIGHT, "")

    def anchor_words(anchor_id: str) -> str:
        if not anchor_id:
            return ctx.t("case.no_anchor")
        label = next(
            x.anchor.label(ctx.lang) for x in items if x.anchor.id == anchor_id
        )
        return f"{anchor_id} · {label}"

    row = list(st.columns([2, 1, 2])) if drawing else [None, None, None]
    anchor_area, zoom_area, label_area = row
    highlight: str = (
        anchor_area.selectbox(
            ctx.t("case.selected_anchor"),
            ["", *ids],
            key=SessionKey.HIGHLIGHT.value,
            on_change=_show_anchor_details,
            format_func=anchor_words,
        )
        if anchor_area is not None
        else state.get(SessionKey.HIGHLIGHT, "")
    )
    focus = next(
        (i.anchor for i in items if i.anchor.id == highlight), None
    ) or overlay.focus_anchor(items)
    zoom = (
        light.switch(
            ctx.t("case.zoom"),
            key=SessionKey.ZOOM.value,
            disabled=focus is None,
            help=ctx.t("case.zoom_help"),
            where=zoom_area,
        )
        if zoom_area is not None
        else bool(state.get(SessionKey.ZOOM, None))
    )
    region = (
        overlay.zoom_region(focus.bbox, image.columns, image.rows)
        if zoom and focus is not None and mode == "draw"
        else None
    )
    # The viewer gets a light copy first and the film's own pixels once zoomed past it.
    full_key = f"viewer-full-{image.image_id[:16]}"
    full = bool(st.session_state.get(full_key)) or (
        max(image.rows, image.columns) <= resources.VIEWER_PREVIEW_SIDE
    )
    with feedback.guard(stop=True):
        display = (
            resources.display_image(image.image_id, ctx.image_side, region)
            if mode == "draw"
            else resources.viewer_image(image.image_id, full=full)
        )
    # Only drawing uses the label: the view mode (a new tab's first paint) fetches no
    # text-input code for it.
    box_label = (
        label_area.text_input(
            ctx.t("case.box_label"),
            value=ctx.t("box.default_label"),
            key=SessionKey.BOX_LABEL.value,
            max_chars=60,
            help=ctx.t("case.box_label_help"),
        )
        if label_area is not None
        else ctx.t("box.default_label")
    )

    annotations = store.list_annotations(case_id, image.image_id)
    saved = [
        SavedBox(
            tag=f"R{a.annotation_id}",
            box=a.geometry.bounding_box(),
        )
        for a in annotations
        if a.geometry is not None
    ]
    matches = (
        store.list_sign_matches(conversation.conversation_id) if conversation else ()
    )
    card = (
        findings.scorecard_view(matches, shown_turn, vocabulary, ctx.lang)
        if shown_turn
        else None
    )
    badge = None if card is None else card.badge(ctx)
    boxes = []
    with image_area:
        if mode == "draw":
            objects = overlay.overlay_objects(
                items,
                display,
                layers=layers or (),
                highlight={highlight} if highlight else set(),
                badge=badge,
                saved=saved,
                lang=ctx.lang,
            )
            boxes = canvas.radiograph_canvas(
                prefix, display, objects, drawing=can_draw, label=box_label
            )
        else:
            base = overlay.base_display(image.columns, image.rows, ctx.image_side)
            viewer.radiograph_viewer(
                ctx,
                view_key=image.image_id[:16],
                full_key=full_key,
                image=display,
                full_size=overlay.display_size(
                    image.rows, image.columns, resources.VIEWER_MAX_SIDE
                ),
                full=full,
                base=base,
                objects=overlay.overlay_objects(
                    items,
                    base,
                    layers=layers or (),
                    highlight={highlight} if highlight else set(),
                    saved=saved,
                    lang=ctx.lang,
                ),
                badge=badge if Layer.LABELS in (layers or ()) else None,
                focus=None
                if not (zoom and focus)
                else (focus.bbox.x0, focus.bbox.y0, focus.bbox.x1, focus.bbox.y1),
                height=ctx.image_side,
                turn=shown_turn,
                controls=viewer.overlay_controls(
                    ctx,
                    turn_count=turn_count,
                    turn=shown_turn,
                    layers=[(layer.value, ctx.t(f"layer.{layer}")) for layer in Layer],
                    shown_layers=[Layer(layer).value for layer in layers or ()],
                    anchors=[(i, anchor_words(i)) for i in ["", *ids]],
                    highlight=highlight or "",
                    zoom=zoom,
                    can_zoom=focus is not None,
                    seen=state.get(SessionKey.CONTROLS_SEEN, 0),
                ),
                on_controls=_apply_controls,
            )
    st.caption(ctx.t("case.legend"))
    if boxes:
        review.box_panel(
            ctx,
            store,
            canvas_prefix=prefix,
            image=image,
            conversation_id=None
            if conversation is None
            else conversation.conversation_id,
            shown_turn=shown_turn or None,
            box=boxes[-1],
            anchors=[i.anchor for i in items],
            selected=highlight or None,
        )
    elif can_draw:
        st.caption(ctx.t("case.draw_hint"))
    if shown_turn:
        st.query_params["turn"] = str(shown_turn)

# --------------------------------------------------------------------------- below: details
measurements = (
    [
        m
        for m in store.list_measurements(conversation.conversation_id)
        if m.turn_index <= shown_turn
    ]
    if conversation
    else []
)


def _select_anchor(anchor_id: str) -> None:
    state.put(SessionKey.HIGHLIGHT, anchor_id)
    state.put(SessionKey.DETAIL_SECTION, "anchors")


def _select_from_table() -> None:
    rows = st.session_state.get("anchor_table", {}).get("selection", {}).get("rows", [])
    if rows and rows[0] < len(ids):
        state.put(SessionKey.HIGHLIGHT, ids[rows[0]])


# One section at a time: drawing only the chosen one keeps the page quick to load. The
# labels form and the de-identification report are sections too, not expanders: a closed
# expander still draws its content, and a new tab would fetch the form's element code.
counts: dict[str, int | None] = {
    "scorecard": None,
    "anchors": len(items),
    "measurements": len(measurements),
    "annotations": len(annotations),
}
section_titles = {
    **{name: ctx.t(f"tab.{name}", n=n) for name, n in counts.items()},
    **({"labels": ctx.t("labels.title")} if ctx.can(Right.ANNOTATE) else {}),
    "deid": ctx.t("deid.title"),
}
section = st.segmented_control(
    ctx.t("case.details"),
    list(section_titles),
    default="scorecard",
    required=True,
    key=SessionKey.DETAIL_SECTION.value,
    format_func=section_titles.__getitem__,
    label_visibility="collapsed",
)
if section == "scorecard":
    findings.scorecard(ctx, card, on_evidence=_select_anchor, key="case-scorecard")
elif section == "anchors":
    left_col, right_col = st.columns([3, 2])
    with left_col:
        findings.anchor_table(
            ctx, items, vocabulary, key="anchor_table", on_select=_select_from_table
        )
    with right_col:
        chosen = next((i for i in items if i.anchor.id == highlight), None)
        if chosen is None:
            st.caption(ctx.t("anchors.pick_hint"))
        else:
            findings.anchor_details(ctx, chosen, measurements, vocabulary)
            if conversation is not None:
                review.verdict_buttons(
                    ctx,
                    store,
                    image=image,
                    conversation_id=conversation.conversation_id,
                    shown_turn=shown_turn,
                    anchor=chosen.anchor,
                )
elif section == "measurements":
    findings.measurement_table(ctx, measurements)
elif section == "annotations":
    findings.annotation_table(ctx, annotations)
elif section == "labels":
    labels.editor(ctx, store, case_id)
else:
    deid_report(ctx, store, image)
if conversation is not None:
    mark_control(ctx, store, conversation, st.columns([1, 2])[0])
    if light.action(
        ctx.t("case.open_replay"), key="open-replay", icon=":material/replay:"
    ):
        st.switch_page(
            "views/replay.py",
            query_params={"conversation": str(conversation.conversation_id)},
        )
