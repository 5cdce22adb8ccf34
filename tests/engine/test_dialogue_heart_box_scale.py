"""A box drawn over the heart gives the heart's width on the box's scale (QA 20, B7).

On a film without pixel spacing the box's size is given on the estimated scale (cm,
hedged about its error). The heart's width in the same answer is then given on that
scale too, hedged the same way, rather than in pixels beside estimated centimetres;
and the line ends as a sentence. A calibrated film keeps its own calibrated widths.
"""

from __future__ import annotations

import re

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from kernel import Box
from tests.engine.conftest import analyse, make_phantom

HEART_BOX = Box(x0=400, y0=520, x1=760, y1=780)
HEART_LINE = {"en": "cardiac silhouette:", "zh": "框内为心影"}
BOX_LINE = {"en": "The box you drew spans", "zh": "所框区域约"}
PIXELS = {"en": r"\d+ px", "zh": r"\d+ 像素"}
ESTIMATED = {"en": "estimated from a typical adult", "zh": "按典型成人胸廓宽度估算"}


@pytest.fixture(scope="module")
def uncalibrated() -> ImageAnalysis:
    return analyse(make_phantom(()), [], spacing=None, key="heart-box-estimated")


@pytest.fixture(scope="module")
def calibrated() -> ImageAnalysis:
    return analyse(make_phantom(()), [], key="heart-box-calibrated")


def _lines(film: ImageAnalysis, turns: tuple[str, str], lang: str) -> tuple[str, str]:
    conversation = Conversation(film)
    conversation.ask(turns[0], drawn_box=HEART_BOX)
    text = conversation.ask(turns[1]).answer_text
    box = [line for line in text.splitlines() if BOX_LINE[lang] in line]
    heart = [line for line in text.splitlines() if HEART_LINE[lang] in line]
    assert box and heart, text
    return box[0], heart[0]


TURNS = [
    (("what's in here?", "and its size"), "en"),
    (("look at this area", "how wide is it?"), "en"),
    (("这里是什么", "有多大呢"), "zh"),
    (("看看这个框", "尺寸是多少"), "zh"),
]


@pytest.mark.parametrize(("turns", "lang"), TURNS)
def test_heart_width_on_the_box_estimated_scale(uncalibrated, turns, lang):
    box, heart = _lines(uncalibrated, turns, lang)
    assert ESTIMATED[lang] in box, box
    assert ESTIMATED[lang] in heart, heart
    assert not re.search(PIXELS[lang], heart), heart
    assert re.search(r"\d+\.\d cm", heart), heart
    assert heart.rstrip().endswith("。" if lang == "zh" else "."), heart


@pytest.mark.parametrize(("turns", "lang"), TURNS[:1] + TURNS[2:3])
def test_calibrated_film_keeps_its_calibrated_width(calibrated, turns, lang):
    box, heart = _lines(calibrated, turns, lang)
    assert ESTIMATED[lang] not in box and ESTIMATED[lang] not in heart, heart
    assert re.search(r"\d+\.\d cm", heart), heart


CTR = {"en": "ardiothoracic ratio", "zh": "心胸比"}


@pytest.mark.parametrize(
    ("turns", "lang"),
    [
        (("what's in here?", "and its size", "is the heart enlarged then?"), "en"),
        (("look at this area", "what's the CTR?"), "en"),
        (("这里是什么", "有多大呢", "那心影增大吗"), "zh"),
        (("看看这个框", "心胸比多少"), "zh"),
    ],
)
def test_the_heart_keeps_one_anchor_apart_from_the_box(uncalibrated, turns, lang):
    conversation = Conversation(uncalibrated)
    texts = [conversation.ask(turns[0], drawn_box=HEART_BOX).answer_text]
    texts += [conversation.ask(t).answer_text for t in turns[1:]]
    box_id = conversation.anchors.all()[0].id
    cited = {
        i
        for text in texts
        for line in text.splitlines()
        if CTR[lang] in line
        for i in re.findall(r"\[(A\d+)\]", line)
    }
    assert len(cited) == 1 and box_id not in cited, "\n".join(texts)
