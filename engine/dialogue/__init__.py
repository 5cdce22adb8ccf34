"""Grounded multi-turn dialogue about one radiograph, in layers.

Each module imports only the ones before it (tests/engine/test_dialogue_layers.py):

    records        turn records (sections, measurements, the turn result)
    phrases        wording helpers; the phrase tables themselves are ontology data
    homophones     pinyin input slips read as the term they sound like
    dialect        Southwestern 好 + adjective asked as a question (多 + adjective)
    sizes          a size bound the question puts on the findings
    clauses        the clause that asks, and the clauses said around it
    instructions   an instruction to the engine inside a question, set apart
    limits         what one radiograph cannot give, refused with the reason
    subjects       whether a follow-up names a subject of another kind
    query_records  the read question (Query) and the turns before it (DialogueState)
    query_slots    the slots a question says: places, sides, units, ranks, ordinals
    query_cleanup  the text cleaned before it is read (corrections, plans, background)
    query_listing  a list or a yes/no asked in other words
    query_intent   what a question asks, and why it is refused
    query_adjust   the reading revised once its intent is known
    query_ellipsis a follow-up: the previous question again with a new slot
    query_followup another question about the previous turn (again, corrections)
    query          understand(): the pipeline that reads a question with the above
    compound       one question asking two or three things of a finding, part by part
    facts          one fact, one source: CTR, costophrenic angles, calcification, size
    premise        a question that takes a sign for said, checked against the lesion
    anchoring      the anchors a turn creates, refines or references
    binding        which finding or anchor a question is about
    handlers/      findings -> lesions -> relations -> profiles: one answer per intent
    conversation   Conversation.ask: read, bind, answer, let the backend word it
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
