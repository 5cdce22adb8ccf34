"""bench/gpu_check.py on CPU with --tiny, so the GPU check cannot go stale between GPU runs.

The timings of an 80 k-parameter model on CPU mean nothing; these tests check that the
script runs through the production backend, prints what docs/benchmarks.md promises and
keeps its time budget.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "gpu_check.py"


def gpu_check(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("torch", reason="the GPU check needs the gpu extra")
    pytest.importorskip("transformers", reason="the GPU check needs the gpu extra")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_tiny_run_prints_latency_and_tokens_per_second_with_and_without_reuse(
    tmp_path,
):
    out = tmp_path / "gpu_check.json"
    done = gpu_check("--json", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| turn |"))
    assert "decode tok/s no reuse" in header and "decode tok/s reuse" in header
    rows = [line for line in lines if line.startswith("| ") and line[2].isdigit()]
    assert [row.split("|")[1].strip() for row in rows] == ["1", "2", "3", "4"]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == len(header.strip("|").split("|"))
        assert "-" not in cells  # every turn measured in both runs
    assert any(
        line.startswith("generated tokens per second of turn wall time:")
        and "without reuse" in line
        and "with reuse" in line
        for line in lines
    )
    assert "same greedy output with and without reuse: 4/4 turns" in done.stdout
    assert "stopped:" not in done.stdout

    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["stopped"] is None and data["budget_s"] == 300
    assert data["tokens_per_s"]["no_reuse"] > 0 and data["tokens_per_s"]["reuse"] > 0
    reused = [turn["reused_prefix_tokens"] for turn in data["results"]["reuse"][0]]
    assert reused[0] == 0 and all(r > 0 for r in reused[1:])
    assert all(
        turn["reused_prefix_tokens"] == 0 for turn in data["results"]["no_reuse"][0]
    )


def test_the_budget_stops_the_check_and_says_so():
    done = gpu_check("--budget-s", "0.01")
    assert done.returncode == 3, done.stderr[-2000:]
    assert "stopped: the 0.01 s budget ran out while" in done.stdout
    assert "the table holds only the turns that finished" in done.stdout
