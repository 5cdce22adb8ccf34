"""Ellipsis: a follow-up that is the previous question again with a new slot.

"右肺呢", "what about A2?", "the other lung?": `_leans_on` decides whether a question
leans on the previous turn (a fragment, a bare kind or place, "also", "the other one"),
and `_merge` completes it from that turn: the place (`_merged_place`, the other side,
the lobe on the side asked of), the subject and the intent (`_merged_intent`). The rules
take a question already read on its own (query_slots, query_intent) and the
`TurnRecord` it leans on (query_records).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from engine.dialogue.query_intent import _film_sign_place
from engine.dialogue.query_listing import _ATTRIBUTE_INTENT, _FOCAL
from engine.dialogue.query_records import _PLACE_KEYS, Query, TurnRecord
from engine.dialogue.query_slots import (
    _CHINESE,
    _EN_NUMBER,
    _EN_ORDINAL,
    _LEVEL_WORD,
    _LOBE_LEVEL,
    _ZH_ORDINAL,
    _opposite,
    _without_mentions,
)
from engine.dialogue.subjects import HEART_SIGNS, SIDE_SIGNS, zone_on_side
from engine.intents import IntentKind, anchor_pattern
from kernel import Side
from ontology import AnatomyMention, RegionKind, load_vocabulary
from ontology.phrases import Phrases, load_phrases

_SIDE_WORD = re.compile(
    r"([左右])(?:侧|边|肺|面)|(?<![a-z])(left|right)(?![a-z])", re.I
)

# Intents that ask something of one subject (a value, its look, where it is).
_OF_A_SUBJECT = frozenset(
    {
        IntentKind.MEASUREMENT,
        IntentKind.DESCRIBE,
        IntentKind.LOCATION,
        IntentKind.RELATION,
    }
)


def _leans_on(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """Whether a question is the previous one again, with what it changes."""
    if _ranks_over_nothing(q, previous):
        return False
    if _widens_to_film(q, phrases) and (q.kind or q.signs):
        return False  # "any nodules at all?": a question of its own over the film
    if _clear_then_other_side(q, phrases):
        return False  # "左边没事，右边呢": what the other side holds, of no earlier subject
    return (
        _is_follow_up(q, phrases)
        or _is_kind_fragment(q, previous)
        or _is_profile_fragment(q, previous, phrases)
        or _asks_again(q, previous)
        or _restricts(q, previous, phrases)
        or _says_also(q, previous)
        or _the_other_one(q, previous, phrases)
        or _property_of_subject(q, previous)
    )


def _clear_then_other_side(q: Query, phrases: Phrases) -> bool:
    """One side stated clear, then the other side asked ("左边冇事，右边呢？").

    The statement says what the reader found on one side; the question asks whether the
    other side holds anything, whatever the previous question was about (a lesion's
    size, a lobe). A named finding, rank or attribute keeps a question of its own.
    """
    if q.anchors or q.ordinals or q.superlative or q.attribute or q.kind:
        return False
    parts = _CLAUSE_SPLIT.split(q.text, maxsplit=1)
    if len(parts) != 2 or not phrases.cue("looks_clear").find(parts[0]):
        return False
    stated = {_side_of(m) for m in _SIDE_WORD.finditer(parts[0])}
    asked = {_side_of(m) for m in _SIDE_WORD.finditer(parts[1])}
    return len(stated) == 1 and len(asked) == 1 and stated != asked


_CLAUSE_SPLIT = re.compile(r"[，,;；。]|\.(?!\d)")


def _side_of(match: re.Match[str]) -> str:
    word = (match.group(1) or match.group(2)).lower()
    return "right" if word in ("右", "right") else "left"


def _property_of_subject(q: Query, previous: TurnRecord) -> bool:
    """A lesion's property asked with no subject, after a question about one lesion.

    "边缘怎么样，有没有毛刺？" after "有没有钙化？", "how about its margin and shape?":
    the margin of the lesion under discussion, not a fresh look at the whole film.
    """
    if (
        q.intent is not IntentKind.SCREENING
        or previous.query.intent not in _OF_A_SUBJECT
    ):
        return False
    if q.attribute not in ("calcification", "margin", "density", "shape"):
        return False
    named = q.anchors or q.names_place or q.kind or q.ordinals or q.superlative
    return not (named or q.profile)


def _the_other_one(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """The other one after a position of two: the same question of the other position.

    "另一个在哪" after "第一个结节在哪", "and the other one, how big?" after "the second
    nodule's size": whatever the question repeats, its subject is the other finding.
    """
    if previous.query.ordinals[:1] not in ((1,), (2,)):
        return False
    if q.anchors or q.ordinals or q.kind or q.names_place or q.intent in _WHOLE:
        return False
    return phrases.cue("other_one").find(q.text) is not None


def _is_follow_up(q: Query, phrases: Phrases) -> bool:
    """A question that leans on the previous one: a marker, "the other side", or a fragment."""
    if q.intent in (IntentKind.OUT_OF_SCOPE, IntentKind.PROFILE):
        return False
    if q.intent is IntentKind.COMPARE and len(q.anchors) + len(q.ordinals) >= 2:
        return False  # "compare A1 and A2" is a whole question
    own = [h for h in q.cue.hits if h is not IntentKind.SCREENING]
    if q.other_side:
        return True
    marker = any(phrases.cue(n).find(q.text) for n in ("ellipsis", "repeat_marker"))
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
    if _says_of_a_structure(q):
        return False
    named = q.names_place or q.anchors or q.ordinals or q.superlative
    if not (named or q.unit or q.sized):
        return False  # "smallest?" after "size of the largest nodule": the rank changed
    short = len(q.text) <= (8 if q.language == "zh" else 24)
    return (short and not q.cue.demonstrative) or _only_slots(q)


def _says_of_a_structure(q: Query) -> bool:
    """A structure named with something said of it: a question with its own subject.

    "两侧肋膈角锐利吗", "are the hila symmetric?": the costophrenic angles and the hila
    are subjects of their own, not a new place for the previous question, once the
    question says more of them than slots ("左边那个肺门" only moves a slot) and puts
    no place around them.
    """
    if not any(m.kind in _STRUCTURES for m in q.mentions):
        return False
    if load_phrases().cue("place_around").find(q.text):
        return False  # "右肺门附近那些": a place around the hilum, to look in
    return not _only_slots(q)


# Regions that are subjects of their own, not places in a lung to look for a finding.
_STRUCTURES = frozenset(
    {
        RegionKind.HILUM,
        RegionKind.PLEURAL,
        RegionKind.MEDIASTINAL,
        RegionKind.DIAPHRAGM,
        RegionKind.BONE,
        RegionKind.HEART,
    }
)


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


# The cue words of the question a follow-up may say again ("列下", "vs").
_OWN_CUES = {
    IntentKind.LIST: "intent_list_findings",
    IntentKind.COMPARE: "compare_pair",
    IntentKind.LOCATION: "intent_location",
    IntentKind.RELATION: "intent_relation",
}


def _asks_again(q: Query, previous: TurnRecord) -> bool:
    """The previous question's own words again with new slots ("右侧也列个", "A4 vs A5 then").

    Nothing but places, anchors, filler and the cue words of the previous question's
    intent: the same question about new things, keeping what it asked (the attribute
    compared, the kind listed).
    """
    before = previous.query
    own = _OWN_CUES.get(before.intent)
    if own is None or q.intent is not before.intent or q.kind:
        return False
    if q.attribute not in (None, before.attribute):
        return False  # "右肺上野几个" after "有几个结节": the count again, for a place
    if not (q.names_place or q.anchors or q.ordinals):
        return False
    extra = (own, "compare") if before.intent is IntentKind.COMPARE else (own,)
    return _only_slots(q, extra=extra)


def _says_also(q: Query, previous: TurnRecord) -> bool:
    """The same question asked "also" of a new subject: a follow-up.

    "A4也describe下", "右肺的 consolidation 也列下", "A3 too, describe it", whatever else
    the words repeat.
    """
    if q.intent is not previous.query.intent or not _ALSO.search(q.text):
        return False
    return bool(q.anchors or q.names_place or q.kind or q.ordinals)


_ALSO = re.compile(
    r"也|顺便|顺带|顺手|(?<![a-z])(?:too|as well|also"
    r"|while(?:st)? (?:you'?re|you are|u'?re|ur|u r|we'?re|we are) (?:at it|there|here|looking))(?![a-z])",
    re.IGNORECASE,
)


def _restricts(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """The previous question kept to one place or kind ("只要结节", "limit that to the left hilum").

    Nothing but places, kinds, words of restriction ("only", "仅限", "别的先不管") and
    filler, after a question about what the film holds.
    """
    if previous.query.intent not in _FILM_QUESTIONS or q.intent in _WHOLE:
        return False
    if q.anchors or q.ordinals or q.superlative or q.attribute:
        return False
    if not (q.names_place or q.kind in _FOCAL):
        return False
    kinds = tuple(f"kind_{k}" for k in phrases.kind_order)
    return _only_slots(q, extra=("restriction", "place_around", *kinds))


# Questions about what the film holds, which a follow-up can keep to one place or kind.
_FILM_QUESTIONS = frozenset(
    {IntentKind.SCREENING, IntentKind.LIST, IntentKind.PRESENCE}
)
# Questions that stand alone whatever their words.
_WHOLE = frozenset({IntentKind.OUT_OF_SCOPE, IntentKind.PROFILE, IntentKind.COMPARE})


def _only_slots(q: Query, extra: tuple[str, ...] = ()) -> bool:
    """Whether a question says nothing but slots, whatever its length.

    "好的 那右肺那边呢 有吗", "A2那个", "左边那个肺门": once its places, anchors,
    ordinals, question form and filler words are blanked nothing is left, so it only
    changes a slot of the previous question; the shape decides, not a listed phrase.
    """
    rest = _without_mentions(q.text, list(q.mentions))
    rest = _ZH_ORDINAL.sub(" ", anchor_pattern().sub(" ", rest))
    # the extra tables first: their longer cues ("以外的不用说") hold words of the others
    tables = [load_phrases().cue(name) for name in (*extra, *_SLOT_TABLES)]
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
    """A bare kind after a presence or list question, asked again of that kind.

    "pneumothorax?" after "Any effusion on the left?" (that place) or after "any
    consolidation" (the whole film).
    """
    before = previous.query
    if before.intent not in (IntentKind.PRESENCE, IntentKind.LIST):
        return False
    if q.names_place or q.anchors or q.ordinals or _says_of_a_structure(q):
        return False  # "心脏大不大": the heart, with its own question
    own = [h for h in q.cue.hits if h is not IntentKind.SCREENING]
    short = len(q.text) <= (6 if q.language == "zh" else 20)
    # "气胸呢？也看下": a follow-up marker, however many words of filler follow
    marked = load_phrases().cue("ellipsis").find(q.text) is not None
    # "frank consolidation there?", "那里有实变吗": "there" is the place just asked about,
    # a marker of the follow-up, not a lesion pointed at
    there = q.cue.demonstrative_phrase in _PLACE_POINTERS
    pointing = q.cue.demonstrative and not there
    return (
        (short or marked or there) and q.kind is not None and not own and not pointing
    )


_PLACE_POINTERS = frozenset({"there", "here", "那里", "这里"})


def _is_profile_fragment(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """Another profile after a profile question: "结核呢" after "像不像肺炎", "heart failure?".

    The checklist asked again of the new profile, nothing else said but the profile's name,
    a follow-up marker, the words of a profile match and filler.
    """
    if previous.query.intent is not IntentKind.PROFILE or q.profile is None:
        return False
    if q.profile == previous.query.profile or q.names_place or q.anchors:
        return False
    if q.intent not in (IntentKind.PROFILE, IntentKind.PRESENCE):
        return False
    short = len(q.text) <= (8 if q.language == "zh" else 30)
    return short or phrases.cue("ellipsis").find(q.text) is not None


def _merge(previous: TurnRecord, q: Query) -> Query:
    """The previous question with the new slots."""
    before = previous.query
    if (
        not q.ordinals
        and before.ordinals[:1] in ((1,), (2,))
        and load_phrases().cue("other_one").find(q.text)
    ):
        # "另一个呢" after "第一个结节多大": the other of the two positions, same place
        q = replace(q, other_side=False, ordinals=(3 - before.ordinals[0],))
    subject = _merged_subject(before, q)
    anchors = subject.get("anchors", before.anchors)
    merged = replace(
        before,
        text=q.text,
        language=q.language,
        # The repeated question keeps the previous one's reading (its demonstrative,
        # its focal noun), with the new anchors and the new question's language.
        cue=replace(before.cue, anchor_ids=anchors, language=q.language),
        mentions=q.mentions or _film_sign_places(before, q),
        signs=q.signs or before.signs,
        ellipsis=True,
        other_side=q.other_side,
        unit=q.unit or before.unit,
        kind=q.kind or before.kind,
        profile=q.profile or before.profile,
        # a new bound replaces the old one whole ("那小于3cm的呢" after "大于1cm的"); an
        # old one carries only into an elliptical follow-up
        min_mm=q.min_mm if q.sized else _carried(before.min_mm, q),
        max_mm=q.max_mm if q.sized else _carried(before.max_mm, q),
        **_place_after(previous, q),
        **subject,
    )
    if merged.kind not in (None, *_FOCAL) and not q.sized and before.sized:
        # "积液呢", "effusion, same place?" after "nodules over 8 mm?": a size bound
        # picks focal findings out, and says nothing of an effusion
        unit = q.unit if before.attribute is None else merged.unit
        merged = replace(merged, min_mm=None, max_mm=None, unit=unit)
    sign = _sign_asked_instead(before, q, merged)
    if sign is not None:
        return sign  # "any effusion" after "apices?": the effusion on that side
    intent = _merged_intent(before, q, merged)
    if intent is IntentKind.PRESENCE and before.intent in _OF_A_SUBJECT:
        # asked whether the place holds one: no longer of the finding asked about before
        cue = replace(merged.cue, anchor_ids=())
        return replace(
            merged,
            intent=intent,
            cue=cue,
            attribute=None,
            anchors=(),
            ordinals=(),
            superlative=None,
            superlatives=(),
        )
    return replace(merged, intent=intent)


def _sign_asked_instead(before: Query, q: Query, merged: Query) -> Query | None:
    """A sign named after a place question: whether that sign is there.

    "any effusion" after "apices?", "and the heart?" after "the left?": a list of a
    place's findings says nothing of an effusion, a pneumothorax or the heart's size,
    so the sign is asked yes or no, in the place asked before (the heart has no place
    in a lung). None when the follow-up names no such sign, or the same one again.
    """
    kind = q.kind
    if kind not in SIDE_SIGNS | HEART_SIGNS or kind == before.kind:
        return None
    if before.intent not in _FILM_QUESTIONS:
        return None
    if kind in SIDE_SIGNS:
        # the place asked before is kept ("积液呢" after the left lower zone)
        return replace(merged, intent=IntentKind.PRESENCE, profile=q.profile)
    return replace(
        merged,
        intent=IntentKind.PRESENCE,
        profile=q.profile,
        **{k: getattr(q, k) for k in (*_PLACE_KEYS, "hilum")},
    )


def _carried(bound_mm: float | None, q: Query) -> float | None:
    """The previous question's size bound, kept only where the follow-up is elliptical.

    "左肺呢", "what about the left lung?", "右下肺野?" after "大于1cm的结节": the bounded
    question again in a new place. "is it in the lingula?", "A1呢", "最大的那个在哪": a
    question with a subject of its own (a pronoun, an id, a rank) or a predicate of its
    own asks about that subject; the bound said before does not filter it.
    """
    if bound_mm is None or q.other_side:
        return bound_mm  # "the other side": the same bounded question there
    if q.anchors or q.ordinals or q.superlative:
        return None
    phrases = load_phrases()
    if any(phrases.cue(n).find(q.text) for n in ("ellipsis", "repeat_marker")):
        return bound_mm  # "flip it, left": the pronoun is the question, not a finding
    if q.cue.demonstrative:
        return None
    return bound_mm if _only_slots(q) else None


def _widens_to_film(q: Query, phrases: Phrases) -> bool:
    """A question over the whole film ("any nodules at all?", "整张片子有结节吗", "全肺呢").

    "at all", "anywhere", "整张片子", "全肺" undo the place of the turns before: a
    question that names its own kind is read on its own, and a fragment ("整张片子呢")
    repeats the last question over the whole film.
    """
    return not q.anchors and phrases.cue("whole_film").find(q.text) is not None


def _film_sign_places(before: Query, q: Query) -> tuple[AnatomyMention, ...]:
    """The places of a film sign asked before, which a bare side asks of again.

    "那右边呢？", "what about the right?" after "are the costophrenic angles clear?":
    the same angle on that side, not the findings of that lung. A follow-up that
    names anything else (a kind, a sign, an anchor, an attribute) asks of that instead.
    """
    if q.kind or q.signs or q.anchors or q.ordinals or q.attribute is not None:
        return ()
    film = load_phrases().place_film_signs
    places = tuple(m for m in before.mentions if (m.level or "") in film)
    return tuple(_on_side(m, q.side) for m in places)


def _on_side(m: AnatomyMention, side: str | None) -> AnatomyMention:
    """A paired structure named on one side, on the side a follow-up asks instead.

    "and the left one?" after "tell me about the right costophrenic angle": the left
    angle, not the right one again with a left side beside it.
    """
    if side not in ("right", "left") or m.side is None or m.side.value == side:
        return m
    was = m.side.value
    region = str(m.region_id or "")
    swapped = region.replace(f"{was}_", f"{side}_", 1)
    term = load_vocabulary().find_anatomy(swapped) if swapped != region else None
    if term is None:
        return m
    words = {"right": ("right", "右"), "left": ("left", "左")}
    text = m.text
    for old, new in zip(words[was], words[side], strict=True):
        text = re.sub(old, new, text, count=1, flags=re.IGNORECASE)
    return replace(m, text=text, side=Side(side), region_id=term.id)


def _merged_intent(before: Query, q: Query, merged: Query) -> IntentKind:
    if q.intent is IntentKind.COMPARE and q.superlatives:
        return IntentKind.COMPARE  # "最大的和最小的差多少" after a list: those two
    if q.attribute is not None and q.attribute != before.attribute:
        return _ATTRIBUTE_INTENT[q.attribute]
    picked = q.ordinals or q.anchors or q.superlative
    if before.intent in (IntentKind.LIST, IntentKind.SCREENING) and picked:
        return IntentKind.DESCRIBE  # one finding picked out of the list just given
    if _asks_existence_at(q, before) and not picked:
        # "右边同个位置有没有" after "左下野外带那个多大": whether one is there at all
        return IntentKind.PRESENCE
    if before.intent is IntentKind.PRESENCE and q.superlative:
        return IntentKind.DESCRIBE  # "哪个最大" after "右肺有结节吗": that one
    if len(merged.anchors) >= 2 and before.intent is IntentKind.COMPARE:
        return IntentKind.COMPARE
    if before.intent is not IntentKind.COMPARE and _film_sign_place(merged):
        return IntentKind.PRESENCE  # "the right one?" after the left CP angle: its sign
    if _asked_what_a_place_holds(before) and picked:
        # "第三个" after "右肺有什么": one picked out of what the place was said to hold
        return IntentKind.DESCRIBE
    narrowed = merged.names_place and not _yes_no(q) and not _asked_again(q)
    if _asked_what_a_place_holds(before) and narrowed:
        # "下野外带" after "左肺有什么": that place's findings, as a noun phrase narrows a
        # list; "下野呢" / "and the lower zone?" asks the same question again (presence)
        return IntentKind.LIST
    if before.intent is IntentKind.SCREENING and _film_sign_place(merged):
        return IntentKind.PRESENCE  # "right CP angle?" after a read: that angle's sign
    if before.intent is IntentKind.SCREENING and (merged.names_place or merged.kind):
        # "右肺呢" after "肺部有异常吗": that lung, asked yes or no; "右中叶范围内的呢"
        # after "有什么发现": what that place holds, listed
        return IntentKind.PRESENCE if _yes_no(before) or _yes_no(q) else IntentKind.LIST
    return before.intent


def _asks_existence_at(q: Query, before: Query) -> bool:
    """A place asked whether it holds one, after a question about one finding's look."""
    if before.intent not in _OF_A_SUBJECT or q.attribute is not None:
        return False
    if not (q.names_place or q.other_side):
        return False
    # "anything at the bases" after "size?": whether the place holds anything at all
    anything = _ANYTHING.search(q.text) is not None
    return anything or load_phrases().cue("existential").find(q.text) is not None


_ANYTHING = re.compile(r"(?<![a-z])(?:anything|something)(?![a-z])", re.IGNORECASE)


def _asked_again(q: Query) -> bool:
    """A follow-up said as a question of its own: a follow-up marker or a question mark."""
    marked = load_phrases().cue("ellipsis").find(q.text) is not None
    return marked or re.search(r"[?？]", q.text) is not None


def _asked_what_a_place_holds(q: Query) -> bool:
    """What a place holds, asked with what and no kind ("左肺有什么", "what's in the LMZ")."""
    if q.intent is not IntentKind.PRESENCE or q.kind is not None or not q.names_place:
        return False
    phrases = load_phrases()
    wh = phrases.cue("wh_question").find(q.text) is not None
    return wh and phrases.cue("yes_no").find(q.text) is None


def _yes_no(q: Query) -> bool:
    """Asked yes or no, not "what ... are there"."""
    phrases = load_phrases()
    if phrases.cue("which_ones").find(q.text) or phrases.cue("wh_question").find(
        q.text
    ):
        return False
    return phrases.cue("yes_no").find(q.text) is not None


def _merged_subject(before: Query, q: Query) -> dict[str, Any]:
    attribute = q.attribute or before.attribute
    if before.attribute == "distance" and q.attribute == "size":
        # "那A2呢 也量一下", "换成cm" after "A1离胸膜多远": measuring again, in a new unit
        # or of a new anchor, is the distance again unless a size is named in words
        attribute = "size" if _SIZE_NAMED.search(q.text) else "distance"
    if q.anchors or q.ordinals or q.superlative:
        return {
            "anchors": _other_end(before, q),
            "ordinals": q.ordinals,
            "superlative": q.superlative,
            "superlatives": q.superlatives,
            "attribute": attribute,
        }
    return {"attribute": attribute}


def _other_end(before: Query, q: Query) -> tuple[str, ...]:
    """The anchors of a follow-up, with a distance's first end kept when it names the other.

    "and from A3?", "那离A3呢", "到A5呢" after "how far is A1 from A2": one anchor said as
    where the distance is measured from or to replaces the second end; A1 stays.
    """
    if (
        before.attribute != "distance"
        or len(before.anchors) != 2
        or len(q.anchors) != 1
        or q.anchors[0] in before.anchors
        or not _TO_ANCHOR.search(q.text)
    ):
        return q.anchors
    return (before.anchors[0], q.anchors[0])


# an anchor said as a distance's other end ("from A3", "to A5", "离A3", "到A5")
_TO_ANCHOR = re.compile(
    r"(?:(?<![a-z])(?:from|to)\s+|[离距到至]\s*)A\d+", re.IGNORECASE
)
_SIZE_NAMED = re.compile(
    r"多大|大小|直径|尺寸|长径|短径|多长|多宽|(?<![a-z])(?:size|big|large|diameter|wide|long)",
    re.I,
)


def _ranks_over_nothing(q: Query, previous: TurnRecord) -> bool:
    """A rank asked after a place that held nothing: asked of the whole film.

    "最可疑的是哪个" after "左肺呢" found no lesion there: ranking within an empty place
    answers nothing, so the rank is not the previous question again.
    """
    return bool(previous.place_empty and q.superlative and not q.names_place)


def _place_of_it(previous: TurnRecord, q: Query) -> bool:
    """Whether the place a follow-up would inherit is not where "it" lies.

    "is it in the left lower zone?" bound no lesion there, since "it" lies elsewhere:
    the next "离肺门多远?" or "is it touching the pleura?" is asked of the lesion under
    discussion, not of the place named beside "it".
    """
    if previous.subject_ids or not previous.place_empty:
        return False
    return previous.query.cue.demonstrative


def _place_after(previous: TurnRecord, q: Query) -> dict[str, Any]:
    """The place of a follow-up: its own over the whole film ("全肺呢"), else as merged."""
    if _widens_to_film(q, load_phrases()):
        return {k: getattr(q, k) for k in (*_PLACE_KEYS, "hilum")}
    return _merged_place(previous, q)


def _merged_place(previous: TurnRecord, q: Query) -> dict[str, Any]:
    before = previous.query
    place = {k: getattr(before, k) for k in (*_PLACE_KEYS, "hilum")}
    if _place_of_it(previous, q) and not (q.names_place or q.other_side):
        return dict.fromkeys(place)
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
    lobe = _lobe_of_side(q, before, mirror)
    if lobe is not None:
        # "下叶呢" after "左肺上叶有没有肿块": a lobe said without its side is on the side
        # asked before
        return {**place, "lobe": lobe, "zone": None, "band": None}
    if q.side is not None and _about_a_hilum(before, q):
        return {**place, "hilum": q.side}  # "那左边的呢" after "离右肺门多远"
    if q.side is not None:
        # "左肺呢，同样的位置", "left lung, same spot?": the lung named, the place in it kept
        names_lung = any(m.kind.value == "lung" for m in q.mentions) and not (
            _SAME_SPOT.search(q.text)
        )
        place["side"] = q.side
        place["lobe"] = None if names_lung else mirror.get(before.lobe or "", None)
        if names_lung or not zone_on_side(place["zone"], q.side):
            # "and the right?" after "behind the heart?": no right retrocardiac region
            place["zone"] = place["band"] = None
    if q.zone is not None:
        # "那下野" after "右肺中野外带有没有": the band runs through every zone, so it stays
        place["zone"], place["lobe"] = q.zone, None
    if q.band is not None:
        place["band"] = q.band
    if q.hilum is not None:
        place["hilum"] = q.hilum
    return place


# the same place said of another side: the place asked before, in the lung now named
_SAME_SPOT = re.compile(
    r"同一个?(?:位置|地方|部位|区域|水平|高度)|(?:相同|对应|一样)的?(?:位置|地方|部位|区域)"
    r"|(?<![a-z])(?:same|identical|matching|corresponding|equivalent|mirror) "
    r"(?:place|spot|area|zone|level|region|site|position|location)(?![a-z])",
    re.IGNORECASE,
)


def _lobe_of_side(q: Query, before: Query, mirror: dict[str, str]) -> str | None:
    """The lobe a level names ("下叶", "the lower lobe") on the side asked before."""
    if q.side is not None or q.other_side:
        return None
    m = _LOBE_LEVEL.search(q.text)
    side = before.side or (before.lobe or "").partition("_")[0]
    if m is None or side not in ("right", "left"):
        return None
    level = _LEVEL_WORD.get(m.group(1) or "", (m.group(2) or "").lower())
    lobe = f"{side}_{level}_lobe"
    return lobe if lobe in mirror else None


def _about_a_hilum(before: Query, q: Query) -> bool:
    """Whether a bare side follows a question whose only place was a hilum."""
    if before.hilum is None or q.hilum is not None:
        return False
    if any(getattr(before, k) for k in _PLACE_KEYS):
        return False
    return not any(m.kind.value == "lung" for m in q.mentions)
