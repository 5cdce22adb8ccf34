"""Round 20 h: the CTR reliability line names both cut-offs of the borderline band.

"How sure are you?" about a borderline ratio of 0.545 said only that it lies 0.005 from
the 0.55 cut-off, while every headline calls it "above the 0.50 limit". A PA value in the
borderline band now gives its distance to both cut-offs, and which of them lies within
the measurement error.
"""

from dataclasses import replace

import pytest

from engine.dialogue import Conversation

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def film():
    return analyse(make_phantom(), [], key="r20h-ctr-band")


def _trust_line(analysis, value, *turns: str) -> str:
    measures = replace(analysis.measures, cardiothoracic_ratio=value)
    conversation = Conversation(replace(analysis, measures=measures))
    for said in turns:
        turn = conversation.ask(said)
    lines = [line for s in turn.sections for line in s.lines]
    return next(line for line in lines if "How far" in line or "可信程度" in line)


_ASKED = [
    ("how sure are you about the heart size?",),
    ("cardiothoracic ratio?", "how confident are you in that"),
    ("心影大小你有多确定",),
    ("心胸比多少", "有多大把握"),
]


@pytest.mark.parametrize("turns", _ASKED)
def test_a_borderline_value_gives_both_cut_offs(film, turns):
    line = _trust_line(film, 0.545, *turns)
    assert "0.50" in line and "0.55" in line, line
    assert "0.045" in line and "0.005" in line, line


@pytest.mark.parametrize("turns", _ASKED[:1] + _ASKED[2:3])
def test_the_cut_off_within_the_error_is_the_nearer_one(film, turns):
    line = _trust_line(film, 0.505, *turns)
    assert "0.005" in line and "0.045" in line, line
    assert "within that error of 0.50" in line or "与 0.50 的差距" in line, line


@pytest.mark.parametrize("turns", _ASKED[:1] + _ASKED[2:3])
def test_a_value_outside_the_band_names_no_band(film, turns):
    line = _trust_line(film, 0.60, *turns)
    assert "borderline band" not in line and "临界带" not in line, line
