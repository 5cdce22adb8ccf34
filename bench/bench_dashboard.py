"""Dashboard latency measured in Chromium: case page ready, follow-up turn, case-list page switch.

Usage:
    python bench/bench_dashboard.py [--runs 10] [--cases 100000 --turns 2000000] [--skip-list | --list-only]

1. Builds a demo database with ``casebook demo`` (the real engine, embedded backend) and
   serves it as ``casebook serve`` does (``streamlit run dashboard/asgi_app.py``) on a
   free loopback port.
2. Case page ready, the way a reader opens a case: on /cases (the session already open),
   a click on the case's row; the clock stops when the case page shows every message of
   the case's newest conversation, the image viewer has drawn the film and painted its
   overlay, and the script run has finished. The same page opened in a fresh browser tab is timed
   too: that adds Streamlit's own start in the browser (a one-line "hello" app takes about
   as long on this machine, see docs/benchmarks.md). A fresh tab is a new browser profile
   (empty HTTP cache: every Streamlit bundle is fetched and compiled); both pages are
   also timed in new tabs of one browser context that has opened them before, as a
   reader's second tab is (bundles from the HTTP cache).
3. Follow-up: in that tab, from pressing Enter on a follow-up question to the new answer
   in the transcript and the new overlay painted in the viewer. The demo's conversations
   are another reader's (read-only), so an untimed first question opens the reader's own
   conversation and the timed questions follow up in it.
4. Case list: a database with ``--cases`` cases and ``--turns`` turns bulk-loaded as
   ``bench/bench_case_list.py`` does; from clicking "Next" on /cases to the pager showing
   the next page.

Prints one JSON line per measurement and a Markdown table with medians and p90 from one
run (Debian's /usr/bin/chromium, headless). Never an assertion: see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
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
FOLLOW_UPS = [
    "How large is this lesion?",
    "这个病灶距离右肺门有多远?",
    "Is its margin regular?",
    "这个病灶的边缘是否规则?",
]
TARGETS_S = {
    "case_page_ready": 2.0,
    "case_page_fresh_tab": 1.5,
    "follow_up_turn": 0.5,
    "case_list_page_switch": 1.0,
    "hello_fresh_tab": 2.0,
    "hello_cached_tab": 2.0,
    "case_page_cached_tab": 1.5,
}
VIEWPORT = {"width": 1600, "height": 1000}

# The case page's image viewer (a components-v2 element in a shadow root): its film drawn
# and its overlay painted. Overlay pixels are the coloured ones (the film is grey).
# Returns -1 while the viewer has not drawn.
PAINTED_JS = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.dataset && el.dataset.testid === 'viewer-root') return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const viewer = find(document);
  if (!viewer || viewer.dataset.ready !== 'true') return -1;
  const c = viewer.querySelector('canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 16) if (Math.abs(d[i] - d[i + 2]) > 40) n++;
  return n;
}"""
REVISION_JS = """() => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.dataset && el.dataset.testid === 'viewer-root') return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const viewer = find(document);
  return viewer ? viewer.dataset.revision || '' : '';
}"""
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# The conversation's messages and answers as a reader sees them: the case page draws its
# stored turns as one element of ours (a question and an answer per turn) and the answer
# it followed as Streamlit chat messages; a tree before that change drew every message as
# a chat message. Counting both lets the A/B time either tree with the same stop.
MESSAGES_JS = """() =>
  document.querySelectorAll('[data-testid=stChatMessage]').length
  + 2 * document.querySelectorAll('[data-testid=transcript-turn]').length"""
ANSWERS_JS = """() => document.querySelectorAll(
  '[data-testid=stChatMessageAvatarAssistant], [data-testid=transcript-answer]').length"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def served_app(tree: Path) -> Path:
    """The file ``casebook serve`` runs in ``tree`` (``app.py`` in trees before
    ``asgi_app.py``, so the A/B can serve an older ref)."""
    served = tree / "dashboard" / "asgi_app.py"
    return served if served.exists() else tree / "dashboard" / "app.py"


def serve(
    db: Path, folder: Path, app: Path | None = None
) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log = (folder / f"streamlit-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app or served_app(ROOT)),
         "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false"],
        cwd=ROOT, env={**os.environ, "CASEBOOK_DB": str(db), "CASEBOOK_ROLE": "reviewer",
                       "CASEBOOK_ACTOR": "bench"}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return url, process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("streamlit did not start")


def settle(page, timeout: float = 120_000) -> None:
    page.wait_for_timeout(50)
    page.wait_for_selector(IDLE, timeout=timeout)


def wait_case_page_ready(page, messages: int) -> None:
    """The case page's "ready": the transcript's messages shown, the film painted, the
    run settled. Every case-page timing (this bench, the A/B, the profile) stops here."""
    page.wait_for_function(f"() => ({MESSAGES_JS})() >= {messages}", timeout=120_000)
    page.wait_for_function(f"() => ({PAINTED_JS})() > 0", timeout=120_000)
    settle(page)


def summary(name: str, samples: list[float], **extra: object) -> dict[str, object]:
    return {
        "benchmark": name,
        "runs": len(samples),
        "median_s": round(statistics.median(samples), 3),
        "p90_s": round(float(np.percentile(samples, 90)), 3),
        "min_s": round(min(samples), 3),
        "target_s": TARGETS_S[name],
        "target_met": statistics.median(samples) <= TARGETS_S[name],
        **extra,
    }


def new_tab(browser, cached):
    """A fresh tab: in a new browser profile (empty HTTP cache), or, with ``cached`` (a
    browser context that has opened the page before), a new tab of that browser, whose
    HTTP cache already holds Streamlit's script bundles."""
    return cached.new_page() if cached else browser.new_page(viewport=VIEWPORT)


def bench_hello(browser, folder: Path, runs: int, cached=None) -> list[float]:
    """Streamlit's own start in a fresh tab: a one-line app, for comparison."""
    app = folder / "hello.py"
    app.write_text('import streamlit as st\nst.title("hello")\n', encoding="utf-8")
    url, process = serve(folder / "unused.duckdb", folder, app)
    samples = []
    try:
        for _ in range(runs + 1):
            page = new_tab(browser, cached)
            t0 = time.perf_counter()
            page.goto(url)
            page.get_by_role("heading", name="hello").wait_for(timeout=120_000)
            settle(page)
            samples.append(time.perf_counter() - t0)
            page.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return samples[1:]


def bench_case_open(
    browser, url: str, case_id: str, messages: int, runs: int
) -> list[float]:
    """Open a case from the case list, as a reader does, in an open session."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    samples = []
    for n in range(runs + 1):
        page.goto(f"{url}/cases")
        search = (
            page.get_by_test_id("stTextInput")
            .filter(has_text="Search")
            .locator("input")
        )
        search.fill(case_id)
        search.press("Enter")
        page.get_by_text(re.compile(r"Page 1 of 1 · 1 cases")).wait_for(timeout=120_000)
        settle(page)
        grid = page.get_by_test_id("stDataFrame").bounding_box()
        t0 = time.perf_counter()
        page.mouse.click(grid["x"] + 16, grid["y"] + 35 + 32)  # the row's selection box
        page.wait_for_url("**/case?**", timeout=120_000)
        wait_case_page_ready(page, messages)
        if n:  # the first opening warms the case's caches
            samples.append(time.perf_counter() - t0)
    page.close()
    return samples


def bench_case_page(
    browser,
    url: str,
    case_id: str,
    conversation: int,
    messages: int,
    runs: int,
    cached=None,
) -> list[float]:
    target = f"{url}/case?id={case_id}&conversation={conversation}"
    warm = new_tab(browser, cached)
    warm.goto(target)
    warm.wait_for_function(f"() => ({PAINTED_JS})() > 0", timeout=120_000)
    warm.close()
    samples = []
    for _ in range(runs):
        page = new_tab(browser, cached)
        t0 = time.perf_counter()
        page.goto(target)
        wait_case_page_ready(page, messages)
        samples.append(time.perf_counter() - t0)
        page.close()
    return samples


def bench_follow_up(
    browser, url: str, case_id: str, conversation: int, runs: int
) -> list[float]:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{url}/case?id={case_id}&conversation={conversation}")
    page.wait_for_function(f"() => ({PAINTED_JS})() > 0", timeout=120_000)
    settle(page)
    samples = []
    # The demo's conversation is someone else's: the first question (not timed) opens
    # the reader's own conversation, which the timed follow-ups continue.
    for n in range(runs + 1):
        answers = page.evaluate(ANSWERS_JS)
        box = page.get_by_test_id("composer-input")
        box.fill(FOLLOW_UPS[n % len(FOLLOW_UPS)])
        revision = page.evaluate(REVISION_JS)
        t0 = time.perf_counter()
        box.press("Enter")
        if n == 0:
            page.get_by_text("Started conversation").wait_for(timeout=120_000)
        else:
            page.wait_for_function(
                f"() => ({ANSWERS_JS})() > {answers}", timeout=120_000
            )
        settle(page)
        # The new overlay is drawn when the viewer shows another revision, painted
        # (every turn changes the overlay: new anchors, or the referenced one marked).
        page.wait_for_function(
            f"() => ({REVISION_JS})() !== {json.dumps(revision)} && ({PAINTED_JS})() > 0",
            timeout=120_000,
        )
        if n:
            samples.append(time.perf_counter() - t0)
    page.close()
    return samples


def bench_case_list(browser, url: str, runs: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{url}/cases")
    page.get_by_text(re.compile(r"Page 1 of [\d,]+")).wait_for(timeout=120_000)
    settle(page)
    samples = []
    for n in range(2, runs + 2):
        t0 = time.perf_counter()
        page.get_by_role("button", name="Next ▶").click()
        page.get_by_text(re.compile(rf"Page {n:,} of [\d,]+")).wait_for(timeout=120_000)
        settle(page)
        samples.append(time.perf_counter() - t0)
    page.close()
    return samples


def bench_demo_pages(browser, folder: Path, runs: int) -> list[dict[str, object]]:
    """Case page (from the list and in a fresh tab) and follow-up turns on a demo database."""
    db, report = build_demo(folder)
    # The seed scenario on the real WG-04 chest CR, the demo's flagship case; the phantom
    # version stands in only if pydicom-data did not provide the film.
    films = {f["key"]: f for f in report["report"]["films"]}
    conversations = {c["key"]: c for c in report["report"]["conversations"]}
    real = "pydicom-cr" in films and "pydicom-cr" in conversations
    seed_case = films["pydicom-cr" if real else "seed"]["case_id"]
    seed = conversations["pydicom-cr" if real else "seed-zh"]
    follow_up = conversations["pydicom-cr-en" if real else "seed-en"]
    newest = max(
        (c for c in conversations.values() if c["case_id"] == seed_case),
        key=lambda c: c["conversation_id"],
    )
    results: list[dict[str, object]] = []
    url, process = serve(db, folder)
    try:
        samples = bench_case_open(browser, url, seed_case, 2 * newest["turns"], runs)
        results.append(
            summary("case_page_ready", samples, case=seed_case, turns=newest["turns"])
        )
        print(json.dumps(results[-1]), flush=True)
        samples = bench_case_page(
            browser, url, seed_case, seed["conversation_id"], 2 * seed["turns"], runs
        )
        results.append(
            summary("case_page_fresh_tab", samples, case=seed_case, turns=seed["turns"])
        )
        print(json.dumps(results[-1]), flush=True)
        cached = browser.new_context(viewport=VIEWPORT)
        samples = bench_case_page(
            browser,
            url,
            seed_case,
            seed["conversation_id"],
            2 * seed["turns"],
            runs,
            cached=cached,
        )
        cached.close()
        results.append(
            summary(
                "case_page_cached_tab", samples, case=seed_case, turns=seed["turns"]
            )
        )
        print(json.dumps(results[-1]), flush=True)
        samples = bench_follow_up(
            browser, url, seed_case, follow_up["conversation_id"], runs
        )
        results.append(summary("follow_up_turn", samples, case=seed_case))
        print(json.dumps(results[-1]), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return results


def build_demo(folder: Path) -> tuple[Path, dict]:
    db = folder / "demo.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return db, json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=2_000_000)
    parser.add_argument(
        "--skip-list", action="store_true", help="skip the 100k-case list"
    )
    parser.add_argument("--list-only", action="store_true", help="only the case list")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_case_list import build as build_case_list

    machine = (
        f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, load {os.getloadavg()[0]:.1f}, "
        f"chromium {subprocess.run([CHROMIUM, '--version'], capture_output=True, text=True).stdout.strip()}"
    )
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="casebook-bench-dashboard-") as tmp,
        sync_playwright() as playwright,
    ):
        folder = Path(tmp)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        if not args.list_only:
            results.append(
                summary("hello_fresh_tab", bench_hello(browser, folder, args.runs))
            )
            print(json.dumps(results[-1]), flush=True)
            cached = browser.new_context(viewport=VIEWPORT)
            samples = bench_hello(browser, folder, args.runs, cached=cached)
            cached.close()
            results.append(summary("hello_cached_tab", samples))
            print(json.dumps(results[-1]), flush=True)
            results += bench_demo_pages(browser, folder, args.runs)
        if not args.skip_list:
            big = folder / "list.duckdb"
            t0 = time.perf_counter()
            counts = build_case_list(big, args.cases, args.turns)
            build_s = time.perf_counter() - t0
            url, process = serve(big, folder)
            try:
                samples = bench_case_list(browser, url, args.runs)
                results.append(
                    summary(
                        "case_list_page_switch",
                        samples,
                        **counts,
                        build_s=round(build_s, 1),
                    )
                )
                print(json.dumps(results[-1]), flush=True)
            finally:
                process.terminate()
                process.wait(timeout=30)
        browser.close()
    labels = {
        "case_page_ready": "Case page ready: opened from the worklist (viewer + transcript), engine warm",
        "case_page_fresh_tab": "Case page ready in a fresh browser tab (4-turn conversation)",
        "hello_fresh_tab": "For comparison: a one-line Streamlit app in a fresh browser tab",
        "hello_cached_tab": "For comparison: the one-line app in a new tab, browser cache warm",
        "case_page_cached_tab": "Case page in a new tab of a browser that has opened it before",
        "follow_up_turn": "Follow-up question: Enter to answer + overlay drawn",
        "case_list_page_switch": f"Case list, {args.cases:,} cases / {args.turns:,} turns: page switch",
    }
    print(f"machine: {machine}")
    print("| measurement | runs | median | p90 | target (p50) |")
    print("|---|---|---|---|---|")
    for r in results:
        print(
            f"| {labels[str(r['benchmark'])]} | {r['runs']} | {r['median_s']:.2f} s | {r['p90_s']:.2f} s | "
            f"≤ {r['target_s']:.1f} s ({'met' if r['target_met'] else 'not met'}) |"
        )
    by_name = {str(r["benchmark"]): r for r in results}
    if {"case_page_fresh_tab", "hello_fresh_tab"} <= set(by_name):
        ratio = float(by_name["case_page_fresh_tab"]["median_s"]) / float(
            by_name["hello_fresh_tab"]["median_s"]
        )
        print(f"fresh-tab case page / one-line Streamlit page (medians): {ratio:.2f}")
    if {"case_page_cached_tab", "hello_cached_tab"} <= set(by_name):
        ratio = float(by_name["case_page_cached_tab"]["median_s"]) / float(
            by_name["hello_cached_tab"]["median_s"]
        )
        print(f"same, browser cache warm (medians): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
