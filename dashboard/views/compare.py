"""Compare: two conversations on the same case side by side (two backends, models or readers).

URL: /compare?a=ID&b=ID, or /compare?case=CASE_ID. Anchors pair up by IoU and centre
distance; measurements and scorecard items that differ are highlighted.
"""

from collections.abc import Sequence

import pandas as pd
import streamlit as st

import cases
from dashboard import feedback, resources
from dashboard.components import canvas, findings, frame, pickers
from dashboard.components.text import answer_markdown, escape, plain
from dashboard.state import SessionKey
from services import overlay, workflows
from services.access import PageId
from services.overlay import OverlayItem

DIFFERENT = "background-color: rgba(255, 193, 7, 0.28)"

ctx = frame.open_page(PageId.COMPARE)
with feedback.guard(stop=True):
    store = resources.store()
    vocabulary = resources.vocabulary()
st.title(ctx.t("compare.title"))
frame.disclaimer(ctx)


def _param_int(name: str) -> int | None:
    value = st.query_params.get(name)
    return int(value) if value and value.isdigit() else None


first_id = _param_int("a")
first = store.find_conversation(first_id) if first_id else None
case_id = first.case_id if first else st.query_params.get("case")
case_id = pickers.case_picker(
    ctx, store, key=SessionKey.COMPARE_CASE.value, current=case_id
)
if not case_id:
    st.stop()
conversations = store.list_conversations(case_id)
if len(conversations) < 2:
    st.info(ctx.t("compare.need_two"))
    st.stop()

newest = [c.conversation_id for c in reversed(conversations)]
col_a, col_b = st.columns(2)
key_a, key_b = SessionKey.COMPARE_A.value, SessionKey.COMPARE_B.value
default_a = _param_int("a") if _param_int("a") in newest else newest[1]
default_b = _param_int("b") if _param_int("b") in newest else newest[0]
a_id = pickers.resolve_conversation(
    conversations, key=key_a, requested=default_a, allow_new=False
)
b_id = pickers.resolve_conversation(
    conversations, key=key_b, requested=default_b, allow_new=False
)
with col_a:
    pickers.conversation_picker(
        ctx, conversations, key=key_a, allow_new=False, label=ctx.t("compare.run_a")
    )
with col_b:
    pickers.conversation_picker(
        ctx, conversations, key=key_b, allow_new=False, label=ctx.t("compare.run_b")
    )
st.query_params.update({"a": str(a_id), "b": str(b_id)})
st.query_params.pop("case", None)
conv_a = next(c for c in conversations if c.conversation_id == a_id)
conv_b = next(c for c in conversations if c.conversation_id == b_id)
a_id, b_id = conv_a.conversation_id, conv_b.conversation_id
if a_id == b_id:
    st.warning(ctx.t("compare.same"))
if conv_a.image_id != conv_b.image_id:
    st.warning(ctx.t("compare.other_image"))

turns_a = store.list_turns(conv_a.conversation_id)
turns_b = store.list_turns(conv_b.conversation_id)
image = store.get_image(conv_a.image_id)


def _turn_choice(column, key: str, turns) -> int:
    if not turns:
        column.info(ctx.t("replay.no_turns"))
        return 0
    if len(turns) == 1:
        return 1
    if st.session_state.get(key) not in range(1, len(turns) + 1):
        st.session_state[key] = len(turns)
    return column.slider(ctx.t("compare.after_turn"), 1, len(turns), key=key)


number_a = _turn_choice(col_a, SessionKey.COMPARE_TURN_A.value, turns_a)
number_b = _turn_choice(col_b, SessionKey.COMPARE_TURN_B.value, turns_b)
items_a = (
    [
        OverlayItem(anchor=a, status=s)
        for a, s in workflows.replay_state(store, a_id, number_a)
    ]
    if number_a
    else []
)
items_b = (
    [
        OverlayItem(anchor=a, status=s)
        for a, s in workflows.replay_state(store, b_id, number_b)
    ]
    if number_b
    else []
)
card_a = (
    findings.scorecard_view(
        store.list_sign_matches(a_id), number_a, vocabulary, ctx.lang
    )
    if number_a
    else None
)
card_b = (
    findings.scorecard_view(
        store.list_sign_matches(b_id), number_b, vocabulary, ctx.lang
    )
    if number_b
    else None
)

row_mm, col_mm = image.calibration.row_mm, image.calibration.col_mm
spacing = None if row_mm is None or col_mm is None else (row_mm, col_mm)
matches = overlay.match_anchors(
    [i.anchor for i in items_a], [i.anchor for i in items_b], spacing_mm=spacing
)
unmatched = {m.a.id for m in matches if m.a is not None and m.b is None} | {
    m.b.id for m in matches if m.b is not None and m.a is None
}

for column, conv, items, card, side in (
    (col_a, conv_a, items_a, card_a, "a"),
    (col_b, conv_b, items_b, card_b, "b"),
):
    with column:
        st.caption(
            ctx.t(
                "case.engine",
                backend=escape(conv.backend),
                model=escape(conv.model_id),
                version=escape(conv.model_version),
            )
        )
        with feedback.guard():
            display = resources.display_image(conv.image_id, min(ctx.image_side, 540))
            objects = overlay.overlay_objects(
                items,
                display,
                highlight={i.anchor.id for i in items} & unmatched,
                badge=None if card is None else card.badge(ctx),
                lang=ctx.lang,
            )
            canvas.radiograph_canvas(
                f"compare-{side}-{conv.conversation_id}",
                display,
                objects,
                drawing=False,
            )
st.caption(ctx.t("compare.legend"))

# --------------------------------------------------------------------------- anchors
st.subheader(ctx.t("compare.anchors"))
rows = []
for m in matches:
    status = (
        ctx.t("compare.matched")
        if m.matched
        else (ctx.t("compare.only_a") if m.b is None else ctx.t("compare.only_b"))
    )
    rows.append(
        {
            "a": "" if m.a is None else f"{m.a.id} · {m.a.label(ctx.lang)}",
            "b": "" if m.b is None else f"{m.b.id} · {m.b.label(ctx.lang)}",
            "iou": m.iou
            if m.matched
            and m.a is not None
            and min(m.a.bbox.width, m.a.bbox.height) >= 2
            else None,
            "distance": m.centre_distance_mm
            if m.centre_distance_mm is not None
            else m.centre_distance_px,
            "unit": "mm"
            if m.centre_distance_mm is not None
            else ("px" if m.matched else ""),
            "status": status,
        }
    )
if rows:
    anchors_df = pd.DataFrame(rows)
    styled = anchors_df.style.apply(
        lambda r: [
            DIFFERENT if r["status"] != ctx.t("compare.matched") else "" for _ in r
        ],
        axis=1,
    )
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={
            "a": st.column_config.TextColumn(ctx.t("compare.run_a")),
            "b": st.column_config.TextColumn(ctx.t("compare.run_b")),
            "iou": st.column_config.NumberColumn("IoU", format="%.2f"),
            "distance": st.column_config.NumberColumn(
                ctx.t("compare.centre_distance"), format="%.1f"
            ),
            "unit": st.column_config.TextColumn("", width="small"),
            "status": st.column_config.TextColumn(ctx.t("col.status")),
        },
    )
else:
    st.info(ctx.t("anchors.none"))

# --------------------------------------------------------------------------- measurements
measures_a = [m for m in store.list_measurements(a_id) if m.turn_index <= number_a]
measures_b = [m for m in store.list_measurements(b_id) if m.turn_index <= number_b]
if measures_a or measures_b:
    st.subheader(ctx.t("tab.measurements", n=len(measures_a) + len(measures_b)))
    kinds = sorted({m.kind for m in measures_a} | {m.kind for m in measures_b})
    last = {
        side: {m.kind: m for m in ms}
        for side, ms in (("a", measures_a), ("b", measures_b))
    }
    mrows = []
    for kind in kinds:
        ma, mb = last["a"].get(kind), last["b"].get(kind)
        va = None if ma is None else ma.value_mm
        vb = None if mb is None else mb.value_mm
        mrows.append(
            {
                "kind": ctx.t(f"measure.{kind}"),
                "a": "—" if ma is None else findings.value_text(ctx, ma),
                "b": "—" if mb is None else findings.value_text(ctx, mb),
                "difference": None if va is None or vb is None else round(vb - va, 1),
            }
        )
    mdf = pd.DataFrame(mrows)
    st.dataframe(
        mdf.style.apply(
            lambda r: [DIFFERENT if r["a"] != r["b"] else "" for _ in r], axis=1
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "kind": st.column_config.TextColumn(ctx.t("col.kind")),
            "a": st.column_config.TextColumn(ctx.t("compare.run_a")),
            "b": st.column_config.TextColumn(ctx.t("compare.run_b")),
            "difference": st.column_config.NumberColumn(
                ctx.t("compare.difference_mm"), format="%+.1f"
            ),
        },
    )

# --------------------------------------------------------------------------- scorecards
st.subheader(ctx.t("tab.scorecard"))
if card_a is None and card_b is None:
    st.info(ctx.t("score.none"))
else:
    codes = list(
        dict.fromkeys(
            [i.code for i in (card_a.items if card_a else ())]
            + [i.code for i in (card_b.items if card_b else ())]
        )
    )
    by_a = {i.code: i for i in (card_a.items if card_a else ())}
    by_b = {i.code: i for i in (card_b.items if card_b else ())}
    srows = []
    for code in codes:
        ia, ib = by_a.get(code), by_b.get(code)
        name = (ia or ib).name  # type: ignore[union-attr]
        srows.append(
            {
                "sign": f"{code} · {name}",
                "a": "—"
                if ia is None
                else f"{findings.STATUS_ICON[ia.status]} {ctx.t(f'score.{ia.status}')}",
                "b": "—"
                if ib is None
                else f"{findings.STATUS_ICON[ib.status]} {ctx.t(f'score.{ib.status}')}",
            }
        )
    sdf = pd.DataFrame(srows)
    different = sum(r["a"] != r["b"] for r in srows)
    st.caption(
        ctx.t(
            "compare.score_summary",
            different=different,
            total=len(srows),
            a=card_a.name if card_a else "—",
            b=card_b.name if card_b else "—",
        )
    )
    st.dataframe(
        sdf.style.apply(
            lambda r: [DIFFERENT if r["a"] != r["b"] else "" for _ in r], axis=1
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "sign": st.column_config.TextColumn(ctx.t("col.sign")),
            "a": st.column_config.TextColumn(ctx.t("compare.run_a")),
            "b": st.column_config.TextColumn(ctx.t("compare.run_b")),
        },
    )


# --------------------------------------------------------------------------- turn by turn
def _asked(turn: cases.Turn) -> tuple[str, frozenset[str]]:
    """What a turn asked: its intent and the places it names, in either language."""
    places = frozenset(
        str(m.region_id or f"{m.kind}:{m.side}")
        for m in vocabulary.find_anatomy_in_text(turn.question)
    )
    return turn.intent, places


def align(
    a: Sequence[cases.Turn], b: Sequence[cases.Turn]
) -> list[tuple[cases.Turn | None, cases.Turn | None]]:
    """Pair the turns that asked the same thing (intent and place), in A's order.

    A Chinese and an English run of the same questions pair up turn by turn; a turn
    with no counterpart stands alone, after the pairs that precede it.
    """
    used: set[int] = set()
    pairs: list[tuple[cases.Turn | None, cases.Turn | None]] = []
    for ta in a:
        match = next(
            (tb for tb in b if tb.index not in used and _asked(tb) == _asked(ta)),
            None,
        )
        if match is not None:
            used.add(match.index)
            # B's turns skipped over on the way stand alone before the pair.
            pairs += [
                (None, tb)
                for tb in b
                if tb.index < match.index and tb.index not in used
            ]
            used |= {tb.index for tb in b if tb.index < match.index}
        pairs.append((ta, match))
    pairs += [(None, tb) for tb in b if tb.index not in used]
    return pairs


def _turn_facts(
    conversation_id: int, turn: cases.Turn, events: Sequence[cases.AnchorEvent]
) -> dict[str, str]:
    facts = {
        f"{ctx.t('col.anchor')} {e.anchor_id}": ctx.t(f"status.{e.status.value}")
        for e in events
        if e.turn_index == turn.index
    }
    for m in store.list_measurements(conversation_id):
        if m.turn_index != turn.index:
            continue
        label = str(m.detail.get("label") or m.kind)
        facts[f"{label} ({m.from_anchor}→{m.to_anchor or '—'})"] = findings.value_text(
            ctx, m
        )
    return facts


st.subheader(ctx.t("compare.turns"))
events_a = store.list_anchor_events(a_id)
events_b = store.list_anchor_events(b_id)
shown_a = [t for t in turns_a if t.index <= number_a]
shown_b = [t for t in turns_b if t.index <= number_b]
for ta, tb in align(shown_a, shown_b):
    if ta is not None and tb is not None:
        title = ctx.t("compare.pair", a=ta.index, b=tb.index)
    else:
        alone = ta or tb
        title = ctx.t(
            "compare.only_in",
            run="A" if ta is not None else "B",
            number=alone.index if alone is not None else 0,
        )
    with st.expander(title, expanded=False):
        ca, cb = st.columns(2)
        for column, t in ((ca, ta), (cb, tb)):
            with column:
                if t is None:
                    st.caption("—")
                    continue
                st.markdown(f"**{ctx.t('compare.question')}**")
                plain(t.question)
                st.markdown(f"**{ctx.t('compare.answer')}**")
                st.markdown(answer_markdown(t.answer_text))
                st.caption(f"{t.latency_ms:.0f} ms · {escape(t.actor)}")
        if ta is not None and tb is not None:
            fa = _turn_facts(a_id, ta, events_a)
            fb = _turn_facts(b_id, tb, events_b)
            rows = [
                {"item": k, "a": fa.get(k, "—"), "b": fb.get(k, "—")}
                for k in dict.fromkeys([*fa, *fb])
            ]
            if rows:
                st.dataframe(
                    pd.DataFrame(rows).style.apply(
                        lambda r: [DIFFERENT if r["a"] != r["b"] else "" for _ in r],
                        axis=1,
                    ),
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "item": st.column_config.TextColumn(ctx.t("compare.item")),
                        "a": st.column_config.TextColumn(ctx.t("compare.run_a")),
                        "b": st.column_config.TextColumn(ctx.t("compare.run_b")),
                    },
                )
