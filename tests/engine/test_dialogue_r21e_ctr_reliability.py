"""Round 21 e: how far the cardiothoracic ratio can be trusted, asked in its own words.

"how reliable is the cardiothoracic ratio?", "CTR 准不准", "心胸比靠谱吗" were answered with
the ratio alone: only the words of a detection's confidence ("how sure", "把握") added
what the measurement depends on. A measured value's reliability asked outright gets the
same lines, from the one CTR fact (facts.ctr_reliability): how far a border error moves
the ratio, and the projection and inspiration to check.
"""

import pytest

from engine.dialogue import Conversation

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def clear():
    return analyse(make_phantom(), [], key="r21e-ctr-reliability")


def _ctr_lines(analysis, question):
    turn = Conversation(analysis).ask(question)
    section = turn.sections[0]
    assert section.title in ("Cardiothoracic ratio", "【心胸比】"), section.title
    return " ".join(section.lines)


@pytest.mark.parametrize(
    "question",
    [
        "how accurate is the cardiothoracic ratio here?",
        "is the CTR reliable on this film",
        "what's the margin of error on the CTR?",
        "心胸比准确吗",
        "这个心胸比可靠不",
        "CTR靠谱不",
        "心胸比误差有多大",
    ],
)
def test_the_ratio_asked_how_reliable_says_what_it_depends_on(clear, question):
    text = _ctr_lines(clear, question)
    # the size of a border error in the ratio, and the film's projection and inspiration
    assert "moves the ratio" in text or "心胸比约变化" in text, text
    assert ("inspiration" in text and "PA" in text) or (
        "吸气" in text and "后前位" in text
    ), text


@pytest.mark.parametrize("question", ["what's the CTR?", "心胸比多少"])
def test_the_ratio_asked_alone_is_the_ratio(clear, question):
    text = _ctr_lines(clear, question)
    assert "moves the ratio" not in text and "心胸比约变化" not in text, text
