"""Clean-up of a question's text before its slots and intent are read.

A question is often said with words that ask nothing: a self-correction ("how big is A4.
no wait, A5"), a value corrected ("第一个…不对，第二个多大"), a plan or an introduction
("I'm going to ask about A2", "I'm the registrar on call"), background clauses (history,
why it is asked, what the reader is doing) and colloquial or slipped spellings ("边边",
"右肺中夜", "A二"). The rules here rewrite or blank those words, so that the slot and
intent rules (query_slots, query_intent) see only the question asked. The clause
splitting they rely on is engine/dialogue/clauses.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from engine.dialogue.clauses import asks_by_form, blank, clauses
from engine.dialogue.limits import LIMITS
from engine.dialogue.query_records import DialogueState
from engine.dialogue.query_slots import (
    _CHINESE,
    _HASH,
    _WORDS,
    _ZH_NUMBER,
    _kind,
    _ordinals,
    _sides_in,
    _without_cues,
    places,
)
from engine.intents import anchor_ids_in, anchor_pattern
from ontology import Vocabulary
from ontology.phrases import Phrases

# "A二", "A 三": an anchor's number typed with a Chinese input method
_ZH_ANCHOR = re.compile(
    rf"(?<![A-Za-z])A\s?({_ZH_NUMBER})(?![0-9一二两三四五六七八九十个处号])"
)
# "A one versus A two", "and a six": an anchor's number said as a word (dictation, a
# speech-to-text line); only where a name can stand, so "a two view film" stays words
_EN_ANCHOR = re.compile(
    r"(?<![A-Za-z'])(?:[Aa]|[Aa]nchor)\s+(one|two|three|four|five|six|seven|eight|nine|ten)"
    r"(?=\s*(?:$|[?？!.,，;:)]|(?:vs\.?|versus|and|or|compared|with|than|is|was|has|looks"
    r"|seems|bigger|larger|smaller|calcified|margins?|size|which|please|pls|then|too|again"
    # "how big is a five in centimetres": the unit the size is asked in; "A five's
    # margins", "how far is a two from the hilum"
    r"|in (?:mm|cm|millimet\w*|centimet\w*)|'s|from)"
    r"(?![a-z])"
    # "A two多大": a Chinese question after the name, not a unit ("a two 毫米的")
    r"|\s*(?!毫米|厘米|公分|公厘)[\u4e00-\u9fff]))"
)
# 野 of a zone typed as a character of the same sound after a side or lung: "中夜", "下页",
# and "下也" where 也 ("also") cannot stand ("右肺下也有没有结节" reads lower zone either way);
# "肺中也有" ("in the lung too") keeps its 也
_ZONE_SLIP = re.compile(
    r"(?:(?<=[左右两双肺那看])|(?<![\u4e00-\u9fff]))"
    r"([上中下])(?:[夜页业叶](?=[内中外]带)|[夜页业]|(?<=[肺右左]下)也)"
)


def _level_slip(state: DialogueState | None) -> Callable[[re.Match[str]], str]:
    """How a slipped 野 or 叶 is read: as the level of anatomy the question before asked.

    叶 and 野 sound alike (ye), so "下页" is the lower zone unless the question it follows
    asked of a lobe ("左肺下叶有没有病灶", then "右肺下页呢": the right lower lobe).
    """
    before = None if state is None or state.previous is None else state.previous.query
    lobe = before is not None and before.lobe is not None and before.zone is None

    def level(m: re.Match[str]) -> str:
        banded = m.group(0).endswith("叶")  # "右肺中叶内带": a band is of a zone
        return m.group(1) + ("叶" if lobe and not banded else "野")

    return level


# 那个 for 哪个 (the same sound) between two anchors asked which is bigger: "A1和A2那个大"
_WHICH_SLIP = re.compile(r"那一?个(?=(?:更|要|比较|稍微)?[大小远近圆密](?![的点些]))")
# "哪块大", "哪一枚更靠上": "which" with any counting word of a finding is 哪个
_WHICH_COUNTED = re.compile(r"哪一?[块枚颗处团片粒](?!肺)")

# Full-width letters, digits and punctuation ("第３个", "Ａ２", "？") and the ideographic
# space, read as their ASCII: a Chinese input method types them as often as not.
_HALF_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


# A reduplicated noun is the noun in colloquial Mandarin: "边边" after a finding or an
# anchor ("A3那个边边", "结节的边边"), or before a margin's value ("边边光滑不"), is its
# edge; at the head of a question it stays Cantonese "which side" ("边边有积液")
def _colloquial(text: str) -> str:
    """Colloquial forms read as the tables write them.

    "边边" is an edge; "那个位置", "same location" are the same place, no place asked.
    """
    text = _SAME_PLACE.sub(r"\1 place", text)
    return _PLACE_BEFORE.sub("同一", _EDGE_REDUPLICATED.sub("边缘", text))


_SAME_PLACE = re.compile(
    r"(?<![a-z])(same|identical|matching|corresponding) (?:location|position)(?![a-z])",
    re.IGNORECASE,
)

# A place referred back to ("还是原来那个位置", "刚才的地方") is the same place, as 同一位置
# says: the place of the previous question, not a question of where
_PLACE_BEFORE = re.compile(
    r"(?:原来|刚才|之前|前面|上次|上面|同样|相同|一样)的?那?一?个?(?=位置|地方|部位|区域)"
    r"|(?<![A-Za-z0-9])[那这]一?个?(?=(?:位置|地方|部位|区域)\s*(?:也|还|是否|有没有|有无|有))"
    # "位置不变": the place kept, no place asked
    r"|(?=(?:位置|地方|部位)(?:不变|照旧|一样))"
)
_EDGE_REDUPLICATED = re.compile(
    r"(?<=[的个块枚颗节影灶A-Za-z0-9])边边|边边(?=\s*(?:光|毛|清|模糊|齐|整|规|锐|不齐|糊))"
)


def _self_corrected(text: str, phrases: Phrases) -> str:
    """A question whose anchor its writer corrects at its end, asked of the corrected one.

    "how big is A4. no wait, A5", "A2多大？不对，A3", "where is A1, sorry I mean A2": after
    the correction's words nothing but anchors is said, as many as the question named (or
    one), so they take the place of the question's; a correction made in the next turn
    is `_corrects_subject`'s.
    """
    if len(anchor_ids_in(text)) < 2:
        return text
    table = phrases.cue("correction")
    chinese = _CHINESE.search(text) is not None
    seen = text if chinese else text.lower()
    first = anchor_pattern().search(text)
    assert first is not None
    # mixed speech corrects in either language ("A2 在哪…sorry, A6")
    # a bare "no" inside the question corrects too ("Size of A4 - no, A6 I mean")
    marks = [
        m
        for pattern in ((*table.zh, _BARE_NO_ZH) if chinese else (*table.en, _BARE_NO))
        for m in pattern.finditer(seen, first.end())
    ] or [
        m
        for pattern in ((*table.en, _BARE_NO) if chinese else ())
        for m in pattern.finditer(seen.lower(), first.end())
    ]
    if not marks:
        return text
    cut = min(marks, key=lambda m: m.start())
    head, tail = text[: cut.start()], text[cut.start() :]
    said = list(anchor_pattern().finditer(head))
    meant = anchor_ids_in(tail)
    # "how big is A2... sorry, A3, in mm": the question goes on after the corrected
    # anchor, set off by a mark, and is kept
    named = list(anchor_pattern().finditer(tail))
    kept = ""
    if named:
        # "A6 I mean - in cm": the correction's words after the anchor end it too
        end = named[-1].end()
        end = (_MEANT_AFTER.match(tail, end) or named[-1]).end()
        if _GOES_ON.match(tail, end):
            tail, kept = tail[:end], tail[end:]
    if not said or not meant or len(meant) not in (1, len(said)):
        return text
    # beside the anchors, the correction may only say again what the question said
    # ("量一下A2到肺门 哦不对 A5到肺门"); "A1多大 不是A2那个大" says more
    rest = phrases.cue("filler").blank(
        table.blank(_BARE_NO_ZH.sub(" ", anchor_pattern().sub(" ", tail)))
    )
    said_words = set(_WORDS.findall(anchor_pattern().sub(" ", head).lower()))
    if any(w not in said_words for w in _WORDS.findall(rest)):
        return text
    if len(meant) == 1 and len(said) > 1:
        said = said[-1:]  # "A1到A2多远，不对，A3": the last one named is corrected
    for m, new in reversed(list(zip(said, meant, strict=True))):
        head = head[: m.start()] + new + head[m.end() :]
    return head + kept


# an anchor named, then another said not to be meant ("A4 not A3", "A4, rather than A3",
# "是A4而不是A3"): the one named
_NOT_ANCHOR = re.compile(
    r"(A\d+)\s*[,，]?\s*(?:(?<![a-z])(?:(?:and |but )?not|rather than|instead of)(?![a-z])"
    r"|而?不是)\s*A\d+(?!\d)",
    re.IGNORECASE,
)
# the question going on after a corrected value, set off by a mark or a spaced dash, or
# by a bare space before more Chinese or a unit asked ("...不好意思 A2 要毫米", "sorry A3
# in mm")
_GOES_ON = re.compile(
    r"\s*[,，;；。.…]+\s*\S|\s+[-–—]+\s*\S"
    r"|\s+(?=[\u4e00-\u9fff]|in (?:mm|cm|milli|centi))",
    re.IGNORECASE,
)
# "A6 I mean", "A6, is what I meant": the correction said after the value
_MEANT_AFTER = re.compile(
    r"\s*,?\s*(?:is\s+what\s+)?i\s+mean[t]?(?![a-z])", re.IGNORECASE
)
# Besides an anchor, a value its writer corrects: a position, a rank, a size
_CORRECTABLE = (
    re.compile(
        rf"第\s*{_ZH_NUMBER}(?![0-9次遍回天周年月期])\s*[个处枚颗条]?"
        r"|(?<![a-z])(?:first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th)"
        r"(?: one)?(?![a-z])",
        re.IGNORECASE,
    ),
    re.compile(
        r"最\s*(?:[大小](?![小])|可疑)"
        r"|(?<![a-z])(?:biggest|largest|smallest|tiniest|most suspicious)(?: one)?(?![a-z])",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![\d.])\d+(?:\.\d+)?\s*(?:mm|cm|millimet\w*|centimet\w*|毫米|厘米|公分)",
        re.IGNORECASE,
    ),
)
# what may stand beside a correction and its value, saying nothing of its own: a
# hesitation, a particle, "it's the", 是, punctuation
_SAYS_NOTHING = re.compile(
    r"(?<![a-z])(?:u+m+|u+h+|e+r+m*|hmm+|it'?s|is|the|one|i|a)(?![a-z])"
    r"|[呃嗯额哦]|就?是|的|那个|这个|一个|[\s,，.。…?？!！:：;；\-–—]",
    re.IGNORECASE,
)
# a bare "no" after a value broken off ("bigger than 6mm? no, 8 mm"): a correction
_BARE_NO = re.compile(r"(?<![a-z])(?:no|nope|nah)(?![a-z])", re.IGNORECASE)
# ... and in Chinese, 不 after an interjection ("A2多大 哦不 A3", "啊不"), not a verb's 不
_BARE_NO_ZH = re.compile(r"(?:哦|噢|喔|啊|呃|额|欸|诶)\s*不(?![是要用必会能对])")


def _says_nothing(text: str, phrases: Phrases) -> bool:
    # read before the blanking too, which sets Chinese characters apart ("那 个")
    rest = phrases.cue("correction").blank(_SAYS_NOTHING.sub(" ", text))
    return not _WORDS.search(_SAYS_NOTHING.sub(" ", rest))


def _said_again(before: str, after: str) -> bool:
    """The words said after a value before a correction, said again after the new one.

    "largest nodule, sorry, smallest nodule: where?", "最大的结节，不对，最小的结节在哪":
    the writer broke off after the value's phrase and says the whole phrase anew.
    """
    said = _WORDS.findall(before.lower())
    return bool(said) and _WORDS.findall(after.lower())[: len(said)] == said


def _value_corrected(text: str, phrases: Phrases) -> str:
    """A question whose position, rank or size its writer corrects: the last said wins.

    "第一个在哪？不对，我是想问第二个", "first one - where? sorry, I meant the second": the
    value said after the correction takes the place of the one before it. When the
    question broke off at the first value ("最大的……呃，不对，是最小的那个结节在哪",
    "bigger than 6mm? no, 8 mm") the rest is said after the correction and read from
    there. After the new value only what a mark sets off is kept ("..., 多大"); more
    said straight after it ("第一个多大？不对，第二个更大") is another statement, read as
    it is. "不是" before the value says which is *not* meant, so it corrects nothing here.
    """
    table = phrases.cue("correction")
    lowered = text.lower()
    marks = [
        m
        for pattern in (*table.zh, *table.en, _BARE_NO)
        for m in pattern.finditer(lowered)
        if m.group(0) != "不是"
    ]
    for mark in sorted(marks, key=lambda m: m.start()):
        head, tail = text[: mark.start()], text[mark.end() :]
        for pattern in _CORRECTABLE:
            said = list(pattern.finditer(head))
            meant = list(pattern.finditer(tail))
            if len(said) != 1 or len(meant) != 1:
                continue
            old, new = said[0], meant[0]
            if not _says_nothing(tail[: new.start()], phrases):
                continue
            after = tail[new.end() :]
            broken_off = _says_nothing(head[old.end() :], phrases) or _said_again(
                head[old.end() :], after
            )
            if broken_off:
                return head[: old.start()] + new.group(0) + after
            if pattern is _BARE_NO or not (
                _says_nothing(after, phrases) or _GOES_ON.match(after)
            ):
                continue
            return head[: old.start()] + new.group(0) + head[old.end() :] + after
    return text


# Dictated punctuation ("... consolidation question mark", "左肺 逗号 有没有结节 问号"):
# the mark, not the words, so "question" and "mark" are not read as the question's words
_SPOKEN_MARK = re.compile(
    r"(?:(?<=\s)|^)(?:question mark|full stop|period|comma|new line|newline)(?=\s|$)"
    r"|问号|逗号|句号|感叹号|换行",
    re.IGNORECASE,
)
_MARKS = {"question mark": "?", "问号": "？", "comma": ",", "逗号": "，"}


def _mark(m: re.Match[str]) -> str:
    return _MARKS.get(m.group(0).lower(), ".")


# Who is asking, said first ("ICU reg here", "respiratory therapist here,", "I'm the night
# nurse on ward 6,", "我是呼吸科的医生，"): the ward or role names the speaker, not what is
# asked, so its words ("ICU", "therapist") are not read as a request for treatment
_INTRODUCTION = re.compile(
    r"^\W*(?:(?:hi|hello|hey|morning|evening)\W+)?"
    r"(?:(?:i'?m|i am|this is|it'?s)\s+(?:the |a |an |your )?)?"
    r"(?:[a-z0-9&/-]+\s+){0,3}?"
    r"(?:reg|registrar|resident|nurse|doctor|doc|physio|physiotherapist|therapist|consultant"
    r"|fellow|intern|house ?officer|sho|fy[12]|hca|np|pa|tech|technician|radiographer"
    r"|attending|student|paramedic|midwife|gp|surgeon|anaesthetist|anesthetist|team)"
    r"(?:\s+here|\s+(?:on|from|in)\s+(?:[a-z0-9&/-]+\s+){0,3}?(?:ward|unit|team|icu|ed|er|a&e)"
    r"(?:\s+\d+)?)(?:\W+|\s+)"
    r"|^\W*我是.{1,12}?(?:科|病房|病区|室|组)的?(?:医生|大夫|护士|技师|治疗师|规培生?|实习生?)?[，,。\s]+",
    re.IGNORECASE,
)


# Someone else who wants the answer ("the oncology nurse wants a list of ...", "ICU team
# asked me to", "肿瘤科护士想要"): their ward names who asks, not what is asked
_REQUESTER = re.compile(
    r"(?<![a-z])(?:the |our |my |an? )?(?:[a-z&/-]+ ){0,2}?"
    r"(?:nurse|reg|registrar|team|consultant|doctor|doc|resident|fellow|physio|therapist"
    r"|surgeon|gp|attending)s? (?:wants?|wanted|asked|asks|needs?|would like|is asking"
    r"|has asked|requested|said)(?: (?:me|us))?(?: to)?(?![a-z])"
    r"|[\u4e00-\u9fff]{1,6}?(?:科|病房|病区)的?(?:护士|医生|大夫|老师|主任)"
    r"(?:想要|想|要|让我|叫我|请我|问)",
    re.IGNORECASE,
)


# What another clinician plans or cares about, stated before the question ("The respiratory
# team wants to biopsy the most suspicious lesion; where is it?", "外科主任准备手术，结节在哪
# 个叶"): why the question is asked, not a request for the plan's advice
_PLAN = re.compile(
    r"^\W*(?:the |our |my |an? )?(?:[a-z&/-]+ ){0,2}?"
    r"(?:team|pulmonologist|surgeon|oncologist|physician|clinician|consultant|doctor|doc"
    r"|registrar|reg|attending|gp|boss|chief|mdt)s?"
    r"(?: (?:only|just|mainly|also|really|probably))?"
    r" (?:wants?|wanted|plans?|planned|is planning|are planning|intends?|is going to"
    r"|are going to|will|would like|cares?|cared|is considering|are considering"
    r"|is thinking|are thinking|needs?|is interested|are interested)(?![a-z])"
    r"|^\W*[\u4e00-\u9fff]{0,6}?(?:医生|大夫|主任|老师|专家|团队|外科|内科)"
    r"(?:只|就|也)?(?:想|打算|准备|计划|要|关心|在意|考虑)"
    # any department by its 科 ("介入科想穿刺", "呼吸科打算"), or a service by its
    # letters ("IR 要穿刺 A2", "MDT 准备") (twentieth round)
    r"|^\W*(?:[\u4e00-\u9fff]{1,4}科|[A-Z]{2,4})\s*(?:的?(?:医生|大夫|主任|老师|同事|团队))?"
    r"(?:只|就|也)?\s*(?:想|打算|准备|计划|要|关心|在意|考虑)",
    re.IGNORECASE,
)


_ZH_ASKS = re.compile(r"哪|多少|几|吗|么|呢")


# Where a Chinese run-on turns from what it states to what it asks, though no comma marks
# it: a statement closed by 了 and then the tool addressed ("病人吸烟二十年了麻烦看下
# ..."), or this film taken up as a new topic after a statement ("外院CT报了个结节这张片子
# 上看得到吗"). A verb or preposition before the film ("看这片子上") keeps it one clause.
# A space typed where the comma would be ("外院CT提示1.2cm结节 这张片子上...") is that comma.
_RUN_ON_TURN = re.compile(
    r"(?<=[\u4e00-\u9fff]了)(?=(?:你|您|请|麻烦|帮(?:我|忙)))"
    r"|(?:(?<=[\u4e00-\u9fff])(?<![看在从把对跟和与拿用给瞅瞧是说])\s*"
    r"|(?<=[A-Za-z0-9])(?<!\bat)(?<!\bon)(?<!\bin)(?<!\bof)\s+)"
    r"(?=这(?:张|个)?(?:片子?|胸片)(?:上|里|中))"
)


def _run_on_apart(text: str) -> str:
    """A Chinese run-on with a comma where it turns from statement to question."""
    return _RUN_ON_TURN.sub("，", text)


def _without_plans(text: str, phrases: Phrases) -> str:
    """The question with another clinician's stated plan read as its reason, not asked.

    The plan's own advice words (biopsy, follow-up, 手术) are blanked in the plan clause
    when a later clause asks about the film; asked itself ("the surgeon wants to operate,
    should we?"), the asking clause keeps its own words and is refused as before.
    """
    clauses = _CLAUSE.findall(text)
    if len(clauses) < 2:
        return text
    read = []
    for i, clause in enumerate(clauses):
        if (
            _PLAN.search(clause)
            and not _asks(clause, phrases)
            # "它离胸膜多深": a later clause that asks by its form
            and any(
                _asks(c, phrases) or _ZH_ASKS.search(c) or asks_by_form(c)
                for c in clauses[i + 1 :]
            )
        ):
            for table in ("diagnosis", "intent_out_of_scope"):
                clause = _without_cues(clause, table, phrases)
        read.append(clause)
    return "".join(read)


# The words that refuse a question, weighed in the clause that asks (engine/dialogue/
# clauses.py): said beside the ask, as its purpose, history or a disclaimer, they do not
_REFUSING = (
    "intent_out_of_scope",
    "diagnosis",
    "scope_other_study",
    "scope_off_topic",
    *(f"limit_{name}" for name in LIMITS),  # "before we turn to the differential, ..."
)
# ... and the intent is the ask's: what the background says it was for ("随访对比", "to
# compare with the CT") is not what is asked
_INTENT_CUES = (
    "intent_profile_check",
    "intent_relation",
    "intent_describe_finding",
    "intent_list_findings",
    "intent_location",
    "intent_screening",
    "compare",
    "profile_match",
    "which_ones",
    "explain_strong",
    "explain_weak",
)
_FILM_TABLES = (
    "focal_noun",
    "hilum",
    "read_film",
    "lungs_named",
    "other_side",  # "other side, asking because ...": the side opposite, on the film
    *(f"side_{s}" for s in ("right", "left", "both")),
    *(f"zone_{z}" for z in ("upper", "middle", "lower")),
    *(f"band_{b}" for b in ("outer", "middle", "inner")),
)


def _names_film(
    clause: str, vocabulary: Vocabulary, phrases: Phrases, *, profiles: bool = True
) -> bool:
    """Whether a clause names something on the film: a finding, place, sign or profile.

    Without `profiles`, a disease named alone ("他以前得过结核") is the patient's history.
    """
    if _film_words(clause, phrases):
        return True
    return bool(
        (profiles and vocabulary.find_profile_in_text(clause))
        or places(vocabulary.find_anatomy_in_text(clause))
        or vocabulary.match_sign_in_text(clause)
    )


def _film_words(clause: str, phrases: Phrases) -> bool:
    """Whether a clause names a finding, a place or a property of one by the cue words."""
    if anchor_pattern().search(clause) or _HASH.search(clause) or _ordinals(clause):
        return True
    tables = (
        *_FILM_TABLES,
        *(f"kind_{k}" for k in phrases.kind_order),
        *(f"attribute_{a}" for a in phrases.attribute_order),
        *(f"superlative_{s}" for s in phrases.superlative_order),
    )
    return any(phrases.cue(t).find(clause) for t in tables)


def _list_said_aside(text: str, vocabulary: Vocabulary, phrases: Phrases) -> str:
    """The question with a list word blanked where only a statement beside the ask says it.

    "Give us a quick read of the film, the arvo list is long", "先整体看一遍，今天的清单太长了":
    the list is the reader's worklist, said in a clause that states and does not ask; as
    the clause that asks decides (README, sixteenth round), the request is the read. A
    list word in the clause that asks ("every nodule, list them"), in a fragment that
    names what is asked ("every nodule, one by one, describe them"), or in a statement that
    names findings ("the nurse wants a list of the nodules, can you do that") still asks
    for one.
    """
    cue = phrases.cue("intent_list_findings")
    if cue.find(text) is None:
        return text
    parts = clauses(text)
    if not any(c.asks for c in parts) or any(
        c.asks and cue.find(c.text) for c in parts
    ):
        return text
    aside = [
        not c.asks
        and _STATES.search(c.text) is not None
        and not _names_film(c.text, vocabulary, phrases)
        for c in parts
    ]
    if not any(aside):
        return text
    return "".join(
        blank(c.text, ("intent_list_findings",), phrases) if a else c.text
        for c, a in zip(parts, aside, strict=True)
    )


# a clause that states: a finite verb after its subject ("the list is long", "my worklist's
# huge"), or a Chinese predicate of degree ("清单太长了", "单子很多")
_STATES = re.compile(
    r"(?<=[a-z0-9])(?:\s+(?:is|are|was|were|has|have|had|looks?|seems?|gets?|got|runs?)"
    r"|'s|'re)(?![a-z'])|[a-z\u4e00-\u9fff]\s*(?:很|太|挺|特别|非常|超级?)[\u4e00-\u9fff]",
    re.IGNORECASE,
)


def _without_introduction(text: str) -> str:
    rest = _REQUESTER.sub(" ", _INTRODUCTION.sub("", text, count=1))
    return rest if rest.strip() else text


# A tag question ("the left base is clear, isn't it?", "there's no effusion, is there?",
# "you wouldn't see any, would you?"): a yes or no, and its pronoun points at nothing
_TAG_QUESTION = re.compile(
    r"[,，]\s*(?:is|isn'?t|are|aren'?t|does|doesn'?t|do|don'?t|was|wasn'?t|has|hasn'?t"
    r"|have|haven'?t|would|wouldn'?t|could|couldn'?t|will|won'?t|can|can'?t)"
    r"(?: not)? (?:it|there|they|that|this|you|she|he)(?=\s*[?？])",
    re.IGNORECASE,
)


# A clause of clinical background said beside the question ("BNP很高，片子支持心衰吗", "有吗，
# 病人外院CT上报过一个", "is there cardiomegaly? the family asked"): another test's result
# or who wants to know, stated, not asked, so it does not make the question a refusal
_CLAUSE = re.compile(
    r"(?:(?!\s[-–—]+\s)(?:[^，,。;；!！?？.]|(?<=\d)\.(?=\d)))+(?:[，,。;；!！?？.]|\s[-–—]+\s)*"
)
_ATTRIBUTION = re.compile(
    r"^\W*(?:是)?[\u4e00-\u9fff]{1,6}?(?:问的|想知道|要问的?|让我?问的?|托我问的?)\W*$"
    r"|^\W*(?:the |her |his |my )?(?:family|relatives?|wife|husband|son|daughter|parents?)"
    r" (?:is |are |was |were )?(?:asking|asked|wants? to know|wanted to know)\W*$",
    re.IGNORECASE,
)


_CONCESSIVE = re.compile(
    r"^\W*(?:不管|无论|不论|甭管|不计|regardless of|irrespective of|no matter"
    r"|whatever (?:the )?(?:size|location|side|shape|margin|density))",
    re.IGNORECASE,
)


_FORM_LABEL = re.compile(
    r"\W*(?:indication|clinical (?:history|details|info(?:rmation)?)|history|hx|c/o"
    r"|临床(?:病史|资料|信息)|病史|主诉|现病史)\s*[:：]",
    re.IGNORECASE,
)


# a history said without a form's label ("pt w/ hx smoking - any nodules", "h/o TB,",
# "患者有吸烟史，"): background as a labelled one is
_HISTORY = re.compile(
    r"^\W*(?:(?:the )?(?:pt|patient|pts)\s+(?:w/|with|has|had)\s*)?"
    r"(?:hx|h/o|pmh|(?:a |past |previous )?(?:history|hx) of|s/p|status post|post|after|following"
    r"|(?:ex-?|former |current |heavy |lifelong )?smoker|\d+\s*pack[- ]?y(?:ea)?rs?)"
    r"(?![a-z])"
    r"|^\W*(?:病人|患者)?(?:有|既往有?)?[\u4e00-\u9fff]{1,8}(?:史|术后)\W*$"
    # the person's past said as a clause ("他以前抽烟抽得很凶，"): who they are, not asked
    r"|^\W*(?:他|她|病人|患者|老人|大爷|阿姨)(?:以前|之前|既往|过去|长期|常年|一直|年轻时)"
    r"[^?？吗么呢]*$",
    re.IGNORECASE,
)


# Who the patient is, said as a clause of its own: age and sex ("pt 65M", "68yo F",
# "72岁男性", "女，45岁") or smoking as a habit ("never smoker", "吸烟40年") (twentieth
# round). Background only beside a question that names something on the film: "病人抽烟
# 四十年了，你觉得呢" still asks nothing about the film.
_WHO = re.compile(
    r"^\W*(?:(?:the )?(?:pt|patient)\s+(?:is\s+)?(?:an?\s+)?)?\d{1,3}\s*(?:(?:yo|y/o|y\.o\.|yrs?"
    r"|years?)(?:[\s-]*old)?(?:\s*(?:m|f|male|female|man|woman))?|(?:m|f|male|female))(?![a-z])"
    r"|^\W*(?:病人|患者)?\W*(?:(?:男|女)性?\W*)?\d{1,3}\s*岁(?:的)?(?:男|女)?性?(?:病人|患者)?\W*$"
    r"|^\W*(?:(?:the )?(?:pt|patient)\W+)?(?:male|female|man|woman|m|f)\W*\d{1,3}"
    r"(?:\s*(?:yo|y/o|yrs?|years?)(?:[\s-]*old)?)?\W*$"
    r"|^\W*(?:病人|患者|他|她)?(?:有)?(?:吸烟|抽烟|烟龄)[^?？吗么呢]*$"
    r"|^\W*(?:(?:ex-?|former |current |heavy |lifelong |never |non-?)[\s-]?smoker)\W*$",
    re.IGNORECASE,
)


def _labelled(clause: str) -> bool:
    """A clause of history: a request form's label, or a history said without one.

    A clause that names a finding of this film ("after A1,", "after the second one,")
    is about the film, whatever word it starts with.
    """
    if _FORM_LABEL.match(clause):
        return True
    if anchor_pattern().search(clause) or _ordinals(clause):
        return False
    return _HISTORY.search(clause) is not None


def _without_background(text: str, phrases: Phrases) -> str:
    """The question without the clauses that only state its clinical background."""
    clauses = _CLAUSE.findall(text)
    if len(clauses) < 2:
        return text
    # "不管大小，", "regardless of size,": what the question does not limit itself by,
    # so neither a size question nor a bound ("有没有" in it is "whether or not")
    limited = [c for c in clauses if not _concession(c, phrases)]
    if limited and len(limited) < len(clauses):
        text, clauses = "".join(limited), limited
        if len(clauses) < 2:
            return text
    asked = [c for c in clauses if not _background(c, phrases)]
    if any(_film_words(c, phrases) for c in asked if not _WHO.search(c)):
        # "68yo F, never smoker, what does the biggest mass look like": who the patient
        # is, beside a question about the film
        asked = [c for c in asked if not _WHO.search(c) or _asks(c, phrases)]
    read = phrases.cue("open_request")
    if len(asked) == len(clauses) or not any(
        _asks(c, phrases) or read.find(c) for c in asked
    ):
        return text  # nothing asked or requested beside it: the whole is the question
    # the other test's name goes; what the clause says of the chest stays ("CT上有结节，"),
    # less the size the other test measured ("CT showed a 1.5 cm nodule."), which is
    # neither asked nor a bound on the findings here
    opposite = phrases.cue("other_side").find(text) is not None
    # "既往CT提示多发结节，这张片上最大的病灶在哪": a kind the ask names wins over the one
    # the other test found, as it does beside a history (clauses.background_apart)
    named = any(_kind(c, phrases) for c in asked)
    return "".join(
        c
        if c in asked
        else _premise_of(c, phrases)
        if opposite and _labelled(c) and _sides_in(c, [], phrases)
        else ""
        if _ATTRIBUTION.search(c) or _labelled(c) or _WHO.search(c)
        else _stated(_without_study(c, phrases), named, phrases)
        for c in clauses
    )


def _stated(clause: str, named: bool, phrases: Phrases) -> str:
    """What a background clause says of the chest, less what the ask says itself.

    The size the other test measured goes, and so does the kind it names when the ask
    names one of its own.
    """
    clause = _STATED_SIZE.sub(" ", clause)
    if named:
        clause = blank(clause, tuple(f"kind_{k}" for k in phrases.kind_order), phrases)
    return clause


def _premise_of(clause: str, phrases: Phrases) -> str:
    """A history clause that states a side, kept for "the other side" asked after it.

    "Post-op 右侧有 pneumothorax, 对侧 any ptx?": the history word goes, and the clinical
    words of the history ("s/p right chest drain"), but the side and finding it states
    stay, since the other side is opposite to them.
    """
    history = _HISTORY.match(clause)
    rest = clause[history.end() :] if history else clause
    for table in ("diagnosis", "intent_out_of_scope"):
        rest = _without_cues(rest, table, phrases)
    return rest


_STATED_SIZE = re.compile(
    r"(?:(?<![a-z])measur\w*\s+(?:at\s+)?(?:about\s+|approximately\s+|~)?(?:an?\s+)?)?"
    r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十半]+(?:点[一二三四五六七八九])?)\s*"
    r"(?:mm|cm|毫米|厘米|公分|millimet\w*|centimet\w*)(?![a-z])",
    re.IGNORECASE,
)


def _without_study(clause: str, phrases: Phrases) -> str:
    other = phrases.cue("scope_other_study")
    for pattern in other.zh:
        clause = pattern.sub(" ", clause)
    if other.find(clause) is None:
        return clause
    clause = clause.lower()  # English cues read the lower-cased words
    for pattern in other.en:
        clause = pattern.sub(" ", clause)
    return clause


def _asks(clause: str, phrases: Phrases) -> bool:
    if re.search(r"[?？]", clause):
        return True
    return any(phrases.cue(n).find(clause) for n in ("yes_no", "wh_question"))


def _concession(clause: str, phrases: Phrases) -> bool:
    return (
        _CONCESSIVE.match(clause) is not None
        and not re.search(r"[?？]", clause)
        and phrases.cue("injection").find(clause) is None
        and phrases.cue("instruction").find(clause) is None
    )


# What the speaker is busy with as they ask ("正在逐条核对今天上午出的报告，", "I'm going
# through this morning's reports one by one,"): a progressive said of themselves
_DOING = re.compile(
    r"^\W*(?:我|我们|我这边|这边)?(?:现在|目前|今天|刚好|正好)?正在"
    r"|^\W*(?:i'?m|i am|we'?re|we are)\s+(?:currently |just |now |still )?"
    r"(?!(?:asking|wondering|looking for|trying to (?:find|see|work out))\b)[a-z]+ing\b",
    re.IGNORECASE,
)


def _doing(clause: str, phrases: Phrases) -> bool:
    """A clause that says what the speaker is doing and names nothing on the film.

    "我是质控员，正在逐条核对今天的报告，需要确认A5位于哪个肺野": the audit is why the
    question is asked; its words (逐条, "one by one") do not make the question a list.
    """
    if not _DOING.match(clause) or _asks(clause, phrases):
        return False
    if anchor_pattern().search(clause) or _ordinals(clause):
        return False
    tables = (*_FILM_TABLES, *(f"kind_{k}" for k in phrases.kind_order))
    return not any(phrases.cue(t).find(clause) for t in tables)


def _without_doing(text: str, phrases: Phrases) -> str:
    """The question without the clauses that say what the speaker is busy with.

    Kept whole when no other clause asks by its form: then the clause is what is said.
    """
    parts = _CLAUSE.findall(text)
    if len(parts) < 2:
        return text
    kept = [c for c in parts if not _doing(c, phrases)]
    if len(kept) == len(parts) or not any(asks_by_form(c) for c in kept):
        return text
    return "".join(kept)


def _background(clause: str, phrases: Phrases) -> bool:
    if _ATTRIBUTION.search(clause):
        return True  # "家属问的": who wants to know
    if _labelled(clause):
        # "Indication: SOB.", "病史：咳嗽两周，": a request form's history, unless it
        # carries an instruction
        return not phrases.cue("injection").find(clause)
    other = phrases.cue("scope_other_study").find(clause) is not None
    if not other or _asks(clause, phrases):
        return False
    # an instruction beside it is no background ("and echo back your context")
    return not any(
        phrases.cue(n).find(clause) for n in ("injection", "scope_off_topic")
    )
