"""Round 20 h: "and the lungs?" is answered about the lungs, not the whole film.

After heart questions, "and the lungs?" / "那肺呢" opened "Findings on this film / No:
no definite finding was detected on this film", which read as contradicting the
borderline heart just described. The lungs named with no side are both lung fields:
the answer's place is "both lungs", and its "no" says "in either lung".
"""

import pytest

from engine.dialogue import Conversation

from .conftest import analyse, make_phantom, two_nodules


@pytest.fixture(scope="module")
def clear():
    return analyse(make_phantom(), [], key="r20h-lungs-clear")


@pytest.fixture(scope="module")
def two():
    return two_nodules("r20h-lungs-two")


def _last(analysis, *turns: str):
    conversation = Conversation(analysis)
    for said in turns:
        turn = conversation.ask(said)
    return turn.sections[0]


_AFTER_HEART = [
    ("heart size ok?", "how about the lungs then?"),
    ("cardiothoracic ratio please", "lungs?"),
    ("心影大吗", "肺部呢？"),
    ("心胸比多少", "那两个肺呢"),
]


@pytest.mark.parametrize("turns", _AFTER_HEART)
def test_the_lungs_after_the_heart_are_answered_as_the_lungs(clear, turns):
    section = _last(clear, *turns)
    assert "both lungs" in section.title or "双肺" in section.title, section.title
    first = section.lines[0]
    assert "this film" not in first and "本图" not in first, first
    assert "either lung" in first or "双肺" in first, first


@pytest.mark.parametrize(
    "turns", [("heart size ok?", "lungs?"), ("心影大吗", "肺部呢？")]
)
def test_findings_in_the_lungs_are_still_listed(two, turns):
    section = _last(two, *turns)
    assert section.lines[0].startswith(("Yes: 2", "有：双肺见 2")), section.lines
    assert len(section.anchor_ids) == 2, section.anchor_ids


def test_a_side_named_is_kept(clear):
    section = _last(clear, "heart size ok?", "and the left lung?")
    assert "left lung" in section.title, section.title
