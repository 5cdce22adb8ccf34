"""End to end in real Chromium: ``casebook demo``, ``streamlit run``, then the seed scenario.

A fresh demo database is built with the real engine; the dashboard runs on a free loopback
port; Debian's Chromium (never ``playwright install``) opens a case, asks the seed's four
questions, draws a box and asks about it, steps back in Replay, checks the audit chain,
searches the worklist, sets window / level, zooms, meets a read-only conversation and
takes a quiz. Each test opens its own browser page and needs no other test to run first.
Screenshots go to a fresh folder per run, ``artifacts/e2e/<time>-<pid>/``.
"""

from __future__ import annotations

import contextlib
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
ARTIFACTS = (
    ROOT / "artifacts" / "e2e" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
)
SEED_ZH = [
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
]

# Every browser test carries these marks (the other browser test files import them).
BROWSER_MARKS = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]
pytestmark = BROWSER_MARKS


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
            str(ROOT / "dashboard" / "asgi_app.py"),  # as `casebook serve` runs it
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


@pytest.fixture
def page(browser):
    """A fresh page per test (1600 x 1000, the screen the layout is made for); at the end,
    no request may have gone to a host outside this machine."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request", lambda r: outside.append(r.url) if not _is_local(r.url) else None
    )
    yield page
    context.close()
    # A clinic's dashboard runs on its own network; nothing (fonts, icons) comes from outside.
    assert outside == []


def _is_local(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in (
        "127.0.0.1",
        "localhost",
        "::1",
    )


SCORECARD_COUNTS = re.compile(r"✓ met \d+ · ✗ not met \d+ · \? not assessable \d+")


def main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def settle(page, timeout: float = 60_000) -> None:
    """Wait until the script run triggered last has finished."""
    page.wait_for_timeout(250)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout
    )


def text_still_showing(
    page, fragments: tuple[str, ...], timeout: float = 30.0
) -> list[str]:
    """The fragments the main area still shows once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        main = page.get_by_test_id("stMain").inner_text()
        present = [f for f in fragments if f in main]
        if not present or time.monotonic() > deadline:
            return present
        page.wait_for_timeout(250)


def shot(page, name: str) -> Path:
    """Write a screenshot into this run's folder and check that it was written."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, path
    return path


# An answer on the page: a stored turn's in the case page's transcript element, or a
# Streamlit chat message (the answer a run followed as it arrived, the replay page).
ANSWERS = "[data-testid=stChatMessageAvatarAssistant], [data-testid=transcript-answer]"
# A message of either kind; the newest answer is inside the last one.
MESSAGES = "[data-testid=stChatMessage], [data-testid=transcript-turn]"


def assistant_count(page) -> int:
    return page.locator(ANSWERS).count()


def settled_answer_count(page, expected: int, timeout: float = 30_000) -> int:
    """The answers shown once the page shows ``expected`` of them, or ``timeout`` passed.

    Streamlit keeps the previous run's elements on screen until the new run replaces
    them, and ``settle`` cannot see a run the browser asks for after it returned: an
    answer followed as it arrived and the same answer in the transcript can both be on
    screen for a moment (CI once counted 5 answers to 4 questions). If the count never settles,
    the caller's assertion says what was shown instead.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            f"() => document.querySelectorAll('{ANSWERS}').length === {expected}",
            timeout=timeout,
        )
    return assistant_count(page)


def viewer(page):
    """The image viewer (window / level, zoom, overlay), once its film is drawn."""
    root = page.locator("[data-testid=viewer-root][data-ready=true]")
    root.wait_for(timeout=90_000)
    return root


def readout(frame) -> dict[str, str]:
    """The viewer's state as its readout carries it (zoom, window centre and width, pan)."""
    return frame.locator("[data-testid=viewer-readout]").evaluate(
        "e => ({...e.dataset})"
    )


_COLOURED = """(c, region) => {
    const x = c.getContext('2d');
    const d = x.getImageData(0, 0, c.width, c.height).data;
    let n = 0, sx = 0, sy = 0, grey = 0, count = 0;
    for (let i = 0; i < d.length; i += 4) {
        const p = i / 4, px = p % c.width, py = Math.floor(p / c.width);
        if (Math.abs(d[i] - d[i + 2]) > 40 || Math.abs(d[i + 1] - d[i + 2]) > 40) {
            n++; sx += px; sy += py;
        } else if (px > c.width * 0.3 && px < c.width * 0.7 && py > c.height * 0.3 && py < c.height * 0.7) {
            grey += d[i]; count++;
        }
    }
    return {coloured: n, cx: n ? sx / n / c.width : 0, cy: n ? sy / n / c.height : 0,
            grey: count ? grey / count : 0};
}"""


def viewer_pixels(frame) -> dict[str, float]:
    """Overlay pixels (coloured) with their centre, and the mean grey of the film's middle."""
    return frame.locator("[data-testid=viewer-canvas]").evaluate(_COLOURED, None)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` on a choice of ours (the browser's own select, components/choice.py)."""
    box = page.get_by_test_id("choice").filter(has_text=label).first
    box.wait_for(timeout=60_000)
    box.get_by_test_id("choice-select").select_option(label=option)
    settle(page)


def ask(page, question: str, expected_answers: int) -> None:
    box = page.get_by_test_id("composer-input")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('{ANSWERS}').length >= {expected_answers}",
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


def stored_conversation(demo, key: str) -> int:
    """A conversation the demo stored (by demo:resident, so read-only for the e2e reader)."""
    return next(
        c["conversation_id"]
        for c in demo["report"]["report"]["conversations"]
        if c["key"] == key
    )


def open_case(page, server: str, case_id: str, conversation: int | None = None):
    query = f"id={case_id}" + (f"&conversation={conversation}" if conversation else "")
    page.goto(f"{server}/case?{query}")
    frame = viewer(page)
    settle(page)
    return frame


def test_a_page_opened_by_its_url_connects_without_probing_the_page_path(
    server, demo, page
):
    # Streamlit's frontend guesses the server's address from the URL: without the base
    # URL given (dashboard/base_url.py) a new tab on /case asked /case/_stcore/health
    # first, got a 404 and retried 100 ms later.
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "_stcore" in r.url else None)
    open_case(page, server, seed_case(demo))
    assert page.get_by_role("heading", name=re.compile("Case")).is_visible()
    health = [u.removeprefix(server) for u in asked if u.endswith("/health")]
    assert health == ["/_stcore/health"], health


def test_the_seed_scenario_in_a_new_conversation(server, demo, page):
    frame = open_case(page, server, seed_case(demo))
    shot(page, "01-case-opened")
    choose(page, "Conversation", "＋ New conversation")
    assert settled_answer_count(page, 0) == 0
    empty = viewer_pixels(viewer(page))["coloured"]
    for number, question in enumerate(SEED_ZH, start=1):
        ask(page, question, number)
        shot(page, f"02-after-turn-{number}")
    assert settled_answer_count(page, 4) == 4
    main = page.get_by_test_id("stMain")
    assert "【肺部表现】" in main.inner_text()
    frame = viewer(page)
    # The anchors are drawn: one focal finding, its contour, the hilum line and labels
    # colour about a thousand pixels of the viewer; without an overlay none change.
    assert viewer_pixels(frame)["coloured"] > empty + 500
    # The scorecard's counts, one line of text under the image.
    assert SCORECARD_COUNTS.search(main.inner_text()), main.inner_text()[-2000:]
    found = re.search(r"conversation=(\d+)", page.url)
    assert found
    # Each question was stored once: the conversation opened afresh holds four turns.
    open_case(page, server, seed_case(demo), int(found.group(1)))
    assert settled_answer_count(page, 4) == 4


def composer_sent(page) -> dict[str, str]:
    """What the question box holds: its text, the questions not yet acknowledged, focus."""
    return page.get_by_test_id("composer-input").evaluate(
        """e => ({text: e.value,
                 sending: e.closest('#composer').dataset.sending,
                 acked: e.closest('#composer').dataset.acked,
                 focused: String(e.getRootNode().activeElement === e)})"""
    )


def test_the_question_box_waits_for_an_ime_composition_and_keeps_the_focus(
    server, demo, page
):
    open_case(page, server, seed_case(demo))
    choose(page, "Conversation", "＋ New conversation")
    box = page.get_by_test_id("composer-input")
    box.fill("肺部是否有异常")
    # The Enter that ends a Chinese IME composition picks the characters; it must not
    # send the half-typed question.
    box.dispatch_event(
        "keydown", {"key": "Enter", "code": "Enter", "isComposing": True}
    )
    page.wait_for_timeout(1500)
    assert composer_sent(page)["text"] == "肺部是否有异常"
    assert composer_sent(page)["sending"] == "0" and assistant_count(page) == 0
    # Over the limit the box says so and sends nothing.
    box.fill("肺" * 2001)
    box.press("Enter")
    page.wait_for_timeout(500)
    assert (
        "2001 of 2000 characters" in page.get_by_test_id("composer-status").inner_text()
    )
    assert page.get_by_test_id("composer-send").is_disabled()
    assert len(composer_sent(page)["text"]) == 2001
    # Shift+Enter is a new line; Enter sends, clears the box and keeps the focus there.
    box.fill("肺部是否有异常?")
    box.press("Shift+Enter")
    assert composer_sent(page)["text"] == "肺部是否有异常?\n"
    box.fill("肺部是否有异常?")
    box.press("Enter")
    assert composer_sent(page)["text"] == ""
    page.wait_for_function(
        f"() => document.querySelectorAll('{ANSWERS}').length >= 1",
        timeout=120_000,
    )
    settle(page, timeout=120_000)
    held = composer_sent(page)
    assert held["focused"] == "true"
    assert held["acked"] == "1" and held["sending"] == "0"  # shown once: in the chat
    assert main_text(page).count("肺部是否有异常?") == 1


def test_a_drawn_box_is_the_subject_of_the_next_question(server, demo, page):
    open_case(page, server, seed_case(demo))
    choose(page, "Conversation", "＋ New conversation")
    page.get_by_text("Draw a box", exact=True).click()
    settle(page)
    label = page.get_by_role("textbox", name="Label for the next box you draw")
    label.fill("e2e-streaks")
    label.press("Enter")
    settle(page)
    page.wait_for_selector("canvas.upper-canvas", timeout=90_000)
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
    ask(page, "这个区域是什么?", 1)
    answer = page.locator(MESSAGES).last.inner_text()
    assert "【框选区域分析】" in answer  # the answer analyses the drawn region
    assert "A1 created" in answer
    shot(page, "05-asked-about-the-box")


def test_replay_steps_back_to_turn_two(server, demo, page):
    conversation = stored_conversation(demo, "pydicom-cr")
    page.goto(f"{server}/replay?conversation={conversation}")
    page.wait_for_selector("canvas.upper-canvas", timeout=90_000)
    settle(page)
    page.get_by_text("Turn 4 of 4").wait_for()
    for _ in range(2):
        page.get_by_role("button", name="◀ Previous").click()
        settle(page)
    page.get_by_text("Turn 2 of 4").wait_for()
    # The transcript may still show turn 3 for a moment (settled_answer_count).
    assert settled_answer_count(page, 2) == 2
    assert "turn=2" in page.url
    shot(page, "06-replay-turn-2")


def test_the_audit_page_shows_the_integrity_check_passing(server, page):
    page.goto(f"{server}/cases")
    settle(page)
    choose(page, "Acting as", "QA auditor")
    page.get_by_test_id("stSidebarNav").get_by_text("Audit").click()
    settle(page)
    page.get_by_text("Integrity check passed").wait_for(timeout=60_000)
    main = page.get_by_test_id("stMain").inner_text()
    checked = re.search(r"passed: ([\d,]+) audit records and ([\d,]+) stored", main)
    # The demo wrote two films and ten turns, each audited (26 records), and the tests
    # before this one asked more: a check of nothing cannot pass here.
    assert checked and int(checked.group(1).replace(",", "")) > 25, main[:2000]
    shot(page, "07-audit")
    assert page.get_by_role(
        "button", name="Download the filtered table (CSV)"
    ).is_enabled()


def test_the_worklist_finds_a_case_by_its_original_file_name(server, demo, page):
    page.goto(f"{server}/cases")
    settle(page)
    # The real film and its PNG: the phantoms the engine does not read are left out.
    page.get_by_text("Page 1 of 1 · 2 cases").wait_for(timeout=30_000)
    search = page.get_by_role("textbox", name="Search")
    search.fill("RG1_J2KI")
    search.press("Enter")
    settle(page)
    page.get_by_text("Page 1 of 1 · 1 cases").wait_for(timeout=30_000)
    search.fill("monochrome1")  # a tag
    search.press("Enter")
    settle(page)
    page.get_by_text("Page 1 of 1 · 1 cases").wait_for(timeout=30_000)
    shot(page, "08-worklist-search")


def test_window_level_presets_and_drag_change_the_film(server, demo, page):
    frame = open_case(
        page, server, seed_case(demo), stored_conversation(demo, "pydicom-cr")
    )
    before = viewer_pixels(frame)["grey"]
    frame.locator("[data-testid=viewer-preset-bone]").click()
    page.wait_for_timeout(300)
    assert readout(frame)["center"] == "0.750"
    bone = viewer_pixels(frame)["grey"]
    assert abs(bone - before) > 15  # the film itself looks different
    frame.locator("[data-testid=viewer-wl]").click()
    canvas = frame.locator("[data-testid=viewer-canvas]").bounding_box()
    assert canvas is not None
    x, y = canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 150, y, steps=10)  # right: a wider window
    page.mouse.up()
    page.wait_for_timeout(300)
    assert float(readout(frame)["width"]) == pytest.approx(0.45 + 150 / 300, abs=0.02)
    shot(page, "09-window-level")


def test_zoom_shows_film_pixels_and_the_overlay_follows(server, demo, page):
    frame = open_case(
        page, server, seed_case(demo), stored_conversation(demo, "pydicom-cr")
    )
    start = viewer_pixels(frame)
    assert start["coloured"] > 500  # the overlay is drawn
    frame.locator("[data-testid=viewer-zoom-in]").click()
    page.wait_for_timeout(300)
    assert float(readout(frame)["zoom"]) == pytest.approx(1.5)
    zoomed = viewer_pixels(frame)
    # Zooming about the centre moves the overlay's marks away from it, 1.5 times as far.
    axis = max(("cx", "cy"), key=lambda a: abs(start[a] - 0.5))
    assert abs(start[axis] - 0.5) > 0.03, start
    moved = (zoomed[axis] - 0.5) / (start[axis] - 0.5)
    assert 1.2 < moved < 1.8, (axis, start, zoomed)
    text = frame.locator("[data-testid=viewer-readout]").inner_text()
    assert re.search(r"1\.5× · (\d+\.\d+) screen px per pixel", text), text
    # Zoomed in further than the light first copy holds, the film's own pixels arrive.
    for _ in range(3):
        frame.locator("[data-testid=viewer-zoom-in]").click()
    page.wait_for_function(
        "() => { const find = (r) => { for (const e of r.querySelectorAll('*')) {"
        " if (e.dataset && e.dataset.testid === 'viewer-readout') return e;"
        " if (e.shadowRoot) { const f = find(e.shadowRoot); if (f) return f; } } return null; };"
        " const e = find(document); return e && e.dataset.full === 'true'; }",
        timeout=60_000,
    )
    shot(page, "10-zoomed")


def wait_revision(page, frame, before: str) -> str:
    """The viewer's overlay once it is another than ``before`` (a run answered a control)."""
    settle(page)
    deadline = time.monotonic() + 30
    while (now := frame.get_attribute("data-revision") or "") == before:
        assert time.monotonic() < deadline, f"the overlay stayed at {before}"
        page.wait_for_timeout(100)
    page.wait_for_timeout(150)  # drawn on the next animation frame
    return now


def test_the_overlay_controls_under_the_film_switch_turn_layers_and_zoom(
    server, demo, page
):
    frame = open_case(
        page, server, seed_case(demo), stored_conversation(demo, "pydicom-cr")
    )
    # The turn, layers, anchor and zoom controls are the viewer's own, not widgets.
    assert (
        not page.get_by_test_id("stSelectbox")
        .filter(has_text="Selected anchor")
        .count()
    )
    controls = frame.locator("[data-testid=viewer-controls]")
    assert (
        controls.locator("[data-testid=viewer-turn-4]").get_attribute("aria-pressed")
        == "true"
    )
    revision = frame.get_attribute("data-revision") or ""
    assert revision.startswith("4-"), revision
    full = viewer_pixels(frame)["coloured"]
    assert full > 500
    controls.locator("[data-testid=viewer-turn-1]").click()
    revision = wait_revision(page, frame, revision)
    assert revision.startswith("1-") and "turn=1" in page.url
    assert (
        controls.locator("[data-testid=viewer-turn-1]").get_attribute("aria-pressed")
        == "true"
    )
    # Every layer switched off: no overlay pixel is left on the film.
    for button in controls.locator("[data-testid^=viewer-layer-]").all():
        button.click()
    while (viewer_pixels(frame)["coloured"]) > 0:
        revision = wait_revision(page, frame, revision)
    assert all(
        b.get_attribute("aria-pressed") == "false"
        for b in controls.locator("[data-testid^=viewer-layer-]").all()
    )
    for button in controls.locator("[data-testid^=viewer-layer-]").all():
        button.click()
    controls.locator("[data-testid=viewer-turn-4]").click()
    page.wait_for_function(
        "() => (() => { const find = (r) => { for (const e of r.querySelectorAll('*')) {"
        " if (e.dataset && e.dataset.testid === 'viewer-root') return e;"
        " if (e.shadowRoot) { const f = find(e.shadowRoot); if (f) return f; } } return null; };"
        " const v = find(document); return v && (v.dataset.revision || '').startsWith('4-'); })()",
        timeout=30_000,
    )
    settle(page)
    page.wait_for_timeout(150)
    assert viewer_pixels(frame)["coloured"] > 0.8 * full
    # Choosing an anchor opens its details below; zooming to it fills the view with it.
    controls.locator("[data-testid=viewer-anchor]").select_option("A1")
    page.get_by_text("Bounding box").first.wait_for(timeout=30_000)
    settle(page)
    assert float(readout(frame)["zoom"]) == pytest.approx(1.0)
    controls.locator("[data-testid=viewer-zoom-anchor]").click()
    settle(page)
    page.wait_for_timeout(300)
    assert float(readout(frame)["zoom"]) > 1.5
    shot(page, "11-overlay-controls")


def test_a_saved_conversation_of_someone_else_is_not_appended_to(server, demo, page):
    stored = stored_conversation(demo, "pydicom-cr-en")
    open_case(page, server, seed_case(demo), stored)
    notice = page.get_by_text(
        f"Conversation #{stored} is demo:resident's and read-only"
    )
    notice.wait_for(timeout=30_000)
    assert settled_answer_count(page, 4) == 4
    ask(page, "How large is this lesion?", 1)
    new = int(re.search(r"conversation=(\d+)", page.url).group(1))
    assert new != stored
    page.get_by_text(f"Started conversation #{new}").wait_for()
    shot(page, "11-read-only-started-new")
    open_case(page, server, seed_case(demo), stored)
    assert settled_answer_count(page, 4) == 4  # the saved conversation is unchanged


def test_the_new_conversation_can_start_from_the_read_only_ones_questions(
    server, demo, page
):
    stored = stored_conversation(demo, "pydicom-cr-en")
    open_case(page, server, seed_case(demo), stored)
    # The notice and its switch are drawn by the question box (one element, not two).
    notice = page.get_by_test_id("composer-notice-text")
    assert f"Conversation #{stored} is demo:resident's and read-only" in (
        notice.inner_text()
    )
    switch = page.get_by_test_id("composer-seed")
    assert switch.inner_text() == "Start the new conversation from its questions"
    assert switch.get_attribute("aria-pressed") == "false"
    switch.click()
    settle(page)
    assert switch.get_attribute("aria-pressed") == "true"  # the page kept it
    ask(page, "How large is this lesion?", 1)
    page.wait_for_url(re.compile(r"turn=5"), timeout=60_000)
    new = int(re.search(r"conversation=(\d+)", page.url).group(1))
    assert new != stored
    # The stored questions answered again in the new conversation, then the reader's.
    open_case(page, server, seed_case(demo), new)
    assert settled_answer_count(page, 5) == 5
    text = main_text(page)
    assert "Is there anything abnormal in the lungs?" in text
    assert text.rindex("How large is this lesion?") > text.rindex(
        "Is there anything abnormal in the lungs?"
    )
    shot(page, "12-read-only-seeded")


def test_the_quiz_hides_every_answer_and_anchor_until_the_learner_commits(
    server, demo, page
):
    conversation = stored_conversation(demo, "pydicom-cr")
    page.goto(f"{server}/replay?conversation={conversation}&turn=2")
    page.wait_for_selector("canvas.upper-canvas", timeout=90_000)
    settle(page)
    page.get_by_text("Quiz mode").click()
    settle(page)
    page.get_by_text("The answer is hidden until you draw your box.").first.wait_for()
    # Streamlit keeps the previous run's elements until the new run replaces them, so the
    # page is read until they are gone; a leak that stays fails after the timeout.
    leaked = text_still_showing(page, ("【", "AI anchor", "A1"))
    assert not leaked, leaked
    assert not SCORECARD_COUNTS.search(main_text(page))  # no scorecard either
    shot(page, "12-quiz-hidden")
    canvas = page.locator("canvas.upper-canvas")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.4 * box["height"])
    page.mouse.down()
    page.mouse.move(
        box["x"] + 0.4 * box["width"], box["y"] + 0.5 * box["height"], steps=8
    )
    page.mouse.up()
    page.get_by_role("button", name="Check my box").click()
    settle(page)
    page.get_by_text("Scored against").first.wait_for(timeout=30_000)
    assert "【" in page.get_by_test_id("stMain").inner_text()  # answers revealed
    shot(page, "13-quiz-scored")
