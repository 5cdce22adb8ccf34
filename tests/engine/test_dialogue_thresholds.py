"""Size questions with a cut-off, the unit asked, and one rounding for every size shown.

"Is it over 2 cm?" is answered yes, no or borderline first (borderline when the long
axis's likely range spans the cut-off), in the question's unit; a distance asked in mm
is said in mm; an axis is rounded once, the same in every line.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.dialogue import Conversation
from engine.dialogue.facts import size_answer, size_interval_mm
from engine.wording import shown_length, size_phrase
from kernel import Language


def _first(turn):
    return turn.sections[0].lines[0]


def test_one_rounding_for_every_shown_size(seed_analysis):
    assert shown_length(9.5, "cm") == 1.0  # 9.5 / 10 is just under 0.95 in binary
    assert shown_length(14.5, "mm") == 15.0
    f = replace(seed_analysis.focal_findings[0], long_axis_mm=14.4, short_axis_mm=9.5)
    for lang in (Language.EN, Language.ZH):
        assert "1.4 × 1.0 cm" in size_phrase(f, lang)
        assert "1.4 × 1.0 cm" in size_answer(f, seed_analysis, None, lang)


@pytest.mark.parametrize(
    ("ask", "lead", "unit"),
    [
        ("is A1 bigger than 5 mm?", "Yes", "mm"),
        ("A1超过十厘米吗", "否", "cm"),
        ("A1小于5毫米吗", "否", "mm"),
        ("is A1 smaller than 10 cm", "Yes", "cm"),
    ],
)
def test_a_cut_off_far_from_the_size_is_yes_or_no(seed_analysis, ask, lead, unit):
    conversation = Conversation(seed_analysis)
    conversation.ask("Describe the film")
    first = _first(conversation.ask(ask))
    assert first.startswith("[A1] " + lead), first
    assert f" {unit}" in first


@pytest.mark.parametrize(
    ("template", "lead"),
    [
        ("is A1 over {mm:.0f} mm?", "Borderline"),
        ("A1是不是超过{cm:.1f}厘米", "处于临界"),
    ],
)
def test_a_cut_off_inside_the_interval_is_borderline(seed_analysis, template, lead):
    f = seed_analysis.focal_findings[0]
    low, high = size_interval_mm(f)
    mm = (low + high) / 2
    conversation = Conversation(seed_analysis)
    conversation.ask("Describe the film")
    first = _first(conversation.ask(template.format(mm=mm, cm=mm / 10)))
    assert first.startswith("[A1] " + lead), first


@pytest.mark.parametrize(
    "ask", ["A1离肺门多少毫米", "how many millimetres is A1 from the hilum?"]
)
def test_a_distance_asked_in_mm_is_said_in_mm(seed_analysis, ask):
    conversation = Conversation(seed_analysis)
    conversation.ask("Describe the film")
    text = conversation.ask(ask).answer_text
    hilum = next(
        line
        for line in text.splitlines()
        if "hilum" in line or "肺门参考点距离" in line
    )
    assert " mm" in hilum and " cm" not in hilum, hilum
