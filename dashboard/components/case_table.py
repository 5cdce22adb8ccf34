"""The worklist: search and filters, one page of cases with thumbnails, and the pager."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from cases import CaseQuery, CaseSort, Verdict
from cases.worklist import ReviewStatus, WorklistItem, WorklistPage, WorklistQuery
from dashboard import state
from dashboard.components.frame import PageContext
from dashboard.state import SessionKey
from engine.backends.registry import BACKEND_MODULES
from ontology import Vocabulary

ANY = ""


def _reset_page() -> None:
    state.put(SessionKey.CASE_PAGE, 1)


def _tristate(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def filters(
    ctx: PageContext, page_size: int, vocabulary: Vocabulary | None = None
) -> WorklistQuery:
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
            placeholder="A14 / spiculation",
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
        c9, c10, _, _ = st.columns(4)
        status = c9.selectbox(
            ctx.t("cases.review_status"),
            [ANY, *(s.value for s in ReviewStatus)],
            format_func=lambda v: ctx.t(f"review.{v}") if v else ctx.t("any.any"),
            key=SessionKey.CASE_STATUS.value,
            on_change=_reset_page,
        )
        tag = c10.text_input(
            ctx.t("cases.tag"), key=SessionKey.CASE_TAG.value, on_change=_reset_page
        )
    created_from: date | None = dates[0] if len(dates) >= 1 else None
    created_to: date | None = dates[1] if len(dates) >= 2 else None
    cases_query = CaseQuery(
        text=text.strip() or None,
        finding=finding.strip() or None,
        sign_code=sign_code(sign, vocabulary),
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
    return WorklistQuery(
        cases=cases_query,
        review_status=ReviewStatus(status) if status else None,
        tag=tag.strip() or None,
    )


def sign_code(text: str, vocabulary: Vocabulary | None) -> str | None:
    """A sign filter as a code: a code as typed, or the sign whose name matches best."""
    typed = text.strip()
    if not typed:
        return None
    if vocabulary is None or vocabulary.find_sign(typed.upper()) is not None:
        return typed.upper()
    found = vocabulary.search(typed, limit=1)
    return str(found[0].code) if found else typed.upper()


def _calibration(ctx: PageContext, item: WorklistItem) -> str:
    source = item.summary.calibration_source
    return "" if source is None else ctx.t(f"calibration.{source.value}")


def frame(
    ctx: PageContext,
    page: WorklistPage,
    thumbnail: Callable[[str], str | None] | None = None,
) -> pd.DataFrame:
    """Return one page of the worklist as the table shows it.

    Args:
        ctx: the page (its language).
        page: the worklist page.
        thumbnail: a ``data:`` URL of an image's thumbnail, by image id.
    """
    rows = []
    for item in page.items:
        summary = item.summary
        leading = item.leading_finding or ""
        if leading and item.leading_confidence is not None:
            leading = f"{leading} ({item.leading_confidence:.0%})"
        rows.append(
            {
                "thumbnail": thumbnail(item.image_id)
                if thumbnail and item.image_id
                else None,
                "case": summary.case_id,
                "title": item.title or "",
                "tags": list(item.tags),
                "leading": leading,
                "review": ctx.t(f"review.{item.review_status.value}"),
                "warnings": "; ".join(item.warnings) or ctx.t("cases.no_warnings"),
                "file": item.file_name or "",
                "link": f"./case?id={summary.case_id}",
                "created": summary.created_at.astimezone().replace(tzinfo=None),
                "modality": " ".join(
                    p for p in (summary.modality, summary.view_position) if p
                ),
                "calibration": _calibration(ctx, item),
                "conversations": summary.conversation_count,
                "turns": summary.turn_count,
                "last_activity": None
                if summary.last_turn_at is None
                else summary.last_turn_at.astimezone().replace(tzinfo=None),
            }
        )
    columns = [
        "thumbnail",
        "case",
        "title",
        "tags",
        "leading",
        "review",
        "warnings",
        "file",
        "link",
        "created",
        "modality",
        "calibration",
        "conversations",
        "turns",
        "last_activity",
    ]
    return pd.DataFrame(rows, columns=columns)


def table(
    ctx: PageContext,
    page: WorklistPage,
    thumbnail: Callable[[str], str | None] | None = None,
) -> str | None:
    """Draw the page of cases; return the case id of a selected row, if any."""
    df = frame(ctx, page, thumbnail)
    if df.empty:
        st.info(ctx.t("cases.empty"))
        return None
    selection = st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        row_height=64,
        on_select="rerun",
        selection_mode="single-row",
        key=SessionKey.CASE_TABLE.value,
        column_config={
            "thumbnail": st.column_config.ImageColumn(ctx.t("col.thumbnail"), width=64),
            "case": st.column_config.TextColumn(ctx.t("col.case")),
            "title": st.column_config.TextColumn(ctx.t("col.title"), width="medium"),
            "tags": st.column_config.ListColumn(ctx.t("col.tags")),
            "leading": st.column_config.TextColumn(ctx.t("col.leading")),
            "review": st.column_config.TextColumn(ctx.t("col.review")),
            "warnings": st.column_config.TextColumn(
                ctx.t("col.warnings"), width="medium"
            ),
            "file": st.column_config.TextColumn(ctx.t("col.source_file")),
            "link": st.column_config.LinkColumn(
                ctx.t("col.link"), display_text=ctx.t("col.open")
            ),
            "created": st.column_config.DatetimeColumn(
                ctx.t("col.created"), format="YYYY-MM-DD HH:mm"
            ),
            "modality": st.column_config.TextColumn(ctx.t("col.modality")),
            "calibration": st.column_config.TextColumn(ctx.t("col.calibration")),
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


def pager(ctx: PageContext, page: WorklistPage) -> None:
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
