"""Round 20 h: "is the film normal?" weighs the heart as well as the lungs.

With no lung finding reported, the verdict read "No definite finding reached the
report threshold ... the reader's decision" while the cardiothoracic ratio of the same
film sat above the 0.50 limit of a PA film; the CTR only came lower down. The verdict
now takes the one CTR fact: a borderline or enlarged ratio keeps the film from being
called normal, in the verdict line itself.
"""

from dataclasses import replace

import pytest

from engine.dialogue import Conversation

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def clear():
    return analyse(make_phantom(), [], key="r20h-heart-verdict")


def _with_ctr(analysis, value, view="PA"):
    measures = replace(analysis.measures, cardiothoracic_ratio=value)
    return replace(analysis, measures=measures, view_position=view)


def _first(analysis, *turns: str) -> str:
    conversation = Conversation(analysis)
    for said in turns:
        turn = conversation.ask(said)
    return turn.sections[0].lines[0]


_VERDICT = [
    "normal chest film, yes or no?",
    "may I sign this one off as negative?",
    "这张片子总体算正常吗",
    "这张片能报阴性吗",
]


@pytest.mark.parametrize("question", _VERDICT)
def test_a_borderline_heart_keeps_the_film_from_being_called_normal(clear, question):
    first = _first(_with_ctr(clear, 0.53), question)
    assert first.startswith(("Not clearly normal", "不能明确判为正常")), first
    assert "0.53" in first and "0.50" in first, first


@pytest.mark.parametrize("question", _VERDICT)
def test_an_enlarged_heart_answers_no(clear, question):
    first = _first(_with_ctr(clear, 0.61), question)
    assert first.startswith(("No:", "否：")), first
    assert "0.61" in first and ("enlarged" in first or "增大" in first), first


@pytest.mark.parametrize("question", _VERDICT)
def test_a_normal_heart_leaves_the_verdict_to_the_reader(clear, question):
    first = _first(_with_ctr(clear, 0.46), question)
    assert "reader's decision" in first or "阅片者" in first, first


@pytest.mark.parametrize(
    "question", ["normal chest film, yes or no?", "这张片能报阴性吗"]
)
def test_a_ratio_not_judged_on_an_ap_film_does_not_decide_the_verdict(clear, question):
    first = _first(_with_ctr(clear, 0.58, view="AP"), question)
    assert "reader's decision" in first or "阅片者" in first, first


def test_the_verdict_after_heart_questions_follows_the_same_rule(clear):
    first = _first(
        _with_ctr(clear, 0.54), "heart size ok?", "what about the lungs?", "so, normal?"
    )
    assert first.startswith("Not clearly normal"), first
