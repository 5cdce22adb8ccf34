"""Binding by what the question says: place, kind, ordinal and superlative before recency.

`select` picks the subject of a question that constrains it: the
findings that fit the place and kind, then the ordinal (the order findings were listed
in) or the superlative (calibrated confidence, or size). When nothing fits, the
resolution says so for that place and carries what exists elsewhere. A question that
constrains nothing is left to `engine.references.resolve_subject` (ids, drawn boxes,
demonstratives, the conversation's focus). `Binder` is the dialogue layer that does
this for a turn and words "which one?" and "not found" answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from engine.analysis import ImageAnalysis
from engine.anatomy import AnatomyMap
from engine.anchors import (
    Anchor,
    AnchorStore,
)
from engine.dialogue.anchoring import Anchoring
from engine.dialogue.facts import unread_sentence, unread_sides
from engine.dialogue.phrases import _FOCAL, _plural, _what, say
from engine.dialogue.query_records import DialogueState, Query
from engine.dialogue.records import (
    Draft,
    Section,
)
from engine.findings import Finding, FindingKind
from engine.geometry import plausible_mm
from engine.intents import Intent, IntentKind
from engine.lesion_groups import group_span_px, one_lesion_groups, pair_geometry
from engine.references import (
    Binding,
    Outcome,
    PlaceFilter,
    Resolution,
    Rule,
    resolve_subject,
)
from engine.wording import (
    KIND_SHORT,
    location_phrase,
    size_phrase,
)
from kernel import Language
from ontology import (
    AnatomyMention,
    Sign,
)
from ontology.phrases import load_phrases


def kinds_for(kind: str | None) -> frozenset[FindingKind] | None:
    """The finding kinds a kind word stands for; None for any (or a whole-film sign)."""
    if kind is None:
        return None
    values = load_phrases().kind_findings.get(kind, ())
    return frozenset(FindingKind(v) for v in values) or None


def size_key(f: Finding) -> float:
    """A finding's size for ranking: the long axis in mm, else in pixels."""
    return f.long_axis_mm if f.long_axis_mm is not None else f.long_axis_px


def measured_mm(f: Finding) -> float | None:
    """A focal finding's long axis in mm as the geometry measured (or estimated) it."""
    if plausible_mm(f.long_axis_mm):
        return f.long_axis_mm
    estimate = f.size_estimate
    if estimate is not None and plausible_mm(estimate.long_axis_mm):
        return estimate.long_axis_mm
    return None


@dataclass(frozen=True, slots=True)
class SizeFilter:
    """The size bound a question names, in mm ("大于1cm的结节" is min 10), inclusive."""

    min_mm: float | None = None
    max_mm: float | None = None

    @classmethod
    def of(cls, query: Query | None) -> SizeFilter:
        if query is None:
            return cls()
        return cls(min_mm=query.min_mm, max_mm=query.max_mm)

    def __bool__(self) -> bool:
        return self.min_mm is not None or self.max_mm is not None

    def fits(self, f: Finding) -> bool:
        """Whether a finding's measured size lies within the bound (any finding if none).

        A bound speaks of focal findings; one whose size could not be measured does not
        fit it, and is offered with what exists instead.
        """
        if not self:
            return True
        size = measured_mm(f) if f.is_focal else None
        if size is None:
            return False
        low_ok = self.min_mm is None or size >= self.min_mm
        return low_ok and (self.max_mm is None or size <= self.max_mm)

    def words(self, lang: Language) -> str:
        """'大于 10 mm' / 'between 10 and 20 mm'; '' without a bound."""
        low, high = self.min_mm, self.max_mm
        if low is not None and high is not None:
            return say("size_bound_between", lang, low=f"{low:g}", high=f"{high:g}")
        if low is not None:
            return say("size_bound_over", lang, low=f"{low:g}")
        if high is not None:
            return say("size_bound_under", lang, high=f"{high:g}")
        return ""

    def bounded(self, what: str, lang: Language) -> str:
        """A kind word with the bound: '大于 10 mm 的结节', 'nodules over 10 mm'."""
        if not self:
            return what
        return say("size_bounded_what", lang, what=what, bound=self.words(lang))


def constrains(query: Query) -> bool:
    """Whether the question narrows its subject by place, kind, ordinal or superlative."""
    if query.anchors:
        return False
    return bool(
        query.ordinals
        or query.superlative
        or PlaceFilter.of(query)
        or query.sized
        or (query.kind in ("mass", "nodule") and not query.cue.demonstrative)
    )


def select(
    query: Query,
    *,
    pool: list[Finding],
    listing: list[str],
    store: AnchorStore,
    anatomy: AnatomyMap | None = None,
) -> Resolution:
    """The subject of a question that constrains it (see the module docstring).

    Args:
        query: the question, read.
        pool: the findings that can be a subject, most confident first.
        store: the conversation's anchors (a bound finding names its latest anchor).
        listing: finding ids in the order the conversation listed them (for ordinals).
        anatomy: the film's map, so a lobe named matches the lobe projection reported.
    """
    place = PlaceFilter.of(query, anatomy)
    size = SizeFilter.of(query)
    kinds = kinds_for(query.kind)
    of_kind = [f for f in pool if kinds is None or f.kind in kinds]
    # the size bound filters before place, rank and recency: "the largest under 2 cm"
    sized = [f for f in of_kind if size.fits(f)]
    fits = [f for f in sized if place.fits(f)]
    if query.ordinals:
        return _by_ordinal(query, fits, listing, store)
    if not fits:
        return _nothing_there(query, of_kind, sized, store, place)
    if query.superlative:
        if len(fits) == 1 and query.ellipsis and len(sized) > 1:
            # "the bigger one?" after "and the left?": a rank compares, and a place
            # carried over that holds one finding ranks nothing; the film's do
            return _by_superlative(query, sized, store, place)
        return _by_superlative(query, fits, store, place)
    if len(fits) == 1:
        rule = Rule.ANATOMICAL_DESCRIPTION if place else Rule.CONSTRAINT
        return _bound(query, fits[0], store, rule, place)
    return Resolution(
        outcome=Outcome.AMBIGUOUS,
        candidates=tuple(fits),
        place=place,
        asked_region=_mention(query),
    )


def _phrase(query: Query) -> str:
    """The words that did the binding: "右肺中叶圆形影", "the second nodule"."""
    mention = _mention(query)
    noun = query.cue.focal_noun
    if mention is None:
        return query.text
    if noun and noun.lower() not in mention.text.lower():
        return (
            f"{mention.text}{noun}"
            if query.language == "zh"
            else f"{mention.text} {noun}"
        )
    return mention.text


def _mention(query: Query) -> AnatomyMention | None:
    """The place the question named in words, for the answer's "in the X"."""
    named = [m for m in query.mentions if m.kind.value != "hilum"]
    return named[0] if named else None


def _nothing_there(
    query: Query,
    of_kind: list[Finding],
    sized: list[Finding],
    store: AnchorStore,
    place: PlaceFilter,
) -> Resolution:
    """Nothing fits the place: the only one on that side, else none, with what is elsewhere.

    A reader who says "右肺中叶那个圆形影" for the one round opacity of the right lung
    means that one even when it projects over another zone; the answer says where it
    actually lies. With several on that side, or none, nothing is picked.
    """
    same_side = [
        f
        for f in sized
        if query.side in ("right", "left") and f.location.side.value == query.side
    ]
    if len(same_side) == 1 and (query.zone or query.band or query.lobe):
        return _bound(query, same_side[0], store, Rule.ANATOMY_CORRECTED, place)
    return Resolution(
        outcome=Outcome.NOT_FOUND,
        elsewhere=tuple(of_kind),
        place=place,
        asked_region=_mention(query),
    )


def _by_ordinal(
    query: Query, fits: list[Finding], listing: list[str], store: AnchorStore
) -> Resolution:
    order = {fid: i for i, fid in enumerate(listing)}
    listed = sorted(fits, key=lambda f: order.get(f.id, len(order) + fits.index(f)))
    n = query.ordinals[0]
    picked = at_position(listed, n)
    if picked is None:
        return Resolution(
            outcome=Outcome.NOT_FOUND, elsewhere=tuple(listed), ordinal_missing=n
        )
    return _bound(query, picked, store, Rule.ORDINAL, PlaceFilter.of(query))


T = TypeVar("T")


def at_position(listed: Sequence[T], n: int) -> T | None:
    """The item at a 1-based position, or counted from the end when negative (-1 the last)."""
    if 1 <= n <= len(listed):
        return listed[n - 1]
    if -len(listed) <= n <= -1:
        return listed[n]
    return None


def position_words(name: str, n: int) -> tuple[str, int]:
    """The answer template for a position and the number it shows ("倒数第 2 个" for -2)."""
    return (f"{name}_from_end", -n) if n < 0 else (name, n)


def ranked_first(fits: list[Finding], superlative: str | None) -> Finding:
    """The finding a rank names among those that fit: surest, smallest or largest."""
    if superlative == "most_suspicious":
        return max(fits, key=lambda f: f.confidence)
    if superlative == "smallest":
        return min(fits, key=size_key)
    return max(fits, key=size_key)


def _by_superlative(
    query: Query, fits: list[Finding], store: AnchorStore, place: PlaceFilter
) -> Resolution:
    """The first by rank; ``candidates`` keeps what was ranked, for the "which" line."""
    best = ranked_first(fits, query.superlative)
    bound = _bound(query, best, store, Rule.SUPERLATIVE, place)
    return replace(bound, candidates=tuple(fits))


def _bound(
    query: Query, f: Finding, store: AnchorStore, rule: Rule, place: PlaceFilter
) -> Resolution:
    anchor = store.latest_for_finding(f.id)
    note = {
        Rule.ORDINAL: f"position {query.ordinal} in the listing order",
        Rule.SUPERLATIVE: f"{(query.superlative or '').replace('_', ' ')} of those that fit",
        Rule.CONSTRAINT: "the only finding that fits the place and kind named",
        Rule.ANATOMY_CORRECTED: "no matching finding in the named region; the only one on that side lies elsewhere",
    }.get(rule, "")
    return Resolution(
        outcome=Outcome.BOUND,
        binding=Binding(
            phrase=_phrase(query),
            rule=rule,
            anchor_id=None if anchor is None else anchor.id,
            finding_id=f.id,
            note=note,
        ),
        anchor=anchor,
        finding=f,
        place=place,
        asked_region=_mention(query),
    )


def _side_of(candidate: Anchor | Finding) -> str | None:
    if isinstance(candidate, Anchor):
        return None if candidate.side is None else candidate.side.value
    return candidate.location.side.value


def _bound_candidate(
    candidate: Anchor | Finding,
    intent: Intent,
    analysis: ImageAnalysis,
    store: AnchorStore,
    note: str = "of the lesions in focus, the one on the side of the hilum named",
) -> Resolution:
    """A resolution bound to one of several candidates, for the reason ``note`` gives."""
    if isinstance(candidate, Anchor):
        anchor: Anchor | None = candidate
        finding = (
            analysis.finding(candidate.finding_id) if candidate.finding_id else None
        )
    else:
        finding = candidate
        anchor = store.latest_for_finding(candidate.id)
    return Resolution(
        outcome=Outcome.BOUND,
        binding=Binding(
            phrase=intent.demonstrative_phrase or "it",
            rule=Rule.DEMONSTRATIVE,
            anchor_id=None if anchor is None else anchor.id,
            finding_id=None if finding is None else finding.id,
            note=note,
        ),
        anchor=anchor,
        finding=finding,
    )


# Signs that name a kind of finding: "is there a nodule?" asks for findings of that kind.
def kind_signs() -> dict[str, frozenset[FindingKind]]:
    """Signs that name a kind of finding ("is there a nodule?" asks for that kind).

    From ontology/data/dialogue/mappings.toml; read on first use, not on import.
    """
    return {
        code: frozenset(FindingKind(k) for k in kinds)
        for code, kinds in load_phrases().kind_signs.items()
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


def _wanted_kinds(intent: Intent, signs: list[Sign]) -> frozenset[FindingKind] | None:
    """The kinds of finding a question asks about, or None for any."""
    for sign in signs:
        kinds = kind_signs().get(str(sign.code))
        if kinds is not None:
            return kinds
    if intent.focal_noun in _FOCAL_WORDS:
        return _FOCAL
    return None


class Binder(Anchoring):
    """Finds a question's subject and says plainly when it is ambiguous or absent."""

    state: DialogueState  # the turns so far (set by the conversation)

    def near_threshold_fitting(
        self,
        place: PlaceFilter,
        kinds: frozenset[FindingKind] | None,
        size: SizeFilter,
    ) -> list[Finding]:
        """The candidates just under the threshold that fit a place, kinds and a bound."""
        return [
            f
            for f in self.near_threshold()
            if (kinds is None or f.kind in kinds) and place.fits(f) and size.fits(f)
        ]

    def _resolve(
        self,
        draft: Draft,
        intent: Intent,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
    ) -> Resolution:
        resolution = self._subject(intent, index, mentions, drawn)
        if resolution.outcome is Outcome.AMBIGUOUS:
            resolution = self._one_lesion_of(draft, resolution, intent, index)
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

    def _subject(
        self,
        intent: Intent,
        index: int,
        mentions: list[AnatomyMention],
        drawn: Anchor | None,
    ) -> Resolution:
        """What the question is about: by what it says first, then by recency."""
        query = self._query
        if drawn is None and query is not None and constrains(query):
            return self._of_the_last_subject(
                select(
                    query,
                    pool=self._pool(),
                    listing=self._listing(),
                    store=self.anchors,
                    anatomy=self.analysis.anatomy,
                ),
                intent,
            )
        resolution = resolve_subject(
            intent,
            mentions=mentions,
            store=self.anchors,
            analysis=self.analysis,
            turn_index=index,
            reportable=self.reportable(),
            drawn_anchor=drawn,
        )
        if resolution.outcome is Outcome.AMBIGUOUS and query and query.hilum:
            # "这个与右肺门相连吗": of the lesions in focus, the one on that hilum's side.
            near = [c for c in resolution.candidates if _side_of(c) == query.hilum]
            if len(near) == 1:
                return _bound_candidate(near[0], intent, self.analysis, self.anchors)
        return self._of_the_last_subject(resolution, intent)

    def _of_the_last_subject(
        self, resolution: Resolution, intent: Intent
    ) -> Resolution:
        """Of several that fit, the one the last turn was about, if it named none itself.

        "how big is the left lung lesion?" then "Are its margins smooth?" or "margin 是
        smooth 还是 lobulated?": the reader is still on that lesion; asking which one
        again (and again on every later turn) was the answer before.
        """
        query = self._query
        previous = self.state.previous if self.state.records else None
        if (
            resolution.outcome is not Outcome.AMBIGUOUS
            or query is None
            or previous is None
            or len(previous.subject_ids) != 1
            or query.anchors
            or query.ordinals
            or query.superlative
        ):
            return resolution
        last = previous.subject_ids[0]
        kept = [c for c in resolution.candidates if self._anchor_id_of(c) == last]
        if len(kept) != 1:
            return resolution
        return _bound_candidate(
            kept[0],
            intent,
            self.analysis,
            self.anchors,
            note="of the lesions that fit, the one the last turn was about",
        )

    def _one_lesion_of(
        self, draft: Draft, resolution: Resolution, intent: Intent, index: int
    ) -> Resolution:
        """Two candidates whose outlines nearly touch: possibly one lesion, so no "which?".

        "左肺中野那个是什么" where the detector split one lobulated nodule in two: asking
        the reader to choose between two parts of one lesion is no answer. The answer
        says first that they may be one lesion and how long they are together, then
        answers for the larger part (engine/lesion_groups.py's rule, as the overview's).
        """
        spacing = self.analysis.calibration.mean_mm
        found = [
            c if isinstance(c, Finding) else self._finding_of(c)
            for c in resolution.candidates
        ]
        findings = [f for f in found if f is not None]
        if not spacing or len(findings) != 2 or len(resolution.candidates) != 2:
            return resolution
        if len(one_lesion_groups(findings, spacing)) != 1:
            return resolution
        larger, other = sorted(findings, key=lambda f: -f.long_axis_px)
        ids = [self._anchor_for_finding(f, index).id for f in (larger, other)]
        lang = intent.language
        pair = pair_geometry(larger, other, spacing)
        line = say(
            "one_lesion_answered",
            lang,
            a=ids[0],
            b=ids[1],
            gap_mm=pair.edge_gap_mm,
            span_cm=group_span_px(findings) * spacing / 10,
        )
        draft.sections.append(
            Section(title=say("title_note", lang), lines=(line,), anchor_ids=tuple(ids))
        )
        return _bound_candidate(
            larger,
            intent,
            self.analysis,
            self.anchors,
            note="two candidates that may be one lesion: the larger part",
        )

    def _finding_of(self, candidate: Anchor) -> Finding | None:
        fid = candidate.finding_id
        return self.analysis.finding(fid) if fid else None

    def _anchor_id_of(self, candidate: Anchor | Finding) -> str | None:
        if isinstance(candidate, Anchor):
            return candidate.id
        anchor = self.anchors.latest_for_finding(candidate.id)
        return None if anchor is None else anchor.id

    def _pool(self) -> list[Finding]:
        """Findings that can be a subject: reportable or already anchored, surest first."""
        anchored = {a.finding_id for a in self.anchors.all() if a.finding_id}
        reportable = self.reportable()
        pool = [
            f for f in self.analysis.findings if f in reportable or f.id in anchored
        ]
        return sorted(pool, key=lambda f: -f.confidence)

    def _listing(self) -> list[str]:
        """Finding ids in the order the conversation listed them (reportable order before)."""
        listed = list(self.listing)
        listed += [f.id for f in self.reportable() if f.id not in listed]
        return listed

    def _note_unused_ids(
        self,
        draft: Draft,
        used: str,
        unused: list[str],
        unknown: tuple[str, ...],
        lang: Language,
    ) -> None:
        missing = [i for i in unused if i in unknown]
        present = [i for i in unused if i not in unknown]
        ids = say("id_separator", lang)
        parts = []
        if present:
            parts.append(
                say(
                    "unused_id_one" if len(present) == 1 else "unused_ids",
                    lang,
                    ids=ids.join(present),
                    used=used,
                    first=present[0],
                )
            )
        if missing:
            parts.append(say("unused_id_unknown", lang, ids=ids.join(missing)))
        parts_text = say("list_separator", lang).join(parts)
        line = say("only_one_answered", lang, used=used, parts=parts_text)
        draft.sections.append(Section(title=say("title_note", lang), lines=(line,)))

    def _unknown_anchors(
        self, draft: Draft, ids: list[str], lang: Language, title: str
    ) -> None:
        """Anchor ids that name nothing in this conversation, said so first.

        Before any anchor exists ("are A1 and A2 the same lesion?" as a first turn), no
        finding has an id yet: the ids are given as findings are shown, so the answer
        offers the read instead of guessing which finding the reader means.
        """
        known = [a.id for a in self.anchors.all()]
        if not known:
            draft.sections.append(
                Section(
                    title=say("title_no_anchors_yet", lang),
                    lines=(say("no_anchors_yet", lang, ids=_either(ids, lang)),),
                )
            )
            return
        line = say("no_such_anchor", lang, ids=", ".join(ids), known=", ".join(known))
        draft.sections.append(Section(title=title, lines=(line,)))

    def _explain_unresolved(
        self, draft: Draft, resolution: Resolution, lang: Language, index: int
    ) -> None:
        """An honest answer when the subject is ambiguous or absent."""
        title = say("title_which_one", lang)
        if resolution.unknown_ids:
            self._unknown_anchors(draft, list(resolution.unknown_ids), lang, title)
            return
        sized = SizeFilter.of(self._query)
        if resolution.outcome is Outcome.NOT_FOUND and (
            resolution.place or resolution.ordinal_missing or sized
        ):
            self._nothing_fits(draft, resolution, lang, index)
            return
        if resolution.outcome is Outcome.AMBIGUOUS:
            lines = []
            ids = []
            for c in resolution.candidates:
                # an anchor of a finding is named as a finding is (its place with the
                # band, its confidence), so two in one zone are told apart
                if isinstance(c, Anchor):
                    anchor: Anchor = c
                    f = self.analysis.finding(c.finding_id) if c.finding_id else None
                else:
                    anchor, f = self._anchor_for_finding(c, index), c
                ids.append(anchor.id)
                if f is None:
                    lines.append(f"{anchor.id}: {anchor.label(lang)}")
                    continue
                lines.append(
                    say(
                        "candidate_line",
                        lang,
                        id=anchor.id,
                        where=location_phrase(f.location, lang),
                        kind=KIND_SHORT[lang][f.kind],
                        size=size_phrase(f, lang),
                        confidence=self._confidence_words(f, lang),
                    )
                )
            draft.clarification.extend(ids)
            head = say("ambiguous_head", lang)
            draft.sections.append(
                Section(title=title, lines=(head, *lines), anchor_ids=tuple(ids))
            )
            return
        region = resolution.asked_region
        if region is not None:
            where = region.text
            line = say("nothing_in_region", lang, where=where)
        else:
            line = say(self._nothing_to_refer_to(), lang)
        lines = [line]
        cited: list[str] = []
        query = self._query
        if region is None and query is not None and query.superlative:
            # "the most suspicious spot?" on a film that reports nothing: what comes
            # nearest, so the reader is not told "nothing" while a candidate sits there
            lines += self._near_threshold_lines(
                self.near_threshold(), "near_threshold_suspicious", lang, index, cited
            )
        draft.sections.append(
            Section(
                title=say("title_not_found", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _nothing_to_refer_to(self) -> str:
        """The wording for "nothing to refer to": no "ask for an overview" after one."""
        records = self.state.records
        read = any(r.query.intent is IntentKind.SCREENING for r in records)
        return "nothing_to_refer_to_after_read" if read else "nothing_to_refer_to"

    def _nothing_fits(
        self, draft: Draft, resolution: Resolution, lang: Language, index: int
    ) -> None:
        """Say that nothing fits the place (or position) asked first, then what is elsewhere."""
        query = self._query
        kind = _what(kinds_for(query.kind if query else None), lang)
        size = SizeFilter.of(query)  # "大于 10 mm 的结节": the bound said with the kind
        what = size.bounded(kind, lang)
        if resolution.ordinal_missing is not None:
            n = len(resolution.elsewhere)
            name, ordinal = position_words(
                "no_such_position", resolution.ordinal_missing
            )
            head = say(
                name,
                lang,
                what=what,
                whats=size.bounded(_plural(kind, n), lang),
                n=n,
                ordinal=ordinal,
            )
        else:
            where = self._place_words(resolution.place, lang)
            head = say("nothing_in_place", lang, where=where, what=what)
        side = None if resolution.place is None else resolution.place.side
        unread = unread_sides(self.analysis, side) if resolution.place else ()
        if side in unread and resolution.ordinal_missing is None:
            # the side asked was not read: that, not "nothing was detected there"
            head = unread_sentence(str(side), lang, asked=True)
            unread = ()
        lines = [head]
        cited: list[str] = []
        place = resolution.place
        if place is not None and resolution.ordinal_missing is None:
            # "左肺中野那个是什么" where only candidates under the threshold lie: those,
            # as "anything in the left mid zone?" lists them, never a bare "nothing"
            kinds = kinds_for(query.kind if query else None)
            near = self.near_threshold_fitting(place, kinds, size)
            lines += self._near_threshold_lines(
                near, "near_threshold_place", lang, index, cited, where=where
            )
        for f in resolution.elsewhere:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
        if resolution.elsewhere and resolution.ordinal_missing is None:
            # outside a size bound alone, what exists is not "elsewhere"
            lead = "elsewhere" if resolution.place or not size else "sized_found"
            lines.insert(1, say(lead, lang))
        lines += [unread_sentence(s, lang) for s in unread]
        if not resolution.elsewhere:
            lines.append(say("negative_caveat", lang))
        draft.clarification.extend(cited)
        draft.sections.append(
            Section(
                title=say("title_not_found", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )


__all__ = [
    "Binder",
    "PlaceFilter",
    "SizeFilter",
    "constrains",
    "kinds_for",
    "measured_mm",
    "ranked_first",
    "select",
    "size_key",
]


def _either(ids: list[str], lang: Language) -> str:
    """The ids a question named, as one phrase: A1; A1 or A2; A1, A2 or A3 (或 in zh)."""
    if len(ids) < 2:
        return "".join(ids)
    return f"{', '.join(ids[:-1])}{say('either_or', lang)}{ids[-1]}"
