"""Answers that say what was asked (issue #12, review 20, area f).

"Is the right lung clear?" is answered yes when nothing was found there: the question
asks whether the place is normal, so its yes/no is turned round, as the costophrenic
angles' already is.
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom


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
    assert _first_line(turn).startswith("- No: 1 finding"), turn.answer_text
    conversation = Conversation(analysis)
    conversation.ask("any nodule on the left?")
    turn = conversation.ask("and the right?")
    assert _first_line(turn).startswith("- Yes: 1 nodule"), turn.answer_text
