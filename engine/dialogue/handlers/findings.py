"""Answers about what the film shows: screening, lists and yes/no questions."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from engine.dialogue.binding import (
    Binder,
    SizeFilter,
    _wanted_kinds,
    kind_signs,
    kinds_for,
    size_key,
)
from engine.dialogue.facts import (
    CTR_BORDERLINE_HIGH,
    CTR_ENLARGED,
    CtrState,
    angle_facts,
    angle_part,
    angle_sentence,
    calibration_doubt,
    ctr_answer,
    ctr_fact,
    ctr_sentence,
    lesion_sign_item,
    lobe_fact,
    lobe_names,
    lobe_words,
    reconcile_item,
    side_zh,
    unread_sentence,
    unread_sides,
    with_size_range,
)
from engine.dialogue.phrases import (
    _article,
    _plural,
    _status_line,
    _what,
    led,
    say,
)
from engine.dialogue.query_records import Query
from engine.dialogue.records import (
    Draft,
    Section,
)
from engine.findings import Finding, FindingKind
from engine.intents import Intent, IntentKind
from engine.lesion_groups import group_span_px, one_lesion_groups, pair_geometry
from engine.observations import MEASURED_FEATURES
from engine.references import (
    PlaceFilter,
)
from engine.wording import (
    KIND_SHORT,
    POSSIBLE,
    cite,
    kind_phrase,
    location_phrase,
    shown_confidence,
    shown_length,
    size_phrase,
    zone_phrase,
)
from kernel import Language
from ontology import (
    AnatomyMention,
    FleischnerStatus,
    ItemResult,
    MatchStatus,
    Observation,
    ProfileId,
    RegionKind,
    Sign,
    Unassessable,
    assess,
)
from ontology.phrases import load_phrases

# not assessable for want of a measurement: never taken by this tool, or not on this image
_UNMEASURED = (Unassessable.NOT_MEASURED, Unassessable.NOT_ASSESSED)


def _verdict_lead(
    status: MatchStatus, lang: Language, *, inverted: bool = False
) -> str:
    """Yes / no / not assessable, first; inverted when the question asks "is it normal?"."""
    if inverted and status is not MatchStatus.NOT_ASSESSABLE:
        status = MatchStatus.NOT_MET if status is MatchStatus.MET else MatchStatus.MET
    name = {
        MatchStatus.MET: "lead_yes",
        MatchStatus.NOT_MET: "lead_no",
        MatchStatus.NOT_ASSESSABLE: "lead_not_assessable",
    }[status]
    return say(name, lang)


def _negative_caveat(
    place: PlaceFilter, mentions: Sequence[AnatomyMention] = ()
) -> str:
    """The caveat of a negative answer: the place's own where a film sees little there.

    The place's zone first ("behind the heart"), then a level the question named inside
    a zone ("apices?" is the upper zone, and its apex is hidden by the clavicles), or a
    structure named with no level of its own ("behind the diaphragm?").
    """
    levels = [place.zone or "", *(m.level or m.kind.value for m in mentions)]
    answers = load_phrases().answers
    own = [f"negative_caveat_{level}" for level in levels if level]
    return next((name for name in own if name in answers), "negative_caveat")


# how something is, asked openly: neither "is it clear?" nor "is it blunted?"
_HOW_ARE = re.compile(
    r"怎么样|怎样|如何|咋样|啥样|什么样|情况"
    r"|(?<![a-z])how(?:'s| is| are| do| does| about)?(?![a-z])"
    r"|(?<![a-z])(?:look|looks|looking) like(?![a-z])",
    re.IGNORECASE,
)


def _names_only_the_lungs(query: Query | None) -> bool:
    """Whether the lungs alone are asked how they are ("肺怎么样", "lungs ok?").

    "Is there anything abnormal in the lungs?" (the seed's first question) asks for the
    read, the heart and the angles with it; how the lungs are, or whether they are
    clear, asks about the lungs.
    """
    if query is None or not query.mentions:
        return False
    if not all(m.kind is RegionKind.LUNG for m in query.mentions):
        return False
    asked = _HOW_ARE.search(query.text) or load_phrases().cue("asks_normal").find(
        query.text
    )
    return bool(asked)


def _asks_verdict(text: str) -> bool:
    """Whether a read of the film is asked as a verdict: normal (negative) or not.

    "can I call it negative?", and the short forms that ask the same yes or no: "so
    normal or not", "所以片子正常吗", "all clear?", "正不正常": a word that calls the film
    normal, asked yes or no. The answer opens with the verdict however short the
    question.
    """
    phrases = load_phrases()
    if phrases.cue("negative_asked").find(text) or _NORMAL_OR_NOT.search(text):
        return True
    if not _NORMAL.search(text):
        return False
    asked = text.rstrip().endswith(("?", "？"))
    return asked or phrases.cue("yes_no").find(text) is not None


# "正常不正常", "正不正常", "normal or not": asked as the choice itself
_NORMAL_OR_NOT = re.compile(r"正(?:常)?不正常|(?<![a-z])normal or not(?![a-z])", re.I)
# A word that says the film is normal, so that "no" means findings: not "ok" ("ok, is
# there anything?" asks the opposite way round), nor "abnormal" or "不正常"
_NORMAL = re.compile(
    r"(?<![a-z])(?:normal|negative|unremarkable|all clear)(?![a-z])|(?<!不)正常|阴性",
    re.IGNORECASE,
)


def _lungs_as_named(query: Query, place: PlaceFilter) -> PlaceFilter:
    """The place of a question that names the lungs with no side: both lung fields.

    "and the lungs?", "那肺呢" after heart questions ask of the lungs, not of the whole
    film: answered as "both lungs", so a "no" there does not read as a "no" about the
    heart just described. A place already named (a side, zone, band or lobe) is kept.
    """
    if place:
        return place
    lungs = any(m.kind is RegionKind.LUNG and m.side is None for m in query.mentions)
    return replace(place, side="both") if lungs else place


def _heading(words: str) -> str:
    """A phrase as a heading: its first letter capitalised ("Nodules or masses")."""
    return words[:1].upper() + words[1:]


class FindingAnswers(Binder):
    """Screening, lists and yes/no questions about kinds of finding and whole-film signs."""

    # -- intents -------------------------------------------------------------------
    def _screening(
        self,
        draft: Draft,
        *,
        query: Query | None = None,
        lang: Language,
        index: int,
        **_: Any,
    ) -> None:
        findings = self.reportable()
        self.listing = [f.id for f in findings]
        lines: list[str] = []
        cited: list[str] = []
        if query is not None and _asks_verdict(query.text):
            # "can I call this film negative?", "so normal or not": that answered
            # first, then the read
            lines.append(self._verdict(findings, lang))
        for f in findings:
            anchor = self._screening_anchor(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
        lines += self._one_lesion_lines(findings, cited, lang)
        if findings:
            near = self.near_threshold()
            lines.append(
                say("screening_nothing_else_near", lang, n=len(near))
                if near
                else say("screening_nothing_else", lang)
            )
        else:
            lines.append(say("screening_nothing", lang))
            lines += self._near_threshold_lines(
                self.near_threshold(), "near_threshold_film", lang, index, cited
            )
        lines += self._named_below_lines(cited, lang)
        # a side whose field was not outlined was not searched: said, not implied clear
        lines += [unread_sentence(s, lang) for s in unread_sides(self.analysis)]
        if not findings:
            # "anything behind the diaphragm?": the caveat of the place it names
            named = () if query is None else query.mentions
            lines.append(say(_negative_caveat(PlaceFilter.of(query), named), lang))
        draft.sections.append(
            Section(
                title=say("title_lung_findings", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )
        drafted = query is not None and _asks_a_draft(query.text)
        if drafted or not _names_only_the_lungs(query):
            # "肺怎么样", "lungs ok?": the lungs asked, not the heart and the angles
            draft.sections.append(self._other_structures(lang, index))
        if drafted:
            draft.sections.extend(self._draft_report(findings, cited, lang))
        draft.warnings.extend(self.analysis.warnings)

    def _named_below_lines(
        self,
        cited: list[str],
        lang: Language,
        fits: Callable[[Finding], bool] = lambda f: True,
    ) -> list[str]:
        """Candidates this conversation named under their threshold, said again in a read.

        A nodule candidate named when a place was asked about ("anything in the right
        lower zone?") is not reported, so a later overview or list would leave it out and
        the reader would think it gone: one hedged line keeps it in view, below the
        threshold. An unreported larger opacity a box named stays out of the read
        (test_dialogue_drawn_box_standing).
        """
        named = []
        for anchor in self.anchors.all():
            f = (
                None
                if not anchor.finding_id
                else self.analysis.finding(anchor.finding_id)
            )
            if f is None or not f.is_focal or anchor.id in cited or not fits(f):
                continue  # a nodule candidate: larger opacities keep their own rule
            threshold = self.report_threshold(f)
            if f.confidence >= threshold:
                continue
            named.append(
                say(
                    "named_below_item",
                    lang,
                    a=cite([anchor.id]),
                    kind=KIND_SHORT[lang][f.kind],
                    zone=zone_phrase(f.location.side, f.location.zone, lang),
                    confidence=shown_confidence(f.confidence, threshold),
                )
            )
        if not named:
            return []
        items = say("list_separator", lang).join(named)
        return [say("named_below_threshold", lang, items=items)]

    def _verdict(self, findings: list[Finding], lang: Language) -> str:
        """The first line of "is the film normal?": the lungs' read and the heart's.

        A reported finding answers it; with none, a cardiothoracic ratio above the PA
        limit (borderline or enlarged, from the one CTR fact) still keeps the film from
        being called normal, so the verdict says so before the lung read's caveat.
        """
        if findings:
            one = len(findings) == 1
            key = "negative_asked_reported_one" if one else "negative_asked_reported"
            return say(key, lang, n=len(findings))
        candidates = self.near_threshold()
        under = self._under_words(candidates, lang)
        fact = ctr_fact(self.analysis)
        if fact.state in (CtrState.BORDERLINE, CtrState.ENLARGED):
            near = say("negative_asked_heart_near", lang, under=under)
            return say(
                f"negative_asked_heart_{fact.state.value}",
                lang,
                value=fact.shown,
                cut=CTR_ENLARGED,
                cut_high=CTR_BORDERLINE_HIGH,
                near=near if candidates else "",
            )
        lead = "negative_asked_near" if candidates else "negative_asked_none"
        return say(lead, lang, under=under)

    def _draft_report(
        self, findings: list[Finding], cited: list[str], lang: Language
    ) -> list[Section]:
        """The read above as a report's findings and impression, for the reader to sign.

        "请写一下报告", "write up a report of this film": the facts of the read (nothing
        new is stated) in a report's words: a finding with its place and lobe, "the
        costophrenic angles are clear" rather than their degrees, an impression that
        hedges. What the reader needs and a report does not say (the detection
        confidences, the limits of a radiograph, that this is a draft) is kept in a
        note beside it, not inside the report's sentences.
        """
        joiner = say("report_joiner", lang)
        sentences = [self._report_finding(f, lang) for f in findings]
        spacing = self.analysis.calibration.mean_mm
        sentences += [
            say("report_one_lesion", lang, n=len(group))
            for group in one_lesion_groups(findings, spacing)
        ]
        sentences.append(
            say("report_no_other" if findings else "report_lungs_clear", lang)
        )
        sentences += self._report_structures(lang)
        report = Section(
            title=say("title_draft_report", lang),
            lines=(
                say("report_findings", lang, body=joiner.join(sentences)),
                self._report_impression(findings, lang),
            ),
            anchor_ids=tuple(cited),
        )
        notes: list[str] = []
        doubt = calibration_doubt(self.analysis, lang)
        if doubt is not None and findings:
            notes.append(doubt)  # the report's sizes rest on that spacing
        if findings:
            parts = say("list_separator", lang).join(
                f"{cite([a])} {self._confidence_words(f, lang)}"
                for f, a in zip(findings, cited, strict=True)
            )
            notes.append(say("report_note_confidence", lang, parts=parts))
        if any(f.location.lobe is not None for f in findings):
            notes.append(say("report_note_lobe", lang))
        notes.append(say("report_note_unassessed", lang))
        notes += [say("negative_caveat", lang), say("report_caveat", lang)]
        note = Section(
            title=say("title_report_note", lang),
            lines=tuple(notes),
            anchor_ids=tuple(cited),
        )
        return [report, note]

    def _one_lesion_lines(
        self, findings: list[Finding], cited: list[str], lang: Language
    ) -> list[str]:
        """Listed outlines whose edges nearly touch: possibly one lobulated lesion.

        The rule is engine/lesion_groups.py's, the same that keeps them from counting
        as each other's satellites on a scorecard.
        """
        spacing = self.analysis.calibration.mean_mm
        anchor_of = dict(zip((f.id for f in findings), cited, strict=True))
        lines = []
        for group in one_lesion_groups(findings, spacing):
            pairs = [
                pair_geometry(a, b, spacing or 0.0)
                for i, a in enumerate(group)
                for b in group[i + 1 :]
            ]
            lines.append(
                say(
                    "one_lesion_group",
                    lang,
                    cited=cite([anchor_of[f.id] for f in group]),
                    gap_mm=min(p.edge_gap_mm for p in pairs),
                    # split in two, each part under-measures the lesion they may form
                    span_cm=group_span_px(group) * (spacing or 0.0) / 10,
                )
            )
        return lines

    def _lobe_name(self, f: Finding, lang: Language) -> str | None:
        return lobe_names(lobe_fact(self.analysis, f), lang, self.vocabulary)

    def _report_finding(self, f: Finding, lang: Language) -> str:
        """One finding as a report states it: what, where (with its lobe), how big."""
        name = self._lobe_name(f, lang)
        lobe = "" if name is None else say("report_lobe", lang, name=name)
        kind = kind_phrase(f.kind, lang)
        fields = {
            "where": location_phrase(f.location, lang),
            "lobe": lobe,
            "size": with_size_range(size_phrase(f, lang), f, None, lang, brief=True),
            "kind": kind,
        }
        return self._finding_sentence(f, lang, "report_finding", fields)

    def _report_structures(self, lang: Language) -> list[str]:
        """The heart and the costophrenic angles in a report's words, no degrees."""
        lines = []
        fact = ctr_fact(self.analysis)
        name = {
            CtrState.ENLARGED: "report_heart_enlarged",
            CtrState.BORDERLINE: "report_heart_borderline",
            CtrState.NORMAL: "report_heart_normal",
        }.get(fact.state, "report_heart_not_judged")
        lines.append(say(name, lang, value=fact.shown))
        angles = angle_facts(self.analysis)
        measured = [a for a in angles if a.degrees is not None]
        blunted = [a for a in measured if a.blunted]
        if len(measured) == 2 and not blunted:
            lines.append(say("report_angles_clear", lang))
        elif len(blunted) == 2:
            lines.append(say("report_angles_both_blunted", lang))
        else:
            for a in angles:
                state = (
                    "not_assessed"
                    if a.degrees is None
                    else "blunted"
                    if a.blunted
                    else "clear"
                )
                lines.append(
                    say(
                        f"report_angle_{state}",
                        lang,
                        side=a.side,
                        side_zh=side_zh(a.side),
                    )
                )
        return lines

    def _report_impression(self, findings: list[Finding], lang: Language) -> str:
        """What the findings add up to, hedged: each finding briefly, then the rest.

        A finding is said as an impression says it ("2.0 cm right middle zone nodule"),
        not as the findings sentence again (band and shape stay there); a nodule or
        mass adds the early-lung-cancer profile's next step, since the engine cannot
        call a nodule benign (it cannot tell a benign calcification pattern).
        """
        spacing = self.analysis.calibration.mean_mm
        joined = {
            g[0].id: g[1:] for g in one_lesion_groups(findings, spacing)
        }  # outlines that may be one lesion are one impression item
        folded = {f.id for rest in joined.values() for f in rest}
        items = [
            self._impression_item(f, lang)
            + (say("report_impression_one_lesion", lang) if f.id in joined else "")
            for f in findings
            if f.id not in folded
        ]
        heart = ctr_fact(self.analysis).state
        if heart is CtrState.ENLARGED:
            items.append(say("report_impression_heart", lang))
        # a borderline heart (mild enlargement possible) is said on its own, hedged,
        # never among what the "findings suggest"
        aside = (
            say("report_impression_heart_borderline", lang)
            if heart is CtrState.BORDERLINE
            else ""
        )
        for a in angle_facts(self.analysis):
            if a.blunted:
                items.append(
                    say(
                        "report_impression_angle",
                        lang,
                        side=a.side,
                        side_zh=side_zh(a.side),
                    )
                )
        joiner = say("report_joiner", lang)
        if not items:
            return joiner.join(
                s for s in (say("report_impression_none", lang), aside) if s
            )
        step = self._next_step(findings, lang)
        impression = say(
            "report_impression_lesions"
            if findings and not step
            else "report_impression",
            lang,
            body=say("list_separator", lang).join(items),
        )
        return joiner.join(s for s in (impression, aside, step) if s)

    def _impression_item(self, f: Finding, lang: Language) -> str:
        """One finding in an impression: hedge, long axis, place (side and zone), lobe."""
        name = self._lobe_name(f, lang)
        long_mm = f.long_axis_mm if self.analysis.calibration.is_calibrated else None
        size = (
            ""
            if long_mm is None
            else say("report_impression_size", lang, cm=shown_length(long_mm, "cm"))
        )
        hedge = POSSIBLE[lang] if self._is_weak(f) else ""
        first = hedge or size or "x"
        return say(
            "report_impression_item",
            lang,
            article="an" if first[:1] == "8" else _article(first).lower(),
            hedge=f"{hedge} " if hedge and lang is Language.EN else hedge,
            size=size,
            kind=KIND_SHORT[lang][f.kind],
            where=zone_phrase(f.location.side, f.location.zone, lang),
            lobe="" if name is None else say("report_lobe_short", lang, name=name),
        )

    def _next_step(self, findings: list[Finding], lang: Language) -> str:
        """The early-lung-cancer profile's general next step, for a nodule or mass."""
        if not any(f.kind in (FindingKind.NODULE, FindingKind.MASS) for f in findings):
            return ""
        profile = self.vocabulary.profiles.get(ProfileId("early_lung_cancer"))
        return "" if profile is None else profile.next_step(lang)

    def _other_structures(self, lang: Language, index: int) -> Section:
        """Heart size and costophrenic angles, in the words every other answer uses."""
        lines = []
        fact = ctr_fact(self.analysis)
        angles = angle_facts(self.analysis)
        measured = any(a.degrees is not None for a in angles)
        if fact.value is not None or measured:
            # The CTR as well as the angles: a ratio that could not be measured says so
            # rather than vanishing from the read.
            lines.append(ctr_sentence(fact, lang))
        if measured:
            # Both sides, so a side whose outline failed reads "could not be measured"
            # rather than vanishing from the answer.
            lines += [angle_sentence(a, lang) for a in angles]
        if not lines:
            lines.append(say("other_structures_not_measured", lang))
        return Section(title=say("title_other_structures", lang), lines=tuple(lines))

    def _list(
        self,
        draft: Draft,
        *,
        intent: Intent,
        query: Query,
        lang: Language,
        index: int,
        signs: list[Sign],
        **_: Any,
    ) -> None:
        place, size = PlaceFilter.of(query, self.analysis.anatomy), SizeFilter.of(query)
        kinds = kinds_for(query.kind) or _wanted_kinds(intent, signs)
        wanted = [f for f in self.reportable() if kinds is None or f.kind in kinds]
        findings = [f for f in wanted if place.fits(f) and size.fits(f)]
        if query.attribute == "size":
            # "把所有结节按大小排一下": listed largest first, and a position asked next
            # ("第二个") counts in that order, the one the reader saw
            findings.sort(key=lambda f: -size_key(f))
        self.listing = [f.id for f in findings]
        lines = []
        cited = []
        for f in findings:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
        lines += self._one_lesion_lines(findings, cited, lang)
        focal = sum(f.is_focal for f in findings)
        if place or size or kinds is not None:
            # "How many nodules in the right upper zone?" counts those, not every finding.
            where, what = self._where(place, lang), _what(kinds, lang)
            head = say(
                "list_count_in_place",
                lang,
                where=where,
                n=len(findings),
                what=size.bounded(what, lang),
                whats=size.bounded(_plural(what, len(findings)), lang),
            )
        else:
            head = say(
                "list_count",
                lang,
                n=len(findings),
                focal=focal,
                findings=_plural("finding", len(findings)),
            )
        if size and not findings and wanted:
            # none within the bound: what exists, with its size, so the reader sees why
            lines.append(self._elsewhere_line(wanted, kinds, size, lang, index, cited))
        lines += self._named_below_lines(
            cited,
            lang,
            lambda f: (
                (kinds is None or f.kind in kinds) and place.fits(f) and size.fits(f)
            ),
        )
        if place and not findings:
            # "0 findings behind the heart": as the yes/no answer, what a film misses there
            lines.append(say(_negative_caveat(place, query.mentions), lang))
        draft.sections.append(
            Section(
                title=say("title_findings", lang),
                lines=(head, *lines),
                anchor_ids=tuple(cited),
            )
        )

    def _presence(
        self,
        draft: Draft,
        *,
        intent: Intent,
        query: Query,
        lang: Language,
        index: int,
        signs: list[Sign],
        **_: Any,
    ) -> None:
        """A yes/no question about one thing: a kind of finding (in a place) or a sign."""
        place = _lungs_as_named(query, PlaceFilter.of(query, self.analysis.anatomy))
        sign = self._asked_sign(query, signs)
        if (
            sign is not None
            and sign.rule is None
            and sign.fleischner is FleischnerStatus.DEPRECATED
        ):
            # "Is there an infiltrate?": the term names no one appearance, so answer with
            # the opacities that were found, then say why the word is not used.
            self._presence_of_findings(draft, place, None, lang, index)
            self._presence_of_sign(draft, sign, lang, index)
        elif sign is None:
            kinds = kinds_for(query.kind) or _wanted_kinds(intent, signs)
            self._presence_of_findings(draft, place, kinds, lang, index)
        elif sign.rule is not None and sign.rule.feature.startswith("focal."):
            self._presence_on_lesions(draft, sign, place, lang, index)
        elif query.sized:
            # "有没有大于1cm的结节": a kind's sign with a size bound is its findings, sized
            kinds = kinds_for(query.kind) or _wanted_kinds(intent, signs)
            self._presence_of_findings(draft, place, kinds, lang, index)
        else:
            self._presence_of_sign(draft, sign, lang, index, place.side)

    def _asked_sign(self, query: Query, signs: list[Sign]) -> Sign | None:
        """The sign a presence question asks about, if it names one beyond a finding kind."""
        sign = next((s for s in signs if str(s.code) not in kind_signs()), None)
        film_sign = load_phrases().kind_film_signs.get(query.kind or "")
        by_place = [
            load_phrases().place_film_signs.get(m.level or "") for m in query.mentions
        ]
        place_sign = next((c for c in by_place if c), None)
        if sign is None and place_sign is not None and query.kind != "cardiomegaly":
            # "any blunting at the costophrenic angles?": the place's measured sign,
            # not the effusion the word "blunting" also reads as
            return self.vocabulary.find_sign(place_sign)
        if film_sign is not None and (sign is None or query.kind == "cardiomegaly"):
            return self.vocabulary.find_sign(film_sign)
        return sign

    def _presence_of_findings(
        self,
        draft: Draft,
        place: PlaceFilter,
        kinds: frozenset[FindingKind] | None,
        lang: Language,
        index: int,
    ) -> None:
        size = SizeFilter.of(self._query)
        where = self._where(place, lang)
        what = size.bounded(_what(kinds, lang), lang)
        wanted = [f for f in self.reportable() if kinds is None or f.kind in kinds]
        found = [f for f in wanted if place.fits(f) and size.fits(f)]
        lines: list[str] = []
        cited: list[str] = []
        # "is the right lung clear?" is answered as asked: yes when nothing was found
        normal = self._asks_normal()
        if found:
            weak = all(self._is_weak(f) for f in found)
            whats = size.bounded(_plural(_what(kinds, lang), len(found)), lang)
            if normal and place and not self._normal_said():
                lines.append(
                    self._found_in_named_place(place, found, what, whats, lang)
                )
            else:
                lead = say(
                    ("lead_possibly_not_colon" if normal else "lead_possibly_colon")
                    if weak
                    else ("lead_no" if normal else "lead_present"),
                    lang,
                )
                lines.append(
                    say(
                        "found_in_place",
                        lang,
                        lead=lead,
                        where=where,
                        n=len(found),
                        what=what,
                        whats=whats,
                    )
                )
            for f in found:
                anchor = self._anchor_for_finding(f, index)
                cited.append(anchor.id)
                lines.append(self._finding_line(f, anchor, lang))
                lines += self._lobe_asked_line(place, f, anchor.id, lang)
        else:
            unread = unread_sides(self.analysis, place.side)
            read = [s for s in ("right", "left") if s not in unread]
            if unread and (place.side in unread or not read):
                # the side asked was not read: not a "no" (its field was not outlined)
                lines += [unread_sentence(s, lang, asked=True) for s in unread]
                unread = ()
            else:
                # both lungs, or the film, with one side not read: the "no" is about
                # the side that was
                said = (
                    self._where(replace(place, side=read[0]), lang)
                    if unread
                    else say("where_either_lung", lang)
                    if place == PlaceFilter(side="both")
                    else where
                )
                none = "none_in_place_clear" if normal else "none_in_place"
                lines.append(say(none, lang, where=said, what=what))
            near = self.near_threshold_fitting(place, kinds, size)
            lines += self._near_threshold_lines(
                near,
                "near_threshold_place" if place else "near_threshold_film",
                lang,
                index,
                cited,
                where=where,
            )
            elsewhere = wanted  # none of them lies in the place (or size) asked
            if (place or size) and elsewhere:
                lines.append(
                    self._elsewhere_line(elsewhere, kinds, size, lang, index, cited)
                )
                for f in elsewhere:
                    if place.side in (None, f.location.side.value):
                        anchor = self._anchor_for_finding(f, index)
                        lines += self._lobe_asked_line(place, f, anchor.id, lang)
            lines += [unread_sentence(side, lang) for side in unread]
            named = () if self._query is None else self._query.mentions
            lines.append(say(_negative_caveat(place, named), lang))
        draft.sections.append(
            Section(
                title=say(
                    "title_any_in_place",
                    lang,
                    what=what,
                    whats=_heading(size.bounded(_plural(_what(kinds, lang), 2), lang)),
                    where=where,
                ),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _found_in_named_place(
        self,
        place: PlaceFilter,
        found: Sequence[Finding],
        what: str,
        whats: str,
        lang: Language,
    ) -> str:
        """The first line for a place asked "and the left?" after "right lung ok?".

        The follow-up keeps the earlier question's sense, but its own words ask nothing
        yes or no: a "No:" before the list of what the place holds reads as "nothing
        there". The place is named instead ("Left lung: 2 findings:").
        """
        words = self._place_words(place, lang)
        weak = all(self._is_weak(f) for f in found)
        return say(
            "found_in_named_place_weak" if weak else "found_in_named_place",
            lang,
            place=words[:1].upper() + words[1:],
            n=len(found),
            what=what,
            whats=whats,
        )

    def _normal_said(self) -> bool:
        """Whether the question itself asks if a place is normal ("left lung ok?")."""
        query = self._query
        return query is not None and bool(
            load_phrases().cue("asks_normal").find(query.text)
        )

    def _asks_normal(self) -> bool:
        """Whether the question asks if a place is normal ("right lung ok?", "右肺干净吗").

        "and the left?" after "right lung ok?" asks the same again, so it keeps the
        earlier question's sense: its yes/no must not flip with the side.
        """
        query = self._query
        if query is None:
            return False
        cue = load_phrases().cue("asks_normal")
        if cue.find(query.text):
            return True
        previous = self.state.previous if self.state.records else None
        return bool(
            query.ellipsis
            and previous is not None
            and previous.query.intent is IntentKind.PRESENCE
            # the same kind of question of another place, not "回到A1" after "锐利吗"
            and previous.query.kind == query.kind
            and not (query.anchors or previous.query.signs)
            and cue.find(previous.query.text)
        )

    def _lobe_asked_line(
        self, place: PlaceFilter, f: Finding, anchor_id: str, lang: Language
    ) -> list[str]:
        """Where a lobe was asked: the lobe projection the answers report, hedged."""
        if place.lobe is None:
            return []
        words = lobe_words(lobe_fact(self.analysis, f), lang, self.vocabulary)
        if words is None:
            return []
        return [say("lobe_asked_line", lang, a=cite([anchor_id]), words=words)]

    def _elsewhere_line(
        self,
        elsewhere: list[Finding],
        kinds: frozenset[FindingKind] | None,
        size: SizeFilter,
        lang: Language,
        index: int,
        cited: list[str],
    ) -> str:
        """What exists outside the place or size asked, each with its place (and size)."""
        what = _what(kinds, lang)
        parts = []
        for f in elsewhere:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            fields = {
                "a": cite([anchor.id]),
                "there": location_phrase(f.location, lang),
            }
            if size:
                parts.append(
                    say(
                        "elsewhere_part_sized",
                        lang,
                        **fields,
                        size=size_phrase(f, lang),
                    )
                )
            else:
                parts.append(say("elsewhere_part", lang, **fields))
        # outside a size bound alone they are not "elsewhere", just what there is
        return say(
            "sized_found_line" if size else "elsewhere_line",
            lang,
            what=what,
            whats=_plural(what, len(parts)),
            parts=say("list_separator", lang).join(parts),
        )

    def _presence_on_lesions(
        self,
        draft: Draft,
        sign: Sign,
        place: PlaceFilter,
        lang: Language,
        index: int,
    ) -> None:
        """A lesion sign ("is there calcification?"): each focal finding in the place, assessed."""
        size = SizeFilter.of(self._query)
        lesions = [
            f
            for f in self.reportable()
            if f.is_focal and place.fits(f) and size.fits(f)
        ]
        lines: list[str] = []
        cited: list[str] = []
        for f in lesions:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            item = lesion_sign_item(self.analysis, f, anchor.id, sign, self.vocabulary)
            lines.append(f"{cite([anchor.id])} {_status_line(item, lang)}")
        if not lesions:
            where = self._where(place, lang)
            name = sign.name(lang)
            lines.append(
                say(
                    "no_lesion_to_assess",
                    lang,
                    where=where,
                    sign=name,
                    sign_lower=name.lower(),
                )
            )
            lines.append(say("negative_caveat", lang))
        draft.sections.append(
            Section(
                title=say("title_sign", lang, sign=sign.name(lang)),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _presence_of_sign(
        self,
        draft: Draft,
        sign: Sign,
        lang: Language,
        index: int,
        side: str | None = None,
    ) -> None:
        """A whole-film sign ("有胸腔积液吗"): its measured fact first, then its rule."""
        observations = self._film_observations()
        item = reconcile_item(
            self._with_anchors(
                assess(observations, sign, self.vocabulary, measured=MEASURED_FEATURES),
                index,
            ),
            self.analysis,
        )
        if sign.rule is not None and sign.rule.feature.startswith("pleura.cpa_blunted"):
            self._angles_answer(draft, sign, item, lang, side)
            return
        related = self._related(sign, item, observations, index)
        if not related and item.unassessable is Unassessable.NOT_ASSESSED:
            # a sign judged by one it needs (effusion by the angles) whose own fact is
            # missing here: "not measured on this image", as its checklist item says,
            # never "this tool does not assess it"
            item = self._with_anchors(
                assess(
                    observations,
                    sign,
                    self.vocabulary,
                    measured=MEASURED_FEATURES,
                    needs=load_phrases().needs_sign,
                ),
                index,
            )
        # The answer leads with the measured fact: the sign's own, or, for a sign the
        # engine does not measure (effusion), its measured neighbour's (the angles).
        decided = related[0] if related else item
        decided_sign = self.vocabulary.get_sign(str(decided.sign_code))
        lines = self._fact_lines(decided_sign, decided, lang, side)
        if related:
            lines.append(
                say(
                    "judged_by_neighbour",
                    lang,
                    sign_zh=sign.name("zh"),
                    sign_en=sign.name("en"),
                )
            )
        else:
            lines.append(
                f"{_status_line(item, lang)} {cite(item.evidence_anchor_ids)}".rstrip()
            )
        cited = list(item.evidence_anchor_ids)
        if item.unassessable in _UNMEASURED:
            pattern = getattr(sign, f"visual_pattern_{lang}")
            lines.append(say("look_on_film", lang, pattern=pattern))
            for other in related:
                cited += other.evidence_anchor_ids
                status = (
                    f"{_status_line(other, lang)} {cite(other.evidence_anchor_ids)}"
                )
                lines.append(say("related_measured", lang, status=status.rstrip()))
        meaning = getattr(sign, f"clinical_meaning_{lang}")
        if meaning:
            lines.append(say("clinical_meaning", lang, meaning=meaning))
        draft.sections.append(
            Section(
                title=say("title_sign", lang, sign=sign.name(lang)),
                lines=tuple(lines),
                anchor_ids=tuple(dict.fromkeys(cited)),
            )
        )

    def _angles_answer(
        self,
        draft: Draft,
        sign: Sign,
        item: ItemResult,
        lang: Language,
        side: str | None,
    ) -> None:
        """A costophrenic-angle question ("are they clear?", "左侧变钝吗"): yes/no, then the state.

        The heading names the angles, not the sign, and the yes or no is followed by the
        angles' state ("Yes, clear", "No, not blunted"): a bare yes under the heading
        "Blunted costophrenic angle?" read "blunted - yes" when "clear?" was asked.
        """
        angles = [
            a
            for a in angle_facts(self.analysis)
            if side in (None, "both") or a.side == side
        ]
        measured = [a for a in angles if a.degrees is not None]
        query = self._query
        normal = query is not None and load_phrases().cue("asks_normal").find(
            query.text
        )
        # the yes or no answers the question as asked ("clear?" or "blunted?"); the
        # state word after it says which, so the two can never be read apart
        # ("右边呢？" asks neither: the state alone)
        # ("左边那个是不是钝了" after "两侧肋膈角呢" asks blunted, as a follow-up)
        # ("how are the CP angles", "肋膈角怎么样" ask neither either: the state alone)
        asked = (
            query is not None
            and (not query.ellipsis or load_phrases().cue("yes_no").find(query.text))
            and not (_HOW_ARE.search(query.text) and not normal)
        )
        sense = "_no" if asked and normal else "_yes" if asked else ""
        blunted = any(a.blunted for a in measured)
        if not measured or (len(measured) < len(angles) and not blunted):
            # one sharp, one not measured: no "clear" (or "not blunted") for both
            state = "not_measured"
        elif blunted:
            state = "blunted" + sense
        else:
            state = "clear" + {"_no": "_yes", "_yes": "_no"}.get(sense, "")
        parts = say("angle_part_joiner", lang).join(angle_part(a, lang) for a in angles)
        one = side in ("right", "left")
        lines = [
            say(
                f"angles_{state}",
                lang,
                parts=parts,
                ids=cite(item.evidence_anchor_ids),
            ).rstrip()
        ]
        meaning = getattr(sign, f"clinical_meaning_{lang}")
        if meaning and state.startswith("blunted"):
            lines.append(say("clinical_meaning", lang, meaning=meaning))
        title = (
            say("title_angle_side", lang, side=side, side_zh=side_zh(side or ""))
            if one
            else say("title_angles", lang)
        )
        draft.sections.append(
            Section(
                title=title,
                lines=tuple(lines),
                anchor_ids=tuple(item.evidence_anchor_ids),
            )
        )

    def _related(
        self,
        sign: Sign,
        item: ItemResult,
        observations: list[Observation],
        index: int,
    ) -> list[ItemResult]:
        """Measured neighbours of a sign the engine does not measure (effusion: the angles)."""
        if item.unassessable not in _UNMEASURED:
            return []
        related = [
            self._with_anchors(
                assess(
                    observations, other, self.vocabulary, measured=MEASURED_FEATURES
                ),
                index,
            )
            for other in self._measured_neighbours(sign)
        ]
        return [r for r in related if r.status is not MatchStatus.NOT_ASSESSABLE]

    def _fact_lines(
        self, sign: Sign, item: ItemResult, lang: Language, side: str | None
    ) -> list[str]:
        """Line 1 of a whole-film sign: the measured fact behind it, yes or no first.

        The yes or no answers the question as asked: "is the angle sharp?" is yes when
        the blunted-angle sign is absent.
        """
        feature = "" if sign.rule is None else sign.rule.feature
        query = self._query
        normal = query is not None and load_phrases().cue("asks_normal").find(
            query.text
        )
        if feature == "heart.ctr":
            return [
                ctr_answer(ctr_fact(self.analysis), lang, normal_asked=bool(normal))
            ]
        if feature.startswith("pleura.cpa_blunted"):
            angles = [
                a
                for a in angle_facts(self.analysis)
                if side in (None, "both") or a.side == side
            ]
            measured = [a for a in angles if a.degrees is not None]
            if not measured:
                status = MatchStatus.NOT_ASSESSABLE
            elif any(a.blunted for a in measured):
                status = MatchStatus.MET
            elif len(measured) < len(angles):
                # one sharp, one not measured: no "sharp" (or "not blunted") for both
                status = MatchStatus.NOT_ASSESSABLE
            else:
                status = MatchStatus.NOT_MET
            lead = _verdict_lead(status, lang, inverted=bool(normal))
            return [led(lead, [angle_sentence(a, lang) for a in angles], lang)]
        return []

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


__all__ = ["FindingAnswers"]


def _asks_a_draft(text: str) -> bool:
    """A report asked for, or the reader's plan to edit and sign one ("我改完再签字")."""
    phrases = load_phrases()
    return any(phrases.cue(n).find(text) for n in ("report_request", "reader_signs"))
