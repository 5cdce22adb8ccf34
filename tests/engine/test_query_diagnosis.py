"""A diagnosis asked with the subject first or over all the findings is still a diagnosis.

"A1 is cancer?" and "are all nodules benign?" ask what only the clinician decides, in
forms the identity questions ("is it cancer?", "是癌吗") did not cover; a benign pattern
named as a look, or a benign impression said beside a value question, is not asked.
"""

import pytest

from engine.dialogue.query import understand
from engine.intents import IntentKind
from ontology import load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    "text",
    [
        "A2 is malignant?",
        "the mass is cancer?",
        "are all the nodules benign",
        "is any of them malignant?",
        "结节都是良性的吗",
        "A1是癌？",
    ],
)
def test_a_diagnosis_asked_of_a_subject_or_of_all_findings_is_refused(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("is there a benign pattern of calcification in A1?", IntentKind.DESCRIBE),
        ("the nodule looks benign to me, how big is it?", IntentKind.MEASUREMENT),
        ("A1是不是钙化了", IntentKind.DESCRIBE),
    ],
)
def test_a_benign_look_or_a_remark_beside_a_value_is_still_answered(
    vocabulary, text, intent
):
    assert understand(text, vocabulary).intent is intent
