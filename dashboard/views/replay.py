"""Replay (teaching): step through a saved conversation with the overlay exactly as it was.

URL: /replay?conversation=ID[&turn=N]. The overlay after each turn is rebuilt from the
stored anchors, never recomputed. Quiz mode hides the turn's answer and every anchor until
the learner draws a box, then scores it against an AI anchor or a reviewer annotation.
"""

from dataclasses import dataclass

import streamlit as st

import cases
from dashboard import feedback, resources, state
from dashboard.components import canvas, chat, findings, frame, pickers
from dashboard.components.text import escape
from dashboard.state import SessionKey
from engine.anchors import AnchorKind
from engine.geometry import Box
from services import access, overlay, workflows
from services.access import Identity, PageId, Right
from services.overlay import BoxScore, OverlayItem, SavedBox

QUIZ_KINDS = (
    AnchorKind.FINDING,
    AnchorKind.USER_DRAWN,
    AnchorKind.LANDMARK,
    AnchorKind.REGION,
)


@dataclass(frozen=True, slots=True)
class QuizTarget:
    """Something the learner's box is scored against."""

    key: str
    label: str
    box: Box
    centre: tuple[float, float]
    is_point: bool


@dataclass(frozen=True, slots=True)
class QuizResult:
    """A scored attempt, kept for the reveal."""

    conversation_id: int
    turn: int
    target: QuizTarget
    drawn: Box
    score: BoxScore


QUIZ_ACTION = "quiz.score"


def record_score(
    store: cases.CaseStore,
    identity: Identity,
    conversation_id: int,
    turn: int,
    target: QuizTarget,
    score: BoxScore,
) -> None:
    """Keep the learner's result (in the audit log, so it is theirs and tamper-evident)."""
    with feedback.guard():
        access.require(identity, Right.VIEW)  # a learner's own score needs only to view
        store.record_event(
            actor=identity.actor,
            action=QUIZ_ACTION,
            entity_type="conversation",
            entity_id=str(conversation_id),
            detail={
                "turn": turn,
                "target": target.key,
                "ground_truth": target.key.startswith("annotation:"),
                "iou": round(score.iou, 3),
                "centre_hit": score.centre_hit,
                "passed": score.passed,
            },
        )


def score_history(ctx: frame.PageContext, store: cases.CaseStore) -> None:
    """The learner's own earlier results, newest first."""
    records = store.search_audit(actor=ctx.actor, action=QUIZ_ACTION, limit=200)
    if not records:
        return
    passed = sum(1 for r in records if r.payload.get("passed"))
    with st.expander(
        ctx.t("quiz.history", passed=passed, total=len(records)),
        icon=":material/school:",
    ):
        st.dataframe(
            [
                {
                    ctx.t("col.time"): r.recorded_at.astimezone().strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                    ctx.t("col.conversation"): f"#{r.entity_id}",
                    ctx.t("col.turn"): r.payload.get("turn"),
                    ctx.t("quiz.iou"): r.payload.get("iou"),
                    ctx.t("quiz.against"): ctx.t(
                        "quiz.truth" if r.payload.get("ground_truth") else "quiz.ai"
                    ),
                    ctx.t("quiz.result"): ctx.t(
                        "quiz.passed" if r.payload.get("passed") else "quiz.not_passed"
                    ),
                }
                for r in reversed(records)
            ],
            hide_index=True,
        )


ctx = frame.open_page(PageId.REPLAY)
with feedback.guard(stop=True):
    store = resources.store()
    vocabulary = resources.vocabulary()

requested = st.query_params.get("conversation")
if not (requested and requested.isdigit()):
    st.title(ctx.t("replay.title_none"))
    case_id = pickers.case_picker(ctx, store, key=SessionKey.REPLAY_CASE.value)
    if case_id:
        conversations = store.list_conversations(case_id)
        if not conversations:
            st.info(ctx.t("replay.no_conversations"))
        for c in reversed(conversations):
            st.page_link(
                "views/replay.py",
                label=pickers.conversation_label(ctx, c),
                icon=":material/replay:",
                query_params={"conversation": str(c.conversation_id)},
            )
    st.stop()

with feedback.guard(stop=True):
    conversation = store.get_conversation(int(requested))
    image = store.get_image(conversation.image_id)
turns = store.list_turns(conversation.conversation_id)
st.title(
    ctx.t(
        "replay.title",
        case=escape(conversation.case_id),
        conversation=conversation.conversation_id,
    )
)
st.caption(escape(pickers.conversation_label(ctx, conversation)))
frame.disclaimer(ctx)
if not turns:
    st.info(ctx.t("replay.no_turns"))
    st.stop()

# --------------------------------------------------------------------------- stepping
count = len(turns)
turn_key = SessionKey.REPLAY_TURN.value
if state.get(SessionKey.REPLAY_FOR, 0) != conversation.conversation_id:
    state.put(SessionKey.REPLAY_FOR, conversation.conversation_id)
    asked = st.query_params.get("turn")
    st.session_state[turn_key] = (
        int(asked) if asked and asked.isdigit() and 1 <= int(asked) <= count else count
    )
    state.drop(SessionKey.QUIZ_RESULT)
if st.session_state.get(turn_key) not in range(1, count + 1):
    st.session_state[turn_key] = count


def _step(delta: int) -> None:
    st.session_state[turn_key] = min(
        count, max(1, int(st.session_state.get(turn_key, count)) + delta)
    )
    state.drop(SessionKey.QUIZ_RESULT)
    canvas.consume(f"quiz-{conversation.conversation_id}")


def _turn_moved() -> None:
    state.drop(SessionKey.QUIZ_RESULT)
    canvas.consume(f"quiz-{conversation.conversation_id}")


c_prev, c_slider, c_next, c_quiz = st.columns([1, 5, 1, 2], vertical_alignment="bottom")
c_prev.button(
    ctx.t("replay.previous"),
    on_click=_step,
    args=(-1,),
    disabled=st.session_state[turn_key] <= 1,
    key="replay_prev",
    width="stretch",
)
c_next.button(
    ctx.t("replay.next"),
    on_click=_step,
    args=(1,),
    disabled=st.session_state[turn_key] >= count,
    key="replay_next",
    width="stretch",
)
if count > 1:
    number = c_slider.slider(
        ctx.t("replay.turn"), 1, count, key=turn_key, on_change=_turn_moved
    )
else:
    number = 1
quiz = c_quiz.toggle(
    ctx.t("quiz.mode"),
    key=SessionKey.QUIZ.value,
    on_change=_turn_moved,
    help=ctx.t("quiz.help"),
)
st.query_params["turn"] = str(number)
st.markdown(f"**{ctx.t('replay.position', turn=number, count=count)}**")

turn = turns[number - 1]
states = workflows.replay_state(store, conversation.conversation_id, number)
items = [OverlayItem(anchor=a, status=s) for a, s in states]
result: QuizResult | None = st.session_state.get(SessionKey.QUIZ_RESULT.value)
if result is not None and (
    result.conversation_id != conversation.conversation_id or result.turn != number
):
    result = None
revealed = not quiz or result is not None

# --------------------------------------------------------------------------- quiz targets
targets: list[QuizTarget] = []
if quiz:
    touched = [
        i.anchor for i in items if i.status is not None and i.anchor.kind in QUIZ_KINDS
    ]
    # The refined contour outranks the screening region it refines.
    refined = {p for a in touched for p in a.parent_ids}
    for a in sorted(
        touched, key=lambda a: (a.id in refined, a.kind is not AnchorKind.FINDING)
    ):
        box = a.bbox
        targets.append(
            QuizTarget(
                key=f"anchor:{a.id}",
                label=ctx.t("quiz.target_anchor", id=a.id, label=a.label(ctx.lang)),
                box=box,
                centre=a.center,
                is_point=box.width < 2 or box.height < 2,
            )
        )
    for note in store.list_annotations(conversation.case_id, image.image_id):
        if note.geometry is None:
            continue
        if note.conversation_id not in (None, conversation.conversation_id):
            continue
        if note.turn_index is not None and note.turn_index != number:
            continue
        box = note.geometry.bounding_box()
        targets.append(
            QuizTarget(
                key=f"annotation:{note.annotation_id}",
                label=ctx.t(
                    "quiz.target_annotation",
                    tag=f"R{note.annotation_id}",
                    author=note.author,
                    label=note.label,
                ),
                box=box,
                centre=box.center,
                is_point=False,
            )
        )

# --------------------------------------------------------------------------- page body
left, right = st.columns(ctx.columns, gap="medium")
with right, st.container(height=640, border=True):
    events = store.list_anchor_events(conversation.conversation_id)
    for t in turns[:number]:
        # Every answer up to this turn names anchors: all stay hidden until the learner commits.
        hide = quiz and not revealed
        chat.render_turn(
            ctx, t, [e for e in events if e.turn_index == t.index], hide_answer=hide
        )

with left:
    prefix = f"quiz-{conversation.conversation_id}"
    with feedback.guard(stop=True):
        display = resources.display_image(image.image_id, ctx.image_side)
    matches = store.list_sign_matches(conversation.conversation_id)
    card = findings.scorecard_view(matches, number, vocabulary, ctx.lang)
    if revealed:
        highlight = (
            {result.target.key.split(":", 1)[1]}
            if result and result.target.key.startswith("anchor:")
            else set()
        )
        mine = (
            [SavedBox(tag=ctx.t("quiz.your_box"), box=result.drawn)] if result else []
        )
        objects = overlay.overlay_objects(
            items,
            display,
            highlight=highlight,
            badge=None if card is None else card.badge(ctx),
            saved=mine,
            lang=ctx.lang,
        )
        canvas.radiograph_canvas(
            f"replay-{conversation.conversation_id}", display, objects, drawing=False
        )
        st.caption(ctx.t("case.legend"))
    else:
        st.info(ctx.t("quiz.instructions"))
        boxes = canvas.radiograph_canvas(
            prefix, display, [], drawing=True, label=ctx.t("quiz.your_box")
        )
        if not targets:
            st.warning(ctx.t("quiz.no_target"))
        elif boxes:
            # The target is chosen for the learner and named only after they commit: a
            # reviewer's annotation (ground truth) when there is one, else the AI anchor.
            target = next(
                (t for t in targets if t.key.startswith("annotation:")), targets[0]
            )
            if st.button(ctx.t("quiz.check"), type="primary", key="quiz_check"):
                threshold = resources.load_settings().quiz_iou_threshold
                score = overlay.score_box(
                    boxes[-1].box,
                    target.box,
                    target_centre=target.centre,
                    iou_threshold=threshold,
                )
                if (
                    target.is_point
                ):  # a point has no area: the centre hit is the whole score
                    score = BoxScore(
                        iou=score.iou,
                        centre_hit=score.centre_hit,
                        centre_distance_px=score.centre_distance_px,
                        passed=score.centre_hit,
                    )
                state.put(
                    SessionKey.QUIZ_RESULT,
                    QuizResult(
                        conversation_id=conversation.conversation_id,
                        turn=number,
                        target=target,
                        drawn=boxes[-1].box,
                        score=score,
                    ),
                )
                record_score(
                    store,
                    ctx.identity,
                    conversation.conversation_id,
                    number,
                    target,
                    score,
                )
                st.rerun()
        else:
            st.caption(ctx.t("quiz.draw_first"))

    if result is not None:
        with st.container(border=True):
            s = result.score
            c1, c2, c3 = st.columns(3)
            c1.metric(
                ctx.t("quiz.iou"), "—" if result.target.is_point else f"{s.iou:.2f}"
            )
            c2.metric(
                ctx.t("quiz.centre_hit"),
                ctx.t("quiz.yes") if s.centre_hit else ctx.t("quiz.no"),
            )
            c3.metric(ctx.t("quiz.centre_distance"), f"{s.centre_distance_px:.0f} px")
            st.caption(
                ctx.t(
                    "quiz.scored_truth"
                    if result.target.key.startswith("annotation:")
                    else "quiz.scored_ai",
                    target=escape(result.target.label),
                )
            )
            verdict = ctx.t("quiz.passed") if s.passed else ctx.t("quiz.not_passed")
            (st.success if s.passed else st.warning)(
                ctx.t(
                    "quiz.summary",
                    verdict=verdict,
                    target=escape(result.target.label),
                    threshold=f"{resources.load_settings().quiz_iou_threshold:.2f}",
                )
            )
            if st.button(ctx.t("quiz.again"), key="quiz_again"):
                _turn_moved()
                st.rerun()

if quiz:
    score_history(ctx, store)
if revealed:
    shown = st.segmented_control(
        ctx.t("case.details"),
        ["scorecard", "anchors"],
        default="scorecard",
        required=True,
        key=SessionKey.REPLAY_SECTION.value,
        label_visibility="collapsed",
        format_func=lambda name: ctx.t(f"tab.{name}", n=len(items)),
    )
    if shown == "scorecard":
        findings.scorecard(ctx, card, key="replay-scorecard")
    else:
        findings.anchor_table(ctx, items, vocabulary, key="replay_anchor_table")
st.page_link(
    "views/case.py",
    label=ctx.t("replay.open_case"),
    icon=":material/radiology:",
    query_params={
        "id": conversation.case_id,
        "conversation": str(conversation.conversation_id),
        "turn": str(number),
    },
)
