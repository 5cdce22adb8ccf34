"""What a question asks, as slots, and the dialogue state that completes a follow-up.

`understand(text, state)` reads a question into a `Query`: the intent and every slot
the question constrains (side, zone, band, lobe, hilum side, kind, attribute, unit,
anchors, ordinal, superlative, profile). An elliptical follow-up ("右肺呢", "what about
A2?", "the other lung?") is the previous question again with the new slot: `DialogueState`
keeps each turn's query and the side of what it was about, so "the other side" has
something to be opposite to. The cue words are data (ontology/data/dialogue).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.intents import Intent, IntentKind, anchor_pattern, parse_intent
from kernel import Language
from ontology import AnatomyMention, Sign, Vocabulary
from ontology.phrases import Phrases, load_phrases

_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
    "6th": 6,
    "secnd": 2,
    "scond": 2,
    "frist": 1,
    "thrid": 3,
    "secnod": 2,
    "seocnd": 2,
    "secodn": 2,
}
_EN_DIGITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
# "第二个", and "2号结节" / "三号病灶": a number mark names a listed finding
_ZH_ORDINAL = re.compile(
    r"第\s*([一二两三四五六1-6])\s*(?:个|处|枚|颗|条|个病灶|号)?"
    r"|(?<![\d第月])([一二三四五六1-6])\s*号(?=\s*(?:结节|病灶|肿块|阴影|$|[?？的呢在多有是]))"
)
# "number 2", "no. three", "finding 2": not "lesion 2 cm" (a size)
_EN_NUMBER = re.compile(
    r"(?<![a-z])(?:number|no\.?|finding|lesion|nodule)\s*"
    r"([1-6]|one|two|three|four|five|six)(?![\d.a-z])(?!\s*(?:mm|cm|o'?clock))"
)
# "inner third", "upper third of the lung": a third of a lung is a place, not a rank
_EN_ORDINAL = re.compile(
    r"(?<![a-z])(?<!inner )(?<!outer )(?<!middle )(?<!upper )(?<!lower )(?<!medial )"
    r"(?<!lateral )(first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th"
    r"|secnd|scond|secnod|seocnd|secodn|frist|thrid)(?![a-z])"
)
# Attributes and the intent a question about them has when it is not a yes/no.
_ATTRIBUTE_INTENT = {
    "size": IntentKind.MEASUREMENT,
    "ctr": IntentKind.MEASUREMENT,
    "distance": IntentKind.RELATION,
    "connection": IntentKind.RELATION,
    "calcification": IntentKind.DESCRIBE,
    "margin": IntentKind.DESCRIBE,
    "density": IntentKind.DESCRIBE,
    "shape": IntentKind.DESCRIBE,
    "count": IntentKind.LIST,
    "location": IntentKind.LOCATION,
}
_PLACE_KEYS = ("side", "zone", "band", "lobe")
# Full-width letters, digits and punctuation ("第３个", "Ａ２", "？") and the ideographic
# space, read as their ASCII: a Chinese input method types them as often as not.
_HALF_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}
# Why a question is refused, tried in this order (phrase tables of the same names).
# "off_topic" also covers a request that names nothing the engine knows and is not a
# greeting or a request for help: it gets the refusal with the examples, not the menu.
REFUSALS = ("injection", "scope_other_study", "scope_off_topic")
# Intents that a follow-up can repeat with a new slot.
_REPEATABLE = frozenset(
    {
        IntentKind.SCREENING,
        IntentKind.DESCRIBE,
        IntentKind.LOCATION,
        IntentKind.RELATION,
        IntentKind.LIST,
        IntentKind.PRESENCE,
        IntentKind.MEASUREMENT,
        IntentKind.COMPARE,
        IntentKind.PROFILE,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """One question, read: its intent and the slots it constrains.

    Attributes:
        cue: the cue-level reading (demonstratives, focal nouns, hilum words ...).
        side: "right", "left" or "both"; zone and band as in the anatomy ids
            ("upper", "inner"); lobe an anatomy id; hilum the side of a named hilum.
        kind: a kind word of the phrase tables ("nodule", "effusion", "lesion" ...).
        attribute: what is asked about ("size", "calcification", "ctr" ...).
        ordinals: 1-based positions in the order findings were listed ("第二个" is 2).
        ellipsis: the question repeats the previous one with a new slot.
        other_side: the question asked for "the other side".
        refusal: why an out-of-scope question is refused, for its wording: one of
            REFUSALS, or "clinical" (treatment, prognosis, the person's diagnosis).
    """

    text: str
    language: Language
    intent: IntentKind
    cue: Intent
    side: str | None = None
    zone: str | None = None
    band: str | None = None
    lobe: str | None = None
    hilum: str | None = None
    kind: str | None = None
    attribute: str | None = None
    unit: str | None = None
    anchors: tuple[str, ...] = ()
    ordinals: tuple[int, ...] = ()
    superlative: str | None = None
    profile: str | None = None
    ellipsis: bool = False
    other_side: bool = False
    refusal: str | None = None
    mentions: tuple[AnatomyMention, ...] = field(default=(), compare=False)
    signs: tuple[Sign, ...] = field(default=(), compare=False)

    @property
    def ordinal(self) -> int | None:
        return self.ordinals[0] if self.ordinals else None

    @property
    def names_place(self) -> bool:
        return any(getattr(self, k) for k in (*_PLACE_KEYS, "hilum"))

    @property
    def names_something(self) -> bool:
        """Whether the question names a place, sign, anchor, kind or measurement."""
        return bool(
            self.names_place
            or self.kind
            or self.attribute
            or self.anchors
            or self.ordinals
            or self.superlative
            or self.signs
            or self.profile
            or self.mentions
        )

    def slots(self) -> dict[str, Any]:
        """The labelled slots, in the phrasing corpus's vocabulary (None left out)."""
        values: dict[str, Any] = {
            "intent": self.intent.value,
            "side": self.side,
            "zone": self.zone,
            "band": self.band,
            "lobe": self.lobe,
            "hilum": self.hilum,
            "kind": self.kind,
            "attribute": self.attribute,
            "unit": self.unit,
            "anchors": list(self.anchors) or None,
            "ordinal": self.ordinal,
            "superlative": self.superlative,
            "profile": self.profile,
            "ellipsis": self.ellipsis,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnRecord:
    """What one turn asked and what it was about (for the next turn's ellipsis)."""

    query: Query
    subject_ids: tuple[str, ...] = ()
    subject_side: str | None = None


@dataclass
class DialogueState:
    """The turns of one conversation so far, as read."""

    records: list[TurnRecord] = field(default_factory=list)

    @property
    def previous(self) -> TurnRecord | None:
        """The latest turn whose question can be repeated with a new slot."""
        for record in reversed(self.records):
            if record.query.intent in _REPEATABLE:
                return record
        return None

    def add(self, record: TurnRecord) -> None:
        self.records.append(record)


def understand(
    text: str,
    vocabulary: Vocabulary,
    state: DialogueState | None = None,
    *,
    drawn: bool = False,
) -> Query:
    """Read a question into a `Query`, completing an elliptical follow-up from `state`."""
    phrases = load_phrases()
    # Misspelt known words are read as meant ("pnemothorax", "ignroe"); the question
    # is parsed, and its places quoted, in the corrected spelling.
    text = phrases.speller.fix(text.translate(_HALF_WIDTH))
    mentions = vocabulary.find_anatomy_in_text(text)
    signs = vocabulary.match_sign_in_text(text)
    profile = vocabulary.find_profile_in_text(text)
    cue = parse_intent(
        text,
        has_drawn_region=drawn,
        names_sign=bool(signs),
        names_profile=profile is not None,
        names_place=bool(places(mentions)),
    )
    query = Query(
        text=text,
        language=cue.language,
        intent=cue.kind,
        cue=cue,
        mentions=tuple(mentions),
        signs=tuple(signs),
        profile=None if profile is None else str(profile.id),
        anchors=tuple(dict.fromkeys(cue.anchor_ids)),
        ordinals=_ordinals(text),
        **_slots(text, mentions, phrases),
    )
    intent = _refine(query, phrases)
    query = replace(query, intent=intent, refusal=_refusal(query, intent, phrases))
    previous = None if state is None else state.previous
    if previous is not None and (
        _is_follow_up(query, phrases) or _is_kind_fragment(query, previous)
    ):
        return _merge(previous, query)
    return query


def places(mentions: list[AnatomyMention]) -> list[AnatomyMention]:
    """The definite places a question names ("左肺", "the right upper zone"), not a bare "肺部"."""
    return [
        m
        for m in mentions
        if m.region_id is not None or (m.side is not None and m.side.value != "midline")
    ]


# -- slots -------------------------------------------------------------------------------


def _without_mentions(text: str, mentions: list[AnatomyMention]) -> str:
    """The question with every named region blanked, so "右肺门" gives no bare "右肺"."""
    chars = list(text)
    for m in mentions:
        for i in range(m.start, min(m.end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _slots(
    text: str, mentions: list[AnatomyMention], phrases: Phrases
) -> dict[str, Any]:
    """Every slot the words say, whatever the intent cue: a place word anywhere constrains."""
    slots = {**_place_slots(text, mentions, phrases), **_word_slots(text, phrases)}
    if slots["attribute"] == "size" and slots["hilum"] and _FROM.search(text):
        # "A2 from R hilum how many cm": a size measured to a hilum is a distance
        slots["attribute"] = "distance"
    return slots


# "from", "to", 离, 距, 到, 至: a value measured between two things
_FROM = re.compile(r"(?<![a-z])(?:from|to)(?![a-z])|[离距到至]", re.IGNORECASE)


def _place_slots(
    text: str, mentions: list[AnatomyMention], phrases: Phrases
) -> dict[str, Any]:
    slots: dict[str, Any] = {"zone": None, "band": None, "lobe": None, "hilum": None}
    sides: list[str] = []
    for m in mentions:
        kind = m.kind.value
        side = None if m.side is None else m.side.value
        if kind == "hilum":
            slots["hilum"] = slots["hilum"] or side
            continue
        if side in ("right", "left"):
            sides.append(side)
        if kind == "zone" and m.level:
            slots["zone"] = slots["zone"] or m.level
        elif kind == "band" and m.level:
            slots["band"] = slots["band"] or m.level
        elif kind == "lobe" and m.region_id is not None:
            slots["lobe"] = slots["lobe"] or str(m.region_id)
    rest = _without_mentions(text, mentions)
    slots["side"] = _side(sides, text, rest, phrases)
    if not sides and slots["hilum"] is None and _names_hilum(mentions):
        # "左边那个肺门", "R hilum": the side said apart from the hilum is the hilum's
        slots["hilum"] = slots["side"] if slots["side"] != "both" else None
        slots["side"] = None if slots["hilum"] else slots["side"]
    if slots["zone"] is None and slots["lobe"] is None:
        # "右下呢", "and the upper one?": a zone said without its region word
        slots["zone"] = _first("zone", ("upper", "middle", "lower"), rest, phrases)
    if slots["band"] is None:
        # "右肺外周", "the periphery of the right upper zone": a band in other words
        slots["band"] = _first("band", ("outer", "middle", "inner"), rest, phrases)
    slots["other_side"] = phrases.cue("other_side").find(text) is not None
    return slots


def _names_hilum(mentions: list[AnatomyMention]) -> bool:
    return any(m.kind.value == "hilum" for m in mentions)


def _side(sides: list[str], text: str, rest: str, phrases: Phrases) -> str | None:
    # Sides said without a region count too: "the right or left effusion" is both.
    said = [
        s
        for s in ("right", "left")
        if phrases.cue(f"side_{s}").find(rest)
        or phrases.cue(f"side_letter_{s}").find(text)
    ]
    if phrases.cue("side_both").find(text) or len(set(sides) | set(said)) == 2:
        return "both"
    if sides:
        return sides[0]
    return said[0] if said else None


def _first(
    prefix: str, order: tuple[str, ...], text: str, phrases: Phrases
) -> str | None:
    return next((n for n in order if phrases.cue(f"{prefix}_{n}").find(text)), None)


def _word_slots(text: str, phrases: Phrases) -> dict[str, Any]:
    unit = next((u for u in ("mm", "cm") if phrases.cue(f"unit_{u}").find(text)), None)
    attribute = _first("attribute", phrases.attribute_order, text, phrases)
    if attribute in ("count", None) and unit is not None:
        attribute = "size"  # "how many millimetres is A2?", "A1 多少 mm" ask for a size
    return {
        "kind": _first("kind", phrases.kind_order, text, phrases),
        "attribute": attribute,
        "superlative": _first("superlative", phrases.superlative_order, text, phrases),
        "unit": unit,
    }


def _ordinals(text: str) -> tuple[int, ...]:
    found: list[tuple[int, int]] = []
    for m in _ZH_ORDINAL.finditer(text):
        digit = m.group(1) or m.group(2)
        found.append((m.start(), int(digit) if digit.isdigit() else _ZH_DIGITS[digit]))
    for m in _EN_ORDINAL.finditer(text.lower()):
        found.append((m.start(), _EN_ORDINALS[m.group(1)]))
    for m in _EN_NUMBER.finditer(text.lower()):
        word = m.group(1)
        found.append((m.start(), int(word) if word.isdigit() else _EN_DIGITS[word]))
    return tuple(n for _, n in sorted(found))


# -- intent --------------------------------------------------------------------------------


def _refine(q: Query, phrases: Phrases) -> IntentKind:
    """The intent once the slots are known; see the module docstring of intents.py."""
    text = q.text
    if any(phrases.cue(n).find(text) for n in REFUSALS):
        return IntentKind.OUT_OF_SCOPE
    kind = q.intent
    if kind is IntentKind.PROFILE and IntentKind.PROFILE not in q.cue.hits:
        # "两侧胸腔积液哪侧多", "有肺炎没": a profile's sign, compared or asked about
        if _compares(q, phrases):
            return IntentKind.COMPARE
        if _asks_film_sign(q):
            return IntentKind.PRESENCE
    if kind in (IntentKind.OUT_OF_SCOPE, IntentKind.PROFILE, IntentKind.DRAWN_REGION):
        return kind
    if _compares(q, phrases):
        return IntentKind.COMPARE
    by_attribute = _by_attribute(q, phrases)
    if by_attribute is not None:
        return by_attribute
    if kind is IntentKind.EXPLAIN_SIGN and _defines(q, phrases):
        return kind
    read = _by_request(q, phrases)
    if read is IntentKind.HELP and _unknown_request(q, phrases):
        return IntentKind.OUT_OF_SCOPE
    return read


def _unknown_request(q: Query, phrases: Phrases) -> bool:
    """Whether a question is a request the film cannot answer, refused, not the menu.

    A request in words ("tell me a joke", "能上班吗") that names nothing the engine
    knows and is not a greeting, thanks, a request for help or a follow-up.
    """
    if q.names_something or q.other_side or phrases.cue("help_request").find(q.text):
        return False
    if phrases.cue("ellipsis").find(q.text):
        return False  # "上面呢", "what about on the other side": a follow-up
    words = re.findall(r"[A-Za-z]+", q.text)
    chinese = re.findall(r"[\u3400-\u9fff]", q.text)
    return len(words) >= 2 or len(chinese) >= 3


def _refusal(q: Query, intent: IntentKind, phrases: Phrases) -> str | None:
    if intent is not IntentKind.OUT_OF_SCOPE:
        return None
    named = next((n for n in REFUSALS if phrases.cue(n).find(q.text)), None)
    if named is not None:
        return named
    return "scope_off_topic" if q.intent is IntentKind.HELP else "clinical"


def _defines(q: Query, phrases: Phrases) -> bool:
    """Whether a question naming a sign asks for its definition.

    "What does spiculation mean?" does; "what's the biggest nodule" and "heart
    enlarged?" ask about the film.
    """
    if phrases.cue("explain_strong").find(q.text) is not None:
        return True
    if _about_a_lesion(q):
        return False
    return q.cue.explain or q.kind is None


def _asks_film_sign(q: Query) -> bool:
    """Whether a question naming a profile asks about its sign ("Is there a pneumothorax?")."""
    if q.cue.explain or q.kind is None:
        return False
    if q.kind in load_phrases().kind_film_signs:
        return True
    # "do you see pneumonia?", "有肺炎没": the profile's film sign, asked yes or no
    return load_phrases().cue("yes_no").find(q.text) is not None


def _compares(q: Query, phrases: Phrases) -> bool:
    """Two or more things set against each other: "A1跟A2比哪个大", "compare the two nodules"."""
    several = len(q.anchors) >= 2 or len(q.ordinals) >= 2
    comparative = phrases.cue("comparative").find(q.text) is not None
    comparative = comparative or phrases.cue("compare_pair").find(q.text) is not None
    compare = q.cue.wants_comparison or _misspelt_compare(q.text)
    if several and (compare or comparative):
        return True
    if q.side == "both" and (compare or phrases.cue("comparative_sides").find(q.text)):
        return True  # "which is worse, the right or left effusion?"
    if compare and not phrases.cue("explain_strong").find(q.text):
        plural = phrases.cue("plural_reference").find(q.text) is not None
        return bool(q.kind or q.anchors or q.attribute or plural)  # "compare them"
    which_bigger = re.search(
        r"哪个.{0,3}[大小]|谁[大小]|which .{0,40}(?:bigger|larger|smaller)"
        r"|(?:两个|二者|both|two) .{0,20}(?:bigger|larger|smaller|哪个大|哪个更大)",
        q.text,
        re.IGNORECASE,
    )
    return which_bigger is not None and q.superlative is None


def _misspelt_compare(text: str) -> bool:
    return (
        re.search(r"\b(?:comapre|compair|compre|comprae)", text, re.IGNORECASE)
        is not None
    )


def _asks_value(q: Query, phrases: Phrases) -> bool:
    return phrases.cue("measurement_ask").find(q.text) is not None or q.unit is not None


def _about_a_lesion(q: Query) -> bool:
    return bool(
        q.cue.demonstrative
        or q.anchors
        or q.ordinals
        or q.superlative
        or q.cue.focal_noun
        or q.kind in ("nodule", "mass", "lesion", "opacity")
    )


def _by_attribute(q: Query, phrases: Phrases) -> IntentKind | None:
    attribute = q.attribute
    if attribute == "ctr":
        if phrases.cue("explain_strong").find(q.text):
            return IntentKind.EXPLAIN_SIGN
        return (
            IntentKind.PRESENCE if q.kind == "cardiomegaly" else IntentKind.MEASUREMENT
        )
    if attribute == "size":
        if q.kind == "cardiomegaly":
            return IntentKind.PRESENCE
        if _asks_value(q, phrases) or _about_a_lesion(q):
            return IntentKind.MEASUREMENT
        # "size pls", "the size?": a size asked for, not yes or no, is a value
        yes_no = phrases.cue("yes_no").find(q.text) is not None
        return None if yes_no or q.cue.explain else IntentKind.MEASUREMENT
    if attribute in ("distance", "connection"):
        return IntentKind.RELATION
    if attribute in ("calcification", "margin", "density", "shape"):
        if q.cue.explain and not _about_a_lesion(q):
            return IntentKind.EXPLAIN_SIGN
        if _about_a_lesion(q) or q.intent is IntentKind.HELP:
            return IntentKind.DESCRIBE
        return None
    return None


def _by_request(q: Query, phrases: Phrases) -> IntentKind:
    kind = q.intent
    if _asks_existence(q, phrases):
        return IntentKind.PRESENCE
    opening = phrases.cue("open_request").find(q.text) is not None
    if kind is IntentKind.DESCRIBE and opening and not _names_a_subject(q):
        return IntentKind.SCREENING  # "please describe the findings": the whole film
    if (q.superlative or q.ordinals) and kind in (IntentKind.LIST, IntentKind.HELP):
        # "of all the findings, which is the largest?"; "on your list the third, where?"
        asked = None if q.attribute == "count" else q.attribute
        return _ATTRIBUTE_INTENT.get(asked or "", IntentKind.DESCRIBE)
    specific = kind in (IntentKind.LIST, IntentKind.LOCATION, IntentKind.DESCRIBE)
    if kind is IntentKind.RELATION or specific:
        return kind
    if q.superlative or q.ordinals or _points_into_place(q, phrases):
        return IntentKind.DESCRIBE
    if q.kind in ("effusion", "pneumothorax", "cardiomegaly") or (
        q.names_place and (q.kind or kind is IntentKind.HELP)
    ):
        return IntentKind.PRESENCE
    if q.kind and kind in (
        IntentKind.SCREENING,
        IntentKind.HELP,
        IntentKind.EXPLAIN_SIGN,
    ):
        return IntentKind.PRESENCE
    if opening and q.names_place:
        return IntentKind.PRESENCE
    if opening and not _names_a_subject(q):
        return IntentKind.SCREENING
    if kind is IntentKind.HELP:
        return _named_fallback(q)
    return kind


def _points_into_place(q: Query, phrases: Phrases) -> bool:
    """A thing pointed at in a place, not asked yes or no, is described ("看下左边上面那块")."""
    if q.intent is not IntentKind.HELP or q.kind or not q.names_place:
        return False
    return q.cue.demonstrative and phrases.cue("yes_no").find(q.text) is None


def _asks_existence(q: Query, phrases: Phrases) -> bool:
    """Whether a question asks if a kind of finding is there at all, however it is wrapped.

    "before I sign this off can you tell me if there is an effusion": the request words
    ("tell me") would make it a description, but nothing points at one lesion.
    """
    if q.kind is None or q.attribute is not None or q.intent not in _WRAPPERS:
        return False
    if q.anchors or q.ordinals or q.superlative:
        return False
    return phrases.cue("existential").find(q.text) is not None


# Intents whose cue words can wrap a question of presence ("tell me", "describe").
_WRAPPERS = frozenset({IntentKind.DESCRIBE, IntentKind.SCREENING, IntentKind.HELP})


def _names_a_subject(q: Query) -> bool:
    """A lesion or place named; "this film" points at the film, not at a subject."""
    return bool(
        q.names_place
        or q.kind
        or q.anchors
        or q.ordinals
        or q.superlative
        or q.cue.focal_noun
    )


def _named_fallback(q: Query) -> IntentKind:
    """A question that names something but no intent is answered about that thing."""
    if q.anchors:
        return IntentKind.DESCRIBE
    if q.mentions:
        return IntentKind.PRESENCE  # "costophrenic angles preserved?": that place
    if q.signs:
        return IntentKind.EXPLAIN_SIGN
    if q.attribute is not None:
        return _ATTRIBUTE_INTENT[q.attribute]
    return IntentKind.HELP


# -- ellipsis ------------------------------------------------------------------------------


def _is_follow_up(q: Query, phrases: Phrases) -> bool:
    """A question that leans on the previous one: a marker, "the other side", or a fragment."""
    if q.intent in (IntentKind.OUT_OF_SCOPE, IntentKind.PROFILE):
        return False
    if q.intent is IntentKind.COMPARE and len(q.anchors) + len(q.ordinals) >= 2:
        return False  # "compare A1 and A2" is a whole question
    own = [h for h in q.cue.hits if h is not IntentKind.SCREENING]
    if q.other_side:
        return True
    marker = phrases.cue("ellipsis").find(q.text) is not None
    if marker and not own:
        return True
    if marker and q.attribute is not None and len(own) <= 1:
        return True  # "那大小呢?", "and its margin?"
    return _is_fragment(q, own)


def _is_fragment(q: Query, own: Sequence[IntentKind]) -> bool:
    """A slot and nothing else: "A2?", "右下肺野?", "margins?"."""
    if q.attribute is not None and len(own) <= 1 and _bare_word(q):
        return True  # "margins?", "钙化?" after a question about a lesion
    if own or q.signs or q.kind:
        return False
    if not (q.names_place or q.anchors or q.ordinals or q.unit):
        return False
    short = len(q.text) <= (8 if q.language == "zh" else 24)
    return (short and not q.cue.demonstrative) or _only_slots(q)


# The slot words of a question: with its named regions, anchors and ordinals, what is
# blanked to see whether anything of its own is left.
_SLOT_TABLES = (
    "question_form",
    "ellipsis",
    "filler",
    "demonstrative",
    "other_side",
    "hilum",
    *(f"side_{s}" for s in ("right", "left", "both", "letter_right", "letter_left")),
    *(f"zone_{z}" for z in ("upper", "middle", "lower")),
    *(f"band_{b}" for b in ("outer", "middle", "inner")),
    "unit_mm",
    "unit_cm",
)


def _only_slots(q: Query) -> bool:
    """Whether a question says nothing but slots, whatever its length.

    "好的 那右肺那边呢 有吗", "A2那个", "左边那个肺门": once its places, anchors,
    ordinals, question form and filler words are blanked nothing is left, so it only
    changes a slot of the previous question; the shape decides, not a listed phrase.
    """
    rest = _without_mentions(q.text, list(q.mentions))
    rest = _ZH_ORDINAL.sub(" ", anchor_pattern().sub(" ", rest))
    tables = [load_phrases().cue(name) for name in _SLOT_TABLES]
    # Every table's Chinese cues first: a blanked table spaces the characters apart.
    for pattern in (p for table in tables for p in table.zh):
        rest = pattern.sub(" ", rest)
    if _CHINESE.search(rest):
        return False
    rest = rest.lower()
    for pattern in (p for table in tables for p in table.en):
        rest = pattern.sub(" ", rest)
    rest = _EN_NUMBER.sub(" ", _EN_ORDINAL.sub(" ", rest))
    return re.search(r"[a-z]", rest) is None


_CHINESE = re.compile(r"[\u3400-\u9fff]")


def _bare_word(q: Query) -> bool:
    """One or two words and nothing that names a subject: "margins?", "and size"."""
    if q.anchors or q.ordinals or q.kind or q.names_place or q.cue.demonstrative:
        return False
    # "是不是钙化的", "calcified or not": the question's form names nothing
    rest = load_phrases().cue("question_form").blank(q.text)
    words = re.findall(r"[A-Za-z]+", rest)
    chinese = re.findall(r"[\u3400-\u9fff]", rest)
    return len(words) <= 2 and len(chinese) <= 4


def _is_kind_fragment(q: Query, previous: TurnRecord) -> bool:
    """A bare kind after a search of a place: "pneumothorax?" after "Any effusion on the left?"."""
    before = previous.query
    if before.intent not in (IntentKind.PRESENCE, IntentKind.LIST):
        return False
    if not before.names_place or q.names_place or q.anchors or q.ordinals:
        return False
    own = [h for h in q.cue.hits if h is not IntentKind.SCREENING]
    short = len(q.text) <= (6 if q.language == "zh" else 20)
    return short and q.kind is not None and not own and not q.cue.demonstrative


def _merge(previous: TurnRecord, q: Query) -> Query:
    """The previous question with the new slots."""
    before = previous.query
    subject = _merged_subject(before, q)
    anchors = subject.get("anchors", before.anchors)
    merged = replace(
        before,
        text=q.text,
        language=q.language,
        # The repeated question keeps the previous one's reading (its demonstrative,
        # its focal noun), with the new anchors and the new question's language.
        cue=replace(before.cue, anchor_ids=anchors, language=q.language),
        mentions=q.mentions,
        signs=q.signs or before.signs,
        ellipsis=True,
        other_side=q.other_side,
        unit=q.unit or before.unit,
        kind=q.kind or before.kind,
        profile=q.profile or before.profile,
        **_merged_place(previous, q),
        **subject,
    )
    return replace(merged, intent=_merged_intent(before, q, merged))


def _merged_intent(before: Query, q: Query, merged: Query) -> IntentKind:
    if q.attribute is not None and q.attribute != before.attribute:
        return _ATTRIBUTE_INTENT[q.attribute]
    if len(merged.anchors) >= 2 and before.intent is IntentKind.COMPARE:
        return IntentKind.COMPARE
    if before.intent is IntentKind.SCREENING and merged.names_place:
        return (
            IntentKind.PRESENCE
        )  # "右肺呢" after "肺部有异常吗": that lung, asked alone
    return before.intent


def _merged_subject(before: Query, q: Query) -> dict[str, Any]:
    attribute = q.attribute or before.attribute
    if q.anchors or q.ordinals or q.superlative:
        return {
            "anchors": q.anchors,
            "ordinals": q.ordinals,
            "superlative": q.superlative,
            "attribute": attribute,
        }
    return {"attribute": attribute}


def _merged_place(previous: TurnRecord, q: Query) -> dict[str, Any]:
    before = previous.query
    place = {k: getattr(before, k) for k in (*_PLACE_KEYS, "hilum")}
    mirror = load_phrases().mirror
    if q.other_side:
        old = before.side or previous.subject_side
        if before.hilum and not before.side:
            place["hilum"] = _opposite(before.hilum)
        place["side"] = _opposite(old)
        place["lobe"] = mirror.get(before.lobe or "", None)
        return place
    if q.lobe is not None:
        return {**place, "lobe": q.lobe, "side": q.side, "zone": None, "band": None}
    if q.side is not None and _about_a_hilum(before, q):
        return {**place, "hilum": q.side}  # "那左边的呢" after "离右肺门多远"
    if q.side is not None:
        names_lung = any(m.kind.value == "lung" for m in q.mentions)
        place["side"] = q.side
        place["lobe"] = None if names_lung else mirror.get(before.lobe or "", None)
        if names_lung:
            place["zone"] = place["band"] = None
    if q.zone is not None:
        place["zone"], place["band"], place["lobe"] = q.zone, None, None
    if q.band is not None:
        place["band"] = q.band
    if q.hilum is not None:
        place["hilum"] = q.hilum
    return place


def _about_a_hilum(before: Query, q: Query) -> bool:
    """Whether a bare side follows a question whose only place was a hilum."""
    if before.hilum is None or q.hilum is not None:
        return False
    if any(getattr(before, k) for k in _PLACE_KEYS):
        return False
    return not any(m.kind.value == "lung" for m in q.mentions)


def _opposite(side: str | None) -> str | None:
    return {"right": "left", "left": "right"}.get(side or "")


__all__ = ["REFUSALS", "DialogueState", "Query", "TurnRecord", "places", "understand"]
