"""The audit chain: canonical payload hashes, record hashes, and the checks of verify.

Each record stores the canonical JSON of what was written (``payload``), its SHA-256
(``payload_sha256``), the previous record's hash and its own hash::

    payload_sha256 = sha256(canonical_json(payload))
    hash = sha256(canonical_json([seq, recorded_at, actor, action, entity_type,
                                  entity_id, payload_sha256, prev_hash]))

``canonical_json`` sorts keys, uses ``(',', ':')`` separators and UTF-8 without ASCII
escaping; ``recorded_at`` is ISO 8601 in UTC with microseconds. The first record's
``prev_hash`` is 64 zeros. Everything here is pure: ``CaseStore`` reads the rows and
calls these functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from cases.model import (
    AuditProblem,
    AuditProblemKind,
    AuditRecord,
    JsonObject,
    canonical_json,
)

GENESIS_HASH = "0" * 64

# Sections of a turn's payload, how to name one item, and which field identifies it.
_TURN_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("anchors", "anchor", "anchor_id"),
    ("anchor_events", "anchor event", "anchor_id"),
    ("measurements", "measurement", "measurement_index"),
    ("sign_matches", "sign match", "item_index"),
)


def payload_sha256(payload: object) -> str:
    """Return the SHA-256 (hex) of the canonical JSON of ``payload``."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def record_hash(
    *,
    seq: int,
    recorded_at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    payload_hash: str,
    prev_hash: str,
) -> str:
    """Return the hash that links one audit record into the chain."""
    fields = [
        seq,
        recorded_at.isoformat(timespec="microseconds"),
        actor,
        action,
        entity_type,
        entity_id,
        payload_hash,
        prev_hash,
    ]
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def make_record(
    previous: AuditRecord | None,
    *,
    recorded_at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    payload: JsonObject,
) -> AuditRecord:
    """Return the record that follows ``previous`` (None: the first record)."""
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    digest = payload_sha256(payload)
    return AuditRecord(
        seq=seq,
        recorded_at=recorded_at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        payload_sha256=digest,
        prev_hash=prev_hash,
        hash=record_hash(
            seq=seq,
            recorded_at=recorded_at,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            payload_hash=digest,
            prev_hash=prev_hash,
        ),
        payload=payload,
    )


def _own_hash(record: AuditRecord) -> str:
    return record_hash(
        seq=record.seq,
        recorded_at=record.recorded_at,
        actor=record.actor,
        action=record.action,
        entity_type=record.entity_type,
        entity_id=record.entity_id,
        payload_hash=record.payload_sha256,
        prev_hash=record.prev_hash,
    )


def _problem(kind: AuditProblemKind, record: AuditRecord, message: str) -> AuditProblem:
    return AuditProblem(
        kind=kind,
        seq=record.seq,
        entity_type=record.entity_type,
        entity_id=record.entity_id,
        message=message,
    )


def check_chain(records: Iterable[AuditRecord]) -> AuditProblem | None:
    """Walk records in ``seq`` order; return the first broken link, or None.

    Detects a missing record (gap in ``seq``), records moved out of order (a record
    links to a record other than its predecessor), an edited record (its own hash no
    longer matches) and an edited payload (its hash no longer matches the record).
    """
    ordered = list(records)
    hash_to_seq = {record.hash: record.seq for record in ordered}
    previous: AuditRecord | None = None
    for record in ordered:
        expected_seq = 1 if previous is None else previous.seq + 1
        if record.seq > expected_seq:
            missing = (
                f"record {expected_seq}"
                if record.seq == expected_seq + 1
                else f"records {expected_seq}-{record.seq - 1}"
            )
            return _problem(
                AuditProblemKind.RECORD_MISSING,
                record,
                f"audit {missing} missing (chain jumps to record {record.seq})",
            )
        expected_prev = GENESIS_HASH if previous is None else previous.hash
        if record.prev_hash != expected_prev:
            linked = hash_to_seq.get(record.prev_hash)
            if linked is not None or (
                previous is not None and record.recorded_at < previous.recorded_at
            ):
                after = f"record {linked}" if linked is not None else "a later record"
                return _problem(
                    AuditProblemKind.RECORDS_OUT_OF_ORDER,
                    record,
                    f"audit records out of order: record {record.seq} ({record.action}, "
                    f"{record.entity_type} {record.entity_id}) was written after {after}, "
                    f"not after record {expected_seq - 1}",
                )
            return _problem(
                AuditProblemKind.CHAIN_BROKEN,
                record,
                f"audit record {record.seq} does not link to record {expected_seq - 1}: the chain was rewritten or reordered",
            )
        if _own_hash(record) != record.hash:
            return _problem(
                AuditProblemKind.RECORD_HASH_MISMATCH,
                record,
                f"audit record {record.seq} hash mismatch: the record was edited",
            )
        if payload_sha256(record.payload) != record.payload_sha256:
            return _problem(
                AuditProblemKind.PAYLOAD_HASH_MISMATCH,
                record,
                f"audit record {record.seq} payload does not match its hash: the record was edited",
            )
        previous = record
    return None


def _describe_value_change(stored: Any, current: Any) -> str:
    """Name every field that differs, e.g. ``geometry and detail changed``."""
    if isinstance(stored, Mapping) and isinstance(current, Mapping):
        changed = [
            key
            for key in sorted(set(stored) | set(current))
            if stored.get(key) != current.get(key)
        ]
        if len(changed) == 1:
            return f"{changed[0]} changed"
        if changed:
            return f"{', '.join(changed[:-1])} and {changed[-1]} changed"
    return "changed"


def _keyed(items: list[Any], key: str) -> dict[Any, Any]:
    return {
        item.get(key) if isinstance(item, Mapping) else index: item
        for index, item in enumerate(items)
    }


def describe_turn_change(stored: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    """Name every difference between a turn's recorded and current payloads."""
    changes: list[str] = []
    if stored.get("turn") != current.get("turn"):
        changes.append(_describe_value_change(stored.get("turn"), current.get("turn")))
    for section, label, key in _TURN_SECTIONS:
        before = _keyed(list(stored.get(section) or []), key)
        after = _keyed(list(current.get(section) or []), key)
        for item_key in sorted(set(before) | set(after), key=str):
            if item_key not in after:
                changes.append(f"{label} {item_key} missing")
            elif item_key not in before:
                changes.append(f"{label} {item_key} added without an audit record")
            elif before[item_key] != after[item_key]:
                change = _describe_value_change(before[item_key], after[item_key])
                changes.append(f"{label} {item_key} {change}")
    return "; ".join(changes) or "changed"


def describe_change(
    entity_type: str, stored: Mapping[str, Any], current: Mapping[str, Any]
) -> str:
    """Name the first difference between an entity's recorded and current payloads."""
    if entity_type == "turn":
        return describe_turn_change(stored, current)
    return _describe_value_change(stored, current)
