"""Answers that say what was asked (issue #12, review 20, area f).

"Is the right lung clear?" is answered yes when nothing was found there: the question
asks whether the place is normal, so its yes/no is turned round, as the costophrenic
angles' already is.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.geometry import Box
from engine.lesion_groups import group_span_px

from .conftest import SPACING, analyse, make_phantom


@pytest.fixture(scope="module")
def analysis():
    """One nodule in the right lung (0.92); nothing reportable in the left."""
    film = make_phantom()
    x, y, r = film.nodules[0]
    return analyse(
        film,
        [Candidate((x, y), r, 0.92), Candidate((760, 330), 12, 0.2)],
        key="answers-as-asked",
    )


def _first_line(turn) -> str:
    return turn.answer_text.splitlines()[1]


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("is the left lung fine?", "- Yes: no definite finding"),
        ("left side lung looks ok?", "- Yes: no definite finding"),
        ("so the left lung is clear?", "- Yes: no definite finding"),
        ("左肺干净吗", "- 是：左肺未检出"),
        ("左肺没事吧？", "- 是：左肺未检出"),
        ("左肺是不是正常", "- 是：左肺未检出"),
        ("is the right lung all right?", "- No: 1 finding in the right lung"),
        ("右肺正常吗", "- 否：右肺见 1 处"),
    ],
)
def test_a_place_asked_normal_is_answered_as_asked(analysis, question, lead):
    turn = Conversation(analysis).ask(question)
    assert turn.intent == "presence"
    assert _first_line(turn).startswith(lead), turn.answer_text


@pytest.mark.parametrize(
    "question",
    [
        "any nodule in the left lung?",
        "ok, anything in the left lung?",
        "any nodule with clear margins in the left lung?",
        "左肺有没有边界清楚的结节",
        "左肺有没有不正常的地方",
    ],
)
def test_a_presence_question_keeps_its_own_sense(analysis, question):
    # an opening "ok," or a margin's "clear" does not ask whether the lung is normal
    turn = Conversation(analysis).ask(question)
    assert not _first_line(turn).startswith(("- Yes", "- 是")), turn.answer_text


def test_the_other_side_keeps_the_sense_of_the_question_before(analysis):
    conversation = Conversation(analysis)
    conversation.ask("left lung ok?")
    turn = conversation.ask("and the right?")
    # beside the list a bare "No:" would read as "nothing there": the side is named
    assert _first_line(turn).startswith("- Right lung: 1 finding"), turn.answer_text
    conversation = Conversation(analysis)
    conversation.ask("any nodule on the left?")
    turn = conversation.ask("and the right?")
    assert _first_line(turn).startswith("- Yes: 1 nodule"), turn.answer_text


def test_an_anchor_after_a_sharp_angle_question_keeps_its_own_sense(analysis):
    # "回到A1" after "肋膈角锐利吗" repeats no "is it clear?" of a place
    conversation = Conversation(analysis)
    for question in ("心脏大吗", "A1多大", "有结节吗", "肋膈角锐利吗"):
        conversation.ask(question)
    turn = conversation.ask("回到A1")
    assert not _first_line(turn).startswith("- 否：本图见"), turn.answer_text


# -- "how sure are you?": the score of what is in focus, said against its threshold


@pytest.fixture(scope="module")
def weak_only():
    """One candidate (0.40) under the phantom detector's report threshold (0.50)."""
    film = make_phantom()
    x, y, r = film.nodules[0]
    return analyse(film, [Candidate((x, y), r, 0.4)], key="answers-weak-only")


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (
            ("any nodule?", "how sure are you?"),
            "[A1] A weak candidate (confidence 0.40)",
        ),
        (("有结节吗", "你有多确定"), "[A1] 弱候选（置信度 0.40）"),
    ],
)
def test_how_sure_of_a_candidate_under_the_threshold(weak_only, turns, expected):
    conversation = Conversation(weak_only)
    for question in turns:
        turn = conversation.ask(question)
    assert _first_line(turn).startswith(f"- {expected}"), turn.answer_text
    assert "0.50" in _first_line(turn)


def test_how_sure_with_nothing_in_focus_says_nothing_was_reported(weak_only):
    turn = Conversation(weak_only).ask("how sure are you?")
    assert "No finding was reported" in turn.answer_text


def test_a_named_candidate_is_never_just_above_a_threshold_it_missed():
    # a box drawn round a 0.30 candidate (under the report threshold 0.50, above half
    # of it, so a box names it: r20g) anchors it (A2) beside the region (A1)
    film = make_phantom()
    x, y, r = film.nodules[0]
    analysis = analyse(
        film,
        [Candidate((x, y), r, 0.92), Candidate((760, 330), 12, 0.3)],
        key="answers-as-asked-near",
    )
    conversation = Conversation(analysis)
    box = Box(x0=735, y0=305, x1=785, y1=355)
    conversation.ask("what is this?", drawn_box=box)
    turn = conversation.ask("how sure are you about A2?")
    assert "below the report threshold for nodules, 0.50" in _first_line(turn), (
        turn.answer_text
    )
    assert "above" not in turn.answer_text


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (
            ("is the heart enlarged?", "how sure are you?"),
            "a measurement, not a detection",
        ),
        (("心脏大吗", "有多大把握"), "心胸比是测量值，不是检出结果"),
    ],
)
def test_how_sure_of_the_heart_speaks_of_the_measurement(analysis, turns, expected):
    conversation = Conversation(analysis)
    for question in turns:
        turn = conversation.ask(question)
    assert expected in turn.answer_text, turn.answer_text
    assert "No finding was reported" not in turn.answer_text
    assert "5 mm" in turn.answer_text


# -- "why?", "为什么这么说": the evidence for what the last answer said


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (("is the right lung clear?", "why do you say that"), "[A1] Detected with"),
        (("右肺有结节吗", "为什么这么说"), "[A1] 检出置信度 0.92"),
        (("how big is the right lung nodule?", "so why?"), "[A1] Detected with"),
    ],
)
def test_why_after_a_finding_gives_its_evidence(analysis, turns, expected):
    conversation = Conversation(analysis)
    for question in turns:
        turn = conversation.ask(question)
    assert turn.intent == "describe_finding", turn.answer_text
    assert _first_line(turn).startswith(f"- {expected}"), turn.answer_text
    # then what the detector saw: its size and margin
    assert "Size" in turn.answer_text or "大小" in turn.answer_text


@pytest.mark.parametrize(
    ("turns", "widths", "bands"),
    [
        (
            ("is the heart enlarged?", "why do you say that?"),
            "Measured: transverse cardiac diameter",
            "How it is measured",
        ),
        (("心影大吗", "为啥这么判断"), "测得：心影横径", "测量方法"),
    ],
)
def test_why_after_the_heart_gives_the_measurement(analysis, turns, widths, bands):
    conversation = Conversation(analysis)
    for question in turns:
        turn = conversation.ask(question)
    assert turn.intent == "measurement", turn.answer_text
    assert widths in turn.answer_text and bands in turn.answer_text


@pytest.mark.parametrize(
    "turns",
    [
        ("how big is the right lung nodule?", "how sure"),
        ("how big is the right lung nodule?", "ok, how confident?"),
        ("右肺那个结节多大", "你多确定"),
    ],
)
def test_a_short_how_sure_gives_the_score(analysis, turns):
    conversation = Conversation(analysis)
    for question in turns:
        turn = conversation.ask(question)
    assert turn.intent == "describe_finding", turn.answer_text
    assert "0.92" in _first_line(turn), turn.answer_text


# -- "are they the same thing?", "是不是两个": one lesion or two, answered first


@pytest.fixture(scope="module")
def touching():
    """A nodule (r 20 px) and a small one (r 8 px) whose edges are about 3 mm apart."""
    film = make_phantom(((290, 560, 20, ()), (326, 560, 8, ())))
    return analyse(
        film,
        [Candidate((290, 560), 20, 0.9), Candidate((326, 560), 8, 0.8)],
        key="answers-touching",
    )


def test_group_span_is_the_joint_extent_of_the_outlines(touching):
    a, b = touching.focal_findings[:2]
    span = group_span_px([a, b])
    # from the far edge of one to the far edge of the other, at least the two axes
    assert span >= a.long_axis_px and span >= math.dist(a.center, b.center)
    assert span == pytest.approx(
        math.dist(a.center, b.center) + (a.long_axis_px + b.long_axis_px) / 2, rel=0.2
    )


@pytest.mark.parametrize(
    ("turns", "lead"),
    [
        (
            ("any nodules?", "the bigger one?", "are they the same thing"),
            "Possibly one",
        ),
        (("any nodules?", "so are those one lesion or two?"), "Possibly one"),
        (("有结节吗", "是不是两个"), "可能是同一个病灶"),
        (("有结节吗", "大的那个多大", "和刚才那个是同一个吗"), "可能是同一个病灶"),
    ],
)
def test_one_or_two_after_a_list_is_answered_first(touching, turns, lead):
    conversation = Conversation(touching)
    for question in turns:
        turn = conversation.ask(question)
    assert turn.intent == "compare", turn.answer_text
    first = _first_line(turn)
    assert first.startswith(f"- {lead}"), turn.answer_text
    a, b = touching.focal_findings[:2]
    span_cm = group_span_px([a, b]) * SPACING / 10
    assert f"{span_cm:.1f} cm" in first, first


def test_a_new_place_with_same_thing_still_repeats_the_question(touching):
    conversation = Conversation(touching)
    conversation.ask("any nodule in the right lung?")
    turn = conversation.ask("and in the left lung, same thing?")
    assert turn.intent == "presence", turn.answer_text


# -- a CTR of 0.50-0.55 on a PA film: borderline, a mild enlargement possible


def _with_ctr(analysis, value: float):
    return replace(
        analysis, measures=replace(analysis.measures, cardiothoracic_ratio=value)
    )


@pytest.mark.parametrize(
    ("questions", "said", "never"),
    [
        (
            (
                "is the heart big?",
                "what's the CTR?",
                "heart failure checklist: which signs are met?",
                "draft a report please",
            ),
            ("above the 0.50 limit", "mildly enlarged", "mild enlargement"),
            ("upper limit of normal", "does not by itself", "within normal"),
        ),
        (
            ("心影大吗", "心胸比多少", "心衰的征象符合几条", "帮我出个报告"),
            ("可能轻度增大",),
            ("尚不足以提示", "处于正常上限", "正常范围内"),
        ),
    ],
)
def test_a_borderline_ratio_reads_as_a_possible_mild_enlargement(
    analysis, questions, said, never
):
    conversation = Conversation(_with_ctr(analysis, 0.53))
    texts = [conversation.ask(q).answer_text for q in questions]
    for text in texts:
        assert any(words in text for words in said), text
        assert not any(words in text for words in never), text
    assert "check inspiration and projection" in texts[0] or "吸气程度" in texts[0]


@pytest.mark.parametrize(
    ("question", "note"),
    [
        (
            "what is the nodule in the right middle zone?",
            "possibly one lobulated lesion",
        ),
        ("how big is the right lung nodule?", "possibly one lobulated lesion"),
        ("右中肺野那个是什么", "可能为同一分叶状病灶"),
    ],
)
def test_two_parts_of_one_lesion_are_answered_not_asked_about(touching, question, note):
    turn = Conversation(touching).ask(question)
    assert not turn.clarification, turn.answer_text
    first = _first_line(turn)
    assert note in first and first.startswith(("- A1 and A2", "- A1 与 A2")), first
    a, b = touching.focal_findings[:2]
    assert f"{group_span_px([a, b]) * SPACING / 10:.1f} cm" in first
    # the larger part is the one answered
    assert "[A1]" in turn.answer_text.split("\n\n")[1]


@pytest.mark.parametrize(
    ("turns", "lead"),
    [
        (("any nodules?", "are they the same thing", "and the left lung?"), "- No: "),
        (("有结节吗", "是不是两个", "左肺呢"), "- 否：左肺未检出"),
    ],
)
def test_a_place_after_one_or_two_asks_what_it_holds(touching, turns, lead):
    conversation = Conversation(touching)
    for question in turns:
        turn = conversation.ask(question)
    assert turn.intent == "presence", turn.answer_text
    assert _first_line(turn).startswith(lead), turn.answer_text


@pytest.mark.parametrize(
    ("question", "words"),
    [("describe the film", "together about"), ("描述一下这张片子", "合计长径约")],
)
def test_the_overview_gives_the_joint_length_of_a_split_lesion(
    touching, question, words
):
    text = Conversation(touching).ask(question).answer_text
    a, b = touching.focal_findings[:2]
    span = f"{group_span_px([a, b]) * SPACING / 10:.1f} cm"
    line = next(row for row in text.splitlines() if words in row)
    assert span in line, line
