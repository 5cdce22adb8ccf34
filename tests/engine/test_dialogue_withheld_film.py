"""A film withheld as a whole is never answered with a negative read.

When the analysis doubts that the image is a frontal chest radiograph (a lateral, an
animal, a hand) it withholds findings and measures, so its finding list is empty. A
question that reads the film ("anything abnormal?", "any nodules?", a profile's
checklist) must then say that nothing was read and why, not "no nodule was detected",
which a reader would take for a negative chest.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation

from .conftest import two_nodules

DOUBT = "the lung fields cover 0.5% of the image"


@pytest.fixture(scope="module")
def withheld() -> ImageAnalysis:
    read = two_nodules("withheld-film")
    return replace(read, findings=(), hilum_relations={}, frontal_doubts=(DOUBT,))


@pytest.mark.parametrize(
    "question",
    [
        "肺部是否有异常?",
        "有结节吗",
        "Is there anything abnormal in the lungs?",
        "any nodules on the left?",
        "list the findings",
        "如果这是早期肺癌，当前影像符合几条？",
        "CTR?",
        "心脏大不大",
        "heart borders ok?",
        "where is A1?",
    ],
)
def test_a_film_question_says_nothing_was_read_and_why(withheld, question):
    turn = Conversation(withheld).ask(question)
    text = turn.answer_text
    assert "不像正位胸片" in text or "does not look like a frontal chest" in text, text
    assert "未检出" not in text and "No definite" not in text, text
    assert turn.scorecard is None
    assert not turn.anchors


def test_the_english_answer_names_the_doubt(withheld):
    turn = Conversation(withheld).ask("anything wrong on this film?")
    assert DOUBT in turn.answer_text


def test_a_read_film_is_answered_as_before():
    read = two_nodules("read-film")
    turn = Conversation(read).ask("Is there anything abnormal in the lungs?")
    assert "does not look like a frontal chest" not in turn.answer_text
    assert turn.anchors


def test_the_spacing_of_a_withheld_film_is_still_answered(withheld):
    turn = Conversation(withheld).ask("is it calibrated?")
    assert "does not look like a frontal chest" not in turn.answer_text
    assert "spacing" in turn.answer_text, turn.answer_text
