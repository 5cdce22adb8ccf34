"""The hostile corpus and the tampering scenarios as one suite that prints its counts.

Files: pydicom's own test files, deterministic mutants of a phantom film (flipped bytes,
truncations, hostile header values: absurd spacing, free-text UIDs and transfer syntax,
tag numbers that spell a canary, tiny and strip-shaped images), and special files (empty,
text, a FIFO, a symlink loop, a folder, /dev/zero). Each imports or is refused with a
``CasesError`` whose message names the file and gives a reason, and never quotes a
traceback, raw bytes, the canary or an attribute value. Prints::

    hostile corpus: files tried N, imported I, refused R, crashed 0

Tampering: every way the trust docs say the database can be changed behind the
casebook's back, each on a fresh copy of the seed database; ``audit verify`` must catch
each. Prints ``tamperings tried T, caught T``. Bounded: about a minute on the dev machine.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom.data import get_testdata_files

from cases import CasesError, open_store
from cases.content_store import store_dir_for
from cases.phantom import PhantomSpec, make_phantom
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from cli.main import main
from tests.trust.conftest import copy_database
from tests.trust.test_store_files import (
    analysis_file,
    edit_one_pixel,
    flip_a_byte,
    header_file,
    pixel_file,
)

CANARY = "CANARY"
MUTANTS = 120
# Refusal text that must never appear: a traceback, raw bytes, the canary in any
# spelling a file could carry it, a tag number spelling "CANA".
FORBIDDEN = re.compile(
    r"Traceback \(most recent call last\)|b'\\x|b\"|CANARY|canary|\(4143,\s*414E\)",
)


def _dicom(ds: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=False)
    return buffer.getvalue()


def _hostile_headers(base: bytes) -> dict[str, bytes]:
    """Films whose header values are hostile: absurd, free text, canary-bearing."""

    def edited(**attributes: object) -> bytes:
        ds = pydicom.dcmread(io.BytesIO(base))
        for keyword, value in attributes.items():
            if keyword == "TransferSyntaxUID":
                ds.file_meta.TransferSyntaxUID = value
            else:
                setattr(ds, keyword, value)
        return _dicom(ds)

    private = pydicom.dcmread(io.BytesIO(base))
    private.add_new(0x4143414E, "LO", f"{CANARY} JOHN")  # tag (4143,414E) spells CANA
    tiny = pydicom.dcmread(io.BytesIO(base))
    tiny.Rows, tiny.Columns, tiny.PixelData = 1, 65535, b"\0\0" * 65535
    return {
        "spacing-1e300.dcm": edited(PixelSpacing=[1e300, 1e300]),
        "spacing-1e-300.dcm": edited(PixelSpacing=[1e-300, 1e-300]),
        "ermf-1e308.dcm": edited(
            ImagerPixelSpacing=[0.15, 0.15],
            EstimatedRadiographicMagnificationFactor=1e308,
        ),
        "sop-class-free-text.dcm": edited(SOPClassUID=f"{CANARY} SMITH^JOHN"),
        "transfer-syntax-free-text.dcm": edited(TransferSyntaxUID=f"1.2.{CANARY}"),
        "private-canary-tag.dcm": _dicom(private),
        "65535x1.dcm": _dicom(tiny),
    }


def _mutants(base: bytes, count: int) -> dict[str, bytes]:
    rng = random.Random(15)
    found: dict[str, bytes] = {}
    for number in range(count):
        data = bytearray(base)
        if number % 3 == 0:
            data = data[: rng.randrange(8, len(data))]
        else:
            for _ in range(rng.randrange(1, 12)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        found[f"mutant-{number:03d}.dcm"] = bytes(data)
    return found


def _bitmaps() -> dict[str, bytes]:
    def png(width: int, height: int, text: str | None = None) -> bytes:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        if text:
            info.add_text("Comment", text)
        buffer = io.BytesIO()
        pixels = (np.arange(width * height) % 251).astype(np.uint8)
        PILImage.fromarray(pixels.reshape(height, width)).save(
            buffer, format="PNG", pnginfo=info
        )
        return buffer.getvalue()

    return {
        "1x1.png": png(1, 1),
        "strip.png": png(64, 900),
        "text-chunk.png": png(128, 128, f"{CANARY} Patient"),
        "broken.png": png(128, 128)[:60] + f"{CANARY}".encode() * 8,
        "notes.txt": f"{CANARY} JOHN, MRN 12345\n".encode() * 20,
        "empty.dcm": b"",
    }


def _special_files(folder: Path) -> list[Path]:
    loop = folder / "loop"
    loop.symlink_to(loop)
    fifo = folder / "pipe.dcm"
    os.mkfifo(fifo)
    directory = folder / "folder.dcm"
    directory.mkdir()
    specials = [loop, fifo, directory]
    if Path("/dev/zero").exists():
        specials.append(Path("/dev/zero"))
    return specials


def _corpus(folder: Path) -> list[Path]:
    base = phantom_dicom_bytes(
        make_phantom(PhantomSpec(rows=128, columns=128, spacing_mm=2.8)),
        DicomOptions(uid_seed="hostile"),
    )
    files: dict[str, bytes] = {
        **_hostile_headers(base),
        **_mutants(base, MUTANTS),
        **_bitmaps(),
    }
    paths = [Path(p) for p in sorted(get_testdata_files()) if Path(p).is_file()]
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths + _special_files(folder)


def _clean_refusal(path: Path, message: str) -> str | None:
    """Return what is wrong with a refusal message, or None."""
    if not message.startswith(str(path)):
        return "does not start with the file"
    if "\n" in message or len(message) > 400:
        return "is not one short line"
    if FORBIDDEN.search(message[len(str(path)) :]):
        return f"quotes file content: {message!r}"
    return None


def test_the_hostile_corpus_imports_or_is_refused_cleanly(tmp_path, capsys):
    folder = tmp_path / "corpus"
    folder.mkdir()
    corpus = _corpus(folder)
    counts: Counter[str] = Counter()
    problems: list[str] = []
    with open_store(tmp_path / "c.duckdb") as store:
        for path in corpus:
            counts["tried"] += 1
            try:
                store.import_file(path, actor="hostile")
            except CasesError as exc:
                counts["refused"] += 1
                wrong = _clean_refusal(path, str(exc))
                if wrong:
                    problems.append(f"{path.name}: {wrong}")
            except Exception as exc:  # a crash: anything but our own refusal
                counts["crashed"] += 1
                problems.append(f"{path.name}: crashed with {type(exc).__name__}")
            else:
                counts["imported"] += 1
        report = store.verify_audit()
        stored = json.dumps(
            [r.payload for r in store.list_audit(limit=100_000)], default=str
        )
    with capsys.disabled():
        print(
            f"\nhostile corpus: files tried {counts['tried']}, imported "
            f"{counts['imported']}, refused {counts['refused']}, crashed "
            f"{counts['crashed']}"
        )
    assert not problems, problems
    assert counts["crashed"] == 0 and counts["tried"] > 350
    assert report.ok, report.problem
    assert CANARY not in stored
    for file in store_dir_for(tmp_path / "c.duckdb").rglob("*"):
        if file.is_file():
            assert CANARY.encode() not in file.read_bytes(), file


# --------------------------------------------------------------------------- tampering


def _sql(*statements: str) -> Callable[[Path], None]:
    def apply(db: Path) -> None:
        connection = duckdb.connect(str(db))
        try:
            for statement in statements:
                connection.execute(statement)
        finally:
            connection.close()

    return apply


def _header_name(db: Path) -> None:
    path = header_file(db)
    ds = pydicom.dcmread(path)
    ds.PatientName = f"{CANARY}^INJECTED"
    ds.save_as(path, enforce_file_format=True)


def _orphan(db: Path) -> None:
    path = store_dir_for(db) / "pixels" / "ee" / ("e" * 64 + ".npy")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left by a killed import")
    old = time.time() - 3600
    os.utime(path, (old, old))


TAMPERINGS: dict[str, Callable[[Path], None]] = {
    "turn answer edited": _sql(
        "UPDATE turns SET answer_text = 'x' WHERE turn_index = 1"
    ),
    "turn deleted": _sql(
        *(
            f"DELETE FROM {t} WHERE turn_index = 1"
            for t in ("sign_matches", "measurements", "turn_anchor_events", "anchors")
        ),
        "DELETE FROM turns WHERE turn_index = 1",
    ),
    "turn inserted": _sql(
        "INSERT INTO turns SELECT conversation_id, 9, 'q', 'en', 'x', 'forged', '{}', "
        "NULL, 1.0, 'x', now() FROM turns WHERE turn_index = 1"
    ),
    "anchor geometry edited": _sql(
        'UPDATE anchors SET geometry = \'{"type": "box", "x0": 1, "y0": 1, '
        '"x1": 2, "y1": 2}\' WHERE anchor_id = \'A2\''
    ),
    "anchor geometry malformed": _sql(
        "UPDATE anchors SET geometry = '{\"type\": \"hexagon\"}' WHERE anchor_id = 'A2'"
    ),
    "measurement edited": _sql("UPDATE measurements SET value_mm = value_mm + 5"),
    "sign match edited": _sql("UPDATE sign_matches SET status = 'met'"),
    "image calibration edited": _sql("UPDATE images SET row_spacing_mm = 0.5"),
    "image row inserted": _sql(
        "INSERT INTO images SELECT * REPLACE ('f' || image_id[2:] AS image_id) FROM images"
    ),
    "de-identification report edited": _sql("UPDATE deid_reports SET removed = '[]'"),
    "case summary edited": _sql("UPDATE case_summaries SET turn_count = 99"),
    "audit record edited": _sql("UPDATE audit_log SET actor = 'x' WHERE seq = 6"),
    "audit record deleted": _sql("DELETE FROM audit_log WHERE seq = 7"),
    "audit records reordered": _sql(
        "UPDATE audit_log SET seq = 100 WHERE seq = 6",
        "UPDATE audit_log SET seq = 6 WHERE seq = 7",
        "UPDATE audit_log SET seq = 7 WHERE seq = 100",
    ),
    "file hash row edited": _sql("UPDATE file_hashes SET sha256 = repeat('0', 64)"),
    "pixel edited": lambda db: edit_one_pixel(pixel_file(db)),
    "pixel file deleted": lambda db: pixel_file(db).unlink(),
    "header byte flipped": lambda db: flip_a_byte(header_file(db)),
    "header patient name injected": _header_name,
    "header file deleted": lambda db: header_file(db).unlink(),
    "analysis file edited": lambda db: flip_a_byte(analysis_file(db)),
    "salt replaced": lambda db: (store_dir_for(db) / "deid_salt").write_bytes(
        secrets.token_bytes(32)
    ),
    "salt deleted": lambda db: (store_dir_for(db) / "deid_salt").unlink(),
    "orphan file left": _orphan,
}


def test_every_tampering_is_caught(seed_db, tmp_path, capsys):
    missed: list[str] = []
    for number, (name, tamper) in enumerate(TAMPERINGS.items()):
        db = copy_database(seed_db.db, tmp_path / f"t{number}")
        tamper(db)
        code = main(["audit", "verify", "--json", "--db", str(db)])
        out = capsys.readouterr().out
        report = json.loads(out)  # valid JSON whatever was broken
        if code != 1 or report["ok"]:
            missed.append(name)
    caught = len(TAMPERINGS) - len(missed)
    with capsys.disabled():
        print(f"\ntamperings tried {len(TAMPERINGS)}, caught {caught}")
    assert not missed, missed


@pytest.mark.parametrize("rewrite_summary", [False, True])
def test_tail_truncation_needs_a_published_head(
    seed_db, tmp_path, capsys, rewrite_summary
):
    """docs/trust.md: the one tampering verify alone cannot see when done carefully."""
    db = copy_database(seed_db.db, tmp_path / "tail")
    main(["audit", "verify", "--json", "--db", str(db)])
    head = json.loads(capsys.readouterr().out)["head_hash"]
    statements = [
        f"DELETE FROM {t} WHERE turn_index = 4"
        for t in (
            "sign_matches",
            "measurements",
            "turn_anchor_events",
            "anchors",
            "turns",
        )
    ]
    statements.append(
        "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"
    )
    if rewrite_summary:
        statements.append(
            "UPDATE case_summaries SET turn_count = turn_count - 1, "
            "last_turn_at = (SELECT max(created_at) FROM turns)"
        )
    _sql(*statements)(db)
    plain = main(["audit", "verify", "--db", str(db)])
    capsys.readouterr()
    assert plain == (0 if rewrite_summary else 1)
    assert main(["audit", "verify", "--expect-head", head, "--db", str(db)]) == 1
