"""Round 20 e: a short "normal or not?" gets the verdict first, as the long wording does.

"so is the film normal or not" opened with "No: N finding(s) reached the report
threshold"; "so normal or not", "所以片子正常吗" opened with the first finding's line.
The form decides (a word of normality asked yes or no), not one phrasing.
"""

import pytest

from engine.dialogue import Conversation

from .conftest import analyse, make_phantom, two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("r20e-verdict")


@pytest.fixture(scope="module")
def clear():
    return analyse(make_phantom(), [], key="r20e-clear")


def _first(analysis, *turns: str) -> str:
    conversation = Conversation(analysis)
    for said in turns:
        turn = conversation.ask(said)
    return turn.sections[0].lines[0]


_SHORT = [
    "normal film or not",
    "overall normal?",
    "in short: normal?",
    "那这张片子正常吗",
    "整体正不正常",
]


@pytest.mark.parametrize("question", _SHORT)
def test_a_short_normal_question_opens_with_the_verdict(two, question):
    first = _first(two, "what do you see on this film", question)
    assert first.startswith(("No: 2 finding", "否：有 2 处")), first


@pytest.mark.parametrize("question", ["overall normal?", "整体正不正常"])
def test_on_a_film_with_no_finding_the_verdict_is_the_readers(clear, question):
    first = _first(clear, question)
    assert "reader's decision" in first or "阅片者" in first, first


@pytest.mark.parametrize("question", ["what do you see on this film", "看看这张片子"])
def test_a_read_not_asked_as_a_verdict_opens_with_the_findings(two, question):
    first = _first(two, question)
    assert first.startswith("[A"), first


@pytest.mark.parametrize(
    "question", ["ok, is there anything on this film?", "这片子是不是不正常"]
)
def test_a_question_asked_the_other_way_round_gets_no_normal_verdict(two, question):
    # "No: 2 findings reached the threshold" would read as "nothing there" to these
    first = _first(two, question)
    assert not first.startswith(("No:", "否：")), first
