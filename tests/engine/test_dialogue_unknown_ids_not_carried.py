"""Anchor ids that named nothing are not carried into the next turn.

"are A1 and A2 the same lesion?" as a first turn is told that no finding has an id yet.
A later elliptical "how sure?" must not then answer as if A1 and A2 had been named again
("only A1 is answered: the question also names A2").
"""

from __future__ import annotations

from engine.dialogue import Conversation
from engine.geometry import Box

from .conftest import two_nodules


def test_ids_asked_before_any_exist_do_not_return_later():
    chat = Conversation(two_nodules("unknown-ids"))
    first = chat.ask("are A1 and A2 the same lesion?")
    assert "No finding has been labelled" in first.answer_text, first.answer_text
    chat.ask("what's this", drawn_box=Box(x0=250, y0=520, x1=330, y1=600))
    turn = chat.ask("how sure?")
    assert "also names" not in turn.answer_text, turn.answer_text


def test_ids_that_exist_are_still_carried():
    chat = Conversation(two_nodules("known-ids"))
    chat.ask("findings?")
    chat.ask("how big is A2?")
    turn = chat.ask("and how sure?")
    assert turn.resolved_references[0].anchor_id == "A2", turn.answer_text
