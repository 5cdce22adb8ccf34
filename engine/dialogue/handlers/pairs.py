"""A distance or contact asked between two findings ("how far apart are they", "两个离多远").

The two are named by anchor ids, by "the two", "they", "两个", "这两个", or by an anchor
and "this" (the region the reader drew). The answer leads with the centre-to-centre
distance and the nearest edge-to-edge gap, in the unit asked and with the calibration
they were converted by; both come from geometry code (`engine.geometry`).
"""

from __future__ import annotations

from engine.anchors import Anchor, AnchorKind, AnchorStyle
from engine.dialogue.binding import kinds_for
from engine.dialogue.handlers.hilar import HilarPlaceAnswers
from engine.dialogue.phrases import _what, say
from engine.dialogue.query_records import Query
from engine.dialogue.records import Draft, Section, _measurement
from engine.findings import Finding
from engine.geometry import Distance, nearest_edges
from engine.model import CalibrationSource
from engine.references import Binding, PlaceFilter, Rule
from engine.wording import cite, distance_phrase
from kernel import Language, Point
from ontology import AnatomyMention, RegionKind
from ontology.phrases import load_phrases


def asks_between_two(query: Query | None, mentions: list[AnatomyMention]) -> bool:
    """Whether a distance or contact is asked of two findings with each other.

    Two anchors named, one anchor and "this"/"这个", or words for the two together
    ("apart", "the two", "they", "两个", "相距"). A hilum, the pleura or the chest wall
    named makes it a relation to that structure instead.
    """
    if query is None or query.attribute not in ("distance", "connection"):
        return False
    if query.hilum is not None or any(m.kind is RegionKind.HILUM for m in mentions):
        return False
    phrases = load_phrases()
    if phrases.cue("relation_pleura").find(query.text) is not None:
        return False
    named = len(set(query.anchors))
    if named >= 2:
        return True
    if named == 1:
        # the question's own words: an elliptical one keeps the earlier reading's cue
        return phrases.cue("demonstrative").find(query.text) is not None
    return phrases.cue("pair_mutual").find(query.text) is not None


def _outline(anchor: Anchor, finding: Finding | None) -> list[Point]:
    """The closed outline of an anchor: a finding's contour, else its shape's ring."""
    if finding is not None and len(finding.contour) >= 3:
        return list(finding.contour)
    geometry = anchor.geometry
    if geometry.kind == "polygon":
        return list(geometry.points)
    box = geometry.bounding_box()
    return [(box.x0, box.y0), (box.x1, box.y0), (box.x1, box.y1), (box.x0, box.y1)]


class PairAnswers(HilarPlaceAnswers):
    """The distance and contact of two findings (or a finding and a drawn region)."""

    def _relation_section(
        self, draft: Draft, lines: list[str], cited: list[str], lang: Language
    ) -> None:
        """A relation's lines under one heading, and a warning on an uncalibrated film."""
        draft.sections.append(
            Section(
                title=say("title_relation", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )
        if self.analysis.calibration.source is CalibrationSource.NONE:
            draft.warnings.append(
                "no pixel spacing: distances are pixel counts or labelled estimates"
            )

    def _centre_distance(
        self,
        draft: Draft,
        a: Anchor,
        b: Anchor,
        centre_a: Point,
        centre_b: Point,
        index: int,
    ) -> tuple[Distance, Anchor]:
        """The distance between two centres, drawn as a line and kept with the turn."""
        distance = self._measure(centre_a, centre_b)
        line = self._measurement_anchor(
            a,
            b,
            centre_a,
            centre_b,
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
        return distance, line

    def _pair(
        self,
        draft: Draft,
        query: Query,
        lang: Language,
        index: int,
        drawn: Anchor | None,
    ) -> bool:
        """Answer a distance or contact between two; False when the two are not found here.

        False leaves the question to the relation answer (a named id that does not exist
        is reported there).
        """
        pair = self._pair_of(draft, query, lang, index, drawn)
        if pair is None:
            return False
        if not pair:
            return True  # the reader was asked which two, or told there is one
        a, b = pair
        self._pair_answer(draft, query, a, b, lang, index)
        return True

    def _pair_of(
        self,
        draft: Draft,
        query: Query,
        lang: Language,
        index: int,
        drawn: Anchor | None,
    ) -> list[Anchor] | None:
        named = [self.anchors.find(i) for i in dict.fromkeys(query.anchors)]
        if any(a is None for a in named):
            return None
        found = [a for a in named if a is not None]
        if len(found) >= 2:
            a, b = found[0], found[1]
            draft.bindings += [
                self._pair_binding(x, x.id, Rule.EXPLICIT_ID) for x in (a, b)
            ]
            return [a, b]
        if len(found) == 1:
            other = self._this_beside(found[0], drawn)
            if other is None:
                return None
            rule = (
                Rule.DRAWN_REGION
                if other.kind is AnchorKind.USER_DRAWN
                else Rule.DEMONSTRATIVE
            )
            draft.bindings += [
                self._pair_binding(found[0], found[0].id, Rule.EXPLICIT_ID),
                self._pair_binding(other, query.text, rule),
            ]
            return [found[0], other]
        return self._the_two(draft, query, lang, index)

    def _this_beside(self, named: Anchor, drawn: Anchor | None) -> Anchor | None:
        """What "this" points at beside a named anchor: the drawn region, else the last subject."""
        if drawn is not None and drawn.id != named.id:
            return drawn
        for a in reversed(self.anchors.all()):
            if a.kind is AnchorKind.USER_DRAWN and a.id != named.id:
                return a
        previous = self.state.records[-1] if self.state.records else None
        for anchor_id in () if previous is None else previous.subject_ids:
            if anchor_id != named.id:
                return self.anchors.find(anchor_id)
        return None

    def _the_two(
        self, draft: Draft, query: Query, lang: Language, index: int
    ) -> list[Anchor]:
        """The two ("the two", "they"): the last turn's two subjects, else the film's only two."""
        previous = self.state.records[-1] if self.state.records else None
        subjects = [
            a
            for a in (
                self.anchors.find(i) for i in (previous.subject_ids if previous else ())
            )
            if a is not None and a.finding_id is not None
        ]
        if len(subjects) >= 2:
            a, b = subjects[0], subjects[1]
            draft.bindings += [
                self._pair_binding(x, query.text, Rule.FOCUS) for x in (a, b)
            ]
            return [a, b]
        kinds = kinds_for(query.kind)
        place = PlaceFilter.of(query)
        fits = [
            f
            for f in self.reportable()
            if (f.is_focal if kinds is None else f.kind in kinds)
            and (not place or place.fits(f))
        ]
        what = _what(kinds, lang)
        if len(fits) == 2:
            a, b = (self._anchor_for_finding(f, index) for f in fits)
            draft.bindings += [
                self._pair_binding(x, query.text, Rule.CONSTRAINT) for x in (a, b)
            ]
            return [a, b]
        anchors = [self._anchor_for_finding(f, index) for f in fits]
        head = say(
            "pair_which_two" if len(fits) > 2 else "pair_only_one",
            lang,
            count=len(fits),
            what=what,
        )
        lines = [f"{a.id}: {a.label(lang)}" for a in anchors]
        if len(fits) > 2:
            draft.clarification.extend(a.id for a in anchors)
        title = say("title_which_one" if len(fits) > 2 else "title_pair", lang)
        draft.sections.append(
            Section(
                title=title,
                lines=(head, *lines),
                anchor_ids=tuple(a.id for a in anchors),
            )
        )
        return []

    def _pair_binding(self, anchor: Anchor, phrase: str, rule: Rule) -> Binding:
        return Binding(
            phrase=phrase, rule=rule, anchor_id=anchor.id, finding_id=anchor.finding_id
        )

    def _pair_answer(
        self,
        draft: Draft,
        query: Query,
        a: Anchor,
        b: Anchor,
        lang: Language,
        index: int,
    ) -> None:
        """Centre distance and edge gap, the answer first, then the measured lines."""
        self.anchors.reference(a.id, index)
        self.anchors.reference(b.id, index)
        fa = self.analysis.finding(a.finding_id) if a.finding_id else None
        fb = self.analysis.finding(b.finding_id) if b.finding_id else None
        centre_a = a.center if fa is None else fa.center
        centre_b = b.center if fb is None else fb.center
        centre, centre_line = self._centre_distance(
            draft, a, b, centre_a, centre_b, index
        )
        edges = nearest_edges(_outline(a, fa), _outline(b, fb))
        gap_line = None
        gap = None
        if edges is not None:
            gap = self._measure(*edges)
            gap_line = self._measurement_anchor(
                a,
                b,
                edges[0],
                edges[1],
                gap,
                index,
                kind="edge_gap",
                style=AnchorStyle.GAP,
            )
            draft.measurements.append(
                _measurement("edge_gap", a.id, b.id, gap, gap_line.attributes["label"])
            )
        unit = query.unit
        source = _source(centre, lang)
        fields = {
            "a": a.id,
            "b": b.id,
            "centre": _length(centre, unit, lang),
            "source": source,
        }
        if gap is None:
            lead = (
                "pair_touching_yes"
                if query.attribute == "connection"
                else "pair_overlap"
            )
            first = say(lead, lang, **fields)
        else:
            lead = (
                "pair_touching_no" if query.attribute == "connection" else "pair_apart"
            )
            first = say(lead, lang, gap=_length(gap, unit, lang), **fields)
        lines = [first]
        cited = [a.id, b.id, centre_line.id]
        lines.append(
            say(
                "centre_distance",
                lang,
                cited=cite([a.id, b.id]),
                line=cite([centre_line.id]),
                a=a.id,
                b=b.id,
                distance=distance_phrase(centre, lang),
            )
        )
        if gap is not None and gap_line is not None:
            cited.append(gap_line.id)
            lines.append(
                say(
                    "pair_edge_gap",
                    lang,
                    cited=cite([gap_line.id]),
                    a=a.id,
                    b=b.id,
                    distance=distance_phrase(gap, lang),
                )
            )
        self._relation_section(draft, lines, cited, lang)


def _length(d: Distance, unit: str | None, lang: Language) -> str:
    """A length in the unit asked (cm unless mm was asked); estimates and pixels as labelled."""
    if d.value_mm is None or d.is_estimate:
        return distance_phrase(d, lang)
    if unit == "mm":
        return f"{d.value_mm:.0f} mm"
    return f"{d.value_mm / 10:.1f} cm"


def _source(d: Distance, lang: Language) -> str:
    """Which calibration turned pixels into mm, said after the numbers."""
    if d.value_mm is None or d.is_estimate:
        return ""
    source = say(f"source_{d.calibration.value}", lang)
    return say("pair_source", lang, source=source)
