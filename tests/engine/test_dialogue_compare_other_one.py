""" "Compare with the other one" compares (review 20, item 9).

"the other one" also reads as "the other side", so the question looked for findings in
the opposite lung and listed them (or repeated the one in focus). A comparison with
"the other one" and nothing else named sets the film's findings side by side; with one
finding it says there is none to compare with. The distance line names its own anchor as
the measurement line, so it is not read as a third finding.
"""

from __future__ import annotations

import re

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.findings import Candidate
from tests.engine.conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def two() -> ImageAnalysis:
    return analyse(
        make_phantom(((290, 560, 30, ()), (720, 420, 16, ()))),
        [Candidate((290, 560), 30, 0.9), Candidate((720, 420), 16, 0.8)],
        key="compare-other-one",
    )


@pytest.fixture(scope="module")
def one() -> ImageAnalysis:
    return analyse(
        make_phantom(((290, 560, 30, ()),)),
        [Candidate((290, 560), 30, 0.9)],
        key="compare-other-one-single",
    )


@pytest.mark.parametrize(
    "turns",
    [
        ("anything in the right lung?", "no, the left", "compare with the other one"),
        ("any nodules?", "the bigger one?", "compare it with the other one"),
        ("右肺有东西吗", "不对，左边", "跟另一个比较一下"),
        ("有结节吗", "大的那个多大", "和另外一个对比呢"),
    ],
)
def test_the_other_one_is_compared(two, turns):
    conversation = Conversation(two)
    for said in turns[:-1]:
        conversation.ask(said)
    turn = conversation.ask(turns[-1])
    assert turn.intent == "compare"
    lines = turn.answer_text.splitlines()
    finding_ids = {a.id for a in turn.anchors if a.finding_id}
    assert len(finding_ids) == 2  # both findings, side by side
    assert any(" > " in line for line in lines[:2])  # the comparison first


@pytest.mark.parametrize(
    ("asked", "few"),
    [
        ("compare with the other one", "Fewer than two"),
        ("和另一个比较一下", "不足两处"),
    ],
)
def test_one_finding_has_nothing_to_compare_with(one, asked, few):
    conversation = Conversation(one)
    conversation.ask("findings?" if asked.isascii() else "有什么发现")
    assert few in conversation.ask(asked).answer_text


def test_the_distance_line_names_its_own_anchor(two):
    conversation = Conversation(two)
    conversation.ask("any nodules?")
    text = conversation.ask("compare them").answer_text
    line = next(x for x in text.splitlines() if "Centre-to-centre" in x)
    lead = re.match(r"- ((?:\[A\d+\])+)", line)
    assert lead is not None and lead.group(1).count("[") == 2  # the two compared
    assert re.search(r"measurement line \[A\d+\]", line)
