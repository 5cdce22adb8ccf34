"""The clause that asks, and the clauses said around it.

A question often comes with words that do not ask: why it is asked ("I need it for the
referral form", "我要填转诊单", "thinking about which one to biopsy"), the patient's
history or symptoms ("given a fall onto the left side", "腿也肿得厉害", "he's from a
high-prevalence area"), or a disclaimer ("I know you can't make a diagnosis, but",
"不用你下结论"). Those clauses are background: a word in them that would refuse a
question (biopsy, follow-up, diagnosis, 转诊) says why or for whom the question is asked,
not what is asked, so the refusal is decided by the clause that asks.

Which clause asks is decided by its form, not by its words. A clause asks when it holds a
question mark or a question particle (吗, 呢), an interrogative (哪, 多少, A-not-A 有没有),
when it opens with an interrogative or an auxiliary ("what ...", "is there ...", "could
this be ..."), when it is a request ("describe ...", "please", "说说", "帮我"), or when it is
the main clause of a sentence that ends in a question mark. A clause is background, whatever
its punctuation, when it opens with a subordinator ("given", "because", "for the ...",
因为, 为了), with a participle ("thinking about ..."), with a disclaimer ("I know ...",
不用你 ...), or when it stands before "but" / 但是.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from ontology.phrases import Phrases

# Sentences end at a question mark, an exclamation, a full stop (not a decimal point nor
# the stop of a short abbreviation such as "vs."), a semicolon or a line break.
_STOP = re.compile(
    r"[?？!！。;；\n]+\s*"
    r"|(?<!\d)(?<!\bvs)(?<!\bno)(?<!\bdr)(?<!\bmr)(?<!\bms)(?<!\bst)\.+(?!\d)\s*",
    re.IGNORECASE,
)
# Clauses inside a sentence: commas and colons (not a thousands comma), a dash, the space
# a Chinese writer leaves between two clauses, and the word "but" / 但是 (kept with the
# clause it opens)
_BREAK = re.compile(
    r"(?:(?<!\d)[,，:：]|[,，:：](?!\d))\s*|\s+[-–—]+\s+"
    r"|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff]|[A-Za-z0-9]{1,6}[\u4e00-\u9fff])"
    # "but" opening a clause of its own, not "the last but one"
    r"|\s+(?=but\s+(?:is|are|was|were|can|could|would|will|do|does|did|what|which|where"
    r"|how|please|i|we|you|just|tell|describe|show|list|any|there)\b)"
    r"|(?<=[\u4e00-\u9fff\s])(?=但是|不过|可是)",
    re.IGNORECASE,
)
# A clause of politeness alone ("please", "谢谢", "好吗") belongs to the clause before it
_COURTESY = re.compile(
    r"^\W*(?:please|pls|plz|thanks|thank you|thx|ta|cheers|if possible|if you can"
    r"|if you could|ok\??|谢谢|谢了|麻烦了|麻烦你了|辛苦了|好吗|好不好|行吗|行不行|可以吗)\W*$",
    re.IGNORECASE,
)
# Words in front of a clause that join it to the one before, or soften a request
_FILLER = re.compile(
    r"^\W*(?:(?:and|so|ok|okay|also|then|now|but|well|oh|right|alright|or|plus|just|only"
    r"|simply|quickly|first)\b\W*)*",
    re.IGNORECASE,
)
_EN_INTERROGATIVE = re.compile(
    r"(?:what|what'?s|which|where|where'?s|how|how'?s|why|when|who|whose|is|isn'?t|are"
    r"|aren'?t|was|were|do|does|did|don'?t|doesn'?t|can|could|would|will|should|shall"
    r"|has|have|had|may|might|must|any|anything|r|u)(?![\w'])",
    re.IGNORECASE,
)
_EN_REQUEST = re.compile(
    r"(?:please|pls|plz|kindly|describe|list|show|tell|give|compare|measure|name|point"
    r"|mark|find|check|look|locate|outline|identify|count|rank|sort|read|walk|go|let|help"
    r"|explain|highlight|label|draw|circle|estimate|calculate|assess|evaluate|review"
    r"|summari[sz]e|write|draft|print|output|repeat|confirm|quantify|grade|zoom|focus"
    r"|flag|rate|i'?d like|i would like|we'?d like)(?![\w'])"
    r"|.*(?<![\w'])(?:please|pls|plz)(?![\w'])",
    re.IGNORECASE,
)
_ZH_ASKS = re.compile(
    r"[?？]|吗|[呢吧嘛么啊][\W~～]*$|哪|多少|几(?!乎)|什么|啥|咋|怎么|怎样|如何|为什么|为何|多久|何时"
    r"|多[大远长宽厚高粗重深]|是否|能否|可否|有无|有没有|(.)[不没]\1"
    # the same forms in Cantonese, before the dialect table reads them as Mandarin
    # ("使唔使约CT复查", "右边有冇", "A2喺边"): A-not-A with 唔, 冇, 咩, 乜, 边度
    r"|(.)唔\2|有冇|咩|乜|边度|喺边|[系係]咪"
    r"|说说|讲讲|谈谈|[说讲谈](?:一)?下|描述|列出|列一下|列下|列个|列举|罗列|看看|看一?下|瞧瞧"
    r"|帮我|帮忙|^\W*请|麻烦|告诉我|给我|指出|标出|标一下|比一下|量一下|测一下|算一下"
    # words that are nouns as often as verbs ("随访对比", "做个评估") ask at the clause's
    # start or with 一下
    r"|(?:^\W*|请|麻烦|帮我|帮忙|你|再|先)(?:评估|分析|比较|对比|解释|介绍)"
    r"|(?:评估|分析|比较|对比|解释|介绍)一?下|找出|找一下|圈出|数一下|数数|写一下|出一份"
    # a verb softened by 一下 ("排一下"), or 把 in front ("把结节列出来"): a request
    r"|一下(?!子)|^\W*(?:请|麻烦|帮我|你)?把"
)
# A question someone else asks, reported ("家属一直问能不能出院", "the family asked whether
# he can go home"): said, not asked of the engine
_REPORTED = re.compile(
    r"(?:家属|家人|病人|患者|他|她|他们|她们|主任|医生|大夫|老师|外科|内科|科里|团队|护士)"
    r"[^，,。？?！!]{0,6}?(?:问|想知道|关心|担心|打听|好奇)"
    r"|(?<![\w'])(?:family|relatives|patient|pt|he|she|they|team|surgeon|consultant|nurse"
    r"|wife|husband|son|daughter|parents?)\s+(?:\w+\s+)?(?:asked|asks|is asking|are asking"
    r"|keeps? asking|wants? to know|wanted to know|wonders?|is wondering|are wondering)"
    r"(?![\w'])",
    re.IGNORECASE,
)
# What opens a clause of background: a subordinator of reason, purpose, time or
# concession, a disclaimer, or a participle ("thinking about which one to biopsy")
_SUBORDINATE = re.compile(
    r"(?:given|since|because|cause|cos|considering|in view of|in light of|as|for|with"
    r"|although|though|even though|while|whilst|despite|after|following|ahead of"
    r"|i know|i understand|i reali[sz]e|i appreciate|i'?m aware|i am aware|i get that"
    r"|we know|i'?m not asking|i am not asking|not asking|no need to|you don'?t (?:need|have) to"
    # a participle leads a phrase ("thinking about", "seeing as", "deciding whether");
    # a noun in -ing ("finding number 3", "thickening at the apex?") is the subject
    r"|(?!find|thicken|widen|narrow|blunt|shadow|scar|mark|clouding|crowd)\w+ing"
    r"(?=\s+(?:about|over|up|whether|if|through|into|ahead|back|around|out|as|in|a|an|the|his"
    r"|because|since|cause|cos|given"
    r"|her|their|my|our|this|that)\b))"
    r"(?![\w'])(?!\s+(?:what|which|where|how|why|when|who|is|are|long|each|every|all|the other)\b)"
    r"|因为|由于|鉴于|考虑到|既然|为了|虽然|尽管|即使|就算|我知道|我明白|我懂|我理解|我清楚"
    r"|不用你|不需要你|不必你|你不用|你不需要|不要求你|不是让你",
    re.IGNORECASE,
)
_CONCESSION_ENDS = re.compile(r"^\W*(?:but\b|但是|不过|可是)", re.IGNORECASE)
# A leading phrase of purpose or reason without a comma ("For the Fleischner follow-up I
# need ..."): it ends where the main clause's subject or request begins
_LEADING = re.compile(
    r"^(\W*(?:for|given|since|because|considering)\s.+?)"
    r"(?=\s(?:i|we|i'?d|we'?d|can|could|would|will|please|pls|kindly)\s)",
    re.IGNORECASE,
)
# An ask for advice ("when should this nodule be rescanned", "要不要复查"): what is to be
# done is what the clause around it names ("per Lung-RADS, ..."), so the refusal stands
_ADVICE = re.compile(
    r"(?<![\w'])(?:should|shall|ought|need to|needs to|have to|has to|worth)(?![\w'])"
    r"|应该|应当|需要|需不需要|要不要|该不该|是否要|必须|值得|怎么办|(?<!应)该(?=再|去|做|拍|查|怎|如何)",
    re.IGNORECASE,
)
# Whether a question may hold more than one clause, looked at before any is split: a break
# inside it (its last mark aside), a Chinese clause space, "but", or a leading phrase
_SEVERAL = re.compile(
    r"[,，:：;；?？!！。.\n]|(?<=[\u4e00-\u9fff])\s|\sbut\s|\s[-–—]+\s"
    r"|^\W*(?:for|given|since|because|considering)\s",
    re.IGNORECASE,
)
_END = re.compile(r"[\s?？!！。.]+$")
_WANT = re.compile(
    r"^\W*(?:(?:i|we)(?:'d| would)? (?:need|want|like)|(?:i|we)'?d like|need)(?![\w'])"
    r"|^\W*(?:我|我们)(?:想|需要|想要|要|得)",
    re.IGNORECASE,
)
# Two short answers joined by "or" / 还是 with nothing else in the clause
_ALTERNATIVES = re.compile(
    r"^\W*(?:[A-Za-z-]+(?:\s+[A-Za-z-]+)?\s+or\s+[A-Za-z-]+(?:\s+[A-Za-z-]+)?"
    r"|[\u4e00-\u9fff]{1,4}(?:还是|或者|或是)[\u4e00-\u9fff]{1,4})\W*$",
    re.IGNORECASE,
)
_SHORT_EN = 2
_SHORT_ZH = 3
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of a question, as typed with the separator after it."""

    text: str
    asks: bool
    subordinate: bool

    @property
    def short(self) -> bool:
        """A word or two alone ("prognosis,", "治疗"): a topic named, not a statement."""
        words = re.findall(r"[A-Za-z]+", self.text)
        return len(words) <= _SHORT_EN and len(_CJK.findall(self.text)) <= _SHORT_ZH

    @property
    def offers_alternatives(self) -> bool:
        """Two answers offered alone ("malignant or benign,", "良性或者恶性，"): a choice asked.

        The clause is the question's topic, put before the finding it is asked of
        ("malignant or benign, A2?"), as a word or two alone is (`short`).
        """
        return _ALTERNATIVES.match(self.text) is not None


def clauses(text: str) -> tuple[Clause, ...]:
    """The clauses of a question, each marked as asking or as subordinate background."""
    out: list[Clause] = []
    for sentence in _split_after(_STOP, text):
        pieces = _pieces(sentence)
        question = bool(re.search(r"[?？]\s*$", sentence))
        subordinate = [_opens_subordinate(p) for p in pieces]
        for i in range(len(pieces) - 1):
            if _CONCESSION_ENDS.match(pieces[i + 1]):
                subordinate[i] = True  # "I know you can't ..., but is there ...?"
        own = [
            not s and asks_by_form(p) for p, s in zip(pieces, subordinate, strict=True)
        ]
        main = [i for i, s in enumerate(subordinate) if not s]
        if question and main and not any(own):
            own[main[-1]] = True  # the sentence's question mark is its main clause's
        elif _fragment_first(pieces, subordinate, own):
            own[0] = True
        out.extend(
            Clause(p, a, s) for p, a, s in zip(pieces, own, subordinate, strict=True)
        )
    return tuple(out)


def _fragment_first(
    pieces: list[str], subordinate: list[bool], own: list[bool]
) -> bool:
    """Whether a fragment asks, said first with only background after it and no mark.

    "other side, asking because the sats keep dropping", "右肺呢 因为他咳嗽": the message's
    one main clause is what it asks, as "right lung? asking since ..." is with its mark.
    """
    if len(pieces) < 2 or any(own) or subordinate[0] or not all(subordinate[1:]):
        return False
    return len(re.findall(r"[A-Za-z]+", pieces[0])) <= _FRAGMENT_EN and (
        len(_CJK.findall(pieces[0])) <= _FRAGMENT_ZH
    )


_FRAGMENT_EN = 4
_FRAGMENT_ZH = 6


def _split_after(pattern: re.Pattern[str], text: str) -> list[str]:
    """`text` cut after each match of `pattern`, the match kept with the piece before."""
    pieces: list[str] = []
    start = 0
    for m in pattern.finditer(text):
        if m.end() > start and text[start : m.start()].strip():
            pieces.append(text[start : m.end()])
            start = m.end()
    if text[start:].strip():
        pieces.append(text[start:])
    elif pieces:
        pieces[-1] += text[start:]
    return pieces


def _pieces(sentence: str) -> list[str]:
    """A sentence cut at its clause breaks, each piece keeping the break after it."""
    pieces = _split_after(_BREAK, sentence)
    merged: list[str] = []
    for piece in pieces:
        if merged and _COURTESY.match(piece):
            merged[-1] += piece  # "..., please": the request is the clause before
        else:
            merged.extend(_leading_split(piece) if not merged else [piece])
    return merged


def _leading_split(piece: str) -> list[str]:
    m = _LEADING.match(piece)
    if m is None or re.search(r"[,，]", m.group(1)):
        return [piece]
    return [m.group(1), piece[m.end(1) :]]


def _opens_subordinate(piece: str) -> bool:
    rest = _FILLER.sub("", piece)
    return _SUBORDINATE.match(rest) is not None


def asks_by_form(piece: str) -> bool:
    """Whether a clause asks by its form, not by its words.

    A question mark or particle, an interrogative or auxiliary in front, or a request
    ("describe ...", "please", "说说").
    """
    if _REPORTED.search(piece) and not re.search(r"[?？]", piece):
        return False
    if _ZH_ASKS.search(piece):
        return True
    rest = _FILLER.sub("", piece)
    return bool(_EN_INTERROGATIVE.match(rest) or _EN_REQUEST.match(rest))


def blank(clause: str, tables: tuple[str, ...], phrases: Phrases) -> str:
    """A clause with the cues of some tables blanked, its other words as typed."""
    for table in tables:
        cues = phrases.cue(table)
        for pattern in cues.zh:
            clause = pattern.sub(lambda m: " " * len(m.group(0)), clause)
        lowered = clause.lower()
        if len(lowered) != len(clause):
            clause = lowered  # a letter whose lower case is longer: read it lowered
        for pattern in cues.en:
            spans = [m.span() for m in pattern.finditer(clause.lower())]
            for start, end in reversed(spans):
                clause = clause[:start] + " " * (end - start) + clause[end:]
    return clause


def background_apart(
    text: str,
    phrases: Phrases,
    names_film: Callable[[str], bool],
    *,
    refusing: tuple[str, ...],
    intents: tuple[str, ...],
    slots: tuple[tuple[str, ...], ...],
) -> str:
    """The question with its background clauses read as background, when they refuse.

    When a clause beside the ask holds a refusing word (tables `refusing`), every clause
    that asks is a question about the film (`names_film`) and none of them holds a
    refusing word itself, the background's refusing words and intent cues (`intents`)
    are blanked, and so are its cues of each group of `slots` the ask fills itself (a
    kind the ask names wins over one the history names). "A2直径大概是多少 我要填转诊单",
    "Could this be TB? He's from a high-prevalence area." are answered; "A1多大，要不要活
    检" and "the nodule looks malignant to me, what do you think?" (the ask names nothing)
    are still refused, and so is advice asked ("per Lung-RADS, when should it be
    rescanned?"), whose subject is the background's. A word or two alone ("prognosis, is
    there a nodule?") names a topic asked about, not background. An instruction to the
    engine is left to `instructions.py`.
    """
    if not _SEVERAL.search(_END.sub("", text)):
        return text  # one clause: most questions
    parts = [
        replace(c, asks=True) if not c.asks and _wants_film(c, names_film) else c
        for c in clauses(text)
    ]
    asked = [c for c in parts if c.asks]
    if not asked or len(asked) == len(parts):
        return text
    held = [
        not c.asks and any(phrases.cue(t).find(c.text) for t in refusing) for c in parts
    ]
    if not any(held) or any(c.asks and _refuses(c, refusing, phrases) for c in parts):
        return text
    if any(
        h and ((c.short and not _feeling(c.text)) or c.offers_alternatives)
        for c, h in zip(parts, held, strict=True)
    ):
        return text
    if any(phrases.cue(n).find(text) for n in ("injection", "instruction")):
        return text
    if any(_ADVICE.search(_WANT.sub("", c.text)) for c in asked):
        return text  # advice asked: the background names what it is about
    if not all(names_film(c.text) for c in asked):
        return text
    ask = " ".join(c.text for c in asked)
    tables = [*refusing, *intents]
    for group in slots:
        if any(phrases.cue(t).find(ask) for t in group):
            tables.extend(group)
    return "".join(
        c.text if c.asks else blank(c.text, tuple(tables), phrases) for c in parts
    )


# The speaker's own feeling said alone ("好担心", "挺担心的", "so worried"): a statement
# of how they feel, not a topic named for the ask ("治疗，", "prognosis,")
_FEELING = re.compile(
    r"^\W*(?:我|我们|人家|家里人?)?(?:真的?|实在|都)?(?:好|很|真|太|挺|蛮|超|非常|特别|有点|有些|十分)?"
    r"(?:担心|害怕|紧张|焦虑|着急|揪心|不放心)(?:死了|得很|极了)?[的啊呀哦了啦]*\W*$"
    r"|^\W*(?:i'?m |i am |we'?re |we are )?(?:so |very |really |quite |pretty |a bit |kinda "
    r"|super )?(?:worried|scared|anxious|nervous|afraid|concerned|freaked out)\W*$",
    re.IGNORECASE,
)


def _feeling(text: str) -> bool:
    return _FEELING.match(text) is not None


def _wants_film(clause: Clause, names_film: Callable[[str], bool]) -> bool:
    """Whether a want asks for something on the film ("我要A2的大小", "I need the CTR").

    A want of anything else is the purpose ("我要填转诊单", "I need it for the form").
    """
    return (
        bool(_WANT.search(clause.text))
        and not clause.subordinate
        and names_film(clause.text)
    )


def _refuses(clause: Clause, refusing: tuple[str, ...], phrases: Phrases) -> bool:
    return any(phrases.cue(t).find(clause.text) for t in refusing)


def the_ask(text: str, names_film: Callable[[str], bool]) -> str:
    """The question less the background clauses that do not help to read it.

    A subordinate clause ("..., given the raised JVP?") and a clause after the ask that
    neither asks nor names anything on the film ("结核呢 病人有点低热") go; a clause that
    names a finding or place without asking ("A1, how big?") stays, and so does what is
    said before the ask ("嗯，那A1多大"), which leads into it. The text is returned whole
    when nothing goes or nothing that asks would be left.
    """
    parts = clauses(text)
    if len(parts) < 2 or not any(c.asks for c in parts):
        return text
    last = max(i for i, c in enumerate(parts) if c.asks)
    kept = [
        c
        for i, c in enumerate(parts)
        if c.asks or not (c.subordinate or (i > last and not names_film(c.text)))
    ]
    if len(kept) == len(parts):
        return text
    return "".join(c.text for c in kept).strip()


__all__ = ["Clause", "asks_by_form", "background_apart", "blank", "clauses", "the_ask"]
