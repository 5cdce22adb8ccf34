"""The casebook command line: import, list, show, one-line errors and --json."""

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from cases.phantom import PhantomSpec, make_phantom
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from cli.main import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    """A folder with two DICOM phantoms, one PNG, a note and a broken .dcm file."""
    folder = tmp_path_factory.mktemp("films")
    phantom = make_phantom(PhantomSpec(rows=128, columns=128, spacing_mm=2.8))
    (folder / "pa.dcm").write_bytes(
        phantom_dicom_bytes(phantom, DicomOptions(uid_seed="a"))
    )
    (folder / "nested").mkdir()
    lateral = phantom_dicom_bytes(
        phantom,
        DicomOptions(uid_seed="b", view_position="LL", photometric="MONOCHROME1"),
    )
    (folder / "nested" / "IM0001").write_bytes(
        lateral
    )  # no suffix: found by its DICM signature
    buffer = io.BytesIO()
    PILImage.fromarray((phantom.pixels * 200).astype(np.uint8)).save(
        buffer, format="PNG"
    )
    (folder / "film.png").write_bytes(buffer.getvalue())
    (folder / "README.txt").write_text("not an image")
    broken = folder.parent / f"{folder.name}-broken"
    broken.mkdir()
    (broken / "broken.dcm").write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00")
    return folder, broken / "broken.dcm"


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_list_and_show(tmp_path, films, capsys):
    folder, _ = films
    db = str(tmp_path / "casebook.duckdb")

    code, out, err = run(
        capsys, "import", str(folder), "--spacing-mm", "0.5", "--db", db
    )

    assert code == 0, err
    assert err == ""  # no progress bar when stderr is not a terminal
    assert out.count("imported ") == 3
    assert "3 imported, 0 already stored, 0 failed, 1 non-image files skipped" in out
    assert "lateral view" in out

    code, out, _ = run(capsys, "list", "--db", db)
    assert code == 0
    assert "page 1 of 1 (3 cases)" in out
    assert "user" in out and "PixelSpacing" in out
    # Only the PNG has no warnings: the 128 px DICOM phantoms are flagged as small.
    code, out, _ = run(
        capsys, "list", "--no-warnings", "--from", "2000-01-01", "--db", db
    )
    assert "page 1 of 1 (1 cases)" in out and "C000001" in out

    code, out, _ = run(capsys, "show", "C000002", "--db", db)
    assert code == 0
    assert "case C000002" in out and "warning: lateral view" in out
    assert "DICOM PS3.15" in out


def test_reimport_reports_existing_cases(tmp_path, films, capsys):
    folder, _ = films
    db = str(tmp_path / "casebook.duckdb")
    run(capsys, "import", str(folder / "pa.dcm"), "--db", db)

    code, out, _ = run(capsys, "import", str(folder / "pa.dcm"), "--db", db)

    assert code == 0
    assert out.startswith("existing  C000001")


def test_reimport_with_another_spacing_says_it_was_not_applied(tmp_path, films, capsys):
    folder, _ = films
    db = str(tmp_path / "casebook.duckdb")
    png = str(folder / "film.png")
    run(capsys, "import", png, "--spacing-mm", "0.5", "--db", db)

    code, out, _ = run(capsys, "import", png, "--spacing-mm", "0.25", "--db", db)

    assert code == 0
    assert (
        "note: these pixels are already stored with 0.500x0.500 mm (user); this "
        "import's 0.250x0.250 mm (user) was not applied" in out
    )
    code, out, _ = run(
        capsys, "import", png, "--spacing-mm", "0.25", "--json", "--db", db
    )
    result = json.loads(out)["results"][0]
    assert result["status"] == "existing"
    assert result["image"]["calibration"]["row_mm"] == 0.5
    assert result["ignored_calibration"] == {
        "row_mm": 0.25,
        "col_mm": 0.25,
        "source": "user",
    }


def test_json_output(tmp_path, films, capsys):
    folder, _ = films
    db = str(tmp_path / "casebook.duckdb")

    code, out, _ = run(capsys, "import", str(folder / "pa.dcm"), "--json", "--db", db)
    imported = json.loads(out)
    assert code == 0
    assert imported["imported"] == 1 and imported["failed"] == 0
    result = imported["results"][0]
    assert result["status"] == "imported" and result["case_id"] == "C000001"
    assert result["image"]["calibration"] == {
        "row_mm": 2.8,
        "col_mm": 2.8,
        "source": "PixelSpacing",
    }

    code, out, _ = run(capsys, "list", "--json", "--db", db)
    listed = json.loads(out)
    assert listed["total"] == 1 and listed["page_count"] == 1
    assert listed["items"][0]["case_id"] == "C000001"

    code, out, _ = run(capsys, "--db", db, "show", "C000001", "--json")
    shown = json.loads(out)
    assert shown["case"]["case_id"] == "C000001"
    assert shown["images"][0]["calibration"]["source"] == "PixelSpacing"
    assert shown["conversation_count"] == 0


def test_a_failed_file_does_not_stop_the_others(tmp_path, films, capsys):
    folder, broken = films
    db = str(tmp_path / "casebook.duckdb")

    code, out, err = run(
        capsys, "import", str(broken), str(folder / "pa.dcm"), "--db", db
    )

    assert code == 1
    assert f"failed    {broken}: not a readable DICOM file" in out
    assert "1 imported, 0 already stored, 1 failed" in out
    assert err.count("\n") == 1
    assert err.startswith("casebook: error: 1 of 2 files could not be imported")


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["show", "C000404"], 1, "casebook: error: case C000404 does not exist"),
        (["list", "--page", "0"], 1, "casebook: error: page must be >= 1"),
        (
            ["import", "/nonexistent/film.dcm"],
            1,
            "casebook: error: /nonexistent/film.dcm: no such file or folder",
        ),
        (
            ["import", "x.png", "--spacing-mm", "-1"],
            1,
            "casebook: error: --spacing-mm must be a pixel size",
        ),
        (
            ["import", "x.png", "--spacing-mm", "abc"],
            2,
            "casebook: error: argument --spacing-mm: invalid float value",
        ),
        (["frobnicate"], 2, "casebook: error: argument COMMAND: invalid choice"),
        (
            ["list", "--from", "yesterday"],
            2,
            "casebook: error: argument --from: not a date",
        ),
        (
            ["list", "--from", "2026-02-01", "--to", "2026-01-01"],
            1,
            "casebook: error: created_from 2026-02-01 is after",
        ),
    ],
)
def test_expected_errors_are_one_line(tmp_path, films, capsys, argv, code, message):
    db = str(tmp_path / "casebook.duckdb")
    folder, _ = films
    run(capsys, "import", str(folder / "pa.dcm"), "--db", db)

    exit_code, _, err = run(capsys, *argv, "--db", db)

    assert exit_code == code
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_list_without_a_database_says_what_to_do(tmp_path, capsys):
    code, _, err = run(capsys, "list", "--db", str(tmp_path / "absent.duckdb"))
    assert code == 1
    assert (
        "no database at" in err and "casebook import" in err and "casebook demo" in err
    )


def test_db_defaults_to_the_environment(tmp_path, films, capsys, monkeypatch):
    folder, _ = films
    monkeypatch.setenv("CASEBOOK_DB", str(tmp_path / "env.duckdb"))
    assert run(capsys, "import", str(folder / "pa.dcm"))[0] == 0
    assert (tmp_path / "env.duckdb").exists()
    assert (tmp_path / "env.store").is_dir()


def _casebook(*argv, env=None):
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_a_locked_database_is_one_line_from_the_real_command(tmp_path, films):
    folder, _ = films
    db = tmp_path / "casebook.duckdb"
    assert _casebook("import", str(folder / "pa.dcm"), "--db", str(db)).returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, duckdb
            connection = duckdb.connect({str(db)!r})
            print("holding", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = _casebook("list", "--db", str(db), env={"CASEBOOK_LOCK_WAIT_S": "1"})
    finally:
        holder.communicate("", timeout=30)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"casebook: error: database {db} is in use by another process (PID {holder.pid}"
    )
    # It waited, then named the real holder (not the dashboard) and what to do.
    assert "for 1 s" in result.stderr and "end that process" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_is_fast_and_imports_no_heavy_modules():
    probe = textwrap.dedent("""
        import sys
        import cli.main as cli
        cli.build_parser().format_help()
        heavy = ("duckdb", "pydicom", "numpy", "streamlit", "cases", "engine", "torch")
        print(",".join(sorted(m for m in heavy if m in sys.modules)))
    """)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
    helped = _casebook("--help")
    assert helped.returncode == 0
    assert "import" in helped.stdout and "--db PATH" in helped.stdout


def test_progress_bar_draws_only_on_a_terminal(capsys):
    from cli.main import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    progress = Progress(4, "importing", stream=terminal)
    progress.advance()
    progress.write("imported  C000001  a.dcm")
    progress.advance()
    progress.close()

    assert "importing [#######-----------------------] 1/4" in terminal.getvalue()
    assert "importing [###############---------------] 2/4" in terminal.getvalue()
    assert capsys.readouterr().out == "imported  C000001  a.dcm\n"
    quiet = io.StringIO()
    Progress(4, "importing", stream=quiet).advance()
    assert quiet.getvalue() == ""


def test_a_file_where_the_store_folder_goes_is_one_line(tmp_path, films, capsys):
    folder, _ = films
    (tmp_path / "casebook.store").touch()

    code, _, err = run(
        capsys,
        "import",
        str(folder / "film.png"),
        "--db",
        str(tmp_path / "casebook.duckdb"),
    )

    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith(
        f"casebook: error: store folder {tmp_path / 'casebook.store'} cannot be created "
        f"(File exists): a file is in the way at {tmp_path / 'casebook.store'}"
    )


def test_a_blocked_pixel_folder_fails_that_file_and_the_batch_goes_on(
    tmp_path, films, capsys
):
    from cases.intake import read_image_file

    folder, _ = films
    blocked, other = folder / "pa.dcm", folder / "film.png"
    prefix = read_image_file(blocked, salt=b"s" * 32).image_id[:2]
    assert read_image_file(other, salt=b"s" * 32).image_id[:2] != prefix
    db = tmp_path / "casebook.duckdb"
    pixels = tmp_path / "casebook.store" / "pixels"
    pixels.mkdir(parents=True)
    (pixels / prefix).write_text("in the way")

    code, out, err = run(capsys, "import", str(blocked), str(other), "--db", str(db))

    assert code == 1
    assert (
        f"failed    {blocked}: cannot write {pixels / prefix}/" in out
        and f"a file is in the way at {pixels / prefix}; move it aside" in out
    )
    assert f"imported  C000001  {other}" in out
    assert "1 imported, 0 already stored, 1 failed" in out
    assert err.startswith("casebook: error: 1 of 2 files could not be imported")
    code, out, _ = run(capsys, "list", "--db", str(db))
    assert "page 1 of 1 (1 cases)" in out


def test_a_closed_pipe_ends_the_command_quietly(tmp_path, films):
    folder, _ = films
    db = tmp_path / "casebook.duckdb"
    assert _casebook("import", str(folder), "--db", str(db)).returncode == 0

    # The reader is gone before the command writes, as with `casebook list | head -0`.
    command = subprocess.Popen(
        [sys.executable, "-m", "cli", "list", "--json", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    command.stdout.close()
    err = command.stderr.read().decode()
    command.wait(timeout=120)

    assert command.returncode == 141
    assert err == ""
