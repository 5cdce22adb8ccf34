"""``casebook demo``, ``casebook serve``, ``casebook status`` and ``casebook stop``."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.request
from pathlib import Path

import pytest

from cases import open_store
from cli import main as cli
from engine.backends.embedded import EmbeddedBackend
from engine.errors import ModelFileMissing
from services import demo, workflows
from services.serving import serve_paths


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_engine(monkeypatch, fake_cache):
    monkeypatch.setattr(workflows, "_SHARED_CACHE", fake_cache)


def test_demo_builds_every_part_and_a_second_run_writes_nothing(
    tmp_path, capsys, fake_engine
):
    db = tmp_path / "demo.duckdb"
    code, out, _ = run(capsys, "demo", "--db", str(db), "--json")
    assert code == 0
    first = json.loads(out)
    report = first["report"]
    assert first["created_anything"] is True
    assert {f["key"] for f in report["films"]} == {
        "seed",
        "normal",
        "left-upper",
        "no-spacing",
        "pydicom-png",
        "pydicom-cr",
    }
    by_key = {c["key"]: c for c in report["conversations"]}
    assert by_key["seed-zh"]["turns"] == 4 and by_key["seed-en"]["turns"] == 4
    assert {a["status"] for a in report["annotations"]} == {"created"}
    assert first["stats"]["cases"] == 6
    assert report["left_out"] == []  # the fake models read every phantom as drawn
    code, out, _ = run(capsys, "demo", "--db", str(db), "--json")
    again = json.loads(out)
    assert again["created_anything"] is False
    assert again["stats"] == {
        **first["stats"],
        "database_bytes": again["stats"]["database_bytes"],
    }
    with open_store(db) as store:
        assert store.verify_audit().ok
        assert {r.actor for r in store.list_audit(limit=10_000)} == {
            demo.IMPORTER,
            demo.READER,
            demo.REVIEWER,
        }


def test_demo_completes_a_conversation_an_earlier_run_left_unfinished(
    tmp_path, capsys, fake_cache
):
    db = tmp_path / "demo.duckdb"
    with open_store(db) as store:
        films = demo.films()
        outcome = store.import_bytes(
            films[0].data(), name=films[0].file_name, actor=demo.IMPORTER
        )
        session = workflows.start_session(
            store,
            outcome.case_id,
            backend=EmbeddedBackend(),
            actor=demo.READER,
            title="Seed scenario (English)",
            cache=fake_cache,
        )
        workflows.ask(store, session, demo.SEED_EN[0], actor=demo.READER)
        report = demo.build(store, cache=fake_cache)
        english = next(c for c in report.conversations if c.key == "seed-en")
        assert (english.status, english.turns) == ("completed", 4)
        assert [t.question for t in store.list_turns(english.conversation_id)] == list(
            demo.SEED_EN
        )


def test_demo_says_in_one_line_when_a_vision_model_is_missing(
    tmp_path, capsys, monkeypatch
):
    from engine.analysis import AnalysisCache

    def missing():
        raise ModelFileMissing(
            "engine/models/nodule_classifier.onnx is missing: reinstall the engine package"
        )

    monkeypatch.setattr(workflows, "_SHARED_CACHE", AnalysisCache(missing))
    code, _, err = run(capsys, "demo", "--db", str(tmp_path / "d.duckdb"))
    assert code == 1
    assert err.strip().startswith(
        "casebook: error: engine/models/nodule_classifier.onnx is missing"
    )
    assert len(err.strip().splitlines()) == 1


def test_the_pydicom_data_chest_film_is_found_without_the_network():
    path = demo.find_pydicom_chest()
    assert (
        path is not None
        and path.name == "RG1_J2KI.dcm"
        and path.stat().st_size > 100_000
    )


# --------------------------------------------------------------------------- serve / status / stop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_in_the_background_then_status_then_stop(tmp_path, capsys, demo_template):
    shutil.copytree(demo_template, tmp_path / "db")
    db = tmp_path / "db" / "demo.duckdb"
    port = free_port()
    paths = serve_paths(db)
    try:
        code, out, _ = run(
            capsys,
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--background",
            "--json",
        )
        assert code == 0
        started = json.loads(out)
        assert (
            started["already_running"] is False
            and started["url"] == f"http://127.0.0.1:{port}"
        )
        assert paths.pid.exists() and paths.log.exists()
        with urllib.request.urlopen(
            f"{started['url']}/_stcore/health", timeout=5
        ) as response:
            assert response.read() == b"ok"

        code, out, _ = run(capsys, "status", "--db", str(db), "--json")
        status = json.loads(out)
        assert (
            status["running"] and status["healthy"] and status["pid"] == started["pid"]
        )
        assert status["counts"]["cases"] == 6 and status["counts"]["turns"] > 0
        assert status["database_bytes"] > 0
        assert {b["name"] for b in status["backends"]} >= {"embedded"}
        assert any(
            b["name"] == "embedded" and b["available"] for b in status["backends"]
        )
        assert isinstance(status["gpus"], list) and status["log_tail"]

        code, out, _ = run(capsys, "serve", "--db", str(db), "--port", str(free_port()))
        assert code == 0 and "already serves" in out and str(port) in out

        code, _, err = run(capsys, "demo", "--db", str(db))
        assert code == 1 and "casebook stop" in err  # demo rebuilds: it says what to do
        code, out, err = run(capsys, "list", "--db", str(db), "--json")
        assert code == 0, err  # read-only commands share the file (cases.connection)
    finally:
        code, out, _ = run(capsys, "stop", "--db", str(db), "--json")
    assert code == 0 and json.loads(out)["stopped"] is True
    assert not paths.pid.exists()
    assert not db.with_name(db.name + ".wal").exists()  # checkpointed
    code, out, _ = run(capsys, "status", "--db", str(db), "--json")
    stopped = json.loads(out)
    assert (
        stopped["running"] is False and stopped["counts"]["cases"] == 6
    )  # read from the database itself
    code, out, _ = run(capsys, "stop", "--db", str(db))
    assert code == 0 and "no dashboard is serving" in out


def test_serve_refuses_a_port_in_use(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run(
            capsys,
            "serve",
            "--db",
            str(tmp_path / "x.duckdb"),
            "--port",
            str(port),
            "--background",
        )
    assert code == 1 and f"port {port}" in err and "--port" in err


def test_a_stale_pid_file_is_cleared(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    paths = serve_paths(db)
    paths.pid.write_text(
        json.dumps({"pid": 2**22 + 12345, "url": "http://127.0.0.1:1"})
    )
    code, out, _ = run(capsys, "status", "--db", str(db), "--json")
    assert code == 0 and json.loads(out)["running"] is False
    assert not paths.pid.exists()


def test_status_reads_gpu_name_and_memory_from_nvidia_smi(tmp_path, monkeypatch):
    from cli.serve import gpu_status

    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'NVIDIA H100 80GB HBM3, 1234, 81559'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{__import__('os').environ['PATH']}")
    assert gpu_status() == [
        {
            "name": "NVIDIA H100 80GB HBM3",
            "memory_used_mib": 1234,
            "memory_total_mib": 81559,
            "source": "nvidia-smi",
        }
    ]


@pytest.mark.slow
def test_sigterm_reaches_the_dashboard_and_the_port_is_free_again(tmp_path, capsys):
    """A service manager stops `casebook serve`; a restart on the same port works."""
    import os
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "x.duckdb"
    port = free_port()
    paths = serve_paths(db)
    root = Path(__file__).resolve().parents[2]
    serve = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--db", str(db), "--port", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        deadline = time.monotonic() + 90
        child = None
        while time.monotonic() < deadline and child is None:
            time.sleep(0.5)
            if paths.pid.exists():
                child = json.loads(paths.pid.read_text())["pid"]
        assert child is not None, "serve wrote no PID file"
        _wait_healthy(port)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
    assert not paths.pid.exists()
    assert not Path(f"/proc/{child}").exists(), "the Streamlit child outlived serve"

    code, _, err = run(
        capsys, "serve", "--db", str(db), "--port", str(port), "--background"
    )
    try:
        assert code == 0, err
    finally:
        code, out, _ = run(capsys, "stop", "--db", str(db), "--json")
    assert json.loads(out)["checkpointed"] is True


def _wait_healthy(port: int) -> None:
    import time

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/_stcore/health", timeout=2
            ) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("the dashboard never answered")
