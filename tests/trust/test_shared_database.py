"""The command line works while another process (the dashboard) serves the same database.

A helper process plays the dashboard: it keeps a ``CaseStore`` open and reads from it
every 50 ms, as page renders do. Its command line contains ``streamlit run app.py``, which
is how a lock refusal recognises the dashboard.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from cases.content_store import store_dir_for
from cli.main import main

ROOT = Path(__file__).resolve().parents[2]

DASHBOARD = ("streamlit", "run", "app.py")
READER = """
import sys, time
from cases import open_store
store = open_store(sys.argv[1])
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    store.list_cases()
    store.list_audit(limit=5)
    time.sleep(0.05)
store.close()
"""

HOLDER = """
import sys, time
from cases import open_store
store = open_store(sys.argv[1])
with store.held():
    print("ready", flush=True)
    sys.stdin.read()
store.close()
"""


def _start(script: str, db: Path, *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), str(db), *args, *DASHBOARD],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _png(path: Path) -> Path:
    pixels = (np.arange(256 * 256) % 251).astype(np.uint8).reshape(256, 256)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_commands_succeed_while_the_dashboard_reads(seed_copy, tmp_path, capsys):
    reader = _start(READER, seed_copy, "60")
    try:
        db = ["--db", seed_copy]
        code, out, err = run(capsys, "list", "--json", *db)
        assert code == 0, err
        assert json.loads(out)
        assert run(capsys, "show", "C000001", *db)[0] == 0
        code, out, err = run(capsys, "audit", "verify", *db)
        assert code == 0, out + err
        code, _, err = run(capsys, "backup", tmp_path / "backup", *db)
        assert code == 0, err
        code, _, err = run(
            capsys, "export", "conversation", "1", "--out", tmp_path / "bundle", *db
        )
        assert code == 0, err
        code, out, err = run(capsys, "import", _png(tmp_path / "film.png"), *db)
        assert code == 0, err
        code, out, err = run(capsys, "audit", "verify", *db)
        assert code == 0, out + err
    finally:
        reader.kill()
        reader.wait(timeout=30)
    assert (tmp_path / "backup" / "manifest.json").is_file()
    assert (tmp_path / "bundle" / "report.md").is_file()


def test_a_refusal_names_the_real_holder(seed_copy, capsys, monkeypatch):
    monkeypatch.setenv("CASEBOOK_LOCK_WAIT_S", "0.5")
    holder = _start(HOLDER, seed_copy)
    try:
        code, _, err = run(capsys, "list", "--db", seed_copy)
    finally:
        holder.communicate("", timeout=30)
    assert code == 1
    assert f"the dashboard (PID {holder.pid}) for 0.5 s" in err
    assert "\n" not in err.strip()


def test_a_writer_waits_for_a_short_holder(seed_copy, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CASEBOOK_LOCK_WAIT_S", "30")
    holder = _start(HOLDER, seed_copy)
    try:
        import threading

        threading.Timer(1.0, lambda: holder.stdin.close()).start()
        code, _, err = run(
            capsys, "import", _png(tmp_path / "f.png"), "--db", seed_copy
        )
    finally:
        holder.wait(timeout=30)
    assert code == 0, err


def test_no_wal_is_left_once_every_process_is_idle(seed_copy, tmp_path, capsys):
    run(capsys, "import", _png(tmp_path / "f.png"), "--db", seed_copy)
    wal = seed_copy.with_name(seed_copy.name + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert store_dir_for(seed_copy).is_dir()


def test_a_casebook_command_holding_the_file_is_named_by_its_subcommand():
    from cases.connection import _casebook_command, describe_holder

    assert _casebook_command(["/usr/bin/python3", "-m", "cli", "import", "f"]) == (
        "import"
    )
    assert _casebook_command(["/venv/bin/casebook", "--db", "x.duckdb", "backup"]) == (
        "backup"
    )
    assert _casebook_command(["python", "-c", "pass"]) is None
    assert describe_holder(None) == "another process"
    assert "this process" in describe_holder(__import__("os").getpid())


@pytest.mark.parametrize(
    ("words", "dashboard"),
    [
        (
            ["/venv/bin/python", "-m", "streamlit", "run", "/r/dashboard/asgi_app.py"],
            True,
        ),
        (
            ["/venv/bin/streamlit", "run", "dashboard/app.py", "--server.port=8501"],
            True,
        ),
        (["python", "-m", "streamlit", "run", "myapp.py"], False),  # someone else's app
        (["python", "/r/dashboard/app.py"], False),  # not served
    ],
)
def test_the_dashboard_is_recognised_by_its_script_name(words, dashboard):
    from cases.connection import is_dashboard_command

    assert is_dashboard_command(words) is dashboard
