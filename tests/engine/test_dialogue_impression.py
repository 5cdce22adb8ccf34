"""A report draft's impression: the finding briefly with its size, then the next step.

The impression does not repeat the findings sentence (band, shape); a nodule adds the
early-lung-cancer profile's next step, read from the profile; a clear film's impression
says what the tool assessed, and the reader's note names what it did not.
"""

from __future__ import annotations

import pytest

from engine.dialogue import Conversation
from ontology import ProfileId
from ontology.vocabulary import load_vocabulary

from .conftest import analyse, make_phantom


def _report(turn):
    return next(
        s for s in turn.sections if "report" in s.title.lower() or "报告" in s.title
    )


def _note(turn):
    return turn.sections[
        [s.title for s in turn.sections].index(_report(turn).title) + 1
    ]


@pytest.mark.parametrize(
    ("ask", "lang", "band"),
    [("please draft the report", "en", "band"), ("出个报告草稿", "zh", "带")],
)
def test_a_nodule_impression_is_brief_sized_and_gives_the_next_step(
    seed_analysis, ask, lang, band
):
    turn = Conversation(seed_analysis).ask(ask)
    findings, impression = _report(turn).lines
    long_cm = seed_analysis.focal_findings[0].long_axis_mm / 10
    assert f"{long_cm:.1f} cm" in impression
    assert band in findings and band not in impression  # not the finding sentence again
    step = load_vocabulary().profiles[ProfileId("early_lung_cancer")].next_step(lang)
    assert step and impression.endswith(step)


@pytest.fixture(scope="module")
def clear_film():
    return analyse(make_phantom(()), [], key="impression-clear")


@pytest.mark.parametrize(
    ("ask", "assessed", "not_assessed", "analysis"),
    [
        ("write a normal report", "structures it assesses", "mediastinum", "analysis"),
        ("写个正常报告", "本工具评估的结构", "纵隔", "本次分析"),
    ],
)
def test_a_clear_film_impression_names_what_was_assessed(
    clear_film, ask, assessed, not_assessed, analysis
):
    turn = Conversation(clear_film).ask(ask)
    findings, impression = _report(turn).lines
    assert assessed in impression and analysis not in impression
    assert not_assessed not in findings + impression  # not in the report body ...
    assert any(not_assessed in line for line in _note(turn).lines)  # ... in the note
    assert "CT may be considered" not in impression and "CT" not in impression
