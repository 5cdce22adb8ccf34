"""A database that the casebook wrote before the shared kernel opens, migrates and verifies.

Not a simulation: the casebook of commit ``BEFORE`` (main before issue 13: turns counted
from 0, each anchor kept in a ``detail`` copy, the scorecard in the answer as well as in
its rows) is taken out of git and its own ``casebook demo`` writes the database. Today's
code then opens it (migrations 0005 onwards run), ``casebook audit verify`` passes, and
every anchor and scorecard reads back as that casebook wrote it.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb
import pytest

from cases import open_store
from cases.legacy import answer_scorecard
from cases.model import payload
from cli.main import main
from services.records import engine_anchor

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "8fc2d186dd2bd533e518b3e830204052d1ddc4a6"
OLD_PACKAGES = ("dashboard", "engine", "cases", "ontology")

pytestmark = pytest.mark.slow


def _old_source(folder: Path) -> Path:
    """Check out the casebook of ``BEFORE`` into ``folder`` (skip without its history)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git history of the repository (git and .git)")
    if (
        subprocess.run(
            ["git", "cat-file", "-e", f"{BEFORE}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
        ).returncode
        != 0
    ):
        pytest.skip(f"commit {BEFORE[:8]} is not in this clone (a shallow clone?)")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", BEFORE, *OLD_PACKAGES],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


@pytest.fixture(scope="module")
def old_database(tmp_path_factory) -> Path:
    """The demo database as the casebook of ``BEFORE`` wrote it."""
    source = _old_source(tmp_path_factory.mktemp("before-src"))
    db = tmp_path_factory.mktemp("before-db") / "demo.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "demo", "--db", str(db)],
        cwd=source,
        env={**os.environ, "PYTHONPATH": str(source)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return db


def _as_written(db: Path) -> tuple[list[tuple], list[tuple]]:
    """The old rows, read before today's code opens (and migrates) the file."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        anchors = con.execute(
            "SELECT conversation_id, anchor_id, turn_index, detail FROM anchors"
        ).fetchall()
        turns = con.execute(
            "SELECT conversation_id, turn_index, language, answer_text, answer_json "
            "FROM turns"
        ).fetchall()
    finally:
        con.close()
    return anchors, turns


def test_an_old_database_migrates_verifies_and_reads_back_as_written(
    old_database, tmp_path, capsys
):
    db = tmp_path / "demo.duckdb"
    shutil.copy(old_database, db)
    shutil.copytree(
        old_database.with_suffix(".store"), db.with_suffix(".store"), dirs_exist_ok=True
    )
    old_anchors, old_turns = _as_written(db)
    assert old_anchors and old_turns
    assert min(t[1] for t in old_turns) == 0  # written when turns counted from 0

    code = main(["audit", "verify", "--db", str(db)])  # opening it migrates it
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("audit chain OK")

    with open_store(db) as store:
        for cid, anchor_id, index, detail in old_anchors:
            (stored,) = [
                a
                for a in store.list_anchors(cid)
                if a.anchor_id == anchor_id and a.turn_index == index + 1
            ]
            written = {**json.loads(detail), "turn_index": index + 1}
            assert engine_anchor(stored).to_json() == written, (cid, anchor_id)
        for cid, index, language, text, answer in old_turns:
            turn = store.get_turn(cid, index + 1)
            assert turn.turn.answer_text == text
            card = json.loads(answer).get("scorecard")
            signs = [payload(s) for s in turn.sign_matches]
            assert answer_scorecard(signs, language) == card, (cid, index)
