"""Audit (QA): every turn with its actor, engine and raw output; the chain check; charts; CSV."""

from datetime import datetime

import streamlit as st

from dashboard import feedback, resources, state
from dashboard.components import audit_view, frame
from dashboard.state import SessionKey
from services import access
from services.access import PageId, Right

ctx = frame.open_page(PageId.AUDIT)
with feedback.guard(stop=True):
    store = resources.store()
st.title(ctx.t("audit.title"))
st.caption(ctx.t("audit.intro"))


def _recheck() -> None:
    state.put(SessionKey.AUDIT_RECHECK, int(state.get(SessionKey.AUDIT_RECHECK, 0)) + 1)


c_check, c_button = st.columns([5, 1], vertical_alignment="center")
with c_check, feedback.guard():
    audit_view.integrity(ctx, store, int(state.get(SessionKey.AUDIT_RECHECK, 0)))
c_button.button(
    ctx.t("audit.recheck"),
    on_click=_recheck,
    key="audit_recheck_button",
    width="stretch",
)

window = st.session_state.get(SessionKey.AUDIT_WINDOW.value, 20_000)
with feedback.guard(stop=True):
    tables = audit_view.load(store, int(window))

# --------------------------------------------------------------------------- filters
turns = tables.turns
with st.expander(ctx.t("audit.filters"), expanded=True):
    c1, c2, c3, c4 = st.columns(4)
    actors = c1.multiselect(
        ctx.t("col.actor"),
        sorted(turns["actor"].dropna().unique()),
        key=SessionKey.AUDIT_ACTOR.value,
    )
    backends = c2.multiselect(
        ctx.t("col.backend"),
        sorted(turns["backend"].dropna().unique()),
        key=SessionKey.AUDIT_BACKEND.value,
    )
    models = c3.multiselect(
        ctx.t("col.model_version"),
        sorted(turns["model_version"].dropna().astype(str).unique()),
        key=SessionKey.AUDIT_MODEL.value,
    )
    case_text = c4.text_input(ctx.t("col.case"), key=SessionKey.AUDIT_CASE.value)
    c5, c6, c7 = st.columns([2, 2, 1])
    text = c5.text_input(
        ctx.t("audit.text"),
        key=SessionKey.AUDIT_TEXT.value,
        help=ctx.t("audit.text_help"),
    )
    dates = c6.date_input(
        ctx.t("cases.dates"),
        # An empty tuple asks for an empty date range; Streamlit's annotations omit it.
        value=(),  # type: ignore[arg-type]
        key=SessionKey.AUDIT_DATES.value,
    )
    c7.number_input(
        ctx.t("audit.window"),
        min_value=100,
        max_value=1_000_000,
        value=20_000,
        step=1000,
        key=SessionKey.AUDIT_WINDOW.value,
        help=ctx.t("audit.window_help"),
    )

filtered = turns
if actors:
    filtered = filtered[filtered["actor"].isin(actors)]
if backends:
    filtered = filtered[filtered["backend"].isin(backends)]
if models:
    filtered = filtered[filtered["model_version"].astype(str).isin(models)]
if case_text.strip():
    filtered = filtered[
        filtered["case"]
        .astype(str)
        .str.contains(case_text.strip(), case=False, regex=False)
    ]
if text.strip():
    needle = text.strip()
    mask = (
        filtered["question"].str.contains(needle, case=False, regex=False)
        | filtered["answer"].str.contains(needle, case=False, regex=False)
        | filtered["raw_output"].str.contains(needle, case=False, regex=False)
    )
    filtered = filtered[mask]
if len(dates) >= 1:
    filtered = filtered[filtered["time"].dt.date >= dates[0]]
if len(dates) >= 2:
    filtered = filtered[filtered["time"].dt.date <= dates[1]]

# --------------------------------------------------------------------------- turns table and export
st.subheader(ctx.t("audit.turns", shown=f"{len(filtered):,}", total=f"{len(turns):,}"))
if tables.first_seq is not None and tables.first_seq > 1:
    st.caption(ctx.t("audit.window_note", first=tables.first_seq))
st.dataframe(
    filtered.iloc[::-1],
    hide_index=True,
    width="stretch",
    height=360,
    column_config={
        "seq": st.column_config.NumberColumn(ctx.t("col.seq"), width="small"),
        "time": st.column_config.DatetimeColumn(
            ctx.t("col.time"), format="YYYY-MM-DD HH:mm:ss"
        ),
        "actor": st.column_config.TextColumn(ctx.t("col.actor")),
        "case": st.column_config.TextColumn(ctx.t("col.case"), width="small"),
        "conversation": st.column_config.NumberColumn(
            ctx.t("col.conversation"), width="small"
        ),
        "turn": st.column_config.NumberColumn(ctx.t("col.turn"), width="small"),
        "backend": st.column_config.TextColumn(ctx.t("col.backend"), width="small"),
        "model_id": st.column_config.TextColumn(ctx.t("col.model_id")),
        "model_version": st.column_config.TextColumn(
            ctx.t("col.model_version"), width="small"
        ),
        "latency_ms": st.column_config.NumberColumn(
            ctx.t("audit.latency_ms"), format="%.0f"
        ),
        "language": st.column_config.TextColumn(ctx.t("col.language"), width="small"),
        "intent": st.column_config.TextColumn(ctx.t("col.intent"), width="small"),
        "question": st.column_config.TextColumn(
            ctx.t("compare.question"), width="medium"
        ),
        "answer": st.column_config.TextColumn(ctx.t("compare.answer"), width="medium"),
        "raw_output": st.column_config.TextColumn(
            ctx.t("col.raw_output"), width="medium"
        ),
        "record_hash": st.column_config.TextColumn(ctx.t("col.hash"), width="small"),
    },
)


def _record_export() -> None:
    with feedback.guard():
        access.require(ctx.identity, Right.AUDIT)  # a callback: the page check is past
        store.record_export(
            actor=ctx.actor,
            kind="audit_csv",
            entity_type="audit_table",
            entity_id=f"{tables.first_seq or 0}-{tables.last_seq or 0}",
            detail={
                "rows": len(filtered),
                "actors": actors,
                "backends": backends,
                "models": models,
                "case": case_text,
                "text": text,
                "dates": [str(d) for d in dates],
            },
        )


st.download_button(
    ctx.t("audit.download"),
    filtered.to_csv(index=False).encode("utf-8"),
    file_name=f"casebook-audit-{datetime.now():%Y%m%d-%H%M%S}.csv",
    mime="text/csv",
    on_click=_record_export,
    key="audit_csv",
    disabled=filtered.empty,
    help=ctx.t("audit.download_help"),
)

# --------------------------------------------------------------------------- charts and records
tab_charts, tab_notes, tab_records = st.tabs(
    [
        ctx.t("audit.tab_charts"),
        ctx.t("audit.tab_annotations"),
        ctx.t("audit.tab_records"),
    ]
)
with tab_charts:
    audit_view.charts(
        ctx,
        tables,
        filtered,
        {
            str(pid): profile.name(ctx.lang)
            for pid, profile in resources.vocabulary().profiles.items()
        },
    )
with tab_notes:
    st.dataframe(
        tables.annotations,
        hide_index=True,
        width="stretch",
        column_config={
            "seq": st.column_config.NumberColumn(ctx.t("col.seq"), width="small"),
            "time": st.column_config.DatetimeColumn(
                ctx.t("col.time"), format="YYYY-MM-DD HH:mm"
            ),
            "iou": st.column_config.NumberColumn("IoU", format="%.2f"),
        },
    )
with tab_records:
    st.caption(ctx.t("audit.records_note"))
    st.dataframe(
        tables.records.iloc[::-1],
        hide_index=True,
        width="stretch",
        height=360,
        column_config={
            "seq": st.column_config.NumberColumn(ctx.t("col.seq"), width="small"),
            "time": st.column_config.DatetimeColumn(
                ctx.t("col.time"), format="YYYY-MM-DD HH:mm:ss"
            ),
        },
    )
