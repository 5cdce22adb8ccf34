"""Answers about one lesion or place: description, one property, size, CTR, location, a drawn box."""

from __future__ import annotations

import math
from typing import Any

from engine.anatomy import Region
from engine.anchors import (
    Anchor,
    AnchorKind,
)
from engine.dialogue.anchoring import NEAR_THRESHOLD_FRACTION
from engine.dialogue.binding import position_words
from engine.dialogue.facts import (
    CTR_BORDERLINE_HIGH,
    CTR_ENLARGED,
    LobeFact,
    angle_facts,
    angle_sentence,
    calcification_answer,
    calibration_doubt,
    ctr_fact,
    ctr_reliability,
    ctr_sentence,
    heart_width_answer,
    lobe_fact,
    lobe_names,
    lobe_verdict,
    lobe_words,
    margin_irregular,
    reality_evidence,
    reality_fact,
    reality_lead,
    size_answer,
    small_size_caveat,
    thoracic_width_answer,
    threshold_verdict,
    with_size_range,
)
from engine.dialogue.handlers.findings import FindingAnswers
from engine.dialogue.phrases import _shape_word, say
from engine.dialogue.premise import premise_lines, premised_signs
from engine.dialogue.query_records import Query
from engine.dialogue.records import (
    Draft,
    Measurement,
    Section,
    _bind_anchor,
)
from engine.dialogue.sizes import read_size_bound
from engine.findings import Finding, FindingKind
from engine.geometry import Box, Distance, Point, measure
from engine.intents import Intent, IntentKind, detect_language
from engine.model import CalibrationSource, Side
from engine.observations import DIFFUSE_REPORT_CONFIDENCE
from engine.references import (
    Binding,
    Outcome,
    Resolution,
    Rule,
    drawn_just_before,
)
from engine.wording import (
    KIND_SHORT,
    cite,
    clock_list,
    confidence_phrase,
    distance_phrase,
    location_phrase,
    shown_confidence,
    size_phrase,
    threshold_owner,
)
from kernel import Language
from ontology import (
    AnatomyMention,
    RegionKind,
)
from ontology.phrases import load_phrases

# Properties of a lesion answered on their own ("is it calcified?"), not by a full description.
_DETAIL_ATTRIBUTES = frozenset({"calcification", "margin", "density", "shape"})


# A box that holds at least this share of the heart's outline is asked about the heart.
BOX_HOLDS_HEART = 0.6
# A reported finding whose centre lies within this distance outside a drawn box that
# holds none is named with the box (a box drawn a centimetre or two off a lesion).
NEAR_BOX_MM = 30.0

_OTHER_FOCAL = {
    FindingKind.NODULE: FindingKind.MASS,
    FindingKind.MASS: FindingKind.NODULE,
}


def _notch_line(m: Any, a: str, lang: Language) -> str:
    """The margin line: lobulated with its notches, one notch, or smooth."""
    if m.lobulated:
        hours = [n.clock for n in m.notches]
        depths = [n.depth_mm for n in m.notches if n.depth_mm is not None]
        depth = (
            say("notch_depth", lang, low=min(depths), high=max(depths))
            if depths
            else ""
        )
        return say(
            "margin_lobulated",
            lang,
            a=a,
            n=len(hours),
            hours=clock_list(hours, lang),
            depth=depth,
        )
    if len(m.notches) == 1:
        return say("margin_one_notch", lang, a=a, clock=m.notches[0].clock)
    return say("margin_smooth", lang, a=a)


def _spicule_line(m: Any, a: str, lang: Language) -> str:
    """The spicule line: how many, where and how long, or none."""
    if not m.spicules:
        return say("spicules_none", lang, a=a)
    lengths = [s.length_mm for s in m.spicules if s.length_mm is not None]
    if not lengths:
        length = ""
    elif round(min(lengths)) == round(max(lengths)):
        # one length, not "4-4 mm"
        length = say("spicule_length_one", lang, mm=max(lengths))
    else:
        length = say("spicule_length", lang, low=min(lengths), high=max(lengths))
    hours = sorted({s.clock for s in m.spicules})
    return say(
        # a single strand may as well be a vessel seen leaving the edge
        "spicule_seen_one" if len(m.spicules) == 1 else "spicules_seen",
        lang,
        a=a,
        n=len(m.spicules),
        hours=clock_list(hours, lang),
        length=length,
    )


class LesionAnswers(FindingAnswers):
    """Description, one property, size, CTR, location and drawn regions."""

    def _asked_place_words(self, mention: AnatomyMention, lang: Language) -> str | None:
        """The place as the question named it, in the answer's language, or None.

        "GT says lower lobe — 你为什么说中野？": a place typed in English heads a Chinese
        answer by its Chinese name, or, with no side to name one region, not at all.
        """
        if detect_language(mention.text) is Language(lang):
            return mention.text
        term = (
            None
            if mention.region_id is None
            else self.vocabulary.find_anatomy(mention.region_id)
        )
        return None if term is None else term.name(lang)

    def _describe(
        self,
        draft: Draft,
        *,
        intent: Intent,
        lang: Language,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        asked = None if self._query is None else self._query.attribute
        if asked == "confidence" and self._heart_in_focus():
            # "how sure are you?" after the heart's size: the ratio is a measurement,
            # so how far it can be trusted, not a detection's confidence
            self._ctr(draft, lang, index, reliability=True)
            return
        resolution = self._resolve(draft, intent, index, mentions, drawn)
        if asked == "confidence" and self._confidence_of_box(
            draft, resolution, lang, index
        ):
            return  # "how sure?" after a box: of what the box holds
        unbound = resolution.outcome is not Outcome.BOUND or resolution.finding is None
        if asked == "confidence" and not self.reportable() and unbound:
            # nothing reported, but a candidate under the threshold may be in focus
            # (named, or described the turn before): its score, said to be under it
            self._confidence_of_candidates(draft, lang, index)
            return
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
                say("describe_elsewhere_note", lang, asked=asked, actual=actual)
            )
        query = self._query
        attribute = None if query is None else query.attribute
        lines += self._which_line(resolution, anchor, f, lang)
        if attribute == "confidence":
            asked = self._cited_subject(resolution, anchor)
            lines.extend(self._trust_lines(f, asked, lang))
        elif f.is_focal and attribute in _DETAIL_ATTRIBUTES:
            # A question about one property is answered about that property, first.
            asked = self._cited_subject(resolution, anchor)
            # "why do you call it lobulated?" of a lesion not called so: that first
            lines.extend(self._premise_lines(f, anchor.id, asked, lang))
            lines.extend(self._attribute_lines(f, asked, str(attribute), lang))
        else:
            if self._asks_why() and not self._is_weak(f):
                # "why do you say that?": the detector's score first, then what it saw
                # (a weak one's detail lines open with its score already)
                asked = self._cited_subject(resolution, anchor)
                lines.append(self._confidence_lines(f, asked, lang)[0])
            lines.extend(self._detail_lines(f, anchor, lang))
        named = (
            self._asked_place_words(resolution.asked_region, lang)
            if (
                resolution.asked_region is not None
                and resolution.binding is not None
                and resolution.binding.rule is Rule.ANATOMICAL_DESCRIPTION
            )
            else None
        )
        place = named or location_phrase(f.location, lang)
        title = say("title_lesion_details", lang, place=place)
        draft.sections.append(
            Section(title=title, lines=tuple(lines), anchor_ids=(anchor.id,))
        )

    def _which_line(
        self,
        resolution: Resolution,
        anchor: Anchor,
        f: Finding,
        lang: Language,
        *,
        sized: bool = True,
    ) -> list[str]:
        """Name the anchor a superlative or ordinal picked, first ("which one")."""
        rule = None if resolution.binding is None else resolution.binding.rule
        query = self._query
        if query is None or rule not in (Rule.SUPERLATIVE, Rule.ORDINAL):
            return []
        summary = self._anchor_summary_line(anchor, lang, sized=sized)
        summary = summary.split("] ", 1)[-1]
        name, n = (
            position_words("which_ordinal", query.ordinal or 1)
            if rule is Rule.ORDINAL
            else (f"which_{query.superlative or 'largest'}", 0)
        )
        ranked = [c for c in resolution.candidates if isinstance(c, Finding)]
        if rule is Rule.SUPERLATIVE and len(ranked) == 1:
            # one finding fits: it is "the only one", not "the largest" of anything
            name = "which_only_one"
        lines = [say(name, lang, n=n, anchor=cite([anchor.id]), summary=summary)]
        place = resolution.place
        if rule is Rule.SUPERLATIVE and place and not all(map(place.fits, ranked)):
            # the place carried over held one; say the rank is over the film's
            held = [self.anchors.latest_for_finding(c.id) for c in ranked]
            only = [
                a.id for a, c in zip(held, ranked, strict=True) if a and place.fits(c)
            ]
            if only:  # listed in the turn that asked of that place
                lines.append(
                    say(
                        "which_over_film",
                        lang,
                        n=len(ranked),
                        place=self._place_words(place, lang),
                        only=cite(only),
                    )
                )
        return lines

    def _cited_subject(self, resolution: Resolution, anchor: Anchor) -> str:
        """Cite the anchor asked about, and its refined outline when that is another ([A1][A3])."""
        asked = None if resolution.binding is None else resolution.binding.anchor_id
        return cite(list(dict.fromkeys(i for i in (asked, anchor.id) if i)))

    def _cited_measured(self, resolution: Resolution, anchor: Anchor) -> str:
        """Cite what a size is the size of: the finding's anchors, never another's.

        A reader's box (or a region) asked about has a size of its own, so a finding's
        size is cited to the finding alone; an asked anchor that shows the same finding
        (its earlier outline) is cited with it, as `_cited_subject` does.
        """
        asked = None if resolution.binding is None else resolution.binding.anchor_id
        if asked is not None and asked != anchor.id:
            shown = self.anchors.find(asked)
            if shown is None or shown.finding_id != anchor.finding_id:
                return cite([anchor.id])
        return self._cited_subject(resolution, anchor)

    def _premise_lines(
        self, f: Finding, anchor_id: str, a: str, lang: Language
    ) -> list[str]:
        """A sign the question takes for said that this lesion does not show, corrected."""
        query = self._query
        if query is None:
            return []
        signs = premised_signs(query.text, query.signs, load_phrases())
        if not signs:
            return []
        return premise_lines(
            self.analysis, f, anchor_id, a, signs, self.vocabulary, lang
        )

    def _attribute_lines(
        self, f: Finding, a: str, attribute: str, lang: Language
    ) -> list[str]:
        """The answer to one property of a focal finding, then only what bears on it."""
        lines: list[str] = []
        if attribute == "calcification":
            lines.append(f"{a} {calcification_answer(f, lang)}")
        elif attribute == "margin":
            margin = self._margin_lines(f, a, lang)
            irregular = margin_irregular(f.margin)
            lead = say("margin_irregular" if irregular else "margin_regular", lang)
            if margin:
                margin[0] = margin[0].replace(f"{a} ", f"{a} {lead}", 1)
            lines += margin or [say("margin_not_traced", lang, a=a)]
        elif attribute == "density":
            lines += self._internal_lines(f, a, lang) or [
                say("density_not_assessed", lang, a=a)
            ]
        else:
            lines.append(
                say(
                    "shape_line",
                    lang,
                    a=a,
                    shape=_shape_word(f, lang),
                    size=with_size_range(size_phrase(f, lang), f, None, lang),
                )
            )
        if self._is_weak(f):
            confidence = self._confidence_words(f, lang)
            lines.append(say("weak_attribute", lang, a=a, confidence=confidence))
        return lines

    def _measurement(
        self,
        draft: Draft,
        *,
        intent: Intent,
        query: Query,
        lang: Language,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        """One computed value: the CTR, or the size of a lesion in the unit asked."""
        if query.attribute == "ctr":
            method = load_phrases().cue("method_asked").find(query.text) is not None
            self._ctr(draft, lang, index, method=method)
            return
        if _asks_cardiac_widths(query, mentions):
            self._cardiac_widths(draft, query)
            return
        if _size_of_film_sign(query):
            self._film_sign_size(draft, query, index)
            return
        resolution = self._resolve(draft, intent, index, mentions, drawn)
        if resolution.outcome is not Outcome.BOUND:
            self._explain_unresolved(draft, resolution, lang, index)
            return
        f = resolution.finding
        if f is None:
            anchor = resolution.anchor
            assert anchor is not None
            if anchor.kind is AnchorKind.REGION and anchor.region == Region.HEART.value:
                self._heart_size(draft, anchor, query, index)
                return
            if anchor.kind is AnchorKind.USER_DRAWN:
                self._drawn_size(draft, anchor, resolution, query, index)
                return
            self._describe_anchor(draft, anchor, lang, index)
            return
        self._size(draft, f, resolution, query, index)

    def _drawn_size(
        self,
        draft: Draft,
        anchor: Anchor,
        resolution: Resolution,
        query: Query,
        index: int,
    ) -> None:
        """The size asked of a drawn box: of the one finding it holds, else its own.

        A box over the heart is the heart's size (its width and the CTR); a box that
        holds nothing reported is measured as drawn, and says there is no lesion size.
        """
        box = anchor.bbox
        held = [f for f in self._in_box(box) if f in self.reportable()]
        if len(held) == 1:
            self._size(draft, held[0], resolution, query, index)
            return
        lang = query.language
        self.anchors.reference(anchor.id, index)
        _bind_anchor(draft, anchor)
        a = cite([anchor.id])
        cal, est = self.analysis.calibration, self.analysis.estimated_calibration
        wide = measure((box.x0, box.y0), (box.x1, box.y0), cal, est)
        high = measure((box.x0, box.y0), (box.x0, box.y1), cal, est)
        lines = [say("drawn_box_size", lang, a=a, dims=_box_dims(wide, high, lang))]
        if self._box_holds_heart(box):
            # the heart's width on the box's own scale: estimated when the box's is
            width = heart_width_answer(
                self.analysis, query.unit, lang, estimated=wide.is_estimate
            )
            # the heart's width and CTR are the heart's: cited to its one anchor, the
            # one every CTR answer of the conversation cites, not to the box
            heart = self._heart_anchor_id(anchor.id, index)
            h = cite([heart])
            if width is not None:
                lines.append(say("drawn_box_heart", lang, a=h, width=width))
            lines.append(f"{h} {ctr_sentence(ctr_fact(self.analysis), lang)}")
            cited = tuple(dict.fromkeys((anchor.id, heart)))
        else:
            cited = (anchor.id,)
            if not held:
                lines.append(say("drawn_box_no_lesion_size", lang, a=a))
        draft.sections.append(
            Section(
                title=say("title_size", lang),
                lines=tuple(lines),
                anchor_ids=cited,
            )
        )

    def _heart_anchor_id(self, fallback: str, index: int) -> str:
        """The heart's own anchor (made once, reused), else `fallback` (no outline)."""
        heart = self._region_anchor(Region.HEART, index)
        return fallback if heart is None else heart.id

    def _box_contents(self, box: Box) -> tuple[list[Finding], list[Finding]]:
        """What a box holds that an answer names, and which of those are unreported.

        Under its threshold a finding is named only from half of it up: the long tail
        stays unsaid, as everywhere a candidate is named by its place.
        """
        reported = self.reportable()
        named = [
            f
            for f in self._in_box(box)
            if f in reported
            or f.confidence >= NEAR_THRESHOLD_FRACTION * self.report_threshold(f)
        ]
        return named, [f for f in named if f not in reported]

    def _about_the_box(
        self, draft: Draft, *, lang: Language, index: int, **_: Any
    ) -> None:
        """A yes/no about "it" right after a box was drawn: about what the box holds.

        "is it in the lung?" after the box: the read's answer for the film would deny an
        opacity the box answer just described; this says what the box holds, with its
        standing (reported, in or outside the lung field; not reported; nothing).
        """
        box_anchor = drawn_just_before(self.anchors, index)
        assert box_anchor is not None
        self.anchors.reference(box_anchor.id, index)
        _bind_anchor(draft, box_anchor)
        box = box_anchor.bbox
        inside, unreported = self._box_contents(box)
        lines: list[str] = []
        for f in inside:
            anchor = self._anchor_for_finding(f, index)
            a = cite([anchor.id])
            where = location_phrase(f.location, lang)
            if f in unreported:
                # where it lies answers the question; its standing follows
                threshold = self.report_threshold(f)
                share = self._chest_wall_share(f)
                template = (
                    "box_it_unreported_chest_wall"
                    if share is not None
                    else "box_it_unreported"
                    if f.location.inside_lung
                    else "box_it_unreported_outside"
                )
                lines.append(
                    say(
                        template,
                        lang,
                        a=a,
                        where=where,
                        share=share or 0.0,
                        conf=shown_confidence(f.confidence, threshold),
                        threshold=threshold,
                        whose=threshold_owner(f.is_focal, lang),
                    )
                )
                continue
            else:
                lung = "box_it_in_lung" if f.location.inside_lung else "box_it_outside"
                lines.append(say(lung, lang, a=a, where=where))
            lines += self._chest_wall_line(f, a, lang)
        if not inside:
            where = location_phrase(self.analysis.anatomy.locate(box.center), lang)
            lines.append(
                say("box_it_nothing", lang, a=cite([box_anchor.id]), where=where)
            )
            lines += self._nearest_outside(box, lang, index)
        draft.sections.append(
            Section(
                title=say("title_drawn_region", lang),
                lines=tuple(lines),
                anchor_ids=(box_anchor.id,),
            )
        )

    def _in_box(self, box: Box) -> list[Finding]:
        """The analysis's findings a drawn box holds: centre inside, or overlapping."""
        return [
            f
            for f in self.analysis.findings
            if box.contains(f.center) or box.iou(f.bbox) > 0.1
        ]

    def _box_holds_heart(self, box: Box) -> bool:
        """Whether a drawn box is over the heart: it holds most of the heart's outline."""
        a = self.analysis.anatomy
        heart = a.mask(Region.HEART)
        if not heart.any():
            return False
        g0, g1 = a.grid.to_grid((box.x0, box.y0)), a.grid.to_grid((box.x1, box.y1))
        x0, y0 = max(0, int(g0[0])), max(0, int(g0[1]))
        x1, y1 = max(0, math.ceil(g1[0]) + 1), max(0, math.ceil(g1[1]) + 1)
        held = float(heart[y0:y1, x0:x1].sum())
        return held / float(heart.sum()) >= BOX_HOLDS_HEART

    def _cardiac_widths(self, draft: Draft, query: Query) -> None:
        """The heart's and the thorax's widths asked: the two sides of the CTR."""
        lang = query.language
        lines = [
            w
            for w in (
                heart_width_answer(self.analysis, query.unit, lang),
                thoracic_width_answer(self.analysis, query.unit, lang),
            )
            if w is not None
        ]
        lines = [line[:1].upper() + line[1:] for line in lines]
        lines.append(ctr_sentence(ctr_fact(self.analysis), lang))
        doubt = calibration_doubt(self.analysis, lang)
        if doubt is not None:
            lines.append(doubt)  # the widths are in mm; the ratio is not
        draft.sections.append(
            Section(title=say("title_cardiac_widths", lang), lines=tuple(lines))
        )

    def _heart_size(
        self, draft: Draft, anchor: Anchor, query: Query, index: int
    ) -> None:
        """The size asked of the heart outline: its transverse diameter, then its CTR."""
        lang = query.language
        self.anchors.reference(anchor.id, index)
        _bind_anchor(draft, anchor)
        a = cite([anchor.id])
        width = heart_width_answer(self.analysis, query.unit, lang)
        lines = [] if width is None else [f"{a} {width}"]
        lines.append(f"{a} {ctr_sentence(ctr_fact(self.analysis), lang)}")
        draft.sections.append(
            Section(
                title=say("title_size", lang),
                lines=tuple(lines),
                anchor_ids=(anchor.id,),
            )
        )

    def _size(
        self,
        draft: Draft,
        f: Finding,
        resolution: Resolution,
        query: Query,
        index: int,
    ) -> None:
        lang = query.language
        anchor = self._anchor_for_finding(f, index)
        _bind_anchor(draft, anchor)
        a = self._cited_measured(resolution, anchor)
        size = size_answer(f, self.analysis, query.unit, lang)
        lines = [say("size_line", lang, anchor=a, size=size)]
        verdict = threshold_verdict(f, read_size_bound(query.text), lang)
        if verdict is not None:
            lines.insert(0, f"{a} {verdict}")
        # one size line: what the anchor is (the rank that picked it, or its summary)
        # is said without the size again
        which = self._which_line(resolution, anchor, f, lang, sized=False)
        lines += which
        if (
            resolution.binding is not None
            and resolution.binding.rule is Rule.ANATOMY_CORRECTED
        ):
            where = location_phrase(f.location, lang)
            lines.insert(0, say("size_elsewhere_note", lang, where=where))
        # what it is, unless a part of the same question asks where it is
        placed = any(p.intent is IntentKind.LOCATION for p in self._parts)
        if not which and not placed:
            lines.append(self._anchor_summary_line(anchor, lang, sized=False))
        for kind, px, mm in (
            ("long_axis", f.long_axis_px, f.long_axis_mm),
            ("short_axis", f.short_axis_px, f.short_axis_mm),
        ):
            draft.measurements.append(
                Measurement(
                    kind=kind,
                    from_anchor=anchor.id,
                    to_anchor=None,
                    value_px=px,
                    value_mm=mm,
                    calibration=self.analysis.calibration.source
                    if mm is not None
                    else CalibrationSource.NONE,
                )
            )
        draft.sections.append(
            Section(
                title=say("title_size", lang),
                lines=tuple(lines),
                anchor_ids=(anchor.id,),
            )
        )

    def _ctr(
        self,
        draft: Draft,
        lang: Language,
        index: int,
        *,
        method: bool = False,
        reliability: bool = False,
    ) -> None:
        """The measured cardiothoracic ratio, in the words of every other answer.

        Asked how it is measured or where its cut-offs lie, the answer adds the method
        and the bands every CTR answer uses (facts.CTR_ENLARGED, CTR_BORDERLINE_HIGH);
        asked how sure, how far the measurement can be trusted (facts.ctr_reliability).
        """
        heart = self._region_anchor(Region.HEART, index)
        cited = [] if heart is None else [heart.id]
        lines = [f"{cite(cited)} {ctr_sentence(ctr_fact(self.analysis), lang)}".strip()]
        query = self._query
        if reliability or (
            query is not None
            and any(
                load_phrases().cue(c).find(query.text)
                for c in ("attribute_confidence", "measure_reliability")
            )
        ):
            lines += ctr_reliability(self.analysis, lang)
        if self._asks_why():
            # "why borderline?": the two widths it divides, then its bands
            widths = [
                w
                for w in (
                    heart_width_answer(self.analysis, None, lang),
                    thoracic_width_answer(self.analysis, None, lang),
                )
                if w
            ]
            if widths:
                lines.append(say("ctr_widths", lang, widths="; ".join(widths)))
        if method or self._asks_why():
            lines.append(
                say("ctr_method", lang, cut=CTR_ENLARGED, high=CTR_BORDERLINE_HIGH)
            )
        draft.sections.append(
            Section(
                title=say("title_ctr", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _asks_why(self) -> bool:
        """Whether the question asks the reasons for the last answer ("why?", "为什么")."""
        query = self._query
        return query is not None and bool(
            load_phrases().cue("why_followup").find(query.text)
        )

    def _heart_in_focus(self) -> bool:
        """Whether a question that names nothing follows one about the heart's size."""
        query = self._query
        previous = self.state.previous if self.state.records else None
        if query is None or previous is None:
            return False
        if query.anchors or query.ordinals or query.superlative or query.names_place:
            return False
        if query.kind not in (None, "cardiomegaly"):
            return False
        before = previous.query
        return before.kind == "cardiomegaly" or before.attribute == "ctr"

    def _confidence_lines(self, f: Finding, a: str, lang: Language) -> list[str]:
        """How sure the detector is of a finding: its confidence, what it means, its limits.

        A candidate under its kind's report threshold (described, drawn round, or named)
        says so, with whose threshold it is: it is never called "detected", nor its score
        "just above" a threshold it missed. A larger opacity along the chest wall keeps
        the note that it may not be lung at all.
        """
        focal = f.is_focal
        threshold = self.report_threshold(f)
        below = f.confidence < threshold
        fields = {
            "a": a,
            "confidence": confidence_phrase(
                shown_confidence(f.confidence, threshold if below or focal else None),
                lang,
            ),
        }
        lead = (
            "confidence_below_threshold"
            if below
            else "confidence_of_finding"
            if not focal
            else "confidence_of_weak_lesion"
            if self._is_weak(f)
            else "confidence_of_lesion"
        )
        lines = [
            say(
                lead,
                lang,
                threshold=threshold,
                whose=threshold_owner(focal, lang),
                **fields,
            )
        ]
        lines += self._chest_wall_line(f, a, lang)
        return [
            *lines,
            say("confidence_meaning" if focal else "confidence_meaning_finding", lang),
            say("confidence_limits", lang),
        ]

    def _trust_lines(self, f: Finding, a: str, lang: Language) -> list[str]:
        """How sure, or "is it real?": the latter weighs what the engine has for and against.

        Both end with what a score means and its limits (callers listing several
        findings drop those two and say them once).
        """
        query = self._query
        real = query is not None and load_phrases().cue("confidence_real").find(
            query.text
        )
        if not (real and f.is_focal):
            return self._confidence_lines(f, a, lang)
        threshold = self.report_threshold(f)
        fact = reality_fact(self.analysis, f, threshold)
        shown = confidence_phrase(shown_confidence(f.confidence, threshold), lang)
        lead = reality_lead(fact, a, shown, threshold_owner(True, lang), lang)
        return [
            lead,
            *reality_evidence(fact, lang),
            *self._confidence_lines(f, a, lang)[-2:],
        ]

    def _confidence_of_candidates(
        self, draft: Draft, lang: Language, index: int
    ) -> None:
        """How sure, with nothing reported: the candidates the last turn was about, if any.

        "the bigger one?" then "how sure are you": the candidate just described under
        the threshold has a score, and that is the answer, not "no finding".
        """
        focus = [
            (a, f)
            for a in self.anchors.focus(index)
            if a.finding_id and (f := self.analysis.finding(a.finding_id)) is not None
        ]
        if not focus:
            self._confidence_of_nothing(draft, lang)
            return
        # each one's score (and chest-wall note), then what a score means, once
        lines = [
            line
            for a, f in focus
            for line in self._trust_lines(f, cite([a.id]), lang)[:-2]
        ]
        f = focus[0][1]
        lines += self._confidence_lines(f, "", lang)[-2:]
        draft.sections.append(
            Section(
                title=say("title_confidence_none", lang),
                lines=tuple(lines),
                anchor_ids=tuple(a.id for a, _ in focus),
            )
        )

    def _confidence_of_box(
        self, draft: Draft, resolution: Resolution, lang: Language, index: int
    ) -> bool:
        """How sure, of a drawn box: the reported findings inside it, each with its score.

        With none reported inside, it says so plainly, then what the strongest candidate
        the analysis scored there scores, under its threshold; or that none was scored.
        False when the question is not about a drawn box.
        """
        box_anchor = resolution.anchor
        if (
            resolution.outcome is not Outcome.BOUND
            or resolution.finding is not None
            or box_anchor is None
            or box_anchor.kind is not AnchorKind.USER_DRAWN
        ):
            return False
        self.anchors.reference(box_anchor.id, index)
        _bind_anchor(draft, box_anchor)
        box = box_anchor.bbox
        held = self._in_box(box)
        reported = [f for f in self.reportable() if f in held]
        named, _ = self._box_contents(box)
        shown = reported or [f for f in named if f not in reported][:1]
        lines: list[str] = []
        if not reported:
            lines.append(say("box_confidence_none", lang, a=cite([box_anchor.id])))
        for f in shown:
            anchor = self._anchor_for_finding(f, index)
            lines += self._trust_lines(f, cite([anchor.id]), lang)[:-2]
        if not shown:
            strongest = max(held, key=lambda f: f.confidence, default=None)
            lines.append(
                say("box_confidence_nothing_scored", lang)
                if strongest is None
                else say(
                    "box_confidence_strongest",
                    lang,
                    confidence=confidence_phrase(
                        shown_confidence(
                            strongest.confidence, self.report_threshold(strongest)
                        ),
                        lang,
                    ),
                    threshold=self.report_threshold(strongest),
                    whose=threshold_owner(strongest.is_focal, lang),
                )
            )
        focal = all(f.is_focal for f in shown)
        lines += [
            say("confidence_meaning" if focal else "confidence_meaning_finding", lang),
            say("confidence_limits", lang),
        ]
        draft.sections.append(
            Section(
                title=say("title_confidence", lang),
                lines=tuple(lines),
                anchor_ids=(box_anchor.id,),
            )
        )
        return True

    def _confidence_of_nothing(self, draft: Draft, lang: Language) -> None:
        """How sure, asked of a film with no finding: no finding's confidence, the limits."""
        threshold = self.analysis.focal_report_score
        draft.sections.append(
            Section(
                title=say("title_confidence_none", lang),
                lines=(
                    say(
                        "confidence_none",
                        lang,
                        threshold=threshold,
                        extent=DIFFUSE_REPORT_CONFIDENCE,
                    ),
                    say("negative_caveat", lang),
                ),
            )
        )

    def _film_sign_size(self, draft: Draft, query: Query, index: int) -> None:
        """A size asked of an effusion: what is measured of that kind, never a nodule's size.

        An effusion, a pneumothorax or an enlarged heart is no focal finding with an
        outline: its size is said not to be measured, then what is measured of it (the
        costophrenic angles of the side asked; the cardiothoracic ratio).
        """
        lang = query.language
        if query.kind == "cardiomegaly":
            method = load_phrases().cue("method_asked").find(query.text) is not None
            self._ctr(draft, lang, index, method=method)
            return
        lines = [say(f"film_sign_size_{query.kind}", lang)]
        cited: list[str] = []
        if query.kind == "effusion":
            sides = (query.side,) if query.side in ("right", "left") else ()
            for fact in angle_facts(self.analysis):
                if sides and fact.side not in sides:
                    continue
                region = Region(f"{fact.side}_costophrenic_angle")
                anchor = self._region_anchor(region, index)
                ids = [] if anchor is None else [anchor.id]
                cited += ids
                line = f"{cite(ids)} {angle_sentence(fact, lang)}".strip()
                lines.append(line)
        draft.sections.append(
            Section(
                title=say("title_size", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _detail_lines(self, f: Finding, anchor: Anchor, lang: Language) -> list[str]:
        a = cite([anchor.id])
        where = location_phrase(f.location, lang)
        # The zone a reader is told depends on how the zones were drawn: say how.
        zones = self.analysis.zone_rule.describe(lang)
        lobe = lobe_words(lobe_fact(self.analysis, f), lang, self.vocabulary)
        located = (
            say(
                "detail_location_lobe",
                lang,
                a=a,
                where=where,
                lobe=lobe,
                zones=zones,
            )
            if lobe
            else say("detail_location", lang, a=a, where=where, zones=zones)
        )
        # The small-size caveat is its own sentence after the line's shape, so the
        # shape is not tacked onto the caveat's hedge.
        size = with_size_range(
            size_phrase(f, lang), f, None, lang, brief=True, caveat=False
        )
        sized = say("detail_size", lang, a=a, size=size, shape=_shape_word(f, lang))
        caveat = small_size_caveat(f, lang)
        if caveat:
            sized = say("sentence_joiner", lang).join([sized, caveat])
        lines = [located, sized]
        if self._is_weak(f):
            confidence = self._confidence_words(f, lang)
            lines.insert(0, say("weak_detail", lang, a=a, confidence=confidence))
        if f.kind_from_estimate:
            kinds = KIND_SHORT[lang]
            lines.append(
                say(
                    "kind_from_estimate",
                    lang,
                    a=a,
                    kind=kinds[f.kind],
                    other=kinds[_OTHER_FOCAL[f.kind]],
                )
            )
        lines += self._margin_lines(f, a, lang)
        lines += self._internal_lines(f, a, lang)
        if f.pleural_contact is not None:
            contact = "pleura_abuts" if f.pleural_contact else "pleura_apart"
            lines.append(say(contact, lang, a=a))
        lines.append(say("ct_only_signs", lang))
        return lines

    def _margin_lines(self, f: Finding, a: str, lang: Language) -> list[str]:
        """Margin, spicules and edge of a focal finding (empty without a contour)."""
        m = f.margin
        if m is None:
            return []
        lines = [_notch_line(m, a, lang), _spicule_line(m, a, lang)]
        edge = say(
            "edge_sharp"
            if m.sharpness >= 0.6
            else "edge_slightly_blurred"
            if m.sharpness >= 0.4
            else "edge_blurred",
            lang,
        )
        width = (
            ""
            if m.edge_width_mm is None
            else say("edge_width", lang, mm=m.edge_width_mm)
        )
        lines.append(say("edge_line", lang, a=a, edge=edge, width=width))
        return lines

    def _internal_lines(self, f: Finding, a: str, lang: Language) -> list[str]:
        """Internal density, lucency and calcification of a focal finding."""
        if f.homogeneity is None:
            return []
        even = "density_even" if f.homogeneity >= 0.6 else "density_uneven"
        lucent = f.central_lucency or 0.0
        calc = f.calcification_likelihood or 0.0
        return [
            say(
                "internal_line",
                lang,
                a=a,
                homog=say(even, lang),
                cavity=say("lucency_seen" if lucent >= 0.5 else "lucency_none", lang),
                calc=say(
                    "calcification_clause_possible"
                    if calc >= 0.5
                    else "calcification_clause_none",
                    lang,
                ),
            )
        ]

    def _describe_anchor(
        self, draft: Draft, anchor: Anchor, lang: Language, index: int
    ) -> None:
        self.anchors.reference(anchor.id, index)
        _bind_anchor(draft, anchor)
        if anchor.kind is AnchorKind.USER_DRAWN:
            self._drawn_region(draft, lang=lang, index=index, drawn=anchor)
            return
        lines = [f"{cite([anchor.id])} {anchor.label(lang)}"]
        if anchor.kind is AnchorKind.REGION and anchor.region == Region.HEART.value:
            # the heart outline the CTR is measured from: no lobe, no lesion's size
            ctr = ctr_sentence(ctr_fact(self.analysis), lang)
            lines = [say("anchor_is_heart", lang, a=cite([anchor.id]), ctr=ctr)]
        elif anchor.kind in (AnchorKind.REGION, AnchorKind.LANDMARK):
            what = anchor.label(lang)
            lines = [say("anchor_is_anatomy", lang, a=cite([anchor.id]), what=what)]
        if "value_mm" in anchor.attributes or "value_px" in anchor.attributes:
            lines.append(anchor.attributes.get(f"text_{lang}", ""))
        draft.sections.append(
            Section(
                title=say("title_anchor", lang, id=anchor.id),
                lines=tuple(lines),
                anchor_ids=(anchor.id,),
            )
        )

    def _below_threshold_note(self, f: Finding, a: str, lang: Language) -> list[str]:
        """A candidate named under the threshold is never answered as if reported."""
        threshold = self.analysis.focal_report_score
        if not f.is_focal or f.confidence >= threshold:
            return []
        shown = shown_confidence(f.confidence, threshold)
        return [
            say(
                "below_threshold_note",
                lang,
                a=a,
                confidence=shown,
                threshold=threshold,
                whose=threshold_owner(True, lang),
            )
        ]

    def _location(
        self,
        draft: Draft,
        *,
        intent: Intent,
        lang: Language,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        query = self._query
        if query is not None and query.ellipsis and not mentions:
            mentions = self._slot_mentions(query, lang)
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
                    lines.append(say("region_not_located", lang, region=m.text))
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
                        title=say("title_location", lang),
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
        fact = lobe_fact(self.analysis, f)
        lobe = lobe_words(fact, lang, self.vocabulary)
        verdict = self._lobe_verdict_line(fact, anchor, lang)
        line = say(
            # a yes/no lead names the lobe projection; the place line then adds the zone
            "finding_location_lobe" if lobe and not verdict else "finding_location",
            lang,
            a=cite([anchor.id]),
            where=location_phrase(f.location, lang),
            lobe=lobe,
        )
        draft.sections.append(
            Section(
                title=say("title_location", lang),
                lines=(
                    *verdict,
                    line,
                    *self._below_threshold_note(f, cite([anchor.id]), lang),
                    *self._segment_not_told(lang),
                ),
                anchor_ids=(anchor.id,),
            )
        )

    def _segment_not_told(self, lang: Language) -> list[str]:
        """After the zone and lobe, that a segment asked is not told on a frontal film.

        "A2呢" after "A1在哪个肺段" asks the segment again, of A2.
        """
        query = self._query
        if query is None:
            return []
        asked = [query.text]
        previous = self.state.previous
        if query.ellipsis and previous is not None:
            asked.append(previous.query.text)
        cue = load_phrases().cue("segment_asked")
        if not any(cue.find(text) for text in asked):
            return []
        return [say("segment_not_told", lang)]

    def _lobe_verdict_line(
        self, fact: LobeFact, anchor: Anchor, lang: Language
    ) -> list[str]:
        """Yes, no or possibly first, when the question asks whether it is in a lobe."""
        query = self._query
        if query is None:
            return []
        # the lobe named: a slot, or a mention where an anchor already is the subject
        named = [str(m.region_id) for m in query.mentions if m.kind is RegionKind.LOBE]
        lobe = query.lobe or (named[0] if len(named) == 1 else None)
        if lobe is None:
            return []
        phrases = load_phrases()
        if not any(phrases.cue(c).find(query.text) for c in ("yes_no", "polar_lead")):
            return []  # "which lobe, the lingula?" asks where, not whether
        verdict = lobe_verdict(fact, lobe)
        if verdict is None:
            return []
        names = [
            term.name(lang)
            for term in (self.vocabulary.find_anatomy(x) for x in fact.lobes)
            if term is not None
        ]
        asked = self.vocabulary.find_anatomy(lobe)
        if not names or asked is None:
            return []
        either = lobe_names(fact, lang, self.vocabulary)
        return [
            say(
                f"lobe_verdict_{verdict}",
                lang,
                a=cite([anchor.id]),
                name=either if verdict == "no" else names[0],
                other=names[-1],
                asked=asked.name(lang),
            )
        ]

    def _slot_mentions(self, query: Query, lang: Language) -> list[AnatomyMention]:
        """The place of an elliptical follow-up ("另一侧的呢"), as if named in words."""
        ids = []
        if query.hilum:
            ids.append((f"{query.hilum}_hilum", RegionKind.HILUM))
        elif query.lobe:
            ids.append((query.lobe, RegionKind.LOBE))
        elif query.side in ("right", "left") and query.zone:
            ids.append((f"{query.side}_{query.zone}_zone", RegionKind.ZONE))
        mentions = []
        for region_id, kind in ids:
            term = self.vocabulary.find_anatomy(region_id)
            if term is None:
                continue
            mentions.append(
                AnatomyMention(
                    text=term.name(lang),
                    start=0,
                    end=0,
                    kind=kind,
                    side=term.side,
                    region_id=term.id,
                )
            )
        return mentions

    def _region_line(self, anchor: Anchor, lang: Language) -> str:
        c = anchor.center
        conf = (
            ""
            if anchor.confidence is None
            else say("map_confidence", lang, value=anchor.confidence)
        )
        hilum = anchor.kind is AnchorKind.LANDMARK and (anchor.region or "").endswith(
            "hilum"
        )
        note = say("hilum_point_note", lang) if hilum else ""
        return say(
            "region_line",
            lang,
            a=cite([anchor.id]),
            label=anchor.label(lang),
            x=c[0],
            y=c[1],
            conf=conf,
            note=note,
        )

    def _drawn_region(
        self,
        draft: Draft,
        *,
        lang: Language,
        index: int,
        drawn: Anchor | None,
        **_: Any,
    ) -> None:
        if drawn is None:
            draft.sections.append(
                Section(
                    title=say("title_draw_first", lang),
                    lines=(say("draw_first", lang),),
                )
            )
            return
        _bind_anchor(draft, drawn)
        if not any(b.anchor_id == drawn.id for b in draft.bindings):
            draft.bindings.append(
                Binding(
                    phrase=say("phrase_this_region", lang),
                    rule=Rule.DRAWN_REGION,
                    anchor_id=drawn.id,
                )
            )
        box = drawn.bbox
        location = self.analysis.anatomy.locate(box.center)
        lines = [
            say(
                "drawn_location",
                lang,
                a=cite([drawn.id]),
                where=location_phrase(location, lang),
            )
        ]
        # One fact, one source: the box reports what the film's read reports, and names
        # what else the analysis scored there with its real standing (under a threshold,
        # possibly outside the lung), so the next "is it in the lung?" cannot contradict it.
        inside, unreported = self._box_contents(box)
        for f in inside:
            if f not in unreported:
                anchor = self._anchor_for_finding(f, index)
                lines.append(self._finding_line(f, anchor, lang))
                lines += self._chest_wall_line(f, cite([anchor.id]), lang)
        if not inside:
            lines.append(say("drawn_nothing_inside", lang))
        elif len(unreported) == len(inside):
            lines.append(say("drawn_nothing_reported", lang))
        elif unreported:
            lines.append(say("drawn_also_unreported", lang))
        for f in unreported:
            anchor = self._anchor_for_finding(f, index)
            lines.append(self._finding_line(f, anchor, lang))
            lines += self._chest_wall_line(f, cite([anchor.id]), lang)
        if len(unreported) == len(inside):
            lines += self._nearest_outside(box, lang, index)
        if self._box_holds_heart(box):
            ctr = ctr_sentence(ctr_fact(self.analysis), lang)
            ctr = ctr[:1].lower() + ctr[1:]  # follows a colon
            heart = cite([self._heart_anchor_id(drawn.id, index)])
            lines.append(say("drawn_box_heart_ctr", lang, a=heart, ctr=ctr))
        density = self._box_density(box)
        if density is not None:
            word = say(
                "box_denser"
                if density > 1
                else "box_more_lucent"
                if density < -1
                else "box_similar",
                lang,
            )
            lines.append(say("box_density", lang, word=word, sd=density))
        draft.sections.append(
            Section(
                title=say("title_drawn_region", lang),
                lines=tuple(lines),
                anchor_ids=(drawn.id,),
            )
        )

    def _nearest_outside(self, box: Box, lang: Language, index: int) -> list[str]:
        """A box that holds no reported finding names the nearest one just outside it.

        A box drawn beside a detection (a centre a few mm off) is otherwise answered
        "nothing here" while the reader is looking at the lesion the read reported.
        """
        spacing = self.analysis.calibration.mean_mm
        if not spacing:
            return []
        near = []
        for f in self.reportable():
            if not f.is_focal:
                continue
            dx = max(box.x0 - f.center[0], 0.0, f.center[0] - box.x1)
            dy = max(box.y0 - f.center[1], 0.0, f.center[1] - box.y1)
            if math.hypot(dx, dy) * spacing <= NEAR_BOX_MM:
                near.append(f)
        if not near:
            return []
        c = box.center
        f = min(near, key=lambda f: math.dist(f.center, c))
        anchor = self._anchor_for_finding(f, index)
        cal, est = self.analysis.calibration, self.analysis.estimated_calibration
        return [
            say(
                "drawn_nearest_outside",
                lang,
                a=cite([anchor.id]),
                what=KIND_SHORT[lang][f.kind],
                where=location_phrase(f.location, lang),
                dist=distance_phrase(measure(c, f.center, cal, est), lang),
                direction=say(_direction_from(c, f.center, f.location.side), lang),
            )
        ]

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


def _box_dims(wide: Distance, high: Distance, lang: Language) -> str:
    """'12.0 × 8.5 cm' (or px), once: a box is no lesion, so no size interval."""
    if wide.value_mm is None or high.value_mm is None:
        return say("box_dims_px", lang, w=wide.value_px, h=high.value_px)
    w, h = wide.value_mm / 10, high.value_mm / 10
    if wide.is_estimate:
        pct = round(100 * (wide.relative_error or 0.0))
        return say("box_dims_estimated", lang, w=w, h=h, pct=pct)
    return say("box_dims_cm", lang, w=w, h=h)


def _direction_from(origin: Point, p: Point, side: Side) -> str:
    """The answers.toml key of where ``p`` lies from ``origin``: medial, lateral, up, down.

    Image x grows to the patient's left, so on the right lung medial is +x.
    """
    dx, dy = p[0] - origin[0], p[1] - origin[1]
    if abs(dy) > abs(dx):
        return "direction_below" if dy > 0 else "direction_above"
    towards_left = dx > 0
    medial = towards_left if side is Side.RIGHT else not towards_left
    return "direction_medial" if medial else "direction_lateral"


def _size_of_film_sign(query: Query) -> bool:
    """A size asked of a kind that is a whole-film sign (effusion, pneumothorax, heart).

    Such a kind has no focal finding, so no lesion can stand for it; a question that
    names its own lesion (an anchor, a position) is that lesion's size.
    """
    if query.attribute != "size" or query.anchors or query.ordinals:
        return False
    return query.kind in load_phrases().kind_film_signs


__all__ = ["LesionAnswers"]


def _asks_cardiac_widths(query: Query, mentions: list[AnatomyMention]) -> bool:
    """A size asked of the heart or the thorax as a whole ("心脏横径多少", "thoracic width").

    Only when nothing else is named: a finding, anchor, rank or demonstrative beside the
    heart ("心影旁那个结节多大") asks the finding's size.
    """
    if query.attribute not in (None, "size") or (
        query.anchors
        or query.ordinals
        or query.superlative
        or query.cue.demonstrative
        or (query.kind is not None and query.kind != "cardiomegaly")
    ):
        return False
    if load_phrases().cue("thoracic_width").find(query.text):
        return True
    named = [m for m in mentions if m.kind is RegionKind.HEART]
    return query.attribute == "size" and bool(named) and len(named) == len(mentions)
