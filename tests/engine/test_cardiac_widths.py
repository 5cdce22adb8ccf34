"""The heart's and the thorax's widths, asked as such, are the CTR's two measurements.

A reviewer asked "心脏横径多少厘米", "胸廓内径呢" and "how wide is the heart" and was
told there was no finding to refer to, or asked which nodule was meant.
"""

import pytest

from engine.dialogue import Conversation
from tests.engine.conftest import SPACING, analyse, make_phantom, two_nodules


@pytest.fixture(scope="module")
def analysis():
    return two_nodules("widths")


@pytest.mark.parametrize(
    "question",
    [
        "心脏横径多少厘米",
        "心影横径有多宽",
        "how wide is the heart",
        "胸廓内径呢",
        "thoracic width?",
    ],
)
def test_a_width_of_the_heart_or_thorax_is_answered_with_both(analysis, question):
    turn = Conversation(analysis).ask(question)
    text = turn.answer_text
    heart = analysis.anatomy.heart_width_px * SPACING / 10
    thorax = analysis.anatomy.thoracic_width_px * SPACING / 10
    assert f"{heart:.1f} cm" in text and f"{thorax:.1f} cm" in text, text
    assert f"{analysis.measures.cardiothoracic_ratio:.2f}" in text


def test_a_unit_asked_is_the_unit_answered(analysis):
    text = Conversation(analysis).ask("心脏横径多少毫米").answer_text
    assert f"{analysis.anatomy.heart_width_px * SPACING:.0f} mm" in text


def test_without_pixel_spacing_the_widths_are_in_pixels():
    film = make_phantom(((290, 560, 24, ()),))
    analysis = analyse(film, [], spacing=None, key="widths-uncalibrated")
    text = Conversation(analysis).ask("how wide is the chest").answer_text
    assert f"{analysis.anatomy.thoracic_width_px:.0f} px" in text


def test_a_finding_named_keeps_its_own_size(analysis):
    conversation = Conversation(analysis)
    conversation.ask("列出所有结节")
    turn = conversation.ask("第一个多大")
    assert turn.sections[0].anchor_ids and "胸廓内径" not in turn.answer_text
