"""Answers that relate anchors: distance and connection to a hilum, comparisons."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.anatomy import Region
from engine.anchors import (
    Anchor,
    AnchorKind,
    AnchorStyle,
)
from engine.dialogue.binding import (
    SizeFilter,
    at_position,
    kinds_for,
    ranked_first,
    size_key,
)
from engine.dialogue.facts import (
    angle_comparison,
    angle_facts,
    unread_sentence,
    unread_sides,
)
from engine.dialogue.handlers.pairs import PairAnswers
from engine.dialogue.phrases import _plural, _what, say
from engine.dialogue.query_intent import asks_if_one, asks_same_lesion
from engine.dialogue.query_records import Query
from engine.dialogue.records import (
    Draft,
    Section,
    _bind_anchor,
    _measurement,
)
from engine.findings import Finding
from engine.intents import Intent
from engine.lesion_groups import (
    ONE_LESION_GAP_FRACTION,
    ONE_LESION_MAX_GAP_MM,
    group_span_px,
    pair_geometry,
)
from engine.model import Side
from engine.references import (
    Binding,
    Outcome,
    PlaceFilter,
    Rule,
)
from engine.wording import (
    cite,
    distance_phrase,
)
from kernel import Language
from ontology import (
    AnatomyMention,
    RegionKind,
)
from ontology.phrases import load_phrases

_SIDE_ZH = {"right": "右", "left": "左"}
# Two findings this far apart at their edges are plainly two lesions: the answer says so
# in cm, since a gap of 16 cm read in mm against a 5 mm rule looks like a unit error.
SAME_LESION_APART_MM = 10.0


def _asks_the_pleura(query: Query | None, mentions: list[AnatomyMention]) -> bool:
    """A relation or distance asked of the pleura or chest wall, and of no hilum.

    "贴着胸膜吗" asks the contact the engine measures; "离胸壁多远" asks a distance it
    does not measure, and must not be answered with the hilum's.
    """
    if query is None or query.hilum is not None:
        return False
    if query.attribute not in ("connection", "distance"):
        return False
    if any(m.kind is RegionKind.HILUM for m in mentions):
        return False
    return load_phrases().cue("relation_pleura").find(query.text) is not None


def _sides_asked(query: Query) -> bool:
    """Right set against left with nothing narrower named ("哪边积液多", "compare both lungs")."""
    return (
        query.side == "both"
        and not query.anchors
        and len(query.ordinals) < 2
        and query.kind in (None, "effusion")
        # "左边最大的那个和右边最大的那个比呢": the findings each side's rank names
        and not (query.kind is None and query.superlative is not None)
    )


def _ranked_on_each_side(picks: list[Finding], superlative: str) -> list[Finding]:
    """The finding one rank names on each side, right then left.

    "左肺最大的结节和右肺最大的结节比呢", "the largest on the left against the largest on
    the right": one finding from each side; all that fit when a side has none.
    """
    sides = [
        [f for f in picks if f.location.side.value == s] for s in ("right", "left")
    ]
    if not all(sides):
        return picks
    return [ranked_first(fits, superlative) for fits in sides]


def _larger(
    pairs: list[tuple[Anchor, Finding]], unit: str | None, lang: Language
) -> str:
    """Say which is larger, with the long axes in the unit asked ("A1 is the larger: 18 vs 12 mm")."""
    ranked = sorted(pairs, key=lambda p: -size_key(p[1]))
    calibrated = all(f.long_axis_mm is not None for _, f in ranked)
    scale, name = (1.0, "mm") if unit == "mm" or unit is None else (0.1, "cm")
    digits = 0 if name == "mm" else 1

    def value(f: Finding) -> str:
        if calibrated and f.long_axis_mm is not None:
            return f"{f.long_axis_mm * scale:.{digits}f}"
        return f"{f.long_axis_px:.0f}"

    unit_word = name if calibrated else say("unit_pixels", lang)
    numbers = " vs ".join(value(f) for _, f in ranked) + f" {unit_word}"
    (big, fb), (second, fs) = ranked[0], ranked[1]
    if abs(size_key(fb) - size_key(fs)) <= 0.05 * size_key(fb):
        return say("compare_same_size", lang, a=big.id, b=second.id, numbers=numbers)
    order = " > ".join(a.id for a, _ in ranked)
    return say("compare_larger", lang, a=big.id, numbers=numbers, order=order)


def _surer(
    pairs: list[tuple[Anchor, Finding]], lang: Language, *, asked: bool = False
) -> str:
    """The finding the detector is surer of, with both confidences.

    `asked`: the confidence itself was asked ("which one's the detector surer about"),
    so the answer says so rather than calling the finding the more suspicious.
    """
    ranked = sorted(pairs, key=lambda p: -p[1].confidence)
    shown = [f"{f.confidence:.2f}" for _, f in ranked]
    numbers = " vs ".join(shown)
    top = ranked[0][0].id
    if shown[0] == shown[1]:
        # the reader sees "0.45 vs 0.45": naming one the more suspicious would rest on
        # digits the answer does not show
        return say(
            "compare_same_confidence", lang, a=top, b=ranked[1][0].id, numbers=numbers
        )
    key = "compare_surer_of" if asked else "compare_surer"
    return say(key, lang, a=top, numbers=numbers)


class RelationAnswers(PairAnswers):
    """Distances and connections to a hilum, and comparisons of anchors."""

    def _relation(
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
                        title=say("title_relation", lang),
                        lines=(say("hilum_not_located", lang),),
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
        if _asks_the_pleura(self._query, mentions):
            self._pleural_contact(draft, f, lesion, lang)
            return
        hilum = self._hilum_for(f.location.side, mentions, index)
        if hilum is None:
            draft.sections.append(
                Section(
                    title=say("title_relation", lang),
                    lines=(say("ipsilateral_hilum_not_located", lang),),
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
            lines.append(say("opposite_hilum_note", lang, hilum=hilum.label(lang)))
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
            say(
                "centre_to_hilum",
                lang,
                a=cite([lesion.id, hilum.id, line_anchor.id]),
                hilum=hilum.label(lang),
                distance=distance_phrase(distance, lang, self._asked_unit()),
            )
        )
        lines.append(say("hilum_reference_point", lang))
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
                    say(
                        "hilum_gap",
                        lang,
                        a=cite([gap_anchor.id]),
                        distance=distance_phrase(gap, lang, self._asked_unit()),
                    )
                )
                lines.append(
                    say(
                        "hilum_not_connected",
                        lang,
                        a=cite([corridor.id]),
                        fraction=relation.strand_fraction,
                        contrast=relation.contrast_along_path,
                    )
                )
            else:
                lines.append(
                    say(
                        "hilum_connected",
                        lang,
                        fraction=relation.strand_fraction,
                        contrast=relation.contrast_along_path,
                    )
                )
        lines.append(say("bronchial_involvement", lang))
        self._relation_section(draft, lines, cited, lang)

    def _between_two(
        self,
        draft: Draft,
        *,
        query: Query,
        lang: Language,
        index: int,
        drawn: Anchor | None,
        **rest: Any,
    ) -> None:
        """A distance or contact of two findings; a named id unknown goes to the relation."""
        if not self._pair(draft, query, lang, index, drawn):
            self._relation(
                draft, query=query, lang=lang, index=index, drawn=drawn, **rest
            )

    def _hilum_binding(
        self, hilum: Anchor, mentions: list[AnatomyMention], lang: Language
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
            phrase=say("phrase_hilum", lang),
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

    def _explicit_pair(
        self, draft: Draft, intent: Intent, lang: Language, index: int
    ) -> None:
        """Two anchors named by id ("distance between A1 and A3", "compare A1 and A2")."""
        ids = list(dict.fromkeys(intent.anchor_ids))
        missing = [i for i in ids[:2] if self.anchors.find(i) is None]
        if missing:
            self._unknown_anchors(draft, missing, lang, say("title_not_found", lang))
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
            rest_ids = say("id_separator", lang).join(rest)
            line = say("one_pair", lang, a=a.id, b=b.id, rest=rest_ids)
            draft.sections.append(Section(title=say("title_note", lang), lines=(line,)))
        self._between_anchors(draft, a, b, lang, index, compare=intent.wants_comparison)

    def _between_anchors(
        self,
        draft: Draft,
        a: Anchor,
        b: Anchor,
        lang: Language,
        index: int,
        *,
        compare: bool = False,
    ) -> None:
        """The centre distance of two anchors (the caller logs how each was bound)."""
        self.anchors.reference(a.id, index)
        self.anchors.reference(b.id, index)
        distance, line = self._centre_distance(draft, a, b, a.center, b.center, index)
        lines = [self._anchor_summary_line(x, lang) for x in (a, b)] if compare else []
        lines.append(
            say(
                "centre_distance",
                lang,
                cited=cite([a.id, b.id]),
                line=cite([line.id]),
                a=a.label(lang),
                b=b.label(lang),
                distance=distance_phrase(distance, lang, self._asked_unit()),
            )
        )
        title = say("title_comparison" if compare else "title_relation", lang)
        draft.sections.append(
            Section(title=title, lines=tuple(lines), anchor_ids=(a.id, b.id, line.id))
        )

    def _compare(
        self,
        draft: Draft,
        *,
        intent: Intent,
        query: Query,
        lang: Language,
        index: int,
        **_: Any,
    ) -> None:
        """Two or more anchors or findings side by side, the comparison answered first."""
        named = list(dict.fromkeys(query.anchors))
        if _sides_asked(query):
            self._compare_sides(draft, query, lang, index)
            return
        missing = [i for i in named if self.anchors.find(i) is None]
        if missing:
            self._explicit_pair(draft, intent, lang, index)
            return
        anchors = self._compared(query, named, index)
        if len(anchors) == 1 and len(query.superlatives) >= 2:
            # "最可疑的和最大的是不是同一个": both ranks name one finding, which is the answer
            self._one_for_every_rank(draft, anchors[0], query, lang)
            return
        if len(anchors) < 2:
            what, size = _what(kinds_for(query.kind), lang), SizeFilter.of(query)
            whats = size.bounded(_plural(what, 2), lang)
            few = say(
                "compare_too_few", lang, what=size.bounded(what, lang), whats=whats
            )
            draft.sections.append(
                Section(title=say("title_comparison", lang), lines=(few,))
            )
            return
        draft.bindings += [
            Binding(
                phrase=a.id,
                rule=Rule.EXPLICIT_ID if a.id in named else Rule.CONSTRAINT,
                anchor_id=a.id,
                finding_id=a.finding_id,
            )
            for a in anchors
        ]
        verdict = self._comparison_verdict(anchors, query, lang)
        same = self._same_lesion_verdict(anchors, query, lang)
        verdict = verdict if same is None else same
        verdict = self._box_verdict(anchors, lang) or verdict
        if asks_if_one(query) and len(anchors) == len(query.superlatives):
            # "最可疑的和最大的是不是同一个" when they are two: which rank names which
            ranks = say("id_separator", lang).join(
                say("rank_is", lang, rank=say(f"rank_{r}", lang), a=a.id)
                for r, a in zip(query.superlatives, anchors, strict=True)
            )
            verdict = say(
                "compare_different_findings", lang, ranks=ranks, verdict=verdict
            )
        if len(anchors) == 2:
            self._between_anchors(
                draft, anchors[0], anchors[1], lang, index, compare=True
            )
            section = draft.sections[-1]
            draft.sections[-1] = replace(section, lines=(verdict, *section.lines))
            return
        lines = [verdict, *(self._anchor_summary_line(a, lang) for a in anchors)]
        draft.sections.append(
            Section(
                title=say("title_comparison", lang),
                lines=tuple(lines),
                anchor_ids=tuple(a.id for a in anchors),
            )
        )

    def _box_verdict(self, anchors: list[Anchor], lang: Language) -> str | None:
        """A drawn box against a finding: whether the box holds it, answered first.

        A box has no size or score to compare; what a reader asks ("is that the same
        as A1?") is whether the finding lies in it.
        """
        if len(anchors) != 2:
            return None
        boxes = [a for a in anchors if a.kind is AnchorKind.USER_DRAWN]
        others = [a for a in anchors if a.finding_id is not None]
        if len(boxes) != 1 or len(others) != 1:
            return None
        box, other = boxes[0], others[0]
        f = self.analysis.finding(other.finding_id or "")
        if f is None:
            return None
        holds = box.bbox.contains(f.center)
        return say(
            "box_holds_finding" if holds else "box_misses_finding",
            lang,
            box=cite([box.id]),
            a=cite([other.id]),
        )

    def _asked_unit(self) -> str | None:
        """The unit the question asks a length in ("离肺门多少毫米": mm), if any."""
        return None if self._query is None else self._query.unit

    def _same_lesion_verdict(
        self, anchors: list[Anchor], query: Query, lang: Language
    ) -> str | None:
        """Answer "are these the same lesion?" of two focal findings first: possibly, or no.

        From the outlines' geometry only (engine/lesion_groups.py): the edge gap against
        the one-lesion limit, with the centre distance; None when not asked, not two
        focal findings, or the film has no spacing to state the rule in mm.
        """
        spacing = self.analysis.calibration.mean_mm
        if len(anchors) != 2 or not spacing or not asks_same_lesion(query):
            return None
        found = [
            self.analysis.finding(a.finding_id) if a.finding_id else None
            for a in anchors
        ]
        a, b = found
        if a is None or b is None or not (a.is_focal and b.is_focal):
            return None
        pair = pair_geometry(a, b, spacing)
        longest = max(a.long_axis_px, b.long_axis_px) * spacing
        if pair.edge_gap_mm >= SAME_LESION_APART_MM:
            return say(
                "same_lesion_apart",
                lang,
                a=anchors[0].id,
                b=anchors[1].id,
                gap_cm=pair.edge_gap_mm / 10,
                centre_cm=pair.centre_mm / 10,
            )
        return say(
            "same_lesion_possibly" if pair.possibly_one else "same_lesion_no",
            lang,
            a=anchors[0].id,
            b=anchors[1].id,
            gap_mm=pair.edge_gap_mm,
            centre_cm=pair.centre_mm / 10,
            limit_mm=min(ONE_LESION_MAX_GAP_MM, ONE_LESION_GAP_FRACTION * longest),
            # one lobulated lesion is as long as the two outlines together
            span_cm=group_span_px([a, b]) * spacing / 10,
        )

    def _one_for_every_rank(
        self, draft: Draft, anchor: Anchor, query: Query, lang: Language
    ) -> None:
        ranks = say("rank_joiner", lang).join(
            say(f"rank_{r}", lang) for r in query.superlatives
        )
        draft.bindings.append(
            Binding(
                phrase=ranks,
                rule=Rule.SUPERLATIVE,
                anchor_id=anchor.id,
                finding_id=anchor.finding_id,
            )
        )
        lines = (
            say("compare_same_finding", lang, a=anchor.id, ranks=ranks),
            self._anchor_summary_line(anchor, lang),
        )
        draft.sections.append(
            Section(
                title=say("title_comparison", lang),
                lines=lines,
                anchor_ids=(anchor.id,),
            )
        )

    def _pleural_contact(
        self, draft: Draft, f: Finding, lesion: Anchor, lang: Language
    ) -> None:
        """Whether a lesion touches the pleura: the contact measured, not the hilum's relation."""
        a = cite([lesion.id])
        contact = f.pleural_contact
        name = (
            "pleura_contact_not_assessed"
            if contact is None
            else "pleura_contact_yes"
            if contact
            else "pleura_contact_no"
        )
        lines = [say(name, lang, a=a), say("pleura_contact_how", lang)]
        if self._query is not None and self._query.attribute == "distance":
            # the distance asked is not measured: say so first, then the contact that is
            lines.insert(0, say("pleura_distance_not_measured", lang, a=a))
        draft.sections.append(
            Section(
                title=say("title_relation", lang),
                lines=tuple(lines),
                anchor_ids=(lesion.id,),
            )
        )

    def _compare_sides(
        self, draft: Draft, query: Query, lang: Language, index: int
    ) -> None:
        """Right against left, the comparison first, from computed values only.

        Findings are counted per lung; fluid is compared through the measured
        costophrenic angles (the same facts and cut-off as every effusion answer).
        """
        lines: list[str] = []
        cited: list[str] = []
        if query.kind is None:
            line, ids = self._sides_findings(draft, lang, index)
            lines.append(line)
            cited += ids
        lines.append(angle_comparison(angle_facts(self.analysis), lang))
        angles = (Region.RIGHT_COSTOPHRENIC_ANGLE, Region.LEFT_COSTOPHRENIC_ANGLE)
        lungs = (Region.RIGHT_LUNG, Region.LEFT_LUNG)
        for region in angles if query.kind == "effusion" else lungs:
            anchor = self._region_anchor(region, index)
            if anchor is None:
                continue
            cited.append(anchor.id)
            draft.bindings.append(
                Binding(
                    phrase=region.value.replace("_", " "),
                    rule=Rule.ANATOMICAL_DESCRIPTION,
                    anchor_id=anchor.id,
                )
            )
        draft.sections.append(
            Section(
                title=say("title_compare_sides", lang),
                lines=tuple(lines),
                anchor_ids=tuple(dict.fromkeys(cited)),
            )
        )

    def _sides_findings(
        self, draft: Draft, lang: Language, index: int
    ) -> tuple[str, list[str]]:
        """The focal findings of each lung, counted, the side with more said first."""
        what = _what(None, lang)
        count: dict[str, int] = {}
        cites: dict[str, str] = {}
        cited: list[str] = []
        for side in ("right", "left"):
            found = [
                f
                for f in self.reportable()
                if f.is_focal and f.location.side.value == side
            ]
            anchors = [self._anchor_for_finding(f, index) for f in found]
            draft.bindings += [
                Binding(
                    phrase=side,
                    rule=Rule.CONSTRAINT,
                    anchor_id=a.id,
                    finding_id=a.finding_id,
                )
                for a in anchors
            ]
            count[side] = len(anchors)
            cites[side] = (" " + cite([a.id for a in anchors])) if anchors else ""
            cited += [a.id for a in anchors]
        right, left = count["right"], count["left"]
        more = "right" if right > left else "left"
        unread = unread_sides(self.analysis)
        lead = (
            say("lead_not_judged", lang)  # a side not read has no count to compare
            if unread
            else say("sides_lead_none", lang)
            if right == left == 0
            else say("sides_lead_same", lang)
            if right == left
            else say("sides_lead_more", lang, side=more, side_zh=_SIDE_ZH[more])
        )
        line = say(
            "sides_findings",
            lang,
            lead=lead,
            right=right,
            left=left,
            what=what,
            right_whats=_plural(what, right),
            left_whats=_plural(what, left),
            right_ids=cites["right"],
            left_ids=cites["left"],
        )
        line = " ".join([line, *(unread_sentence(side, lang) for side in unread)])
        return line, cited

    def _compared(self, query: Query, named: list[str], index: int) -> list[Anchor]:
        """The anchors a comparison is about: those named, else the positions or kind asked."""
        if len(named) >= 2:
            return [self.anchors.get(i) for i in named]
        pool = self._pool()
        if len(query.ordinals) >= 2:
            order = self._listing()
            listed = [f for fid in order for f in pool if f.id == fid]
            found = (at_position(listed, n) for n in query.ordinals)
            picks = [f for f in found if f is not None]
        else:
            kinds = kinds_for(query.kind)
            place, size = (
                PlaceFilter.of(query, self.analysis.anatomy),
                SizeFilter.of(query),
            )
            picks = [
                f
                for f in pool
                if (kinds is None or f.kind in kinds)
                and place.fits(f)
                and size.fits(f)
                and f.is_focal
            ]
            if len(query.superlatives) >= 2 and len(picks) >= 2:
                # "最大的和最小的差多少": the one each rank names, among those that fit
                ranked = (ranked_first(picks, s) for s in query.superlatives)
                picks = list({f.id: f for f in ranked}.values())
            elif query.side == "both" and query.superlative is not None:
                picks = _ranked_on_each_side(picks, query.superlative)
        return [self._anchor_for_finding(f, index) for f in picks]

    def _comparison_verdict(
        self, anchors: list[Anchor], query: Query, lang: Language
    ) -> str:
        """Line 1 of a comparison: which is larger (or surer), with the numbers."""
        pairs = [
            (a, f)
            for a in anchors
            if a.finding_id and (f := self.analysis.finding(a.finding_id)) is not None
        ]
        ids = say("id_separator", lang).join(a.id for a in anchors)
        if len(pairs) < 2:
            return say("compare_one_finding", lang, ids=ids)
        if query.attribute == "confidence":
            # "which one's the detector surer about, A1 or A5?": by confidence
            return _surer(pairs, lang, asked=True)
        if query.superlative == "most_suspicious" and query.attribute != "size":
            return _surer(pairs, lang)
        return _larger(pairs, query.unit, lang)


__all__ = ["RelationAnswers"]
