"""The case page's conversation picker: each conversation listed once."""

from __future__ import annotations

from datetime import UTC, datetime

from cases.model import Conversation
from dashboard.components import pickers


def _conversation(number: int) -> Conversation:
    return Conversation(
        conversation_id=number,
        case_id="C000001",
        image_id=1,
        backend="embedded",
        model_id="embedded-vision",
        model_version="10",
        parameters={},
        title=None,
        created_by="reader",
        created_at=datetime(2026, 12, 8, tzinfo=UTC),
    )


def test_an_adopted_conversation_already_listed_is_listed_once():
    # The queue's worker opens the conversation in its own thread: the page may list it
    # before it adopts it (a flaky CI failure: "options must differ in their text form").
    listed = [_conversation(1), _conversation(2)]
    merged = pickers.with_conversation(listed, _conversation(2))
    assert [c.conversation_id for c in merged] == [1, 2]
    options = pickers.conversation_options(merged, allow_new=True)
    assert len(options) == len(set(options))


def test_an_adopted_conversation_not_yet_listed_is_added_last():
    merged = pickers.with_conversation([_conversation(1)], _conversation(3))
    assert [c.conversation_id for c in merged] == [1, 3]
