"""`casebook audit verify` re-hashes the content-addressed files beside the database.

Each test tampers with one file of the seed database's store (the pixel file, the
de-identified header, the cached analysis) and checks that verify names the entity and
the file, says how to repair it and exits non-zero.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from cases import AuditProblemKind, open_store
from cases.content_store import store_dir_for
from cli.main import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored_path(db: Path, sql: str) -> Path:
    connection = duckdb.connect(str(db), read_only=True)
    try:
        row = connection.execute(sql).fetchone()
    finally:
        connection.close()
    assert row is not None and row[0]
    return store_dir_for(db) / row[0]


def pixel_file(db: Path) -> Path:
    return stored_path(db, "SELECT store_path FROM images")


def header_file(db: Path) -> Path:
    return stored_path(db, "SELECT header_path FROM images")


def analysis_file(db: Path) -> Path:
    return stored_path(db, "SELECT store_path FROM analyses")


def edit_one_pixel(path: Path) -> None:
    pixels = np.load(path)
    pixels[0, 0] += 1
    np.save(path, pixels)


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def verify_json(capsys, db: Path) -> tuple[int, dict]:
    code, out, err = run(capsys, "audit", "verify", "--json", "--db", db)
    assert not err, err
    return code, json.loads(out)


def test_untouched_files_pass(seed_copy, capsys):
    code, report = verify_json(capsys, seed_copy)
    assert code == 0 and report["ok"] and report["problems"] == []


@pytest.mark.parametrize(
    ("locate", "tamper", "entity_type", "kind", "words"),
    [
        (
            pixel_file,
            edit_one_pixel,
            "image",
            AuditProblemKind.ENTITY_CHANGED,
            "pixel file {path} was altered",
        ),
        (
            pixel_file,
            flip_a_byte,
            "image",
            AuditProblemKind.ENTITY_CHANGED,
            "pixel file {path}",
        ),
        (
            pixel_file,
            Path.unlink,
            "image",
            AuditProblemKind.ENTITY_MISSING,
            "pixel file {path} is missing",
        ),
        (
            header_file,
            Path.unlink,
            "image",
            AuditProblemKind.ENTITY_MISSING,
            "header file {path} is missing",
        ),
        (
            analysis_file,
            flip_a_byte,
            "analysis",
            AuditProblemKind.ENTITY_CHANGED,
            "analysis file {path} was altered",
        ),
        (
            analysis_file,
            Path.unlink,
            "analysis",
            AuditProblemKind.ENTITY_MISSING,
            "analysis file {path} is missing",
        ),
    ],
    ids=[
        "pixel edited",
        "pixel file damaged",
        "pixel file deleted",
        "header file deleted",
        "analysis file damaged",
        "analysis file deleted",
    ],
)
def test_a_tampered_store_file_is_detected_and_named(
    seed_copy, seed_db, capsys, locate, tamper, entity_type, kind, words
):
    path = locate(seed_copy)
    tamper(path)
    code, report = verify_json(capsys, seed_copy)
    assert code == 1 and not report["ok"]
    (problem,) = report["problems"]
    assert report["first_problem"] == problem
    assert problem["kind"] == kind.value
    assert problem["entity_type"] == entity_type
    assert problem["entity_id"].startswith(seed_db.image_id)
    assert problem["seq"] is not None  # the audit record that recorded the entity
    assert words.format(path=path) in problem["message"]
    assert "restore" in problem["message"] and "backup" in problem["message"]

    code, out, _ = run(capsys, "audit", "verify", "--db", seed_copy)
    assert code == 1
    assert out.startswith("audit chain BROKEN: 1 problem(s)")
    assert str(path) in out


def test_a_damaged_header_file_is_detected(seed_copy, capsys):
    """Header files are named by their own SHA-256, which the audited image row holds."""
    flip_a_byte(header_file(seed_copy))
    code, report = verify_json(capsys, seed_copy)
    assert code == 1
    assert [(p["entity_type"], p["kind"]) for p in report["problems"]] == [
        ("image", "entity_changed"),
    ]
    assert "header file" in report["problems"][0]["message"]


def test_every_broken_file_is_listed(seed_copy, capsys):
    edit_one_pixel(pixel_file(seed_copy))
    analysis_file(seed_copy).unlink()
    code, report = verify_json(capsys, seed_copy)
    assert code == 1
    assert [(p["entity_type"], p["kind"]) for p in report["problems"]] == [
        ("image", "entity_changed"),
        ("analysis", "entity_missing"),
    ]


def test_the_store_api_reports_file_problems_too(seed_copy):
    pixel_file(seed_copy).unlink()
    with open_store(seed_copy) as store:
        report = store.verify_audit()
    assert not report.ok
    assert report.problem is not None and "pixel file" in report.problem.message
