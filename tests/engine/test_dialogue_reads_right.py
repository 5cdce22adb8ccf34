"""Answers that read right: a heading, a yes or no and the question agree; report words.

A phantom with two nodules (right and left lung) whose costophrenic angles are set per
test, so the angle answers are checked against known degrees.
"""

from dataclasses import replace

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.intents import IntentKind

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def two():
    film = make_phantom(((290, 560, 26, (10, 3)), (720, 420, 18, ())))
    return analyse(
        film,
        [Candidate((290, 560), 26, 0.9), Candidate((720, 420), 18, 0.6)],
        key="reads-right-two",
    )


def _angles(analysis, right, left):
    measures = replace(analysis.measures, cpa_angle_deg={"right": right, "left": left})
    return replace(analysis, measures=measures)


@pytest.mark.parametrize(
    ("question", "title", "lead"),
    [
        (
            "Do both costophrenic angles look clear?",
            "Costophrenic angles",
            "Yes, clear:",
        ),
        ("肋膈角都清楚吗？", "【肋膈角】", "是，锐利："),
        ("Any blunting at the costophrenic angles?", "Costophrenic angles", "No, not"),
        ("双侧肋膈角有变钝吗", "【肋膈角】", "否，未见变钝："),
    ],
)
def test_sharp_angles_read_the_same_in_heading_and_lead(two, question, title, lead):
    turn = Conversation(_angles(two, 35.0, 42.0)).ask(question)
    section = turn.sections[0]
    assert turn.intent is IntentKind.PRESENCE
    assert section.title == title
    assert section.lines[0].startswith(lead), section.lines[0]
    # no sign name under the heading that a bare yes could be read with
    assert "blunted costophrenic angle" not in turn.answer_text.lower()
    assert "肋膈角变钝：" not in turn.answer_text


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("Are the CP angles both clear?", "No, blunted: right about 130°"),
        ("肋膈角锐利吗", "否，变钝：右侧约 130°"),
    ],
)
def test_a_blunted_angle_answers_no_to_clear(two, question, lead):
    turn = Conversation(_angles(two, 130.0, 42.0)).ask(question)
    assert turn.sections[0].lines[0].startswith(lead), turn.sections[0].lines[0]


@pytest.mark.parametrize(
    ("first", "then", "title", "words"),
    [
        (
            "Costophrenic angles sharp?",
            "and the left?",
            "The left costophrenic angle",
            ("left about 42°",),
        ),
        ("肋膈角清楚吗？", "左边呢", "【左侧肋膈角】", ("左侧约 42°",)),
    ],
)
def test_a_bare_side_after_the_angles_asks_that_angle(two, first, then, title, words):
    conversation = Conversation(_angles(two, 35.0, 42.0))
    conversation.ask(first)
    turn = conversation.ask(then)
    section = turn.sections[0]
    assert section.title == title, turn.answer_text
    assert all(w in section.lines[0] for w in words), section.lines[0]
    assert "right" not in section.lines[0] and "右" not in section.lines[0]
