"""The small-size caveat follows a detail line's shape as its own sentence (QA 20, B9).

A detail answer's size line goes on after the size with the lesion's shape. When the
size is under 5 mm, the caveat that such a size is below what a film resolves is a
sentence of its own after the shape, in Chinese as in English, rather than the shape
being tacked on after the caveat's hedge ("...小于病灶实际轮廓，形态椭圆形").
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.dialogue.facts import SMALL_FOCAL_MM
from engine.findings import Candidate
from tests.engine.conftest import analyse, make_phantom

SIZE_LINE = {"en": "Size:", "zh": "大小："}
SHAPE = {"en": "; shape ", "zh": "，形态"}
CAVEAT = {"en": "below what a radiograph usually resolves", "zh": "低于胸片通常能分辨"}
STOP = {"en": ". ", "zh": "。"}


@pytest.fixture(scope="module")
def small_film() -> ImageAnalysis:
    film = analyse(
        make_phantom(((290, 560, 22, ()),)),
        [Candidate((290, 560), 22, 0.9)],
        key="caveat-after-shape",
    )
    f = film.findings[0]
    small = replace(
        f,
        long_axis_mm=SMALL_FOCAL_MM - 1.0,
        short_axis_mm=2.0,
        diameter_interval_mm=(2.0, 6.0),
    )
    return replace(film, findings=(small, *film.findings[1:]))


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("tell me about the nodule in detail", "en"),
        ("please describe that lesion", "en"),
        ("详细描述一下这个结节", "zh"),
        ("说说那个病灶的细节", "zh"),
    ],
)
def test_shape_comes_before_the_caveat_sentence(small_film, question, lang):
    text = Conversation(small_film).ask(question).answer_text
    lines = [line for line in text.splitlines() if SIZE_LINE[lang] in line]
    assert lines, text
    line = lines[0]
    assert SHAPE[lang] in line and CAVEAT[lang] in line, line
    shape_at = line.index(SHAPE[lang])
    caveat_at = line.index(CAVEAT[lang])
    assert shape_at < caveat_at, line
    # The caveat opens a sentence of its own, after the one that names the shape.
    assert STOP[lang] in line[shape_at:caveat_at], line
    assert line.rstrip().endswith("。" if lang == "zh" else "."), line
