"""The reading room's worklist: case titles, tags and review status, file names, marks.

Records and SQL for what migration 0006 adds. ``CaseStore`` runs the statements (its
methods ``set_case_labels``, ``list_worklist``, ``mark_conversation`` ...); this module
only builds them, with bound parameters for every value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PureWindowsPath
from typing import Any

from cases.errors import InvalidRecord
from cases.model import CaseQuery, CaseSummary

MAX_TITLE = 200
MAX_TAGS = 20
MAX_TAG = 40


class ReviewStatus(StrEnum):
    """Where a case stands in review; a reviewer sets it (stored in ``case_labels``)."""

    UNREVIEWED = "unreviewed"
    REVIEWED = "reviewed"
    TEACHING = "teaching"


class ConversationMark(StrEnum):
    """A purpose that makes a saved conversation read-only for everyone."""

    TEACHING = "teaching"
    QA = "qa"


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseLabels:
    """A reviewer's title, tags and review status of a case."""

    case_id: str
    title: str | None
    tags: tuple[str, ...]
    review_status: ReviewStatus
    updated_by: str
    updated_at: datetime

    def to_payload(self) -> dict[str, Any]:
        """The audited form."""
        return {
            "case_id": self.case_id,
            "title": self.title,
            "tags": list(self.tags),
            "review_status": self.review_status.value,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class WorklistQuery:
    """The case list's search and filters, plus the worklist's own filters."""

    cases: CaseQuery = field(default_factory=CaseQuery)
    review_status: ReviewStatus | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorklistItem:
    """One line of the worklist."""

    summary: CaseSummary
    title: str | None
    tags: tuple[str, ...]
    review_status: ReviewStatus
    image_id: str | None
    """The case's first image (its thumbnail)."""
    file_name: str | None
    leading_finding: str | None
    """The most confident AI finding in the case's conversations."""
    leading_confidence: float | None
    warnings: tuple[str, ...]
    """The first image's import warnings, in words."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorklistPage:
    """A page of the worklist and the number of matching cases."""

    items: tuple[WorklistItem, ...]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def clean_title(title: str | None) -> str | None:
    """A title as stored: trimmed, None when empty.

    Raises:
        InvalidRecord: the title is too long.
    """
    text = (title or "").strip()
    if len(text) > MAX_TITLE:
        raise InvalidRecord(
            f"title is {len(text)} characters; shorten it to {MAX_TITLE} or fewer"
        )
    return text or None


def clean_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags as stored: trimmed, lower case, without repeats, in the given order.

    Raises:
        InvalidRecord: too many tags, or one too long.
    """
    cleaned: list[str] = []
    for tag in tags:
        text = " ".join(tag.split()).lower()
        if len(text) > MAX_TAG:
            raise InvalidRecord(
                f"tag {text[:20]!r}… is {len(text)} characters; keep tags to {MAX_TAG}"
            )
        if text and text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_TAGS:
        raise InvalidRecord(
            f"{len(cleaned)} tags given; keep a case to {MAX_TAGS} tags"
        )
    return tuple(cleaned)


def base_name(file_name: str) -> str:
    """The file's own name without any folder (Windows or POSIX separators)."""
    return PureWindowsPath(file_name.replace("/", "\\")).name.strip()


# The status a case shows: the reviewer's, else 'reviewed' once any verdict exists.
STATUS_SQL = """coalesce((SELECT l.review_status FROM case_labels l WHERE l.case_id = s.case_id),
    CASE WHEN len(s.verdicts) > 0 THEN 'reviewed' ELSE 'unreviewed' END)"""

# Text search over what the worklist adds: titles, tags and original file names.
TEXT_CLAUSE = """s.case_id IN (SELECT case_id FROM case_labels
        WHERE contains(lower(coalesce(title, '')), ?)
           OR contains(lower(array_to_string(tags, ' ')), ?))
    OR s.case_id IN (SELECT case_id FROM image_sources WHERE contains(lower(file_name), ?))"""
TEXT_PARAMS = 3


def extra_where(query: WorklistQuery) -> tuple[str, list[Any]]:
    """The worklist's own filters as one condition over ``case_summaries s``."""
    clauses: list[str] = []
    params: list[Any] = []
    if query.review_status is not None:
        clauses.append(f"{STATUS_SQL} = ?")
        params.append(query.review_status.value)
    if query.tag and query.tag.strip():
        clauses.append(
            "s.case_id IN (SELECT case_id FROM case_labels WHERE list_contains(tags, ?))"
        )
        params.append(" ".join(query.tag.split()).lower())
    return (" AND ".join(clauses) or "TRUE"), params


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def details_sql(case_ids: Sequence[str]) -> tuple[str, list[Any]]:
    """Per case of a page: labels, first image, its file name and warnings, leading finding."""
    marks = _marks(len(case_ids))
    sql = f"""
WITH page(case_id) AS (SELECT unnest([{marks}]::VARCHAR[])),
first_image AS (
    SELECT i.case_id, arg_min(i.image_id, i.imported_at) AS image_id,
           arg_min(i.issues, i.imported_at) AS issues
    FROM images i WHERE i.case_id IN (SELECT case_id FROM page) GROUP BY i.case_id
), lead_finding AS (
    SELECT cv.case_id, arg_max(a.label, coalesce(a.confidence, 0)) AS label,
           max(a.confidence) AS confidence
    FROM anchors a JOIN conversations cv USING (conversation_id)
    WHERE cv.case_id IN (SELECT case_id FROM page) AND a.kind = 'finding'
    GROUP BY cv.case_id
)
SELECT p.case_id, l.title, coalesce(l.tags, []::VARCHAR[]),
       coalesce(l.review_status,
                CASE WHEN len(cs.verdicts) > 0 THEN 'reviewed' ELSE 'unreviewed' END),
       f.image_id, src.file_name, f.issues, ld.label, ld.confidence
FROM page p
JOIN case_summaries cs USING (case_id)
LEFT JOIN case_labels l USING (case_id)
LEFT JOIN first_image f USING (case_id)
LEFT JOIN image_sources src ON src.image_id = f.image_id
LEFT JOIN lead_finding ld USING (case_id)"""
    return sql, list(case_ids)
