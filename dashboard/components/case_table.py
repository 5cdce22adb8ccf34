"""The case list: search and filters, one page of cases, and the pager."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from cases import CasePage, CaseQuery, CaseSort, Verdict
from dashboard import state
from dashboard.components.frame import PageContext
from dashboard.state import SessionKey
from engine.backends.registry import BACKEND_MODULES

ANY = ""


def _reset_page() -> None:
    state.put(SessionKey.CASE_PAGE, 1)


def _tristate(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def filters(ctx: PageContext, page_size: int) -> CaseQuery:
    """Draw the search box and filters; return the query they describe."""
    text = st.text_input(
        ctx.t("cases.search"),
        placeholder=ctx.t("cases.search_hint"),
        key=SessionKey.CASE_SEARCH.value,
        on_change=_reset_page,
    )
    with st.expander(ctx.t("cases.filters"), expanded=False):
        c1, c2, c3, c4 = st.columns(4)
        finding = c1.text_input(
            ctx.t("cases.finding"),
            key=SessionKey.CASE_FINDING.value,
            on_change=_reset_page,
        )
        sign = c2.text_input(
            ctx.t("cases.sign"),
            placeholder="A14",
            key=SessionKey.CASE_SIGN.value,
            on_change=_reset_page,
        )
        dates = c3.date_input(
            ctx.t("cases.dates"),
            # An empty tuple asks for an empty date range; Streamlit's annotations omit it.
            value=(),  # type: ignore[arg-type]
            key=SessionKey.CASE_DATES.value,
            on_change=_reset_page,
        )
        sort = c4.selectbox(
            ctx.t("cases.sort"),
            list(CaseSort),
            format_func=lambda s: ctx.t(f"sort.{s.value}"),
            key=SessionKey.CASE_SORT.value,
            on_change=_reset_page,
        )
        c5, c6, c7, c8 = st.columns(4)
        yes_no = [ANY, "yes", "no"]
        talking = c5.selectbox(
            ctx.t("cases.has_conversations"),
            yes_no,
            format_func=lambda v: ctx.t(f"any.{v or 'any'}"),
            key=SessionKey.CASE_HAS_CONVERSATIONS.value,
            on_change=_reset_page,
        )
        backend = c6.selectbox(
            ctx.t("cases.backend"),
            [ANY, *BACKEND_MODULES],
            format_func=lambda v: v or ctx.t("any.any"),
            key=SessionKey.CASE_BACKEND.value,
            on_change=_reset_page,
        )
        verdict = c7.selectbox(
            ctx.t("cases.verdict"),
            [ANY, *(v.value for v in Verdict)],
            format_func=lambda v: ctx.t(f"verdict.{v}") if v else ctx.t("any.any"),
            key=SessionKey.CASE_VERDICT.value,
            on_change=_reset_page,
        )
        warnings = c8.selectbox(
            ctx.t("cases.warnings"),
            yes_no,
            format_func=lambda v: ctx.t(f"any.{v or 'any'}"),
            key=SessionKey.CASE_WARNINGS.value,
            on_change=_reset_page,
        )
    created_from: date | None = dates[0] if len(dates) >= 1 else None
    created_to: date | None = dates[1] if len(dates) >= 2 else None
    return CaseQuery(
        text=text.strip() or None,
        finding=finding.strip() or None,
        sign_code=sign.strip().upper() or None,
        created_from=created_from,
        created_to=created_to,
        has_conversations=_tristate(talking),
        backend=backend or None,
        verdict=Verdict(verdict) if verdict else None,
        has_warnings=_tristate(warnings),
        sort=sort or CaseSort.NEWEST,
        page=max(1, int(state.get(SessionKey.CASE_PAGE, 1))),
        page_size=page_size,
    )


def frame(ctx: PageContext, page: CasePage) -> pd.DataFrame:
    """Return one page of cases as the table shows it."""
    rows = [
        {
            "case": item.case_id,
            "link": f"./case?id={item.case_id}",
            "created": item.created_at.astimezone().replace(tzinfo=None),
            "images": item.image_count,
            "modality": item.modality or "",
            "view": item.view_position or "",
            "calibration": item.calibration_source.value
            if item.calibration_source
            else "",
            "warnings": item.warning_count,
            "conversations": item.conversation_count,
            "turns": item.turn_count,
            "last_activity": None
            if item.last_turn_at is None
            else item.last_turn_at.astimezone().replace(tzinfo=None),
        }
        for item in page.items
    ]
    columns = [
        "case",
        "link",
        "created",
        "images",
        "modality",
        "view",
        "calibration",
        "warnings",
        "conversations",
        "turns",
        "last_activity",
    ]
    return pd.DataFrame(rows, columns=columns)


def table(ctx: PageContext, page: CasePage) -> str | None:
    """Draw the page of cases; return the case id of a selected row, if any."""
    df = frame(ctx, page)
    if df.empty:
        st.info(ctx.t("cases.empty"))
        return None
    selection = st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=SessionKey.CASE_TABLE.value,
        column_config={
            "case": st.column_config.TextColumn(ctx.t("col.case")),
            "link": st.column_config.LinkColumn(
                ctx.t("col.link"), display_text=ctx.t("col.open")
            ),
            "created": st.column_config.DatetimeColumn(
                ctx.t("col.created"), format="YYYY-MM-DD HH:mm"
            ),
            "images": st.column_config.NumberColumn(ctx.t("col.images")),
            "modality": st.column_config.TextColumn(ctx.t("col.modality")),
            "view": st.column_config.TextColumn(ctx.t("col.view")),
            "calibration": st.column_config.TextColumn(ctx.t("col.calibration")),
            "warnings": st.column_config.NumberColumn(ctx.t("col.warnings")),
            "conversations": st.column_config.NumberColumn(ctx.t("col.conversations")),
            "turns": st.column_config.NumberColumn(ctx.t("col.turns")),
            "last_activity": st.column_config.DatetimeColumn(
                ctx.t("col.last_activity"), format="YYYY-MM-DD HH:mm"
            ),
        },
    )
    rows = selection.selection.rows if selection is not None else []
    return str(df.iloc[rows[0]]["case"]) if rows else None


def _go(page_number: int) -> None:
    state.put(SessionKey.CASE_PAGE, max(1, page_number))


def pager(ctx: PageContext, page: CasePage) -> None:
    """Draw previous / next and the page position."""
    left, middle, right = st.columns([1, 3, 1], vertical_alignment="center")
    left.button(
        ctx.t("pager.previous"),
        disabled=page.page <= 1,
        on_click=_go,
        args=(page.page - 1,),
        key="cases_prev",
        width="stretch",
    )
    middle.markdown(
        ctx.t(
            "pager.position",
            page=f"{page.page:,}",
            pages=f"{page.page_count:,}",
            total=f"{page.total:,}",
        )
    )
    right.button(
        ctx.t("pager.next"),
        disabled=page.page >= page.page_count,
        on_click=_go,
        args=(page.page + 1,),
        key="cases_next",
        width="stretch",
    )
