"""Intent rules for a question that names findings without a verb that says what it asks.

"右肺有哪些结节", "any nodules?", "what's that patch in the left base?", "the nodules in
the right lung": a list asked in other words (which ones, one place alone, described
findings), a yes/no asked (whether any is there), what a pointed patch is, and the intent
a question falls back on when it names a subject and nothing else. `_by_request`
(query_intent) asks these rules after its own; they read one question on its own, with
the cue-to-intent table (`_ATTRIBUTE_INTENT`) that the merge of a follow-up also uses.
"""

from __future__ import annotations

import re

from engine.dialogue.query_records import Query
from engine.intents import IntentKind
from ontology.phrases import Phrases

# Attributes and the intent a question about them has when it is not a yes/no.
_ATTRIBUTE_INTENT = {
    "size": IntentKind.MEASUREMENT,
    "ctr": IntentKind.MEASUREMENT,
    # a distance is one computed value (a measurement); a relation asks whether things connect
    "distance": IntentKind.MEASUREMENT,
    "connection": IntentKind.RELATION,
    "calcification": IntentKind.DESCRIBE,
    "margin": IntentKind.DESCRIBE,
    "density": IntentKind.DESCRIBE,
    "shape": IntentKind.DESCRIBE,
    "count": IntentKind.LIST,
    "location": IntentKind.LOCATION,
    # how sure the detector is of one finding: said of that finding
    "confidence": IntentKind.DESCRIBE,
}


def _list_or_presence(q: Query, phrases: Phrases) -> IntentKind | None:
    """A list or a yes/no asked in other words: which ones, whether any, one place alone."""
    if _lists_which(q, phrases) or _names_findings(q, phrases):
        return IntentKind.LIST
    if _asks_existence(q, phrases):
        return IntentKind.PRESENCE
    if _lists_one_place(q, phrases) or _lists_described(q):
        return IntentKind.LIST
    return None


def _lists_one_place(q: Query, phrases: Phrases) -> bool:
    """What one place holds, asked of that place alone: a list of its findings.

    "仅看左肺 说说所见", "just the right lung, what have you got": not a yes or no.
    """
    if not q.names_place or q.attribute is not None or q.cue.demonstrative:
        return False
    if q.intent not in (IntentKind.SCREENING, IntentKind.LOCATION, IntentKind.HELP):
        return False
    if q.kind not in (None, "lesion", "nodule", "mass", "opacity"):
        return False
    restricted = phrases.cue("restriction").find(q.text) is not None
    return restricted and phrases.cue("yes_no").find(q.text) is None


def _lists_which(q: Query, phrases: Phrases) -> bool:
    """The findings of a kind asked for themselves ("有哪些结节", "what opacities are there").

    Not yes or no: which ones there are, listed. "show me what you found" is no place question.
    """
    if q.anchors or q.ordinals or q.superlative or not _lists_in_place(q):
        return False
    if phrases.cue("which_ones").find(q.text) is None:
        return False
    if q.kind is None:
        # "左肺有哪些异常", "what findings are there in the right lung": which abnormal
        # ones there are, listed; "有什么发现" (what is seen, said openly) is the read
        which = phrases.cue("which_ones").find(_OPEN_WHAT.sub(" ", q.text))
        abnormal = phrases.cue("abnormal_place").find(q.text) is not None
        return q.intent is IntentKind.LOCATION or bool(abnormal and which)
    return q.kind in _FOCAL


_FOCAL = frozenset({"lesion", "nodule", "mass", "opacity", "consolidation"})
_OPEN_WHAT = re.compile(r"有(?:什么|啥|些什么|些啥)")


def _lists_in_place(q: Query) -> bool:
    """No attribute asked, or "sit in" / "are located in" a place named: which are there.

    "which masses sit in the left lung" lists; "which zone is the mass in" asks a place.
    """
    if q.attribute is None:
        return True
    return (
        q.attribute == "location" and q.names_place and not _ASKS_PLACE.search(q.text)
    )


# words that ask for a place itself, not for what a named place holds
_ASKS_PLACE = re.compile(
    r"哪里|哪儿|在哪|位置|哪[侧边叶个]|(?<![a-z])(?:where|which (?:zone|lobe|side|lung|part))",
    re.IGNORECASE,
)


def _names_findings(q: Query, phrases: Phrases) -> bool:
    """Findings named as a noun phrase, as one types a search: the ones that fit, listed.

    "左肺中野外带大于半厘米的结节", "nodules in the outer third of both lungs", "1-2cm之间的
    lesion": a kind with a place or a size bound and nothing else asked, no yes or no, no
    question mark ("nodules over 1 cm?" asks whether any are there).
    """
    if q.kind not in _FOCAL or not (q.names_place or q.sized):
        return False
    if q.attribute or q.anchors or q.ordinals or q.superlative:
        return False
    if q.intent not in _NOUN_PHRASE or q.cue.explain or _ASKED.search(q.text):
        return False
    # "lesions that are 15 mm or more": a relative "that" points at nothing
    text = _RELATIVE.sub(" ", q.text)
    asked = ("yes_no", "existential", "wh_question", "demonstrative")
    return not any(phrases.cue(name).find(text) for name in asked)


# what the cue words make of a noun phrase: nothing asked, or a sign's name alone
_NOUN_PHRASE = frozenset(
    {
        IntentKind.SCREENING,
        IntentKind.HELP,
        IntentKind.PRESENCE,
        IntentKind.EXPLAIN_SIGN,
    }
)
_RELATIVE = re.compile(
    r"(?<![a-z])(?:that|which)(?= (?:are|is|were|was|measure))", re.I
)
# a question mark, or words that make a noun phrase a question or a statement; "whether"
# and "if" open a yes/no question embedded in a request ("confirm whether the other lung
# is clear", "check if the right base has consolidation")
_ASKED = re.compile(
    r"[?？]|(?<![a-z])(?:i|we|you|there|whether|if)(?![a-z])|有|见|没|是|呢", re.I
)


def _lists_described(q: Query) -> bool:
    """A description asked one finding at a time ("逐条讲讲所见") is a list."""
    wanted = (IntentKind.DESCRIBE, IntentKind.SCREENING)
    if q.attribute is not None or q.anchors or q.ordinals or q.superlative:
        return False  # "describe #5 from your list": one finding
    return IntentKind.LIST in q.cue.hits and q.intent in wanted


def _points_into_place(q: Query, phrases: Phrases) -> bool:
    """A thing pointed at in a place, not asked yes or no, is described ("看下左边上面那块")."""
    if q.intent is not IntentKind.HELP or q.kind or not q.names_place:
        return False
    if phrases.cue("existential").find(q.text):
        return False  # "I think there's something in the right upper zone": is it there
    return q.cue.demonstrative and phrases.cue("yes_no").find(q.text) is None


# "是什么", "是个啥", "what is that": what a thing pointed at is
_WHAT_IT_IS = re.compile(
    r"是(?:个|一个|些)?(?:什么|啥|咩)(?:东西|玩意儿?)?\W*$"
    r"|(?<![a-z])what(?:'s| is| are)? (?:that|this|those|these)(?![a-z])",
    re.IGNORECASE,
)


def _asks_what_the_patch_is(q: Query, phrases: Phrases) -> bool:
    """A patch pointed at in plain words and asked what it is is described.

    "右边那块白白的是啥", "那个白乎乎的一大块是个啥": 那块 / 那个 points at one thing and
    是什么 asks what it is, as "右边那个阴影是什么" does (a sign's name reads so already);
    "有没有白白的一团" asks whether there is one, yes or no.
    """
    if q.intent is not IntentKind.HELP or q.kind not in _PATCH_KINDS:
        return False
    if not q.cue.demonstrative or phrases.cue("yes_no").find(q.text) is not None:
        return False
    if phrases.cue("existential").find(q.text):
        return False
    return _WHAT_IT_IS.search(q.text) is not None


_PATCH_KINDS = frozenset({"opacity", "nodule", "mass", "lesion", "consolidation"})


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
