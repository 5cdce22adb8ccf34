"""Round 21 e: a segment asked is answered with the zone and lobe, then why no segment.

"which segment is A1 in" was answered with the zone and the lobe projection as though
that were the segment; a frontal film cannot tell a bronchopulmonary segment, so the
answer now says so after the place (hedged). "A2在哪个肺段" after a segment question of A1
was read as a comparison of A1 and A2 (哪个 as "which of the two"): 哪个肺段 asks a
place, as 哪个肺叶 does.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("r21e-segment")


def _asked(analysis, *turns):
    conversation = Conversation(analysis)
    conversation.ask("列出所有结节")  # A1 and A2
    for said in turns:
        turn = conversation.ask(said)
    return turn


def _says_no_segment(lines):
    return any("segment cannot be told" in x or "肺段无法" in x for x in lines)


@pytest.mark.parametrize(
    ("question", "anchor"),
    [
        ("what segment does A1 sit in?", "A1"),
        ("A2 - which segment?", "A2"),
        ("A1位于哪个肺段", "A1"),
        ("A2属于哪一段？", "A2"),
    ],
)
def test_a_segment_asked_gets_the_place_then_why_no_segment(two, question, anchor):
    turn = _asked(two, question)
    section = turn.sections[0]
    assert turn.intent is IntentKind.LOCATION, turn.intent
    assert section.anchor_ids == (anchor,), section.anchor_ids
    # the zone and lobe first, the segment's limit after them
    assert not _says_no_segment(section.lines[:1]), section.lines
    assert _says_no_segment(section.lines[-1:]), section.lines


@pytest.mark.parametrize(
    "turns",
    [
        ("which segment is A1 in", "A2在哪个肺段"),
        ("A1在哪个肺段", "A2呢"),
        ("A2是哪一段", "what segment is A1 in?"),
    ],
)
def test_the_next_anchor_asked_the_segment_is_that_anchor_alone(two, turns):
    turn = _asked(two, *turns)
    assert turn.intent is IntentKind.LOCATION, turn.intent
    section = turn.sections[0]
    assert len(section.anchor_ids) == 1, section.anchor_ids
    assert _says_no_segment(section.lines), section.lines


@pytest.mark.parametrize("question", ["where is A1?", "A2在哪个肺叶", "A1在哪"])
def test_a_place_asked_without_a_segment_has_no_segment_line(two, question):
    section = _asked(two, question).sections[0]
    assert not _says_no_segment(section.lines), section.lines
