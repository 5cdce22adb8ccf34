"""Engine results as case-store records and back: turns, anchors and their geometry.

The engine and the case store share their value types (``kernel``, the geometry
included); what remains to map is the engine's anchor onto the store's typed columns, and
back for replay and resume. Every field round-trips (tests/services/test_workflows.py).
"""

from __future__ import annotations

import cases
from engine.anchors import Anchor, AnchorKind, AnchorStatus, AnchorStyle
from engine.dialogue import TurnResult
from kernel import Language, Side


def turn_write(result: TurnResult, conversation_id: int, actor: str) -> cases.TurnWrite:
    """Map an engine turn to the store's write record (turn numbers as the engine gives them)."""
    events = {e.anchor_id: e.status for e in result.events}
    new = [
        a
        for a in result.anchors
        if events.get(a.id) in (AnchorStatus.CREATED, AnchorStatus.REFINED)
    ]
    referenced = tuple(a for a, s in events.items() if s is AnchorStatus.REFERENCED)
    answer = result.to_json()
    answer.pop("anchors", None)  # stored as anchor rows
    answer.pop("scorecard", None)  # stored as sign-match rows
    answer["parameters"] = result.parameters
    return cases.TurnWrite(
        conversation_id=cases.ConversationId(conversation_id),
        index=result.index,
        question=result.question,
        language=Language(result.language),
        intent=result.intent.value,
        answer_text=result.answer_text,
        answer_json=answer,
        raw_output=result.raw_output,
        latency_ms=round(result.latency_ms, 3),
        actor=actor,
        anchors=tuple(anchor_write(a, events[a.id]) for a in new),
        referenced_anchor_ids=tuple(cases.AnchorId(a) for a in referenced),
        measurements=tuple(
            cases.MeasurementWrite(
                kind=m.kind,
                from_anchor=cases.AnchorId(m.from_anchor),
                to_anchor=None if m.to_anchor is None else cases.AnchorId(m.to_anchor),
                value_mm=m.value_mm,
                value_px=round(m.value_px, 3),
                calibration=m.calibration,
                detail={"label": m.label, "relative_error": m.relative_error},
            )
            for m in result.measurements
        ),
        sign_matches=()
        if result.scorecard is None
        else tuple(
            cases.SignMatchWrite(
                profile_id=result.scorecard.profile_id,
                profile_version=result.scorecard.profile_version,
                profile_name_en=result.scorecard.name_en,
                profile_name_zh=result.scorecard.name_zh,
                sign_code=str(item.sign_code),
                name_en=item.name_en,
                name_zh=item.name_zh,
                item_group=item.group.value,
                status=item.status,
                evidence_anchor_ids=tuple(
                    cases.AnchorId(a) for a in item.evidence_anchor_ids
                ),
                reason=item.reason_en,
                reason_zh=item.reason_zh,
            )
            for item in result.scorecard.items
        ),
    )


def anchor_write(anchor: Anchor, status: AnchorStatus) -> cases.AnchorWrite:
    """Map an engine anchor to the store's record: one typed column per field."""
    return cases.AnchorWrite(
        anchor_id=cases.AnchorId(anchor.id),
        status=status,
        kind=anchor.kind,
        label=anchor.label_en,
        label_zh=anchor.label_zh,
        geometry=anchor.geometry,
        location=anchor.region or _zone_region(anchor),
        region=anchor.region,
        side=anchor.side,
        zone=anchor.zone,
        band=anchor.band,
        lobe=anchor.lobe,
        finding_id=anchor.finding_id,
        parent_ids=tuple(cases.AnchorId(p) for p in anchor.parent_ids),
        confidence=anchor.confidence,
        style=anchor.style.value,
        size_mm=anchor.size_mm,
        attributes=anchor.attributes,
    )


def _zone_region(anchor: Anchor) -> str | None:
    if anchor.side in (Side.RIGHT, Side.LEFT) and anchor.zone:
        return f"{anchor.side.value}_{anchor.zone}_zone"
    return None


# How an anchor stored before 0003 (without its overlay style) is drawn.
_DEFAULT_STYLE = {
    AnchorKind.FINDING: AnchorStyle.SCREENING,
    AnchorKind.LANDMARK: AnchorStyle.POINT,
    AnchorKind.MEASUREMENT: AnchorStyle.DISTANCE,
    AnchorKind.USER_DRAWN: AnchorStyle.USER_BOX,
}


def engine_anchor(stored: cases.Anchor) -> Anchor:
    """A stored anchor as the engine and the overlay see it, from its typed columns."""
    style = (
        AnchorStyle(stored.style)
        if stored.style
        else _DEFAULT_STYLE.get(stored.kind, AnchorStyle.REGION)
    )
    return Anchor(
        id=stored.anchor_id,
        kind=stored.kind,
        label_en=stored.label,
        label_zh=stored.label if stored.label_zh is None else stored.label_zh,
        geometry=stored.geometry,
        style=style,
        turn_index=stored.turn_index,
        side=stored.side,
        zone=stored.zone,
        band=stored.band,
        lobe=stored.lobe,
        # Before 0003 only the location was kept; it named the region.
        region=stored.region if stored.style else stored.location,
        finding_id=stored.finding_id,
        parent_ids=tuple(stored.parent_ids),
        confidence=stored.confidence,
        size_mm=stored.size_mm,
        attributes=dict(stored.attributes),
    )
