"""Turn writes: check them against the conversation so far and place their rows.

Pure functions: ``CaseStore.append_turn`` reads the next index and the known anchor ids in
its transaction, calls ``place_turn`` and inserts what it returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cases.errors import InvalidRecord, WriteConflict
from cases.model import (
    Anchor,
    AnchorEvent,
    AnchorStatus,
    JsonObject,
    Measurement,
    SignMatch,
    Turn,
    TurnDetail,
    TurnWrite,
    canonical_json,
    payload,
    utc_now,
)


def check_turn_index(write: TurnWrite, next_index: int) -> None:
    """Accept only the conversation's next turn index.

    Raises:
        WriteConflict: the turn was already written (turns are never rewritten).
        InvalidRecord: the index skips a turn.
    """
    conversation_id, index = write.conversation_id, write.index
    if index < next_index:
        raise WriteConflict(
            f"turn {index} of conversation {conversation_id} is already stored (turns are never "
            "rewritten; a correction is a new turn); reload the conversation"
        )
    if index > next_index:
        raise InvalidRecord(
            f"turn {index} of conversation {conversation_id} skips turn {next_index}"
        )


def place_turn(write: TurnWrite, *, known_anchor_ids: set[str]) -> TurnDetail:
    """Check a turn's anchor references and return the rows it writes.

    Args:
        write: the turn to store.
        known_anchor_ids: anchor ids that earlier turns of the conversation created.

    Raises:
        InvalidRecord: an anchor, parent, reference, measurement end or evidence id does
            not resolve, or a created id already exists.
    """
    conversation_id, index = write.conversation_id, write.index
    known = known_anchor_ids
    written = {a.anchor_id for a in write.anchors}
    _check_anchor_writes(write, known)
    live = known | written
    for ref in write.referenced_anchor_ids:
        if ref not in known:
            raise InvalidRecord(
                f"turn {index} references anchor {ref}, which no earlier turn created"
            )
        if ref in written:
            raise InvalidRecord(
                f"turn {index} both writes and references anchor {ref}; list it once"
            )
    for m in write.measurements:
        for anchor_id in (m.from_anchor, m.to_anchor):
            if anchor_id is not None and anchor_id not in live:
                raise InvalidRecord(
                    f"turn {index} measurement {m.kind} uses unknown anchor {anchor_id}"
                )
    for s in write.sign_matches:
        unknown = sorted(set(s.evidence_anchor_ids) - live)
        if unknown:
            raise InvalidRecord(
                f"turn {index} sign {s.sign_code} cites unknown anchors {', '.join(unknown)}"
            )
    turn = Turn(
        conversation_id=conversation_id,
        index=index,
        question=write.question,
        language=write.language,
        intent=write.intent,
        answer_text=write.answer_text,
        answer_json=json_object(write.answer_json, "answer_json"),
        raw_output=write.raw_output,
        latency_ms=float(write.latency_ms),
        actor=write.actor,
        created_at=utc_now(),
    )
    anchors = tuple(Anchor.from_write(a, conversation_id, index) for a in write.anchors)
    events = tuple(
        [
            AnchorEvent(
                conversation_id=conversation_id,
                turn_index=index,
                anchor_id=a.anchor_id,
                status=a.status,
            )
            for a in write.anchors
        ]
        + [
            AnchorEvent(
                conversation_id=conversation_id,
                turn_index=index,
                anchor_id=r,
                status=AnchorStatus.REFERENCED,
            )
            for r in dict.fromkeys(write.referenced_anchor_ids)
        ]
    )
    measurements = tuple(
        Measurement.from_write(m, conversation_id, index, i)
        for i, m in enumerate(write.measurements)
    )
    for measurement in measurements:
        json_object(measurement.detail, "measurement detail")
    signs = tuple(
        SignMatch.from_write(s, conversation_id, index, i)
        for i, s in enumerate(write.sign_matches)
    )
    return TurnDetail(
        turn=turn,
        anchors=anchors,
        anchor_events=events,
        measurements=measurements,
        sign_matches=signs,
    )


def json_object(value: Mapping[str, Any], name: str) -> JsonObject:
    """Return a plain JSON copy of ``value``, refusing what JSON cannot hold."""
    try:
        return dict(json.loads(canonical_json(dict(value))))
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(
            f"{name} must be JSON-serialisable without NaN: {exc}"
        ) from exc


def anchor_order(anchor_id: str) -> tuple[int, str]:
    digits = anchor_id.lstrip("Aa#")
    return (int(digits), anchor_id) if digits.isdigit() else (1 << 30, anchor_id)


def _check_anchor_writes(write: TurnWrite, known: set[str]) -> None:
    """Check created/refined anchors and their parents against the known anchor ids."""
    written = {a.anchor_id for a in write.anchors}
    for anchor in write.anchors:
        if anchor.status is AnchorStatus.CREATED and anchor.anchor_id in known:
            raise InvalidRecord(
                f"turn {write.index} creates anchor {anchor.anchor_id}, which already exists; "
                "write a refinement (status refined) or use a new id"
            )
        if (
            anchor.status is AnchorStatus.REFINED
            and anchor.anchor_id not in known
            and not anchor.parent_ids
        ):
            raise InvalidRecord(
                f"turn {write.index} refines anchor {anchor.anchor_id}, which does not exist and names no parent"
            )
        for parent in anchor.parent_ids:
            if parent == anchor.anchor_id and anchor.anchor_id not in known:
                raise InvalidRecord(
                    f"anchor {anchor.anchor_id} cannot be its own parent"
                )
            if parent not in known and parent not in written:
                raise InvalidRecord(
                    f"anchor {anchor.anchor_id} names unknown parent {parent}"
                )


def turn_entity_id(conversation_id: int, turn_index: int) -> str:
    return f"{conversation_id}/{turn_index}"


def turn_payload(detail: TurnDetail) -> JsonObject:
    return {
        "turn": payload(detail.turn),
        "anchors": [
            payload(a) for a in sorted(detail.anchors, key=lambda a: a.anchor_id)
        ],
        "anchor_events": [
            payload(e) for e in sorted(detail.anchor_events, key=lambda e: e.anchor_id)
        ],
        "measurements": [
            payload(m) for m in sorted(detail.measurements, key=lambda m: m.index)
        ],
        "sign_matches": [
            payload(s) for s in sorted(detail.sign_matches, key=lambda s: s.index)
        ],
    }
