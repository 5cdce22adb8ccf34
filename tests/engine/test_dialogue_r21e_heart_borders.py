"""Round 21 e: the heart's borders asked are answered from what the analysis knows.

"heart borders ok?" was read as a lesion's margin and asked "which one?" of the lung
nodules; "心缘清楚吗" was refused as off the film. Both ask whether the cardiac borders
are clear: the silhouette sign. The engine outlines the heart and knows where each
finding lies, so the answer says which opacity lies against a border and what a lost
border there would suggest (hedged), or that none does, and that the border's own
sharpness is not measured. A finding asked near the border, or a distance to it, is
still a lung question.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import Candidate, analyse, make_phantom

_TITLE = ("Heart borders", "【心缘】")


@pytest.fixture(scope="module")
def beside():
    """One nodule against the right heart border, one far out in the left lung."""
    film = make_phantom(((388, 662, 18, ()), (800, 380, 18, ())))
    return analyse(
        film,
        [Candidate((388, 662), 18, 0.85), Candidate((800, 380), 18, 0.8)],
        key="r21e-heart-borders-beside",
    )


@pytest.fixture(scope="module")
def lateral():
    """One nodule far from the heart."""
    film = make_phantom(((230, 420, 18, ()),))
    return analyse(
        film, [Candidate((230, 420), 18, 0.85)], key="r21e-heart-borders-lateral"
    )


_ASKED = [
    "are the heart borders clear?",
    "cardiac borders ok",
    "心缘清晰吗",
    "心影边缘清楚不",
]


@pytest.mark.parametrize("question", _ASKED)
def test_an_opacity_against_a_border_is_named_with_the_hedged_sign(beside, question):
    turn = Conversation(beside).ask(question)
    assert turn.intent is IntentKind.DESCRIBE, turn.intent
    section = turn.sections[0]
    assert section.title in _TITLE, section.title
    assert len(section.lines) == 1, section.lines  # the far nodule is not named
    line = section.lines[0]
    assert "right heart border" in line or "右心缘" in line, line
    assert "right middle lobe" in line or "右肺中叶" in line, line
    assert "not measured" in line or "未作测量" in line, line
    assert len(section.anchor_ids) == 2, section.anchor_ids  # the heart and the nodule


@pytest.mark.parametrize("question", _ASKED)
def test_no_opacity_against_the_borders_says_so_and_hedges(lateral, question):
    section = Conversation(lateral).ask(question).sections[0]
    assert section.title in _TITLE, section.title
    (line,) = section.lines
    assert "No detected opacity" in line or "未检出" in line, line
    assert "not measured" in line or "未作测量" in line, line


@pytest.mark.parametrize(
    ("question", "side"),
    [("is the left heart border sharp?", "left"), ("左心缘清楚吗", "左")],
)
def test_the_other_border_asked_has_none(beside, question, side):
    (line,) = Conversation(beside).ask(question).sections[0].lines
    assert "No detected opacity" in line or "未检出" in line, line
    assert side in line, line


@pytest.mark.parametrize(
    "question",
    [
        "右肺靠近心缘那里有结节吗",
        "any nodule by the right heart border?",
        "describe the cardiac outline",
    ],
)
def test_a_lung_question_by_the_border_or_the_outline_is_not_this(beside, question):
    turn = Conversation(beside).ask(question)
    assert turn.sections[0].title not in _TITLE, turn.sections[0].title
