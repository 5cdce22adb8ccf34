"""Tampering the audit chain did not cover: salt, header bytes, summaries, orphans, bad rows.

Each test changes the seed database (or its store folder) behind the casebook's back and
checks that `casebook audit verify` names the problem, goes on, and exits 1.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import time

import duckdb
import pydicom
import pytest

from cases import open_store
from cases.content_store import store_dir_for
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from cases.sr_export import build_structured_report
from cli.main import main
from tests.trust.test_store_files import header_file


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verify(capsys, db):
    code, out, _ = run(capsys, "audit", "verify", "--json", "--db", db)
    return code, json.loads(out)


def tamper(db, *statements):
    connection = duckdb.connect(str(db))
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


def kinds(report):
    return [p["kind"] for p in report["problems"]]


def test_a_replaced_salt_is_caught(seed_copy, capsys):
    (store_dir_for(seed_copy) / "deid_salt").write_bytes(secrets.token_bytes(32))
    code, report = verify(capsys, seed_copy)
    assert code == 1 and kinds(report) == ["salt_replaced"]
    assert "de-identification salt" in report["problems"][0]["message"]


def test_an_edited_case_summary_is_caught(seed_copy, capsys):
    tamper(seed_copy, "UPDATE case_summaries SET turn_count = 99")
    code, report = verify(capsys, seed_copy)
    assert code == 1 and kinds(report) == ["summary_changed"]
    code, _, _ = run(capsys, "audit", "summaries", "--rebuild", "--db", seed_copy)
    assert code == 0
    assert verify(capsys, seed_copy)[0] == 0


def test_an_injected_patient_name_in_the_header_is_caught_and_never_exported(
    seed_copy, seed_db, capsys
):
    path = header_file(seed_copy)
    ds = pydicom.dcmread(path)
    ds.PatientName = "INJECTED^CANARY"
    ds.save_as(path, enforce_file_format=True)

    code, report = verify(capsys, seed_copy)
    assert code == 1
    assert [(p["entity_type"], p["kind"]) for p in report["problems"]] == [
        ("image", "entity_changed")
    ]
    with open_store(seed_copy) as store:
        sr = build_structured_report(
            store, seed_db.conversation_id, software_version="test"
        )
    assert b"CANARY" not in sr
    assert str(pydicom.dcmread(io.BytesIO(sr)).PatientName) == ""


def test_a_malformed_row_is_named_and_verify_goes_on(seed_copy, capsys):
    tamper(
        seed_copy,
        "UPDATE anchors SET geometry = '{\"type\": \"hexagon\"}' WHERE anchor_id = 'A2'",
        "UPDATE turns SET answer_text = 'forged' WHERE turn_index = 1",
    )
    code, report = verify(capsys, seed_copy)  # valid JSON despite the bad row
    assert code == 1
    assert "row_malformed" in kinds(report)
    malformed = next(p for p in report["problems"] if p["kind"] == "row_malformed")
    assert malformed["message"].startswith("anchors row 1/")
    assert any("answer_text changed" in p["message"] for p in report["problems"])
    code, out, _ = run(capsys, "audit", "verify", "--db", seed_copy)
    assert code == 1 and "anchors row 1/" in out


def _orphan(db):
    folder = store_dir_for(db) / "pixels" / "ff"
    folder.mkdir(parents=True, exist_ok=True)
    orphan = folder / ("f" * 64 + ".npy")
    orphan.write_bytes(b"left by a killed import")
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    return orphan


def test_orphan_files_are_reported_and_removed(seed_copy, capsys):
    orphan = _orphan(seed_copy)
    code, report = verify(capsys, seed_copy)
    assert code == 1 and kinds(report) == ["file_orphaned"]

    code, out, _ = run(capsys, "audit", "orphans", "--db", seed_copy)
    assert code == 0 and "found 1 orphan" in out and orphan.exists()
    code, out, _ = run(capsys, "audit", "orphans", "--remove", "--db", seed_copy)
    assert code == 0 and "removed 1 orphan" in out and not orphan.exists()
    assert verify(capsys, seed_copy)[0] == 0


def test_a_fresh_unreferenced_file_may_be_an_import_in_flight(seed_copy, capsys):
    orphan = _orphan(seed_copy)
    os.utime(orphan)  # written just now
    assert verify(capsys, seed_copy)[0] == 0


@pytest.mark.parametrize(
    "sop_class",
    ["SMITH^JOHN 1970-01-01", "1.2.840.10008.5.1.4.1.1.1.CANARY", "1.2.3.4"],
)
def test_a_free_text_sop_class_uid_never_survives(tmp_path, seed_phantom, sop_class):
    data = phantom_dicom_bytes(seed_phantom, DicomOptions(uid_seed=sop_class))
    ds = pydicom.dcmread(io.BytesIO(data))
    ds.SOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=False)
    db = tmp_path / "c.duckdb"
    with open_store(db) as store:
        outcome = store.import_bytes(buffer.getvalue(), name="f.dcm", actor="t")
        image = outcome.image
        header = store.load_header(image)
        report = store.find_deid_report(image.image_id)
        records = store.list_audit()
    assert image.sop_class_uid == "1.2.840.10008.5.1.4.1.1.1.1"  # DX for presentation
    assert header is not None and str(header.SOPClassUID) == image.sop_class_uid
    assert report is not None and "SOPClassUID" in report.summary.replaced
    everything = (
        b"".join(p.read_bytes() for p in store_dir_for(db).rglob("*") if p.is_file())
        + json.dumps([r.payload for r in records]).encode()
    )
    assert sop_class.encode() not in everything


def test_a_backup_leaves_orphan_files_behind(seed_copy, tmp_path, capsys):
    orphan = _orphan(seed_copy)
    code, _, err = run(capsys, "backup", tmp_path / "b", "--db", seed_copy)
    assert code == 0, err
    copied = (
        tmp_path
        / "b"
        / store_dir_for(seed_copy).name
        / orphan.relative_to(store_dir_for(seed_copy))
    )
    assert not copied.exists()
    assert (tmp_path / "b" / "manifest.json").is_file()


def test_free_text_uids_leave_no_trace_and_the_sr_still_exports(
    tmp_path, seed_phantom, capsys
):
    """Issue 15 item 3, end to end: import, converse, show --json, export sr.

    The engine finds nothing on this film (no nodule), so the report also has no region
    to carry: it still exports, with one image-level group.
    """
    import dataclasses

    from engine.backends.embedded import EmbeddedBackend
    from services import workflows
    from tests.trust.conftest import fake_cache

    canary = "CANARY^FREE TEXT"
    ds = pydicom.dcmread(
        io.BytesIO(phantom_dicom_bytes(seed_phantom, DicomOptions(uid_seed="uid")))
    )
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = canary
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "CANARY.STUDY", "1.2.CANARY"
    ds.FrameOfReferenceUID = "CANARYFOR"
    source = tmp_path / "f.dcm"
    ds.save_as(source, enforce_file_format=False)
    db = tmp_path / "c.duckdb"
    assert run(capsys, "import", source, "--db", db)[0] == 0
    clean = dataclasses.replace(
        seed_phantom, truth=dataclasses.replace(seed_phantom.truth, nodules=())
    )
    with open_store(db) as store:
        session = workflows.start_session(
            store,
            "C000001",
            backend=EmbeddedBackend(),
            actor="t",
            cache=fake_cache(clean),
        )
        workflows.ask(store, session, "肺部是否有异常?", actor="t")
    code, shown, err = run(capsys, "--json", "show", "C000001", "--db", db)
    assert code == 0, err
    code, _, err = run(
        capsys, "export", "sr", "1", "--out", tmp_path / "sr.dcm", "--db", db
    )
    assert code == 0, err
    sr = pydicom.dcmread(tmp_path / "sr.dcm")
    (groups,) = [
        item
        for item in sr.ContentSequence
        if item.ConceptNameCodeSequence[0].CodeMeaning == "Imaging Measurements"
    ]
    assert len(groups.ContentSequence) == 1  # the image-level group
    files = b"".join(
        p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != source
    )
    everything = files + shown.encode()
    assert b"CANARY" not in everything
