"""End to end in real Chromium: ``casebook demo``, ``streamlit run``, then the seed scenario.

A fresh demo database is built with the real engine; the dashboard runs on a free loopback
port; Debian's Chromium (never ``playwright install``) opens a case, asks the seed's four
questions, draws a box and asks about it, steps back in Replay and checks the audit chain.
Screenshots go to ``artifacts/e2e/``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "artifacts" / "e2e"
SEED_ZH = [
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    url: str, process: subprocess.Popen, log: Path, timeout: float = 90.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(
        f"streamlit did not answer within {timeout} s:\n{log.read_text()[-3000:]}"
    )


def start_dashboard(
    db: Path,
    folder: Path,
    *,
    env: dict[str, str] | None = None,
    extra: list[str] | None = None,
) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log = folder / f"streamlit-{port}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "app.py"),
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
            *(extra or []),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "CASEBOOK_DB": str(db),
            "CASEBOOK_ROLE": "reviewer",
            "CASEBOOK_ACTOR": "e2e.reader",
            **(env or {}),
        },
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log)
    return url, process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    """A fresh demo database built by `casebook demo` with the real engine."""
    folder = tmp_path_factory.mktemp("e2e")
    db = folder / "demo.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    return {"db": db, "folder": folder, "report": report}


@pytest.fixture(scope="module")
def server(demo) -> Iterator[str]:
    url, process = start_dashboard(demo["db"], demo["folder"])
    yield url
    stop(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROME_ARGS
        )
        yield chromium
        chromium.close()


OUTSIDE: list[str] = []
"""Every request the pages made to a host other than this machine (there must be none)."""


@pytest.fixture(scope="module")
def page(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1500, "height": 1250})
    page = context.new_page()
    page.on(
        "request", lambda r: OUTSIDE.append(r.url) if not _is_local(r.url) else None
    )
    yield page
    context.close()


def _is_local(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in (
        "127.0.0.1",
        "localhost",
        "::1",
    )


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the script run triggered last has finished."""
    page.wait_for_timeout(250)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout
    )


def shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assistant_count(page) -> int:
    return page.get_by_test_id("stChatMessageAvatarAssistant").count()


def painted_pixels(page) -> int:
    """How many pixels of the canvas's object layer are painted (anchors, labels, boxes)."""
    return page.locator("canvas.dc-canvas.lower-canvas").evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )


def choose(page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option).click()
    settle(page)


def ask(page, question: str, expected_answers: int) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=stChatMessageAvatarAssistant]').length >= {expected_answers}",
        timeout=120_000,
    )
    settle(page, timeout=120_000)


def seed_case(demo) -> str:
    """The real chest CR of the demo: the learned models find its round opacities."""
    return next(
        f["case_id"]
        for f in demo["report"]["report"]["films"]
        if f["key"] == "pydicom-cr"
    )


def test_the_seed_scenario_in_a_new_conversation(server, demo, page):
    case_id = seed_case(demo)
    page.goto(f"{server}/case?id={case_id}")
    page.wait_for_selector("canvas.upper-canvas", timeout=90_000)
    settle(page)
    shot(page, "01-case-opened")
    choose(page, "Conversation", "＋ New conversation")
    assert assistant_count(page) == 0
    empty = painted_pixels(page)
    for number, question in enumerate(SEED_ZH, start=1):
        ask(page, question, number)
        shot(page, f"02-after-turn-{number}")
    assert assistant_count(page) == 4
    main = page.get_by_test_id("stMain")
    assert "【肺部表现】" in main.inner_text()
    page.wait_for_selector("canvas.upper-canvas")
    assert painted_pixels(page) > empty + 2000  # the anchors are drawn on the image
    metrics = {
        page.get_by_test_id("stMetricLabel")
        .nth(i)
        .inner_text()
        .strip(): page.get_by_test_id("stMetricValue").nth(i).inner_text().strip()
        for i in range(page.get_by_test_id("stMetric").count())
    }
    assert set(metrics) >= {"met", "not met", "not assessable"}
    assert all(v.isdigit() for v in metrics.values())
    assert re.search(r"conversation=\d+", page.url)
    page.get_by_text("Zoom", exact=True).click()
    settle(page)
    shot(page, "03-zoomed-on-the-lesion")


def test_a_drawn_box_is_the_subject_of_the_next_question(server, demo, page):
    if "/case" not in page.url:
        page.goto(f"{server}/case?id={seed_case(demo)}")
    page.wait_for_selector("canvas.upper-canvas", timeout=90_000)
    settle(page)
    before = assistant_count(page)
    canvas = page.locator("canvas.upper-canvas")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 0.62 * box["width"], box["y"] + 0.68 * box["height"])
    page.mouse.down()
    page.mouse.move(
        box["x"] + 0.80 * box["width"], box["y"] + 0.82 * box["height"], steps=12
    )
    page.mouse.up()
    page.get_by_text("Box drawn").wait_for(timeout=30_000)
    settle(page)
    shot(page, "04-box-drawn")
    ask(page, "这个区域是什么?", before + 1)
    assert assistant_count(page) == before + 1
    assert (
        "阅片者标注区域" in page.get_by_test_id("stMain").inner_text()
        or "region" in page.get_by_test_id("stMain").inner_text()
    )
    shot(page, "05-asked-about-the-box")


def test_replay_steps_back_to_turn_two(server, page):
    match = re.search(r"conversation=(\d+)", page.url)
    assert match, page.url
    page.goto(f"{server}/replay?conversation={match.group(1)}")
    page.wait_for_selector("canvas.upper-canvas", timeout=90_000)
    settle(page)
    page.get_by_text("Turn 5 of 5").wait_for()
    for _ in range(3):
        page.get_by_role("button", name="◀ Previous").click()
        settle(page)
    page.get_by_text("Turn 2 of 5").wait_for()
    assert assistant_count(page) == 2
    assert "turn=2" in page.url
    shot(page, "06-replay-turn-2")


def test_the_audit_page_shows_the_integrity_check_passing(server, page):
    page.goto(f"{server}/cases")
    settle(page)
    choose(page, "Acting as", "QA auditor")
    page.get_by_test_id("stSidebarNav").get_by_text("Audit").click()
    settle(page)
    page.get_by_text("Integrity check passed").wait_for(timeout=60_000)
    assert (
        "e2e.reader" in page.get_by_test_id("stMain").inner_text()
        or page.get_by_test_id("stDataFrame").count()
    )
    shot(page, "07-audit")
    assert page.get_by_role(
        "button", name="Download the filtered table (CSV)"
    ).is_enabled()


def test_no_page_asked_anything_of_a_host_outside_this_machine():
    # A clinic's dashboard runs on its own network; nothing (fonts, icons) comes from outside.
    assert OUTSIDE == []


def test_the_screenshots_were_written():
    names = {p.name for p in ARTIFACTS.glob("*.png")}
    assert {"02-after-turn-4.png", "06-replay-turn-2.png", "07-audit.png"} <= names
