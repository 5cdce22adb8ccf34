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

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def detect_language(text: str) -> str:
    """'zh' when the question contains Chinese characters, else 'en'."""
    return "zh" if _CJK.search(text) else "en"


class IntentKind(StrEnum):
    SCREENING = "screening"  # is anything abnormal?
    DESCRIBE = "describe_finding"  # margin, shape, density, calcification, size
    LOCATION = "location"  # where is it / where is the right hilum
    RELATION = "relation"  # distance and connection between anchors
    PROFILE = "profile_check"  # scorecard against a clinical profile
    LIST = "list_findings"  # list or count findings
    EXPLAIN_SIGN = "explain_sign"  # what does spiculation mean
    DRAWN_REGION = "drawn_region"  # what is in the box I drew
    PRESENCE = "presence"  # is there an effusion / a nodule in the left lung?
    OUT_OF_SCOPE = "out_of_scope"  # treatment, prognosis, diagnosis of the person
    HELP = "help"  # nothing recognised


# Cue words per intent; English cues are matched on word boundaries.
_CUES: dict[IntentKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    IntentKind.OUT_OF_SCOPE: (
        (
            "治疗",
            "手术",
            "用药",
            "吃什么药",
            "化疗",
            "放疗",
            "预后",
            "能活",
            "存活",
            "要不要切",
            "怎么办",
            "开药",
            "靶向",
            "确诊",
        ),
        (
            "treat*",
            "surgery",
            "surgical",
            "operate",
            "chemo*",
            "radiotherapy",
            "prognosis",
            "survival",
            "medication",
            "prescribe",
            "what should i do",
            "life expectancy",
            "am i going to",
        ),
    ),
    IntentKind.PROFILE: (
        (
            "典型",
            "符合几条",
            "符合哪些",
            "征象对照",
            "评分卡",
            "如果这是",
            "符合",
            "几条",
        ),
        (
            "typical",
            "scorecard",
            "score card",
            "criteria",
            "how many does",
            "how many of",
            "checklist",
            "profile",
            "if this were",
            "if this is",
            "does this meet",
            "meets",
        ),
    ),
    IntentKind.RELATION: (
        ("距离", "多远", "相连", "连接", "相通", "关系", "间距"),
        (
            "distance",
            "how far",
            "connect*",
            "relation*",
            "gap",
            "far from",
            "away from",
        ),
    ),
    IntentKind.DESCRIBE: (
        (
            "边缘",
            "规则",
            "形态",
            "形状",
            "密度",
            "钙化",
            "大小",
            "多大",
            "分叶",
            "毛刺",
            "边界",
            "描述",
            "介绍一下",
            "说说",
            "讲讲",
            "性质",
            "特征",
            "均匀",
            "空洞",
            "直径",
        ),
        (
            "margin*",
            "border*",
            "regular",
            "irregular",
            "shape",
            "dense",
            "density",
            "calcif*",
            "size",
            "how big",
            "large is",
            "lobulat*",
            "spicul*",
            "describe",
            "tell me about",
            "tell me more",
            "characteri*",
            "edge*",
            "homogene*",
            "cavit*",
            "diameter",
            "smooth",
            "well-defined",
            "ill-defined",
        ),
    ),
    IntentKind.LIST: (
        ("几个", "多少个", "列出", "列举", "一共", "数量", "哪些病灶"),
        (
            "how many",
            "list",
            "count",
            "number of",
            "enumerate",
            "all findings",
            "all the findings",
        ),
    ),
    IntentKind.LOCATION: (
        ("在哪", "位置", "哪里", "哪个肺野", "哪一侧", "位于", "标出", "定位"),
        (
            "where",
            "location",
            "locate",
            "which zone",
            "which lobe",
            "which side",
            "point to",
            "show me",
        ),
    ),
    IntentKind.SCREENING: (
        (
            "异常",
            "有没有",
            "是否有",
            "发现",
            "表现",
            "正常吗",
            "看到什么",
            "有什么",
            "问题吗",
            "病变吗",
        ),
        (
            "abnormal",
            "anything",
            "findings",
            "finding",
            "normal",
            "what do you see",
            "screen",
            "any lesion",
            "any nodule",
            "overview",
            "impression",
            "is there",
        ),
    ),
}

# "What is spiculation?" asks for a definition; "what is the margin of the nodule in the
# right upper zone?" asks about the image. The weak cues give way when the question also
# points at the image (a demonstrative or an anatomical place); the strong ones never do.
_EXPLAIN_STRONG = (
    ("是什么意思", "什么意思", "解释", "含义", "定义", "是什么征"),
    ("what does", "mean", "meaning", "explain", "define", "definition"),
)
_EXPLAIN_WEAK = (("什么是",), ("what is", "what's", "what are"))

_DEMONSTRATIVES = (
    (
        "这个",
        "那个",
        "这一",
        "那一",
        "(?<!应)该",
        "上述",
        "(?<![因如彼])此",
        "(?<!其)它",
        "这处",
        "那处",
        "这里",
        "那里",
        "这是",
        "这枚",
        "这块",
    ),
    (
        "this",
        "that",
        "it",
        "the lesion",
        "the one above",
        "the nodule",
        "the opacity",
        "the mass",
        "the finding",
        "the same",
        "its",
        "there",
        "here",
    ),
)
_REGION_WORDS = (
    ("区域", "这里", "框", "画的", "圈"),
    ("region", "area", "box", "here", "drew", "drawn", "marked"),
)
FOCAL_NOUNS = (
    (
        "结节",
        "肿块",
        "圆形影",
        "类圆形",
        "团块",
        "病灶",
        "阴影",
        "占位",
        "结节影",
        "片状影",
        "斑片影",
        "条索影",
        "致密影",
        "团块影",
        "高密度影",
    ),
    (
        "nodule",
        "mass",
        "round opacity",
        "rounded opacity",
        "lesion",
        "opacity",
        "shadow",
        "spot",
        "finding",
    ),
)
ROUND_WORDS = (
    ("圆形", "类圆", "结节", "球形"),
    ("round", "rounded", "nodule", "nodular", "spherical", "coin"),
)
# "A3", "a3", "A 3", "#3", "anchor 3", "锚点3" name anchors; the English article "a" before
# a number ("a 5 mm spicule", "is this a 1 cm nodule") does not, nor does a number
# followed by a unit or an o'clock.
_ANCHOR_ID = re.compile(
    r"(?<![A-Za-z0-9])(?:A\s?(\d{1,3})|a(\d{1,3})|#\s?(\d{1,3})|anchor\s+(\d{1,3})|锚点\s?(\d{1,3}))"
    r"(?![\d.])(?!\s*(?:mm|cm|px|o'?clock|点钟|毫米|厘米)(?![a-z]))"
)
_HILUM = (("肺门",), ("hilum", "hilar", "hila"))
# "Compare A1 and A2" asks about two anchors at once.
_COMPARE = (
    ("比较", "对比", "相比", "区别", "差别", "不同"),
    ("compar*", "versus", "vs", "difference"),
)
# "Is it cancer?", "does it need a biopsy?": a diagnosis or a next step for the person,
# which only the clinician can decide. Checked after the profile cues, so that "if this
# were a malignant nodule, which signs..." still gets its scorecard.
_DIAGNOSIS = (
    (
        "是不是癌",
        "是癌吗",
        "是肺癌吗",
        "是否为癌",
        "良性还是恶性",
        "是良性",
        "是恶性",
        "良恶性",
        "活检",
        "穿刺",
        "要不要做",
        "需不需要做",
        "需要做",
        "需要复查",
        "多久复查",
        "随访",
    ),
    (
        "is it cancer",
        "is this cancer",
        "is that cancer",
        "is it malignant",
        "is this malignant",
        "is it benign",
        "is this benign",
        "benign or malignant",
        "biops*",
        "follow-up",
        "follow up",
        "need a ct",
        "get a ct",
        "order a ct",
        "should the patient",
        "should we",
        "should i",
    ),
)
# A yes/no question about one thing ("有胸腔积液吗", "is there a nodule in the left lung?").
_YES_NO = (
    (
        "吗",
        "(?<![什怎这那多])么",
        "是否",
        "有没有",
        "有无",
        "是不是",
        "可见",
        "能否看到",
        "存在",
    ),
    (
        "is there",
        "are there",
        "is the",
        "are the",
        "is it",
        "do you see",
        "can you see",
        "any",
        "does the",
        "do the",
        "has the",
        "have the",
    ),
)


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
    """

    kind: IntentKind
    also: tuple[IntentKind, ...]
    language: str
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


def _found(
    text: str, lowered: str, cues: tuple[tuple[str, ...], tuple[str, ...]]
) -> str | None:
    zh, en = cues
    for cue in zh:
        # Chinese cues may carry a look-behind (e.g. "(?<!应)该": 该 but not 应该).
        match = re.search(cue, text)
        if match:
            return match.group(0)
    for cue in en:
        # A trailing "*" marks a stem ("calcif*" matches "calcified"); other cues are
        # whole words or phrases, so "it" does not match "item".
        stem = cue.endswith("*")
        body = re.escape(cue.rstrip("*"))
        if re.search(rf"(?<![a-z]){body}" + ("" if stem else r"(?![a-z])"), lowered):
            return cue.rstrip("*")
    return None


def parse_intent(
    question: str,
    *,
    has_drawn_region: bool = False,
    names_sign: bool = False,
    names_profile: bool = False,
    names_place: bool = False,
) -> Intent:
    """Parse a question into an `Intent`.

    Args:
        question: the user's words.
        has_drawn_region: a region the user just drew comes with the question.
        names_sign: the question names a sign of the ontology (from the vocabulary).
        names_profile: the question names a scorecard profile (from the vocabulary).
        names_place: the question names a sided or zoned place on the film ("左肺",
            "the right upper zone"; from the anatomy vocabulary).
    """
    text = question.strip()
    lowered = text.lower()
    language = detect_language(text)
    hits = [kind for kind, cues in _CUES.items() if _found(text, lowered, cues)]
    diagnosis = _found(text, lowered, _DIAGNOSIS) is not None
    ids = tuple(
        f"A{next(g for g in m.groups() if g)}" for m in _ANCHOR_ID.finditer(text)
    )
    # "Is there an effusion?" asks about the film; the "there" points at nothing.
    demonstrative = _found(
        text, re.sub(r"\b(?:is|are) there\b", " ", lowered), _DEMONSTRATIVES
    )
    points_at_image = demonstrative is not None or names_place or bool(ids)
    explain = _found(text, lowered, _EXPLAIN_STRONG) is not None or (
        _found(text, lowered, _EXPLAIN_WEAK) is not None and not points_at_image
    )
    yes_no = _found(text, lowered, _YES_NO) is not None or text.rstrip().endswith(
        ("吗?", "吗？", "吗")
    )
    region_words = _found(text, lowered, _REGION_WORDS) is not None
    focal = _found(text, lowered, FOCAL_NOUNS)
    round_shape = _found(text, lowered, ROUND_WORDS) is not None
    wants_connection = any(c in text for c in ("相连", "连接", "相通", "相接")) or bool(
        re.search(r"connect|attach|contiguous|extend", lowered)
    )
    wants_distance = any(c in text for c in ("距离", "多远", "间距")) or bool(
        re.search(r"distance|how far|far from|away from", lowered)
    )

    wants_comparison = _found(text, lowered, _COMPARE) is not None

    kind = _choose(
        hits,
        explain=explain,
        names_sign=names_sign,
        names_profile=names_profile,
        drawn=has_drawn_region,
        region_words=region_words,
        anchor_ids=bool(ids),
        compares_anchors=wants_comparison and len(set(ids)) >= 2,
        asks_presence=yes_no and (names_sign or names_place) and not demonstrative,
        demonstrative=demonstrative is not None,
        diagnosis=diagnosis,
    )
    return Intent(
        kind=kind,
        also=tuple(h for h in hits if h is not kind),
        language=language,
        anchor_ids=ids,
        demonstrative=demonstrative is not None,
        demonstrative_phrase=demonstrative,
        focal_noun=focal,
        round_shape=round_shape,
        mentions_hilum=_found(text, lowered, _HILUM) is not None,
        region_words=region_words,
        wants_connection=wants_connection,
        wants_distance=wants_distance,
        explain=explain,
        wants_comparison=wants_comparison,
    )


def _choose(
    hits: list[IntentKind],
    *,
    explain: bool,
    names_sign: bool,
    names_profile: bool,
    drawn: bool,
    region_words: bool,
    anchor_ids: bool,
    compares_anchors: bool = False,
    asks_presence: bool = False,
    demonstrative: bool = False,
    diagnosis: bool = False,
) -> IntentKind:
    first = _scope_or_profile(
        hits,
        explain=explain,
        names_profile=names_profile,
        asks_presence=asks_presence,
        diagnosis=diagnosis,
    )
    if first is not None:
        return first
    if explain and names_sign and IntentKind.RELATION not in hits:
        return IntentKind.EXPLAIN_SIGN
    if compares_anchors:
        return IntentKind.RELATION  # "compare A1 and A2": the two anchors side by side
    if anchor_ids and not hits:
        return IntentKind.DESCRIBE  # "what is A3?" asks about that anchor
    if drawn and (region_words or not hits or hits == [IntentKind.SCREENING]):
        return IntentKind.DRAWN_REGION
    for kind in (
        IntentKind.RELATION,
        IntentKind.DESCRIBE,
        IntentKind.LIST,
        IntentKind.LOCATION,
    ):
        if kind in hits:
            return kind
    # "Is there an effusion?", "左肺有结节吗": one thing, asked yes or no, is answered
    # about that thing (and that place), not with the whole screening list.
    if asks_presence and not explain:
        return IntentKind.PRESENCE
    if IntentKind.SCREENING in hits:
        return IntentKind.SCREENING
    if names_sign and demonstrative and not explain:
        return IntentKind.DESCRIBE  # "is this a 1 cm nodule?" asks about the lesion
    if names_sign:
        return IntentKind.EXPLAIN_SIGN
    if drawn:
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
    if names_profile and (
        IntentKind.PROFILE in hits or IntentKind.LIST in hits or explain or not hits
    ):
        return IntentKind.PROFILE
    if IntentKind.PROFILE in hits:
        return IntentKind.PROFILE  # the handler asks which profile when none is named
    if diagnosis:
        return IntentKind.OUT_OF_SCOPE
    return None
