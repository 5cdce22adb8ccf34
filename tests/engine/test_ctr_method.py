"""Asked how the CTR is measured or what cut-off it uses, the answer says so.

A reviewer asked "心胸比怎么测的", "CTR怎么测的" and "what is the CTR cut-off you use"
and got the bare value each time.
"""

import pytest

from engine.dialogue import Conversation
from engine.dialogue.facts import CTR_BORDERLINE_HIGH, CTR_ENLARGED
from tests.engine.conftest import two_nodules


@pytest.fixture(scope="module")
def analysis():
    return two_nodules("ctr-method")


@pytest.mark.parametrize(
    "question",
    [
        "CTR怎么测的",
        "心胸比是怎么算出来的",
        "心胸比的正常值是多少",
        "what is the CTR cut-off you use",
        "how do you measure the CTR?",
    ],
)
def test_the_method_and_the_bands_are_given(analysis, question):
    text = Conversation(analysis).ask(question).answer_text
    assert f"{analysis.measures.cardiothoracic_ratio:.2f}" in text
    assert f"{CTR_ENLARGED:.2f}" in text and f"{CTR_BORDERLINE_HIGH:.2f}" in text, text


@pytest.mark.parametrize("question", ["心胸比多少", "what's the CTR"])
def test_the_value_alone_is_the_value(analysis, question):
    text = Conversation(analysis).ask(question).answer_text
    assert f"{CTR_BORDERLINE_HIGH:.2f}" not in text
