"""Facts an answer stands on: one source for each (issue #12, reviewer's items g).

A satellite is counted from the findings the read reports; a size carries its interval;
a place asked is named; a region the analysis could not read is said so, not "no".
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from engine.dialogue import Conversation
from engine.dialogue.facts import size_interval_mm
from engine.findings import Candidate

from .conftest import analyse, make_phantom

# A lobulated nodule with a small neighbour about 17 mm from its centre.
_PAIR = ((290, 560, 26, (10, 3)), (336, 578, 10, ()))


def _pair_analysis(neighbour_score: float):
    film = make_phantom(_PAIR)
    return analyse(
        film,
        [
            Candidate(film.nodules[0][:2], 26, 0.92),
            Candidate(film.nodules[1][:2], 10, neighbour_score),
        ],
        key=f"pair-{neighbour_score}",
    )


def _satellite_item(turn):
    card = turn.scorecard
    assert card is not None
    return next(i for i in card.items if "satellite" in i.name("en").lower())


@pytest.mark.parametrize(
    ("question", "read"),
    [
        (
            "Going by the early lung cancer signs, how many fit here?",
            "Describe the film",
        ),
        ("按早期肺癌的征象对照，这张片子符合几条？", "看看这张片子"),
    ],
)
def test_an_unreported_neighbour_is_no_satellite(question, read):
    conversation = Conversation(_pair_analysis(0.2))  # below the report score (0.5)
    listed = conversation.ask(read)
    assert "[A2]" not in listed.answer_text  # the read does not report it ...
    item = _satellite_item(conversation.ask(question))
    assert item.status.value == "not_met"  # ... so the checklist does not count it


def test_a_reported_neighbour_is_a_satellite():
    conversation = Conversation(_pair_analysis(0.8))
    assert "[A2]" in conversation.ask("Describe the film").answer_text
    item = _satellite_item(
        conversation.ask("Going by the early lung cancer signs, how many does A1 fit?")
    )
    assert item.status.value == "met"


def _one_nodule(spacing):
    film = make_phantom()
    x, y, r = film.nodules[0]
    return analyse(
        film, [Candidate((x, y), r, 0.92)], spacing=spacing, key=f"one-{spacing}"
    )


@pytest.mark.parametrize(
    ("question", "unit", "words"),
    [
        ("What size is that nodule, in millimetres?", "mm", "long axis likely"),
        ("How sure is that measurement of its size?", "cm", "long axis likely"),
        ("这个结节有多大？", "cm", "长径可能在"),
        ("结节多大，用毫米", "mm", "长径可能在"),
    ],
)
def test_a_size_answer_gives_the_interval_the_checklist_reads(question, unit, words):
    analysis = _one_nodule(0.35)
    finding = analysis.focal_findings[0]
    low, high = size_interval_mm(finding)
    scale, digits = (1.0, 0) if unit == "mm" else (0.1, 1)
    expected = f"{low * scale:.{digits}f}–{high * scale:.{digits}f} {unit}"
    turn = Conversation(analysis).ask(question)
    assert f"{words} {expected}" in turn.answer_text


@pytest.mark.parametrize(
    ("question", "words"),
    [("Tell me about the nodule.", "long axis likely"), ("说说这个结节", "长径可能")],
)
def test_the_describe_size_line_carries_the_interval(question, words):
    analysis = _one_nodule(0.35)
    low, high = size_interval_mm(analysis.focal_findings[0])
    text = Conversation(analysis).ask(question).answer_text
    size_line = next(
        line for line in text.splitlines() if "Size:" in line or "大小：" in line
    )
    assert f"{words} {low / 10:.1f}–{high / 10:.1f} cm" in size_line


def test_no_interval_is_invented_without_a_calibrated_size():
    text = Conversation(_one_nodule(None)).ask("How big is the nodule?").answer_text
    assert "likely" not in text and "px" in text


# A left upper-zone nodule, and one the film projects behind the heart.
_UPPER, _BEHIND = (724, 330, 20, ()), (690, 700, 18, ())


def _left_nodules(*nodules):
    film = make_phantom(nodules)
    return analyse(
        film,
        [Candidate(n[:2], n[2], 0.9) for n in film.nodules],
        key=f"left-{len(nodules)}",
    )


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("Is there a lesion hiding behind the heart?", "retrocardiac region"),
        ("retrocardiac area, any nodule there?", "retrocardiac region"),
        ("心影后方有没有病灶？", "心影后区"),
        ("心后区有结节吗", "心影后区"),
    ],
)
def test_behind_the_heart_is_answered_for_that_region(question, place):
    analysis = _left_nodules(_UPPER, _BEHIND)
    behind = next(f for f in analysis.findings if f.center[1] > 600)
    turn = Conversation(analysis).ask(question)
    assert place in turn.answer_text
    # the one behind the heart, not every left-lung finding
    assert [a.finding_id for a in turn.anchors] == [behind.id]


@pytest.mark.parametrize(
    ("question", "place", "caveat"),
    [
        (
            "Anything behind the heart?",
            "retrocardiac region",
            "Sensitivity behind the heart is low",
        ),
        ("心影后面有东西吗？", "心影后区", "胸片在此处敏感性低"),
    ],
)
def test_nothing_behind_the_heart_names_it_and_its_low_sensitivity(
    question, place, caveat
):
    text = Conversation(_left_nodules(_UPPER)).ask(question).answer_text
    lead = text.splitlines()[1]
    assert place in lead and ("No" in lead or "否" in lead)
    assert "left lung" not in lead and "左肺" not in lead
    assert caveat in text


def _left_not_outlined():
    """A film whose left lung field came out of segmentation as a small fragment."""
    film = make_phantom(((290, 560, 26, (10, 3)),))
    fragment = np.zeros_like(film.left_lung)
    cv2.ellipse(fragment, (800, 300), (40, 60), 0, 0, 360, 1, -1)
    film = replace(film, left_lung=fragment.astype(bool))
    x, y, r = film.nodules[0]
    return analyse(film, [Candidate((x, y), r, 0.92)], key="left-fragment")


@pytest.mark.parametrize(
    ("question", "unread", "no"),
    [
        (
            "Is the left hemithorax white-out?",
            "Not assessable: the left lung field",
            "No:",
        ),
        (
            "Any consolidation on the left?",
            "Not assessable: the left lung field",
            "No:",
        ),
        ("左侧胸腔有没有实变？", "无法判断：左肺野未能勾画", "否："),
        ("左肺有结节吗", "无法判断：左肺野未能勾画", "否："),
    ],
)
def test_a_side_not_outlined_is_not_answered_no(question, unread, no):
    text = Conversation(_left_not_outlined()).ask(question).answer_text
    assert unread in text
    assert no not in text


@pytest.mark.parametrize(
    ("read", "words"),
    [
        ("Go through the film for me", "the left lung could not be assessed"),
        ("读一下片", "左肺内情况无法评估"),
    ],
)
def test_the_read_says_which_side_was_not_read(read, words):
    assert words in Conversation(_left_not_outlined()).ask(read).answer_text


def test_the_side_that_was_read_still_gets_its_answer():
    text = (
        Conversation(_left_not_outlined())
        .ask("Any nodule in the right lung?")
        .answer_text
    )
    assert "Yes" in text and "could not be outlined" not in text


def test_a_well_outlined_film_names_no_unread_side():
    text = (
        Conversation(_one_nodule(0.35)).ask("Any nodule in the left lung?").answer_text
    )
    assert "No:" in text and "could not be outlined" not in text


@pytest.mark.parametrize(
    ("read", "words"),
    [
        ("Your read, please", "cardiothoracic ratio could not be measured"),
        ("看一下这张片子", "心胸比未能可靠测量"),
    ],
)
def test_a_ctr_not_measured_is_said_in_the_read(read, words):
    analysis = _one_nodule(0.35)
    # the angles measured, the ratio not: the read says so rather than dropping it
    measures = replace(
        analysis.measures,
        cardiothoracic_ratio=None,
        cpa_angle_deg={"right": 40.0, "left": 45.0},
    )
    failed = replace(analysis, measures=measures)
    assert words in Conversation(failed).ask(read).answer_text


@pytest.mark.parametrize(
    ("question", "unread"),
    [
        (
            "How large is the nodule in the left lung?",
            "Not assessable: the left lung field",
        ),
        ("左肺那个结节多大？", "无法判断：左肺野未能勾画"),
    ],
)
def test_a_subject_sought_on_a_side_not_outlined_is_not_called_absent(question, unread):
    text = Conversation(_left_not_outlined()).ask(question).answer_text
    assert unread in text
    assert "No reportable" not in text and "未检出可报告" not in text


@pytest.mark.parametrize(
    ("question", "words"),
    [
        (
            "Right versus left, how do they compare?",
            "the left lung could not be assessed",
        ),
        ("左右两侧比较一下", "左肺内情况无法评估"),
    ],
)
def test_sides_are_not_compared_when_one_was_not_read(question, words):
    text = Conversation(_left_not_outlined()).ask(question).answer_text
    assert words in text
    assert "More on the right" not in text and "右肺较多" not in text


@pytest.mark.parametrize(
    ("question", "no_there", "no_both"),
    [
        (
            "Are there nodules in either lung?",
            "No: no definite nodule or mass was detected in the right lung",
            "in both lungs.",
        ),
        ("双肺有没有肿块？", "否：右肺未检出明确的结节或肿块", "否：双肺"),
    ],
)
def test_a_no_for_both_lungs_is_said_of_the_side_that_was_read(
    question, no_there, no_both
):
    film = make_phantom(((290, 560, 26, ()),))
    fragment = np.zeros_like(film.left_lung)
    cv2.ellipse(fragment, (800, 300), (40, 60), 0, 0, 360, 1, -1)
    analysis = analyse(replace(film, left_lung=fragment.astype(bool)), [], key="empty")
    text = Conversation(analysis).ask(question).answer_text
    assert no_there in text and no_both not in text
    assert "left lung could not be assessed" in text or "左肺内情况无法评估" in text


@pytest.mark.parametrize(
    ("question", "lead", "wrong"),
    [
        ("Both CP angles sharp?", "Not judged:", ("Yes", "No,")),
        ("Is either costophrenic angle blunted?", "Not judged:", ("Yes", "No,")),
        ("两侧肋膈角都锐利吗？", "无法判断：", ("是", "否")),
    ],
)
def test_angles_with_one_side_unmeasured_get_no_yes_or_no(question, lead, wrong):
    analysis = _one_nodule(0.35)
    one_side = replace(
        analysis, measures=replace(analysis.measures, cpa_angle_deg={"right": 40.0})
    )
    first = Conversation(one_side).ask(question).answer_text.splitlines()[1]
    assert first.startswith(f"- {lead}")
    assert not any(w in first for w in wrong)


def test_angles_both_measured_sharp_still_answer_no():
    analysis = _one_nodule(0.35)
    both = replace(
        analysis,
        measures=replace(
            analysis.measures, cpa_angle_deg={"right": 40.0, "left": 45.0}
        ),
    )
    text = Conversation(both).ask("Is either costophrenic angle blunted?").answer_text
    assert text.splitlines()[1].startswith("- No, not blunted:")
