"""Grounded multi-turn dialogue about one radiograph.

`Conversation(analysis).ask(question)` answers from the cached image analysis: it parses
the question, binds its references to anchors, computes every anchor, measurement and
scorecard with geometry code, writes a structured, hedged answer in the question's
language, and lets the backend word it. The numbers never come from a language model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from engine.analysis import ImageAnalysis
from engine.anatomy import APPROXIMATE_REGIONS, Region
from engine.anchors import (
    Anchor,
    AnchorEvent,
    AnchorKind,
    AnchorStatus,
    AnchorStore,
    AnchorStyle,
)
from engine.backends.base import (
    AnchorBrief,
    BackendReply,
    HistoryTurn,
    ModelBackend,
    TurnContext,
)
from engine.backends.embedded import EmbeddedBackend
from engine.findings import Finding, FindingKind
from engine.geometry import Box, Distance, Geometry, Point, measure
from engine.intents import Intent, IntentKind, parse_intent
from engine.model import CalibrationSource, Side
from engine.observations import (
    CPA_BLUNTED_DEG,
    DIFFUSE_REPORT_CONFIDENCE,
    focal_observations,
    global_observations,
)
from engine.references import (
    Binding,
    Outcome,
    Resolution,
    Rule,
    region_fits,
    resolve_subject,
)
from engine.wording import (
    DISCLAIMER,
    KIND_SHORT,
    POSSIBLE,
    cite,
    clock_list,
    confidence_phrase,
    distance_phrase,
    is_weak,
    kind_phrase,
    lobe_phrase,
    location_phrase,
    size_phrase,
    zone_phrase,
)
from ontology import (
    AnatomyMention,
    FleischnerStatus,
    ItemGroup,
    ItemResult,
    MatchStatus,
    Observation,
    Profile,
    Scorecard,
    Sign,
    Unassessable,
    Vocabulary,
    assess,
    load_vocabulary,
    score,
)

# Focal findings are reported at the detector's own threshold (ImageAnalysis.
# focal_report_score); at most this many findings are listed in one answer.
MAX_REPORTED = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One titled block of an answer; `anchor_ids` are the anchors it cites."""

    title: str
    lines: tuple[str, ...]
    anchor_ids: tuple[str, ...] = ()

    def render(self) -> str:
        return "\n".join([self.title, *(f"- {line}" for line in self.lines)])

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "lines": list(self.lines),
            "anchor_ids": list(self.anchor_ids),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """A number computed from anchors, with its provenance."""

    kind: str  # center_to_hilum, edge_gap, center_distance, long_axis, short_axis
    from_anchor: str
    to_anchor: str | None
    value_px: float
    value_mm: float | None
    calibration: CalibrationSource
    relative_error: float | None = None
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "from_anchor": self.from_anchor,
            "to_anchor": self.to_anchor,
            "value_px": round(self.value_px, 1),
            "value_mm": None if self.value_mm is None else round(self.value_mm, 1),
            "calibration": self.calibration.value,
            "relative_error": self.relative_error,
            "label": self.label,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnResult:
    """Everything one turn produced; `anchors` are all anchors live after the turn."""

    index: int
    question: str
    language: str
    intent: IntentKind
    answer_text: str
    sections: tuple[Section, ...]
    anchors: tuple[Anchor, ...]
    events: tuple[AnchorEvent, ...]
    resolved_references: tuple[Binding, ...]
    measurements: tuple[Measurement, ...]
    scorecard: Scorecard | None
    latency_ms: float
    backend: str
    model_id: str
    model_version: str
    parameters: dict[str, Any]
    raw_output: str
    warnings: tuple[str, ...] = ()
    clarification: tuple[str, ...] = ()  # anchor or finding ids offered when ambiguous

    def status_of(self, anchor_id: str) -> AnchorStatus | None:
        return next((e.status for e in self.events if e.anchor_id == anchor_id), None)

    def to_json(self) -> dict[str, Any]:
        """The `casebook ask --json` shape of a turn."""
        return {
            "index": self.index,
            "question": self.question,
            "language": self.language,
            "intent": self.intent.value,
            "answer_text": self.answer_text,
            "sections": [s.to_json() for s in self.sections],
            "anchors": [anchor_summary(a, self.status_of(a.id)) for a in self.anchors],
            "resolved_references": [
                {
                    "phrase": b.phrase,
                    "anchor_id": b.anchor_id,
                    "rule": b.rule.value,
                    "note": b.note,
                }
                for b in self.resolved_references
            ],
            "measurements": [m.to_json() for m in self.measurements],
            "scorecard": None
            if self.scorecard is None
            else scorecard_json(self.scorecard, self.language),
            "latency_ms": round(self.latency_ms, 1),
            "backend": self.backend,
            "model_id": self.model_id,
            "model_version": self.model_version,
            "warnings": list(self.warnings),
            "clarification": list(self.clarification),
        }


def anchor_summary(anchor: Anchor, status: AnchorStatus | None) -> dict[str, Any]:
    # A landmark is a point: clients get the 1-pixel box centred on it (x0 < x1, as
    # docs/architecture.md promises), and the exact point stays in `geometry`.
    box = anchor.bbox.at_least(1.0)
    center = anchor.center
    return {
        "id": anchor.id,
        "kind": anchor.kind.value,
        "label": anchor.label_en,
        "label_zh": anchor.label_zh,
        "side": None if anchor.side is None else anchor.side.value,
        "zone": anchor.zone,
        "band": anchor.band,
        "lobe": anchor.lobe,
        "bbox_px": box.as_list(),
        "center_px": [round(center[0], 1), round(center[1], 1)],
        "size_mm": None
        if anchor.size_mm is None
        else [round(v, 1) for v in anchor.size_mm],
        "parent_ids": list(anchor.parent_ids),
        "status": None if status is None else status.value,
        "style": anchor.style.value,
        "geometry": anchor.geometry.to_json(),
        "finding_id": anchor.finding_id,
        "turn_index": anchor.turn_index,
        "attributes": anchor.attributes,
    }


def scorecard_json(card: Scorecard, lang: str) -> dict[str, Any]:
    return {
        "profile": card.profile_id,
        "profile_version": card.profile_version,
        "name": card.name_zh if lang == "zh" else card.name_en,
        "met": card.met,
        "not_met": card.not_met,
        "not_assessable": card.not_assessable,
        "total": card.total,
        "items": [
            {
                "sign_code": str(item.sign_code),
                "name": item.name(lang),
                "group": item.group.value,
                "status": item.status.value,
                "evidence_anchor_ids": list(item.evidence_anchor_ids),
                "reason": item.reason(lang),
            }
            for item in card.items
        ],
    }


@dataclass
class _Draft:
    """What a handler builds before the backend words it."""

    sections: list[Section] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    scorecard: Scorecard | None = None
    clarification: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    localize_target: str | None = None


class Conversation:
    """One conversation about one analysed image.

    Args:
        analysis: the cached analysis of the image (shared by every turn).
        backend: the model backend that words the answers (embedded by default).
        vocabulary: the sign/anatomy/profile vocabulary (bundled by default).
        image: the presentation-ready pixels, for multimodal backends only.
    """

    def __init__(
        self,
        analysis: ImageAnalysis,
        backend: ModelBackend | None = None,
        vocabulary: Vocabulary | None = None,
        image: Any = None,
    ) -> None:
        self.analysis = analysis
        self.backend: ModelBackend = backend or EmbeddedBackend()
        self.vocabulary = vocabulary or load_vocabulary()
        self.image = image
        self.anchors = AnchorStore()
        self.turns: list[TurnResult] = []  # turns asked in this session
        self.history: list[HistoryTurn] = []  # every turn, restored ones included

    @classmethod
    def restore(
        cls,
        analysis: ImageAnalysis,
        *,
        history: list[HistoryTurn],
        anchors: list[Anchor],
        events: list[AnchorEvent],
        backend: ModelBackend | None = None,
        vocabulary: Vocabulary | None = None,
        image: Any = None,
    ) -> Conversation:
        """Continue a saved conversation: its anchors keep their ids, turns their numbers."""
        conversation = cls(analysis, backend, vocabulary, image)
        conversation.anchors = AnchorStore.restore(anchors, events)
        conversation.history = list(history)
        return conversation

    # -- public --------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        drawn_box: Box | None = None,
        drawn_label: str | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> TurnResult:
        """Answer one question; see the module docstring."""
        started = time.perf_counter()
        question = question.strip()
        if not question:
            raise ValueError("the question is empty; type a question about the image")
        index = len(self.history) + 1
        lang = "zh" if any("\u3400" <= ch <= "\u9fff" for ch in question) else "en"
        signs = self.vocabulary.match_sign_in_text(question)
        profile = self.vocabulary.find_profile_in_text(question)
        mentions = self.vocabulary.find_anatomy_in_text(question)
        intent = parse_intent(
            question,
            has_drawn_region=drawn_box is not None,
            names_sign=bool(signs),
            names_profile=profile is not None,
            names_place=bool(_places(mentions)),
        )
        drawn = (
            self._add_drawn(drawn_box, drawn_label, index)
            if drawn_box is not None
            else None
        )

        handlers: dict[IntentKind, Callable[..., None]] = {
            IntentKind.SCREENING: self._screening,
            IntentKind.LIST: self._list,
            IntentKind.DESCRIBE: self._describe,
            IntentKind.LOCATION: self._location,
            IntentKind.RELATION: self._relation,
            IntentKind.PROFILE: self._profile,
            IntentKind.EXPLAIN_SIGN: self._explain,
            IntentKind.DRAWN_REGION: self._drawn_region,
            IntentKind.PRESENCE: self._presence,
            IntentKind.OUT_OF_SCOPE: self._out_of_scope,
            IntentKind.HELP: self._help,
        }
        handler = handlers[intent.kind]
        draft = _Draft()
        handler(
            draft,
            intent=intent,
            lang=lang,
            index=index,
            mentions=mentions,
            signs=signs,
            profile=profile,
            drawn=drawn,
        )
        draft.sections.append(
            Section(
                title="【提示】" if lang == "zh" else "Note", lines=(DISCLAIMER[lang],)
            )
        )
        text = "\n\n".join(s.render() for s in draft.sections)

        context = TurnContext(
            question=question,
            language=lang,
            intent=intent.kind.value,
            draft=text,
            anchors=tuple(self._brief(a) for a in self.anchors.all()),
            history=tuple(self.history),
            image=self.image,
            image_key=self.analysis.key,
            localize=draft.localize_target is not None,
            localize_target=draft.localize_target,
        )
        reply = self.backend.compose(context, on_text)
        warnings = list(draft.warnings) + list(reply.warnings)
        warnings += self._check_model_boxes(reply, index, lang)
        events = tuple(self.anchors.events(index))
        result = TurnResult(
            index=index,
            question=question,
            language=lang,
            intent=intent.kind,
            answer_text=reply.text,
            sections=tuple(draft.sections),
            anchors=tuple(self.anchors.all()),
            events=events,
            resolved_references=tuple(draft.bindings),
            measurements=tuple(draft.measurements),
            scorecard=draft.scorecard,
            latency_ms=(time.perf_counter() - started) * 1000,
            backend=self.backend.name,
            model_id=self.backend.model_id,
            model_version=self.backend.model_version,
            parameters=dict(reply.parameters),
            raw_output=reply.raw_output,
            warnings=tuple(warnings),
            clarification=tuple(draft.clarification),
        )
        self.turns.append(result)
        self.history.append(HistoryTurn(question=question, answer=reply.text))
        return result

    # -- shared helpers ------------------------------------------------------------
    def reportable(self) -> list[Finding]:
        out = []
        for f in self.analysis.findings:
            threshold = (
                self.analysis.focal_report_score
                if f.is_focal
                else DIFFUSE_REPORT_CONFIDENCE
            )
            if f.confidence >= threshold:
                out.append(f)
        return out[:MAX_REPORTED]

    def _finding_label(self, f: Finding, lang: str) -> str:
        return (
            f"{zone_phrase(f.location.side, f.location.zone, lang)}{KIND_SHORT[lang][f.kind]}"
            if lang == "zh"
            else (
                f"{KIND_SHORT['en'][f.kind]}, {zone_phrase(f.location.side, f.location.zone, 'en')}"
            )
        )

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
                label_en=self._finding_label(f, "en"),
                label_zh=self._finding_label(f, "zh"),
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
                attributes={"center": list(f.center)},
            )
        )

    def _contour_anchor(self, f: Finding, index: int) -> Anchor:
        """The refined outline of a focal finding, with notch and spicule marks."""
        latest = self.anchors.latest_for_finding(f.id)
        if latest is not None and latest.style is AnchorStyle.CONTOUR:
            return self.anchors.reference(latest.id, index)
        parents = (latest.id,) if latest is not None else ()
        geometry = (
            Geometry.polygon(f.contour)
            if len(f.contour) >= 3
            else Geometry.from_box(f.bbox)
        )
        margin = f.margin
        attributes: dict[str, Any] = {"center": list(f.center)}
        if margin is not None:
            attributes["notches"] = [
                {"clock": n.clock, "depth_mm": n.depth_mm} for n in margin.notches
            ]
            attributes["spicules"] = [
                {"clock": s.clock, "length_mm": s.length_mm, "tip": list(s.tip)}
                for s in margin.spicules
            ]
        anchor = Anchor(
            id=self.anchors.next_id(),
            kind=AnchorKind.FINDING,
            label_en=self._finding_label(f, "en") + " (contour)",
            label_zh=self._finding_label(f, "zh") + "（轮廓）",
            geometry=geometry,
            style=AnchorStyle.CONTOUR,
            turn_index=index,
            side=f.location.side,
            zone=None if f.location.zone is None else f.location.zone.value,
            band=None if f.location.band is None else f.location.band.value,
            lobe=None if f.location.lobe is None else f.location.lobe.value,
            finding_id=f.id,
            parent_ids=parents,
            confidence=f.confidence,
            size_mm=_size(f),
            attributes=attributes,
        )
        self.anchors.add(
            anchor, AnchorStatus.REFINED if parents else AnchorStatus.CREATED
        )
        for parent in parents:
            self.anchors.reference(parent, index)
        return anchor

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

    def _resolve(
        self,
        draft: _Draft,
        intent: Intent,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
    ) -> Resolution:
        resolution = resolve_subject(
            intent,
            mentions=mentions,
            store=self.anchors,
            analysis=self.analysis,
            turn_index=index,
            reportable=self.reportable(),
            drawn_anchor=drawn,
        )
        if resolution.binding is not None:
            binding = resolution.binding
            unused = [
                i for i in dict.fromkeys(intent.anchor_ids) if i != binding.anchor_id
            ]
            if binding.rule is Rule.EXPLICIT_ID and unused:
                # One subject per question: say which named anchors were left out, and why.
                binding = replace(
                    binding,
                    note=f"{', '.join(unused)} also named; one subject per question",
                )
                self._note_unused_ids(
                    draft,
                    binding.phrase,
                    unused,
                    resolution.unknown_ids,
                    intent.language,
                )
            draft.bindings.append(binding)
        return resolution

    def _note_unused_ids(
        self,
        draft: _Draft,
        used: str,
        unused: list[str],
        unknown: tuple[str, ...],
        lang: str,
    ) -> None:
        zh = lang == "zh"
        missing = [i for i in unused if i in unknown]
        present = [i for i in unused if i not in unknown]
        parts = []
        if present:
            parts.append(
                f"问题还提到 {'、'.join(present)}，每次只回答一个对象，请另行提问（或问“比较 {used} 和 {present[0]}”）"
                if zh
                else f"the question also names {', '.join(present)}; one subject is answered per question, so ask "
                f"about {'it' if len(present) == 1 else 'them'} separately (or ask to compare {used} and {present[0]})"
            )
        if missing:
            parts.append(
                f"本对话中没有锚点 {'、'.join(missing)}"
                if zh
                else f"this conversation has no anchor {', '.join(missing)}"
            )
        line = (
            f"以下只针对 {used}；" + "；".join(parts) + "。"
            if zh
            else f"Only {used} is answered below: " + "; ".join(parts) + "."
        )
        draft.sections.append(
            Section(title="【说明】" if zh else "Note", lines=(line,))
        )

    def _explain_unresolved(
        self, draft: _Draft, resolution: Resolution, lang: str, index: int
    ) -> None:
        """An honest answer when the subject is ambiguous or absent."""
        zh = lang == "zh"
        title = "【需要确认】" if zh else "Which one?"
        if resolution.unknown_ids:
            known = ", ".join(a.id for a in self.anchors.all()) or (
                "无" if zh else "none yet"
            )
            line = (
                f"本对话中没有锚点 {', '.join(resolution.unknown_ids)}（现有锚点：{known}）。"
                if zh
                else f"This conversation has no anchor {', '.join(resolution.unknown_ids)} (anchors: {known})."
            )
            draft.sections.append(Section(title=title, lines=(line,)))
            return
        if resolution.outcome is Outcome.AMBIGUOUS:
            lines = []
            ids = []
            for c in resolution.candidates:
                if isinstance(c, Anchor):
                    ids.append(c.id)
                    lines.append(f"{c.id}: {c.label(lang)}")
                else:
                    anchor = self._anchor_for_finding(c, index)
                    ids.append(anchor.id)
                    lines.append(
                        f"{anchor.id}: {location_phrase(c.location, lang)} {KIND_SHORT[lang][c.kind]}，"
                        f"{self._confidence_words(c, lang)}"
                        if zh
                        else f"{anchor.id}: {KIND_SHORT[lang][c.kind]} in the {location_phrase(c.location, lang)}, "
                        f"{self._confidence_words(c, lang)}"
                    )
            draft.clarification.extend(ids)
            head = (
                "有不止一个病灶符合描述，请指明是哪一个（例如回复锚点编号）："
                if zh
                else "More than one finding fits; please say which one (for example by its anchor id):"
            )
            draft.sections.append(
                Section(title=title, lines=(head, *lines), anchor_ids=tuple(ids))
            )
            return
        region = resolution.asked_region
        if region is not None:
            where = region.text
            line = (
                f"在{where}未检出符合描述的病灶，本图该侧也没有其他可报告的局灶性病灶。"
                if zh
                else f"No finding that fits was detected in the {where}, and none elsewhere on that side."
            )
        else:
            line = (
                "本图未检出可报告的局灶性病灶，无法确定所指对象；可先问“肺部是否有异常？”，或在图上框选区域后提问。"
                if zh
                else "No reportable focal finding was detected, so there is nothing for this to refer to; "
                "ask for an overview first, or draw a box on the image and ask about it."
            )
        draft.sections.append(
            Section(title="【未找到】" if zh else "Not found", lines=(line,))
        )

    # -- intents -------------------------------------------------------------------
    def _screening(self, draft: _Draft, *, lang: str, index: int, **_: Any) -> None:
        zh = lang == "zh"
        findings = self.reportable()
        lines: list[str] = []
        cited: list[str] = []
        for f in findings:
            anchor = self._screening_anchor(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
        if findings:
            lines.append(
                "其余肺野未检出明确异常密度影。"
                if zh
                else "No other definite opacity was detected in the lung fields."
            )
        else:
            lines.append(
                "未检出明确的结节、肿块或实变样阴影。"
                if zh
                else "No definite nodule, mass or consolidation-like opacity was detected."
            )
            lines.append(
                "注意：胸片对小结节及与骨或心影重叠的病灶敏感性有限，阴性结果不能排除病变。"
                if zh
                else "A radiograph misses small nodules and lesions hidden by bone or the heart; "
                "a negative result does not exclude disease."
            )
        draft.sections.append(
            Section(
                title="【肺部表现】" if zh else "Lung findings",
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )
        draft.sections.append(self._other_structures(lang, index))
        draft.warnings.extend(self.analysis.warnings)

    def _is_weak(self, f: Finding) -> bool:
        """A focal finding only just above the detector's report threshold."""
        return f.is_focal and is_weak(f.confidence, self.analysis.focal_report_score)

    def _confidence_words(self, f: Finding, lang: str) -> str:
        threshold = self.analysis.focal_report_score if f.is_focal else None
        return confidence_phrase(f.confidence, lang, threshold)

    def _finding_line(self, f: Finding, anchor: Anchor, lang: str) -> str:
        zh = lang == "zh"
        where = location_phrase(f.location, lang)
        size = size_phrase(f, lang)
        shape = _shape_word(f, lang)
        conf = self._confidence_words(f, lang)
        if f.is_focal:
            # A weak detection is not stated as seen: "可疑" / "possible".
            hedge = POSSIBLE[lang] if self._is_weak(f) else ""
            if zh:
                return f"{cite([anchor.id])} {where}见一{hedge}{shape}{kind_phrase(f.kind, lang)}，{size}（{conf}）。"
            described = " ".join(w for w in (hedge, shape) if w)
            return f"{cite([anchor.id])} {_article(described)} {described} {kind_phrase(f.kind, lang)} in the {where}, {size} ({conf})."
        extent = f.lung_fraction or 0.0
        if zh:
            return f"{cite([anchor.id])} {where}见{kind_phrase(f.kind, lang)}，范围{size}，约占肺野面积 {extent:.0%}（{conf}）。"
        phrase = kind_phrase(f.kind, lang)
        return f"{cite([anchor.id])} {_article(phrase)} {phrase} in the {where}, {size}, about {extent:.0%} of the lung area ({conf})."

    def _other_structures(self, lang: str, index: int) -> Section:
        zh = lang == "zh"
        m = self.analysis.measures
        lines = []
        if m.cardiothoracic_ratio is not None:
            ctr = m.cardiothoracic_ratio
            view = (self.analysis.view_position or "").upper()
            if view == "AP":
                note = (
                    "（AP 位片心影被放大，心胸比仅供参考）"
                    if zh
                    else " (AP film: the heart is magnified; for reference only)"
                )
            elif view in ("LL", "RL", "LAT", "LATERAL"):
                note = (
                    "（侧位片：心胸比仅适用于后前位片）"
                    if zh
                    else " (lateral film: the ratio applies to PA films only)"
                )
            elif view != "PA":
                # The scorecard will not count the ratio without a PA view; say so here too.
                note = (
                    "（本图未记录投照体位，心胸比仅适用于后前位片）"
                    if zh
                    else " (the view is not recorded; the ratio applies to PA films only)"
                )
            else:
                note = ""
            verdict = (
                ("提示心影增大" if ctr > 0.5 else "心影大小在正常范围内")
                if zh
                else (
                    "suggests an enlarged cardiac silhouette"
                    if ctr > 0.5
                    else "cardiac size within normal limits"
                )
            )
            lines.append(
                f"心胸比约 {ctr:.2f}，{verdict}{note}。"
                if zh
                else f"Cardiothoracic ratio about {ctr:.2f}; {verdict}{note}."
            )
        blunted = [s for s, a in m.cpa_angle_deg.items() if a > CPA_BLUNTED_DEG]
        if len(m.cpa_angle_deg) == 2:
            if blunted:
                sides = (
                    "、".join("右" if s == "right" else "左" for s in blunted)
                    if zh
                    else " and ".join(blunted)
                )
                lines.append(
                    f"{sides}侧肋膈角变钝，提示少量胸腔积液或胸膜增厚可能。"
                    if zh
                    else f"The {sides} costophrenic angle appears blunted, which suggests a small effusion or pleural thickening."
                )
            else:
                lines.append(
                    "双侧肋膈角锐利。" if zh else "Both costophrenic angles are sharp."
                )
        if not lines:
            lines.append(
                "心影及肋膈角未能可靠测量。"
                if zh
                else "The heart and costophrenic angles could not be measured reliably."
            )
        return Section(
            title="【其他】" if zh else "Other structures", lines=tuple(lines)
        )

    def _list(
        self,
        draft: _Draft,
        *,
        intent: Intent,
        lang: str,
        index: int,
        mentions: list[AnatomyMention],
        signs: list[Sign],
        **_: Any,
    ) -> None:
        zh = lang == "zh"
        places = _places(mentions)
        kinds = _wanted_kinds(intent, signs)
        findings = [f for f in self.reportable() if _fits(f, places, kinds)]
        lines = []
        cited = []
        for f in findings:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
        focal = sum(f.is_focal for f in findings)
        if places or kinds is not None:
            # "How many nodules in the right upper zone?" counts those, not every finding.
            where, what = _where(places, lang), _what(kinds, lang)
            head = (
                f"{where}共检出 {len(findings)} 处{what}。"
                if zh
                else f"{len(findings)} {_plural(what, len(findings))} detected {where}."
            )
        else:
            head = (
                f"共检出 {len(findings)} 处可报告的病灶（其中局灶性 {focal} 处）。"
                if zh
                else f"{len(findings)} reportable finding(s) were detected ({focal} focal)."
            )
        draft.sections.append(
            Section(
                title="【病灶列表】" if zh else "Findings",
                lines=(head, *lines),
                anchor_ids=tuple(cited),
            )
        )

    def _presence(
        self,
        draft: _Draft,
        *,
        intent: Intent,
        lang: str,
        index: int,
        mentions: list[AnatomyMention],
        signs: list[Sign],
        **_: Any,
    ) -> None:
        """A yes/no question about one thing: a kind of finding (in a place) or a sign."""
        places = _places(mentions)
        sign = next((s for s in signs if s.code not in _KIND_SIGNS), None)
        if (
            sign is not None
            and sign.rule is None
            and sign.fleischner is FleischnerStatus.DEPRECATED
        ):
            # "Is there an infiltrate?": the term names no one appearance, so answer with
            # the opacities that were found, then say why the word is not used.
            self._presence_of_findings(draft, places, None, lang, index)
            self._presence_of_sign(draft, sign, lang, index)
        elif sign is None:
            self._presence_of_findings(
                draft, places, _wanted_kinds(intent, signs), lang, index
            )
        elif sign.rule is not None and sign.rule.feature.startswith("focal."):
            self._presence_on_lesions(draft, sign, places, lang, index)
        else:
            self._presence_of_sign(draft, sign, lang, index)

    def _presence_of_findings(
        self,
        draft: _Draft,
        places: list[AnatomyMention],
        kinds: frozenset[FindingKind] | None,
        lang: str,
        index: int,
    ) -> None:
        zh = lang == "zh"
        where, what = _where(places, lang), _what(kinds, lang)
        wanted = [f for f in self.reportable() if kinds is None or f.kind in kinds]
        found = [f for f in wanted if _fits(f, places, None)]
        lines: list[str] = []
        cited: list[str] = []
        if found:
            lines.append(
                f"{where}见 {len(found)} 处{what}："
                if zh
                else f"{len(found)} {_plural(what, len(found))} {where}:"
            )
            for f in found:
                anchor = self._anchor_for_finding(f, index)
                cited.append(anchor.id)
                lines.append(self._finding_line(f, anchor, lang))
        else:
            lines.append(
                f"{where}未检出明确的{what}。"
                if zh
                else f"No definite {what} was detected {where}."
            )
            elsewhere = wanted  # none of them lies in the place asked
            if places and elsewhere:
                parts = []
                for f in elsewhere:
                    anchor = self._anchor_for_finding(f, index)
                    cited.append(anchor.id)
                    place = location_phrase(f.location, lang)
                    parts.append(
                        f"{cite([anchor.id])} {place}"
                        if zh
                        else f"{cite([anchor.id])} in the {place}"
                    )
                lines.append(
                    f"本图其他部位另见{what}：" + "；".join(parts) + "。"
                    if zh
                    else f"Elsewhere on this film: {_plural(what, len(parts))} "
                    + "; ".join(parts)
                    + "."
                )
            lines.append(_NEGATIVE_CAVEAT[lang])
        draft.sections.append(
            Section(
                title=f"【{where}{what}】" if zh else f"Any {what} {where}?",
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _presence_on_lesions(
        self,
        draft: _Draft,
        sign: Sign,
        places: list[AnatomyMention],
        lang: str,
        index: int,
    ) -> None:
        """A lesion sign ("is there calcification?"): each focal finding in the place, assessed."""
        zh = lang == "zh"
        lesions = [
            f for f in self.reportable() if f.is_focal and _fits(f, places, None)
        ]
        lines: list[str] = []
        cited: list[str] = []
        for f in lesions:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            item = assess(
                focal_observations(self.analysis, f, anchor.id), sign, self.vocabulary
            )
            lines.append(f"{cite([anchor.id])} {_status_line(item, lang)}")
        if not lesions:
            where = _where(places, lang)
            lines.append(
                f"{where}未检出可供评估{sign.name('zh')}的局灶性病灶。"
                if zh
                else f"No focal finding was detected {where} on which to assess {sign.name('en').lower()}."
            )
            lines.append(_NEGATIVE_CAVEAT[lang])
        draft.sections.append(
            Section(
                title=f"【{sign.name('zh')}】" if zh else f"{sign.name('en')}?",
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _presence_of_sign(
        self, draft: _Draft, sign: Sign, lang: str, index: int
    ) -> None:
        """A whole-film sign ("有胸腔积液吗"): its rule on this film, or what to look for."""
        zh = lang == "zh"
        observations = self._film_observations()
        item = self._with_anchors(assess(observations, sign, self.vocabulary), index)
        lines = [
            f"{_status_line(item, lang)} {cite(item.evidence_anchor_ids)}".rstrip()
        ]
        cited = list(item.evidence_anchor_ids)
        if item.unassessable is Unassessable.NOT_MEASURED:
            lines.append(
                ("请在图上直接观察：" if zh else "Look for it on the film: ")
                + (sign.visual_pattern_zh if zh else sign.visual_pattern_en)
            )
            # A sign the engine does not measure may have a measured neighbour at the
            # same place (effusion: the costophrenic angles); show that, labelled as such.
            for other in self._measured_neighbours(sign):
                related = self._with_anchors(
                    assess(observations, other, self.vocabulary), index
                )
                if related.status is not MatchStatus.NOT_ASSESSABLE:
                    cited += related.evidence_anchor_ids
                    lines.append(
                        ("相关可测征象：" if zh else "Related measured sign: ")
                        + f"{_status_line(related, lang)} {cite(related.evidence_anchor_ids)}".rstrip()
                    )
        meaning = sign.clinical_meaning_zh if zh else sign.clinical_meaning_en
        if meaning:
            lines.append(("临床意义：" if zh else "Clinical meaning: ") + meaning)
        draft.sections.append(
            Section(
                title=f"【{sign.name('zh')}】" if zh else f"{sign.name('en')}?",
                lines=tuple(lines),
                anchor_ids=tuple(dict.fromkeys(cited)),
            )
        )

    def _measured_neighbours(self, sign: Sign) -> list[Sign]:
        places = set(sign.typical_locations)
        return [
            s
            for s in self.vocabulary.signs.values()
            if s.code != sign.code
            and s.category == sign.category
            and s.rule is not None
            and not s.rule.feature.startswith("focal.")
            and places & set(s.typical_locations)
        ]

    def _describe(
        self,
        draft: _Draft,
        *,
        intent: Intent,
        lang: str,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        zh = lang == "zh"
        resolution = self._resolve(draft, intent, index, mentions, drawn)
        if resolution.outcome is not Outcome.BOUND:
            self._explain_unresolved(draft, resolution, lang, index)
            return
        if resolution.anchor is not None and resolution.finding is None:
            self._describe_anchor(draft, resolution.anchor, lang, index)
            return
        f = resolution.finding
        assert f is not None
        anchor = (
            self._contour_anchor(f, index)
            if f.is_focal
            else self._anchor_for_finding(f, index)
        )
        _bind_anchor(draft, anchor)
        lines: list[str] = []
        if (
            resolution.binding is not None
            and resolution.binding.rule is Rule.ANATOMY_CORRECTED
            and resolution.asked_region
        ):
            asked = resolution.asked_region.text
            actual = location_phrase(f.location, lang)
            lines.append(
                f"注意：{asked}未检出圆形影；本侧唯一的局灶性病灶位于{actual}，以下描述该病灶。"
                if zh
                else f"Note: nothing round was detected in the {asked}; the only focal finding on that side lies in "
                f"the {actual}, and that is what is described here."
            )
        lines.extend(self._detail_lines(f, anchor, lang))
        place = (
            resolution.asked_region.text
            if (
                resolution.asked_region is not None
                and resolution.binding is not None
                and resolution.binding.rule is Rule.ANATOMICAL_DESCRIPTION
            )
            else location_phrase(f.location, lang)
        )
        title = (
            f"【{place}病灶细节】" if zh else f"Details of the lesion in the {place}"
        )
        draft.sections.append(
            Section(title=title, lines=tuple(lines), anchor_ids=(anchor.id,))
        )

    def _detail_lines(self, f: Finding, anchor: Anchor, lang: str) -> list[str]:
        zh = lang == "zh"
        a = cite([anchor.id])
        lines = [
            (
                f"{a} 位置：{location_phrase(f.location, lang)}"
                if zh
                else f"{a} Location: {location_phrase(f.location, lang)}"
            )
            + (
                f"；{lobe_phrase(f.location, lang, self.vocabulary)}"
                if zh and f.location.lobe
                else ""
            )
            + (
                f"; {lobe_phrase(f.location, lang, self.vocabulary)}"
                if not zh and f.location.lobe
                else ""
            )
            # The zone a reader is told depends on how the zones were drawn: say how.
            + (
                f"；{self.analysis.zone_rule.describe('zh')}。"
                if zh
                else f"; {self.analysis.zone_rule.describe('en')}."
            ),
            (
                f"{a} 大小：{size_phrase(f, lang)}，形态{_shape_word(f, lang)}。"
                if zh
                else f"{a} Size: {size_phrase(f, lang)}; shape {_shape_word(f, lang)}."
            ),
        ]
        if self._is_weak(f):
            lines.insert(
                0,
                f"{a} 检出把握低（{self._confidence_words(f, lang)}），为可疑病灶，以下描述仅供参考。"
                if zh
                else f"{a} Weak detection ({self._confidence_words(f, lang)}): a possible lesion; read the details "
                "below with that in mind.",
            )
        if f.kind_from_estimate:
            lines.append(
                f"{a} {KIND_SHORT['zh'][f.kind]}（而非{KIND_SHORT['zh'][_OTHER_FOCAL[f.kind]]}）是按估计大小判断的，3 cm 界值附近不可靠。"
                if zh
                else f"{a} Called a {KIND_SHORT['en'][f.kind]} rather than a {KIND_SHORT['en'][_OTHER_FOCAL[f.kind]]} "
                "from the estimated size; unreliable near the 3 cm boundary."
            )
        m = f.margin
        if m is not None:
            if m.lobulated:
                hours = [n.clock for n in m.notches]
                depths = [n.depth_mm for n in m.notches if n.depth_mm is not None]
                depth = (
                    (
                        f"，切迹深约 {min(depths):.1f}–{max(depths):.1f} mm"
                        if zh
                        else f", {min(depths):.1f}-{max(depths):.1f} mm deep"
                    )
                    if depths
                    else ""
                )
                lines.append(
                    f"{a} 边缘：呈分叶状，见 {len(hours)} 处浅切迹，位于 {clock_list(hours, lang)}{depth}，提示分叶征。"
                    if zh
                    else f"{a} Margin: lobulated, with {len(hours)} shallow notches at {clock_list(hours, lang)}{depth}; this suggests lobulation."
                )
            elif len(m.notches) == 1:
                lines.append(
                    f"{a} 边缘：大致光整，仅 {m.notches[0].clock} 点钟方向见一处浅切迹。"
                    if zh
                    else f"{a} Margin: mostly smooth, with a single shallow notch at {m.notches[0].clock} o'clock."
                )
            else:
                lines.append(
                    f"{a} 边缘：轮廓光整，未见明确分叶切迹。"
                    if zh
                    else f"{a} Margin: smooth contour without definite lobulation."
                )
            if m.spicules:
                lengths = [s.length_mm for s in m.spicules if s.length_mm is not None]
                length = (
                    (
                        f"，长约 {min(lengths):.0f}–{max(lengths):.0f} mm"
                        if zh
                        else f", {min(lengths):.0f}-{max(lengths):.0f} mm long"
                    )
                    if lengths
                    else ""
                )
                hours = sorted({s.clock for s in m.spicules})
                lines.append(
                    f"{a} 毛刺：见 {len(m.spicules)} 条短细毛刺样线影（{clock_list(hours, lang)}）{length}，提示毛刺征可能。"
                    if zh
                    else f"{a} Spicules: {len(m.spicules)} short fine linear strands ({clock_list(hours, lang)}){length}, which suggests spiculation."
                )
            else:
                lines.append(
                    f"{a} 毛刺：未见明确毛刺。"
                    if zh
                    else f"{a} Spicules: none definite."
                )
            edge = (
                (
                    "边界清楚"
                    if m.sharpness >= 0.6
                    else "边界稍模糊"
                    if m.sharpness >= 0.4
                    else "边界模糊"
                )
                if zh
                else (
                    "well defined"
                    if m.sharpness >= 0.6
                    else "slightly ill-defined"
                    if m.sharpness >= 0.4
                    else "ill-defined"
                )
            )
            width = ""
            if m.edge_width_mm is not None:
                width = (
                    f"（边缘过渡宽约 {m.edge_width_mm:.1f} mm）"
                    if zh
                    else f" (edge transition about {m.edge_width_mm:.1f} mm)"
                )
            lines.append(
                f"{a} 边界：{edge}{width}。" if zh else f"{a} Edge: {edge}{width}."
            )
        if f.homogeneity is not None:
            homog = (
                ("密度均匀" if f.homogeneity >= 0.6 else "密度欠均匀")
                if zh
                else (
                    "homogeneous" if f.homogeneity >= 0.6 else "somewhat heterogeneous"
                )
            )
            lucent = f.central_lucency or 0.0
            cavity = (
                (
                    "，中心见透亮区，提示空洞/空泡可能"
                    if lucent >= 0.5
                    else "，未见明确空洞或空泡"
                )
                if zh
                else (
                    "; a central lucency suggests cavitation or a bubble-like lucency"
                    if lucent >= 0.5
                    else "; no definite cavity or bubble-like lucency"
                )
            )
            calc = f.calcification_likelihood or 0.0
            calc_text = (
                ("，提示钙化可能" if calc >= 0.5 else "，未见明确钙化")
                if zh
                else (
                    "; calcification is possible"
                    if calc >= 0.5
                    else "; no definite calcification"
                )
            )
            lines.append(
                f"{a} 内部：{homog}{cavity}{calc_text}。"
                if zh
                else f"{a} Internal density: {homog}{cavity}{calc_text}."
            )
        if f.pleural_contact is not None:
            lines.append(
                (
                    f"{a} 与胸膜关系："
                    + ("病灶邻接胸膜。" if f.pleural_contact else "未见与胸膜相贴。")
                )
                if zh
                else f"{a} Pleura: "
                + (
                    "the lesion abuts the pleura."
                    if f.pleural_contact
                    else "not in contact with the pleura."
                )
            )
        lines.append(
            "支气管截断征、空气支气管征：胸片无法可靠评估，需 CT。"
            if zh
            else "Bronchial cut-off and air bronchogram: not assessable on a radiograph; CT is needed."
        )
        return lines

    def _describe_anchor(
        self, draft: _Draft, anchor: Anchor, lang: str, index: int
    ) -> None:
        zh = lang == "zh"
        self.anchors.reference(anchor.id, index)
        _bind_anchor(draft, anchor)
        if anchor.kind is AnchorKind.USER_DRAWN:
            self._drawn_region(draft, lang=lang, index=index, drawn=anchor)
            return
        lines = [f"{cite([anchor.id])} {anchor.label(lang)}"]
        if "value_mm" in anchor.attributes or "value_px" in anchor.attributes:
            lines.append(anchor.attributes.get("text_zh" if zh else "text_en", ""))
        draft.sections.append(
            Section(
                title=f"【{anchor.id}】" if zh else f"Anchor {anchor.id}",
                lines=tuple(lines),
                anchor_ids=(anchor.id,),
            )
        )

    def _location(
        self,
        draft: _Draft,
        *,
        intent: Intent,
        lang: str,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        zh = lang == "zh"
        # "Where is the right hilum?" asks for a region; "where is the nodule?" for a finding.
        if (
            not (intent.focal_noun or intent.demonstrative or intent.anchor_ids)
            and mentions
        ):
            lines = []
            cited = []
            for m in mentions:
                if m.region_id is None:
                    continue
                region_id = str(m.region_id)
                anchor = (
                    self._landmark_anchor(region_id, index)
                    if region_id.endswith("hilum")
                    else self._region_anchor(Region(region_id), index)
                    if region_id in Region.__members__.values()
                    else None
                )
                if anchor is None:
                    lines.append(
                        f"未能在本图上定位{m.text}。"
                        if zh
                        else f"The {m.text} could not be located on this image."
                    )
                    continue
                cited.append(anchor.id)
                draft.bindings.append(
                    Binding(
                        phrase=m.text,
                        rule=Rule.ANATOMICAL_DESCRIPTION,
                        anchor_id=anchor.id,
                    )
                )
                lines.append(self._region_line(anchor, lang))
                draft.localize_target = anchor.label_en
            if cited or lines:
                draft.sections.append(
                    Section(
                        title="【定位】" if zh else "Location",
                        lines=tuple(lines),
                        anchor_ids=tuple(cited),
                    )
                )
                return
        resolution = self._resolve(draft, intent, index, mentions, drawn)
        if resolution.outcome is not Outcome.BOUND or resolution.finding is None:
            if resolution.anchor is not None:
                self._describe_anchor(draft, resolution.anchor, lang, index)
            else:
                self._explain_unresolved(draft, resolution, lang, index)
            return
        f = resolution.finding
        anchor = self._anchor_for_finding(f, index)
        _bind_anchor(draft, anchor)
        lobe = lobe_phrase(f.location, lang, self.vocabulary)
        line = (
            (
                f"{cite([anchor.id])} 位于{location_phrase(f.location, lang)}"
                + (f"，{lobe}" if lobe else "")
                + "。"
            )
            if zh
            else (
                f"{cite([anchor.id])} In the {location_phrase(f.location, lang)}"
                + (f"; {lobe}" if lobe else "")
                + "."
            )
        )
        draft.sections.append(
            Section(
                title="【定位】" if zh else "Location",
                lines=(line,),
                anchor_ids=(anchor.id,),
            )
        )

    def _region_line(self, anchor: Anchor, lang: str) -> str:
        zh = lang == "zh"
        c = anchor.center
        conf = (
            ""
            if anchor.confidence is None
            else (
                f"，分割置信度 {anchor.confidence:.2f}"
                if zh
                else f", map confidence {anchor.confidence:.2f}"
            )
        )
        note = ""
        if anchor.kind is AnchorKind.LANDMARK and (anchor.region or "").endswith(
            "hilum"
        ):
            note = (
                "；参考点取肺门区血管密度峰值（近似血管分叉处）"
                if zh
                else "; the reference point is the density peak of the hilar vessels (an approximation of the bifurcation)"
            )
        return (
            f"{cite([anchor.id])} {anchor.label(lang)}：中心约在图像坐标 ({c[0]:.0f}, {c[1]:.0f}){conf}{note}。"
            if zh
            else f"{cite([anchor.id])} {anchor.label(lang)}: centred near image pixel ({c[0]:.0f}, {c[1]:.0f}){conf}{note}."
        )

    def _relation(
        self,
        draft: _Draft,
        *,
        intent: Intent,
        lang: str,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        zh = lang == "zh"
        if len(set(intent.anchor_ids)) >= 2:
            self._explicit_pair(draft, intent, lang, index)
            return
        resolution = self._resolve(draft, intent, index, mentions, drawn)
        if resolution.outcome is not Outcome.BOUND:
            self._explain_unresolved(draft, resolution, lang, index)
            return
        if resolution.finding is None or not resolution.finding.is_focal:
            subject = resolution.anchor
            if subject is None:
                self._explain_unresolved(draft, resolution, lang, index)
                return
            target = self._hilum_for(subject.side or Side.RIGHT, mentions, index)
            if target is None:
                draft.sections.append(
                    Section(
                        title="【空间关系分析】" if zh else "Spatial relation",
                        lines=(
                            "未能定位肺门。"
                            if zh
                            else "The hilum could not be located.",
                        ),
                    )
                )
                return
            # The subject's binding came from _resolve; the hilum is the other side.
            draft.bindings.append(self._hilum_binding(target, mentions, lang))
            self._between_anchors(draft, subject, target, lang, index)
            return
        f = resolution.finding
        lesion = self._anchor_for_finding(f, index)
        _bind_anchor(draft, lesion)
        hilum = self._hilum_for(f.location.side, mentions, index)
        if hilum is None:
            draft.sections.append(
                Section(
                    title="【空间关系分析】" if zh else "Spatial relation",
                    lines=(
                        "未能定位同侧肺门，无法测量。"
                        if zh
                        else "The ipsilateral hilum could not be located; nothing was measured.",
                    ),
                )
            )
            return
        draft.bindings.append(self._hilum_binding(hilum, mentions, lang))
        lines: list[str] = []
        # A lesion measured to the other side's hilum: the distance is real, but the
        # connection test and the "ipsilateral" reference point belong to its own hilum.
        opposite = (
            hilum.side in (Side.RIGHT, Side.LEFT)
            and f.location.side in (Side.RIGHT, Side.LEFT)
            and hilum.side is not f.location.side
        )
        if opposite:
            lines.append(
                f"注意：{hilum.label(lang)}位于病灶对侧；以下距离为跨纵隔的直线距离，连接判断只针对同侧肺门，此处不适用。"
                if zh
                else f"Note: the {hilum.label(lang)} is on the side opposite the lesion; the distance below is a straight line "
                "across the mediastinum, and the connection test applies to the lesion's own hilum only."
            )
        distance = self._measure(f.center, hilum.center)
        line_anchor = self._measurement_anchor(
            lesion,
            hilum,
            f.center,
            hilum.center,
            distance,
            index,
            kind="center_to_hilum",
            style=AnchorStyle.DISTANCE,
        )
        draft.measurements.append(
            _measurement(
                "center_to_hilum",
                lesion.id,
                hilum.id,
                distance,
                line_anchor.attributes["label"],
            )
        )
        lines.append(
            f"{cite([lesion.id, hilum.id, line_anchor.id])} 病灶中心至{hilum.label(lang)}参考点距离：{distance_phrase(distance, lang)}。"
            if zh
            else f"{cite([lesion.id, hilum.id, line_anchor.id])} Lesion centre to the {hilum.label(lang)} reference point: {distance_phrase(distance, lang)}."
        )
        lines.append(
            "肺门参考点：该侧肺门区血管密度峰值（近似叶间动脉分叉处），由解剖先验定位后按局部密度校正。"
            if zh
            else "Hilar reference point: the density peak of that hilum's vessels (approximating the interlobar artery "
            "bifurcation), placed by an anatomical prior and refined by local density."
        )
        relation = None if opposite else self.analysis.hilum_relations.get(f.id)
        cited = [lesion.id, hilum.id, line_anchor.id]
        if relation is not None:
            if (
                not relation.connected
                and relation.gap_start is not None
                and relation.gap_end is not None
            ):
                gap = self._measure(relation.gap_start, relation.gap_end)
                gap_anchor = self._measurement_anchor(
                    lesion,
                    hilum,
                    relation.gap_start,
                    relation.gap_end,
                    gap,
                    index,
                    kind="edge_gap",
                    style=AnchorStyle.GAP,
                )
                corridor = self._corridor_anchor(
                    lesion, hilum, relation.edge_point, hilum.center, index
                )
                cited += [gap_anchor.id, corridor.id]
                draft.measurements.append(
                    _measurement(
                        "edge_gap",
                        lesion.id,
                        hilum.id,
                        gap,
                        gap_anchor.attributes["label"],
                    )
                )
                lines.append(
                    f"{cite([gap_anchor.id])} 病灶与肺门方向结构之间最长无软组织连接段：{distance_phrase(gap, lang)}。"
                    if zh
                    else f"{cite([gap_anchor.id])} Longest stretch without a soft-tissue strand between the lesion and the hilum: {distance_phrase(gap, lang)}."
                )
                lines.append(
                    f"{cite([corridor.id])} 连接判断：未见连续条索状软组织影与肺门相连（连线上高于对照的比例 {relation.strand_fraction:.0%}，"
                    f"平均密度差 {relation.contrast_along_path:+.2f} SD），提示与肺门结构不相连。"
                    if zh
                    else f"{cite([corridor.id])} Connection: no continuous soft-tissue strand runs to the hilum (path denser than the parallel "
                    f"controls over {relation.strand_fraction:.0%} of its length, mean difference {relation.contrast_along_path:+.2f} SD); "
                    "this suggests the lesion is not connected to hilar structures."
                )
            else:
                lines.append(
                    f"连接判断：连线上可见较连续的条索状密度影（高于对照的比例 {relation.strand_fraction:.0%}，"
                    f"平均密度差 {relation.contrast_along_path:+.2f} SD），提示与肺门结构可能相连，需 CT 确认是血管还是病灶延伸。"
                    if zh
                    else f"Connection: a fairly continuous strand-like density runs along the path (denser than the parallel controls over "
                    f"{relation.strand_fraction:.0%} of its length, mean difference {relation.contrast_along_path:+.2f} SD); this suggests "
                    "a connection to hilar structures; CT is needed to tell a vessel from tumour extension."
                )
        lines.append(
            "支气管受累情况：胸片无法可靠评估，需 CT。"
            if zh
            else "Bronchial involvement: not assessable on a radiograph; CT is needed."
        )
        draft.sections.append(
            Section(
                title="【空间关系分析】" if zh else "Spatial relation",
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )
        if self.analysis.calibration.source is CalibrationSource.NONE:
            draft.warnings.append(
                "no pixel spacing: distances are pixel counts or labelled estimates"
            )

    def _hilum_binding(
        self, hilum: Anchor, mentions: list[AnatomyMention], lang: str
    ) -> Binding:
        """How the hilum of a relation was chosen: named in words, or the subject's side."""
        named = next(
            (m for m in mentions if m.region_id and str(m.region_id) == hilum.region),
            None,
        )
        if named is not None:
            return Binding(
                phrase=named.text, rule=Rule.ANATOMICAL_DESCRIPTION, anchor_id=hilum.id
            )
        return Binding(
            phrase="肺门" if lang == "zh" else "hilum",
            rule=Rule.ANATOMICAL_DESCRIPTION,
            anchor_id=hilum.id,
            note="side not named: the hilum on the subject's side",
        )

    def _hilum_for(
        self, side: Side, mentions: list[AnatomyMention], index: int
    ) -> Anchor | None:
        named = [
            m for m in mentions if m.region_id and str(m.region_id).endswith("hilum")
        ]
        if named:
            name = str(named[0].region_id)
        else:
            name = "left_hilum" if side is Side.LEFT else "right_hilum"
        return self._landmark_anchor(name, index)

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
        label_en = distance_phrase(distance, "en")
        label_zh = distance_phrase(distance, "zh")
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

    def _explicit_pair(
        self, draft: _Draft, intent: Intent, lang: str, index: int
    ) -> None:
        """Two anchors named by id ("distance between A1 and A3", "compare A1 and A2")."""
        zh = lang == "zh"
        ids = list(dict.fromkeys(intent.anchor_ids))
        missing = [i for i in ids[:2] if self.anchors.find(i) is None]
        if missing:
            known = ", ".join(a.id for a in self.anchors.all()) or (
                "无" if zh else "none yet"
            )
            draft.sections.append(
                Section(
                    title="【未找到】" if zh else "Not found",
                    lines=(
                        f"本对话中没有锚点 {', '.join(missing)}（现有锚点：{known}）。"
                        if zh
                        else f"This conversation has no anchor {', '.join(missing)} (anchors: {known}).",
                    ),
                )
            )
            return
        a, b = (self.anchors.find(i) for i in ids[:2])
        assert a is not None and b is not None
        rest = ids[2:]
        note = f"{', '.join(rest)} also named; one pair per question" if rest else ""
        draft.bindings += [
            Binding(
                phrase=x.id,
                rule=Rule.EXPLICIT_ID,
                anchor_id=x.id,
                finding_id=x.finding_id,
                note=note,
            )
            for x in (a, b)
        ]
        if rest:
            draft.sections.append(
                Section(
                    title="【说明】" if zh else "Note",
                    lines=(
                        f"一次只比较两个锚点：以下为 {a.id} 与 {b.id}；{'、'.join(rest)} 请另行提问。"
                        if zh
                        else f"One pair of anchors per question: {a.id} and {b.id} below; ask again about "
                        f"{', '.join(rest)}.",
                    ),
                )
            )
        self._between_anchors(draft, a, b, lang, index, compare=intent.wants_comparison)

    def _between_anchors(
        self,
        draft: _Draft,
        a: Anchor,
        b: Anchor,
        lang: str,
        index: int,
        *,
        compare: bool = False,
    ) -> None:
        """The centre distance of two anchors (the caller logs how each was bound)."""
        zh = lang == "zh"
        self.anchors.reference(a.id, index)
        self.anchors.reference(b.id, index)
        distance = self._measure(a.center, b.center)
        line = self._measurement_anchor(
            a,
            b,
            a.center,
            b.center,
            distance,
            index,
            kind="center_distance",
            style=AnchorStyle.DISTANCE,
        )
        draft.measurements.append(
            _measurement(
                "center_distance", a.id, b.id, distance, line.attributes["label"]
            )
        )
        lines = [self._anchor_summary_line(x, lang) for x in (a, b)] if compare else []
        lines.append(
            f"{cite([a.id, b.id, line.id])} {a.label(lang)} 与 {b.label(lang)} 中心距离：{distance_phrase(distance, lang)}。"
            if zh
            else f"{cite([a.id, b.id, line.id])} Centre-to-centre distance between {a.label(lang)} and {b.label(lang)}: {distance_phrase(distance, lang)}."
        )
        title = (
            ("【比较】" if zh else "Comparison")
            if compare
            else ("【空间关系分析】" if zh else "Spatial relation")
        )
        draft.sections.append(
            Section(title=title, lines=tuple(lines), anchor_ids=(a.id, b.id, line.id))
        )

    def _anchor_summary_line(self, anchor: Anchor, lang: str) -> str:
        """What one anchor shows, for a side-by-side: a finding's place, size and confidence."""
        f = self.analysis.finding(anchor.finding_id) if anchor.finding_id else None
        if f is None:
            return f"{cite([anchor.id])} {anchor.label(lang)}"
        where = location_phrase(f.location, lang)
        size = size_phrase(f, lang)
        conf = self._confidence_words(f, lang)
        hedge = POSSIBLE[lang] if self._is_weak(f) else ""
        if lang == "zh":
            return f"{cite([anchor.id])} {hedge}{KIND_SHORT['zh'][f.kind]}，{where}，{size}，{conf}。"
        what = " ".join(w for w in (hedge, KIND_SHORT["en"][f.kind]) if w)
        return f"{cite([anchor.id])} {what} in the {where}, {size}, {conf}."

    def _profile(
        self,
        draft: _Draft,
        *,
        intent: Intent,
        lang: str,
        index: int,
        mentions: list[AnatomyMention],
        profile: Profile | None,
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        zh = lang == "zh"
        if profile is None:
            names = [
                f"{p.name(lang)} ({p.id})" for p in self.vocabulary.profiles.values()
            ]
            draft.sections.append(
                Section(
                    title="【请选择评估方案】" if zh else "Which profile?",
                    lines=(
                        "请说明要对照的临床方案，例如："
                        if zh
                        else "Say which clinical profile to check, for example:",
                        *names,
                    ),
                )
            )
            return
        focal_profile = any(
            item_feature(self.vocabulary, i.sign_code).startswith("focal.")
            for i in profile.items
        )
        subject_finding: Finding | None = None
        subject_anchor: Anchor | None = None
        if focal_profile:
            resolution = self._resolve(draft, intent, index, mentions, drawn)
            if resolution.outcome is Outcome.AMBIGUOUS:
                self._explain_unresolved(draft, resolution, lang, index)
                return
            if resolution.finding is not None and resolution.finding.is_focal:
                subject_finding = resolution.finding
                subject_anchor = self._anchor_for_finding(subject_finding, index)
                _bind_anchor(draft, subject_anchor)
        observations = []
        if subject_finding is not None and subject_anchor is not None:
            observations += focal_observations(
                self.analysis, subject_finding, subject_anchor.id
            )
        observations += [
            o
            for o in self._film_observations()
            if subject_finding is None or o.feature != "focal.present"
        ]
        scored = score(observations, profile, self.vocabulary)
        card = replace(
            scored, items=tuple(self._with_anchors(i, index) for i in scored.items)
        )
        draft.scorecard = card
        lines = []
        for group in ItemGroup:
            if card.in_group(group):
                lines.append(card.group_heading(group, lang) + ("：" if zh else ":"))
                lines.extend(_item_line(item, lang) for item in card.in_group(group))
        lines.append(
            f"合计：{card.totals(lang)}。" if zh else f"Total: {card.totals(lang)}."
        )
        if subject_anchor is None and focal_profile:
            lines.append(
                "本图未确定局灶性病灶作为评估对象，病灶相关条目均无法评估。"
                if zh
                else "No focal lesion was established as the subject, so the lesion items are not assessable."
            )
        limitation = profile.limitations_zh if zh else profile.limitations_en
        if limitation:
            lines.append(limitation)
        name = profile.name(lang)
        title = (
            f"【{name}X线典型征象对照】"
            if zh
            else f"{name}: radiographic sign checklist"
        )
        cited = sorted(
            {a for i in card.items for a in i.evidence_anchor_ids},
            key=lambda s: int(s[1:]),
        )
        draft.sections.append(
            Section(title=title, lines=tuple(lines), anchor_ids=tuple(cited))
        )

    def _film_observations(self) -> list[Observation]:
        """Whole-film observations whose evidence is named ("@heart") but not yet anchored.

        Only evidence that an answer cites becomes an anchor (`_with_anchors`): a lung
        cancer checklist should not leave heart and costophrenic-angle anchors on the film.
        """
        return global_observations(
            self.analysis,
            lambda name: _PENDING + name,
            focal_report_threshold=self.analysis.focal_report_score,
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

    def _explain(
        self, draft: _Draft, *, lang: str, index: int, signs: list[Any], **_: Any
    ) -> None:
        zh = lang == "zh"
        if not signs:
            self._help(draft, lang=lang)
            return
        sign = signs[0]
        lines = [sign.visual_pattern_zh if zh else sign.visual_pattern_en]
        meaning = sign.clinical_meaning_zh if zh else sign.clinical_meaning_en
        if meaning:
            lines.append(("临床意义：" if zh else "Clinical meaning: ") + meaning)
        assess = {
            "yes": ("胸片可评估", "Assessable on a radiograph"),
            "limited": ("胸片评估有限", "Limited on a radiograph"),
            "ct_only": ("仅 CT 可评估", "CT only"),
        }[sign.cxr_assessable.value]
        lines.append(assess[0] if zh else assess[1])
        codes = [
            c
            for c in (
                f"RadLex {sign.radlex}" if sign.radlex else "",
                ("Fleischner 术语表：" if zh else "Fleischner glossary: ")
                + _FLEISCHNER[sign.fleischner.value][0 if zh else 1],
            )
            if c
        ]
        lines.append("；".join(codes) if zh else "; ".join(codes))
        cited: list[str] = []
        if sign.rule is not None and sign.rule.feature.startswith("focal."):
            lines += self._sign_on_focus(draft, sign, lang, index, cited)
        draft.sections.append(
            Section(
                title=f"【征象解释：{sign.name('zh')}】"
                if zh
                else f"Sign: {sign.name('en')}",
                lines=tuple(line for line in lines if line),
                anchor_ids=tuple(cited),
            )
        )

    def _sign_on_focus(
        self, draft: _Draft, sign: Sign, lang: str, index: int, cited: list[str]
    ) -> list[str]:
        """A lesion sign on the lesions the conversation is about, each bound and named.

        With several focal findings in focus each is assessed on its own line, so that no
        one of them is picked silently.
        """
        zh = lang == "zh"
        focus = [
            (a, f)
            for a in self.anchors.focus(index)
            if a.finding_id
            and (f := self.analysis.finding(a.finding_id)) is not None
            and f.is_focal
        ]
        lines: list[str] = []
        if len(focus) > 1:
            lines.append(
                f"对话当前涉及 {len(focus)} 个局灶性病灶，逐一评估："
                if zh
                else f"The conversation is about {len(focus)} focal lesions; each is assessed:"
            )
        for anchor, f in focus:
            item = assess(
                focal_observations(self.analysis, f, anchor.id), sign, self.vocabulary
            )
            if item.status is MatchStatus.NOT_ASSESSABLE:
                continue
            anchor = self.anchors.reference(anchor.id, index)
            cited.append(anchor.id)
            draft.bindings.append(
                Binding(
                    phrase="本图当前病灶" if zh else "the lesion under discussion",
                    rule=Rule.FOCUS,
                    anchor_id=anchor.id,
                    finding_id=f.id,
                    note="no lesion named: the conversation's current focus"
                    + (f" (one of {len(focus)})" if len(focus) > 1 else ""),
                )
            )
            present = item.status is MatchStatus.MET
            lines.append(
                f"{cite([anchor.id])} 本图当前病灶（{self._finding_label(f, 'zh')}）："
                + ("符合" if present else "不符合")
                + f"（{item.reason('zh')}）"
                if zh
                else f"{cite([anchor.id])} On this image, the lesion under discussion ({self._finding_label(f, 'en')}): "
                + ("present" if present else "absent")
                + f" ({item.reason('en')})"
            )
        return lines

    def _drawn_region(
        self, draft: _Draft, *, lang: str, index: int, drawn: Anchor | None, **_: Any
    ) -> None:
        zh = lang == "zh"
        if drawn is None:
            draft.sections.append(
                Section(
                    title="【需要标注】" if zh else "Draw a region first",
                    lines=(
                        "请先在图上框选区域，再提问“这个区域是什么？”。"
                        if zh
                        else "Draw a box on the image first, then ask about it.",
                    ),
                )
            )
            return
        _bind_anchor(draft, drawn)
        if not any(b.anchor_id == drawn.id for b in draft.bindings):
            draft.bindings.append(
                Binding(
                    phrase="这个区域" if zh else "this region",
                    rule=Rule.DRAWN_REGION,
                    anchor_id=drawn.id,
                )
            )
        box = drawn.bbox
        location = self.analysis.anatomy.locate(box.center)
        lines = [
            f"{cite([drawn.id])} 位置：{location_phrase(location, lang)}。"
            if zh
            else f"{cite([drawn.id])} Location: {location_phrase(location, lang)}."
        ]
        inside = [
            f
            for f in self.analysis.findings
            if box.contains(f.center) or box.iou(f.bbox) > 0.1
        ]
        if inside:
            for f in inside:
                anchor = self._anchor_for_finding(f, index)
                lines.append(self._finding_line(f, anchor, lang))
        else:
            lines.append(
                "框选区域内未检出结节或实变样阴影。"
                if zh
                else "No nodule or consolidation-like opacity was detected inside the box."
            )
        density = self._box_density(box)
        if density is not None:
            word = (
                (
                    "密度高于肺野平均"
                    if density > 1
                    else "密度低于肺野平均"
                    if density < -1
                    else "密度与肺野平均相近"
                )
                if zh
                else (
                    "denser than the lung-field average"
                    if density > 1
                    else "more lucent than the lung-field average"
                    if density < -1
                    else "similar to the lung-field average"
                )
            )
            lines.append(
                f"区域平均密度：{word}（{density:+.1f} SD）。"
                if zh
                else f"Mean density: {word} ({density:+.1f} SD)."
            )
        draft.sections.append(
            Section(
                title="【框选区域分析】" if zh else "The region you drew",
                lines=tuple(lines),
                anchor_ids=(drawn.id,),
            )
        )

    def _box_density(self, box: Box) -> float | None:
        a = self.analysis.anatomy
        g0 = a.grid.to_grid((box.x0, box.y0))
        g1 = a.grid.to_grid((box.x1, box.y1))
        x0, y0 = max(0, int(g0[0])), max(0, int(g0[1]))
        x1, y1 = (
            min(a.grid.size, math.ceil(g1[0]) + 1),
            min(a.grid.size, math.ceil(g1[1]) + 1),
        )
        thumb = self.analysis.thumbnail.astype(float)
        lungs = a.mask(Region.RIGHT_LUNG) | a.mask(Region.LEFT_LUNG)
        if x1 <= x0 or y1 <= y0 or not lungs.any():
            return None
        values = thumb[lungs]
        return float(
            (thumb[y0:y1, x0:x1].mean() - values.mean()) / (values.std() + 1e-6)
        )

    def _out_of_scope(self, draft: _Draft, *, lang: str, **_: Any) -> None:
        zh = lang == "zh"
        draft.sections.append(
            Section(
                title="【超出范围】" if zh else "Outside what this tool can answer",
                lines=(
                    (
                        "治疗、预后和诊断需由临床医师结合病史、体检、实验室及 CT/病理等检查综合判断，本工具仅描述影像所见，不提供治疗建议。"
                        if zh
                        else "Treatment, prognosis and diagnosis need the treating clinician's judgement with the history, "
                        "examination, laboratory results and further imaging or pathology; this tool only describes what the image shows."
                    ),
                ),
            )
        )

    def _help(self, draft: _Draft, *, lang: str, **_: Any) -> None:
        zh = lang == "zh"
        draft.sections.append(
            Section(
                title="【可以这样提问】" if zh else "You can ask",
                lines=(
                    (
                        "肺部是否有异常？",
                        "右肺中野那个结节边缘规则吗？",
                        "这个病灶距离右肺门多远？",
                        "如果这是早期肺癌，符合几条典型征象？",
                        "什么是毛刺征？",
                        "框选区域后：这个区域是什么？",
                    )
                    if zh
                    else (
                        "Is there anything abnormal in the lungs?",
                        "Is the margin of the nodule in the right middle zone regular?",
                        "How far is this lesion from the right hilum?",
                        "If this were early lung cancer, how many typical signs does it meet?",
                        "What is spiculation?",
                        "After drawing a box: what is this region?",
                    )
                ),
            )
        )

    def _check_model_boxes(
        self, reply: BackendReply, index: int, lang: str
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


def item_feature(vocabulary: Vocabulary, sign_code: Any) -> str:
    sign = vocabulary.find_sign(str(sign_code))
    rule = getattr(sign, "rule", None)
    return "" if rule is None else rule.feature


def _bind_anchor(draft: _Draft, anchor: Anchor) -> None:
    """Fill in the anchor id of a binding that pointed at a finding without one yet."""
    for i, b in enumerate(draft.bindings):
        if (
            b.anchor_id is None
            and b.finding_id == anchor.finding_id
            and anchor.finding_id is not None
        ):
            draft.bindings[i] = Binding(
                phrase=b.phrase,
                rule=b.rule,
                anchor_id=anchor.id,
                finding_id=b.finding_id,
                note=b.note,
            )


def _measurement(
    kind: str, a: str, b: str | None, d: Distance, label: str
) -> Measurement:
    return Measurement(
        kind=kind,
        from_anchor=a,
        to_anchor=b,
        value_px=d.value_px,
        value_mm=d.value_mm,
        calibration=d.calibration,
        relative_error=d.relative_error,
        label=label,
    )


def _short_label(d: Distance) -> str:
    if d.value_mm is None:
        return f"{d.value_px:.0f} px"
    prefix = "≈" if d.is_estimate else ""
    return f"{prefix}{d.value_mm / 10:.1f}cm"


# Signs that name a kind of finding: "is there a nodule?" asks for findings of that kind.
_KIND_SIGNS: dict[str, frozenset[FindingKind]] = {
    "A01": frozenset({FindingKind.NODULE, FindingKind.MASS}),
    "A02": frozenset({FindingKind.NODULE, FindingKind.MASS}),
    "A03": frozenset({FindingKind.NODULE, FindingKind.MASS}),
    "A04": frozenset({FindingKind.NODULE, FindingKind.MASS}),
    "B02": frozenset({FindingKind.CONSOLIDATION}),
    "B11": frozenset({FindingKind.RETICULAR}),
    "B21": frozenset({FindingKind.LINEAR}),
}
_FOCAL_WORDS = frozenset(
    {
        "结节",
        "肿块",
        "圆形影",
        "类圆形",
        "团块",
        "结节影",
        "团块影",
        "nodule",
        "mass",
        "round opacity",
        "rounded opacity",
        "spot",
    }
)
_FOCAL = frozenset({FindingKind.NODULE, FindingKind.MASS})
_NEGATIVE_CAVEAT = {
    "zh": "注意：胸片对小结节及与骨或心影重叠的病灶敏感性有限，阴性结果不能排除病变。",
    "en": "A radiograph misses small nodules and lesions hidden by bone or the heart; a negative result does not "
    "exclude disease.",
}


def _places(mentions: list[AnatomyMention]) -> list[AnatomyMention]:
    """The definite places a question names ("左肺", "the right upper zone"), not a bare "肺部"."""
    return [
        m
        for m in mentions
        if m.region_id is not None or (m.side is not None and m.side.value != "midline")
    ]


def _wanted_kinds(intent: Intent, signs: list[Sign]) -> frozenset[FindingKind] | None:
    """The kinds of finding a question asks about, or None for any."""
    for sign in signs:
        if sign.code in _KIND_SIGNS:
            return _KIND_SIGNS[sign.code]
    if intent.focal_noun in _FOCAL_WORDS:
        return _FOCAL
    return None


def _fits(
    f: Finding, places: list[AnatomyMention], kinds: frozenset[FindingKind] | None
) -> bool:
    if kinds is not None and f.kind not in kinds:
        return False
    return not places or any(
        region_fits(str(m.region_id), f)
        if m.region_id
        else f.location.side.value == getattr(m.side, "value", None)
        for m in places
    )


def _where(places: list[AnatomyMention], lang: str) -> str:
    if lang == "zh":
        return "、".join(m.text for m in places) or "本图"
    return f"in the {' or '.join(m.text for m in places)}" if places else "on this film"


def _what(kinds: frozenset[FindingKind] | None, lang: str) -> str:
    if kinds is None:
        return "病灶" if lang == "zh" else "finding"
    if kinds == _FOCAL:
        return "结节或肿块" if lang == "zh" else "nodule or mass"
    return (
        "、".join(KIND_SHORT[lang][k] for k in kinds)
        if lang == "zh"
        else " or ".join(KIND_SHORT[lang][k] for k in kinds)
    )


def _status_line(item: ItemResult, lang: str) -> str:
    """One sign's verdict on this film, hedged, with the rule that decided it."""
    words = {
        MatchStatus.MET: ("提示存在", "suggested"),
        MatchStatus.NOT_MET: ("未见", "not seen"),
        MatchStatus.NOT_ASSESSABLE: ("无法评估", "not assessable"),
    }[item.status]
    reason = item.reason(lang)
    if lang == "zh":
        return f"{item.name('zh')}：{words[0]}" + (f"（{reason}）" if reason else "")
    return f"{item.name('en')}: {words[1]}" + (f" ({reason})" if reason else "")


def _item_line(item: ItemResult, lang: str) -> str:
    mark = {
        MatchStatus.MET: "✔",
        MatchStatus.NOT_MET: "✘",
        MatchStatus.NOT_ASSESSABLE: "○",
    }[item.status]
    status = {
        MatchStatus.MET: ("符合", "met"),
        MatchStatus.NOT_MET: ("不符合", "not met"),
        MatchStatus.NOT_ASSESSABLE: ("无法评估", "not assessable"),
    }[item.status][0 if lang == "zh" else 1]
    reason = item.reason(lang)
    evidence = cite(item.evidence_anchor_ids)
    if lang == "zh":
        return f"{mark} {item.name(lang)}：{status}{('（' + reason + '）') if reason else ''} {evidence}".rstrip()
    return f"{mark} {item.name(lang)}: {status}{(' (' + reason + ')') if reason else ''} {evidence}".rstrip()


_OTHER_FOCAL = {
    FindingKind.NODULE: FindingKind.MASS,
    FindingKind.MASS: FindingKind.NODULE,
}
_PENDING = "@"  # marks evidence named by region or finding id, not yet an anchor

_FLEISCHNER = {
    "current": ("现行术语", "current term"),
    "deprecated": ("已不推荐使用的术语", "term no longer recommended"),
    "ct_only": ("CT 术语", "a CT term"),
    "not_in_glossary": ("未收录", "not listed"),
}


def _plural(words: str, n: int) -> str:
    """English plural of a short phrase ("nodule or mass" -> "nodules or masses")."""
    if n == 1:
        return words

    def one(word: str) -> str:
        head, _, last = word.rpartition(" ")
        last = (
            last[:-1] + "ies"
            if last.endswith("y")
            else last + "es"
            if last.endswith("ss")
            else last + "s"
        )
        return f"{head} {last}".strip()

    return " or ".join(one(w) for w in words.split(" or "))


def _article(word: str) -> str:
    return "An" if word[:1].lower() in "aeiou" else "A"


def _size(f: Finding) -> tuple[float, float] | None:
    if f.long_axis_mm is None or f.short_axis_mm is None:
        return None
    return (f.long_axis_mm, f.short_axis_mm)


def _shape_word(f: Finding, lang: str) -> str:
    if not f.is_focal:
        return ""
    ratio = f.long_axis_px / max(f.short_axis_px, 1e-6)
    irregular = f.margin is not None and len(f.margin.notches) >= 4
    if lang == "zh":
        return "不规则形" if irregular else "类圆形" if ratio < 1.3 else "椭圆形"
    return "irregular" if irregular else "round" if ratio < 1.3 else "oval"


__all__ = [
    "Conversation",
    "FindingKind",
    "Measurement",
    "Section",
    "TurnResult",
    "anchor_summary",
    "scorecard_json",
]
