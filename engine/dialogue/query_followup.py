"""Follow-ups that ask something of their own about the previous turn.

A question may look like an elliptical follow-up and yet ask another thing: the same
question of another subject (`_again`: "and A3?", "the other one?", "both sides?"), a
correction of the previous turn's subject ("no, the left one"), a question about the
last answer ("why?", "what's the cut-off?", "how is that judged?"), the checklist item
asked off a profile, a zone one step up or down ("再往下呢"), or the kind of the list
just given. These rules decide those cases before plain ellipsis (query_ellipsis), whose
merge they reuse, and the pipeline in query.py calls them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from engine.dialogue.query_ellipsis import (
    _FILM_QUESTIONS,
    _OF_A_SUBJECT,
    _SIDE_WORD,
    _WHOLE,
    _bare_word,
    _clear_then_other_side,
    _merge,
    _only_slots,
    _ranks_over_nothing,
)
from engine.dialogue.query_intent import _EITHER_ANSWER, REFUSALS, asks_same_lesion
from engine.dialogue.query_listing import _FOCAL
from engine.dialogue.query_records import (
    _PLACE_KEYS,
    _REPEATABLE,
    DialogueState,
    Query,
    TurnRecord,
)
from engine.dialogue.query_slots import _ZONES, _opposite
from engine.dialogue.subjects import another_subject, points_by_place
from engine.intents import IntentKind
from ontology.phrases import Phrases, load_phrases


def _leant_on(q: Query, previous: TurnRecord | None) -> TurnRecord | None:
    """The turn a follow-up may lean on; None when it names another kind of subject.

    "CP angles?" after "heart size?", "back to A1": a question of its own, which
    inherits nothing of the turn before (engine/dialogue/subjects.py).
    """
    if previous is None or another_subject(q, previous.query):
        return None
    return previous


def _asks_how_the_value_is_judged(
    q: Query, previous: TurnRecord, phrases: Phrases
) -> bool:
    """A method or cut-off asked with no subject, after the CTR was given.

    "what's the cut-off?", "界值是多少？", "how is it measured?" name nothing on the film
    and so read as off topic alone; after a turn that gave the cardiothoracic ratio (the
    ratio asked, or whether the heart is enlarged, which the ratio answers) they ask how
    that ratio is measured and judged. An instruction, another study, or a
    question that names something keeps its own reading.
    """
    heart = previous.query.attribute == "ctr" or previous.query.kind == "cardiomegaly"
    if not heart or q.names_something:
        return False
    off_topic = q.intent is IntentKind.OUT_OF_SCOPE and q.refusal == "scope_off_topic"
    if not (off_topic or q.intent is IntentKind.HELP):
        return False  # "界值呢？" alone reads as a request for help
    return phrases.cue("method_asked").find(q.text) is not None


def _of_the_last_answer(
    q: Query, previous: TurnRecord, phrases: Phrases
) -> Query | None:
    """A question about the last answer itself: how its value is judged, or why."""
    if _asks_how_the_value_is_judged(q, previous, phrases):
        # "what's the cut-off?" after the CTR: the ratio with its method and its bands
        return replace(
            q,
            intent=IntentKind.MEASUREMENT,
            attribute="ctr",
            refusal=None,
            ellipsis=True,
        )
    if _place_after_one_or_two(q, previous, phrases):
        # "and the right lung?" after "are they the same thing?": what that place
        # holds; one lesion or two is no question to repeat of a place
        return replace(q, intent=IntentKind.PRESENCE, refusal=None, ellipsis=True)
    if _asks_one_or_two(q, phrases):
        # "are they the same thing?" after a list: the findings in question, one lesion
        # or two, not the last question again
        return replace(q, intent=IntentKind.COMPARE, refusal=None, ellipsis=False)
    return _why_of_the_last(q, previous, phrases)


def _place_after_one_or_two(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """A bare place asked after a one-lesion-or-two question ("右边呢")."""
    before = previous.query
    if before.intent is not IntentKind.COMPARE or not asks_same_lesion(before, phrases):
        return False
    if not q.names_place or q.kind or q.attribute or q.anchors or q.ordinals:
        return False
    return q.intent in (IntentKind.PRESENCE, IntentKind.HELP) and q.refusal is None


def _asks_one_or_two(q: Query, phrases: Phrases) -> bool:
    """Whether a follow-up asks if the findings in question are one lesion or two."""
    if q.names_place or q.refusal not in (None, "scope_off_topic"):
        return False
    if q.kind not in (None, "lesion", "nodule", "mass", "opacity"):
        return False
    if len(q.superlatives) >= 2:
        return False  # "is the largest also the most suspicious?": asks_if_one
    return phrases.cue("same_lesion_followup").find(q.text) is not None


def _why_of_the_last(q: Query, previous: TurnRecord, phrases: Phrases) -> Query | None:
    """A "why?" or "为什么这么说" after an answer: the reasons for what that answer said.

    Named nothing, the question reads alone as off topic (or as a request for help);
    after the cardiothoracic ratio it asks how that value was reached (the ratio, its
    widths and bands), after a finding the evidence for it (that finding described).
    Anything else stays as it was read.
    """
    if q.names_something or not phrases.cue("why_followup").find(q.text):
        return None
    off_topic = q.intent is IntentKind.OUT_OF_SCOPE and q.refusal == "scope_off_topic"
    if not (off_topic or q.intent is IntentKind.HELP):
        return None
    before = previous.query
    if before.attribute == "ctr" or before.kind == "cardiomegaly":
        return replace(
            q,
            intent=IntentKind.MEASUREMENT,
            attribute="ctr",
            refusal=None,
            ellipsis=True,
        )
    if before.kind in phrases.kind_film_signs:
        return None  # an effusion's "why" is its angles: not a lesion to describe
    if previous.subject_ids or before.anchors:
        return replace(
            q, intent=IntentKind.DESCRIBE, refusal=None, anchors=before.anchors
        )
    if before.names_place and not previous.place_empty:
        # "what's in the right lung?" then "why?": the finding of that place
        return replace(
            q,
            intent=IntentKind.DESCRIBE,
            refusal=None,
            **{k: getattr(before, k) for k in _PLACE_KEYS},
        )
    return None


def _same_question_of_another(q: Query, previous: TurnRecord) -> bool:
    """The previous question about an anchor asked again, whole, of another anchor.

    "A4 calcified 不" after "is A2 calcified", "A3的边缘光滑吗" after "A1边缘光滑吗": the
    question repeats with one slot changed, so it is a follow-up, however completely said.
    """
    before = previous.query
    if q.ellipsis:
        return True
    if not before.anchors or len(q.anchors) != 1:
        return False
    if q.anchors[0] in before.anchors or q.attribute is None:
        return False
    if q.ordinals or q.superlative or q.kind or q.names_place:
        return False
    return q.attribute == before.attribute and q.intent is before.intent


def _off_the_checklist(
    q: Query, previous: TurnRecord, phrases: Phrases
) -> Query | None:
    """A follow-up to a checklist turn that leaves the checklist.

    "还有别的吗", "anything else?" after "符合早期肺癌几条": the other findings, listed;
    "右边呢", "肺门呢", "what about the hila?": what that place holds, not the checklist
    again. A criterion, profile, sign, id, position or rank named stays with it (None).
    """
    if previous.query.intent is not IntentKind.PROFILE:
        return None
    if q.profile or q.signs or q.anchors or q.ordinals or q.superlative:
        return None
    if q.attribute or q.intent is IntentKind.OUT_OF_SCOPE:
        return None
    if phrases.cue("anything_else").find(q.text) is not None:
        return replace(q, intent=IntentKind.LIST, refusal=None, ellipsis=False)
    if q.cue.demonstrative or q.cue.focal_noun:
        return None  # "右边那个呢": a finding, asked of the checklist
    if (q.names_place or q.mentions) and _only_slots(q):
        return replace(q, intent=IntentKind.PRESENCE, refusal=None, ellipsis=False)
    return None


def _listed_before(q: Query, previous: TurnRecord, phrases: Phrases) -> Query:
    """A list asked with no object of its own lists what the previous question asked of.

    "列出来看看", "list them", "把它们都报一下" after "有几个结节" or "any masses on the
    left?": those findings, of that kind and place, so a position asked next counts them.
    """
    before = previous.query
    if before.kind not in _FOCAL or q.refusal not in (None, "scope_off_topic"):
        return q
    if before.intent not in (IntentKind.LIST, IntentKind.PRESENCE):
        return q
    # "go through them", "把它们说一下": a request whose object points back at them
    pointed = phrases.cue("request_verb").find(q.text) and phrases.cue(
        "plural_pronoun"
    ).find(q.text)
    if q.intent is not IntentKind.LIST and not pointed:
        return q
    if q.kind or q.names_place or q.sized or q.anchors or q.ordinals or q.superlative:
        return q
    if q.cue.focal_noun or phrases.cue("abnormal_place").find(q.text):
        return q  # "list all findings": every finding, whatever was asked before
    place = {k: getattr(before, k) for k in (*_PLACE_KEYS, "hilum")}
    return replace(
        q,
        intent=IntentKind.LIST,
        refusal=None,
        kind=before.kind,
        min_mm=before.min_mm,
        max_mm=before.max_mm,
        **place,
    )


# A zone one step up or down from the previous question's: "再往下呢", "往上一个肺野",
# "one zone down?", "and the zone above"
_ZONE_STEP = re.compile(
    r"(?:再|更)?往(?P<zh>[上下])(?![说讲写聊念读做])(?:一(?:个|点))?(?:的?肺?野)?"
    r"|(?:再|更)(?P<zh2>[上下])面(?:一(?:个|点))?(?:的?肺?野)?"
    r"|(?P<zh3>[上下])一(?:个)?(?:的?肺?野)"
    r"|(?<![a-z])(?:(?:one|a) zone (?P<en>up|down|higher|lower)"
    r"|(?:the )?(?:next )?zone (?P<en2>above|below|up|down)"
    r"|(?:one|a) (?P<en3>up|down)|(?:go|move|step) (?P<en4>up|down)(?: (?:a|one) zone)?"
    r"|(?:higher|further|more) (?P<en5>up)|(?:lower|further) (?P<en6>down))"
    r"(?![a-z])",
    re.IGNORECASE,
)
_ZONE_NAMED = re.compile(
    r"[上中下]肺?野|肺尖|肺底|(?<![a-z])(?:upper|mid|middle|lower|apex|apical|base|basal)(?![a-z])",
    re.IGNORECASE,
)

_ZONE_WORD = {"upper": "上野", "middle": "中野", "lower": "下野"}


def _stepped_zone(text: str, previous: TurnRecord | None) -> str:
    """The question with a step up or down said as the zone it reaches."""
    zone = None if previous is None else previous.query.zone
    match = _ZONE_STEP.search(text) if zone else None
    if match is None or zone is None:
        return text
    if _ZONE_NAMED.search(text[: match.start()] + " " + text[match.end() :]):
        # "往上一点 上野", "higher up, upper zone": the zone named is meant, the step
        # words only lead to it
        return text[: match.start()] + " " + text[match.end() :]
    said = next(g for g in match.groups() if g).lower()
    step = -1 if said in ("上", "up", "higher", "above") else 1
    reached = _ZONES.index(zone) + step
    if not 0 <= reached < len(_ZONES):
        return text  # nothing above the upper zone or below the lower one
    return text[: match.start()] + _ZONE_WORD[_ZONES[reached]] + text[match.end() :]


def _kind_of_list(q: Query, previous: TurnRecord) -> Query:
    """A position counted in the list just given is a finding of the kind listed.

    "第三颗有钙化吗" after "列出所有结节", "where's the first" after "list the nodules":
    the third nodule; a position after a position ("第二个呢") keeps the kind too.
    """
    before = previous.query
    # "lesion #4 margins" after "list all nodules": "lesion" is any focal finding, so
    # the kind listed says which one
    generic = q.kind in (None, "lesion")
    if not q.ordinals or not generic or q.anchors or before.kind not in _FOCAL:
        return q
    if before.intent is IntentKind.LIST or before.ordinals:
        return replace(q, kind=before.kind)
    return q


def _subject_before(
    state: DialogueState, previous: TurnRecord | None
) -> tuple[str, ...]:
    """The anchors of the turn before the previous one ("A1多大", "A2多大", then "哪个更大")."""
    records = [r for r in state.records if r.query.intent in _REPEATABLE]
    if previous is None or len(records) < 2 or records[-1] is not previous:
        return ()
    return records[-2].query.anchors


def _again(
    q: Query, previous: TurnRecord, phrases: Phrases, earlier: tuple[str, ...] = ()
) -> Query | None:
    """The previous question asked again in a way the general follow-up rules miss.

    "确定?" / "you sure?" (asked again), "不对 我说的是右边" / "left side looks clear to me"
    (asked again of that place), "比A2大吗" after a question about A1 (compared with it),
    "它多少毫米" after one about A2 (the same subject), "哪个最大" after "右上肺那些结节"
    (ranked among those); "compare it with the left side" (right against left).
    """
    if any(phrases.cue(n).find(q.text) for n in REFUSALS):
        return None
    side_by_side = _side_by_side(q, previous, phrases)
    if side_by_side is not None:
        return side_by_side
    if _confirms(q, phrases):
        return _merge(previous, q)
    compared = _compared_with_previous(q, previous, phrases, earlier)
    if compared is not None:
        return compared
    if _clear_then_other_side(q, phrases) and not _restates_place(q, previous, phrases):
        return (
            None  # "左边没事，右边呢" after a lesion's size: the other side's findings
        )
    if _restates_place(q, previous, phrases):
        # "不是右侧 是左侧", "not the left, the right": the side said last is meant
        side = _last_side(_TAG.sub("", q.text)) if q.side == "both" else q.side
        return _merge(previous, replace(q, side=side))
    if _corrects_subject(q, previous, phrases):
        return _merge(previous, replace(q, **_corrected(q, previous)))
    if _names_another_subject(q, previous, phrases) or points_by_place(
        q, previous.query
    ):
        # "and the one on the left?" after "how big is A1?": the same, of that one
        return _of_another_subject(previous, q)
    if _one_side_of_a_sign(q, previous):
        return _merge(previous, q)  # "左边那个是不是钝了" after "两侧肋膈角呢"
    if _ranks_previous(q, previous) and not _ranks_over_nothing(q, previous):
        return _merge(previous, q)
    if _same_subject(q, previous):
        return _merge(previous, q)
    return None


def _side_by_side(q: Query, previous: TurnRecord, phrases: Phrases) -> Query | None:
    """A comparison asked again of what is already on the table, or None.

    "compare it with the left side" (right against left); "compare with the other one"
    (the findings set side by side, not the other lung's: a place carried from the last
    turn would leave one to compare).
    """
    if _against_the_other_side(q, previous, phrases):
        return replace(q, intent=IntentKind.COMPARE, side="both")
    if _with_the_other_one(q, phrases):
        return replace(q, intent=IntentKind.COMPARE, other_side=False, refusal=None)
    return None


def _one_side_of_a_sign(q: Query, previous: TurnRecord) -> bool:
    """One of the places just asked about by a whole-film sign, picked by its side.

    "左边那个是不是钝了", "is the one on the left blunted?" after "CP angles?": the angle on
    that side, whatever else is said of it; not a lung whose findings are asked.
    """
    before = previous.query
    film = load_phrases().place_film_signs
    signs = [m for m in before.mentions if (m.level or "") in film]
    if before.intent is IntentKind.COMPARE or before.kind or not signs:
        return False
    if q.anchors or q.ordinals or q.superlative or q.mentions or q.kind:
        return False
    if q.zone or q.band or q.lobe or q.side not in ("right", "left"):
        return False
    return _ONE_OF_THEM.search(q.text) is not None


_ONE_OF_THEM = re.compile(
    r"(?<![a-z])(?:the|that|(?:left|right)) one(?![a-z])|那个|那侧|那边", re.IGNORECASE
)


def _confirms(q: Query, phrases: Phrases) -> bool:
    """Only a request to be sure ("确定?", "are you sure?", "really?"), nothing named."""
    if phrases.cue("confirm_again").find(q.text) is None:
        return False
    return not (q.names_something or q.other_side)


def _restates_place(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """A correction or a statement about a place, after a question about what it holds.

    "不对 我要问的是右边", "sorry, I meant the left", "left side looks clear to me": only
    places, kinds and the words of a correction or of "looks clear" are said.
    """
    if previous.query.intent not in _FILM_QUESTIONS | {IntentKind.LOCATION}:
        return False
    if not q.names_place or q.anchors or q.ordinals or q.superlative or q.attribute:
        return False
    said = [t for t in ("correction", "looks_clear") if phrases.cue(t).find(q.text)]
    if not said:
        return False
    kinds = tuple(f"kind_{k}" for k in phrases.kind_order)
    return _only_slots(q, extra=(*said, "restriction", *kinds))


# "left one looks ok, right?": a tag question at the end, no side
_TAG = re.compile(r"[,\s]+right\s*[?？]?\s*$", re.IGNORECASE)


def _corrects_subject(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """A correction that names another finding: "打错了，是A4", "sorry I meant the third".

    The previous question asked of one finding, this one names another (an anchor or a
    position) with the words of a correction and nothing else: the same question of it.
    """
    before = previous.query
    if not (q.anchors or q.ordinals) or not (before.anchors or before.ordinals):
        return False
    if phrases.cue("correction").find(q.text) is None:
        return False
    # "改成 A1 到 A4", "make it A2 and A5": the words joining two anchors are no words
    # of their own (blanked to their length, so the places found still line up)
    joined = _ANCHOR_JOIN.sub(lambda m: " " * len(m.group(0)), q.text)
    return _only_slots(replace(q, text=joined), extra=("correction", "filler"))


def _names_another_subject(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """A correction that names only another finding, by rank or side, after one about one.

    "不对，我说的是大的那个" after "左边那个离肺门多远", "no, I meant the left one" after
    "how far from the hilum in mm?": the words of a correction, a rank or a side, and
    nothing asked of its own; the last question was asked of a finding (or of one it
    could not tell apart, and asked which).
    """
    before = previous.query
    if before.intent not in _OF_A_SUBJECT:
        return False
    if not (q.superlative or q.side or q.anchors or q.ordinals):
        return False
    if q.attribute or q.signs or q.profile or q.intent in _WHOLE:
        return False
    if phrases.cue("correction").find(q.text) is None:
        return False
    ranks = tuple(f"superlative_{r}" for r in _RANK_TABLES)
    kinds = tuple(f"kind_{k}" for k in phrases.kind_order)
    return _only_slots(q, extra=(*ranks, "correction", "filler", *kinds))


_RANK_TABLES = ("largest", "smallest", "most_suspicious")


def _of_another_subject(previous: TurnRecord, q: Query) -> Query:
    """The last question again, of the finding the correction names instead.

    A rank or id names the finding on its own, so the place asked before goes; a side
    names it by place, so the rank or id asked before goes.
    """
    merged = _merge(previous, q)
    if q.names_place:
        # "the left one" is the finding on the left, measured to its own hilum
        return replace(
            merged,
            side=q.side,
            hilum=None,
            cue=replace(merged.cue, anchor_ids=()),
            anchors=(),
            ordinals=(),
            superlative=None,
            superlatives=(),
        )
    return replace(merged, **{k: getattr(q, k) for k in _PLACE_KEYS})


def _corrected(q: Query, previous: TurnRecord) -> dict[str, Any]:
    """What a correction names: the one said last, or a pair joined for a pair.

    "不是A1 是A2", "not A1, A2": the last; "改成 A1 到 A4" after a distance from A1 to A2:
    the pair.
    """
    pair = len(previous.query.anchors) >= 2 and len(q.anchors) >= 2
    if pair and _ANCHOR_JOIN.search(q.text):
        return {"anchors": q.anchors[-2:]}
    if q.anchors:
        return {"anchors": q.anchors[-1:]}
    return {"ordinals": q.ordinals[-1:]}


_ANCHOR_JOIN = re.compile(
    r"(?<=\d)\s*(?:和|到|与|跟|至|及|、|,|，|&|-|(?<![a-z])(?:and|to)(?![a-z]))\s*(?=A\d)",
    re.I,
)


def _last_side(text: str) -> str | None:
    said = [m.group(1) or m.group(2).lower() for m in _SIDE_WORD.finditer(text)]
    last = said[-1] if said else None
    return {"左": "left", "右": "right"}.get(last or "", last)


def _ranks_previous(q: Query, previous: TurnRecord) -> bool:
    """A rank among what the last question named ("哪个最大?", "which is the biggest")."""
    before = previous.query
    if q.superlative is None or q.kind or q.names_place or q.anchors or q.ordinals:
        return False
    if not (before.kind or before.names_place) or before.superlative:
        return False
    return before.intent in _FILM_QUESTIONS | {IntentKind.DESCRIBE}


def _same_subject(q: Query, previous: TurnRecord) -> bool:
    """An attribute asked of "it" or of nothing named, after a question about one subject.

    "它多少毫米" after "A2在哪里", "how far from the chest wall" after "where is A2";
    "how big is it" after "is there a mass in the right upper zone" (the kind and place
    asked about: the one found there, if any, is "it").
    """
    if q.attribute in (None, "ctr", "count"):
        return False
    if len(previous.query.anchors) != 1 and not _placed_kind(q, previous.query):
        return False
    if q.anchors or q.ordinals or q.superlative or q.kind or q.profile:
        return False
    if any(getattr(q, k) for k in _PLACE_KEYS):
        return False
    # "what is spiculation?" asks what a sign is, of no lesion
    return q.intent in _OF_A_SUBJECT


def _placed_kind(q: Query, before: Query) -> bool:
    """A question about a kind or a place that "it" (or an attribute alone) refers back to.

    A question that names a focal kind or a place, about what is there or about the one
    there; "it" then means the lesion it asked about.
    """
    if before.anchors or before.ordinals:
        return False
    if (
        before.intent not in _FILM_QUESTIONS | _OF_A_SUBJECT
        or before.attribute == "count"
    ):
        return False
    if before.intent is IntentKind.SCREENING or before.sized:
        return False
    if not (before.kind in _FOCAL or (before.names_place and before.kind is None)):
        return False
    # "it" or an attribute asked alone ("用毫米说", "margins?"), or the other end of a
    # relation ("跟胸膜挨着吗"): nothing of its own named
    relation = q.attribute in ("connection", "distance")
    return q.cue.demonstrative or q.unit is not None or relation or _bare_word(q)


_SAME = re.compile(r"(?<![a-z])same(?![a-z])|同样|一样", re.IGNORECASE)


def _compared_with_previous(
    q: Query, previous: TurnRecord, phrases: Phrases, earlier: tuple[str, ...] = ()
) -> Query | None:
    """Two anchors compared: "比A2大吗" / "compared to A1?" after a question about A1.

    "哪个大些" after "A1和A3分别多大": the anchors just asked about, compared; "哪个更大"
    after "A1多大" then "A2多大": the subjects of the last two questions, one each.
    """
    before = previous.query
    new = [a for a in q.anchors if a not in before.anchors]
    if before.anchors and len(new) == 1 and len(q.anchors) == 1:
        # "and A5, is it?" (read "... yes or no"): the "or" offers the two answers; so
        # does "A2, real or artefact?", which asks of A2 alone
        said = phrases.cue("confidence_real").blank(q.text)
        offered = _EITHER_ANSWER.sub(" ", said)
        paired = q.cue.wants_comparison or phrases.cue("compare_pair").find(offered)
        # "A3呢，which lobe": the "which" asks the new anchor's place, it sets none against
        worded = paired or phrases.cue("comparative").find(_WHICH_PLACE.sub(" ", said))
        if _SAME.search(q.text) and not paired:
            return None  # "same for A3": the question again, of A3
        if not (worded or q.intent is IntentKind.COMPARE):
            return None
        anchors = (*before.anchors, *new)
    elif q.intent is IntentKind.COMPARE and not q.anchors and len(before.anchors) >= 2:
        anchors = before.anchors
    elif (
        q.intent is IntentKind.COMPARE
        and not q.anchors
        and len(before.anchors) == 1
        and len(earlier) == 1
        and earlier != before.anchors
    ):
        anchors = (*earlier, *before.anchors)
    else:
        return None
    attribute = q.attribute or before.attribute
    merged = replace(_merge(previous, q), anchors=anchors, attribute=attribute)
    cue = replace(merged.cue, anchor_ids=anchors)
    return replace(merged, cue=cue, intent=IntentKind.COMPARE)


# "which" / 哪个 asking for a place ("which lobe", "哪个叶", "哪一侧", "哪个肺段"), not for
# one of two
_WHICH_PLACE = re.compile(
    r"哪(?:一|个|一个)?\s*(?:肺叶|肺野|肺段|叶|野|段|侧|边|lobe|zone|side|segment)"
    r"|(?<![a-z])(?:which|what) (?:\w+ )?(?:lobe|zone|side|lung|part|region|field|segment)s?"
    r"(?![a-z])",
    re.IGNORECASE,
)


def _against_the_other_side(q: Query, previous: TurnRecord, phrases: Phrases) -> bool:
    """The lesion under discussion compared with the other lung: right against left.

    "compare it with the left side", "和左边比一下" after a question about a lesion in the
    right lung: "it" stays in its lung, and the side named is what it is set against,
    not a new place to look for it in.
    """
    if q.anchors or q.ordinals or q.kind or q.zone or q.band or q.lobe:
        return False
    if q.side not in ("right", "left") or previous.subject_side != _opposite(q.side):
        return False
    return phrases.cue("compare").find(q.text) is not None


# "the other one" / "另一个": another finding, where "the other side" is another lung
_OTHER_ONE = re.compile(
    r"(?<![a-z])(?:the |that )?other (?:one|nodule|lesion|finding|spot|opacity)s?(?![a-z])"
    r"|(?<![a-z])the other\W*$|另(?:外)?(?:一)?(?:个|处)(?![肺侧边])",
    re.IGNORECASE,
)


def _with_the_other_one(q: Query, phrases: Phrases) -> bool:
    """A comparison with "the other one", nothing else named: the findings compared.

    "compare with the other one", "和另一个比较一下" after a turn about one finding (or
    a list): the other reads as another side too, which would look for findings in the
    opposite lung instead of setting the two findings side by side.
    """
    if q.anchors or q.ordinals or q.kind or q.names_place:
        return False
    if phrases.cue("compare").find(q.text) is None:
        return False
    return _OTHER_ONE.search(q.text) is not None
