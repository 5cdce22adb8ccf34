"""Slot reading: the places, sides, units, ranks, kinds, ordinals and size bound said.

`_slots` reads every slot a question constrains from its (cleaned-up) text and its
anatomy mentions: the place slots (`_place_slots`, with a side stated before the question
taken into account by `_after_premise` and the statement-before-the-ask rules beside it),
the word slots (`_word_slots`: kind, attribute, unit, ranks), the anchors and ordinals
("第二个", "the last two") and the size bound ("大于1cm的结节"). These rules only read
what is said; which intent the words ask is decided in query_intent, and what a follow-up
inherits from the previous turn in query_ellipsis and query_followup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from engine.dialogue.clauses import clauses
from engine.dialogue.query_records import Query, TurnRecord
from engine.dialogue.sizes import EN_DIGITS, ZH_DIGITS, SizeBound, read_size_bound
from engine.intents import anchor_ids_in, anchor_pattern
from ontology import AnatomyMention, RegionKind
from ontology.phrases import Phrases, load_phrases

_ZH_DIGITS = {**ZH_DIGITS, "十": 10}
_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "secnd": 2,
    "scond": 2,
    "frist": 1,
    "thrid": 3,
    "secnod": 2,
    "seocnd": 2,
    "secodn": 2,
}
# A listed finding's position, any number a list can reach: "第七个", "第8个", "10号".
_ZH_NUMBER = r"(?:十[一二三四五六七八九]?|[一二两三四五六七八九]|1[0-9]|[1-9])"
# "第二个", "头一个" (the first), and "2号结节" / "三号病灶": a number mark names a listed finding
_ZH_ORDINAL = re.compile(
    rf"第\s*({_ZH_NUMBER})(?![0-9])(?!\s*[次遍回天周年月期届])\s*(?:个|处|枚|颗|条|个病灶|号)?"
    r"|(头)一?[个处枚颗条项]"
    rf"|(?<![\d第月])({_ZH_NUMBER})\s*号(?=\s*(?:结节|病灶|肿块|阴影|$|[?？的呢在多有是]))"
)
# "number 2", "no. three", "finding 2", "#4 on that list": not "lesion 2 cm" (a size);
# a bare "#2" is an anchor's name, but a number on the list is a position in it; a full
# stop after the number ends the sentence ("about number 2."), a digit after it is a decimal
_EN_NUMBER = re.compile(
    r"(?<![a-z])(?:number|no\.?|finding|lesion|nodule|mass|opacity|item|entry)\s*#?\s?"
    r"([1-9]|10|one|two|three|four|five|six|seven|eight|nine|ten)(?![\da-z])(?!\.\d)"
    r"(?!\s*(?:mm|cm|o'?clock))"
    r"(?!\s+(?:at a time|by one|after (?:the )?other|after another))"  # a manner
    r"|#\s?([1-9]|10)(?=\s+(?:on|in|of|from) (?:the|that|this|your|my) list)"
)
# "inner third", "upper third of the lung": a third of a lung is a place, not a rank;
# "1st".."10th" are digits with an ordinal suffix
_EN_ORDINAL = re.compile(
    r"(?<![a-z])(?<!inner )(?<!outer )(?<!middle )(?<!upper )(?<!lower )(?<!medial )"
    r"(?<!lateral )(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
    r"|secnd|scond|secnod|seocnd|secodn|frist|thrid)(?![a-z])"
    r"|(?<![\w.])(10|[1-9])(?:st|nd|rd|th)(?![a-z])"
)
# "first time using this", "the second time": a time, not a position on the list
_EN_TIME = re.compile(r"\s+times?\b")
# "give me an overall read first and then list ...", "check the film first or not": first
# as an adverb (before anything else), with no determiner before it and no noun after it;
# "the one you listed first" is still the first on the list
_EN_FIRST_ADVERB = re.compile(
    r"(?<!\bthe )(?<!\bmy )(?<!\byour )(?<!\bthis )(?<!\bthat )(?<!\bits )(?<!'s )"
    r"(?<!\bthe very )(?<!\band )(?<!\bor )(?<!\bthen )(?<!\bvs )(?<!\bnot )"
    # a finding listed, named or shown first is the first on the list
    r"(?<!listed )(?<!mentioned )(?<!named )(?<!said )(?<!gave )(?<!given )(?<!showed )"
    r"(?<!shown )(?<!found )(?<!came )(?<!comes )(?<!reported )(?<!flagged )(?<!marked )"
    r"(?<!detected )(?<!picked )(?<!appears )(?<!appeared )(?:first|frist)"
    r"(?=\s*(?:$|[,.;:!?，。？]|(?:and|then|or|before|please|pls|thanks|thx)(?![a-z])))",
)

_WORDS = re.compile(r"[a-z]+|[\u3400-\u9fff]")

_ZONES = ("upper", "middle", "lower")


def _anchors(named: Sequence[str], text: str) -> tuple[str, ...]:
    """The anchors named, less a "#N" said as a place on the list.

    "lesion #5", "#4 on that list" are positions, not anchors A5 and A4.
    """
    positions = {
        f"A{_number(m.group(1) or m.group(2))}"
        for m in _EN_NUMBER.finditer(text.lower())
        if "#" in m.group(0)
    }
    if not positions:
        return tuple(dict.fromkeys(named))
    written = set(anchor_ids_in(_HASH.sub(" ", text)))
    return tuple(a for a in dict.fromkeys(named) if a not in positions or a in written)


_HASH = re.compile(r"#\s?\d+")

# "only the ones over 15", "那20以上的呢": a bound's number with no unit after a bounded
# question, in the unit that question used
_UNITLESS = re.compile(
    r"(?:大于|小于|超过|不到|高于|低于|(?<![a-z])(?:over|under|above|below|at least|"
    r"bigger than|larger than|smaller than|greater than|more than|less than))\s*"
    r"\d+(?:\.\d+)?(?!\s*(?:mm|cm|millim|centim|毫米|厘米|公分|[\d.%]))"
    r"|(?<![\d.])\d+(?:\.\d+)?(?=\s*(?:以上|以下|以内|or more|or less|\+))",
    re.I,
)


def _bound(text: str, previous: TurnRecord | None) -> SizeBound:
    """The size bound of a question; a bare number after a bounded one takes its unit.

    A bound moved ("drop the threshold to 5 mm", "标准放宽到5毫米") keeps the direction of
    the previous question's bound, one-sided as it was.
    """
    if previous is not None and previous.query.sized:
        text = _moved_bound(text, previous.query)
    bound = read_size_bound(text)
    if bound or previous is None or not previous.query.sized:
        return bound
    unit = previous.query.unit or "mm"
    return read_size_bound(_UNITLESS.sub(lambda m: f"{m.group(0)} {unit}", text))


_VALUE_NEXT = re.compile(r"\s*(?:just\s+|only\s+|仅|只)?[0-9一二两三四五六七八九十半.]")


def _moved_bound(text: str, before: Query) -> str:
    """The words that move a one-sided bound, said as that bound's direction.

    "over 8 mm" then "drop the threshold to 5 mm" reads "over 5 mm"; a range asked
    before ("1到2厘米之间") has no one direction to keep, and reads as said.
    """
    if (before.min_mm is None) == (before.max_mm is None):
        return text
    chinese = _CHINESE.search(text) is not None
    direction = (
        ("大于" if chinese else " over ")
        if before.min_mm is not None
        else ("小于" if chinese else " under ")
    )
    phrases = load_phrases()
    found = phrases.cue("threshold_change").find(text)
    at = None if found is None else re.search(re.escape(found.strip()), text, re.I)
    if at is not None and _VALUE_NEXT.match(text, at.end()):
        return text[: at.start()] + direction + text[at.end() :]
    # a value alone, beside words that name no direction ("and with a 3 mm cutoff?",
    # "按5毫米算呢"): the same bound at the new value
    value = _SIZE_VALUE.search(text)
    if value is None or read_size_bound(text):
        return text
    rest = text[: value.start()] + " " + text[value.end() :]
    for name in ("filler", "ellipsis", "question_form", "repeat_marker"):
        rest = phrases.cue(name).blank(rest)
    if _WORDS.search(_THRESHOLD_WORDS.sub(" ", rest)):
        return text  # "A2 is 5 mm, is it?": more is said than a new value
    return text[: value.start()] + direction + text[value.start() :]


# a size value with its unit, and the words that call a value a threshold
_SIZE_VALUE = re.compile(
    r"(?<![\d.])\d+(?:\.\d+)?\s*(?:mm|cm|millimet\w*|centimet\w*|毫米|厘米|公分)",
    re.IGNORECASE,
)
_THRESHOLD_WORDS = re.compile(
    r"阈值|标准|门槛|界限|下限|上限|按|算|以|为准?"
    r"|(?<![a-z])(?:thresholds?|cut-?offs?|limits?|bars?|bounds?|with|a|an|as|at|using|if|"
    r"we|use|say|then)(?![a-z])",
    re.IGNORECASE,
)


def _asked_of_subject(bound: SizeBound, phrases: Phrases) -> bool:
    """Whether a size named is asked of one subject, not a bound on the findings.

    "Is A3 bigger than 1 cm?", "第二个超过1厘米了吗", "它大于5毫米吗", "这个结节超过1cm了吗":
    the size of that one (a measurement); "那个大于1cm的结节" (said of the kind) and "the
    nodule that is less than 1 cm" pick findings out by their size.
    """
    text = bound.text
    if anchor_pattern().search(text) or _ordinals(text):
        return True
    if phrases.cue("existential").find(text):
        return False  # "is there anything >=15mm": whether any is there, not "it"
    if phrases.cue("demonstrative").find(text) is None:
        return False
    # Chinese says a bound of a kind before it ("大于1cm的结节", read as `modifies`)
    return _CHINESE.search(text) is not None or (
        _first("kind", phrases.kind_order, text, phrases) is None
    )


def places(mentions: list[AnatomyMention]) -> list[AnatomyMention]:
    """The definite places a question names ("左肺", "the right upper zone"), not a bare "肺部"."""
    return [
        m
        for m in mentions
        if m.region_id is not None or (m.side is not None and m.side.value != "midline")
    ]


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
    places = _place_slots(text, mentions, phrases)
    asked = places.pop("asked", "")
    slots = {**places, **_word_slots(text, phrases)}
    kind = asked and _kind(asked, phrases)
    if kind:
        # "已知右上叶有肿块，对侧上叶有没有结节": the kind asked, not the one stated
        slots["kind"] = kind
    heart = [m for m in mentions if m.kind is RegionKind.HEART]
    if slots.get("kind") not in (None, "cardiomegaly") and heart:
        # "the heart shadow": a kind word inside the heart's name names no finding
        slots["kind"] = _kind(_without_mentions(text, heart), phrases)
    landmark = slots["hilum"] or _LANDMARK.search(text)
    # "how many mm between A3 and the chest wall": between a finding and a landmark, unless
    # sizes are set against each other there ("between the two, which is bigger")
    apart = _FROM.search(text) or (
        _BETWEEN.search(text) and not _SIZE_WORD.search(text)
    )
    if slots["attribute"] == "size" and landmark and apart:
        # "A2 from R hilum how many cm", "A2 to chest wall in cm": a size measured to a
        # landmark is a distance
        slots["attribute"] = "distance"
    pair = len(anchor_pattern().findall(text)) >= 2
    between = _BETWEEN.search(text) and not _SIZE_WORD.search(text)
    if slots["attribute"] == "size" and pair and between:
        # "A3到A5之间有多少毫米", "A1 to A3 in cm": a value between two anchors
        slots["attribute"] = "distance"
    return slots


_BETWEEN = re.compile(
    r"(?<![a-z])(?:to|from|between|apart)(?![a-z])|之间|相距|(?<!差)距|[离到至]",
    re.IGNORECASE,
)
# a size said in words ("size difference between A1 and A2"): the sizes, not the gap
_SIZE_WORD = re.compile(
    r"size|diameter|diff|bigger|smaller|larger|大小|差|[大小]于|比|直径", re.IGNORECASE
)
# the fixed structures a lesion's distance is measured to, besides a hilum
_LANDMARK = re.compile(
    r"胸壁|胸膜|膈|纵隔|心缘|叶间裂|肺门|(?<![a-z])(?:chest wall|pleura\w*|(?:hemi)?diaphragm|hil(?:um|ar|a)"
    r"|mediastin\w*|(?:heart|cardiac) border|fissure|costal margin)(?![a-z])",
    re.IGNORECASE,
)
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
        if kind == "band" and m.level:
            slots["band"] = slots["band"] or m.level
        elif kind == "lobe" and m.region_id is not None:
            slots["lobe"] = slots["lobe"] or str(m.region_id)
    slots["zone"] = _zone_named(mentions, phrases)
    rest = _without_mentions(text, mentions)
    slots["side"] = _side(sides, text, rest, phrases)
    if not sides and slots["hilum"] is None and _names_hilum(mentions):
        # "左边那个肺门", "R hilum": the side said apart from the hilum is the hilum's
        slots["hilum"] = slots["side"] if slots["side"] != "both" else None
        slots["side"] = None if slots["hilum"] else slots["side"]
    if slots["zone"] is None and slots["lobe"] is None:
        # "右下呢", "and the upper one?": a zone said without its region word
        slots["zone"] = _first("zone", ("upper", "middle", "lower"), rest, phrases)
    if slots["side"] is None and _PLURAL_PLACE.search(text):
        slots["side"] = "both"  # "apices?", "bases呢": a place said in the plural
    if slots["zone"] is None and _BASES.search(text):
        slots["zone"] = "lower"  # "bases呢": the lung bases, without "the" or "lung"
    if slots["zone"] is None and phrases.cue("near_diaphragm").find(text):
        # "膈肌上方那个", "near the diaphragm": the diaphragm word is a mention of its own
        slots["zone"] = "lower"
    if slots["band"] is None:
        # "右肺外周", "the periphery of the right upper zone": a band in other words
        slots["band"] = _first("band", ("outer", "middle", "inner"), rest, phrases)
    slots["other_side"] = phrases.cue("other_side").find(text) is not None
    return _side_kept_to_the_ask(_after_premise(slots, text, mentions, phrases), text)


def _side_kept_to_the_ask(slots: dict[str, Any], text: str) -> dict[str, Any]:
    if slots["side"] == "both" and not slots.get("premised"):
        slots["side"] = _side_of_the_ask(text, load_phrases()) or "both"
    return slots


def _side_of_the_ask(text: str, phrases: Phrases) -> str | None:
    """The one side the asking clause names, when only a remark beside it names the other.

    "病人右侧胸痛，左边有没有气胸", "右侧气胸插管后，左侧有没有气胸": the history or the
    treatment said first names a side in passing, and the question asks of the left. Two
    clauses that both ask ("左边有没有积液，右边呢", "左边有没得结节，右边嘞") ask of both
    sides. None when the asking clauses name no one side or a remark names the same side.
    """
    parts = clauses(text)
    remarks = [c for c in parts if not c.asks]
    # a fragment marked as asked again ("右边嘞", "and the right") is no remark
    again = phrases.cue("ellipsis")
    if len(remarks) in (0, len(parts)) or any(again.find(c.text) for c in remarks):
        return None
    asked = _sides_in("".join(c.text for c in parts if c.asks), [], phrases)
    said = _sides_in("".join(c.text for c in remarks), [], phrases)
    both = phrases.cue("side_both").find(text) is not None
    if both or len(asked) != 1 or not said or asked[0] in said:
        return None
    return asked[0]


# A lung place in the plural names it on both sides ("apices?", "the bases").
_PLURAL_PLACE = re.compile(r"(?<![a-z])(?:apices|bases)(?![a-z])", re.IGNORECASE)
_BASES = re.compile(r"(?<![a-z])bases(?![a-z])", re.IGNORECASE)


def _zone_named(mentions: list[AnatomyMention], phrases: Phrases) -> str | None:
    """The zone of the places named: one of the three zones when one is named.

    The apex lies in the upper zone; "behind the heart in the left lower zone" names the
    lower zone, the region behind the heart only when no zone is said.
    """
    levels = [
        phrases.zone_of_level.get(m.level, m.level)
        for m in mentions
        if m.kind.value == "zone" and m.level
    ]
    return next((z for z in levels if z in _ZONES), levels[0] if levels else None)


def _after_premise(
    slots: dict[str, Any], text: str, mentions: list[AnatomyMention], phrases: Phrases
) -> dict[str, Any]:
    """The place slots once a side stated before the question is taken into account."""
    stated, question = _asked_after_premise(text, mentions, phrases)
    if stated is None:
        return slots
    # "左侧有积液，对侧也有吗": the other side of the one just stated, not a follow-up
    slots["side"], slots["other_side"] = stated, False
    slots["premised"] = True
    if not re.search(r"[?？]", _TRAILING.sub("", question)):
        # the asked clause whole, when the statement came first
        start = _question_start(text)
        slots["asked"] = text[start:] if start > 0 else question
    # "RML pneumonia is known; the opposite lower lobe?", "左肺中野的实变，另一侧下叶呢": a
    # lobe level the question names is that lobe on the side asked of
    level = _LOBE_LEVEL.search(question)
    word = level and _LEVEL_WORD.get(
        level.group(1) or "", (level.group(2) or "").lower()
    )
    if word and f"{stated}_{word}_lobe" in phrases.mirror:
        slots["lobe"], slots["zone"] = f"{stated}_{word}_lobe", None
    if slots["lobe"] and not str(slots["lobe"]).startswith(f"{stated}_"):
        # "RLL 有实变，LLL 那边有吗": the lobe asked of is on the side asked of, the one
        # named there or the mirror of the stated one ("右上叶有结节，对侧呢")
        asked = [
            str(m.region_id)
            for m in mentions
            if m.kind.value == "lobe" and str(m.region_id).startswith(f"{stated}_")
        ]
        slots["lobe"] = asked[0] if asked else phrases.mirror.get(slots["lobe"])
    if slots["hilum"] and (
        phrases.cue("hilum").find(question) or _bare_after(question, text, mentions)
    ):
        # "a mass in the right hilar region; the contralateral hilum?"; "left hilum
        # enlarged. right?": a bare side after a hilum stated is that hilum's pair
        slots["hilum"], slots["side"] = stated, None
    return slots


def _bare_after(question: str, text: str, mentions: list[AnatomyMention]) -> bool:
    """Whether the asked clause names no place of its own ("right?", "the other one")."""
    start = len(text) - len(question)
    return not any(m.start >= start for m in mentions)


# Where a statement ends and a question begins: a clause break, or a statement's own words
# ("右边已经看到气胸了 那对侧有没有", "the left lung has a nodule ... the opposite lung")
_CLAUSE_BREAK = re.compile(
    r"[，,。;；!！]|(?<!\d)/(?!\d)|\.(?!\d)|\s[-–—]+\s|(?<=[\u4e00-\u9fff])\s+|\s+(?=[\u4e00-\u9fff])"
)
_STATEMENT = re.compile(
    r"有|见|看到|发现|既然|除了|除去|鉴于|(?<![a-z])(?:there(?:'?s| is| are)|has|have|got|see|saw"
    r"|found|noted|seen|present|visible|given|since|besides|apart from|aside from|other than"
    # what is already known ("the left lower lobe collapse is known", "we know about ...")
    r"|known|know|knew|aware of|confirmed|documented|reported|described|shown"
    r"|looks?|seems?|appears?"
    # what is already known is stated too ("the left lower lobe collapse is known")
    r"|known|know|knew|aware|documented|established|confirmed|reported|described"
    r")(?![a-z])"
    r"|已知|知道|明确了?"
    # what a side does not hold is stated as well ("右侧没啥，左侧有没有气胸", "right's
    # clear, what about the left")
    r"|没(?:啥|什么|东西|事|问题)|(?:挺|很|还)?(?:干净|正常)"
    r"|(?<![a-z])(?:clear|clean|nothing|unremarkable|normal|fine|ok|okay)(?![a-z])"
    # how a place looks is stated as well ("右肺门增大，左肺门有没有肿块", "the right hilum
    # is enlarged, any mass at the left one?")
    r"|增大|增粗|增宽|扩大|饱满|(?<![a-z])(?:enlarged|prominent|bulky|widened)(?![a-z])"
    r"|消失|变钝|模糊|(?<![a-z])(?:blunted|obliterated|effaced|lost)(?![a-z])"
    # what was already done on a side is stated too ("左侧气胸已经插管了", "右边放了引流管",
    # "the left one is already drained"): a clause in the perfect, its treatment words
    # blanked as background, still says what that side holds
    r"|已经|(?<=[\u4e00-\u9fff])[了过](?![吗么没不])"
    r"|(?<![a-z])(?:already|s/p|status post)(?![a-z])",
    re.IGNORECASE,
)


def _asked_after_premise(
    text: str, mentions: list[AnatomyMention], phrases: Phrases
) -> tuple[str | None, str]:
    """The side a question asks about after stating what one side holds.

    "左肺上野有个结节，对侧同一位置有没有", "There's consolidation in the right lung.
    Anything similar on the other side?": the side opposite the stated one. "左侧有积液，
    右侧有吗": the side the last clause names. A statement only: "左边有没有积液，右边呢"
    asks of both; "右侧镜像位置呢" (nothing stated) names the side it means.
    """
    other = phrases.cue("other_side").find(text)
    cut = text.lower().find(other) if other else _question_start(text)
    before = _statement_of(text[:cut]) if cut > 0 else ""
    if other and (
        cut <= 0
        or not _states(before, phrases)
        or _premise_asks(before, phrases)
        # "effusion on the other side or not, since the left one is big?": no side
        # before it, so the statement is the one after
        or not _sides_in(before, [m for m in mentions if m.end <= cut], phrases)
    ):
        # the statement may follow the question ("对侧有没有？右上肺野有个结节")
        after = _stated_after(text, mentions, phrases)
        if after is not None:
            return after, text[max(cut, 0) :]
    if cut <= 0:
        return None, ""
    premise, question = text[:cut], text[cut:]
    # the statement ends at its last break ("... lower zone. Does the opposite lung")
    start, said = _ended_statement(premise, phrases) if other else (0, "")
    said = said or _statement_of(premise)
    if other and not start and not _states(said, phrases):
        # the other side asked right after the statement, no break between ("左边没看到
        # 气胸 对侧有没有"): the whole premise is the statement
        said = _TRAILING.sub("", premise)
    if not other and not _states(said, phrases):
        # "在讨论别的之前，既然左侧有气胸，那么右侧呢": a clause that only opens comes
        # before the statement, which is the premise's last clause that states
        start, said = _last_statement(premise, phrases) or (0, said)
    if not _states(said, phrases) or _premise_asks(said, phrases):
        return None, question
    if re.search(r"[?？]", premise):
        return None, question  # "左侧 pneumothorax 有没有? 右侧呢": asked, not stated
    # the side of the statement itself ("右下实变挺明显的，那左边呢，左边有吗": right)
    end = start + len(said)
    stated = _sides_in(
        said, [m for m in mentions if start <= m.start and m.end <= end], phrases
    )
    if len(stated) != 1:
        return None, question
    if other:
        return _opposite(stated[0]), question
    asked = _sides_in(question, [m for m in mentions if m.start >= cut], phrases)
    if not asked:
        # "右边积液挺多 左边呢 有没有": the side is named between the statement and the
        # last clause, which only asks
        between = [m for m in mentions if end <= m.start < cut]
        asked = _sides_in(text[end:cut], between, phrases)
    return (asked[0] if len(asked) == 1 and asked != stated else None), question


def _ended_statement(premise: str, phrases: Phrases) -> tuple[int, str]:
    """The statement that ends just before "the other side", where the premise ends one.

    "Patient had pneumonia last year. Now there's consolidation on the right. Other side
    clear?": the clause before the other side is a whole statement that names a side,
    not the start of the question. (0, "") when the premise does not end so.
    """
    if not _ENDS_CLAUSE.search(premise):
        return 0, ""
    last = _last_statement(premise, phrases)
    if last is None or not _sides_in(last[1], [], phrases):
        return 0, ""
    return last


def _last_statement(premise: str, phrases: Phrases) -> tuple[int, str] | None:
    """The last clause of a premise that states, and where it starts.

    Only a clause after another counts: the premise read whole has already been tried.
    """
    body = _TRAILING.sub("", premise)
    breaks = list(_PUNCTUATION_BREAK.finditer(body))
    if not breaks:
        # "病人右侧胸痛 右边有气胸 左边有没有": clauses set apart by spaces alone
        breaks = list(_ZH_SPACE.finditer(body))
    starts = [0, *(m.end() for m in breaks)]
    ends = [*(m.start() for m in breaks), len(body)]
    for start, end in reversed(list(zip(starts, ends, strict=True))[1:]):
        clause = body[start:end]
        if _states(clause, phrases) and not _premise_asks(clause, phrases):
            return start, clause
    return None


def _premise_asks(said: str, phrases: Phrases) -> bool:
    """Whether the words before "the other side" ask rather than state.

    English asks by its word order ("is there ...", "has the ..."): "This side (L) has
    the mass" states, though "has the" starts a question elsewhere.
    """
    if _CHINESE.search(said) is None:
        return bool(_EN_ASKS.search(said))
    return phrases.cue("yes_no").find(_seen_said(said)) is not None


_EN_ASKS = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|now)\W+)?(?:is|are|was|were|does|do|did|has|have|had|can"
    r"|could|would|will|any)(?![a-z])|(?<![a-z])(?:or not|y/n|yes or no)(?![a-z])",
    re.IGNORECASE,
)


# "左侧可见少量积液", "左侧已经明确存在气胸": 可见 / 存在 before what is seen states it;
# 可见吗 / 是否存在 still ask
_SEEN = re.compile(r"(?<![否不])(?:可见|存在)(?=\s*[^吗么?？\s不])")


def _seen_said(said: str) -> str:
    return _SEEN.sub("见", said)


def _stated_after(
    text: str, mentions: list[AnatomyMention], phrases: Phrases
) -> str | None:
    """The other side of a statement made after the question ("对侧有没有？右上肺野有个结节").

    The statement may be a clause that gives the reason, set off by a comma ("the other
    side has effusion or not, given the right one is large?", "对侧呢，因为左边有积液").
    """
    body = _TRAILING.sub("", text)
    marks = [m.end() for m in re.finditer(r"[?？]", body)] or [
        m.start("reason") for m in _REASON_AFTER.finditer(body)
    ]
    if not marks:
        return None
    said = text[marks[-1] :]
    if not _states(said, phrases) or _premise_asks(said, phrases):
        return None
    stated = _sides_in(said, [m for m in mentions if m.start >= marks[-1]], phrases)
    return _opposite(stated[0]) if len(stated) == 1 else None


_TRAILING = re.compile(r"[\s。.!！?？，,]+$")
_ZH_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
# a premise that ends its last clause before the question ("...on the right. Other side?")
_ENDS_CLAUSE = re.compile(r"(?:[。!！;；，,]|(?<!\d)\.)\s*$")
_REASON_AFTER = re.compile(
    r"[，,;；]\s*(?P<reason>(?:given|since|as|because|seeing as|considering)(?![a-z])"
    r"|既然|因为|鉴于|考虑到)",
    re.IGNORECASE,
)
_PUNCTUATION_BREAK = re.compile(r"[，,。;；!！]|\.(?!\d)|\s[-–—]+\s")


def _statement_of(premise: str) -> str:
    """The statement a premise ends with, up to its last break.

    Punctuation, when the premise has it, breaks before a space does: "右肺 base 有片状影，"
    is one statement though a space stands beside the Chinese.
    """
    body = _TRAILING.sub("", premise)
    marks = [m.start() for m in _PUNCTUATION_BREAK.finditer(body)]
    if marks or _PUNCTUATION_BREAK.search(premise):
        return body[: marks[-1]] if marks else body
    if _CLAUSE_BREAK.search(premise):
        return premise[: _last_break(premise)]
    # a run-on sentence ("the mass is in the right upper zone does the other side ..."):
    # the question starts at its auxiliary, after the statement's last word
    openers = [m.start() for m in _RUN_ON_QUESTION.finditer(premise)]
    return premise[: openers[-1]] if openers else premise


_RUN_ON_QUESTION = re.compile(
    r"(?<=[a-z0-9])\s+(?=(?:does|do|did|is there|are there|is the|are the|is it|are they|can|could|would|will)\s)",
    re.IGNORECASE,
)


def _states(said: str, phrases: Phrases) -> bool:
    """Whether words say what is there: a statement's verb, or a finding named.

    "右侧肋膈角变钝了 左侧呢", "右肺结节 左肺呢": the first clause states.
    """
    return bool(_STATEMENT.search(said)) or (
        _first("kind", phrases.kind_order, said, phrases) is not None
    )


def _question_start(text: str) -> int:
    """Where the asked clause starts: after the last punctuation when there is any.

    "RLL 有实变，LLL 那边有吗": the question is "LLL 那边有吗", not "那边有吗" after the space
    beside the Chinese; with no punctuation a space beside Chinese breaks it. A tag that
    only offers the answers ("..., or no?", "..., 对吧") starts no clause of its own.
    """
    body = _ANSWER_TAG.sub("", _TRAILING.sub("", text))
    marks = [m.end() for m in _PUNCTUATION_BREAK.finditer(body)]
    if marks:
        return marks[-1]
    breaks = _last_break(text)
    if breaks > 0:
        return breaks
    # a run-on sentence ("the right lower zone has consolidation does the left show any"):
    # the question starts at its auxiliary
    openers = [m.end() for m in _RUN_ON_QUESTION.finditer(body)]
    return openers[-1] if openers else -1


# "Right side got one too, or no?", "左边也有，对吧": the answers offered after the question
_ANSWER_TAG = re.compile(
    r"[,，]\s*(?:(?:yes )?or (?:no|not)|right|yeah|yes|eh|no|innit|true"
    r"|对吧|对不对|是吧|是不是|有没有|没有|是吗)\W*$",
    re.IGNORECASE,
)


def _last_break(text: str) -> int:
    """Where the last clause starts (after its break), or -1 for one clause."""
    body = _TRAILING.sub("", text)  # a break that ends the text starts no clause
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(body)]
    return breaks[-1] if breaks else -1


def _sides_in(text: str, mentions: list[AnatomyMention], phrases: Phrases) -> list[str]:
    sides = {m.side.value for m in mentions if m.side is not None}
    sides |= {s for s in ("right", "left") if phrases.cue(f"side_{s}").find(text)}
    # "R apical pneumothorax noted": a one-letter side before a place or finding word
    sides |= {
        s for s in ("right", "left") if phrases.cue(f"side_letter_{s}").find(text)
    }
    return sorted(sides & {"right", "left"})


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
    unit = _unit(text, phrases)
    attribute = _first("attribute", phrases.attribute_order, text, phrases)
    if attribute == "connection":
        # "how big is the nodule abutting the pleura": the contact picks the finding out
        # (a participle after its noun); what is asked of it is the other attribute
        unpicked = _CONTACT_DESCRIPTOR.sub(" ", text)
        other = _first("attribute", phrases.attribute_order, unpicked, phrases)
        attribute = other if unpicked != text and other is not None else attribute
    if attribute is None and phrases.cue("confidence_real").find(text):
        # "is it real?", "会不会是假阳性": how far the engine trusts its own finding
        attribute = "confidence"
    if attribute == "confidence" and phrases.cue("attribute_ctr").find(text):
        # "how sure are you about the CTR?": a measurement's certainty is in its answer
        attribute = "ctr"
    if attribute == "distance" and phrases.cue("attribute_connection").find(text):
        attribute = "connection"  # "how far, and is it connected?": the relation asked
    superlative = _first("superlative", phrases.superlative_order, text, phrases)
    most = _ZH_MOST.search(text)
    if superlative is None and most:
        # "最dodgy的那个", "最concerning": 最 before an English word is "most" before it
        said = f"most {most.group(1).lower()}"
        superlative = _first("superlative", phrases.superlative_order, said, phrases)
    if superlative is not None and attribute == "size":
        # "where is the smaller nodule": the size word ranks, it is not what is asked
        ranked = _without_cues(text, f"superlative_{superlative}", phrases)
        attribute = _first("attribute", phrases.attribute_order, ranked, phrases)
    if attribute == "distance" and _SIZE_GAP.search(text):
        # "the size gap between A1 and A2": sizes set apart, no length between them
        attribute = "size"
    ranks = _ranks(text, phrases)
    if attribute in ("count", None) and unit is not None:
        # "how many millimetres is A2?", "最大的病灶用厘米是多少": a unit asks for a size
        attribute = "size"
    attribute = _named_attribute(text, attribute)
    if attribute is None and _SWITCHED.search(text):
        # "哪个更 confident", "which one 大": the comparative in one language, its
        # adjective in the other; read as one language ("more confident", "哪个大")
        attribute = _first(
            "attribute", phrases.attribute_order, _switched(text), phrases
        )
    kind = _kind(text, phrases)
    if kind == "opacity" and attribute == "density":
        # "density of the smallest lesion": the word asked about names no opacity
        others = tuple(k for k in phrases.kind_order if k != "opacity")
        kind = _first("kind", others, text, phrases) or kind
    return {
        "kind": kind,
        "attribute": attribute,
        "superlative": superlative,
        "superlatives": ranks if len(ranks) >= 2 else (),
        "unit": unit,
    }


# a gap or spread said of sizes ("size gap", "gap in size", "大小差距"), not a distance
_SIZE_GAP = re.compile(
    r"(?<![a-z])(?:size|diameter)s? (?:gap|delta|spread)(?![a-z])"
    r"|(?<![a-z])(?:gap|delta|spread) in (?:size|diameter)s?(?![a-z])"
    r"|(?:大小|尺寸|直径)(?:的)?(?:差距|差值|相差)",
    re.IGNORECASE,
)


def _unit(text: str, phrases: Phrases) -> str | None:
    """The unit asked in: one said only to be set aside ("cm please, not mm") is not.

    Of the two units, one set aside alone ("how big is A1, not in mm") asks the other.
    """
    units = ("mm", "cm")
    wanted = _NEGATED_UNIT.sub(" ", text)
    named = [u for u in units if phrases.cue(f"unit_{u}").find(wanted)]
    if named:
        return named[0]
    refused = [u for u in units if phrases.cue(f"unit_{u}").find(text)]
    others = [u for u in units if u not in refused]
    return others[0] if refused and len(others) == 1 else None


# a unit set aside: "not mm", "rather than millimetres", "不要毫米", "别用cm", "mm 唔要"
_NEGATED_UNIT = re.compile(
    r"(?<![a-z])(?:not|no|rather than|instead of)\s+(?:in\s+)?"
    r"(?:mm|cm|millimet\w*|centimet\w*)(?![a-z])"
    r"|(?:不要|不用|别用?|而不是|不是)\s*(?:用\s*)?(?:毫米|厘米|公分|mm|cm)(?![a-z])"
    r"|(?<![a-z])(?:毫米|厘米|公分|mm|cm)\s*(?:的)?\s*(?:不要|不用|免了|就算了)"
    r"(?!\s*(?:用\s*)?(?:毫米|厘米|公分|mm|cm))",
    re.IGNORECASE,
)


_CONTACT_DESCRIPTOR = re.compile(
    r"(?<![a-z])(?:nodule|mass|lesion|opacity|one|finding|consolidation|spot|shadow)s?"
    r" (?:that(?:'s| is| are)? |which (?:is|are) )?(?:abutting|touching|attached to"
    r"|in contact with|up against|reaching)(?![a-z])[^,;?.]*",
    re.IGNORECASE,
)


def _ranks(text: str, phrases: Phrases) -> tuple[str, ...]:
    """Every rank a question names, each in words of its own.

    "最大的和最小的差多少" names two (two findings, set against each other); "恶性可能最大的"
    names one, its 最大 being part of the words of suspicion.
    """
    ranks = []
    rest = text
    for name in phrases.superlative_order:
        if phrases.cue(f"superlative_{name}").find(rest):
            ranks.append(name)
            rest = _without_cues(rest, f"superlative_{name}", phrases)
    return tuple(ranks)


_ZH_MOST = re.compile(r"最\s*([A-Za-z][A-Za-z-]+)")
# The nouns that name a look of a lesion outright ("形态", "shape", "边缘", "margins"): named
# so, it is what is asked, whatever example values follow ("形态怎样 圆的还是分叶的", where
# 分叶 alone would be a margin)
_HEAD_NOUNS = {
    "shape": re.compile(r"形态|形状|外形|(?<![a-z])(?:shape|morpholog\w*)", re.I),
    "margin": re.compile(
        r"边缘|边界|轮廓|(?<![a-z])(?:margins?|borders?|edges?|outline|contour)", re.I
    ),
}


# A comparison said across the two languages: a Chinese degree word before an English
# adjective ("更 confident", "比较 sure"), or an English "which" before a Chinese
# adjective ("which one 大", "which of them 更高")
_SWITCHED = re.compile(
    r"(?:更|更加|比较|还要)\s*(?=[A-Za-z])"
    r"|(?<![a-z])which(?: one| of (?:them|the two|these|those))?(?: is| are|'s)?"
    r"\s*(?=[\u4e00-\u9fff])",
    re.IGNORECASE,
)


def _switched(text: str) -> str:
    """The comparison read in one language: "more" before the adjective, 哪个 before 大."""

    def one_language(match: re.Match[str]) -> str:
        return " 哪个" if match.group(0).lower().startswith("which") else " more "

    return _SWITCHED.sub(one_language, text)


def _named_attribute(text: str, attribute: str | None) -> str | None:
    if attribute not in _HEAD_NOUNS:
        return attribute
    named = [name for name, noun in _HEAD_NOUNS.items() if noun.search(text)]
    return named[0] if len(named) == 1 else attribute


# A kind said only to be set aside ("no mass, ok, what about a nodule", "不是肿块 是结节"):
# the other kind named is meant
_NEGATED_KIND = re.compile(
    r"(?<![a-z])(?:no|not(?: an?| the)?)\s+[a-z]+"
    r"|(?<![有是])(?:没有|不是)[\u4e00-\u9fff]{1,3}?(?=[\s,，。.;；!！?？]|[那是但而])",
    re.I,
)


def _kind(text: str, phrases: Phrases) -> str | None:
    kind = _first("kind", phrases.kind_order, text, phrases)
    if kind is None or not _NEGATED_KIND.search(text):
        return kind
    other = _first("kind", phrases.kind_order, _NEGATED_KIND.sub(" ", text), phrases)
    return other or kind


def _without_cues(text: str, table: str, phrases: Phrases) -> str:
    """The question with one table's cues blanked, its other words left as typed."""
    cues = phrases.cue(table)
    for pattern in (*cues.zh, *cues.en):
        text = pattern.sub(" ", text.lower())
    return text


# Positions counted from the end of the list, held as negative ordinals (-1 the last,
# -2 the last but one): "倒数第二个", "最后一个", "the last but one", "second to last".
_ZH_FROM_END = re.compile(
    rf"倒数\s*第?\s*({_ZH_NUMBER})\s*(?:个|处|枚|颗|条|号)?"
    # "最后一个", "排在最后面的那个", "列在最后头那颗": 面/边/头 only make 最后 a place
    # 项 counts the items of a list ("最后一项离胸膜多远")
    r"|(最后|最末|末尾|最尾)(?:面|边|头)?(?:的)?(?:那|这)?一?[个处枚颗条粒项]"
    # "最后提到的那个", "最后列出来的": the one named last
    r"|(最后)(?:列|提|说|报|讲)(?:出来?|到)?的(?:那|这)?一?[个处枚颗条]?"
    r"(?![^，,。]{0,2}(?:之前|以前|前面|前一))"
    # "倒着数第二个", "从后往前数第二个", "从最后面数起第三颗": counted from the end, said
    # with the direction of counting before the position
    r"|(?:倒着|倒过来|反过来|反着|从(?:后|尾|末尾|最后|底下?)(?:面|头|边|巴)?(?:往|向)?前?)"
    rf"\s*数(?:起|过来|的话)?\s*[，,]?\s*第\s*({_ZH_NUMBER})\s*(?:个|处|枚|颗|条|号)?"
)
_EN_FROM_END = re.compile(
    r"(?<![a-z])(?:(last[- ]but[- ]one|penultimate|next[- ]to[- ]last|second[- ](?:to[- ])?last"
    r"|one before (?:the )?last)"
    # "third from the end", "the third one from the end", "3rd to last", "the third last"
    r"|(second|third|fourth|2nd|3rd|4th|two|three|four)"
    r"(?:[- ](?:one|nodule|lesion|finding|mass|opacity|item|entry)s?)?"
    r"(?:[- ](?:from|to)[- ](?:the )?(?:last|end|bottom)|[- ]last(?! (?:time|year|week)))"
    r"|(?:the |that )(?:very )?(last|final)\s*[?？]*$"
    r"|(?:the |that )?(?:very )?(last|final) (?:one|nodule|lesion|finding|mass|opacity"
    r"|item|entry)s?(?![a-z])"
    # "last 那个", "last一颗": an English word before a Chinese measure word
    r"|(?:the )?(last|final)\s*的?\s*(?:那|这|一)?\s*[个颗枚处条]"
    # "the one listed last", "the one you mentioned last": named last on the list
    r"|(?:listed|mentioned|named|said|gave|given|reported|flagged|found) (?:it )?(last)(?![a-z])"
    # "the last but two": two before the last
    r"|last[- ]but[- ](two|three)(?![a-z])"
    # "the one at the bottom of the list", "bottom one on your list": the last listed
    r"|(?:at )?the (bottom) of (?:the|your|that|this) list"
    r"|(bottom) (?:one|nodule|lesion|finding|mass|opacity|item|entry)s?(?![a-z]))"
)
# "counting from the bottom, the second one", "counting backwards, 3rd": a position
# counted from the end, the direction of counting said before it
_EN_COUNTED_BACK = re.compile(
    r"(?<![a-z])(?:count(?:ing|ed)?|going|working) (?:(?:back(?:wards?)?|up) )?"
    r"(?:(?:from|at) the (?:end|bottom|last)|back(?:wards?)?|from below)[, ]*(?:the )?"
    r"(second|third|fourth|2nd|3rd|4th)(?![a-z])"
)
# "the first two", "前两个", "the top two", "前面两个": the first positions of the list
_FIRST_FEW = re.compile(
    r"(?<![a-z])(?:the )?(?:first|top) (two|three|2|3)(?![a-z0-9])"
    r"(?! (?:zones?|lobes?|thirds?|ribs?|fields?|parts?)(?![a-z]))"  # "the top two zones"
    r"|(?:[前头](?:面|边|头)?的?)\s*([两二三23])\s*[个处枚颗条]"
)
# "the last two", "最后两个": the last positions of the list
_LAST_FEW = re.compile(
    r"(?<![a-z])(?:the )?last (two|three|2|3)(?![a-z0-9])|(?:最后|末尾)\s*([两二三23])\s*[个处枚颗条]"
)
_FEW = {"two": 2, "three": 3, "2": 2, "3": 3, "两": 2, "二": 2, "三": 3}


def _from_end(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Positions counted from the end, and the spans they take (read no further)."""
    found: list[tuple[int, int]] = []
    spans: list[tuple[int, int]] = []
    for m in _ZH_FROM_END.finditer(text):
        last = m.group(2) or m.group(3)
        counted = m.group(1) or m.group(4)
        found.append((m.start(), -1 if last else -_number(counted)))
        spans.append(m.span())
    lower = text.lower()
    for m in _EN_FROM_END.finditer(lower):
        word = m.group(2)
        n = (
            -1
            if m.group(3)
            or m.group(4)
            or m.group(5)
            or m.group(6)
            or m.group(8)
            or m.group(9)
            else -2
            if m.group(1)
            else -_EN_FROM_END_N[m.group(7)] - 1
            if m.group(7)
            else -_EN_FROM_END_N[word]
        )
        found.append((m.start(), n))
        spans.append(m.span())
    for m in _EN_COUNTED_BACK.finditer(lower):
        found.append((m.start(), -_EN_FROM_END_N[m.group(1)]))
        spans.append(m.span())
    for m in _FIRST_FEW.finditer(lower):
        count = _FEW[m.group(1) or m.group(2)]
        found.extend((m.start() + i, i + 1) for i in range(count))
        spans.append(m.span())
    for m in _LAST_FEW.finditer(lower):
        count = _FEW[m.group(1) or m.group(2)]
        found.extend((m.start() + i, i - count) for i in range(count))
        spans.append(m.span())
    return found, spans


_EN_FROM_END_N = {"second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3, "three": 3}
_EN_FROM_END_N |= {"fourth": 4, "4th": 4, "four": 4}


def _ordinals(text: str) -> tuple[int, ...]:
    found, spans = _from_end(text)

    def taken(start: int) -> bool:
        return any(a <= start < b for a, b in spans)

    for m in _ZH_ORDINAL.finditer(text):
        if taken(m.start()):
            continue
        digit = m.group(1) or m.group(3)
        found.append((m.start(), 1 if m.group(2) else _number(digit)))
    for m in _EN_ORDINAL.finditer(text.lower()):
        if _EN_TIME.match(text.lower(), m.end()) or taken(m.start()):
            continue
        if m.start() > 0 and _EN_FIRST_ADVERB.match(text.lower(), m.start()):
            continue
        word = m.group(1)
        found.append((m.start(), _EN_ORDINALS[word] if word else int(m.group(2))))
    for m in _EN_NUMBER.finditer(text.lower()):
        found.append((m.start(), _number(m.group(1) or m.group(2))))
    # a position said again ("第四个，就是说第四个在哪") is one position, not two compared
    return tuple(dict.fromkeys(n for _, n in sorted(found)))


def _number(word: str) -> int:
    """A number written in digits, Chinese numerals ("七", "十二") or English words."""
    if word.isdigit():
        return int(word)
    if word in EN_DIGITS:
        return EN_DIGITS[word]
    if word.startswith("十"):
        return 10 + (_ZH_DIGITS[word[1]] if len(word) > 1 else 0)
    return _ZH_DIGITS[word]


_CHINESE = re.compile(r"[\u3400-\u9fff]")

_LOBE_LEVEL = re.compile(
    r"([上中下])叶|(?<![a-z])(upper|middle|lower)\s+lobe", re.IGNORECASE
)
_LEVEL_WORD = {"上": "upper", "中": "middle", "下": "lower"}


def _opposite(side: str | None) -> str | None:
    return {"right": "left", "left": "right"}.get(side or "")


__all__ = [
    "places",
]
