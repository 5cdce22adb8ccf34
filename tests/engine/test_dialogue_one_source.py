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
