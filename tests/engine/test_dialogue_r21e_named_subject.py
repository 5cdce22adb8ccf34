"""Round 21 e: a subject named in an open question limits the answer to it.

"肺怎么样", "lungs ok?" were answered with the whole film's read, the heart and the
costophrenic angles included; "肋膈角怎么样" with the whole read too; and "how are the
CP angles" opened "No, not blunted", an answer to a yes/no nobody asked. Now the lungs
named alone get the lungs' findings, the angles named get their state from the one
angle fact, and an open "how are they" gets the state without a yes or no.
"""

from dataclasses import replace

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import two_nodules

_OTHER = ("Other structures", "【其他】")
_ANGLES = ("Costophrenic angles", "【肋膈角】")


@pytest.fixture(scope="module")
def two():
    """Two nodules, and both costophrenic angles measured sharp."""
    analysis = two_nodules("r21e-named-subject")
    measures = replace(analysis.measures, cpa_angle_deg={"right": 35.0, "left": 42.0})
    return replace(analysis, measures=measures)


def _titles(turn):
    return [s.title for s in turn.sections]


@pytest.mark.parametrize(
    "question", ["肺部咋样", "两个肺还行吗", "how do the lungs look?", "lungs alright?"]
)
def test_the_lungs_named_alone_get_the_lungs(two, question):
    turn = Conversation(two).ask(question)
    titles = _titles(turn)
    assert "lung" in titles[0].lower() or "肺" in titles[0], titles
    assert len(turn.sections[0].anchor_ids) == 2, turn.sections[0]
    assert not set(titles) & set(_OTHER), titles


@pytest.mark.parametrize(
    "question", ["片子怎么样", "how does the film look?", "两肺和心影情况咋样"]
)
def test_the_film_or_the_heart_beside_the_lungs_keeps_the_other_structures(
    two, question
):
    titles = _titles(Conversation(two).ask(question))
    assert set(titles) & set(_OTHER), titles


@pytest.mark.parametrize(
    "question",
    [
        "肋膈角咋样",
        "帮我看看肋膈角",
        "CP角如何",
        "how do the CP angles look",
        "costophrenic angles?",
    ],
)
def test_the_angles_named_get_their_state_alone(two, question):
    turn = Conversation(two).ask(question)
    assert turn.intent is IntentKind.PRESENCE, turn.intent
    section = turn.sections[0]
    assert section.title in _ANGLES, _titles(turn)
    assert len(turn.sections) == 2, _titles(turn)  # and the disclaimer
    assert "°" in section.lines[0], section.lines


@pytest.mark.parametrize(
    "question",
    ["how are the CP angles", "肋膈角怎么样", "what do the CP angles look like"],
)
def test_an_open_question_gets_the_state_without_a_yes_or_no(two, question):
    first = Conversation(two).ask(question).sections[0].lines[0]
    assert not first.startswith(("Yes", "No", "是", "否")), first


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("are the CP angles sharp?", ("Yes",)),
        ("CP angles blunted?", ("No",)),
        ("肋膈角变钝了吗", ("否",)),
    ],
)
def test_a_yes_or_no_asked_still_gets_one(two, question, lead):
    first = Conversation(two).ask(question).sections[0].lines[0]
    assert first.startswith(lead), first
