"""A size asked of the heart outline is the heart's transverse diameter, then its CTR.

"A1多大" after "心脏大吗" bound A1 to the heart and answered with its name alone. The width
is the one the CTR divides by the thorax's, so the size and the CTR read one measurement.
"""

from __future__ import annotations

import re

import pytest

from engine.analysis import ImageAnalysis, default_analyzer
from engine.dialogue import Conversation
from engine.dialogue.facts import ctr_fact, ctr_sentence
from engine.intents import IntentKind
from kernel import Language

from .conftest import shared_radiograph, shared_rows


@pytest.fixture(scope="module")
def film(shared_data) -> ImageAnalysis:
    """The first JSRT film of the shared set, with its pixel spacing."""
    row = next(r for r in shared_rows(shared_data) if r["dataset"] == "JSRT")
    return default_analyzer().analyze(
        shared_radiograph(shared_data, row, key="heart-size")
    )


@pytest.mark.shared
@pytest.mark.parametrize(
    ("first", "then", "lang", "unit"),
    [
        ("心脏大吗", "A1多大", Language.ZH, "cm"),
        ("Is the heart enlarged?", "how big is A1 in mm?", Language.EN, "mm"),
    ],
)
def test_the_size_of_the_heart_anchor_is_its_width_and_its_ctr(
    film, first, then, lang, unit
):
    conversation = Conversation(film)
    conversation.ask(first)
    assert conversation.anchors.get("A1").region == "heart"
    turn = conversation.ask(then)
    assert turn.intent is IntentKind.MEASUREMENT
    width_mm = film.anatomy.heart_width_px * film.calibration.col_mm
    expected = f"{width_mm:.0f} mm" if unit == "mm" else f"{width_mm / 10:.1f} cm"
    lines = turn.sections[0].lines
    assert expected in lines[0], lines
    assert lines[1].endswith(ctr_sentence(ctr_fact(film), lang))
    assert all(a.id == "A1" for a in turn.anchors if a.region == "heart")
    assert not re.search(r"\d+(?:\.\d+)? × \d", turn.answer_text)  # no lesion size
