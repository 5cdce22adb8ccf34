"""The scorecard panel is built from the stored sign-match rows alone."""

from __future__ import annotations

from cases import ConversationId, SignMatch, SignStatus
from dashboard.components.findings import scorecard_view
from ontology import load_vocabulary


def _match(turn, index, **changes):
    values = {
        "conversation_id": ConversationId(1),
        "turn_index": turn,
        "index": index,
        "profile_id": "unknown_profile",
        "profile_version": "1",
        "sign_code": f"X{index}",
        "status": SignStatus.MET,
        "evidence_anchor_ids": (),
        "reason": "round, about 2 cm",
        "item_group": "core",
    }
    return SignMatch(**{**values, **changes})


def test_the_panel_shows_the_latest_scorecard_up_to_the_shown_turn():
    matches = [_match(1, 0), _match(3, 0, status=SignStatus.NOT_MET)]
    vocabulary = load_vocabulary()
    assert scorecard_view(matches, 0, vocabulary, "en") is None
    early = scorecard_view(matches, 2, vocabulary, "en")
    assert early.turn_number == 1 and early.items[0].status == "met"
    late = scorecard_view(matches, 3, vocabulary, "en")
    assert late.turn_number == 3 and late.items[0].status == "not_met"
    assert late.items[0].group == "core"


def test_the_reason_speaks_the_interface_language_when_it_was_stored():
    vocabulary = load_vocabulary()
    both = [_match(1, 0, reason_zh="圆形，约 2 cm")]
    english_only = [_match(1, 0)]
    assert scorecard_view(both, 1, vocabulary, "zh").items[0].reason == "圆形，约 2 cm"
    assert scorecard_view(both, 1, vocabulary, "en").items[0].reason == (
        "round, about 2 cm"
    )
    assert scorecard_view(english_only, 1, vocabulary, "zh").items[0].reason == (
        "round, about 2 cm"
    )
