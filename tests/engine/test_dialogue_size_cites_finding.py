"""A size is cited to the finding it measures, not to the reader's box (QA 20, B8).

After a box drawn round a nodule, "how big?" gives the nodule's size. The box has a
size of its own, so citing it with the nodule ("[A1][A2] Size: ...") gives one figure
two sources; the size line cites the nodule's anchor alone.
"""

from __future__ import annotations

import re

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.findings import Candidate
from kernel import AnchorKind, Box
from tests.engine.conftest import analyse, make_phantom

SIZE = {"en": "Size:", "zh": "大小："}


@pytest.fixture(scope="module")
def film() -> ImageAnalysis:
    return analyse(
        make_phantom(((290, 560, 22, ()),)),
        [Candidate((290, 560), 22, 0.9)],
        key="size-cites-finding",
    )


@pytest.mark.parametrize(
    ("turns", "lang"),
    [
        (("what is in this box?", "and the size"), "en"),
        (("what's that", "how big then?"), "en"),
        (("框里是什么", "有多大呢"), "zh"),
        (("这是什么", "尺寸是多少"), "zh"),
    ],
)
def test_size_after_a_box_cites_only_the_finding(film, turns, lang):
    conversation = Conversation(film)
    conversation.ask(turns[0], drawn_box=Box(x0=250, y0=520, x1=330, y1=600))
    turn = conversation.ask(turns[1])
    lines = [line for line in turn.answer_text.splitlines() if SIZE[lang] in line]
    assert lines, turn.answer_text
    cited = re.findall(r"\[(A\d+)\]", lines[0].split(SIZE[lang])[0])
    assert cited, lines[0]
    kinds = {conversation.anchors.get(i).kind for i in cited}
    assert kinds == {AnchorKind.FINDING}, lines[0]
