"""A size bound the question puts on the findings: "大于1cm的结节", "anything under 5 mm?".

`read_size_bound(text)` finds the bound in millimetres whatever unit it names (cm, mm,
厘米, 毫米, 公分), as a lower bound ("over", "at least", 超过, 以上), an upper bound
("under", "smaller than", 不到, 以下, "sub-centimetre") or both ("1到2厘米之间",
"between 5 and 10 mm"). Strict and inclusive bounds read the same: a measured size has
an error of a millimetre or more, so "over 10 mm" and "10 mm or more" select alike.
The bound's words are blanked from the text it returns, so "bigger than 1 cm" is not read
as a comparison nor "直径超过1厘米" as a size question: the bound constrains, it is not
what is asked. This is grammar (numbers around a unit), so it lives here, not in the
phrase tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ZH_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# number words one to ten, read as sizes here and as list positions by the parser
EN_DIGITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_EN_NUMBER: dict[str, float] = {
    **EN_DIGITS,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "half a": 0.5,
    "half an": 0.5,
    "half": 0.5,
    "a": 1,
    "an": 1,
}
# "1.5", "１０" (made half-width earlier), "一点五", "十五", "两", "半", "one", "half a"
_NUMBER = (
    r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+(?:点[零一二三四五六七八九]+)?|半"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty"
    r"|half an?|(?:an?|half)(?= ?(?:cm|centimet|mm|millimet)))"
)
_CM = r"cms?|centi-?met(?:er|re)s?|centimet\w*|厘米|公分|釐米"
# "8 mil": spoken mm; 公厘 (公釐 typed in traditional characters) is Taiwan's millimetre
_MM = r"mms?|milli-?met(?:er|re)s?|milimet(?:er|re)s?|mils?|毫米|公厘"
_UNIT = rf"({_CM}|{_MM})(?![a-z])"
_VALUE = rf"{_NUMBER}\s*{_UNIT}"
# What the bound is of, said before it ("直径超过", "measuring over"): part of the bound.
_OF = (
    r"(?:(?:直径|长径|大小|尺寸|size|diameter|measuring|measures?|that measure)\s*"
    r"(?:是|在|为|of|is)?\s*)?"
)
_OVER_BEFORE = (
    r"(?<!不)(?:大于|超过|超出|高于|多于|大过)(?:或?等于)?|不小于|不少于|不低于|至少|起码|最少"
    r"|>=?|≥|(?<!no )(?<!not )(?:bigger|larger|greater|more|wider|longer) th[ae]n"
    # "more big than 8 mm": a comparative said with "more" and the plain adjective
    r"|(?<!no )(?<!not )more (?:big|large|wide|long) th[ae]n"
    r"(?: or equal to)?"
    r"|over|above|at least|exceeding|exceeds?|in excess of|beyond|min(?:imum)?(?: of)?"
    r"|north of|upwards of"
    # a threshold or cut-off is the smallest size reported ("drop the threshold to 5 mm",
    # "阈值降到5毫米")
    r"|(?:size )?(?:threshold|cut-?off)(?: (?:is|of|to|at|down to|up to|lowered to|set to|set at|=))?"
    r"|阈值(?:降到|调到|调成|改成|定在|设为|设成|为|是)?"
    r"|no (?:smaller|less) th[ae]n|not (?:smaller|less) th[ae]n"
)
_UNDER_BEFORE = (
    r"不超过|不大于|不到|不足|未满|不够|(?<!不)(?:小于|低于|少于|小过)(?:或?等于)?"
    r"|<=?|≤|(?<!no )(?<!not )(?:smaller|less|tinier|shorter|narrower) th[ae]n"
    r"|(?<!no )(?<!not )(?:more (?:small|tiny|short)|less (?:big|large)) th[ae]n"
    r"(?: or equal to)?"
    r"|最多|至多|顶多|最大不超过|(?<![a-z])sub-?|max(?:imum)?(?: of)?"
    r"|under|below|up to|at most|within|south of|no (?:bigger|larger|more|greater) th[ae]n"
    r"|not (?:bigger|larger|more|greater|over) th[ae]n"
)
_OVER_AFTER = (
    r"(?:或|及|和)?以上|往上|开外|起(?!来)|多(?!少|大)|\+"
    r"|(?:or|and) (?:more|bigger|larger|greater|above|over|up|upwards|higher)"
    r"|plus|min(?:imum)?(?![a-z])"
)
_UNDER_AFTER = (
    r"(?:或|及|和)?(?:以下|以内|之内|内)|往下|(?:or|and) (?:less|smaller|under|below|lower|down)"
    r"|max(?:imum)?(?![a-z])|tops(?![a-z])"
)
_RANGE = re.compile(
    rf"{_OF}(?:between|from|介于|在)?\s*(?<![A-Za-z\d.]){_NUMBER}\s*(?:{_UNIT})?\s*"
    rf"(?:-|–|—|~|～|到|至|和|与|跟|或者?|to|and|or)\s*{_VALUE}\s*(?:之间|范围内|范围|以内)?"
    r"(?:\s*(?:across|in (?:size|diameter)|wide|long))?",
    re.IGNORECASE,
)
# "比1cm大" / "比5毫米小": a comparison with a size, not with another finding
_ZH_THAN = re.compile(rf"{_OF}比\s*{_VALUE}\s*(?:还|更)?([大小])", re.IGNORECASE)
# "bigger than, say, 15 mm", "大于，比如，1cm": a hedge between the bound word and its value
# "bigger than... 6mm", "超过……呃 8毫米": a pause (an ellipsis, a filler) before the value
_HEDGE = (
    r"(?:\s*(?:\.{2,}|…+)\s*[,，]?\s*(?:(?:u+m+|u+h+|e+r+m*|呃|嗯)(?![a-z])\s*[,，]?)?)?"
    r"(?:\s*,?\s*(?:say|like|let'?s say|maybe|roughly|about|比如说?|比方说|譬如)\s*[,，]?)?"
)
_BEFORE = re.compile(
    rf"{_OF}(?:({_OVER_BEFORE})|({_UNDER_BEFORE})){_HEDGE}\s*{_VALUE}"
    r"(?:\s*(?:across|in (?:size|diameter)|wide|long))?",
    re.IGNORECASE,
)
_AFTER = re.compile(
    rf"{_OF}{_VALUE}\s*(?:({_OVER_AFTER})|({_UNDER_AFTER}))", re.IGNORECASE
)
# "1cm左右的结节", "nodules of about 5 mm": a size said roughly is a range around it,
# the value give or take a fifth (8 to 12 mm for "about 1 cm"), wider than a measurement's
# error of a millimetre or so and narrow enough to keep "about 1 cm" apart from "about 2 cm"
_ABOUT_BEFORE = (
    # "round about 2 cm", "roundabout 5mm": the old word for about, not a round shape
    r"(?<![a-z])(?:round about|roundabout|about|around|approximately|approx\.?|roughly"
    r"|circa|some|nearly|close to)"
    r"|~|(?:大)?约(?:莫|摸)?|大概|大致|差不多|差不离|接近|将近"
)
_ABOUT_AFTER = (
    r"左右|上下|前后(?!位)|出头|-?ish(?![a-z])|or so(?![a-z])|give or take(?: a bit)?"
)
_ABOUT = re.compile(
    rf"{_OF}(?:(?:{_ABOUT_BEFORE})\s*{_VALUE}(?:\s*(?:{_ABOUT_AFTER}))?"
    rf"|{_VALUE}\s*(?:{_ABOUT_AFTER}))"
    r"(?:\s*(?:across|in (?:size|diameter)|wide|long))?",  # "roughly 1cm in size": its words
    re.IGNORECASE,
)
_ABOUT_SPREAD = 0.2

# "sub-centimetre", "亚厘米": under one centimetre
_SUB_CM = re.compile(
    r"sub-?\s?(?:centimet(?:er|re)|cm)|亚厘米|不到1厘米", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class SizeBound:
    """A question's size bound in mm (either end may be open) and the text without it."""

    min_mm: float | None = None
    max_mm: float | None = None
    unit: str | None = None
    text: str = ""
    modifies: bool = False
    """Said of a kind ("第二个大于1cm的结节"): it picks findings out, whatever else is named."""
    left_out: bool = False
    """Said to leave findings out ("2mm以下的 skip 掉"): the rest are asked for."""

    def __bool__(self) -> bool:
        return self.min_mm is not None or self.max_mm is not None


# "一公分半", "两厘米半", "1 and a half cm", "one and a half centimetres": half a unit more
_HALF_AFTER_UNIT = re.compile(rf"{_NUMBER}\s*(厘米|公分|釐米)半", re.IGNORECASE)
_AND_A_HALF = re.compile(rf"{_NUMBER}\s+and a half\s*{_UNIT}", re.IGNORECASE)
# "one centimetre and a half", "a centimetre and a half": the half said after the unit
_UNIT_AND_A_HALF = re.compile(rf"{_NUMBER}\s*{_UNIT}\s+and a half", re.IGNORECASE)


# "四五毫米", "一两公分": two neighbouring digits said together are a rough range
_NEIGHBOURS = re.compile(
    r"(?<![零一二两三四五六七八九十点])([一二两三四五六七八九])([二两三四五六七八九])(?=\s*(?:毫米|厘米|公分|釐米|公厘))"
)


def _neighbours(text: str) -> str:
    """Write two neighbouring digits before a unit ("四五毫米") as a range ("四到五毫米")."""

    def pair(m: re.Match[str]) -> str:
        first, second = ZH_DIGITS[m.group(1)], ZH_DIGITS[m.group(2)]
        return f"{m.group(1)}到{m.group(2)}" if second == first + 1 else m.group(0)

    return _NEIGHBOURS.sub(pair, text)


# "one point two centimetres", "nought point five cm", "point eight of a centimetre": a
# decimal said in words, as dictation writes it
_WORD_DIGIT = r"zero|nought|naught|oh|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty"
_SAID_DECIMAL = re.compile(
    rf"(?<![a-z])(?:({_WORD_DIGIT})\s+)?point\s+({_WORD_DIGIT})(?![a-z])", re.IGNORECASE
)
_DIGIT_WORDS = {"zero": 0, "nought": 0, "naught": 0, "oh": 0}


def _said_decimals(text: str) -> str:
    """Write a decimal said in words ("one point two") in digits ("1.2")."""

    def digits(m: re.Match[str]) -> str:
        whole = m.group(1).lower() if m.group(1) else "zero"
        tenth = m.group(2).lower()
        values = [_DIGIT_WORDS.get(w, _EN_NUMBER.get(w)) for w in (whole, tenth)]
        if values[0] is None or values[1] is None or values[1] > 9:
            return m.group(0)
        return f"{values[0]:g}.{values[1]:g}"

    return _SAID_DECIMAL.sub(digits, text)


def _halves(text: str) -> str:
    """Write a number and a half as a decimal, so the bound reads it as one value."""

    def half(m: re.Match[str]) -> str:
        value = _number(m.group(1))
        return m.group(0) if value is None else f"{value + 0.5:g}{m.group(2)}"

    text = _UNIT_AND_A_HALF.sub(half, text)
    return _AND_A_HALF.sub(half, _HALF_AFTER_UNIT.sub(half, text))


# A value named as a threshold in a clause of its own, then a bound said of it by a word
# that points back ("以8毫米为界值，超过这个大小的结节", "if 6 mm is the cut-off, which are
# above it?"): the bound is of that value, in the direction the later words give
_THRESHOLD_NOUN = re.compile(
    r"界值|界限|阈值|门槛|分界|(?<!边)(?<!境)界(?![限线面])|标准"
    r"|(?<![a-z])(?:cut[- ]?offs?|thresholds?|limits?|cut-?points?)(?![a-z])",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(?:(?!\s[-–—]+\s)[^，,。；;？?！!])+")
_POINTED = (
    r"(?:这个|那个|该|此)(?:大小|尺寸|数值|值|数|界值|阈值|标准|界限|长度)?|它"
    r"|(?<![a-z])(?:it|that|this)(?: (?:size|value|threshold|cut-?off|limit|number|mark))?"
    r"(?![a-z])"
)
_POINTED_BOUND = re.compile(
    rf"(?:{_OVER_BEFORE}|{_UNDER_BEFORE})\s*(?P<back>{_POINTED}|(?=的))"
    rf"|(?P<after>{_POINTED})\s*(?:{_OVER_AFTER}|{_UNDER_AFTER})"
    rf"|比\s*(?P<than>{_POINTED})\s*(?:还|更)?[大小]",
    re.IGNORECASE,
)


def _threshold_named(text: str) -> str:
    """The bound said of a threshold named before it, with the threshold's value in place.

    The clause that names the threshold is dropped: it sets the value, it asks nothing.
    """
    for clause in _CLAUSE.finditer(text):
        value = re.search(_VALUE, clause.group(0), re.IGNORECASE)
        if value is None or not _THRESHOLD_NOUN.search(clause.group(0)):
            continue
        pointed = _POINTED_BOUND.search(text, clause.end())
        if pointed is None:
            return text
        group = next(
            g for g in ("back", "after", "than") if pointed.group(g) is not None
        )
        start, end = pointed.span(group)
        said = f" {value.group(0)} "
        return text[: clause.start()] + text[clause.end() : start] + said + text[end:]
    return text


def read_size_bound(text: str) -> SizeBound:
    """The size bound `text` names, if any, and `text` with the bound's words blanked."""
    text = _threshold_named(_neighbours(_halves(_said_decimals(text))))
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    rest = text
    modifies = left_out = False
    for m in _RANGE.finditer(text):
        first, second = _number(m.group(1)), _number(m.group(3))
        scale = _scale(m.group(4))
        if first is None or second is None or _is_distance(text, m):
            continue
        a, b = sorted((first * _scale(m.group(2) or m.group(4)), second * scale))
        low, high, unit = a, b, _unit(m.group(4))
        modifies = modifies or _OF_A_KIND.match(text, m.end()) is not None
        rest = _blank(rest, m)
    for m in _ABOUT.finditer(rest):
        number, word = (
            (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        )
        value = _number(number)
        if value is None or _is_distance(rest, m):
            continue
        mm = value * _scale(word)
        low = round(mm * (1 - _ABOUT_SPREAD), 3)
        high = round(mm * (1 + _ABOUT_SPREAD), 3)
        unit = _unit(word)
        modifies = modifies or _OF_A_KIND.match(rest, m.end()) is not None
        rest = _blank(rest, m)
    for pattern, over_group in ((_ZH_THAN, 3), (_BEFORE, 1), (_AFTER, 3)):
        for m in pattern.finditer(rest):
            value, bound_unit, over = _read(m, pattern, over_group)
            if value is None or _is_distance(rest, m):
                continue
            # "drop the threshold to 5 mm": the verb moves the threshold, it leaves
            # no findings out
            moved = _THRESHOLD.search(m.group(0)) is not None
            aside = None if moved else _set_aside(rest, m)
            if aside is not None:
                left_out = True
                over = not over  # "3mm以下的别列了": the others are wanted, 3 mm and up
                # "ignore" here leaves findings out, no more; the kind named stays
                rest = _blank_span(rest, _left_out_words(aside))
            if over:
                low = value
            else:
                high = value
            unit = unit or bound_unit
            modifies = modifies or _OF_A_KIND.match(rest, m.end()) is not None
            rest = _blank(rest, m)
    sub = _SUB_CM.search(rest)
    if sub is not None and high is None:
        high, unit = 10.0, unit or "cm"
        rest = _blank(rest, sub)
    text = _BLANKED.sub(" ", rest)
    return SizeBound(
        min_mm=low,
        max_mm=high,
        unit=unit,
        text=text,
        modifies=modifies,
        left_out=left_out,
    )


def _read(
    m: re.Match[str], pattern: re.Pattern[str], over_group: int
) -> tuple[float | None, str | None, bool]:
    """The value in mm, its unit and whether it is a lower bound, of one match."""
    if pattern is _ZH_THAN:
        number, unit_word, word = m.group(1), m.group(2), m.group(3)
        over = word == "大"
    elif pattern is _BEFORE:
        number, unit_word = m.group(3), m.group(4)
        over = m.group(1) is not None
    else:
        number, unit_word = m.group(1), m.group(2)
        over = m.group(over_group) is not None
    value = _number(number)
    if value is None:
        return None, None, False
    return round(value * _scale(unit_word), 3), _unit(unit_word), over


_THRESHOLD = re.compile(r"threshold|cut-?off|阈值", re.IGNORECASE)
# "大于1cm的结节": the bound said of a kind of finding (a relative clause)
# (in mixed speech the kind may be English: "大概 3cm 的那个 mass", "10mm 左右的 GGO")
_OF_A_KIND = re.compile(
    r"\s*的\s*(?:[那这](?:个|些|颗|枚|处)?)?\s*(?:小)?(?:结节|肿块|病灶|病变|阴影|团块|占位"
    r"|(?i:nodules?|mass(?:es)?|lesions?|ggos?|opacit(?:y|ies)|spots?|shadows?)(?![a-z]))"
)
# "within 2 cm of the hilum", "距肺门2cm以内": a distance, not the findings' size
_DISTANCE_AFTER = re.compile(r"\s*(?:of|from|away|to|离|距)(?![a-z])", re.IGNORECASE)
_DISTANCE_BEFORE = re.compile(
    r"(?:离|距|from|to|distance)\S{0,6}\s*$"
    r"|(?:肺门|胸壁|胸膜|膈肌?|hilum|hilar|wall|pleura)\s*(?:周围|旁边?|附近)?\s*$",
    re.IGNORECASE,
)


# A bound said only to leave those findings out ("3mm以下的别列了", "skip the ones under
# 3 mm", "不要5毫米以下的"): the findings wanted are the others, so the bound turns round
_SET_ASIDE_AFTER = re.compile(
    # the findings may be named between ("5mm以下的 nodule 不用列", "那些小不点就不用管了"):
    # only the verb is blanked, so the kind they name is still read
    # "没有的话就算了" (if there are none, never mind) is a condition, not a leaving out
    r"\s*的?\s*(?P<noun>(?:那些|这些|那种|这种|那堆|这堆)?\s*"
    r"(?:(?:(?!的话|没有|如果|要是|否则)[^\s，,。；;？?！!\d]){1,6}?\s*)?)"
    r"(?P<verb>(?:(?:都|就|先|暂时|可以|请|直接)\s*)*"
    # 别 inside a word ("分别在哪", "区别", "特别") is no "don't"
    r"(?:(?<![要用必])(?:(?<![分区特性类级告辨识])别|不要|不用|不必|甭|无需|不需要?|用不着)"
    r"(?:列|看|说|管|显示|算|要|考虑|理)?"
    r"|(?<![要用必])不(?:列|看|说|管|显示|算|考虑|计)|忽略|略过|跳过|排除|去掉|删掉|剔除|过滤"
    r"|拿掉|算了|除外"
    r"|(?:ones?\s*)?(?:ignore|skip|exclude|drop|leave out|filter out|disregard|hide|omit)"
    # "3mm 以下的 don't need", "the ones under 2 mm, no need": not wanted
    r"|(?:(?:are |is )?(?:don'?t|dont|do not|no|not) (?:need(?:ed)?|want(?:ed)?|necessary)"
    r"|(?:are |is )?not (?:needed|wanted|necessary|required|interested))))"
    r"(?![^，,。；;!！]{0,4}(?:吗|么|[?？]))",  # "1cm以上的结节不用列吗" asks whether, it does not leave out
    re.IGNORECASE,
)
_SET_ASIDE_BEFORE = re.compile(
    # a verb of leaving out in any form ("ignore", "ignoring", "left out", "dropping")
    # a list verb negated in front ("不要列小于5毫米的", "别给我列 under 4mm 的")
    r"(?P<verb>(?:不要|不用|不必|甭|别)(?:再|都|给我|帮我)*(?:列(?:出来?|举)?|显示|算上?|报|提)"
    r"|不要|别列|别管|不看|去掉|除了|除开|除去|不算|不包括|不包含|不含"
    r"|(?:排除|忽略|略过|跳过|剔除|过滤)掉?"
    r"|(?<![a-z])(?:skip|exclud|ignor|drop|disregard|omit|hid|leav|filter|forget|leav)"
    r"(?:e|es|ed|s|ing|ping|ped|ting)?(?: out| about)?(?![a-z])(?:\s*掉)?|left out"
    r"|except|without|apart from|other than|besides|aside from|(?<![a-z])bar(?:ring)?(?![a-z])"
    r"|nothing|none|never mind|不用管|不管"
    r"|(?<![a-z])(?:do not|don'?t|dont|no need to) (?:show|list|give|include|want|need"
    r"|care about|bother with|count)(?: me| us)?)"
    r"\s*(?:the |any |all )?(?:[a-z]+ )?(?:ones?|those|anything|everything|nodules?"
    r"|lesions?|findings?)?"
    r"\s*(?:that are |which are |that measure |measuring )?\s*$",
    re.IGNORECASE,
)


# The leaving out said in a clause of its own after the bound, its object a pronoun or
# nothing ("nodules under 3 mm, dont list those", "3毫米以下的，不用列了", "below 4mm -
# skip them"): only a verb of listing or leaving out, so "小于3毫米的，别漏了" leaves none
_SET_ASIDE_CLAUSE = re.compile(
    r"\s*的?\s*(?:(?:那些|这些)?(?:结节|肿块|病灶|病变|阴影|团块|影)"
    r"|(?<![a-z])(?:ones?|nodules?|masses|lesions?|opacities)(?![a-z]))?"
    # the clause's break, or none before an English negated verb ("anything below 3mm
    # dont bother listing", "under 2 mm don't list them")
    r"\s*(?:[,，、:：;；\-–—]+|(?=(?:don'?t|dont|do not|no need to|never|leave)\s))"
    r"\s*(?P<noun>)(?P<verb>"
    r"(?:(?:都|就|先|暂时|可以|请|直接|也)\s*)*(?:不要|不用|不必|甭|别|无需|不需要?)"
    r"(?:再|都|给我|帮我)*(?:列|说|显示|算|报|提|管|看)(?:出来?|举)?了?"
    r"|(?:(?:都|就|先|直接)\s*)*(?:忽略|略过|跳过|排除|去掉|删掉|剔除|过滤|拿掉)掉?"
    r"|(?:(?:please|pls|plz|just|then)\s+)*(?:ignore|skip|exclude|drop|leave out|filter out"
    r"|disregard|hide|omit|(?:don'?t|dont|do not|no need to|never) (?:bother\s+)?(?:list"
    r"|show|give|include|report|mention|count|bother with|want|need)(?:ing)?"
    r"|(?:don'?t|dont|do not|never) bother(?![a-z])|leave (?:them|those|these|'em|it) out)"
    r"(?:\s+(?:me|us))?(?:\s*(?:those|them|these|'em|it|这些|那些|它们))?(?![a-z]))"
    r"(?![^，,。；;!！]{0,4}(?:吗|么|[?？]))",
    re.IGNORECASE,
)


def _set_aside(text: str, m: re.Match[str]) -> re.Match[str] | None:
    """The words that say a bound's findings are left out, after it or before it."""
    after = _SET_ASIDE_AFTER.match(text, m.end()) or _SET_ASIDE_CLAUSE.match(
        text, m.end()
    )
    if after is not None:
        return after
    start = max(0, m.start() - 40)
    split = _SPLIT_OUT.match(text, m.end())
    if split is not None and _SPLIT_VERB.search(text, start, m.start()):
        return (
            split  # "leave the tiny ones under 3mm out": the verb split round the bound
        )
    return _SET_ASIDE_BEFORE.search(text, start, m.start())


def _left_out_words(aside: re.Match[str]) -> tuple[int, int]:
    """The span to blank: the verb, and the words for the findings left out unless a kind.

    "那堆小的先不管" says "the small ones", which is the bound again, not the smallest.
    """
    if "noun" not in aside.re.groupindex or _KIND_NOUN.search(aside.group("noun")):
        return aside.span("verb")
    return aside.start("noun"), aside.end("verb")


_KIND_NOUN = re.compile(
    r"结节|肿块|病灶|病变|阴影|团块|占位|影|(?i:nodule|mass|lesion|ggo|opacit|spot|shadow)"
)


# a verb and its particle either side of the bound ("leave ... out", "keep ... off")
_SPLIT_VERB = re.compile(
    r"(?<![a-z])(?:leave|keep|take|cut|filter|knock|strip|throw|rule|cross)(?![a-z])",
    re.IGNORECASE,
)
_SPLIT_OUT = re.compile(r"(?P<verb>\s*(?:out|off)(?![a-z]))", re.IGNORECASE)


def _is_distance(text: str, m: re.Match[str]) -> bool:
    after = _DISTANCE_AFTER.match(text, m.end()) is not None
    return (
        after
        or _DISTANCE_BEFORE.search(text[max(0, m.start() - 8) : m.start()]) is not None
    )


def _blank(text: str, m: re.Match[str]) -> str:
    """The text with one match blanked, its length kept so later matches still line up."""
    return _blank_span(text, m.span())


def _blank_span(text: str, span: tuple[int, int]) -> str:
    start, end = span
    return text[:start] + _MARK * (end - start) + text[end:]


_MARK = "\x00"
_BLANKED = re.compile("\x00+")


def _unit(word: str) -> str:
    return "mm" if re.fullmatch(_MM, word, re.IGNORECASE) else "cm"


def _scale(word: str) -> float:
    return 1.0 if _unit(word) == "mm" else 10.0


def _number(word: str) -> float | None:
    """A number in digits, Chinese numerals ("十五", "一点五", "半") or English words."""
    word = word.lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    if word in _EN_NUMBER:
        return float(_EN_NUMBER[word])
    if word == "半":
        return 0.5
    whole, _, decimals = word.partition("点")
    value = _zh_integer(whole)
    if value is None:
        return None
    if decimals:
        digits = "".join(str(ZH_DIGITS[c]) for c in decimals)
        return float(f"{value}.{digits}")
    return float(value)


def _zh_integer(word: str) -> int | None:
    """A Chinese whole number under 100 ("十五" 15, "二十" 20, "两" 2); None if not one."""
    if not word:
        return None
    if "十" in word:
        tens, _, ones = word.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        t = ZH_DIGITS.get(tens) if tens else 1
        o = ZH_DIGITS.get(ones) if ones else 0
        return None if t is None or o is None else t * 10 + o
    if len(word) == 1 and word in ZH_DIGITS:
        return ZH_DIGITS[word]
    return None


__all__ = ["SizeBound", "read_size_bound"]
