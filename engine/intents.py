"""What a question asks: language, intent and the words that point at anchors.

A rule-based parser over Chinese and English cue words. Chinese has no spaces, so cues
match as substrings; English cues match as lower-cased words or phrases. The same
question in either language gives the same `Intent`, which is what makes the analysis
identical in both languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from kernel import Language
from ontology.phrases import CueSet, load_phrases

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> Language:
    """Chinese when the question contains Chinese characters, else English."""
    return Language.ZH if _CJK.search(text) else Language.EN


class IntentKind(StrEnum):
    SCREENING = "screening"  # is anything abnormal?
    DESCRIBE = "describe_finding"  # margin, shape, density, calcification, size
    LOCATION = "location"  # where is it / where is the right hilum
    RELATION = "relation"  # connection between anchors (as a cue word, distance too)
    PROFILE = "profile_check"  # scorecard against a clinical profile
    LIST = "list_findings"  # list or count findings
    EXPLAIN_SIGN = "explain_sign"  # what does spiculation mean
    DRAWN_REGION = "drawn_region"  # what is in the box I drew
    PRESENCE = "presence"  # is there an effusion / a nodule in the left lung?
    MEASUREMENT = "measurement"  # one computed value: the CTR, a size, a distance
    COMPARE = "compare"  # two or more anchors side by side
    OUT_OF_SCOPE = "out_of_scope"  # treatment, prognosis, diagnosis of the person
    HELP = "help"  # nothing recognised


# "A3", "a3", "A 3", "#3", "anchor 3", "锚点3" name anchors ("A1A2" names two); the English article "a" before
# a number ("a 5 mm spicule", "is this a 1 cm nodule") does not, nor does a number
# followed by a unit or an o'clock.
# A capital A written against its number ("A1 mm?", "A2 几cm") is an anchor even before a unit.
_ANCHOR_ID = re.compile(
    r"(?<![A-Za-z])(?:A(\d{1,3})(?!\d)(?!\.\d)(?!(?:mm|cm|px)(?![a-z]))(?!\s*(?:o'?clock|点钟))"
    r"|(?:A[\s-](\d{1,3})|a(\d{1,3})|#\s?(\d{1,3})|anchor\s+(\d{1,3})|锚点\s?(\d{1,3}))"
    r"(?!\d)(?!\.\d)(?!\s*(?:mm|cm|px|o'?clock|点钟|毫米|厘米)(?![a-z])))"
)
# The order in which intents are tried when several cue sets match.
_INTENT_ORDER = (
    IntentKind.OUT_OF_SCOPE,
    IntentKind.PROFILE,
    IntentKind.RELATION,
    IntentKind.DESCRIBE,
    IntentKind.LIST,
    IntentKind.LOCATION,
    IntentKind.SCREENING,
)


def _cue(name: str) -> CueSet:
    return load_phrases().cue(name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    """The parsed question.

    Attributes:
        kind: the main intent.
        also: secondary intents in the same question (e.g. distance and connection).
        anchor_ids: explicit ids named in the question (A3, #3).
        demonstrative: the question points back ("this lesion", "这个病灶").
        demonstrative_phrase: the words that did the pointing, for the binding log.
        focal_noun: the question names a focal lesion ("nodule", "圆形影").
        round_shape: the question describes a round shape.
        mentions_hilum: the question names a hilum.
        region_words: the question says "this region / 这个区域".
        wants_connection: asks whether things are connected.
        wants_distance: asks how far.
        wants_comparison: asks to compare ("compare A1 and A2", "比较").
        hits: every intent whose cue words the question contains.
    """

    kind: IntentKind
    also: tuple[IntentKind, ...]
    language: Language
    anchor_ids: tuple[str, ...]
    demonstrative: bool
    demonstrative_phrase: str | None
    focal_noun: str | None
    round_shape: bool
    mentions_hilum: bool
    region_words: bool
    wants_connection: bool
    wants_distance: bool
    explain: bool
    wants_comparison: bool
    hits: tuple[IntentKind, ...] = ()


# Words that look like pointing but point at nothing in particular: "Is there an
# effusion?" (or "r there", "is ther") and "on this film" ask about the whole film;
# "no nodules there?", "any fluid there": there after a kind asked is the place just said.
_NOT_POINTING = re.compile(
    r"\b(?:is|are|r|were|was|could|can|might|would|may|will) (?:there|ther|thr)\b"
    r"|\b(?:no|any|some)(?: [a-z]+){1,2} there\b"
    r"|\b(?:on |in )?(?:this|that|the) (?:film|image|x-?ray|cxr|radiograph|study)\b"
    # "this side (L) has a nodule": a side pointed at, not a lesion
    r"|\b(?:on |in )?(?:this|that) (?:side|lung|hemithorax)\b",
    re.IGNORECASE,
)


def parse_intent(
    question: str,
    *,
    has_drawn_region: bool = False,
    names_sign: bool = False,
    names_profile: bool = False,
    names_place: bool = False,
) -> Intent:
    """Parse a question into an `Intent` (the cue-level reading; see dialogue.query).

    Args:
        question: the user's words.
        has_drawn_region: a region the user just drew comes with the question.
        names_sign: the question names a sign of the ontology (from the vocabulary).
        names_profile: the question names a scorecard profile (from the vocabulary).
        names_place: the question names a sided or zoned place on the film ("左肺",
            "the right upper zone"; from the anatomy vocabulary).
    """
    text = question.strip()
    language = detect_language(text)
    hits = [k for k in _INTENT_ORDER if _cue(f"intent_{k.value}").find(text)]
    ids = anchor_ids_in(text)
    demonstrative = _cue("demonstrative").find(_NOT_POINTING.sub(" ", text))
    points_at_image = demonstrative is not None or names_place or bool(ids)
    explain = _cue("explain_strong").find(text) is not None or (
        _cue("explain_weak").find(text) is not None and not points_at_image
    )
    yes_no = _cue("yes_no").find(text) is not None or text.rstrip().endswith(
        ("吗?", "吗？", "吗")
    )
    region_words = _cue("region_words").find(text) is not None
    wants_comparison = _cue("compare").find(text) is not None
    kind = _choose(
        hits,
        _Signals(
            explain=explain,
            names_sign=names_sign,
            names_profile=names_profile,
            drawn=has_drawn_region,
            region_words=region_words,
            anchor_ids=bool(ids),
            compares_anchors=wants_comparison and len(set(ids)) >= 2,
            asks_presence=yes_no
            and (names_sign or names_place)
            and demonstrative is None,
            demonstrative=demonstrative is not None,
            diagnosis=_cue("diagnosis").find(text) is not None,
        ),
    )
    return Intent(
        kind=kind,
        also=tuple(h for h in hits if h is not kind),
        language=language,
        anchor_ids=ids,
        demonstrative=demonstrative is not None,
        demonstrative_phrase=demonstrative,
        focal_noun=_cue("focal_noun").find(text),
        round_shape=_cue("round_words").find(text) is not None,
        mentions_hilum=_cue("hilum").find(text) is not None,
        region_words=region_words,
        wants_connection=_cue("attribute_connection").find(text) is not None,
        wants_distance=_cue("attribute_distance").find(text) is not None,
        explain=explain,
        wants_comparison=wants_comparison,
        hits=tuple(hits),
    )


def anchor_pattern() -> re.Pattern[str]:
    """The pattern that finds anchor ids, for blanking them out of a question."""
    return _ANCHOR_ID


def anchor_ids_in(text: str) -> tuple[str, ...]:
    """The anchor ids a question names, in order ("A1跟A2" -> ("A1", "A2"))."""
    return tuple(
        f"A{next(g for g in m.groups() if g)}" for m in _ANCHOR_ID.finditer(text)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Signals:
    """What a question shows besides its intent cues, for choosing the intent."""

    explain: bool
    names_sign: bool
    names_profile: bool
    drawn: bool
    region_words: bool
    anchor_ids: bool
    compares_anchors: bool = False
    asks_presence: bool = False
    demonstrative: bool = False
    diagnosis: bool = False


def _choose(hits: list[IntentKind], s: _Signals) -> IntentKind:
    first = _scope_or_profile(
        hits,
        explain=s.explain,
        names_profile=s.names_profile,
        asks_presence=s.asks_presence,
        diagnosis=s.diagnosis,
    )
    if first is not None:
        return first
    if s.explain and s.names_sign and IntentKind.RELATION not in hits:
        return IntentKind.EXPLAIN_SIGN
    if s.compares_anchors:
        return IntentKind.COMPARE  # "compare A1 and A2": the two anchors side by side
    if s.anchor_ids and not hits:
        return IntentKind.DESCRIBE  # "what is A3?" asks about that anchor
    if s.drawn and (s.region_words or not hits or hits == [IntentKind.SCREENING]):
        return IntentKind.DRAWN_REGION
    specific = next((k for k in _SPECIFIC if k in hits), None)
    if specific is not None:
        return specific
    return _general(hits, s)


_SPECIFIC = (
    IntentKind.RELATION,
    IntentKind.DESCRIBE,
    IntentKind.LIST,
    IntentKind.LOCATION,
)


def _general(hits: list[IntentKind], s: _Signals) -> IntentKind:
    """A question with no specific cue: presence, screening, a sign, or help."""
    # "Is there an effusion?", "左肺有结节吗": one thing, asked yes or no, is answered
    # about that thing (and that place), not with the whole screening list.
    if s.asks_presence and not s.explain:
        return IntentKind.PRESENCE
    if IntentKind.SCREENING in hits:
        return IntentKind.SCREENING
    if s.names_sign and s.demonstrative and not s.explain:
        return IntentKind.DESCRIBE  # "is this a 1 cm nodule?" asks about the lesion
    if s.names_sign:
        return IntentKind.EXPLAIN_SIGN
    if s.drawn:
        return IntentKind.DRAWN_REGION
    return IntentKind.HELP


def _scope_or_profile(
    hits: list[IntentKind],
    *,
    explain: bool,
    names_profile: bool,
    asks_presence: bool,
    diagnosis: bool,
) -> IntentKind | None:
    """Out of scope and profile questions, which outrank every other reading."""
    if IntentKind.OUT_OF_SCOPE in hits:
        return IntentKind.OUT_OF_SCOPE
    if (
        names_profile
        and asks_presence
        and IntentKind.PROFILE not in hits
        and not explain
    ):
        return (
            IntentKind.PRESENCE
        )  # "有气胸吗" asks about the sign, not for the checklist
    if diagnosis and IntentKind.PROFILE not in hits:
        return (
            IntentKind.OUT_OF_SCOPE
        )  # "是肺癌吗" names a profile but asks for a diagnosis
    if names_profile and (
        IntentKind.PROFILE in hits or IntentKind.LIST in hits or explain or not hits
    ):
        return IntentKind.PROFILE
    if IntentKind.PROFILE in hits:
        return IntentKind.PROFILE  # the handler asks which profile when none is named
    if diagnosis:
        return IntentKind.OUT_OF_SCOPE
    return None
