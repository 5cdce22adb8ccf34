"""Burned-in text: found near the border, blanked to the background, reported by name."""

from __future__ import annotations

import io
import json
import logging

import duckdb
import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage

from cases import BurnedInPolicy, IssueCode, open_store
from cases.phantom import make_phantom, seed_scenario_spec
from cases.phantom_dicom import (
    PHI_STRINGS,
    PHI_VALUES,
    DicomOptions,
    burned_in_text_mask,
    original_uids,
    phantom_dicom_bytes,
    stored_values,
)
from cases.pixel_redaction import blank_boxes, find_text_boxes
from cli.main import main
from engine.backends.embedded import EmbeddedBackend
from services import workflows
from tests.trust.conftest import SEED_QUESTIONS, fake_cache

BURNED_IN = (PHI_VALUES["PatientName"], PHI_VALUES["PatientID"])


@pytest.fixture(scope="module")
def phantom():
    return make_phantom(seed_scenario_spec(rows=512, columns=512, spacing_mm=0.7))


def _inside(boxes, mask):
    covered = np.zeros(mask.shape, dtype=bool)
    for x0, y0, x1, y1 in boxes:
        covered[y0:y1, x0:x1] = True
    return covered


@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_text_in_a_corner_is_found_and_nothing_else(phantom, photometric):
    options = DicomOptions(burned_in_text=BURNED_IN, photometric=photometric)
    pixels = stored_values(phantom, options)
    text = burned_in_text_mask(pixels.shape, BURNED_IN) > 0.25

    boxes = find_text_boxes(pixels)

    assert boxes, "the burned-in name and MRN were not found"
    assert _inside(boxes, text)[text].all()
    assert all(y1 <= 0.25 * pixels.shape[0] for _, _, _, y1 in boxes)
    plain = stored_values(phantom, DicomOptions(photometric=photometric))
    assert find_text_boxes(plain) == []


def test_dark_print_on_a_bright_border_is_found(phantom):
    pixels = (stored_values(phantom, DicomOptions()) * 0).astype(np.uint16) + 3000
    text = burned_in_text_mask(pixels.shape, BURNED_IN)
    pixels = np.rint(pixels * (1 - text)).astype(np.uint16)  # black print on white
    boxes = find_text_boxes(pixels)
    assert boxes and _inside(boxes, text > 0.25)[text > 0.25].all()


def test_blanking_fills_each_box_with_its_surroundings_and_touches_nothing_else():
    rng = np.random.default_rng(1)
    pixels = rng.integers(1000, 1010, size=(64, 64)).astype(np.uint16)
    pixels[10:14, 10:30] = 4095
    out, blanked = blank_boxes(pixels, [(8, 8, 32, 16)])
    (box,) = blanked
    assert 1000 <= box.fill <= 1010
    assert np.unique(out[8:16, 8:32]).tolist() == [box.fill]
    outside = np.ones(pixels.shape, dtype=bool)
    outside[8:16, 8:32] = False
    assert np.array_equal(out[outside], pixels[outside])


def _phi_film(phantom, **changes):
    values = {
        "include_phi": True,
        "uid_seed": "burned-in",
        "burned_in_annotation": "YES",
        "burned_in_text": BURNED_IN,
        **changes,
    }
    options = DicomOptions(**values)
    return options, phantom_dicom_bytes(phantom, options)


def test_import_blanks_the_text_and_keeps_every_other_pixel(tmp_path, phantom):
    options, data = _phi_film(phantom)
    original = stored_values(phantom, options)
    text = burned_in_text_mask(original.shape, BURNED_IN) > 0.25
    with open_store(tmp_path / "casebook.duckdb") as store:
        outcome = store.import_bytes(data, name="film.dcm", actor="importer")
        report = store.find_deid_report(outcome.image.image_id)
        stored = store.load_pixels(outcome.image)
        header = store.load_header(outcome.image)
        assert store.verify_audit().ok

    summary = report.summary
    assert summary.pixels_searched and summary.pixel_policy is BurnedInPolicy.AUTO
    assert summary.burned_in_annotation is True
    assert summary.blanked
    covered = _inside([(b.x0, b.y0, b.x1, b.y1) for b in summary.blanked], text)
    assert covered[text].all(), "some text pixels were not blanked"
    for box in summary.blanked:
        region = stored[box.y0 : box.y1, box.x0 : box.x1]
        assert np.unique(region).tolist() == [box.fill]
    assert np.array_equal(stored[~covered], original[~covered])
    # The fill is the local background (air, soft tissue), not the white print.
    assert all(b.fill < 0.9 * 4095 for b in summary.blanked)
    # Names of what was removed, never their values.
    assert {
        "PatientAddress",
        "InstitutionName",
        "OperatorsName",
        "ImageComments",
    } <= set(summary.removed)
    assert any(
        name.endswith(("private tag", "private tags")) for name in summary.removed
    )
    assert not any("(0029," in name for name in summary.removed)
    assert "file meta SourceApplicationEntityTitle" in summary.removed
    assert {"StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"} <= set(
        summary.replaced
    )
    assert {"PatientName", "PatientID", "PatientBirthDate", "AccessionNumber"} <= set(
        summary.emptied
    )
    assert any(i.code is IssueCode.BURNED_IN_TEXT_BLANKED for i in outcome.image.issues)
    assert "burned-in text blanked" in outcome.image.deid_method
    codes = [c.CodeValue for c in header.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113101"]


def test_the_policy_decides_when_pixels_are_searched(tmp_path, phantom):
    _, flagged = _phi_film(phantom)
    _, unflagged = _phi_film(phantom, burned_in_annotation="NO", uid_seed="unflagged")
    with open_store(tmp_path / "casebook.duckdb") as store:
        kept = store.import_bytes(
            flagged, name="a.dcm", actor="t", burned_in=BurnedInPolicy.OFF
        )
        report = store.find_deid_report(kept.image.image_id).summary
        assert not report.pixels_searched and report.blanked == ()
        assert any(i.code is IssueCode.BURNED_IN_ANNOTATION for i in kept.image.issues)

        auto = store.import_bytes(unflagged, name="b.dcm", actor="t")
        assert not store.find_deid_report(auto.image.image_id).summary.pixels_searched

        forced = store.import_bytes(
            unflagged, name="c.dcm", actor="t", burned_in=BurnedInPolicy.ALWAYS
        )
        summary = store.find_deid_report(forced.image.image_id).summary
        assert summary.pixels_searched and summary.blanked
        assert forced.image.image_id != auto.image.image_id  # other pixels, other id


def test_png_pixels_are_searched_on_request(tmp_path, phantom):
    pixels = stored_values(
        phantom, DicomOptions(bits_stored=8, burned_in_text=BURNED_IN)
    )
    buffer = io.BytesIO()
    PILImage.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    with open_store(tmp_path / "casebook.duckdb") as store:
        plain = store.import_bytes(buffer.getvalue(), name="a.png", actor="t")
        forced = store.import_bytes(
            buffer.getvalue(), name="b.png", actor="t", burned_in=BurnedInPolicy.ALWAYS
        )
        assert not store.find_deid_report(plain.image.image_id).summary.pixels_searched
        summary = store.find_deid_report(forced.image.image_id).summary
    assert summary.pixels_searched and summary.blanked


def test_on_real_films_a_lead_marker_is_found_and_the_lungs_are_left_alone(shared_data):
    siim = pydicom.dcmread(shared_data / "dicom" / "siim_cr_chest_pa_1024.dcm")
    rows, cols = siim.Rows, siim.Columns
    boxes = find_text_boxes(siim.pixel_array)
    # The lead marker with the technologist's initials, top right.
    assert boxes and all(
        x0 > 0.75 * cols and y1 < 0.25 * rows for x0, _, _, y1 in boxes
    )
    films = sorted((shared_data / "cxr").glob("JPC*.png"))
    for film in [f for f in films if "_mask" not in f.name][:8]:
        assert find_text_boxes(np.asarray(PILImage.open(film))) == [], film.name


def test_a_tampered_report_is_named_by_verify(tmp_path, phantom):
    _, data = _phi_film(phantom)
    db = tmp_path / "casebook.duckdb"
    with open_store(db) as store:
        image_id = store.import_bytes(data, name="f.dcm", actor="t").image.image_id
    connection = duckdb.connect(str(db))
    connection.execute("UPDATE deid_reports SET blanked_boxes = '[]'")
    connection.close()
    with open_store(db) as store:
        problem = store.verify_audit().problem
    assert problem.message == (
        f"de-identification report of image {image_id[:12]}: blanked_boxes changed "
        "since audit record 3"
    )


def test_cli_import_blank_burned_in_and_show_the_report(
    tmp_path, phantom, capsys, caplog
):
    caplog.set_level(logging.DEBUG)
    _, data = _phi_film(phantom, burned_in_annotation=None, uid_seed="cli")
    source = tmp_path / "film.dcm"
    source.write_bytes(data)
    db = tmp_path / "db" / "casebook.duckdb"

    assert main(["import", str(source), "--blank-burned-in", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "burned-in text region(s) near the border were blanked" in out
    assert main(["show", "C000001", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "de-identification report (attribute names only, never values):" in shown
    assert "PatientAddress" in shown and "region(s) blanked: x " in shown
    assert main(["show", "C000001", "--json", "--db", str(db)]) == 0
    (report,) = json.loads(capsys.readouterr().out)["deid_reports"].values()
    assert report["pixel_policy"] == "always" and report["blanked"]
    everything = shown + out + json.dumps(report) + caplog.text
    leaked = [v for v in PHI_VALUES.values() if v in everything]
    assert not leaked
    assert pydicom.dcmread(source).PatientName == PHI_VALUES["PatientName"]


def _needles(options: DicomOptions) -> list[bytes]:
    texts = [*PHI_STRINGS, *original_uids(options).values()]
    return sorted({v.encode("utf-8") for t in texts for v in (t, t.upper(), t.lower())})


def test_phi_is_nowhere_after_import_conversation_exports_and_logs(
    tmp_path, phantom, capsys, caplog
):
    """PHI in every attribute group and burned into the pixels: after import with
    blanking, a conversation and every export, no identifying string is anywhere."""
    caplog.set_level(logging.DEBUG)
    options, data = _phi_film(phantom, burned_in_annotation=None, uid_seed="everywhere")
    source = tmp_path / "incoming" / "film.dcm"
    source.parent.mkdir()
    source.write_bytes(data)
    db = tmp_path / "db" / "casebook.duckdb"
    out = tmp_path / "out"
    console = []

    def cli(*argv):
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        console.append(captured.out + captured.err)
        assert code == 0, captured.err

    cli("import", source, "--blank-burned-in", "--db", db)
    with open_store(db) as store:
        (image,) = store.list_images("C000001")
        session = workflows.start_session(
            store,
            "C000001",
            backend=EmbeddedBackend(),
            actor="reader",
            cache=fake_cache(phantom),
        )
        for question in SEED_QUESTIONS:
            workflows.ask(store, session, question, actor="reader")
        blanked = store.find_deid_report(image.image_id).summary.blanked
    assert blanked
    cli("export", "conversation", "1", "--out", out / "bundle", "--db", db)
    cli("export", "sr", "1", "--out", out / "report.dcm", "--db", db)
    cli(
        "export",
        "teaching",
        "1",
        "--out",
        out / "teaching",
        "--points",
        "Note the margin.",
        "--db",
        db,
    )
    cli("backup", out / "backup", "--db", db)
    cli("show", "C000001", "--json", "--db", db)
    cli("audit", "log", "--json", "--limit", "1000", "--db", db)
    cli("audit", "verify", "--db", db)

    needles = _needles(options)
    scanned = [
        p for folder in (db.parent, out) for p in folder.rglob("*") if p.is_file()
    ]
    assert len(scanned) > 15
    for path in scanned:
        raw = path.read_bytes()
        found = [n.decode() for n in needles if n in raw]
        assert not found, f"{path.relative_to(tmp_path)} contains {found}"
    text = ("\n".join(console) + caplog.text).encode("utf-8")
    assert not [n.decode() for n in needles if n in text]
    # The exported picture shows background where the name was burned in.
    exported = np.asarray(PILImage.open(out / "bundle" / "image.png").convert("L"))
    scale = exported.shape[0] / image.rows
    inset = round(4 * scale)  # resampling blurs the box edges
    for box in blanked:
        region = exported[
            round(box.y0 * scale) + inset : round(box.y1 * scale) - inset,
            round(box.x0 * scale) + inset : round(box.x1 * scale) - inset,
        ]
        assert region.max() - region.min() <= 2
