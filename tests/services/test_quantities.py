"""An estimated length keeps its label and interval on every surface a person reads.

The film is the seed phantom saved as a PNG without pixel spacing, read by the fake
vision models (its own masks and nodule): the engine then measures with its anatomical
estimate of the pixel size, and every distance is an estimate of about ±15 %.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import cases
from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from engine.anchors import Anchor, AnchorKind, AnchorStyle
from engine.backends.embedded import EmbeddedBackend
from kernel import CalibrationSource, Geometry
from services import exports, overlay, quantities, render, workflows
from services.overlay import DisplayImage, OverlayItem
from tests.demo_fixtures import fake_analysis_cache

EN = "estimated ±15 %"
ZH = "估计值，±15 %"
QUESTIONS = (
    "Is there anything abnormal in the lungs?",
    "How far is this lesion from the right hilum?",
)


def test_an_estimate_says_so_in_both_languages():
    source = CalibrationSource.ESTIMATED
    assert quantities.length_text(59.74, 300, source, "en", relative_error=0.15) == (
        "≈ 59.7 mm (estimated ±15 %)"
    )
    assert quantities.length_text(59.74, 300, "estimated", "zh") == (
        "约 59.7 mm（估计值，±15 %）"
    )
    assert quantities.length_text(59.74, 300, source, "en", relative_error=0.2) == (
        "≈ 59.7 mm (estimated ±20 %)"
    )


def test_a_calibrated_length_is_plain_mm_and_an_uncalibrated_one_pixels():
    assert quantities.length_text(59.74, 300, "PixelSpacing", "en") == "59.7 mm"
    assert quantities.length_text(None, 300.4, "none", "en") == "300 px"
    assert quantities.length_text(None, 300.4, "none", "zh") == "300 像素"
    assert quantities.length_text(None, None, "none", "en") == "—"
    # A damaged calibration's length is never printed as mm.
    assert quantities.length_text(5e6, 300, "PixelSpacing", "en") == "300 px"


@pytest.fixture(scope="module")
def estimated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A stored conversation on a PNG without spacing, with an estimated distance."""
    phantom = make_phantom(seed_scenario_spec())
    buffer = io.BytesIO()
    pixels = np.round(phantom.pixels * 255).astype(np.uint8)
    PILImage.fromarray(pixels, mode="L").save(buffer, format="PNG")
    db = tmp_path_factory.mktemp("estimated") / "casebook.duckdb"
    with open_store(db) as store:
        outcome = store.import_bytes(buffer.getvalue(), name="seed.png", actor="t")
        session = workflows.start_session(
            store,
            outcome.case_id,
            backend=EmbeddedBackend(),
            actor="t",
            cache=fake_analysis_cache(),
        )
        for question in QUESTIONS:
            workflows.ask(store, session, question, actor="t")
        conversation_id = session.record.conversation_id
        measured = store.list_measurements(conversation_id)
    assert measured and all(
        m.calibration is CalibrationSource.ESTIMATED for m in measured
    )
    return db, conversation_id


def _line_anchors(db: Path, conversation_id: int) -> list[tuple[Anchor, str | None]]:
    with open_store(db) as store:
        states = workflows.replay_state(store, conversation_id, len(QUESTIONS))
    return [
        (a, s) for a, s in states if a.style in (AnchorStyle.DISTANCE, AnchorStyle.GAP)
    ]


def test_the_canvas_labels_an_estimated_line_in_the_interface_language(estimated):
    lines = _line_anchors(*estimated)
    assert lines
    display = DisplayImage(
        data=b"", width=500, height=500, image_width=1024, image_height=1024
    )
    items = [OverlayItem(anchor=a, status=s) for a, s in lines]
    for lang, words in (("en", EN), ("zh", ZH)):
        texts = [
            o["text"]
            for o in overlay.overlay_objects(items, display, lang=lang)
            if o["type"] == "Text" and "mm" in o["text"]
        ]
        assert len(texts) == len(lines) and all(words in t for t in texts)


def test_the_rendered_overlay_labels_an_estimated_line(estimated, monkeypatch):
    drawn: list[str] = []
    original = render._Canvas.text

    def spy(self, xy, text, *args, **kwargs):
        drawn.append(text)
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(render._Canvas, "text", spy)
    lines = _line_anchors(*estimated)
    render.render_overlay(np.zeros((1024, 1024)), lines)
    labels = [t for t in drawn if "mm" in t]
    assert len(labels) == len(lines) and all(EN in t for t in labels)


def test_the_exports_label_every_estimated_measurement(estimated, tmp_path):
    db, conversation_id = estimated
    with open_store(db) as store:
        count = len(store.list_measurements(conversation_id))
        exports.export_conversation(
            store, conversation_id, tmp_path / "bundle", actor="t"
        )
        exports.export_teaching_file(
            store,
            conversation_id,
            tmp_path / "teaching",
            turns=[2],
            points=[],
            actor="t",
        )
    bundle = json.loads((tmp_path / "bundle" / "conversation.json").read_text())
    texts = [m for t in bundle["turns"] for m in t["measurement_texts"]]
    assert len(texts) == count
    assert all(EN in m["en"] and ZH in m["zh"] for m in texts)
    report = (tmp_path / "bundle" / "report.md").read_text()
    assert report.count(EN) == count
    for name in ("index.md", "index.html"):
        assert (tmp_path / "teaching" / name).read_text().count(EN) == count
    teaching = json.loads((tmp_path / "teaching" / "teaching.json").read_text())
    assert all(EN in m["en"] for m in teaching["turns"][0]["measurements"])


def test_an_anchor_without_a_stored_value_keeps_the_engines_label():
    line = Anchor(
        id="A3",
        kind=AnchorKind.MEASUREMENT,
        label_en="distance",
        label_zh="距离",
        geometry=Geometry.line((0, 0), (10, 10)),
        style=AnchorStyle.DISTANCE,
        turn_index=1,
        attributes={"label": "≈5.3cm"},
    )
    assert quantities.anchor_size_text(line, "en") == "≈5.3cm"


def test_a_stored_measurement_reads_its_own_relative_error():
    m = cases.Measurement(
        conversation_id=cases.ConversationId(1),
        turn_index=1,
        index=0,
        kind="center_to_hilum",
        from_anchor=cases.AnchorId("A1"),
        to_anchor=cases.AnchorId("A2"),
        value_mm=52.6,
        value_px=263.0,
        calibration=CalibrationSource.ESTIMATED,
        detail={"relative_error": 0.1},
    )
    assert quantities.measurement_text(m, "en") == "≈ 52.6 mm (estimated ±10 %)"


def _finding(**attributes) -> Anchor:
    return Anchor(
        id="A2",
        kind=AnchorKind.FINDING,
        label_en="nodule",
        label_zh="结节",
        geometry=Geometry.polygon([(0, 0), (10, 0), (10, 10)]),
        style=AnchorStyle.CONTOUR,
        turn_index=2,
        size_mm=attributes.pop("size_mm", None),
        attributes=attributes,
    )


def test_a_size_keeps_its_estimate_label_or_its_interval():
    estimated = _finding(size_estimate_mm=[15.3, 10.8], relative_error=0.15)
    assert quantities.anchor_size_text(estimated, "en") == (
        "≈ 15.3 × 10.8 mm (estimated ±15 %)"
    )
    assert quantities.anchor_size_text(estimated, "zh") == (
        "约 15.3 × 10.8 mm（估计值，±15 %）"
    )
    measured = _finding(size_mm=(18.2, 15.0), size_interval_mm=[14.7, 21.7])
    assert quantities.anchor_size_text(measured, "en") == (
        "18.2 × 15.0 mm (long axis 14.7–21.7 mm)"
    )
    assert quantities.anchor_size_text(_finding(size_mm=(18.2, 15.0)), "en") == (
        "18.2 × 15.0 mm"
    )
    assert quantities.anchor_size_text(_finding(), "en") == ""
