"""Grounded multi-turn dialogue about one radiograph, in layers.

records (turn records) -> phrases (wording as data) -> query (what a question asks, and
the dialogue state that fills in an elliptical follow-up) -> anchoring -> binding ->
handlers -> conversation (`Conversation.ask`). Each module imports only the ones before it.
"""

from engine.dialogue.conversation import Conversation
from engine.dialogue.records import (
    Measurement,
    Section,
    TurnResult,
    anchor_summary,
    scorecard_json,
)
from engine.findings import FindingKind

__all__ = [
    "Conversation",
    "FindingKind",
    "Measurement",
    "Section",
    "TurnResult",
    "anchor_summary",
    "scorecard_json",
]
