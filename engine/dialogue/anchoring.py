"""Anchoring: the anchors a turn creates, refines or references, and their evidence.

The layer above the question reader: every region, landmark, lesion outline and
measurement line an answer cites is made here, once, and referenced afterwards; the
finding lines every answer shares are worded here too.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from engine.analysis import ImageAnalysis
from engine.anatomy import APPROXIMATE_REGIONS, Region
from engine.anchors import (
    Anchor,
    AnchorKind,
    AnchorStatus,
    AnchorStore,
    AnchorStyle,
)
from engine.backends.base import (
    AnchorBrief,
    BackendReply,
)
from engine.dialogue.facts import (
    film_observations,
    unread_sides,
    with_size_range,
)
from engine.dialogue.phrases import _article, _shape_word, say
from engine.dialogue.query_records import Query
from engine.findings import CHEST_WALL_SHARE, Finding, chest_wall_share
from engine.geometry import Box, Distance, Point, measure
from engine.model import CalibrationSource, Side
from engine.observations import (
    DIFFUSE_REPORT_CONFIDENCE,
    global_observations,
)
from engine.references import (
    PlaceFilter,
)
from engine.wording import (
    KIND_SHORT,
    POSSIBLE,
    cite,
    confidence_phrase,
    distance_phrase,
    is_weak,
    kind_phrase,
    location_phrase,
    size_phrase,
    threshold_owner,
    zone_phrase,
)
from kernel import Geometry, Language
from ontology import (
    ItemResult,
    Observation,
    Vocabulary,
)

# Focal findings are reported at the detector's own threshold (ImageAnalysis.
# focal_report_score); at most this many findings are listed in one answer.
MAX_REPORTED = 6
# A focal candidate the detector described but scored under the report threshold is
# named only where a reader asks about its place, the most suspicious spot, or whether
# the film is clear, and only from half the threshold up: the scores are calibrated, so
# such a candidate is at least half as likely to be real as one at the threshold, while
# the long tail below (most of a normal film's candidates) stays unsaid.
NEAR_THRESHOLD_FRACTION = 0.5
# Such candidates are said to lie "just under" the threshold only from this fraction of
# it up (0.16 against 0.20): a 0.12 is named, but as "under" it, since "just under"
# would tell the reader it nearly made the list when it scored little more than half.
JUST_UNDER_FRACTION = 0.8


_PENDING = "@"  # marks evidence named by region or finding id, not yet an anchor


def _short_label(d: Distance) -> str:
    if d.value_mm is None:
        return f"{d.value_px:.0f} px"
    prefix = "≈" if d.is_estimate else ""
    return f"{prefix}{d.value_mm / 10:.1f}cm"


def _size(f: Finding) -> tuple[float, float] | None:
    if f.long_axis_mm is None or f.short_axis_mm is None:
        return None
    return (f.long_axis_mm, f.short_axis_mm)


def _size_attributes(f: Finding) -> dict[str, Any]:
    """What a reader needs to weigh the size: its interval, or the estimate and its error.

    Without them a table shows a bare "18 mm" (or nothing on a film without spacing), and
    a reader cannot tell a measured size from one estimated at ±15 %.
    """
    if f.size_estimate is not None:
        e = f.size_estimate
        return {
            "size_estimate_mm": [e.long_axis_mm, e.short_axis_mm],
            "relative_error": e.relative_error,
        }
    if f.diameter_interval_mm is not None:
        return {"size_interval_mm": list(f.diameter_interval_mm)}
    return {}


class Anchoring:
    """Creates and references anchors, and words the finding lines every answer shares."""

    # Set by Conversation.__init__; declared here for the layers above.
    analysis: ImageAnalysis
    vocabulary: Vocabulary
    anchors: AnchorStore
    listing: list[str]
    _query: Query | None
    _parts: list[Query]  # the parts of the question being answered (compound.py)

    # -- shared helpers ------------------------------------------------------------
    def report_threshold(self, f: Finding) -> float:
        """The score a finding of this kind must reach to be reported."""
        if f.is_focal:
            return self.analysis.focal_report_score
        return DIFFUSE_REPORT_CONFIDENCE

    def reportable(self) -> list[Finding]:
        out = [
            f
            for f in self.analysis.findings
            if f.confidence >= self.report_threshold(f)
        ]
        return out[:MAX_REPORTED]

    def near_threshold(self) -> list[Finding]:
        """Described focal findings just under the report threshold, strongest first.

        Not on a side whose lung field was not outlined: the read says that side was not
        assessed, and a weak candidate's place there ("behind the heart") rests on the
        outline that is missing (a skin electrode on a child's AP film was one).
        """
        report = self.analysis.focal_report_score
        unread = set(unread_sides(self.analysis))
        near = [
            f
            for f in self.analysis.findings
            if f.is_focal
            and NEAR_THRESHOLD_FRACTION * report <= f.confidence < report
            and f.location.side.value not in unread
        ]
        kept: list[Finding] = []
        for f in sorted(near, key=lambda f: -f.confidence):
            # two proposals whose centres lie within one diameter outline one opacity
            if not any(
                math.dist(f.center, k.center) < max(f.long_axis_px, k.long_axis_px)
                for k in kept
            ):
                kept.append(f)
        return kept

    def _near_threshold_lines(
        self,
        found: list[Finding],
        intro: str,
        lang: Language,
        index: int,
        cited: list[str],
        **fields: str,
    ) -> list[str]:
        """What was not reported but lies just under the threshold, anchored to be seen."""
        if not found:
            return []
        lines = [
            say(
                intro,
                lang,
                threshold=self.analysis.focal_report_score,
                under=self._under_words(found, lang),
                whose=threshold_owner(True, lang),
                **fields,
            )
        ]
        for f in found[:MAX_REPORTED]:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
        return lines

    def _under_words(self, found: list[Finding], lang: Language) -> str:
        """'just under' the threshold when every named candidate is close to it, else 'under'."""
        report = self.analysis.focal_report_score
        close = all(
            f.confidence >= JUST_UNDER_FRACTION * report for f in found[:MAX_REPORTED]
        )
        return say("under_just" if close else "under_plain", lang)

    def _finding_label(self, f: Finding, lang: Language) -> str:
        zone = zone_phrase(f.location.side, f.location.zone, lang)
        label = say("finding_label", lang, zone=zone, kind=KIND_SHORT[lang][f.kind])
        if f.confidence < self.report_threshold(f):
            # a candidate named under the threshold keeps that on the overlay and in
            # every list its label appears in, so a reviewer never takes it for a finding
            label += say("label_below_threshold", lang)
        return label

    def _screening_anchor(self, f: Finding, index: int) -> Anchor:
        """The broad first-pass region of a finding (created once, then referenced)."""
        existing = self.anchors.latest_for_finding(f.id)
        if existing is not None:
            return self.anchors.reference(existing.id, index)
        box = f.bbox
        pad = max(box.width, box.height) * 0.35 + 4
        broad = Box(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad).clipped(
            self.analysis.shape[1] - 1, self.analysis.shape[0] - 1
        )
        return self.anchors.add(
            Anchor(
                id=self.anchors.next_id(),
                kind=AnchorKind.FINDING,
                label_en=self._finding_label(f, Language.EN),
                label_zh=self._finding_label(f, Language.ZH),
                geometry=Geometry.from_box(broad),
                style=AnchorStyle.SCREENING,
                turn_index=index,
                side=f.location.side,
                zone=None if f.location.zone is None else f.location.zone.value,
                band=None if f.location.band is None else f.location.band.value,
                lobe=None if f.location.lobe is None else f.location.lobe.value,
                finding_id=f.id,
                confidence=f.confidence,
                size_mm=_size(f),
                attributes={"center": list(f.center), **_size_attributes(f)},
            )
        )

    def _contour_anchor(self, f: Finding, index: int) -> Anchor:
        """The refined outline of a focal finding, with notch and spicule marks.

        A finding that has an anchor already is refined in place (same id), so a
        lesion keeps one name however often it is described.
        """
        latest = self.anchors.latest_for_finding(f.id)
        if latest is not None and latest.style is AnchorStyle.CONTOUR:
            return self.anchors.reference(latest.id, index)
        geometry = (
            Geometry.polygon(f.contour)
            if len(f.contour) >= 3
            else Geometry.from_box(f.bbox)
        )
        margin = f.margin
        attributes: dict[str, Any] = {"center": list(f.center), **_size_attributes(f)}
        if margin is not None:
            attributes["notches"] = [
                {"clock": n.clock, "depth_mm": n.depth_mm} for n in margin.notches
            ]
            attributes["spicules"] = [
                {"clock": s.clock, "length_mm": s.length_mm, "tip": list(s.tip)}
                for s in margin.spicules
            ]
        anchor = Anchor(
            id=self.anchors.next_id() if latest is None else latest.id,
            kind=AnchorKind.FINDING,
            # the outline is the anchor's style, not part of its name: the label is
            # what readers see in answers ("A1: nodule, right upper zone")
            label_en=self._finding_label(f, Language.EN),
            label_zh=self._finding_label(f, Language.ZH),
            geometry=geometry,
            style=AnchorStyle.CONTOUR,
            turn_index=index,
            side=f.location.side,
            zone=None if f.location.zone is None else f.location.zone.value,
            band=None if f.location.band is None else f.location.band.value,
            lobe=None if f.location.lobe is None else f.location.lobe.value,
            finding_id=f.id,
            parent_ids=() if latest is None else latest.parent_ids,
            confidence=f.confidence,
            size_mm=_size(f),
            attributes=attributes,
        )
        if latest is not None:
            return self.anchors.refine(anchor)
        return self.anchors.add(anchor, AnchorStatus.CREATED)

    def _landmark_anchor(self, name: str, index: int) -> Anchor | None:
        """A landmark such as a hilum: created once, referenced afterwards."""
        for a in self.anchors.all():
            if a.kind is AnchorKind.LANDMARK and a.region == name:
                return self.anchors.reference(a.id, index)
        point = self.analysis.anatomy.landmarks.get(name)
        if point is None:
            return None
        term = self.vocabulary.find_anatomy(name)
        side = (
            Side.RIGHT
            if name.startswith("right")
            else Side.LEFT
            if name.startswith("left")
            else None
        )
        attributes: dict[str, Any] = {"center": list(point)}
        region = Region(name) if name in Region.__members__.values() else None
        if region is not None:
            polygon = self.analysis.anatomy.polygon(region)
            if len(polygon) >= 3:
                attributes["region_polygon"] = [
                    [round(x, 1), round(y, 1)] for x, y in polygon
                ]
        return self.anchors.add(
            Anchor(
                id=self.anchors.next_id(),
                kind=AnchorKind.LANDMARK,
                label_en=term.name_en if term else name.replace("_", " "),
                label_zh=term.name_zh if term else name,
                geometry=Geometry.point(point),
                style=AnchorStyle.POINT,
                turn_index=index,
                side=side,
                region=name,
                confidence=round(self.analysis.anatomy.landmark_confidence(name), 2),
                attributes=attributes,
            )
        )

    def _region_anchor(self, region: Region, index: int) -> Anchor | None:
        for a in self.anchors.all():
            if a.kind is AnchorKind.REGION and a.region == region.value:
                return self.anchors.reference(a.id, index)
        polygon = self.analysis.anatomy.polygon(region)
        if len(polygon) < 3:
            return None
        term = self.vocabulary.find_anatomy(region.value)
        side = (
            Side.RIGHT
            if region.value.startswith("right")
            else Side.LEFT
            if region.value.startswith("left")
            else Side.MIDLINE
        )
        approx = region in APPROXIMATE_REGIONS
        label_en = (term.name_en if term else region.value) + (
            " (projected, approximate)" if approx else ""
        )
        label_zh = (term.name_zh if term else region.value) + (
            "（投影估计）" if approx else ""
        )
        return self.anchors.add(
            Anchor(
                id=self.anchors.next_id(),
                kind=AnchorKind.REGION,
                label_en=label_en,
                label_zh=label_zh,
                geometry=Geometry.polygon(polygon),
                style=AnchorStyle.REGION,
                turn_index=index,
                side=side,
                region=region.value,
                confidence=None
                if (c := self.analysis.anatomy.region_confidence(region)) is None
                else round(c, 2),
            )
        )

    def _add_drawn(self, box: Box, label: str | None, index: int) -> Anchor:
        rows, cols = self.analysis.shape
        clipped = box.clipped(cols - 1, rows - 1)
        if clipped.width < 2 or clipped.height < 2:
            raise ValueError(
                f"the drawn box {box.as_list()} lies outside the {cols}x{rows} image or is too small; draw it again"
            )
        location = self.analysis.anatomy.locate(clipped.center)
        return self.anchors.add(
            Anchor(
                id=self.anchors.next_id(),
                kind=AnchorKind.USER_DRAWN,
                label_en=label or "reader's region",
                label_zh=label or "阅片者标注区域",
                geometry=Geometry.from_box(clipped),
                style=AnchorStyle.USER_BOX,
                turn_index=index,
                side=location.side,
                zone=None if location.zone is None else location.zone.value,
                band=None if location.band is None else location.band.value,
            )
        )

    def _anchor_for_finding(self, f: Finding, index: int) -> Anchor:
        latest = self.anchors.latest_for_finding(f.id)
        if latest is not None:
            return self.anchors.reference(latest.id, index)
        return self._screening_anchor(f, index)

    def _brief(self, a: Anchor) -> AnchorBrief:
        numbers: list[str] = []
        if a.size_mm:
            numbers.append(f"size {a.size_mm[0]:.1f} x {a.size_mm[1]:.1f} mm")
        if "value_mm" in a.attributes and a.attributes["value_mm"] is not None:
            # The model repeats what it is given: an estimate must reach it as one.
            estimate = (
                a.attributes.get("calibration") == CalibrationSource.ESTIMATED.value
            )
            numbers.append(
                f"{a.attributes['value_mm'] / 10:.1f} cm"
                + (" (estimated from typical anatomy, ±15%)" if estimate else "")
            )
        loc = " ".join(
            v
            for v in (
                a.side.value if a.side else "",
                a.zone or "",
                "zone" if a.zone else "",
                a.band or "",
                "band" if a.band else "",
            )
            if v
        )
        box = a.bbox.at_least(1.0)
        return AnchorBrief(
            id=a.id,
            kind=a.kind.value,
            label=a.label_en,
            location=loc,
            numbers=tuple(numbers),
            bbox_px=(box.x0, box.y0, box.x1, box.y1),
        )

    def _measure(self, a: Point, b: Point) -> Distance:
        return measure(
            a,
            b,
            self.analysis.calibration,
            estimate=self.analysis.estimated_calibration,
        )

    def _measurement_anchor(
        self,
        a: Anchor,
        b: Anchor,
        p: Point,
        q: Point,
        distance: Distance,
        index: int,
        *,
        kind: str,
        style: AnchorStyle,
    ) -> Anchor:
        label_en = distance_phrase(distance, Language.EN)
        label_zh = distance_phrase(distance, Language.ZH)
        short = _short_label(distance)
        return self.anchors.add(
            Anchor(
                id=self.anchors.next_id(),
                kind=AnchorKind.MEASUREMENT,
                label_en=f"{kind.replace('_', ' ')}: {label_en}",
                label_zh=f"{'中心-肺门距离' if kind == 'center_to_hilum' else '间隙'}：{label_zh}",
                geometry=Geometry.line(p, q),
                style=style,
                turn_index=index,
                parent_ids=(a.id, b.id),
                attributes={
                    "label": short,
                    "value_mm": distance.value_mm,
                    "value_px": round(distance.value_px, 1),
                    "calibration": distance.calibration.value,
                    "measurement": kind,
                    "text_en": label_en,
                    "text_zh": label_zh,
                },
            )
        )

    def _corridor_anchor(
        self, a: Anchor, b: Anchor, p: Point, q: Point, index: int
    ) -> Anchor:
        """The path between lesion and hilum, hatched on the overlay: 'not connected'."""
        half = max(
            4.0,
            0.02 * (self.analysis.anatomy.thoracic_width_px or self.analysis.shape[1]),
        )
        dx, dy = q[0] - p[0], q[1] - p[1]
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length * half, dx / length * half
        polygon = [
            (p[0] + nx, p[1] + ny),
            (q[0] + nx, q[1] + ny),
            (q[0] - nx, q[1] - ny),
            (p[0] - nx, p[1] - ny),
        ]
        return self.anchors.add(
            Anchor(
                id=self.anchors.next_id(),
                kind=AnchorKind.REGION,
                label_en="no connecting strand",
                label_zh="未见连接",
                geometry=Geometry.polygon(polygon),
                style=AnchorStyle.NOT_CONNECTED,
                turn_index=index,
                parent_ids=(a.id, b.id),
            )
        )

    def _film_observations(self) -> list[Observation]:
        """Whole-film observations whose evidence is named ("@heart") but not yet anchored.

        Only evidence that an answer cites becomes an anchor (`_with_anchors`): a lung
        cancer checklist should not leave heart and costophrenic-angle anchors on the film.
        """
        return film_observations(
            self.analysis,
            global_observations(
                self.analysis,
                lambda name: _PENDING + name,
                focal_report_threshold=self.analysis.focal_report_score,
            ),
        )

    def _with_anchors(self, item: ItemResult, index: int) -> ItemResult:
        """The item with its pending evidence turned into anchors of this turn."""
        ids = [
            self._evidence_anchor(e[len(_PENDING) :], index)
            if e.startswith(_PENDING)
            else e
            for e in item.evidence_anchor_ids
        ]
        return replace(
            item, evidence_anchor_ids=tuple(dict.fromkeys(i for i in ids if i))
        )

    def _evidence_anchor(self, name: str, index: int) -> str | None:
        """An anchor for a finding id or region name, creating a region anchor if needed."""
        f = self.analysis.finding(name)
        if f is not None:
            return self._anchor_for_finding(f, index).id
        if name in Region.__members__.values():
            anchor = self._region_anchor(Region(name), index)
            return None if anchor is None else anchor.id
        return None

    def _check_model_boxes(
        self, reply: BackendReply, index: int, lang: Language
    ) -> list[str]:
        """Keep model-proposed boxes as anchors, flagging any that contradict the anatomy map."""
        warnings = []
        for mb in reply.boxes:
            location = self.analysis.anatomy.locate(mb.box.center)
            named = self.vocabulary.find_anatomy_in_text(mb.label)
            sides = {
                m.side.value
                for m in named
                if m.side is not None and m.side.value != "midline"
            }
            label = mb.label.lower()
            if not sides:
                sides = (
                    {"right"}
                    if "right" in label or "右" in label
                    else {"left"}
                    if "left" in label or "左" in label
                    else set()
                )
            claimed = Side(sides.pop()) if len(sides) == 1 else None
            mismatch = claimed is not None and location.side not in (
                claimed,
                Side.MIDLINE,
            )
            # Only a named zone is checked (its level: the side has its own check); lobes
            # project over several zones on a PA film.
            levels = {m.level for m in named if m.kind.value == "zone" and m.level}
            actual_zone = location.zone_region
            zone_mismatch = (
                bool(levels)
                and location.zone is not None
                and location.zone.value not in levels
            )
            anchor = self.anchors.add(
                Anchor(
                    id=self.anchors.next_id(),
                    kind=AnchorKind.REGION,
                    label_en=f"model box: {mb.label}",
                    label_zh=f"模型框：{mb.label}",
                    geometry=Geometry.from_box(mb.box),
                    style=AnchorStyle.MODEL_BOX,
                    turn_index=index,
                    side=location.side,
                    zone=None if location.zone is None else location.zone.value,
                    attributes={
                        "source": mb.source,
                        "side_mismatch": mismatch,
                        "zone_mismatch": zone_mismatch,
                    },
                )
            )
            if mismatch:
                warnings.append(
                    f"{anchor.id}: the model labelled a box '{mb.label}' but it lies on the patient's "
                    f"{location.side.value} side on the anatomy map; treat it as unreliable"
                )
            elif zone_mismatch and actual_zone is not None:
                warnings.append(
                    f"{anchor.id}: the model labelled a box '{mb.label}' but it lies in the "
                    f"{actual_zone.value.replace('_', ' ')} on the anatomy map; treat it as unreliable"
                )
        return warnings

    def _is_weak(self, f: Finding) -> bool:
        """A focal finding only just above the detector's report threshold."""
        return f.is_focal and is_weak(f.confidence, self.analysis.focal_report_score)

    def _confidence_words(self, f: Finding, lang: Language) -> str:
        threshold: float | None = self.report_threshold(f)
        if not f.is_focal and f.confidence >= DIFFUSE_REPORT_CONFIDENCE:
            # a reported larger opacity reads without a threshold; one under it says so,
            # as a focal candidate does, wherever it is named (a drawn box)
            threshold = None
        return confidence_phrase(f.confidence, lang, threshold, focal=f.is_focal)

    def _chest_wall_line(self, f: Finding, a: str, lang: Language) -> list[str]:
        """A larger opacity along the chest wall may not be lung at all; say so."""
        share = self._chest_wall_share(f)
        if share is None:
            return []
        return [say("along_chest_wall", lang, a=a, share=share)]

    def _chest_wall_share(self, f: Finding) -> float | None:
        """A larger opacity's share of outline along the chest wall, when high enough."""
        if f.is_focal:
            return None  # a focal finding has its own pleural-contact line
        share = chest_wall_share(
            f.contour, self.analysis.anatomy, self.analysis.calibration.mean_mm
        )
        if share is None or share < CHEST_WALL_SHARE:
            return None
        return share

    def _finding_line(self, f: Finding, anchor: Anchor, lang: Language) -> str:
        kind = kind_phrase(f.kind, lang)
        fields = {
            "a": cite([anchor.id]),
            "where": location_phrase(f.location, lang),
            # the interval the size answer and the checklist give (facts.py)
            "size": with_size_range(size_phrase(f, lang), f, None, lang, inline=True),
            "conf": self._confidence_words(f, lang),
            "kind": kind,
        }
        return self._finding_sentence(f, lang, "finding_line", fields)

    def _finding_sentence(
        self, f: Finding, lang: Language, template: str, fields: dict[str, str]
    ) -> str:
        """``template``'s focal or extent wording of a finding, with ``fields`` filled in.

        A focal finding is described by its shape, and a weak detection is not stated as
        seen ("可疑" / "possible"); a diffuse one by the share of the lung it covers.
        """
        if not f.is_focal:
            return say(
                f"{template}_extent",
                lang,
                extent=f.lung_fraction or 0.0,
                article=_article(fields["kind"]),
                **fields,
            )
        hedge = POSSIBLE[lang] if self._is_weak(f) else ""
        shape = _shape_word(f, lang)
        described = " ".join(w for w in (hedge, shape) if w)
        return say(
            f"{template}_focal",
            lang,
            hedge=hedge,
            shape=shape,
            described=described,
            article=_article(described),
            **fields,
        )

    def _anchor_summary_line(
        self, anchor: Anchor, lang: Language, *, sized: bool = True
    ) -> str:
        """What one anchor shows, for a side-by-side: a finding's place, size and confidence.

        Unsized where the answer's own size line says the size (one size line an answer).
        """
        f = self.analysis.finding(anchor.finding_id) if anchor.finding_id else None
        if f is None:
            return f"{cite([anchor.id])} {anchor.label(lang)}"
        where = location_phrase(f.location, lang)
        size = size_phrase(f, lang)
        conf = self._confidence_words(f, lang)
        hedge = POSSIBLE[lang] if self._is_weak(f) else ""
        kind = KIND_SHORT[lang][f.kind]
        return say(
            "anchor_summary" if sized else "anchor_summary_unsized",
            lang,
            a=cite([anchor.id]),
            hedge=hedge,
            kind=kind,
            what=" ".join(w for w in (hedge, kind) if w),
            where=where,
            size=size,
            conf=conf,
        )

    def _place_words(self, place: PlaceFilter | None, lang: Language) -> str:
        if place is None or not place:
            return say("place_film", lang)
        lobe = None
        if place.lobe is not None:
            term = self.vocabulary.find_anatomy(place.lobe)
            lobe = None if term is None else term.name(lang)
        return place.words(lang, lobe)

    def _where(self, place: PlaceFilter, lang: Language) -> str:
        if not place:
            return say("where_film", lang)
        # "in both lungs", not "in the both lungs"
        whole = place.side == "both" and not (place.zone or place.band or place.lobe)
        name = "where_both_lungs" if whole else "where_place"
        return say(name, lang, words=self._place_words(place, lang))


__all__ = ["Anchoring"]
