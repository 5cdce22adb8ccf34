"""A checklist's size item on a film without pixel spacing names the estimate it ignores.

The read gives an uncalibrated film's sizes as estimates from typical anatomy ("about 1.5
cm, ±15 %"), and a checklist scores sizes only from the film's own calibration. The size
item then must not say "not measured on this image" beside the size the read just gave:
it says the size is an estimate, gives it, and says that it does not score the item.
"""

from __future__ import annotations

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def films() -> dict[str, ImageAnalysis]:
    film = make_phantom(((290, 560, 26, ()),))
    candidates = [Candidate((290, 560), 26, 0.9)]
    return {
        "no_spacing": analyse(film, candidates, spacing=None, key="size-no-spacing"),
        "spacing": analyse(film, candidates, key="size-spacing"),
    }


@pytest.mark.parametrize(
    "question",
    [
        "如果这是早期肺癌，当前影像符合几条？",
        "if this were early lung cancer, how many signs does it meet?",
    ],
)
def test_the_size_item_names_the_estimate_it_does_not_score(films, question):
    chat = Conversation(films["no_spacing"])
    chat.ask("Is there anything abnormal in the lungs?")
    turn = chat.ask(question)
    estimate = films["no_spacing"].focal_findings[0].size_estimate
    assert estimate is not None
    shown = f"{estimate.long_axis_mm / 10:.1f} cm"
    sized = [i for i in turn.scorecard.items if shown in i.reason_en]
    assert sized, [i.reason_en for i in turn.scorecard.items]
    for item in sized:
        assert item.status.value == "not_assessable"
        assert "pixel spacing" in item.reason_en and "像素间距" in item.reason_zh
        assert "not measured on this image" not in item.reason_en
    assert shown in turn.answer_text


def test_a_calibrated_film_scores_the_size(films):
    chat = Conversation(films["spacing"])
    chat.ask("Is there anything abnormal in the lungs?")
    turn = chat.ask("if this were early lung cancer, how many signs does it meet?")
    assert not any("pixel spacing" in i.reason_en for i in turn.scorecard.items)
