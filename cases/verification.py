"""Re-hash what the audit chain covers, for ``CaseStore.verify_audit``.

Reads every audited table once, rebuilds each entity's payload exactly as it was hashed at
write time, and compares it with the latest audit record for that entity.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from cases import audit
from cases.model import (
    Anchor,
    AnchorEvent,
    Annotation,
    AuditProblem,
    AuditProblemKind,
    AuditRecord,
    Case,
    Conversation,
    DeidReport,
    Image,
    JsonObject,
    Measurement,
    SignMatch,
    Turn,
    TurnDetail,
    payload,
)
from cases.tables import TABLES, columns_sql
from cases.turns import turn_entity_id, turn_payload


def analysis_payload(
    image_id: str, engine_version: str, digest: str, store_path: str, size: int
) -> JsonObject:
    return {
        "image_id": image_id,
        "engine_version": engine_version,
        "payload_sha256": digest,
        "store_path": store_path,
        "size_bytes": size,
    }


def _fetch(
    cursor: duckdb.DuckDBPyConnection, record_type: type[Any], order: str
) -> list[Any]:
    rows = cursor.execute(
        f"SELECT {columns_sql(record_type)} FROM {TABLES[record_type]} ORDER BY {order}"
    ).fetchall()
    return [record_type.from_row(r) for r in rows]


def current_payloads(
    cursor: duckdb.DuckDBPyConnection,
) -> dict[str, dict[str, JsonObject]]:
    """Return every audited entity's payload as stored now, by entity type and id."""
    current: dict[str, dict[str, JsonObject]] = {
        "case": {c.case_id: payload(c) for c in _fetch(cursor, Case, "case_id")},
        "image": {i.image_id: payload(i) for i in _fetch(cursor, Image, "image_id")},
        "deid_report": {
            r.image_id: payload(r) for r in _fetch(cursor, DeidReport, "image_id")
        },
        "conversation": {
            str(c.conversation_id): payload(c)
            for c in _fetch(cursor, Conversation, "conversation_id")
        },
        "annotation": {
            str(a.annotation_id): payload(a)
            for a in _fetch(cursor, Annotation, "annotation_id")
        },
    }
    parts: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for record_type, section in (
        (Anchor, "anchors"),
        (AnchorEvent, "anchor_events"),
        (Measurement, "measurements"),
        (SignMatch, "sign_matches"),
    ):
        for item in _fetch(cursor, record_type, "conversation_id, turn_index"):
            parts[turn_entity_id(item.conversation_id, item.turn_index)][
                section
            ].append(item)
    turns: dict[str, JsonObject] = {}
    for turn in _fetch(cursor, Turn, "conversation_id, turn_index"):
        key = turn_entity_id(turn.conversation_id, turn.index)
        found = parts.pop(key, {})
        turns[key] = turn_payload(
            TurnDetail(
                turn=turn,
                anchors=tuple(found.get("anchors", ())),
                anchor_events=tuple(found.get("anchor_events", ())),
                measurements=tuple(found.get("measurements", ())),
                sign_matches=tuple(found.get("sign_matches", ())),
            )
        )
    for orphan_key, found in parts.items():  # rows of a turn whose turn row is gone
        turns.setdefault(
            orphan_key,
            {"turn": None, **{k: [payload(x) for x in v] for k, v in found.items()}},
        )
    current["turn"] = turns
    analyses = cursor.execute(
        "SELECT image_id, engine_version, payload_sha256, store_path, size_bytes FROM analyses"
    ).fetchall()
    current["analysis"] = {f"{r[0]}@{r[1]}": analysis_payload(*r) for r in analyses}
    return current


_ENTITY_NAMES = {
    "case": "case",
    "image": "image",
    "conversation": "conversation",
    "annotation": "annotation",
    "analysis": "analysis",
}


def _entity_label(entity_type: str, entity_id: str) -> str:
    if entity_type == "turn":
        conversation, _, index = entity_id.partition("/")
        return f"turn {index} of conversation {conversation}"
    if entity_type == "image":
        return f"image {entity_id[:12]}"
    if entity_type == "deid_report":
        return f"de-identification report of image {entity_id[:12]}"
    return f"{_ENTITY_NAMES.get(entity_type, entity_type)} {entity_id}"


def entity_problems(
    records: list[AuditRecord], current: dict[str, dict[str, JsonObject]]
) -> list[AuditProblem]:
    """Compare each audited entity's latest recorded payload with what is stored now.

    Returns every changed, missing or unrecorded entity, in audit order (unrecorded
    entities last).
    """
    latest: dict[tuple[str, str], AuditRecord] = {}
    for record in records:
        if record.entity_type in current:
            latest[(record.entity_type, record.entity_id)] = record
    problems: list[AuditProblem] = []
    for (entity_type, entity_id), record in sorted(
        latest.items(), key=lambda item: item[1].seq
    ):
        now = current[entity_type].get(entity_id)
        label = _entity_label(entity_type, entity_id)
        if now is None or (entity_type == "turn" and now.get("turn") is None):
            problems.append(
                AuditProblem(
                    kind=AuditProblemKind.ENTITY_MISSING,
                    seq=record.seq,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    message=f"{label} missing (recorded by audit record {record.seq})",
                )
            )
        elif audit.payload_sha256(now) != record.payload_sha256:
            change = audit.describe_change(entity_type, record.payload, now)
            problems.append(
                AuditProblem(
                    kind=AuditProblemKind.ENTITY_CHANGED,
                    seq=record.seq,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    message=f"{label}: {change} since audit record {record.seq}",
                )
            )
    for entity_type, entities in current.items():
        for entity_id in entities:
            if (entity_type, entity_id) not in latest:
                problems.append(
                    AuditProblem(
                        kind=AuditProblemKind.ENTITY_UNRECORDED,
                        seq=None,
                        entity_type=entity_type,
                        entity_id=entity_id,
                        message=f"{_entity_label(entity_type, entity_id)} has no audit record: it was written outside the casebook",
                    )
                )
    return problems


def check_entities(
    records: list[AuditRecord], current: dict[str, dict[str, JsonObject]]
) -> AuditProblem | None:
    """Return the first entity problem (see ``entity_problems``), or None."""
    problems = entity_problems(records, current)
    return problems[0] if problems else None
