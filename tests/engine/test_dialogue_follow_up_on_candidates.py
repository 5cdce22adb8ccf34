"""A follow-up that names nothing asks about the candidates the last answer showed.

On a film where nothing reaches the report threshold, the read lists the candidates just
under it ("check before calling the film clear"). "where exactly?", "and its size?",
"多大" then ask about that candidate, as "this one" would, and the answer keeps its
below-threshold label; two shown candidates make the question ambiguous, never "nothing
to refer to".
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom


def _film(*scores: float):
    film = make_phantom(((290, 560, 26, ()), (720, 420, 18, ())))
    places = [((290, 560), 26), ((720, 420), 18)]
    return analyse(
        film,
        [Candidate(c, r, s) for (c, r), s in zip(places, scores, strict=False)],
        key=f"candidates-{scores}",
    )


@pytest.mark.parametrize(
    ("read", "follow_up", "said"),
    [
        ("findings?", "where exactly", "below the report threshold"),
        ("findings?", "and its size", "below the report threshold"),
        ("肺部是否有异常?", "多大", "未达"),
        ("肺部是否有异常?", "具体在哪", "未达"),
    ],
)
def test_the_one_candidate_shown_is_what_the_follow_up_asks_about(
    read, follow_up, said
):
    chat = Conversation(_film(0.35))  # the phantom detector reports from 0.5
    first = chat.ask(read)
    assert len(first.anchors) == 1, first.answer_text
    turn = chat.ask(follow_up)
    assert turn.resolved_references, turn.answer_text
    assert turn.resolved_references[0].anchor_id == first.anchors[0].id
    assert said in turn.answer_text
    assert "nothing for this to refer to" not in turn.answer_text


def test_two_candidates_shown_make_the_follow_up_ask_which_one():
    chat = Conversation(_film(0.35, 0.3))
    chat.ask("findings?")
    turn = chat.ask("where exactly")
    assert "nothing for this to refer to" not in turn.answer_text
    assert len(turn.clarification) == 2, turn.answer_text


def test_with_nothing_shown_there_is_still_nothing_to_refer_to():
    chat = Conversation(_film(0.05))
    chat.ask("findings?")
    assert "nothing for this to refer to" in chat.ask("where exactly").answer_text
