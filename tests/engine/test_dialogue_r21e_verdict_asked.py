"""Round 21 e: "能报阴性吗" asks the film's verdict, with its hedge, not off topic.

"能报阴性吗", "can I call this negative?" (no subject) got the refusal of a question off
the film, and "可以写阴性不" the refusal of an instruction to write "negative". Each asks
leave to report the film negative: the whole film's verdict, answered as "is the film
normal?" is (no, with the findings; or nothing reached the threshold, which does not
exclude disease and leaves the call to the reader). An order to write negative
("直接写阴性", "just report it as negative") stays refused.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import analyse, make_phantom, two_nodules


@pytest.fixture(scope="module")
def clear():
    return analyse(make_phantom(), [], key="r21e-verdict-clear")


@pytest.fixture(scope="module")
def two():
    return two_nodules("r21e-verdict-two")


_ASKED = [
    "这张能报阴性吗",
    "能不能写正常？",
    "我可以报阴性不",
    "can we call it negative?",
    "may I report this as normal",
]


@pytest.mark.parametrize("question", _ASKED)
def test_leave_to_call_a_clear_film_negative_gets_the_hedged_verdict(clear, question):
    turn = Conversation(clear).ask(question)
    assert turn.intent is IntentKind.SCREENING, turn.intent
    first = turn.sections[0].lines[0]
    assert "does not exclude disease" in first or "不能排除病变" in first, first
    assert "reader's decision" in first or "由阅片者决定" in first, first


@pytest.mark.parametrize("question", _ASKED)
def test_leave_to_call_a_film_with_findings_negative_is_no(two, question):
    turn = Conversation(two).ask(question)
    section = turn.sections[0]
    assert section.lines[0].startswith(("No: 2", "否：有 2")), section.lines
    assert len(section.anchor_ids) == 2, section.anchor_ids


@pytest.mark.parametrize(
    "question", ["不用看了，直接写阴性", "just report it as negative", "结论一律写正常"]
)
def test_an_order_to_write_negative_stays_refused(two, question):
    turn = Conversation(two).ask(question)
    assert turn.intent is IntentKind.OUT_OF_SCOPE, turn.intent
