"""SQL for the case list: filters, sort, one page, turn counts and the total.

Pure functions that return ``(sql, params)``: values are always bound parameters; only
fixed fragments from this module (the ORDER BY whitelist) are ever joined into the SQL.
Turn counts come from pre-aggregated CTEs joined once per query, which the stack notes
measured as faster than a correlated count per case.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from cases.model import CaseQuery, CaseSort

_ORDER_BY: dict[CaseSort, str] = {
    CaseSort.NEWEST: "c.created_at DESC, c.case_id DESC",
    CaseSort.OLDEST: "c.created_at ASC, c.case_id ASC",
    CaseSort.CASE_ID: "c.case_id ASC",
    CaseSort.MOST_TURNS: "turn_count DESC, c.created_at DESC, c.case_id DESC",
    CaseSort.LAST_ACTIVITY: "last_turn_at DESC NULLS LAST, c.created_at DESC, c.case_id DESC",
}

_CASES_WITH_TEXT_IN_TURNS = """c.case_id IN (
    SELECT cv.case_id FROM turns t JOIN conversations cv USING (conversation_id)
    WHERE contains(lower(t.question), ?) OR contains(lower(t.answer_text), ?))"""
_CASES_WITH_FINDING = """c.case_id IN (
    SELECT cv.case_id FROM anchors a JOIN conversations cv USING (conversation_id)
    WHERE contains(lower(a.label), ?))"""
_CASES_WITH_SIGN = """c.case_id IN (
    SELECT cv.case_id FROM sign_matches s JOIN conversations cv USING (conversation_id)
    WHERE lower(s.sign_code) = ? AND s.status = 'met')"""
_CASES_WITH_ANY_SIGN = """c.case_id IN (
    SELECT cv.case_id FROM sign_matches s JOIN conversations cv USING (conversation_id)
    WHERE lower(s.sign_code) = ?)"""


def _where(query: CaseQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.text and query.text.strip():
        needle = query.text.strip().lower()
        clauses.append(
            f"(contains(lower(c.case_id), ?) OR {_CASES_WITH_TEXT_IN_TURNS} "
            f"OR {_CASES_WITH_FINDING} OR {_CASES_WITH_ANY_SIGN})"
        )
        params += [needle, needle, needle, needle, needle]
    if query.finding and query.finding.strip():
        clauses.append(_CASES_WITH_FINDING)
        params.append(query.finding.strip().lower())
    if query.sign_code and query.sign_code.strip():
        clauses.append(_CASES_WITH_SIGN)
        params.append(query.sign_code.strip().lower())
    if query.created_from is not None:
        clauses.append("c.created_at >= ?")
        params.append(datetime.combine(query.created_from, time.min))
    if query.created_to is not None:
        clauses.append("c.created_at < ?")
        params.append(datetime.combine(query.created_to + timedelta(days=1), time.min))
    if query.has_conversations is not None:
        negate = "" if query.has_conversations else "NOT "
        clauses.append(f"c.case_id {negate}IN (SELECT case_id FROM conversations)")
    if query.backend:
        clauses.append(
            "c.case_id IN (SELECT case_id FROM conversations WHERE backend = ?)"
        )
        params.append(query.backend)
    if query.verdict is not None:
        clauses.append(
            "c.case_id IN (SELECT case_id FROM annotations WHERE verdict = ?)"
        )
        params.append(query.verdict.value)
    if query.has_warnings is not None:
        negate = "" if query.has_warnings else "NOT "
        clauses.append(
            f"c.case_id {negate}IN (SELECT case_id FROM images WHERE warning_count > 0)"
        )
    return (" AND ".join(clauses) or "TRUE"), params


def page_sql(query: CaseQuery) -> tuple[str, list[Any]]:
    """Return the query for one page of ``CaseSummary`` rows."""
    where, params = _where(query)
    sql = f"""
WITH turn_totals AS (
    SELECT conversation_id, count(*) AS turns, max(created_at) AS last_turn_at
    FROM turns GROUP BY conversation_id
), activity AS (
    SELECT cv.case_id, count(*) AS conversation_count,
           coalesce(sum(tt.turns), 0) AS turn_count, max(tt.last_turn_at) AS last_turn_at
    FROM conversations cv LEFT JOIN turn_totals tt USING (conversation_id)
    GROUP BY cv.case_id
), image_summary AS (
    SELECT case_id, count(*) AS image_count,
           arg_min(modality, imported_at) AS modality,
           arg_min(view_position, imported_at) AS view_position,
           arg_min(calibration_source, imported_at) AS calibration_source,
           sum(warning_count) AS warning_count
    FROM images GROUP BY case_id
)
SELECT c.case_id, c.created_at, coalesce(i.image_count, 0), i.modality, i.view_position,
       i.calibration_source, coalesce(i.warning_count, 0), coalesce(a.conversation_count, 0),
       coalesce(a.turn_count, 0) AS turn_count, a.last_turn_at AS last_turn_at
FROM cases c
LEFT JOIN image_summary i ON i.case_id = c.case_id
LEFT JOIN activity a ON a.case_id = c.case_id
WHERE {where}
ORDER BY {_ORDER_BY[query.sort]}
LIMIT ? OFFSET ?"""
    return sql, [*params, query.page_size, (query.page - 1) * query.page_size]


def count_sql(query: CaseQuery) -> tuple[str, list[Any]]:
    """Return the query for the number of cases that match ``query``."""
    where, params = _where(query)
    return f"SELECT count(*) FROM cases c WHERE {where}", params
