"""Round 21 d: every borderline checklist item reads "Name: borderline, why".

The heart's item was mended to read naturally; the others (a lobe projection between an
upper and a middle lobe, a single spicule-like strand, a value whose interval straddles
the cut-off) still read "Name: borderline: ...", two colons. One wording
(answers.toml `item_borderline`) now serves them all, in both languages.
"""

import re

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from kernel import Language
from ontology.scoring import borderline_reason

from .conftest import analyse, make_phantom

_TWO_COLONS = re.compile(r"(?:borderline|临界)\s*[:：]")


@pytest.fixture(scope="module")
def straddling():
    """A nodule projecting on an upper or a middle lobe, about 2 cm across."""
    phantom = make_phantom(((250, 380, 28, ()),))
    return analyse(phantom, [Candidate((250, 380), 28, 0.9)], key="r21d-borderline")


@pytest.mark.parametrize(
    ("question", "upper_lobe"),
    [
        (
            "if this were early lung cancer, how many typical signs does it meet?",
            "Upper lobe location: borderline, the approximate lobe projection",
        ),
        ("按早期肺癌标准逐条对照", "上叶分布：临界，正位片肺叶投影"),
    ],
)
def test_the_checklist_says_borderline_once_with_a_comma(
    straddling, question, upper_lobe
):
    lines = [
        line
        for s in Conversation(straddling).ask(question).sections
        for line in s.lines
    ]
    assert any(upper_lobe in line for line in lines), lines
    assert not any(_TWO_COLONS.search(line) for line in lines), lines


def test_a_sign_question_reads_the_same(straddling):
    turn = Conversation(straddling).ask("有上叶分布的病灶吗")
    first = next(
        line for s in turn.sections for line in s.lines if line.startswith("[A1]")
    )
    assert "上叶分布：临界，" in first, first


@pytest.mark.parametrize(
    ("lang", "expected"),
    [(Language.EN, "borderline, a value"), (Language.ZH, "临界，a value")],
)
def test_one_wording_source(lang, expected):
    assert borderline_reason("a value", lang) == expected
