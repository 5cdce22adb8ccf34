"""One fact, one source (issue #12, second reviewers' items e).

Each test pins one fact that several answers state (the margin call, the lobe projection,
the heart size, the calibration, the size interval) to the one place it is computed, so
that no two turns of a conversation can disagree about it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.findings import Candidate, Margin, Notch, Spicule

from .conftest import analyse, make_phantom


def _one_nodule(spacing: float | None = 0.35, key: str = "one-source"):
    film = make_phantom()
    x, y, r = film.nodules[0]
    return analyse(film, [Candidate((x, y), r, 0.92)], spacing=spacing, key=key)


def _with_margin(analysis: ImageAnalysis, margin: Margin) -> ImageAnalysis:
    findings = tuple(
        replace(f, margin=margin) if f.is_focal else f for f in analysis.findings
    )
    return replace(analysis, findings=findings)


def _strand(clock: int) -> Spicule:
    return Spicule(clock=clock, length_px=14.0, length_mm=4.9, tip=(0.0, 0.0))


def _notch(clock: int) -> Notch:
    return Notch(clock=clock, depth_px=5.0, depth_mm=1.8)


# -- the margin's lead word is the margin line's call ------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Does the edge of this nodule look regular to you?",
        "Would you call the outline of the nodule irregular?",
        "这个结节边缘规则吗？",
        "结节的轮廓是不是不规则",
    ],
)
def test_one_strand_on_a_smooth_contour_is_not_called_irregular(question):
    margin = Margin(
        notches=(), spicules=(_strand(2),), sharpness=0.9, edge_width_mm=1.0
    )
    text = Conversation(_with_margin(_one_nodule(), margin)).ask(question).answer_text
    assert "Irregular" not in text and "不规则。" not in text
    assert "Mostly regular" in text or "大致规则" in text


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("Does the edge of this nodule look regular to you?", "Irregular"),
        ("这个结节边缘规则吗？", "不规则"),
    ],
)
def test_two_strands_or_two_notches_are_irregular(question, lead):
    for margin in (
        Margin(
            notches=(),
            spicules=(_strand(2), _strand(7)),
            sharpness=0.9,
            edge_width_mm=1.0,
        ),
        Margin(
            notches=(_notch(1), _notch(5)),
            spicules=(),
            sharpness=0.9,
            edge_width_mm=1.0,
        ),
    ):
        text = Conversation(_with_margin(_one_nodule(), margin)).ask(question)
        assert lead in text.answer_text


# -- heart size: one cut-off, one state, in every answer ---------------------------


def _with_ctr(value: float, view: str | None = "PA") -> ImageAnalysis:
    analysis = _one_nodule(key="ctr")
    measures = replace(analysis.measures, cardiothoracic_ratio=value)
    return replace(analysis, measures=measures, view_position=view)


def _heart_item(turn):
    card = turn.scorecard
    assert card is not None
    return next(i for i in card.items if str(i.sign_code) == "F01")


@pytest.mark.parametrize(
    ("value", "lead", "item"),
    [(0.47, "No: ", "not_met"), (0.53, "Borderline: ", "not_assessable")],
)
def test_heart_size_says_the_same_in_every_answer_en(value, lead, item):
    conversation = Conversation(_with_ctr(value))
    read = conversation.ask("Write me a draft report for this film").answer_text
    asked = conversation.ask("Does the heart look big to you?").answer_text
    ratio = conversation.ask("What's the cardiothoracic ratio here?").answer_text
    card = conversation.ask("Heart failure checklist: which signs are met?")
    assert asked.splitlines()[1].startswith(f"- {lead}")
    assert _heart_item(card).status.value == item
    if value > 0.5:
        for text in (read, asked, ratio):
            assert "borderline" in text and "suggests an enlarged" not in text
        assert "upper limit of normal" in read.split("Impression:")[1]
    else:
        assert "borderline" not in read + asked + ratio


def test_above_the_borderline_band_suggests_enlargement_in_both_languages():
    conversation = Conversation(_with_ctr(0.58))
    assert (
        "suggests an enlarged" in conversation.ask("Is the heart enlarged?").answer_text
    )
    card = conversation.ask("Heart failure checklist: which signs are met?")
    assert _heart_item(card).status.value == "met"
    zh = conversation.ask("帮我写个报告草稿").answer_text
    impression = next(line for line in zh.splitlines() if "印象" in line)
    assert "提示心影增大" in impression  # the hedge is kept in the impression


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("心影有没有增大？", "临界"),
        ("心胸比多少", "正常上限"),
        ("出一份报告", "心影大小处于正常上限"),
    ],
)
def test_a_borderline_ratio_is_borderline_in_chinese(question, words):
    text = Conversation(_with_ctr(0.52)).ask(question).answer_text
    assert words in text and "> 0.55" not in text and "；提示心影增大" not in text


def test_the_borderline_band_is_not_judged_on_an_ap_film():
    text = Conversation(_with_ctr(0.53, "AP")).ask("Is the heart enlarged?").answer_text
    assert "Not judged" in text and "AP film magnifies" in text
