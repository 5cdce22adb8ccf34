"""Round 21 d: anchor ids asked in a conversation's first turn.

"are A1 and A2 the same lesion?" as the first turn found no anchors and said so in terms
of a list the reader never saw. No finding has an id before one is shown: the answer says
that first, offers the read, and never maps the ids onto the screening order.
"""

import pytest

from engine.dialogue import Conversation

from .conftest import two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("r21d-first-ids")


def _first_turn(analysis, question: str):
    return Conversation(analysis).ask(question)


@pytest.mark.parametrize(
    ("question", "ids"),
    [
        ("is A2 the same thing as A1?", "A2 or A1"),
        ("how big is A3", "A3"),
        ("distance from A1 to A2?", "A1 or A2"),
        ("tell me about A1, A2 and A4", "A1, A2 or A4"),
    ],
)
def test_ids_before_any_anchor_are_said_to_name_nothing_yet(two, question, ids):
    turn = _first_turn(two, question)
    first = turn.sections[0].lines[0]
    assert first.startswith(f"No finding has been labelled {ids} yet"), first
    assert "read of the film first" in first, first
    # no guess: nothing is bound, no finding described or measured
    assert not turn.anchors and not turn.measurements, turn
    assert len(turn.sections[0].lines) == 1


@pytest.mark.parametrize("question", ["A1跟A3是一个东西吗", "说说A2"])
def test_in_chinese_too(two, question):
    first = _first_turn(two, question).sections[0].lines[0]
    assert first.startswith("本次对话中还没有病灶被标为"), first
    assert "先让我读片" in first, first


def test_after_a_read_an_unknown_id_lists_the_ones_there_are(two):
    conversation = Conversation(two)
    conversation.ask("what do you see")
    first = conversation.ask("describe A7").sections[0].lines[0]
    assert "has no anchor A7" in first and "A1" in first, first
