"""A finding asked at a place that holds only candidates under the threshold names them.

"左肺中野那个是什么" on a film whose candidates there scored under the report threshold
was told "nothing reportable in the left middle zone" and no more, while "anything in the
left mid zone?" listed them. Asked about as a finding, the place says what is not
reported there too, with the threshold, so the reader is not told a bare "nothing".
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom


def _film(score: float):
    film = make_phantom(((300, 560, 20, ()),))
    # the phantom detector reports from 0.5
    return analyse(film, [Candidate((300, 560), 20, score)], key=f"place-{score}")


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("右肺中野那个是什么", "未达报告阈值"),
        ("what's that thing in the right mid zone", "Not reported, but scored"),
    ],
)
def test_the_candidates_under_the_threshold_at_the_place_are_named(question, said):
    turn = Conversation(_film(0.35)).ask(question)
    assert said in turn.answer_text, turn.answer_text
    assert turn.anchors, turn.answer_text


def test_a_place_with_nothing_scored_near_still_says_nothing():
    turn = Conversation(_film(0.05)).ask("what's that thing in the right mid zone")
    assert "Not reported, but scored" not in turn.answer_text
    assert not turn.anchors
