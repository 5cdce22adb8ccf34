"""Exports: the conversation bundle, the DICOM SR read back, and the teaching file."""

from __future__ import annotations

import io
import json
import re

import highdicom as hd
import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage

from cases import open_store
from cases.sr_export import LOCAL_SCHEME, RADLEX_SCHEME
from cli.main import main
from engine.backends.embedded import EmbeddedBackend
from ontology import load_vocabulary
from services import workflows
from services.render import DISTANCE, SCREENING_STROKE, render_overlay


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def exported(seed_copy, tmp_path, capsys):
    out = tmp_path / "bundle"
    code, stdout, err = run(
        capsys,
        "export",
        "conversation",
        "1",
        "--out",
        out,
        "--db",
        seed_copy,
        "--actor",
        "qa@example.org",
    )
    assert code == 0, err
    return seed_copy, out, stdout


def test_the_bundle_holds_every_turn_overlay_and_audit_record(exported):
    db, out, stdout = exported
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == [
        "conversation.json", "image.png", "overlays/turn-01.png", "overlays/turn-02.png",
        "overlays/turn-03.png", "overlays/turn-04.png", "report.md",
    ]  # fmt: skip
    assert "exported bundle to" in stdout and "audit record 10" in stdout
    bundle = json.loads((out / "conversation.json").read_text(encoding="utf-8"))
    turns = bundle["turns"]
    assert [t["number"] for t in turns] == [1, 2, 3, 4]
    # turn 2 outlines the lesion on its own anchor, A1 (refined in place)
    contour = next(a for a in turns[1]["anchors"] if a["anchor_id"] == "A1")
    assert contour["style"] == "contour" and contour["attributes"]["notches"]
    hilum = next(m for m in turns[2]["measurements"] if m["kind"] == "center_to_hilum")
    assert hilum["value_mm"] == pytest.approx(67.2, abs=0.1)
    card = turns[3]["scorecard"]
    assert card["profile_id"] == "early_lung_cancer"
    assert card["met"] + card["not_met"] + card["not_assessable"] == card["total"] == 18
    lobulation = next(s for s in turns[3]["sign_matches"] if s["sign_code"] == "A12")
    assert lobulation["radlex"] == load_vocabulary().get_sign("A12").radlex
    # Each turn's payload hash is the one its audit record holds.
    assert all(
        t["payload_sha256"] == t["audit_record"]["payload_sha256"] for t in turns
    )
    assert [r["action"] for r in bundle["audit"]["records"]] == [
        "conversation.start"
    ] + ["turn.append"] * 4
    assert bundle["audit"]["verified_at_export"] is True
    assert bundle["disclaimer"].startswith("Decision support")
    with open_store(db) as store:
        (record,) = store.search_audit(action="export")
        assert store.verify_audit().ok
    assert record.action == "export.bundle" and record.actor == "qa@example.org"
    assert record.entity_id == "conversation:1"
    written = {f["name"]: f["sha256"] for f in record.payload["detail"]["files"]}
    import hashlib

    assert (
        written["report.md"]
        == hashlib.sha256((out / "report.md").read_bytes()).hexdigest()
    )


def test_the_report_shows_each_turn_and_the_audit_trail(exported):
    _, out, _ = exported
    report = (out / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Conversation 1, case C000001")
    for n in (1, 2, 3, 4):
        assert f"## Turn {n}" in report and f"](overlays/turn-0{n}.png)" in report
    # In mm, as every table shows a length (services.quantities); the film is calibrated.
    assert re.search(
        r"\| center\\_to\\_hilum \| A1 \| A2 \| 6\d\.\d mm \| PixelSpacing \|", report
    )
    assert "Audit chain verified at export" in report


def test_overlays_follow_the_turns(exported, seed_db):
    _, out, _ = exported
    images = [
        np.asarray(PILImage.open(out / f"overlays/turn-0{n}.png")) for n in (1, 2, 3, 4)
    ]
    assert all(
        i.shape == (1024, 1024, 3) for i in images
    )  # the 512 px film, enlarged twice
    assert not np.array_equal(images[0], images[1])

    def count(image, colour):
        return int(np.all(np.abs(image.astype(int) - colour[:3]) < 40, axis=-1).sum())

    # Turn 1 draws the light-blue screening outline; turn 3 adds the yellow dashed line.
    assert count(images[0], SCREENING_STROKE) > 50
    assert count(images[2], DISTANCE) > count(images[1], DISTANCE) + 50


def test_render_draws_each_style(seed_db):
    with open_store(seed_db.db) as store:
        display = store.load_display(store.get_image(seed_db.image_id))
        state = workflows.replay_state(store, seed_db.conversation_id, 3)
    plain = np.asarray(render_overlay(display, []))
    drawn = np.asarray(render_overlay(display, state))
    changed = np.any(plain != drawn, axis=-1)
    for anchor, _ in state:
        box = anchor.bbox
        x0, y0 = int(box.x0 * 2), int(box.y0 * 2)
        x1, y1 = int(box.x1 * 2) + 2, int(box.y1 * 2) + 2
        assert changed[max(0, y0 - 4) : y1 + 4, max(0, x0 - 4) : x1 + 4].any(), (
            anchor.id
        )


def test_the_structured_report_reads_back(seed_copy, tmp_path, capsys, seed_db):
    target = tmp_path / "sr" / "report.dcm"
    code, _, err = run(capsys, "export", "sr", "1", "--out", target, "--db", seed_copy)
    assert code == 0, err
    ds = pydicom.dcmread(target)
    with open_store(seed_copy) as store:
        image = store.get_image(seed_db.image_id)
        header = store.load_header(image)
        anchors = {s.anchor.anchor_id: s.anchor for s in store.anchors_after_turn(1, 4)}
        measurements = store.list_measurements(1)
        signs = store.list_sign_matches(1)
        (record,) = store.search_audit(action="export.sr")
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    assert (
        ds.StudyInstanceUID == header.StudyInstanceUID
    )  # the remapped study, not the original
    assert ds.CompletionFlag == "PARTIAL" and ds.VerificationFlag == "UNVERIFIED"
    assert {
        item.CodingSchemeDesignator for item in ds.CodingSchemeIdentificationSequence
    } >= {
        RADLEX_SCHEME,
        LOCAL_SCHEME,
    }
    sr = hd.sr.Comprehensive3DSR.from_dataset(ds)
    report = sr.content
    (observer,) = report.get_observer_contexts()
    device = observer.observer_identifying_attributes
    assert device.name == "CXR Casebook" and "embedded" in device.model_name
    groups = {
        g.tracking_identifier.split()[0]: g
        for g in report.get_planar_roi_measurement_groups()
    }
    assert sorted(groups, key=lambda a: int(a[1:])) == ["A1", "A2", "A3", "A4"]

    contour = groups["A1"]  # the lesion, outlined in turn 2 on its own anchor
    assert contour.reference_type.value == "111030"  # image region
    region = contour.roi
    assert region.graphic_type.value == "POLYLINE"
    source = region.ContentSequence[0].ReferencedSOPSequence[0]
    assert source.ReferencedSOPInstanceUID == header.SOPInstanceUID
    points = np.asarray(anchors["A1"].geometry.points)
    assert np.allclose(region.value[:-1], points) and np.allclose(
        region.value[-1], points[0]
    )
    assert groups["A2"].roi.graphic_type.value == "POINT"

    (distance,) = groups["A3"].get_measurements()
    stored = next(m for m in measurements if m.kind == "center_to_hilum")
    assert distance.value == pytest.approx(round(stored.value_mm, 2))
    assert distance.unit.value == "mm" and distance.unit.scheme_designator == "UCUM"

    vocabulary = load_vocabulary()
    evaluations = {
        (q.name.scheme_designator, q.name.value): q.value.meaning
        for q in contour.get_qualitative_evaluations()
    }
    cited = [s for s in signs if "A1" in s.evidence_anchor_ids]
    assert len(evaluations) == len(cited) > 0
    for s in cited:
        sign = vocabulary.get_sign(s.sign_code)
        key = (RADLEX_SCHEME, sign.radlex) if sign.radlex else (LOCAL_SCHEME, sign.code)
        expected = {
            "met": "Present",
            "not_met": "Absent",
            "not_assessable": "Presence Undetermined",
        }
        assert evaluations[key] == expected[s.status.value]
    (scorecard,) = report.get_image_measurement_groups()
    assert len(scorecard.get_qualitative_evaluations()) == sum(
        not s.evidence_anchor_ids for s in signs
    )
    assert record.payload["detail"]["files"][0]["name"] == "report.dcm"

    code, _, err = run(capsys, "export", "sr", "1", "--out", target, "--db", seed_copy)
    assert code == 1 and "exists; choose another --out file or pass --force" in err
    assert (
        run(capsys, "export", "sr", "1", "--out", target, "--force", "--db", seed_copy)[
            0
        ]
        == 0
    )


def test_a_png_case_gets_a_stable_derived_source_reference(
    tmp_path, seed_phantom, seed_cache
):
    buffer = io.BytesIO()
    PILImage.fromarray((seed_phantom.pixels * 255).astype(np.uint8)).save(
        buffer, format="PNG"
    )
    db = tmp_path / "casebook.duckdb"
    with open_store(db) as store:
        outcome = store.import_bytes(
            buffer.getvalue(), name="film.png", actor="t", spacing_mm=0.7
        )
        session = workflows.start_session(
            store,
            outcome.case_id,
            backend=EmbeddedBackend(),
            actor="t",
            cache=seed_cache,
        )
        workflows.ask(
            store, session, "Is there anything abnormal in the lungs?", actor="t"
        )
    from services.exports import export_structured_report

    uids = []
    for name in ("a.dcm", "b.dcm"):
        with open_store(db) as store:
            export_structured_report(
                store, session.record.conversation_id, tmp_path / name, actor="t"
            )
        ds = pydicom.dcmread(tmp_path / name)
        evidence = ds.CurrentRequestedProcedureEvidenceSequence[0]
        uids.append(
            (
                ds.StudyInstanceUID,
                evidence.ReferencedSeriesSequence[0]
                .ReferencedSOPSequence[0]
                .ReferencedSOPInstanceUID,
            )
        )
    assert uids[0] == uids[1] and uids[0][0].startswith("2.25.")
    assert (
        pydicom.dcmread(tmp_path / "a.dcm").SOPInstanceUID
        != pydicom.dcmread(tmp_path / "b.dcm").SOPInstanceUID
    )


def test_an_estimated_distance_is_flagged_in_the_structured_report(
    tmp_path, seed_phantom
):
    """A PNG without spacing: the engine estimates mm from anatomy (±15 %), and says so."""
    from services.exports import export_structured_report
    from tests.trust.conftest import SEED_QUESTIONS, fake_cache

    # A cache of its own: the session's has analysed these pixels with a user spacing.
    seed_cache = fake_cache(seed_phantom)

    buffer = io.BytesIO()
    PILImage.fromarray((seed_phantom.pixels * 255).astype(np.uint8)).save(
        buffer, format="PNG"
    )
    db = tmp_path / "casebook.duckdb"
    with open_store(db) as store:
        outcome = store.import_bytes(buffer.getvalue(), name="film.png", actor="t")
        session = workflows.start_session(
            store,
            outcome.case_id,
            backend=EmbeddedBackend(),
            actor="t",
            cache=seed_cache,
        )
        for question in SEED_QUESTIONS[:3]:
            workflows.ask(store, session, question, actor="t")
        conversation_id = session.record.conversation_id
        stored = {
            m.kind: m
            for m in store.list_measurements(conversation_id)
            if m.value_mm is not None
        }
        export_structured_report(store, conversation_id, tmp_path / "sr.dcm", actor="t")
    assert stored and all(m.calibration.value == "estimated" for m in stored.values())

    sr = hd.sr.Comprehensive3DSR.from_dataset(pydicom.dcmread(tmp_path / "sr.dcm"))
    exported = [
        m
        for group in sr.content.get_planar_roi_measurement_groups()
        for m in group.get_measurements()
    ]
    assert len(exported) == len(stored)
    for measurement in exported:
        kind = measurement.name.value
        value_mm = stored[kind].value_mm
        assert measurement.value == pytest.approx(round(value_mm, 2))
        assert measurement.unit.value == "mm"
        method = measurement.method
        assert (method.value, method.scheme_designator) == (
            "calib-estimated",
            LOCAL_SCHEME,
        )
        assert "estimated" in method.meaning and "15 %" in method.meaning
        uncertainty = {
            item.ConceptNameCodeSequence[0].CodeValue: float(
                item.MeasuredValueSequence[0].NumericValue
            )
            for item in measurement[0].ContentSequence
            if item.RelationshipType == "HAS PROPERTIES" and item.ValueType == "NUM"
        }
        # SCT +/- range of measurement uncertainty (TID 310), in the measurement's mm
        assert uncertainty == {
            "371886008": pytest.approx(round(value_mm * 0.15, 2)),
            "371885007": pytest.approx(round(value_mm * 0.15, 2)),
        }


def test_the_teaching_file_holds_the_chosen_turns_and_escapes_text(
    seed_copy, tmp_path, capsys
):
    out = tmp_path / "teaching"
    code, _, err = run(
        capsys,
        "export",
        "teaching",
        "1",
        "--turns",
        "1,2,4",
        "--out",
        out,
        "--db",
        seed_copy,
        "--points",
        "Lobulation with notches at 10 and 3 o'clock suggests a malignant margin.",
        "--points",
        "<script>alert('x')</script> is shown, never run",
        "--title",
        "Solitary nodule & the hilum",
    )
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "image.png",
        "index.html",
        "index.md",
        "teaching.json",
        "turn-01.png",
        "turn-02.png",
        "turn-04.png",
    ]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert (
        "<script>" not in page
        and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    )
    assert "<title>Solitary nodule &amp; the hilum</title>" in page
    assert "Content-Security-Policy" in page
    teaching = json.loads((out / "teaching.json").read_text(encoding="utf-8"))
    assert [t["number"] for t in teaching["turns"]] == [1, 2, 4]
    assert (
        teaching["teaching_points"][1]
        == "<script>alert('x')</script> is shown, never run"
    )
    assert "&lt;script&gt;" in (out / "index.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "teaching", "1", "--turns", "1,9"], "there is no turn 9"),
        (["export", "conversation", "7"], "conversation 7 does not exist"),
        (["export", "teaching", "1", "--turns", "0"], "turn numbers start at 1"),
    ],
)
def test_bad_exports_are_refused_in_one_line_and_not_audited(
    seed_copy, tmp_path, capsys, argv, message
):
    code, _, err = run(capsys, *argv, "--out", tmp_path / "x", "--db", seed_copy)
    assert code in (1, 2) and message in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
    with open_store(seed_copy) as store:
        assert store.search_audit(action="export") == ()


def test_a_non_empty_folder_is_never_overwritten(seed_copy, tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run(
        capsys, "export", "conversation", "1", "--out", out, "--db", seed_copy
    )
    assert code == 1 and "exists and is not an empty folder" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
