"""Table names and column lists of the stored records (the only identifiers joined into SQL)."""

from __future__ import annotations

from typing import Any

from cases.model import (
    Anchor,
    AnchorEvent,
    Annotation,
    AuditRecord,
    Case,
    Conversation,
    DeidReport,
    Image,
    Measurement,
    SignMatch,
    Turn,
)

TABLES: dict[type, str] = {
    Case: "cases",
    Image: "images",
    DeidReport: "deid_reports",
    Conversation: "conversations",
    Turn: "turns",
    Anchor: "anchors",
    AnchorEvent: "turn_anchor_events",
    Measurement: "measurements",
    SignMatch: "sign_matches",
    Annotation: "annotations",
    AuditRecord: "audit_log",
}


def columns_sql(record_type: type[Any]) -> str:
    """Return the quoted column list of a record type, in ``COLUMNS`` order."""
    return ", ".join(f'"{c}"' for c in record_type.COLUMNS)
