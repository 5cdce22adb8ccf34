"""After a box around one finding, "it" is the finding, not the box.

A drawn box and the one finding inside it are both in the conversation's focus. "is it
real?", "which segment is it in?", "这个是真的吗" ask about the finding (a box is not a
finding to be real or placed), so they bind to it instead of asking "which one?".
"""

from __future__ import annotations

import pytest

from engine.anchors import AnchorKind
from engine.dialogue import Conversation
from engine.geometry import Box

from .conftest import two_nodules


@pytest.mark.parametrize(
    "questions",
    [
        ("how sure?", "is it real?"),
        ("how sure?", "which segment is it in?"),
        ("多大", "这个是真的吗"),
    ],
)
def test_it_after_a_box_is_the_finding_inside(questions):
    chat = Conversation(two_nodules("box-then-it"))
    chat.ask("what's this", drawn_box=Box(x0=250, y0=520, x1=330, y1=600))
    for question in questions:
        turn = chat.ask(question)
    assert not turn.clarification, turn.answer_text
    bound = turn.resolved_references[0]
    anchor = next(a for a in turn.anchors if a.id == bound.anchor_id)
    assert anchor.kind is AnchorKind.FINDING, turn.answer_text
