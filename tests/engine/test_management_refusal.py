"""A question about the next step with the patient gets the checklist's own rule.

A reviewer asked "需要做CT吗" and was told the tool cannot read a CT; "需要随访吗" and
"what would you recommend" were refused as treatment advice, while two turns later the
early-lung-cancer checklist said CT is the next step for a nodule not clearly benign.
The question stays refused (the decision is the clinician's), with that same rule.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import two_nodules

PROFILE = load_vocabulary().profiles["early_lung_cancer"]
MANAGEMENT = {lang: PROFILE.next_step(lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def analysis():
    return two_nodules("management")


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("需要做CT吗", "zh"),
        ("这个要不要随访", "zh"),
        ("A1下一步怎么办", "zh"),
        ("what follow-up would you suggest for A2", "en"),
        ("does she need a CT?", "en"),
        ("what would you recommend?", "en"),
    ],
)
def test_the_next_step_is_refused_with_the_checklists_rule(analysis, question, lang):
    turn = Conversation(analysis).ask(question)
    assert turn.intent is IntentKind.OUT_OF_SCOPE
    assert MANAGEMENT[lang] in turn.answer_text


@pytest.mark.parametrize(
    "question", ["用什么抗生素好", "what's the prognosis", "看一下他上次的CT"]
)
def test_treatment_and_other_studies_keep_their_own_reason(analysis, question):
    turn = Conversation(analysis).ask(question)
    assert turn.intent is IntentKind.OUT_OF_SCOPE
    assert not any(m in turn.answer_text for m in MANAGEMENT.values())


def test_the_rule_said_is_the_checklists_rule():
    assert "CT" in MANAGEMENT["en"] and "CT" in MANAGEMENT["zh"]
