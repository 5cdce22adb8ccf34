"""A read question adjusted once its intent is known.

After `_refine` (query_intent) has decided what a question asks, a few rules revise the
reading as a whole: a limit of the tool asked ("its volume?", "HU?") refused with its
reason, a place answered by a whole-film sign described as that sign, stray slots
dropped, the heart as the subject of a size question, a side stated before the question
asked of the other side, the size asked when findings are ordered by size, and a size
bound with no kind bounding the focal findings. They are called by the pipeline in
query.py, in that order, and need only the intent rules below them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from engine.dialogue.limits import asks_a_volume, limit_asked
from engine.dialogue.query_intent import (
    _BY_SIZE,
    _enumerates,
    _film_sign_place,
    sign_name,
)
from engine.dialogue.query_records import Query
from engine.dialogue.query_slots import _kind, _question_start
from engine.intents import IntentKind
from ontology import RegionKind
from ontology.phrases import Phrases, load_phrases


def _without_subject(q: Query) -> bool:
    """Whether a question names no finding, place or rank of its own ("多少", "how big?")."""
    return not (
        q.anchors
        or q.names_place
        or q.kind
        or q.ordinals
        or q.superlative
        or q.profile
        or q.signs
        or q.cue.demonstrative
    )


def _at_a_limit(q: Query, phrases: Phrases) -> Query:
    """A question for what one radiograph cannot give, refused with its reason.

    engine/dialogue/limits.py: a volume, a doubling time, Hounsfield units, a
    differential. An instruction to the engine keeps its own refusal.
    """
    if q.refusal == "injection":
        return q
    limit = limit_asked(q.text, not _without_subject(q), phrases, kind=q.kind)
    if limit is None and q.kind is not None and asks_a_volume(q.text, phrases):
        # "how many ml of effusion?": the size answer says what the film shows instead
        return replace(q, intent=IntentKind.MEASUREMENT, attribute="size", refusal=None)
    if limit is None:
        return q
    return replace(q, intent=IntentKind.OUT_OF_SCOPE, refusal=f"limit_{limit}")


# The readings a question about the tool's limit or the film's spacing falls into.
_ASKS_A_VALUE = (
    IntentKind.OUT_OF_SCOPE,
    IntentKind.MEASUREMENT,
    IntentKind.DESCRIBE,
    IntentKind.PRESENCE,
    IntentKind.SCREENING,
    IntentKind.HELP,
)


def _of_the_tool(q: Query, phrases: Phrases) -> Query:
    """The tool's detection limit or the film's calibration asked: a value, answered.

    "你最小能漏掉多大的结节", "what's your reporting threshold?", "is it calibrated?" are
    answered with the report threshold or the pixel spacing (engine/dialogue/
    conversation.py), so the turn records the value it answered, not a refusal of a
    question off the film; the rank in "the smallest nodule you could miss" names no
    finding on the film. A diagnosis, an instruction or another study stays refused.
    """
    if q.anchors or q.ordinals or q.intent not in _ASKS_A_VALUE:
        return q  # "ignore your threshold and list everything" asks a list
    if q.intent is IntentKind.OUT_OF_SCOPE and q.refusal != "scope_off_topic":
        return q
    if phrases.cue("detection_limit").find(q.text):
        return replace(
            q,
            intent=IntentKind.MEASUREMENT,
            attribute=None,
            superlative=None,
            superlatives=(),
            refusal=None,
        )
    if q.intent is IntentKind.OUT_OF_SCOPE and phrases.cue("calibration_asked").find(
        q.text
    ):
        return replace(q, intent=IntentKind.MEASUREMENT, refusal=None)
    return q


# a request asked, not given: a question's mark or particle, or leave asked ("can I",
# "能不能"); "结论一律写阴性", "就报阴性" tell the tool what to write
_ASKED = re.compile(
    r"(?:吗|么|嘛|不|没|否)\s*[?？]?\s*$|[?？]\s*$|能不能|可不可以|可否|行不行"
    r"|(?<![a-z])(?:can|could|may|should|shall) (?:i|we)(?![a-z])",
    re.IGNORECASE,
)


def _verdict_asked(q: Query, phrases: Phrases) -> Query:
    """Whether the film may be reported negative, asked with no subject: the read.

    "能报阴性吗", "can I call this negative?", "可以写阴性不" name nothing on the film, so
    they read as off topic, or, with 写 / 报, as an instruction to write "negative"; they
    ask the whole film's verdict, answered as "is the film normal?" is, with its hedge
    (engine/dialogue/handlers/findings.py `_asks_verdict`).
    """
    if q.intent is not IntentKind.OUT_OF_SCOPE:
        return q
    if q.refusal not in ("scope_off_topic", "injection"):
        return q
    if not asks_to_call_negative(q.text, phrases):
        return q
    return replace(q, intent=IntentKind.SCREENING, refusal=None)


def asks_to_call_negative(text: str, phrases: Phrases) -> bool:
    """Whether the reader asks leave to call the film negative or normal ("能报阴性吗")."""
    found = phrases.cue("negative_asked").find(text)
    return bool(found) and _ASKED.search(text.strip()) is not None


def _ground_glass_counted(q: Query, phrases: Phrases) -> Query:
    """Ground glass as the findings counted or looked for, not a finding's density.

    "ground glass 超过5mm的有几个", "磨玻璃大于1公分的有没有", "ground glass, how many?":
    no finding is named for it to describe, so the ground glass is what is counted or
    asked to exist (an opacity), as "any ground glass?" is; "is A1 ground glass?",
    "ground glass or solid, A2?" still ask a finding's density.
    """
    if q.attribute != "density" or q.kind not in (None, "lesion"):
        return q
    if q.anchors or q.ordinals or q.superlative or q.cue.demonstrative:
        return q
    rest = _GROUND_GLASS.sub(" ", q.text)
    if rest == q.text or phrases.cue("attribute_density").find(rest):
        return q  # "磨玻璃密度还是实性": a density asked in other words too
    if phrases.cue("attribute_count").find(rest):
        return replace(q, kind="opacity", attribute="count")
    if q.intent in (IntentKind.PRESENCE, IntentKind.LIST):
        return replace(q, kind="opacity", attribute=None)
    if q.sized and q.intent in _LOOSE:
        # "磨玻璃超过1公分的有吗", "ground glass over 1cm?": a size bound puts it among
        # the findings (no sign is explained by its size), asked to exist
        return replace(q, kind="opacity", attribute=None, intent=IntentKind.PRESENCE)
    return q


_LOOSE = (
    IntentKind.DESCRIBE,
    IntentKind.SCREENING,
    IntentKind.HELP,
    IntentKind.EXPLAIN_SIGN,
)


# ground glass named without the opacity word after it (which names the kind already)
_GROUND_GLASS = re.compile(r"(?i)(?<![a-z])ground[- ]?glass(?![a-z])|磨玻璃(?!样?影)")


def _film_sign_described(q: Query) -> Query:
    """A place answered by a whole-film sign, described: that sign, on that place.

    "tell me about the right costophrenic angle", "说说左侧肋膈角": the angle is what is
    described (its measured sign), not a lesion looked for inside it; so is "肋膈角怎么样",
    read as an open request, not a read of the whole film.
    """
    if q.intent not in (IntentKind.DESCRIBE, IntentKind.SCREENING):
        return q
    if q.attribute is not None:
        return q
    if q.anchors or q.ordinals or q.superlative or q.cue.focal_noun:
        return q
    film = load_phrases().place_film_signs
    # the angles with no side have no region of their own ("肋膈角怎么样"): both asked
    both = bool(q.mentions) and all((m.level or "") in film for m in q.mentions)
    if _film_sign_place(q) or (both and not q.kind):
        return replace(q, intent=IntentKind.PRESENCE)
    return q


def _size_ordered(q: Query) -> Query:
    """The size asked when findings are compared by rank or listed in order of size."""
    listed = q.intent is IntentKind.LIST and q.attribute is None
    if listed and _BY_SIZE.search(q.text):
        return replace(q, attribute="size")  # "从大到小列一下": listed by size
    ranked = _sizes_ranked(q) or _ranked_by_size(q)
    if q.intent is IntentKind.COMPARE and ranked:
        return replace(q, attribute="size")  # "最大的和最小的差多少": their sizes
    return q


def _without_stray_slots(q: Query, phrases: Phrases) -> Query:
    """A question's slots less the words that, read as a whole, ask nothing of their own."""
    named = sign_name(q.text) if q.intent is IntentKind.EXPLAIN_SIGN else None
    if named and q.kind is not None:
        # "剪影征到底咋理解": the 影 of the sign's name names no opacity on the film
        q = replace(q, kind=_kind(q.text.replace(named, " "), phrases))
    ordered = q.attribute == "size" and _BY_SIZE.search(q.text) is not None
    if q.attribute in ("size", "location") and _enumerates(q, phrases) and not ordered:
        # "位置大小都要", "with where and how big": what each listed line gives anyway
        q = replace(q, attribute=None)
    return q


_OPEN_ABOUT = (
    IntentKind.DESCRIBE,
    IntentKind.PRESENCE,
    IntentKind.SCREENING,
    IntentKind.HELP,
)


def _the_heart_as_subject(q: Query) -> Query:
    """The heart described or asked about as a whole is its size, the one fact read of it.

    "描述一下心影", "how does the heart look", "what about the heart?": no finding,
    anchor or rank is named, so no lesion is meant; the engine measures the heart by
    the cardiothoracic ratio and says whether it suggests enlargement. So is the heart's
    outline assessed ("心影轮廓评估一下", "assess the cardiac contour"): with no lesion
    named, the margin word is the heart's, the silhouette the ratio is measured on.
    """
    heart = [m for m in q.mentions if m.kind is RegionKind.HEART]
    if (
        not heart
        or len(heart) != len(q.mentions)
        or q.intent not in _OPEN_ABOUT
        or q.kind is not None
        or q.attribute not in (None, "size", "margin")
        or q.anchors
        or q.ordinals
        or q.superlative
        or q.signs
        or q.profile
        or q.cue.demonstrative
    ):
        return q
    focal = q.cue.focal_noun
    if focal and not any(focal.lower() in m.text.lower() for m in heart):
        return q  # "描述一下心影旁的结节": a finding beside the heart is meant
    if load_phrases().cue("unassessed_structure").find(q.text):
        return q  # "心影形态，有没有靴形心": its shape, which is not measured
    return replace(q, intent=IntentKind.PRESENCE, kind="cardiomegaly", attribute=None)


def _of_the_stated(
    q: Query, intent: IntentKind, premised: bool, phrases: Phrases
) -> IntentKind:
    """The intent of a question asked of the other side of a stated one.

    "This side (L) has the mass, the other lung?": "the mass" is the finding just stated,
    asked of the other side yes or no, not a lesion pointed at to be described. So is
    a finding stated with a degree word ("左边气胸比较明显 右边有没有": 比较 says how
    plain it is, nothing is compared) or under a profile's name in the history ("had
    pneumonia last year. Now there's consolidation on the right. Other side clear?").
    """
    one = q.anchors or q.ordinals or q.superlative or q.attribute
    defined = phrases.cue("explain_strong").find(q.text) is not None
    if premised and intent is IntentKind.EXPLAIN_SIGN and not (one or defined):
        # "左肺门增大，右侧肺门呢", "big left effusion, whats going on on the right": the
        # sign stated of one side is asked of the other, yes or no; its meaning is not
        # asked unless in so many words ("...是什么意思")
        return IntentKind.PRESENCE
    if not premised or q.kind is None or one:
        return intent
    if intent is IntentKind.DESCRIBE:
        return IntentKind.PRESENCE
    if intent is IntentKind.PROFILE and IntentKind.PROFILE not in q.cue.hits:
        return IntentKind.PRESENCE  # the profile named, no checklist asked
    if intent is IntentKind.COMPARE and not _compares_in_ask(q.text, phrases):
        return IntentKind.PRESENCE
    if intent is IntentKind.LIST and not _lists_in_ask(q, phrases):
        # "GGO in the LUZ noted, anything similar contralaterally": the stated finding
        # with its place reads like a search's noun phrase, but the clause after it asks
        # whether the other side holds one, yes or no
        return IntentKind.PRESENCE
    return intent


def _lists_in_ask(q: Query, phrases: Phrases) -> bool:
    """Whether the asked clause, after the statement, asks for a list itself.

    "左侧有积液，对侧有哪些结节", "right effusion noted, list the nodules on the left": the
    ask's own list or which-ones words; a count asked is a list as well.
    """
    if IntentKind.LIST in q.cue.hits or q.attribute == "count":
        return True
    start = _question_start(q.text)
    asked = q.text[start:] if start > 0 else q.text
    return any(
        phrases.cue(n).find(asked) for n in ("which_ones", "universal", "request_verb")
    )


def _compares_in_ask(text: str, phrases: Phrases) -> bool:
    """Whether the asked clause, after the statement, compares."""
    start = _question_start(text)
    asked = text[start:] if start > 0 else text
    return any(
        phrases.cue(n).find(asked)
        for n in ("compare", "comparative", "comparative_sides")
    )


def _sized_focal(q: Query) -> Query:
    """A size bound with no kind ("anything under 5 mm?") bounds the focal findings.

    Set after the merge, so "那小于5毫米的呢" after a nodule question keeps the nodule.
    """
    if not q.sized:
        return q
    one = q.anchors or q.ordinals or q.superlative
    if q.intent is IntentKind.LOCATION and q.attribute is None and not one:
        # "show me everything bigger than 2 cm": no place asked ("where"), the bounded
        # findings shown, listed
        q = replace(q, intent=IntentKind.LIST)
    loose = q.intent in (IntentKind.SCREENING, IntentKind.HELP, IntentKind.PRESENCE)
    if loose and q.kind is None and _wants_those(q):
        q = replace(q, intent=IntentKind.LIST)  # "1公分以下的有哪些": those, listed
    elif q.intent in (IntentKind.SCREENING, IntentKind.HELP):
        # "anything under 5 mm?", "nodes over a cm": whether any is there, never the menu
        q = replace(q, intent=IntentKind.PRESENCE)
    return q if q.kind is not None else replace(q, kind="lesion")


def _wants_those(q: Query) -> bool:
    """The bounded findings asked for themselves: "有哪些", or "只要3毫米以上的" (no yes/no)."""
    phrases = load_phrases()
    if phrases.cue("which_ones").find(q.text):
        return True
    only = phrases.cue("restriction").find(q.text) is not None
    return only and phrases.cue("yes_no").find(q.text) is None


def _sizes_ranked(q: Query) -> bool:
    """Findings ranked by size against each other, no other attribute asked."""
    return (
        bool(q.superlatives)
        and q.attribute is None
        and ("most_suspicious" not in q.superlatives)
    )


def _ranked_by_size(q: Query) -> bool:
    """Named findings ranked by a size rank ("A1 A2跟A3哪个最大", "of A1-A3 the smallest")."""
    named = len(q.anchors) >= 2 or len(q.ordinals) >= 2
    return named and q.attribute is None and q.superlative in ("largest", "smallest")
