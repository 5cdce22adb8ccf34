"""The scorecard panel and the anchor and measurement tables, from stored rows alone."""

from __future__ import annotations

from cases import AnchorId, ConversationId, Measurement, SignMatch, SignStatus
from dashboard.components.findings import (
    anchor_frame,
    measurement_text,
    scorecard_view,
    size_text,
)
from dashboard.components.frame import PageContext
from engine.anchors import Anchor, AnchorKind, AnchorStyle
from kernel import CalibrationSource, Geometry
from ontology import load_vocabulary
from services.access import AuthMode, Identity, PageId, Role
from services.overlay import OverlayItem


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


def _ctx(lang: str) -> PageContext:
    identity = Identity(
        actor="t", display_name="t", roles=frozenset({Role.READER}), mode=AuthMode.LOCAL
    )
    return PageContext(identity=identity, lang=lang, page=PageId.CASE)


def test_the_anchor_table_and_details_keep_an_estimates_label_and_interval():
    line = Anchor(
        id="A4",
        kind=AnchorKind.MEASUREMENT,
        label_en="center to hilum",
        label_zh="中心-肺门距离",
        geometry=Geometry.line((10, 10), (200, 150)),
        style=AnchorStyle.DISTANCE,
        turn_index=3,
        attributes={
            "label": "≈6.0cm",
            "value_mm": 59.74,
            "value_px": 236.4,
            "calibration": "estimated",
        },
    )
    stored = Measurement(
        conversation_id=ConversationId(1),
        turn_index=3,
        index=0,
        kind="center_to_hilum",
        from_anchor=AnchorId("A2"),
        to_anchor=AnchorId("A3"),
        value_mm=59.74,
        value_px=236.4,
        calibration=CalibrationSource.ESTIMATED,
        detail={"label": "≈6.0cm", "relative_error": 0.15},
    )
    vocabulary = load_vocabulary()
    for lang, words in (
        ("en", "≈ 59.7 mm (estimated ±15 %)"),
        ("zh", "约 59.7 mm（估计值，±15 %）"),
    ):
        ctx = _ctx(lang)
        table = anchor_frame(ctx, [OverlayItem(anchor=line)], vocabulary)
        assert table.iloc[0]["size"] == words
        assert size_text(ctx, line) == words
        assert measurement_text(ctx, stored).endswith(words)
