"""Spatial anchors: every place a conversation talks about, with a stable id.

Ids `A1, A2, ...` are stable for the conversation. An anchor keeps its parents (a turn-2
contour refines a turn-1 screening region; a distance line joins a lesion and a hilum)
and every turn records, per anchor, whether it was created, refined or referenced. The
store only appends: nothing is edited in place, so the overlay after any turn can be
rebuilt exactly from the anchors and events up to that turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.errors import UnknownAnchor
from engine.geometry import geometry_center
from kernel import AnchorKind, AnchorStatus, Box, Geometry, Language, Point, Side


class AnchorStyle(StrEnum):
    """How the overlay draws an anchor (the seed's visual language)."""

    SCREENING = "screening"  # translucent light-blue region, first pass
    CONTOUR = "contour"  # refined lesion outline, with notch and spicule marks
    REGION = "region"  # anatomical region outline
    POINT = "point"  # landmark dot
    DISTANCE = "distance"  # dashed line with its distance label
    GAP = "gap"  # solid line across a gap
    NOT_CONNECTED = "not_connected"  # hatched fill: no connecting strand
    USER_BOX = "user_box"  # a reader's box
    MODEL_BOX = "model_box"  # a box proposed by a language model, checked


@dataclass(frozen=True, slots=True, kw_only=True)
class Anchor:
    """One anchor of a conversation.

    Attributes:
        label_en, label_zh: short names shown on the overlay and in answers.
        geometry: shape in image pixels.
        side, zone, band: location words (patient side; zone upper/middle/lower; band
            inner/middle/outer); None where they do not apply.
        region: the anatomy region id for region/landmark anchors.
        finding_id: the analysis finding it shows (F1, ...), for finding anchors.
        size_mm: long and short axis in mm, when calibrated.
        attributes: display details, e.g. notch clock positions and spicule tips.
    """

    id: str
    kind: AnchorKind
    label_en: str
    label_zh: str
    geometry: Geometry
    style: AnchorStyle
    turn_index: int
    side: Side | None = None
    zone: str | None = None
    band: str | None = None
    lobe: str | None = None
    region: str | None = None
    finding_id: str | None = None
    parent_ids: tuple[str, ...] = ()
    confidence: float | None = None
    size_mm: tuple[float, float] | None = None
    attributes: dict[str, Any] = field(default_factory=dict, compare=False)

    def label(self, lang: Language | str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    @property
    def bbox(self) -> Box:
        return self.geometry.bounding_box()

    @property
    def center(self) -> Point:
        if "center" in self.attributes:
            c = self.attributes["center"]
            return (float(c[0]), float(c[1]))
        return geometry_center(self.geometry)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "label_en": self.label_en,
            "label_zh": self.label_zh,
            "geometry": self.geometry.to_json(),
            "style": self.style.value,
            "turn_index": self.turn_index,
            "side": None if self.side is None else self.side.value,
            "zone": self.zone,
            "band": self.band,
            "lobe": self.lobe,
            "region": self.region,
            "finding_id": self.finding_id,
            "parent_ids": list(self.parent_ids),
            "confidence": self.confidence,
            "size_mm": None if self.size_mm is None else list(self.size_mm),
            "attributes": self.attributes,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Anchor:
        return cls(
            id=d["id"],
            kind=AnchorKind(d["kind"]),
            label_en=d["label_en"],
            label_zh=d["label_zh"],
            geometry=Geometry.from_json(d["geometry"]),
            style=AnchorStyle(d["style"]),
            turn_index=int(d["turn_index"]),
            side=None if d.get("side") is None else Side(d["side"]),
            zone=d.get("zone"),
            band=d.get("band"),
            lobe=d.get("lobe"),
            region=d.get("region"),
            finding_id=d.get("finding_id"),
            parent_ids=tuple(d.get("parent_ids", ())),
            confidence=d.get("confidence"),
            size_mm=None
            if d.get("size_mm") is None
            else (float(d["size_mm"][0]), float(d["size_mm"][1])),
            attributes=dict(d.get("attributes") or {}),
        )


@dataclass(frozen=True, slots=True)
class AnchorEvent:
    """What one turn did with one anchor."""

    turn_index: int
    anchor_id: str
    status: AnchorStatus


class AnchorStore:
    """The anchors of one conversation: ids are never reused; a refinement keeps its id."""

    def __init__(self) -> None:
        self._anchors: dict[str, Anchor] = {}
        self._events: list[AnchorEvent] = []

    def __len__(self) -> int:
        return len(self._anchors)

    def __contains__(self, anchor_id: object) -> bool:
        return anchor_id in self._anchors

    def next_id(self) -> str:
        return f"A{len(self._anchors) + 1}"

    def add(
        self, anchor: Anchor, status: AnchorStatus = AnchorStatus.CREATED
    ) -> Anchor:
        if anchor.id in self._anchors:
            raise ValueError(
                f"anchor {anchor.id} exists already; anchors are never replaced"
            )
        missing = [p for p in anchor.parent_ids if p not in self._anchors]
        if missing:
            raise UnknownAnchor(f"parent anchors {missing} of {anchor.id} do not exist")
        self._anchors[anchor.id] = anchor
        self._events.append(AnchorEvent(anchor.turn_index, anchor.id, status))
        return anchor

    def refine(self, anchor: Anchor) -> Anchor:
        """Replace an anchor by a better version of itself, keeping its id.

        Re-describing a lesion draws its outline on the anchor the reader already
        knows (issue 12 item 3), so "tell me about A2" answers about A2, not a new A3.
        The case store keeps each version by turn, so earlier turns replay unchanged.
        """
        self.get(anchor.id)
        self._anchors[anchor.id] = anchor
        self._events = [
            e
            for e in self._events
            if not (e.turn_index == anchor.turn_index and e.anchor_id == anchor.id)
        ]
        self._events.append(
            AnchorEvent(anchor.turn_index, anchor.id, AnchorStatus.REFINED)
        )
        return anchor

    def reference(self, anchor_id: str, turn_index: int) -> Anchor:
        anchor = self.get(anchor_id)
        if not any(
            e.turn_index == turn_index and e.anchor_id == anchor_id
            for e in self._events
        ):
            self._events.append(
                AnchorEvent(turn_index, anchor_id, AnchorStatus.REFERENCED)
            )
        return anchor

    def get(self, anchor_id: str) -> Anchor:
        try:
            return self._anchors[anchor_id]
        except KeyError:
            known = ", ".join(self._anchors) or "none yet"
            raise UnknownAnchor(
                f"no anchor {anchor_id} in this conversation (anchors: {known})"
            ) from None

    def find(self, anchor_id: str) -> Anchor | None:
        return self._anchors.get(anchor_id)

    def all(self) -> list[Anchor]:
        return list(self._anchors.values())

    def events(self, turn_index: int | None = None) -> list[AnchorEvent]:
        return [
            e for e in self._events if turn_index is None or e.turn_index == turn_index
        ]

    def focus(self, before_turn: int) -> list[Anchor]:
        """Finding anchors touched in the latest turn before `before_turn` that touched any.

        This is what "this lesion" means: the subject of the conversation just now.
        """
        for turn in range(before_turn - 1, 0, -1):
            touched = [
                self._anchors[e.anchor_id] for e in self._events if e.turn_index == turn
            ]
            findings = [
                a
                for a in touched
                if a.kind in (AnchorKind.FINDING, AnchorKind.USER_DRAWN)
            ]
            if findings:
                return _most_specific(findings)
        return []

    def latest_for_finding(self, finding_id: str) -> Anchor | None:
        """The most refined anchor that shows an analysis finding."""
        matches = [
            a
            for a in self._anchors.values()
            if a.finding_id == finding_id and a.kind is AnchorKind.FINDING
        ]
        return matches[-1] if matches else None

    @classmethod
    def restore(cls, anchors: list[Anchor], events: list[AnchorEvent]) -> AnchorStore:
        """Rebuild a store from saved anchors and events (for continuing a conversation)."""
        store = cls()
        for a in sorted(anchors, key=lambda a: int(a.id[1:])):
            store._anchors[a.id] = a
        store._events = list(events)
        return store


def _most_specific(anchors: list[Anchor]) -> list[Anchor]:
    """Drop anchors that a newer anchor in the same list refines (keep the refinement)."""
    parents = {p for a in anchors for p in a.parent_ids}
    seen: set[str] = set()
    out = []
    for a in anchors:
        if a.id in parents or a.id in seen:
            continue
        seen.add(a.id)
        out.append(a)
    # Two anchors of one finding: keep the newest.
    by_finding: dict[str, Anchor] = {}
    rest = []
    for a in out:
        if a.finding_id:
            by_finding[a.finding_id] = a
        else:
            rest.append(a)
    return rest + list(by_finding.values())
