"""Intent rules: what a read question asks, refined from its cue-level reading.

`parse_intent` (engine/intents.py) reads the cues; `_refine` then decides the intent from
the slots as read (`_by_request`, `_by_attribute`, `_list_or_presence`, the profile, sign,
report and help questions), and `_refusal` why an out-of-scope question is refused
(REFUSALS). The rules read one question on its own: the adjustments made once its intent
is known are query_adjust's, and what it inherits from the turn before is
query_ellipsis's and query_followup's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from engine.dialogue.clauses import clauses
from engine.dialogue.query_cleanup import _names_film
from engine.dialogue.query_listing import (
    _ATTRIBUTE_INTENT,
    _FOCAL,
    _asks_what_the_patch_is,
    _list_or_presence,
    _named_fallback,
    _names_a_subject,
    _points_into_place,
)
from engine.dialogue.query_records import Query
from engine.dialogue.query_slots import (
    _CHINESE,
    _NEGATED_KIND,
    _TRAILING,
    _kind,
    _switched,
    places,
)
from engine.intents import IntentKind
from ontology import RegionKind, Sign, Vocabulary
from ontology.phrases import Phrases, load_phrases

# Why a question is refused, tried in this order (phrase tables of the same names).
# "off_topic" also covers a request that names nothing the engine knows and is not a
# greeting or a request for help: it gets the refusal with the examples, not the menu.
REFUSALS = ("injection", "scope_other_study", "scope_off_topic")


def _refine(q: Query, phrases: Phrases) -> IntentKind:
    """The intent once the slots are known; see the module docstring of intents.py."""
    first = _before_the_cues(q, phrases)
    if first is not None:
        return first
    kind = q.intent
    if kind is IntentKind.PROFILE and IntentKind.PROFILE not in q.cue.hits:
        # "两侧胸腔积液哪侧多", "有肺炎没": a profile's sign, compared or asked about
        if _compares(q, phrases):
            return IntentKind.COMPARE
        if _asks_film_sign(q):
            return IntentKind.PRESENCE
    if kind in (IntentKind.OUT_OF_SCOPE, IntentKind.PROFILE, IntentKind.DRAWN_REGION):
        return kind
    set_out = _ordered_or_compared(q, phrases)
    if set_out is not None:
        return set_out
    if _enumerates(q, phrases):
        return IntentKind.LIST
    if _read_in_order(q, kind) and _reads_film_in_order(q, phrases):
        return IntentKind.SCREENING
    by_attribute = _by_attribute(q, phrases) or _asks_if_real(q, phrases)
    if by_attribute is not None:
        return by_attribute
    explained = _as_explained(q, kind, phrases)
    if explained is not None:
        return explained
    read = _the_whole_chest(q, _by_request(q, phrases), phrases)
    if _off_the_film(q, read, phrases):
        return IntentKind.OUT_OF_SCOPE
    return read


def _as_explained(q: Query, kind: IntentKind, phrases: Phrases) -> IntentKind | None:
    """A question the cues read as a definition: the sign explained, or a finding described.

    "what does the biggest mass look like" points at a finding of this film: described.
    """
    if kind is not IntentKind.EXPLAIN_SIGN:
        return None
    if _looks_of_one(q):
        return IntentKind.DESCRIBE
    return kind if _defines(q, phrases) else None


def _read_in_order(q: Query, kind: IntentKind) -> bool:
    """Whether a question may ask the film read in an order: "依次列/描述", or an order alone.

    "从 airway 到 bones 系统地讲一下": no verb the cues know, so the order is the request.
    """
    if kind in (IntentKind.LIST, IntentKind.DESCRIBE):
        return True
    return kind is IntentKind.HELP and _AREA_TO_AREA.search(q.text) is not None


def _the_whole_chest(q: Query, read: IntentKind, phrases: Phrases) -> IntentKind:
    """A yes/no about both lungs as a whole is the film read (`_both_lungs_read`)."""
    if read is IntentKind.PRESENCE and _both_lungs_read(q, phrases):
        return IntentKind.SCREENING
    return read


def _both_lungs_read(q: Query, phrases: Phrases) -> bool:
    """Both lungs asked whether anything is wrong, as a whole, are the film read.

    "请问两肺有无异常", "are both lungs clear?", "双肺和心影情况怎么样": both lungs named as
    one (with the heart or not) are the whole chest, so the question is the one "are the
    lungs clear?" asks, a screening; a kind, a zone or another structure named ("双肺有没有
    结节", "双肺上野有没有异常", "双侧肋膈角锐利吗") still asks of that, yes or no, and so
    does each side named in turn ("左肺清楚吗，右肺呢").
    """
    if q.side != "both" or q.kind or q.attribute or q.signs or q.profile or q.sized:
        return False
    if any((q.zone, q.band, q.lobe, q.hilum, q.anchors, q.ordinals, q.superlative)):
        return False
    kinds = {m.kind for m in q.mentions}
    if RegionKind.LUNG not in kinds or not kinds <= {RegionKind.LUNG, RegionKind.HEART}:
        return False
    if any(m.side is not None for m in q.mentions if m.kind is RegionKind.LUNG):
        return False  # "左肺清楚吗，右肺呢": each side asked in turn, yes or no
    asks_whole = IntentKind.SCREENING in q.cue.hits or _HOW_THEY_ARE.search(q.text)
    return bool(asks_whole or phrases.cue("asks_normal").find(q.text))


# how a whole structure is, asked ("是否正常", "情况怎么样", "unremarkable?", "fine?")
_HOW_THEY_ARE = re.compile(
    r"正常|情况|(?<![a-z])(?:unremarkable|fine|ok(?:ay)?|alright)(?![a-z])",
    re.IGNORECASE,
)


def _off_the_film(q: Query, read: IntentKind, phrases: Phrases) -> bool:
    """A request the film cannot answer: help that names nothing known, or another topic."""
    if read is IntentKind.HELP:
        return _unknown_request(q, phrases)
    return read is IntentKind.DESCRIBE and _tells_of_another_topic(q, phrases)


def _ordered_or_compared(q: Query, phrases: Phrases) -> IntentKind | None:
    """Every finding of a kind put in order (a list), or things set against each other."""
    if _orders_every(q, phrases):
        return IntentKind.LIST
    return IntentKind.COMPARE if _compares(q, phrases) else None


def _orders_every(q: Query, phrases: Phrases) -> bool:
    """Every finding of a kind put in order by size: the list, largest first.

    "把所有结节按大小排一下", "sort all the lesions by size": the object is every one of a
    kind (a universal), not findings named to be set against each other ("A1、A2、A3按大小排
    一下", "rank the nodules by size" stay comparisons).
    """
    if q.anchors or q.ordinals or q.superlative or not _BY_SIZE.search(q.text):
        return False
    if q.kind is not None and q.kind not in _FOCAL:
        return False
    named = q.kind is not None or phrases.cue("abnormal_place").find(q.text)
    # "把结节按大小列出来", "list the nodules by size": a list verb orders the list itself
    listed = _LISTED_BY_SIZE.search(q.text) is not None
    return bool(named and (listed or phrases.cue("universal").find(q.text)))


# the order by size said with a verb of listing (列, "list"), not of ranking (排, "rank")
_LISTED_BY_SIZE = re.compile(
    r"按(?:照)?(?:大小|尺寸|直径)[^，,。;；?？排]{0,4}列"
    r"|(?<![a-z])list\w*(?: \S+){0,5}? by (?:size|diameter)",
    re.IGNORECASE,
)


# an order by size asked ("按大小排", "从大到小", "sort ... by size", "largest to smallest")
_BY_SIZE = re.compile(
    r"按(?:照)?(?:大小|尺寸|直径|大细)[^，,。;；?？]{0,4}[排列]|从大到小|由大到小|从小到大|由小到大"
    r"|(?<![a-z])(?:sort|order|rank|arrange|list)\w*(?: \S+){0,5}? by (?:size|diameter)"
    r"|(?<![a-z])(?:largest|biggest|smallest) (?:to|down to|first)(?![a-z])"
    # the order named as a noun ("in order of size", "by descending order of diameter",
    # "in size order", "按大小顺序"): the same order by size
    r"|(?<![a-z])(?:in|by) (?:\w+ )?order of (?:\w+ )?(?:size|diameter)(?![a-z])"
    r"|(?<![a-z])in (?:size|diameter) order(?![a-z])|按(?:照)?(?:大小|尺寸|直径)的?(?:顺序|次序)",
    re.IGNORECASE,
)


def _enumerates(q: Query, phrases: Phrases) -> bool:
    """Findings asked to be told one and all: a request verb over a universal and findings.

    "麻烦把左肺不对劲的地方都讲一下", "name every problem spot in the right lung", "所有肿块
    列一下，大小位置都写上": the object is every finding of a kind, or every place that is
    wrong, so the answer is the list (each line with its place and size), not a yes or no
    about the place, nor one value.
    """
    if q.anchors or q.ordinals or q.superlative or q.attribute == "count":
        return False
    if q.kind is not None and q.kind not in _FOCAL:
        return False  # "所有积液都说一下" is no list of findings one by one
    named = q.kind is not None or phrases.cue("abnormal_place").find(q.text)
    # a kind in the plural is every one of that kind ("give me the left lung nodules");
    # "describe the findings" is the whole film read, a screening
    # "describe if there are any nodules" asks whether they are there: no list
    plural = (
        q.kind is not None
        and phrases.cue("plural_findings").find(q.text)
        and not phrases.cue("existential").find(q.text)
    )
    every = plural or phrases.cue("universal").find(q.text)
    return bool(named and every and phrases.cue("request_verb").find(q.text))


def _reads_film_in_order(q: Query, phrases: Phrases) -> bool:
    """The film itself asked to be gone through in an order: a systematic read.

    "请从气道、肺野到骨骼，依次分析这张片子", "walk the students through this film in order":
    the order words (依次, in order) are the read's order over the anatomy, not a list of
    findings, when the film is the object and no finding, kind or count is named.
    """
    if q.kind or q.anchors or q.ordinals or q.superlative or q.attribute:
        return False
    if phrases.cue("abnormal_place").find(q.text) or _LIST_VERB.search(q.text):
        return False
    # the film named as the object, or gone through structure by structure ("依次描述肺野、
    # 肺门、纵隔、心影", "the lungs, hila, mediastinum and heart in turn")
    structures = len({m.kind for m in q.mentions}) >= _STRUCTURES_READ
    # or an order that runs from one area of a chest read to another ("从 airway 到 bones",
    # "from the trachea to the ribs"): the read's own order over the film
    areas = _AREA_TO_AREA.search(q.text) is not None
    film = _FILM_OBJECT.search(q.text) is not None or structures or areas
    return film and _IN_ORDER.search(q.text) is not None


# kinds of structure named in one order that make it a read of the anatomy, not a place
_STRUCTURES_READ = 3


# the film as the object of a request ("这张片子", "本片", "this film", "the x-ray")
_FILM_OBJECT = re.compile(
    r"(?:这|该|本|此)(?:张|个|幅)?(?:胸?片子?|胸片|x光片?|图像?|影像)"
    r"|(?<![a-z])(?:this|the|that|our) (?:film|x-?ray|cxr|radiograph|image|chest film"
    r"|chest x-?ray)(?![a-z])",
    re.IGNORECASE,
)
# the order a read goes in ("依次", "按...顺序", "in order", "systematically", "from the
# airway to the bones"); a list verb (列, "list", "enumerate") still asks for a list
_IN_ORDER = re.compile(
    r"依次|逐一|挨个|一个一个|按[^，,。]{0,24}(?:顺序|次序)|从[^，,。]{1,24}到"
    r"|(?<![a-z])(?:in (?:order|sequence|turn)|systematic\w*|step by step"
    r"|one (?:structure|region|area|part|by one)|from the \w+ (?:down )?to)(?![a-z])",
    re.IGNORECASE,
)
_LIST_VERB = re.compile(r"列|罗列|清单|(?<![a-z])(?:list|enumerate|itemi[sz]e)", re.I)
# the areas a chest film is read through, in either language (airway, lungs, hila,
# mediastinum, heart, diaphragm, pleura, bones, soft tissues), as the two ends of an order
_AREA = (
    r"(?:气道|气管|肺野|肺门|纵隔|心影|心脏|膈肌?|横膈|胸膜|肋骨|骨骼|骨质|骨头|软组织"
    r"|(?<![a-z])(?:the )?(?:airways?|trachea|lungs?|lung fields|hila|hilum|mediastinum"
    r"|heart|diaphragms?|pleura|bones?|ribs|skeleton|soft tissues?)(?![a-z]))"
)
_AREA_TO_AREA = re.compile(
    rf"(?:从|由|自)\s*{_AREA}[^，,。]{{0,16}}?(?:到|至)\s*{_AREA}"
    rf"|(?<![a-z])from\s+{_AREA}(?:\s+\w+){{0,3}}?\s+(?:down |through )?to\s+{_AREA}",
    re.IGNORECASE,
)


def _before_the_cues(q: Query, phrases: Phrases) -> IntentKind | None:
    """An intent that wins over the intent cues: a refusal, a ranking, a profile, help."""
    if _defines_a_sign(q, phrases):
        return IntentKind.EXPLAIN_SIGN
    if any(phrases.cue(n).find(q.text) for n in REFUSALS):
        return IntentKind.OUT_OF_SCOPE
    if q.intent is IntentKind.OUT_OF_SCOPE and _ranks_by_concern(q, phrases):
        return IntentKind.COMPARE
    if _asks_a_chance(q, phrases):
        return IntentKind.OUT_OF_SCOPE
    if _asks_report_wording(q.text, phrases):
        # "how should I word the report?": the report draft, not help nor advice asked
        return IntentKind.SCREENING
    if not (q.names_something or q.kind) and phrases.cue("reader_signs").find(q.text):
        # "我改完再签字", "I'll edit it before I sign": the reader will sign a report, so
        # the read and its draft are asked, though no report word is said
        return IntentKind.SCREENING
    if _matches_profile(q, phrases):
        return IntentKind.PROFILE
    if _asks_for_help(q, phrases):
        return IntentKind.HELP
    return None


# A sign named by its name ("肺门截断征", "the sail sign"), known to the vocabulary or not
_SIGN_NAME = re.compile(
    r"(?:(?!什么|是|啥|哪|这|那)[\u4e00-\u9fff]){2,10}征(?![象兆])|(?<![a-z])(?:[a-z][a-z'-]+ ){1,3}signs?(?![a-z])(?! of)"
    # a name in letters before 征 ("S征", "Westermark 征"; twentieth round)
    r"|(?<![a-z0-9])[a-z][a-z'-]{0,15}\s*征(?![象兆])",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"什么|啥|哪|这|那|(?<![a-z])(?:what|which|this|that|the|a|an)\s*$", re.I
)


def sign_name(text: str) -> str | None:
    """The name of a sign a question names ("the sail sign", "肺门截断征"), if any."""
    name = _SIGN_NAME.search(text)
    if name is None or _NOT_A_NAME.search(name.group(0).rsplit(" ", 1)[0]):
        return None
    words = name.group(0).split()
    while len(words) > 1 and words[0].lower() in _LEADING:
        words = words[1:]  # "whats a sail sign": the name is "sail sign"
    return " ".join(words)


# A sign's name as the subject of "what is it" ("X征是什么", "X征指的是啥", "X征是个啥"):
# asked of a name, not of anything pointed at on the film (twentieth round)
_SIGN_IS_WHAT = re.compile(
    r"征\s*(?:到底|究竟|又)?\s*(?:是|指|指的是|说的是)\s*(?:个|一个|一种)?\s*(?:什么|啥|何物)"
    r"(?!样的?(?:结节|病灶|肿块|阴影)|地方|部位|位置|时候)"
)
_LEADING = frozenset(
    {"what", "whats", "what's", "wats", "is", "a", "an", "the", "mean"}
)


def _defines_a_sign(q: Query, phrases: Phrases) -> bool:
    """Whether a sign's name is asked for its meaning ("whats a sail sign", "X征是什么意思").

    A sign the vocabulary lacks is still a definition asked, not a film question or an
    unknown request; an instruction beside it is still refused.
    """
    if q.anchors or q.ordinals or phrases.cue("injection").find(q.text):
        return False
    if sign_name(q.text) is None:
        return False
    if phrases.cue("explain_strong").find(q.text):
        return True
    if phrases.cue("comprehension").find(q.text):
        return True  # "剪影征到底咋理解": trouble understanding it asks what it means
    if _SIGN_IS_WHAT.search(q.text):
        return True  # "剪影征是什么": the name is the subject, what it is asked
    weak = phrases.cue("explain_weak").find(q.text) is not None
    return weak and not (q.names_place or q.cue.demonstrative)


# How much a finding worries the reader ("which would worry you more", "哪个更值得 follow
# up"): set between named findings, a ranking by suspicion, not a decision for the person
_CONCERN = re.compile(
    r"(?<![a-z])(?:worr\w*|concern\w*|follow(?:ed|ing)?[- ]?up|chas(?:e|ing)|severe|serious)(?![a-z])"
    r"|值得|担心|关注|随访|复查|警惕|严重|厉害",
    re.IGNORECASE,
)


def _ranks_by_concern(q: Query, phrases: Phrases) -> bool:
    """Whether named findings are ranked by concern, and nothing else is out of scope."""
    several = len(q.anchors) >= 2 or len(q.ordinals) >= 2
    # "两侧实变比较哪边严重些": the two sides ranked by how marked the finding is
    sides = q.side == "both" and phrases.cue("comparative_sides").find(q.text)
    if not (several or sides) or not _CONCERN.search(q.text):
        return False
    ranked = sides or q.cue.wants_comparison or phrases.cue("comparative").find(q.text)
    rest = _CONCERN.sub(" ", q.text)
    refused = ("intent_out_of_scope", "diagnosis", *REFUSALS)
    return bool(ranked) and not any(phrases.cue(n).find(rest) for n in refused)


def _asked_profile(text: str, vocabulary: Vocabulary) -> Any:
    """The profile a question asks about: the one its last clause names, if it names one.

    "Kerley B 线加上胸腔积液，是 CHF 吗": the signs are said first, heart failure is asked.
    """
    last = _last_clause(text)
    asked = vocabulary.find_profile_in_text(last) if last else None
    if asked is not None and _said_beside_the_ask(
        text,
        lambda c: vocabulary.find_profile_in_text(c) == asked,
        lambda c: vocabulary.find_profile_in_text(c) is not None,
    ):
        # "有没有可能是心衰，他腿肿而且有胸水": the last clause is history; the clause
        # that asks names the profile asked
        return vocabulary.find_profile_in_text(_asked_part(text))
    return asked or vocabulary.find_profile_in_text(text)


def _profile_and_signs(
    text: str, vocabulary: Vocabulary, phrases: Phrases
) -> tuple[Any, list[Sign], bool]:
    """The profile a question asks, the signs it names, and whether a history names a kind.

    A profile named only in a history beside a film question is not asked ("ctr pls, hx
    of CHF"); when the profile is asked and a kind is named only in a history beside it
    ("might it be CHF, she's got fluid on board"), the history's signs are not asked
    either, and the third value says so.
    """
    signs = vocabulary.match_sign_in_text(text)
    profile = _asked_profile(text, vocabulary)
    if profile is None:
        return None, signs, False
    checklist = ("intent_profile_check", "profile_match")
    if not any(phrases.cue(t).find(text) for t in checklist) and _said_beside_the_ask(
        text,
        lambda c: vocabulary.find_profile_in_text(c) is not None,
        lambda c: _names_film(c, vocabulary, phrases, profiles=False),
    ):
        return None, signs, False  # the history's profile, not asked
    if not _kinds_beside_the_ask(text, vocabulary, phrases):
        return profile, signs, False
    return profile, vocabulary.match_sign_in_text(_asked_part(text)), True


def _said_beside_the_ask(
    text: str, names: Callable[[str], bool], own_subject: Callable[[str], bool]
) -> bool:
    """Whether what `names` finds is said only in clauses beside the one that asks.

    "ctr pls, hx of CHF", "心胸比多少，病人有心衰": the history or symptom
    is why it is asked, not what is asked. True when a clause asks, has a subject of its
    own (`own_subject`) and names none of it, and a clause that does not ask names it; a
    topic named before the ask ("heart failure, CTR?", `Clause.short`) is asked about.
    """
    parts = clauses(text)
    asked = [c for c in parts if c.asks]
    if len(parts) < 2 or not asked or any(names(c.text) for c in asked):
        return False
    if not any(own_subject(c.text) for c in asked):
        return False
    return any(
        names(c.text) for c in parts if not (c.asks or c.short or c.offers_alternatives)
    )


def _kinds_beside_the_ask(text: str, vocabulary: Vocabulary, phrases: Phrases) -> bool:
    """Whether a kind is named only beside the clause that asks of a profile.

    "might it be CHF, she's got fluid on board", "会不会是心衰，病人一直有胸水":
    the clause that asks names the profile, so its checklist answers it, not whether the
    effusion the history names is on the film (a kind the profile's name implies, as
    pneumonia's consolidation, stays the ask's). A side stated and the other one asked
    ("左侧气胸已经确认 另外一侧情况如何") names no profile in its ask and keeps its kind.
    """

    def profiled(clause: str) -> bool:
        return vocabulary.find_profile_in_text(clause) is not None

    def beside(kind: str) -> bool:
        cue = phrases.cue(f"kind_{kind}")
        return _said_beside_the_ask(text, lambda c: bool(cue.find(c)), profiled)

    return any(beside(k) for k in phrases.kind_order)


def _kind_of_the_ask(q: Query, history: bool, phrases: Phrases) -> Query:
    """The question with the kind its ask names, when a history beside it names another."""
    if not history:
        return q
    return replace(q, kind=_kind(_asked_part(q.text), phrases))


def _asked_part(text: str) -> str:
    """The clauses of a question that ask, as typed."""
    return "".join(c.text for c in clauses(text) if c.asks)


def _kind_beside_a_remark(q: Query, phrases: Phrases) -> Query:
    """The kind the clause that asks names, over one named only in a clause beside it.

    "any nodules in the right lung? asking for the tumour board": the remark after the
    question names a kind in passing ("tumour"); the question asks of nodules. Only a
    kind the asking clauses name themselves replaces it. A word or two alone is the
    topic the question is asked of ("pneumothorax, that spot too?"), and a correction
    says what was meant: its kind is the one asked ("is there a mass in the right
    lung? I mean a nodule", "any opacity over 2 cm? masses I mean").
    """
    if q.kind is None or q.anchors:
        return q
    parts = clauses(q.text)
    remarks = [c for c in parts if not c.asks]
    if len(remarks) in (0, len(parts)):
        return q
    remark = "".join(c.text for c in remarks)
    if phrases.cue("correction").find(remark):
        # "不是肿块 是结节吗": a kind said in the correction only to be set aside is not meant
        meant = _kind(_NEGATED_KIND.sub(" ", remark), phrases)
        return q if meant is None else replace(q, kind=meant)
    if any(c.short for c in remarks):
        return q
    asked = _kind("".join(c.text for c in parts if c.asks), phrases)
    if asked is None or asked == q.kind or _kind(remark, phrases) != q.kind:
        return q
    return replace(q, kind=asked)


def _last_clause(text: str) -> str:
    """The last of several clauses split by punctuation, or "" for one clause."""
    parts = re.split(r"[，,。;；!！]", _TRAILING.sub("", text))
    return parts[-1] if len(parts) > 1 else ""


def _asks_a_chance(q: Query, phrases: Phrases) -> bool:
    """A diagnosis asked as a chance, or cancer asked outright in a mixed frame.

    "结核的可能性高不高", "how likely is heart failure", "is it 肺癌 or not": the person's
    diagnosis, refused; "有没有结核的可能" (a possibility) is the profile's checklist.
    """
    if phrases.cue("cancer_outright").find(q.text):
        return True  # "is A2 癌?" too: cancer asked of a finding
    chance = phrases.cue("chance_asked").find(q.text) is not None
    ranked = q.superlative == "most_suspicious"
    if chance and not ranked and phrases.cue("malignancy_named").find(q.text):
        # "A1 转移的几率大不大", "the cancer risk for A2", "the cancer risk of the biggest
        # nodule": how likely cancer is, of the person or of one finding (a rank by size
        # names one), is a diagnosis however it is framed ("the greatest chance of being
        # malignant" ranks the findings by that chance instead)
        return True
    if q.anchors or q.ordinals or q.superlative:
        return False  # "A1 is the likeliest to be malignant": a ranking, not a chance
    return q.profile is not None and chance


def _matches_profile(q: Query, phrases: Phrases) -> bool:
    """Whether the film is held against a named profile, asking for its checklist.

    "这张片子符合结核的影像特点吗", "is the picture in keeping with heart failure" do;
    "有没有肺炎的表现" asks whether the profile's film sign is there.
    """
    if q.profile is None or q.intent is IntentKind.OUT_OF_SCOPE:
        return False
    if q.anchors or q.ordinals or q.superlative:
        return False
    match = phrases.cue("profile_match")
    last = _last_clause(q.text)
    if match.find(last) and not phrases.cue("existential").find(last):
        return True  # signs said first, the profile asked last ("有空洞，是结核吗")
    # "有没有肺炎的可能": whether it is possible, not whether its sign is seen
    if phrases.cue("possibility").find(q.text):
        return True
    if q.attribute:
        return False
    if q.kind is not None and phrases.cue("existential").find(q.text):
        return False  # "有没有肺炎的表现": is its film sign there, yes or no
    return match.find(q.text) is not None


# The tool's guide named as a thing to be shown ("用法说明给我看看", "把说明书发我看一下"):
# 看 after 给我 / 发我 / 让我 is the reader's looking at it, not the film read (twentieth
# round)
_HELP_DOCUMENT = re.compile(
    r"用法|说明书|(?:使用|操作|用户)(?:说明|方法|指南|手册|教程)|帮助(?:文档|页面|信息)"
)
_SHOWN_TO_ME = re.compile(r"(?:给|发|让|拿给|发给)(?:我|咱)(?:们)?(?:看|瞧|瞅|读)")


def _asks_for_help(q: Query, phrases: Phrases) -> bool:
    """Confusion or a request for help that names nothing ("how do I begin?")."""
    how_to_ask = phrases.cue("help_how_to_ask").find(q.text) is not None
    if how_to_ask and q.intent is not IntentKind.COMPARE:
        return True  # "how do I ask you about a nodule": the nodule is not asked yet
    # "what would you do", "你可以做什么检查": asked of the person's care, refused
    ability = q.intent is not IntentKind.OUT_OF_SCOPE and _ABOUT_THE_TOOL.search(q.text)
    about_tool = phrases.cue("help_tool").find(q.text) or ability
    if about_tool and not _names_beyond_count(q):
        # "what can you do", "你有什么功能": about the assistant itself, unless the film
        # is asked to be read as well ("不知道该问啥 你先帮我整体看一下")
        if _SHOWN_TO_ME.search(q.text) and _HELP_DOCUMENT.search(q.text):
            return (
                True  # "用法说明给我看看": the reader looks at the guide, not the film
            )
        return phrases.cue("read_film").find(q.text) is None
    if _SHOWN_TO_ME.search(q.text) and _HELP_DOCUMENT.search(q.text):
        return not _names_beyond_count(q)  # "给我看看操作手册"
    if q.intent not in (IntentKind.LOCATION, IntentKind.DESCRIBE):
        return False
    if (
        q.attribute not in (None, "location")
        or replace(q, attribute=None).names_something
    ):
        return False  # "where" alone is no place
    return phrases.cue("help_request").find(q.text) is not None


# How to word a report's part ("how should I word the report?", "what's the best way to
# phrase the impression", "结论该怎么措辞"): the report draft is asked, in its words
_REPORT_WORDING = re.compile(
    r"(?<![a-z])(?:how|way)\b.{0,30}\b(?:word|phrase|put|write|formulate|dictate)\b"
    r"|(?:怎么|如何|怎样|咋)(?:样)?(?:写|措辞|表述|描述|下笔)|措辞",
    re.IGNORECASE,
)


def _asks_report_wording(text: str, phrases: Phrases) -> bool:
    """Whether the words of a report (its findings, its impression) are asked."""
    return bool(
        phrases.cue("report_request").find(text) and _REPORT_WORDING.search(text)
    )


# What the assistant can do, asked of it: "you" with a verb of ability and a question word
# for its object ("你都能看哪些东西", "你 support 哪些 questions", "any idea what you can
# help with"). A verb of seeing with a result ("你能看出什么", "what do you see") asks
# about the film instead, and is not matched.
_ABOUT_THE_TOOL = re.compile(
    r"(?:你|您|这个?(?:工具|系统|软件|程序|助手))(?:是|主要是?)?(?:用来|拿来)?(?:干|做)(?:嘛|啥|什么)的?"
    r"(?:[?？。!！\s]|$)"
    r"|(?<![a-z])what(?:'s| is| are) (?:this (?:tool|app|thing|system|assistant|bot|program"
    r"|software)|you) (?:used |meant |good |designed )?for(?![a-z])|"
    r"(?:你|您)的?(?:有|有些|有哪些)?(?:哪些|什么|啥)?(?:能力|技能|本领|用处|用途)"
    r"|(?<![a-z])your (?:capabilit|abilit|skill|function|feature)\w*"
    r"|(?:你|您|这个?(?:工具|系统|软件|程序|助手|东西|玩意儿?))(?:们|这边|那边)?"
    r"(?:都|还|一般|平时|到底)?\s*(?:能|可以|会|能够|支持|support|can|could)"
    r"\s*(?:帮(?:我|忙)?)?\s*(?:看|读|做|干|处理|回答|答|分析|识别|问|查|支持"
    r"|handle|answer|support|do|cover)?\s*(?:些|点)?\s*(?:哪些|哪几[类种样个]|什么|啥|哪类|哪种"
    r"|which|what)(?!\s*(?:结节|病灶|异常|发现|病变|阴影|肿块))"
    r"|(?<![a-z])(?:what|which) (?:all |else |sorts? of |kinds? of |types? of )?(?:\w+ )?"
    r"(?:can|could|do|are|will|does|is) (?:you|u|this (?:tool|thing|app|system|assistant"
    r"|bot|program|software)) (?:able to |actually |even |really )?"
    r"(?:help(?: \w+)? with|do|handle|support|cover|answer|offer|comment on|talk about"
    r"|deal with)(?![a-z])"
    r"|(?<![a-z])what (?:you|u) (?:can|could|are able to) (?:help(?: \w+)? with|do|handle"
    r"|support|cover|answer|comment on|talk about|deal with)(?![a-z])",
    re.IGNORECASE,
)


def _names_beyond_count(q: Query) -> bool:
    """Whether a question names something, "几个" / "a few" aside ("给几个提问的示例")."""
    if q.attribute == "count":
        return replace(q, attribute=None).names_something
    return q.names_something


def _unknown_request(q: Query, phrases: Phrases) -> bool:
    """Whether a question is a request the film cannot answer, refused, not the menu.

    A request in words ("tell me a joke", "能上班吗") that names nothing the engine
    knows and is not a greeting, thanks, a request for help or a follow-up.
    """
    helped = phrases.cue("help_request").find(q.text) and not _HELP_WITH.search(q.text)
    if q.names_something or q.other_side or helped:
        return False
    if phrases.cue("ellipsis").find(q.text):
        return False  # "上面呢", "what about on the other side": a follow-up
    words = re.findall(r"[A-Za-z]+", q.text)
    chinese = re.findall(r"[\u3400-\u9fff]", q.text)
    return len(words) >= 2 or len(chinese) >= 3


# A request to tell about something ("给我讲讲相对论", "tell me about the French
# revolution"): what follows the verb is the topic asked about
_TELL_ABOUT = re.compile(
    r"(?:讲讲|说说|谈谈|聊聊|科普|介绍)一?下?(?P<zh>[^，,。？?！!]*)"
    r"|(?<![a-z])(?:tell (?:me|us)|talk|teach (?:me|us)|learn)(?: \w+){0,3} (?:about|abt)"
    r"(?P<en>[^,.?!;]*)",
    re.IGNORECASE,
)
# What points back at the film or the answer, or only fills the sentence: no topic of its own
_NO_TOPIC = re.compile(
    r"这|那|它|你|我|他|她|一下|一点|点儿?|看|吧|呗|呢|啊|吗|嘛|的|了|些|个|哪|什么|啥|怎么|为什么"
    r"|看法|想法|意见|理由|原因|依据|思路|判断|意思|道理|情况|结果|发现|所见|印象|细节|具体|详细"
    r"|更多|多点|其他|别的|还有|片子?|胸片|图像?|影像|异常|问题|整体|总体|大概|简单|一遍"
    r"|(?<![a-z])(?:it|this|that|these|those|them|more|everything|anything|something|what"
    r"|why|how|you|your|yours|me|us|we|i|the|a|an|some|bit|little|again|here|there|please"
    r"|pls|film|image|x-?ray|cxr|picture|study|case|findings?|results?|impression|opinion"
    r"|thoughts|reasoning|reasons?|details?|one|ones|other|rest|else|all|of|in|on|and|see"
    r"|saw|found)(?![a-z])",
    re.IGNORECASE,
)


def _tells_of_another_topic(q: Query, phrases: Phrases) -> bool:
    """Whether a topic with nothing to do with the film is asked to be told about.

    "给我讲讲相对论", "tell me about the French revolution": the telling verb's object
    names no finding, place, sign, profile or structure of the chest, and is more than
    a pointer back at the film or the answer ("讲讲这个", "tell me about it", "说说你的
    思路", which stay requests about the film).
    """
    if q.names_something or q.cue.demonstrative or q.other_side:
        return False
    if any(phrases.cue(t).find(q.text) for t in ("unassessed_structure", "ellipsis")):
        return False
    told = _TELL_ABOUT.search(q.text)
    if told is None:
        return False
    topic = _NO_TOPIC.sub(" ", told.group("zh") or told.group("en") or "")
    return (
        len(_CHINESE.findall(topic)) >= 2
        or re.search(r"[a-z]{3}", topic, re.I) is not None
    )


# help asked with a task of one's own ("help me plan my holiday", "帮我订张机票"): the task
# is the request, and one that names nothing on the film is refused, not met with the menu
_HELP_WITH = re.compile(
    r"(?<![a-z])help (?:me |us )?(?:to )?(?:with|on|plan|book|do|fix|choose|pick|buy|sell"
    r"|file|fill|cook|learn|study|prepare|organi[sz]e|pack|move|pay)(?![a-z])"
    r"|帮(?:我|忙)(?:订|买|卖|算|选|挑|规划|安排|计划|翻译|改|填|报|交|付|做饭|搬)",
    re.IGNORECASE,
)


def _refusal(q: Query, intent: IntentKind, phrases: Phrases) -> str | None:
    if intent is not IntentKind.OUT_OF_SCOPE:
        return None
    named = next((n for n in REFUSALS if phrases.cue(n).find(q.text)), None)
    if named is not None:
        return named
    if q.intent is IntentKind.HELP and not _asks_a_chance(q, phrases):
        return "scope_off_topic"
    if _tells_of_another_topic(q, phrases):
        return "scope_off_topic"
    return "clinical"


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


# How something looks, asked ("what does X look like", "what do they look like"): of a
# finding this film holds, pointed at by a rank, a position, an id or a demonstrative, it
# asks for that finding described; of a kind or a sign in general ("what does
# consolidation look like") it asks what the sign looks like (twentieth round)
_LOOKS_LIKE = re.compile(
    r"(?<![a-z])what (?:does|do|did) (?:\S+ ){1,8}?look(?:s)? like(?![a-z])",
    re.IGNORECASE,
)


def _looks_of_one(q: Query) -> bool:
    """Whether how a finding this film holds looks is asked, not a kind in general."""
    if _LOOKS_LIKE.search(q.text) is None:
        return False
    return bool(q.anchors or q.ordinals or q.superlative or q.cue.demonstrative)


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
    if asks_same_lesion(q, phrases):
        return True  # "这俩是同一个病灶吗": two findings, one lesion or two
    if asks_if_one(q):
        return (
            True  # "is the most suspicious one also the largest?": one finding or two
        )
    several = len(q.anchors) >= 2 or len(q.ordinals) >= 2 or len(q.superlatives) >= 2
    # "A1 and A4 aren't connected, are they?" (read "... yes or no"), "or not": the "or"
    # offers the two answers, it sets no two things against each other
    offered = _EITHER_ANSWER.sub(" ", q.text)
    comparative = phrases.cue("comparative").find(offered) is not None
    comparative = comparative or phrases.cue("compare_pair").find(offered) is not None
    compare = q.cue.wants_comparison or _misspelt_compare(q.text)
    # "order A2, A4 and A5 by size": the named ones put in order, against each other
    compare = compare or (several and _BY_SIZE.search(q.text) is not None)
    if several and (compare or comparative):
        return True
    if q.side == "both" and (compare or phrases.cue("comparative_sides").find(q.text)):
        return True  # "which is worse, the right or left effusion?"
    if q.side == "both" and _SET_BESIDE.search(q.text):
        # "左肺最大的结节和右肺最大的结节比呢": one side's finding set beside the other's
        return True
    if _PAIR.search(q.text) and comparative and q.superlative is None:
        # "这俩结节哪个边缘更毛糙", "the two nodules, is one bigger or about the same":
        # two findings named together and set against each other
        return bool(q.kind or q.attribute)
    if compare and not phrases.cue("explain_strong").find(q.text):
        plural = phrases.cue("plural_reference").find(q.text) is not None
        return bool(q.kind or q.anchors or q.attribute or plural)  # "compare them"
    if _TWO_FRONTED.search(q.text) and len(places(list(q.mentions))) >= 2:
        # "右肺门那块影跟左下野那块 哪个密度高": two findings, each by its place, then which
        return q.superlative is None
    which_bigger = re.search(
        r"哪个.{0,3}[大小]|谁(?:更|要|稍微|比较)?[大小]|which .{0,40}(?:bigger|larger|smaller)"
        r"|(?:两个|二者|both|two) .{0,20}(?:bigger|larger|smaller|哪个大|哪个更大)",
        _switched(q.text),  # "which one 大": 哪个大
        re.IGNORECASE,
    )
    return which_bigger is not None and q.superlative is None


# Two noun phrases joined and then "compared" as the predicate ("X和Y比呢", "X跟Y比起来
# 怎么样", "X与Y相比如何"): the two set against each other, whatever is asked of them
_SET_BESIDE = re.compile(
    r"(?:和|跟|与|同)[^，,。;；?？]{1,20}?(?:相)?比(?:较)?(?:起来)?\s*"
    r"(?:呢|怎么样|咋样|如何|怎样|一下|下)?\s*[?？。!！]*\s*$"
)
_EITHER_ANSWER = re.compile(
    r"(?<![a-z])(?:yes or no|yes\s*/\s*no|or not|or no|y/n|y or n)(?![a-z])|(?:还是|或者)(?:不是|没有|不)(?=\W*$)",
    re.IGNORECASE,
)
# Two noun phrases joined, then "which" of them ("X那块和Y那块 哪个大", "the one at the
# right base or the left apex, which"): a comparison, whatever attribute is asked
_TWO_FRONTED = re.compile(
    r"(?:和|跟|与|同|还是)[^，,。;；?？]{1,16}?[\s，,]*(?:哪个|哪一个|谁)"
    r"|(?<![a-z])(?:and|or|vs\.?|versus)(?![a-z])[^?.;]{1,40}?[,:;—–-]\s*which(?![a-z])",
    re.IGNORECASE,
)
# two ranks asked to be one finding ("最可疑的和最大的是不是同一个", "is the largest also
# the most suspicious")
_SAME_ONE = re.compile(
    r"同一|也是|(?<![a-z])(?:also|same|the one and the same|as well)(?![a-z])", re.I
)
# two findings named together ("这俩结节", "the two nodules"); "both" names two sides as
# often ("both lower zones")
_PAIR = re.compile(
    r"俩|两(?:个|者|枚|颗|处|块)|二者|(?<![a-z])(?:the two|these two|those two|pair)(?![a-z])",
    re.IGNORECASE,
)


# one lesion or two ("是同一个病灶吗", "是不是一个结节", "one lesion or two", "the same
# nodule", "separate lesions"); asked of two findings named together
_SAME_LESION = re.compile(
    r"同一|一个还是两个|是(?:不是)?一个(?:病灶|结节|肿块|病变|东西)|两个不同的|分开的"
    r"|(?<![a-z])(?:same|single|separate|distinct|one or two|one (?:lesion|nodule|mass"
    r"|opacity|thing))(?![a-z])",
    re.IGNORECASE,
)


def asks_same_lesion(q: Query, phrases: Phrases | None = None) -> bool:
    """Whether two findings named together are asked to be one lesion or two.

    "这两个是同一个病灶吗", "A1和A2是不是一个结节", "are these the same lesion?", "could
    the two nodules be a single lesion": a pair (two ids or ordinals, "these", "这俩")
    and the words of sameness; two ranks ("the largest also the most suspicious") are
    `asks_if_one`.
    """
    phrases = phrases or load_phrases()
    if phrases.cue("same_lesion_followup").find(q.text):
        return len(q.superlatives) < 2
    if len(q.superlatives) >= 2 or _SAME_LESION.search(q.text) is None:
        return False
    if len(q.anchors) >= 2 or len(q.ordinals) >= 2 or _PAIR.search(q.text):
        return True
    return phrases.cue("plural_reference").find(q.text) is not None


# "能排除肺癌吗", "肺结核可以除外吗", "can you rule out TB?", "can cancer be excluded?"
_RULE_OUT = re.compile(
    r"排除|除外|(?<![a-z])(?:rule[sd]? (?:it |this |that )?out|ruling out|exclud(?:e|ed|ing))(?![a-z])",
    re.IGNORECASE,
)


def asks_rule_out(q: Query) -> bool:
    """Whether a condition is asked to be excluded ("能排除肺癌吗", "can you rule out TB?").

    Read only of a profile question: the answer is "no, a radiograph cannot exclude it"
    first, then what the film shows.
    """
    return q.intent is IntentKind.PROFILE and _RULE_OUT.search(q.text) is not None


def asks_if_one(q: Query) -> bool:
    """Whether ranks are asked to be one finding ("最可疑的和最大的是不是同一个")."""
    return len(q.superlatives) >= 2 and _SAME_ONE.search(q.text) is not None


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
        # "心影增大了吗，心胸比算一下": a value asked for beside the yes/no is the value;
        # so is the ratio asked in a clause of its own beside a remark on the heart
        # ("心影看着有点大，帮忙量个心胸比", "CTR roughly? heart looks big to me")
        enlarged = q.kind == "cardiomegaly" and not _asks_value(q, phrases)
        if enlarged and _ratio_apart(q.text, phrases):
            enlarged = False
        return IntentKind.PRESENCE if enlarged else IntentKind.MEASUREMENT
    if attribute == "size":
        if q.kind == "cardiomegaly":
            return IntentKind.PRESENCE
        if _asks_value(q, phrases) or _about_a_lesion(q):
            return IntentKind.MEASUREMENT
        # "size pls", "the size?": a size asked for, not yes or no, is a value
        yes_no = phrases.cue("yes_no").find(q.text) is not None
        return None if yes_no or q.cue.explain else IntentKind.MEASUREMENT
    if attribute == "distance" and not q.cue.wants_connection:
        return IntentKind.MEASUREMENT  # "how far is A1 from the hilum": one value
    if attribute in ("distance", "connection"):
        return IntentKind.RELATION  # "is it connected (and how far)?": the relation
    if attribute in ("calcification", "margin", "density", "shape"):
        if q.cue.explain and not _about_a_lesion(q):
            return IntentKind.EXPLAIN_SIGN
        if _about_a_lesion(q) or q.intent is IntentKind.HELP:
            return IntentKind.DESCRIBE
        return None
    return None


def _asks_if_real(q: Query, phrases: Phrases) -> IntentKind | None:
    """Whether a finding is real ("is the left one even real?"), not whether one is there."""
    real = phrases.cue("confidence_real").find(q.text) is not None
    return IntentKind.DESCRIBE if real and q.attribute == "confidence" else None


def _ratio_apart(text: str, phrases: Phrases) -> bool:
    """Whether the CTR is named in a clause that says nothing of an enlarged heart."""
    clauses = _RATIO_CLAUSE.split(text)
    if len(clauses) < 2:
        return False
    ratio, heart = phrases.cue("attribute_ctr"), phrases.cue("kind_cardiomegaly")
    # "cardiomegaly? don't need the CTR, just y/n": a ratio declined is not asked
    return any(
        ratio.find(c) and not heart.find(c) and not _DECLINED.search(c) for c in clauses
    )


# clauses split by punctuation, or by the space a Chinese writer puts between them
_RATIO_CLAUSE = re.compile(
    r"[，,。;；!！?？]|\.(?!\d)|(?<=[\u4e00-\u9fff])\s+|\s+(?=[\u4e00-\u9fff])"
)
_DECLINED = re.compile(
    r"(?<![a-z])(?:don'?t|do not|dont|no need|not|without|skip|never mind)(?![a-z])"
    r"|不用|不需要|不要|不必|别|无需|免了",
    re.IGNORECASE,
)


def _by_request(q: Query, phrases: Phrases) -> IntentKind:
    kind = q.intent
    wrapped = _list_or_presence(q, phrases)
    if wrapped is not None:
        return wrapped
    opening = phrases.cue("open_request").find(q.text) is not None
    opening = opening or _REPORT_ASKED.search(q.text) is not None
    if kind is IntentKind.DESCRIBE and opening and not _names_a_subject(q):
        return IntentKind.SCREENING  # "please describe the findings": the whole film
    if (q.superlative or q.ordinals) and kind in (IntentKind.LIST, IntentKind.HELP):
        # "of all the findings, which is the largest?"; "on your list the third, where?"
        asked = None if q.attribute == "count" else q.attribute
        return _ATTRIBUTE_INTENT.get(asked or "", IntentKind.DESCRIBE)
    specific = kind in (IntentKind.LIST, IntentKind.LOCATION, IntentKind.DESCRIBE)
    if kind is IntentKind.RELATION or specific:
        return kind
    pointed = _points_into_place(q, phrases) or _asks_what_the_patch_is(q, phrases)
    if q.superlative or q.ordinals or pointed:
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
    if kind is IntentKind.SCREENING and q.names_place:
        return IntentKind.PRESENCE  # "LMZ里有什么": what one place holds, not the film
    return kind


# A report asked for, in any register ("报告草稿来一份", "出一个 report 吧", "I'd like a
# formal report"): a verb that makes or asks for one and the report noun, either way round,
# with what describes it between. It is a reading of the film (README, "A report asked
# for"); one dictated with its conclusion ("报告里写...就行") is an instruction, set apart
# before this is read (engine/dialogue/instructions.py).
_REPORT_NOUN = r"(?:报告|印象|(?<![a-z])(?:report|impression|write-?up)s?(?![a-z]))"
_MAKES = r"(?:出具?|写|给|来|起草?|拟|打|做|整|弄|要|生成|准备|搞)"
_REPORT_ASKED = re.compile(
    # the report alone with courtesy words ("report pls", "a quick report, thanks")
    r"^\W*(?:(?:a|the|your|pls|plz|please|ok|now|quick|draft|formal|brief|short|full)\W+)*"
    r"(?:report|impression|write-?up)s?(?:\W+(?:pls|plz|please|thanks|thx|now|asap))*\W*$"
    r"|^\W*(?:请|麻烦)?(?:出)?报告(?:\W*(?:呢|吧|啊|谢谢|谢了))?\W*$|"
    rf"{_MAKES}(?:一?[下个份篇版])?[^，,。；;？?！!]{{0,10}}?{_REPORT_NOUN}"
    rf"|{_REPORT_NOUN}[^，,。；;？?！!]{{0,8}}?{_MAKES}(?:一?[下个份篇版]|稿)"
    rf"|把(?:这份|这个|那份)?{_REPORT_NOUN}[^，,。；;？?！!]{{0,6}}?{_MAKES}"
    # how the report should be written is a request for it ("报告怎么写？", "how would
    # you word the report?"), not a question about writing reports in general
    rf"|{_REPORT_NOUN}[^，,。；;？?！!]{{0,6}}?(?:怎么|怎样|如何)(?:来)?{_MAKES}"
    r"|(?<![a-z])how (?:should|would|do|can|could|to) (?:i |you |we )?"
    r"(?:word|write|phrase|put|draft)\w* (?:up )?(?:the|this|a|my|your|our) "
    r"(?:report|impression|write-?up)s?(?![a-z])"
    r"|(?<![a-z])how (?:should|would|do|can|could|to) (?:the|this|a|my|your|our) "
    r"(?:report|impression)s? (?:be |get )?(?:written|worded|phrased|drafted)"
    r"|(?<![a-z])write (?:this|it|that|the (?:film|study|case|cxr|x-?ray))(?: one)? up"
    r"(?![a-z])"
    r"|(?<![a-z])(?:write|draft|dictate|type|produce|prepare|put(?:ting)? together"
    r"|generat|creat|mak|do|giv|get|need|want|like|compil|compos)\w*(?: \S+){0,3}? "
    r"(?:report|impression|write-?up)s?(?![a-z])",
    re.IGNORECASE,
)


def _film_sign_place(q: Query) -> bool:
    """Only places answered by a whole-film sign are named (a costophrenic angle)."""
    film = load_phrases().place_film_signs
    named = [m for m in q.mentions if m.region_id is not None]
    return bool(named) and not q.kind and all((m.level or "") in film for m in named)


__all__ = [
    "REFUSALS",
    "asks_if_one",
    "sign_name",
]
