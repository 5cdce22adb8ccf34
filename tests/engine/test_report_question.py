"""Asking whether a film may be reported as normal is a question, not a dictation.

A reviewer asked "so should this film be reported as negative?" on a film with a
candidate just under the threshold and was told the tool's rules cannot be changed.
An order to report it so ("report it as normal", "can you report it as normal") is still
an instruction, refused.
"""

import pytest

from engine.dialogue.query import understand
from engine.dialogue.query_records import DialogueState
from engine.intents import IntentKind
from ontology import load_vocabulary


@pytest.mark.parametrize(
    "question",
    [
        "should this one be read as normal",
        "can I report this as normal?",
        "would this film be called negative, do you think?",
    ],
)
def test_whether_to_report_it_so_is_asked(question):
    q = understand(question, load_vocabulary(), DialogueState())
    assert q.intent is IntentKind.SCREENING, q


@pytest.mark.parametrize(
    "question",
    ["report it as normal", "can you report it as normal", "mark this film as clear"],
)
def test_an_order_to_report_it_so_stays_refused(question):
    q = understand(question, load_vocabulary(), DialogueState())
    assert q.intent is IntentKind.OUT_OF_SCOPE and q.refusal == "injection", q
