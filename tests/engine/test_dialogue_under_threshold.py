""" "What is under the threshold?" says what lies there, or that nothing does.

The answer lists the candidates scored just under the report threshold. With none, it
says so first rather than leaving the reader with the tool's limits alone; and its line
about the threshold stays true after a list of candidates under it (it used to say that
those below it "are not listed", right after listing them).
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom


def _film(score: float):
    film = make_phantom(((300, 560, 20, ()),))
    # the phantom detector reports from 0.5; "just under" is from half of it, 0.25
    return analyse(film, [Candidate((300, 560), 20, score)], key=f"under-{score}")


@pytest.mark.parametrize(
    ("question", "none_said"),
    [
        ("what is under the threshold?", "No candidate on this film scored just under"),
        ("低于阈值的有哪些", "本图没有得分接近报告阈值"),
    ],
)
def test_nothing_just_under_is_said_first(question, none_said):
    chat = Conversation(_film(0.05))
    chat.ask("findings?")
    text = chat.ask(question).answer_text
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert lines[0].startswith(f"- {none_said}"), text


def test_a_candidate_just_under_is_listed_and_the_threshold_line_stays_true():
    chat = Conversation(_film(0.35))
    chat.ask("findings?")
    turn = chat.ask("what is under the threshold?")
    assert turn.anchors and "0.35" in turn.answer_text, turn.answer_text
    assert "No candidate on this film" not in turn.answer_text
    assert "those below it are not" not in turn.answer_text
