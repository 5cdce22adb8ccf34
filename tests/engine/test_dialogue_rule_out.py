"""Rule-out questions are answered first (a radiograph cannot), then what was found.

A lesion checklist on a film with no reportable lesion leads with that, and lists only
the items the film could assess, not a column of "not assessable" lines.
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def clear_film():
    return analyse(make_phantom(()), [], key="rule-out-clear")


def _lines(turn):
    return [line for s in turn.sections for line in s.lines]


@pytest.mark.parametrize(
    ("ask", "no", "nothing"),
    [
        (
            "Can lung cancer be ruled out on this film?",
            "No: a radiograph cannot exclude",
            "No reportable focal lesion",
        ),
        (
            "这张片子可以除外肺癌吗",
            "不能：胸片不能排除",
            "本图未检出可报告的局灶性病灶",
        ),
    ],
)
def test_rule_out_on_a_clear_film_is_answered_first(clear_film, ask, no, nothing):
    turn = Conversation(clear_film).ask(ask)
    lines = _lines(turn)
    assert turn.intent.value == "profile_check"
    assert lines[0].startswith(no), lines[0]
    assert lines[1].startswith(nothing), lines[1]
    assert not [line for line in lines if line.startswith("○")]  # no blank column
    assert turn.scorecard is not None and len(turn.scorecard.items) > 10  # kept whole


@pytest.mark.parametrize(
    ("ask", "nothing"),
    [
        ("how many early lung cancer signs are there?", "No reportable focal lesion"),
        ("早期肺癌的征象符合几条", "本图未检出可报告的局灶性病灶"),
    ],
)
def test_a_lesion_checklist_on_a_clear_film_says_so_first(clear_film, ask, nothing):
    lines = _lines(Conversation(clear_film).ask(ask))
    assert lines[0].startswith(nothing), lines[0]
    assert not [line for line in lines if line.startswith("○")]


@pytest.mark.parametrize(
    ("ask", "no"),
    [
        ("could you exclude lung cancer here", "No: a radiograph cannot exclude"),
        ("能排除肺癌吗", "不能：胸片不能排除"),
    ],
)
def test_rule_out_with_a_lesion_gives_the_assessed_items_only(seed_analysis, ask, no):
    lines = _lines(Conversation(seed_analysis).ask(ask))
    assert lines[0].startswith(no), lines[0]
    assert "[A1]" in lines[1]  # what was found
    assert [line for line in lines if line.startswith(("✔", "✘"))]
    assert not [line for line in lines if line.startswith("○")]


def test_a_plain_checklist_question_keeps_the_full_card(seed_analysis):
    lines = _lines(Conversation(seed_analysis).ask("how many early lung cancer signs?"))
    assert [line for line in lines if line.startswith("○")]
