"""SQL for the case list: filters, sort, one page with per-case counts, and the total.

Pure functions that return ``(sql, params)``: values are always bound parameters; only
fixed fragments from this module (the ORDER BY whitelist) are ever joined into the SQL.

Per-case counts, backends and verdicts are pre-aggregated in ``case_summaries``
(migration 0002), one row per case that the writes keep current, so a page reads one
100k-row table instead of aggregating 2M turns; only the free-text, finding and sign
searches scan the base tables (once per page, see ``page_sql(with_total=True)``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from cases import worklist
from cases.model import CaseQuery, CaseSort

Extra = tuple[str, list[Any]]
"""A further condition over ``case_summaries s`` with its params (the worklist's filters)."""

_ORDER_BY: dict[CaseSort, str] = {
    CaseSort.NEWEST: "s.created_at DESC, s.case_id DESC",
    CaseSort.OLDEST: "s.created_at ASC, s.case_id ASC",
    CaseSort.CASE_ID: "s.case_id ASC",
    CaseSort.MOST_TURNS: "s.turn_count DESC, s.created_at DESC, s.case_id DESC",
    CaseSort.LAST_ACTIVITY: "s.last_turn_at DESC NULLS LAST, s.created_at DESC, s.case_id DESC",
}
_SUMMARY_COLUMNS = """s.case_id, s.created_at, s.image_count, s.modality, s.view_position,
       s.calibration_source, s.warning_count, s.conversation_count, s.turn_count,
       s.last_turn_at"""

# Statements the writes run, inside their own transaction, to keep case_summaries current.
SUMMARY_NEW_CASE_SQL = """INSERT INTO case_summaries (case_id, created_at, image_count,
    modality, view_position, calibration_source, warning_count, conversation_count,
    turn_count, last_turn_at, backends, verdicts)
    VALUES (?, ?, 1, ?, ?, ?, ?, 0, 0, NULL, [], [])"""
SUMMARY_ADD_IMAGE_SQL = """UPDATE case_summaries
    SET image_count = image_count + 1, warning_count = warning_count + ? WHERE case_id = ?"""
SUMMARY_ADD_CONVERSATION_SQL = """UPDATE case_summaries
    SET conversation_count = conversation_count + 1,
        backends = CASE WHEN list_contains(backends, ?) THEN backends
                        ELSE list_sort(list_append(backends, ?)) END
    WHERE case_id = ?"""
SUMMARY_ADD_VERDICT_SQL = """UPDATE case_summaries
    SET verdicts = CASE WHEN list_contains(verdicts, ?) THEN verdicts
                        ELSE list_sort(list_append(verdicts, ?)) END
    WHERE case_id = ?"""
SUMMARY_ADD_TURN_SQL = """UPDATE case_summaries
    SET turn_count = turn_count + 1, last_turn_at = greatest(coalesce(last_turn_at, ?), ?)
    WHERE case_id = ?"""

REBUILD_SUMMARIES_SQL = """
INSERT INTO case_summaries
WITH first_images AS (
    SELECT case_id, count(*) AS image_count,
           arg_min(modality, imported_at) AS modality,
           arg_min(view_position, imported_at) AS view_position,
           arg_min(calibration_source, imported_at) AS calibration_source,
           sum(warning_count) AS warning_count
    FROM images GROUP BY case_id
), turn_totals AS (
    SELECT conversation_id, count(*) AS turns, max(created_at) AS last_turn_at
    FROM turns GROUP BY conversation_id
), activity AS (
    SELECT cv.case_id, count(*) AS conversation_count,
           coalesce(sum(tt.turns), 0) AS turn_count, max(tt.last_turn_at) AS last_turn_at,
           list(DISTINCT cv.backend ORDER BY cv.backend) AS backends
    FROM conversations cv LEFT JOIN turn_totals tt USING (conversation_id)
    GROUP BY cv.case_id
), reviews AS (
    SELECT case_id, list(DISTINCT verdict ORDER BY verdict) AS verdicts
    FROM annotations WHERE verdict IS NOT NULL GROUP BY case_id
)
SELECT c.case_id, c.created_at, coalesce(i.image_count, 0), i.modality, i.view_position,
       i.calibration_source, coalesce(i.warning_count, 0), coalesce(a.conversation_count, 0),
       coalesce(a.turn_count, 0), a.last_turn_at,
       coalesce(a.backends, []::VARCHAR[]), coalesce(r.verdicts, []::VARCHAR[])
FROM cases c
LEFT JOIN first_images i USING (case_id)
LEFT JOIN activity a USING (case_id)
LEFT JOIN reviews r USING (case_id)
ORDER BY c.created_at
"""

# Semi-joins through conversation ids: the scans of turns/anchors/sign_matches yield
# conversation ids, and only those are mapped to cases.
_CASES_WITH_TEXT_IN_TURNS = """s.case_id IN (SELECT case_id FROM conversations WHERE conversation_id IN (
    SELECT conversation_id FROM turns
    WHERE contains(lower(question), ?) OR contains(lower(answer_text), ?)))"""
_CASES_WITH_FINDING = """s.case_id IN (SELECT case_id FROM conversations WHERE conversation_id IN (
    SELECT conversation_id FROM anchors WHERE contains(lower(label), ?)))"""
_CASES_WITH_MET_SIGN = """s.case_id IN (SELECT case_id FROM conversations WHERE conversation_id IN (
    SELECT conversation_id FROM sign_matches WHERE lower(sign_code) = ? AND status = 'met'))"""
_CASES_WITH_ANY_SIGN = """s.case_id IN (SELECT case_id FROM conversations WHERE conversation_id IN (
    SELECT conversation_id FROM sign_matches WHERE lower(sign_code) = ?))"""


def where_sql(query: CaseQuery, extra: Extra | None = None) -> tuple[str, list[Any]]:
    """Return the WHERE condition over ``case_summaries s`` for ``query`` and its params."""
    clauses: list[str] = []
    params: list[Any] = []
    if extra is not None and extra[0] != "TRUE":
        clauses.append(f"({extra[0]})")
        params += extra[1]
    if query.text and query.text.strip():
        # Case id, questions and answers, finding labels, sign codes, and the worklist's
        # titles, tags and original file names.
        needle = query.text.strip().lower()
        clauses.append(
            f"(contains(lower(s.case_id), ?) OR {_CASES_WITH_TEXT_IN_TURNS} "
            f"OR {_CASES_WITH_FINDING} OR {_CASES_WITH_ANY_SIGN} OR {worklist.TEXT_CLAUSE})"
        )
        params += [needle] * (5 + worklist.TEXT_PARAMS)
    if query.finding and query.finding.strip():
        clauses.append(_CASES_WITH_FINDING)
        params.append(query.finding.strip().lower())
    if query.sign_code and query.sign_code.strip():
        clauses.append(_CASES_WITH_MET_SIGN)
        params.append(query.sign_code.strip().lower())
    if query.created_from is not None:
        clauses.append("s.created_at >= ?")
        params.append(datetime.combine(query.created_from, time.min))
    if query.created_to is not None:
        clauses.append("s.created_at < ?")
        params.append(datetime.combine(query.created_to + timedelta(days=1), time.min))
    if query.has_conversations is not None:
        clauses.append(
            f"s.conversation_count {'>' if query.has_conversations else '='} 0"
        )
    if query.backend:
        clauses.append("list_contains(s.backends, ?)")
        params.append(query.backend)
    if query.verdict is not None:
        clauses.append("list_contains(s.verdicts, ?)")
        params.append(query.verdict.value)
    if query.has_warnings is not None:
        clauses.append(f"s.warning_count {'>' if query.has_warnings else '='} 0")
    return (" AND ".join(clauses) or "TRUE"), params


def count_sql(query: CaseQuery, extra: Extra | None = None) -> tuple[str, list[Any]]:
    """Return the query for the number of cases that match ``query``."""
    where, params = where_sql(query, extra)
    return f"SELECT count(*) FROM case_summaries s WHERE {where}", params


def is_search(query: CaseQuery, extra: Extra | None = None) -> bool:
    """Whether the query filters on text, findings or signs (scans of the base tables)."""
    return any(
        v and v.strip() for v in (query.text, query.finding, query.sign_code)
    ) or (extra is not None and extra[0] != "TRUE")


def page_sql(
    query: CaseQuery,
    total: int | None = None,
    *,
    with_total: bool = False,
    extra: Extra | None = None,
) -> tuple[str, list[Any]]:
    """Return the query for one page of ``CaseSummary`` rows.

    Args:
        query: search, filters, sort and page.
        total: the number of matching cases (from ``count_sql``). For the newest-first
            sort it lets the page skip the heap: cases are stored oldest first, the worst
            order for DuckDB's top-N (every row displaces the heap; measured slower at
            100k by ``bench/bench_case_list.py --alternatives``), so the query first
            finds, with an O(n) quantile, a creation time that at least ``offset +
            limit`` matching cases reach, and sorts only those. ``CaseStore.list_cases`` falls back to the plain query if a page ever
            comes back short.
        with_total: add the number of matching cases as an 11th column, so a search
            that scans the turns table does it once for the page and the count.
        extra: a further condition (the worklist's filters).
    """
    where, params = where_sql(query, extra)
    offset = (query.page - 1) * query.page_size
    needed = offset + query.page_size
    cutoff = ""
    cutoff_params: list[Any] = []
    if query.sort is CaseSort.NEWEST and total is not None and total > 4 * needed:
        # quantile_disc(q) returns the value at rank floor(q * (n - 1)) of the sorted
        # matches; one rank of margin keeps at least `needed` rows at or above it.
        rank = max(0, total - needed - 1)
        cutoff = (
            "AND s.created_at >= (SELECT quantile_disc(s.created_at, ?) "
            f"FROM case_summaries s WHERE {where})"
        )
        cutoff_params = [rank / max(total - 1, 1), *params]
    total_column = ", count(*) OVER () AS total" if with_total else ""
    sql = f"""
SELECT {_SUMMARY_COLUMNS}{total_column}
FROM case_summaries s
WHERE {where} {cutoff}
ORDER BY {_ORDER_BY[query.sort]}
LIMIT ? OFFSET ?"""
    return sql, [*params, *cutoff_params, query.page_size, offset]


def page_rows(
    cursor: Any, query: CaseQuery, extra: Extra | None = None
) -> tuple[list[Any], int]:
    """Run one page of summary rows and the number of matching cases on ``cursor``."""
    if is_search(query, extra):
        # One pass over the base tables gives both the page and the total.
        rows = cursor.execute(*page_sql(query, with_total=True, extra=extra)).fetchall()
        if rows:
            return [r[:-1] for r in rows], int(rows[0][-1])
        counted = cursor.execute(*count_sql(query, extra)).fetchone()
        return [], int(counted[0]) if counted else 0
    counted = cursor.execute(*count_sql(query, extra)).fetchone()
    total = int(counted[0]) if counted else 0
    rows = cursor.execute(*page_sql(query, total, extra=extra)).fetchall()
    expected = max(0, min(query.page_size, total - (query.page - 1) * query.page_size))
    if len(rows) < expected:  # the newest-first shortcut missed rows: sort them all
        rows = cursor.execute(*page_sql(query, extra=extra)).fetchall()
    return rows, total
