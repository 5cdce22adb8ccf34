"""Round 21 d: the lesion-sign paths reconcile each item with the checklist's wording.

`facts.lesion_sign_item` assesses one sign for one lesion and passes the result through
`reconcile_item`, so that a sign question ("有上叶分布的病灶吗") and the explanation of a sign
with a lesion in focus say what the profile's checklist says of that lesion. No test
failed when the reconciliation was skipped there. A nodule whose lobe projection straddles
an upper and a middle lobe is borderline on the checklist; the two other answers must
agree with it, not read the centre's lobe as a plain yes.
"""

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from ontology import MatchStatus, Unassessable

from .conftest import analyse, make_phantom

UPPER_LOBE = "A51"


@pytest.fixture(scope="module")
def straddling():
    """One nodule in the right lung whose projection is upper or middle lobe."""
    phantom = make_phantom(((250, 380, 22, ()),))
    return analyse(phantom, [Candidate((250, 380), 22, 0.9)], key="r21d-reconcile")


def _checklist_item(analysis, question: str):
    turn = Conversation(analysis).ask(question)
    assert turn.scorecard is not None, turn.answer_text
    return next(i for i in turn.scorecard.items if str(i.sign_code) == UPPER_LOBE)


@pytest.mark.parametrize(
    ("profile_question", "sign_question", "lang"),
    [
        ("如果是早期肺癌，符合几条典型征象", "有上叶分布的病灶吗", "zh"),
        ("如果这是肺癌，对照一下评分卡", "上叶分布的结节有没有", "zh"),
    ],
)
def test_the_sign_question_says_what_the_checklist_says(
    straddling, profile_question, sign_question, lang
):
    item = _checklist_item(straddling, profile_question)
    assert item.status is MatchStatus.NOT_ASSESSABLE, item
    assert item.unassessable is Unassessable.BORDERLINE, item
    turn = Conversation(straddling).ask(sign_question)
    lines = [line for s in turn.sections for line in s.lines if line.startswith("[A1]")]
    assert lines, turn.answer_text
    assert item.reason(lang) in lines[0], (lines[0], item.reason(lang))


@pytest.mark.parametrize(
    ("focus", "question"),
    [
        ("describe the nodule", "what is upper lobe location?"),
        ("说说这个结节", "上叶分布是什么意思"),
    ],
)
def test_a_sign_explained_with_the_lesion_in_focus_does_not_call_it_present(
    straddling, focus, question
):
    # the checklist calls it borderline, so the explanation says nothing of A1 either way
    conversation = Conversation(straddling)
    conversation.ask(focus)
    turn = conversation.ask(question)
    said = [line for s in turn.sections for line in s.lines if "[A1]" in line]
    assert not said, said
