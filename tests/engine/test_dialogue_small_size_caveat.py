"""A focal size under 5 mm carries a caveat wherever it is given (review 20, item 12).

JPCLN139's 12 mm tuberculoma was measured 0.4 x 0.2 cm: a figure from a few pixels of a
faint outline. Sizes that small are below what a radiograph usually resolves as a
nodule, so the answer says the size is uncertain and likely short of the outline.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.dialogue.facts import SMALL_FOCAL_MM
from engine.findings import Candidate
from tests.engine.conftest import analyse, make_phantom

CAVEAT = {"en": "below what a radiograph usually resolves", "zh": "低于胸片通常能分辨"}


@pytest.fixture(scope="module")
def film() -> ImageAnalysis:
    return analyse(
        make_phantom(((290, 560, 22, ()),)),
        [Candidate((290, 560), 22, 0.9)],
        key="small-size-caveat",
    )


def _sized(film: ImageAnalysis, long_mm: float, short_mm: float) -> ImageAnalysis:
    f = film.findings[0]
    small = replace(
        f,
        long_axis_mm=long_mm,
        short_axis_mm=short_mm,
        diameter_interval_mm=(long_mm * 0.5, long_mm * 1.5),
    )
    return replace(film, findings=(small, *film.findings[1:]))


@pytest.mark.parametrize(
    ("turns", "lang"),
    [
        (("any nodule?", "how big is it?"), "en"),
        (("有结节吗", "它有多大"), "zh"),
    ],
)
def test_a_size_under_5_mm_says_so_in_the_list_and_the_size(film, turns, lang):
    conversation = Conversation(_sized(film, SMALL_FOCAL_MM - 0.9, 2.4))
    listed = conversation.ask(turns[0]).answer_text
    sized = conversation.ask(turns[1]).answer_text
    assert CAVEAT[lang] in listed
    assert CAVEAT[lang] in sized


@pytest.mark.parametrize("long_mm", [SMALL_FOCAL_MM, 12.0])
def test_a_size_of_5_mm_or_more_has_no_caveat(film, long_mm):
    conversation = Conversation(_sized(film, long_mm, long_mm * 0.8))
    assert CAVEAT["en"] not in conversation.ask("how big is the nodule?").answer_text
