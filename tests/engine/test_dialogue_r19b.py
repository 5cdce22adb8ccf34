"""Round 19 b: the reader's own signing, follow-ups bound to the turn before, sides.

The phantom of test_dialogue_state: a lobulated nodule in the right lung and a smaller,
smooth one in the left.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind
from ontology import load_vocabulary

from .conftest import read_after, two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("r19b-two")


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


def _titles(turn) -> list[str]:
    return [s.title for s in turn.sections]


# -- 1. the reader says they will edit, review or sign: the draft they will sign ------


@pytest.mark.parametrize(
    "question",
    [
        "等我核对一遍再签名",
        "我们看过以后再签发",
        "I'm going to look it over before I sign",
        "we'll check it and then sign off",
    ],
)
def test_the_readers_own_signing_asks_for_the_draft(two, question):
    turn = Conversation(two).ask(question)
    assert turn.intent is IntentKind.SCREENING
    titles = _titles(turn)
    assert any("报告草稿" in t or "Draft report" in t for t in titles), titles


@pytest.mark.parametrize(
    "question",
    ["你帮我签字吧", "请替我签名", "can you sign it for me", "sign this on my behalf"],
)
def test_the_tool_asked_to_sign_stays_refused(vocabulary, question):
    query = read_after(vocabulary, question)
    assert query.intent is IntentKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "question", ["我看下这个标签再说", "I see a sign of volume loss?"]
)
def test_a_label_or_a_sign_on_the_film_is_no_signing(vocabulary, question):
    assert read_after(vocabulary, question).intent is not IntentKind.SCREENING
