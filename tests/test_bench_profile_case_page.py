"""bench/profile_case_page.py: the helpers that attribute CPU and summarise the runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import profile_case_page as profile

SLEEPER = "import time; time.sleep(60)"
PARENT = (
    "import subprocess, sys, time\n"
    f"child = subprocess.Popen([sys.executable, '-c', {SLEEPER!r}])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(60)\n"
)


def test_the_browser_side_counts_grandchildren_too():
    # The browser is a grandchild of the bench (Playwright's driver starts it), and its
    # renderers are further down: all of them must be counted.
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True
    )
    try:
        grandchild = int(parent.stdout.readline())
        found = profile.descendants(os.getpid())
        assert parent.pid in found
        assert grandchild in found
        assert os.getpid() not in found
        assert profile.cpu_seconds([parent.pid, grandchild]) >= 0.0
    finally:
        subprocess.run(["kill", str(grandchild)], check=False)
        parent.kill()
        parent.wait(timeout=10)


def test_a_milestone_missing_from_some_runs_is_the_median_of_the_others():
    samples = [
        {"ready": 1.0, "title": 5.0},
        {"ready": 3.0},
        {"ready": 2.0, "title": 7.0},
    ]
    assert profile.medians(samples) == {"ready": 2.0, "title": 6.0}


def test_a_process_gone_between_listing_and_reading_counts_no_cpu():
    # Renderers come and go while a tab opens; a pid above pid_max never exists.
    assert profile.cpu_seconds([2**22 + 12345]) == 0.0


def test_the_list_of_element_code_files_is_not_a_milestone():
    # Each profile carries the names of the files it fetched; they have no median.
    samples = [
        {"ready": 1.0, "lazy_files": [["Selectbox", 1400]]},
        {"ready": 3.0, "lazy_files": []},
    ]
    assert profile.medians(samples) == {"ready": 2.0}
