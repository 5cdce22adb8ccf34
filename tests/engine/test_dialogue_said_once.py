"""Answers that say one thing once (issue #12, nineteenth review, items 5, 6, 13, 15).

A question that asks two things of a subject the engine cannot settle asks "which one?"
once; a question that asks two things of the finding a rank named before answers each;
a size answer gives the size in one line.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom, two_nodules

_SIZE = re.compile(r"\d+(?:\.\d+)? × \d+(?:\.\d+)? (?:cm|mm)")


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


@pytest.mark.parametrize(
    "question",
    [
        "Which lobe is it in, and is it touching the pleura?",
        "在哪个肺叶？跟胸膜贴着吗？",
    ],
)
def test_two_parts_with_no_subject_ask_which_one_once(question):
    text = Conversation(two_nodules("once-ambiguous")).ask(question).answer_text
    listed = [line for line in _lines(text) if re.match(r"- A\d+:", line)]
    assert len(listed) == 2, text  # each candidate listed once, not once a part


@pytest.mark.parametrize(
    ("rank", "question", "place"),
    [
        (
            "show me the most suspicious lesion",
            "how big is it, and what lobe is it in?",
            "lobe",
        ),
        ("最可疑的病灶在哪？", "它多大？在哪个肺叶里？", "肺叶"),
    ],
)
def test_both_parts_asked_of_the_finding_a_rank_named(rank, question, place):
    conversation = Conversation(two_nodules("once-ranked"))
    conversation.ask(rank)
    text = conversation.ask(question).answer_text
    sizes = [line for line in _lines(text) if _SIZE.search(line)]
    assert len(sizes) == 1, text  # the size once
    assert place in text.split(sizes[0])[1], text  # then where it projects


@pytest.mark.parametrize(
    ("first", "question"),
    [
        ("show me the most suspicious lesion", "how large is it?"),
        ("最可疑的病灶在哪？", "那它有多大？"),
        (None, "How large is A1?"),
        (None, "A1 尺寸多少？"),
    ],
)
def test_a_size_answer_gives_the_size_in_one_line(first, question):
    conversation = Conversation(two_nodules("once-size"))
    conversation.ask(first or "list every finding")
    text = conversation.ask(question).answer_text
    sizes = [line for line in _lines(text) if _SIZE.search(line)]
    assert len(sizes) == 1, text
    assert len([line for line in _lines(text) if "A1" in line]) >= 2, text  # named


@pytest.mark.parametrize(
    "turns",
    [
        (
            "go through the findings",
            "tell me about A1",
            "tell me about A2",
            "what is the distance between A1 and A2?",
            "what size is it?",
        ),
        ("把所有病灶列一下", "说说A1", "说说A2", "A1和A2之间距离多少？", "它有多大？"),
    ],
)
def test_which_one_names_outlined_findings_without_the_anchor_tag(turns):
    conversation = Conversation(two_nodules("once-outline"))
    for question in turns[:-1]:
        conversation.ask(question)
    assert all(
        a.style.value == "contour" for a in conversation.anchors.all() if a.finding_id
    )
    text = conversation.ask(turns[-1]).answer_text
    listed = [line for line in _lines(text) if re.match(r"- A\d+:", line)]
    assert len(listed) == 2 and len(set(listed)) == 2, text
    assert "contour" not in text and "轮廓" not in text, text
    assert all("0." in line for line in listed), text  # named with its confidence
    assert all(_SIZE.search(line) for line in listed), text  # and its size


def _one_nodule_at(x: int, y: int) -> Conversation:
    film = make_phantom(((x, y, 18, ()),))
    return Conversation(
        analyse(film, [Candidate((x, y), 18, 0.9)], key=f"lobe-{x}-{y}")
    )


@pytest.mark.parametrize(
    ("where", "first", "question", "lead"),
    [
        # projects over the right upper lobe alone
        ((290, 330), "where is the nodule?", "is it in the right upper lobe?", "Yes:"),
        ((290, 330), "结节在哪？", "那它在右肺上叶吗？", "是："),
        # over the right lower lobe, near its border with the middle lobe
        (
            (300, 700),
            "where is the nodule?",
            "is it in the right middle lobe?",
            "Possibly:",
        ),
        ((300, 700), "结节在哪？", "它位于右肺中叶吗？", "可能："),
        (
            (300, 700),
            "where is the nodule?",
            "is A1 in the right lower lobe?",
            "Possibly:",
        ),
        (
            (300, 700),
            "where is the nodule?",
            "does A1 sit in the left upper lobe?",
            "No:",
        ),
    ],
)
def test_whether_it_is_in_a_lobe_is_answered_first(where, first, question, lead):
    conversation = _one_nodule_at(*where)
    conversation.ask(first)
    text = conversation.ask(question).answer_text
    lines = _lines(text)
    assert lines[0].startswith(f"- {lead}"), text
    # the lobe projection is said once: the place line after it gives the zone only
    assert sum("lobe projection" in line or "肺叶投影" in line for line in lines) == 1


@pytest.mark.parametrize("question", ["which lobe is it in?", "它在哪个肺叶？"])
def test_which_lobe_is_not_given_a_yes_or_no(question):
    conversation = _one_nodule_at(290, 330)
    conversation.ask("where is the nodule?")
    lines = _lines(conversation.ask(question).answer_text)
    assert not re.match(r"- (?:Yes|No|Possibly|是|否|可能)[:：]", lines[0]), lines


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("any fluid collecting at the lung bases?", "No: the right costophrenic"),
        ("两侧有没有胸水？", "否：右侧肋膈角"),
    ],
)
def test_a_lead_goes_on_in_the_sentence_and_in_the_language(question, lead):
    sharp = two_nodules("once-angles")
    sharp = replace(
        sharp,
        measures=replace(sharp.measures, cpa_angle_deg={"right": 35.0, "left": 41.0}),
    )
    line = _lines(Conversation(sharp).ask(question).answer_text)[0]
    assert line.startswith(f"- {lead}"), line
    assert "。 " not in line and "  " not in line, line  # no space after a 。
    assert "left costophrenic" in line or "左侧肋膈角" in line, line


@pytest.mark.parametrize(
    "question",
    [
        "how does A1 relate to the hilum, and to the pleura?",
        "A1与肺门、胸膜分别是什么关系？",
    ],
)
def test_the_parts_of_one_relation_answer_under_one_heading(question):
    conversation = Conversation(two_nodules("once-heading"))
    conversation.ask("list every finding")
    turn = conversation.ask(question)
    titles = [s.title for s in turn.sections]
    assert len(titles) == len(set(titles)), turn.answer_text
    text = turn.answer_text
    assert ("hilum" in text or "肺门" in text) and ("pleura" in text or "胸膜" in text)


@pytest.mark.parametrize(
    ("first", "question", "said"),
    [
        (
            "how big is the heart relative to the chest?",
            "what lobe is A1 in?",
            "cardiac silhouette",
        ),
        ("心胸比是多少", "A1位于哪个肺叶？", "心影轮廓"),
    ],
)
def test_an_anchor_of_the_heart_says_it_is_the_ctr_outline_not_a_lesion(
    first, question, said
):
    conversation = _one_nodule_at(290, 330)
    conversation.ask(first)
    heart = next(a for a in conversation.anchors.all() if a.region == "heart")
    assert heart.id == "A1"
    line = _lines(conversation.ask(question).answer_text)[0]
    assert said in line, line
    assert "lesion" in line or "病灶" in line, line  # what it is not
    assert "0.4" in line, line  # the ratio it is measured for


@pytest.mark.parametrize(
    "question", ["what size is A1 and where is it?", "A1尺寸多少，位于哪里？"]
)
def test_a_size_asked_with_its_place_says_the_place_once(question):
    conversation = Conversation(two_nodules("once-place"))
    conversation.ask("list every finding")
    turn = conversation.ask(question)
    assert len(turn.sections) == 3, turn.answer_text  # size, location, note
    lines = _lines(turn.answer_text)
    placed = [line for line in lines if "middle zone" in line or "中肺野" in line]
    assert len(placed) == 1, turn.answer_text
