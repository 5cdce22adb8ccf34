"""Facts an answer stands on: one source for each (issue #12, reviewer's items g).

A satellite is counted from the findings the read reports; a size carries its interval;
a place asked is named; a region the analysis could not read is said so, not "no".
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom

# A lobulated nodule with a small neighbour about 17 mm from its centre.
_PAIR = ((290, 560, 26, (10, 3)), (336, 578, 10, ()))


def _pair_analysis(neighbour_score: float):
    film = make_phantom(_PAIR)
    return analyse(
        film,
        [
            Candidate(film.nodules[0][:2], 26, 0.92),
            Candidate(film.nodules[1][:2], 10, neighbour_score),
        ],
        key=f"pair-{neighbour_score}",
    )


def _satellite_item(turn):
    card = turn.scorecard
    assert card is not None
    return next(i for i in card.items if "satellite" in i.name("en").lower())


@pytest.mark.parametrize(
    ("question", "read"),
    [
        ("Going by the early lung cancer signs, how many fit here?", "Describe the film"),
        ("按早期肺癌的征象对照，这张片子符合几条？", "看看这张片子"),
    ],
)
def test_an_unreported_neighbour_is_no_satellite(question, read):
    conversation = Conversation(_pair_analysis(0.2))  # below the report score (0.5)
    listed = conversation.ask(read)
    assert "[A2]" not in listed.answer_text  # the read does not report it ...
    item = _satellite_item(conversation.ask(question))
    assert item.status.value == "not_met"  # ... so the checklist does not count it


def test_a_reported_neighbour_is_a_satellite():
    conversation = Conversation(_pair_analysis(0.8))
    assert "[A2]" in conversation.ask("Describe the film").answer_text
    item = _satellite_item(
        conversation.ask("Going by the early lung cancer signs, how many does A1 fit?")
    )
    assert item.status.value == "met"
