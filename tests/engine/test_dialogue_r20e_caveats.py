"""Round 20 e: what a negative answer in a blind spot says, and what is answered first.

A list of a place that holds nothing carries the caveat the yes/no answer already has,
the place's own where a frontal film sees little there (behind the heart, the apices).
A question about what lies under the report threshold opens with those candidates.

The phantom: a lobulated nodule in the right lung (0.92) and, in the left upper zone, a
candidate scored 0.45, just under the fake detector's report threshold 0.5.
"""

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def near():
    film = make_phantom()
    x, y, r = film.nodules[0]
    return analyse(
        film,
        [Candidate((x, y), r, 0.92), Candidate((760, 330), 12, 0.45)],
        key="r20e-near",
    )


def _lines(analysis, *turns: str) -> tuple[str, ...]:
    conversation = Conversation(analysis)
    for said in turns:
        turn = conversation.ask(said)
    return turn.sections[0].lines


@pytest.mark.parametrize(
    ("turns", "caveat"),
    [
        (("which lesions lie behind the heart?",), "behind the heart is low"),
        (("心影后面有哪些病灶",), "心影后区与心影重叠"),
        (("list the findings", "the apices?"), "at the apices is low"),
        (("肺尖有哪些病灶",), "肺尖与锁骨"),
    ],
)
def test_an_empty_list_of_a_blind_spot_says_what_the_film_misses_there(
    near, turns, caveat
):
    lines = _lines(near, *turns)
    assert lines[0].startswith("0 ") or "0 处" in lines[0], lines
    assert any(caveat in line for line in lines), lines


def test_a_list_with_findings_in_the_place_carries_no_negative_caveat(near):
    lines = _lines(near, "list the findings in the right lung")
    assert not any("does not exclude disease" in line for line in lines), lines


@pytest.mark.parametrize(
    "turns",
    [
        ("any nodules?", "and the candidate below the cut-off?"),
        ("有结节吗", "低于阈值的那个呢"),
    ],
)
def test_asked_what_lies_under_the_threshold_the_candidate_comes_first(near, turns):
    lines = _lines(near, *turns)
    # the lead says they were not listed, the next line is the candidate itself
    assert "[A" in lines[1] and ("0.45" in lines[1]), lines
    assert not lines[0].startswith(("No smallest", "没有可以保证")), lines


def test_the_tools_limit_asked_keeps_the_limit_first(near):
    lines = _lines(near, "what's the smallest lesion you might miss?")
    assert lines[0].startswith("No smallest size"), lines
    assert any("0.45" in line for line in lines[2:]), lines


@pytest.fixture(scope="module")
def clear():
    return analyse(make_phantom(), [], key="r20e-caveat-clear")


@pytest.mark.parametrize(
    ("question", "caveat"),
    [
        ("anything behind the diaphragm?", "behind the domes of the diaphragm"),
        ("膈肌后方有没有病灶", "膈顶后方"),
    ],
)
def test_a_negative_answer_behind_the_diaphragm_says_what_it_hides(
    clear, question, caveat
):
    lines = _lines(clear, question)
    assert any(caveat in line for line in lines), lines
