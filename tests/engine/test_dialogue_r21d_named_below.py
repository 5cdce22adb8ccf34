"""Round 21 d: a candidate named under its threshold stays in view in a later read or list.

On a film with a reported finding, asking about a place named the weak candidate there
(under the report threshold); the next overview listed only the reported finding, so the
candidate seemed to have vanished. Once the conversation has named one, a later read or
list says in one hedged line that it is still below the threshold. A candidate never
named stays unsaid, and a list of another place leaves it out.
"""

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def film():
    """A reported right-lung nodule (0.9) and a weak left upper zone candidate (0.3)."""
    phantom = make_phantom(((290, 560, 26, (10, 3)), (720, 330, 16, ())))
    return analyse(
        phantom,
        [Candidate((290, 560), 26, 0.9), Candidate((720, 330), 16, 0.3)],
        key="r21d-named-below",
    )


def _lines(conversation: Conversation, question: str) -> list[str]:
    return [line for s in conversation.ask(question).sections for line in s.lines]


def _weak_anchor(conversation: Conversation, question: str) -> str:
    turn = conversation.ask(question)
    weak = [a.id for a in turn.anchors if "below" in a.label("en")]
    assert len(weak) == 1, turn.answer_text
    return weak[0]


@pytest.mark.parametrize(
    ("place", "overview", "words"),
    [
        (
            "anything in the left upper zone?",
            "what do you see",
            "still below the report threshold",
        ),
        ("左上肺野有东西吗", "整体看看这张片子", "仍低于报告阈值"),
        (
            "left upper zone ok?",
            "list every finding",
            "still below the report threshold",
        ),
        ("左上野有没有结节", "把所有结节列一下", "仍低于报告阈值"),
    ],
)
def test_a_named_candidate_is_said_again_below_the_threshold(
    film, place, overview, words
):
    conversation = Conversation(film)
    weak = _weak_anchor(conversation, place)
    lines = _lines(conversation, overview)
    kept = [line for line in lines if words in line]
    assert len(kept) == 1, lines
    assert f"[{weak}]" in kept[0] and "0.30" in kept[0], kept


def test_never_named_it_stays_unsaid(film):
    lines = _lines(Conversation(film), "what do you see")
    assert not any("below the report threshold" in line for line in lines), lines


def test_a_list_of_another_place_leaves_it_out(film):
    conversation = Conversation(film)
    _weak_anchor(conversation, "anything in the left upper zone?")
    lines = _lines(conversation, "list the findings in the right lung")
    assert not any("still below the report threshold" in line for line in lines), lines
