"""A list asked in order of size is answered largest first, and positions follow it.

A phantom with two nodules where the detector is surer of the smaller one, so the
default listing order (by confidence) and the size order differ.
"""

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.intents import IntentKind

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def surer_of_the_smaller():
    film = make_phantom(((290, 560, 26, ()), (720, 420, 14, ())))
    return analyse(
        film,
        [
            Candidate((290, 560), 26, 0.6),
            Candidate((720, 420), 14, 0.9),
        ],
        key="list-order-r18",
    )


def _sides(turn, conversation):
    out = []
    for b in turn.resolved_references:
        f = conversation.analysis.finding(b.finding_id or "")
        out.append(None if f is None else f.location.side.value)
    return out


@pytest.mark.parametrize(
    "asked", ["把所有结节按大小排一下", "sort all the nodules by size"]
)
def test_every_nodule_ordered_by_size_is_listed_largest_first(
    surer_of_the_smaller, asked
):
    conversation = Conversation(surer_of_the_smaller)
    listed = conversation.ask(asked)
    assert listed.intent is IntentKind.LIST
    first = conversation.ask("第一个在哪")
    assert _sides(first, conversation) == ["right"]  # the larger, though less sure


def test_a_plain_list_keeps_its_own_order(surer_of_the_smaller):
    conversation = Conversation(surer_of_the_smaller)
    conversation.ask("列出所有结节")
    first = conversation.ask("第一个在哪")
    assert _sides(first, conversation) == ["left"]
