"""Where the fresh-tab case page's time goes: milestones from navigation, CPU by side.

Usage:
    python bench/profile_case_page.py [--runs 6]

Builds the demo database and serves it, and a one-line Streamlit app, as
``bench/bench_dashboard.py`` does, then opens each page in ``--runs`` fresh browser
profiles, alternating between the two, and stops the clock as that bench does (case
page: every message of the conversation, the viewer's film and overlay painted, the
script run finished). A script added to the page records, in milliseconds from
navigation start: the Streamlit bundle loaded (DOMContentLoaded), the websocket open,
the first and the last message from the server (the last one is the script run's end),
the title drawn, the transcript drawn, the viewer mounted and ready, and the browser
told that the run finished. From the page's resource timing: the element bundles
fetched after the websocket opened (Streamlit loads an element's code when the element
first arrives) and the film's fetch. Per tab, the CPU seconds of the browser's processes
and of the server process. Prints medians; never an assertion (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_dashboard as bench

# Polled every 20 ms (not every frame) so the probe itself costs little.
MARKS_JS = """(() => {
  const m = (window.__marks = {});
  const mark = (k) => { if (!(k in m)) m[k] = performance.now(); };
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.dataset && el.dataset.testid === 'viewer-root') return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const poll = () => {
    const app = document.querySelector('[data-testid=stApp]');
    const state = app && app.dataset.testScriptState;
    if (state === 'running') mark('run_started');
    if (state === 'notRunning' && 'run_started' in m) mark('run_finished');
    if (document.querySelector('h1')) mark('title');
    if (document.querySelectorAll('[data-testid=stChatMessage]').length + 2 * document.querySelectorAll('[data-testid=transcript-turn]').length >= (window.__messages || 1)) mark('transcript');
    const viewer = find(document);
    if (viewer) { mark('viewer_mounted'); if (viewer.dataset.ready === 'true') mark('viewer_ready'); }
    setTimeout(poll, 20);
  };
  setTimeout(poll, 20);
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('open', () => mark('ws_open'));
    ws.addEventListener('message', () => { mark('first_message'); m.last_message = performance.now(); });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})();"""

RESOURCES_JS = """(messages) => {
  const m = window.__marks;
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const lazy = res.filter((e) => e.name.includes('/static/js/') && e.startTime > (m.ws_open || 1e9));
  const film = res.filter((e) => e.name.includes('/media/') && e.name.endsWith('.jpg'));
  return {
    ...m,
    bundle_loaded: nav.domContentLoadedEventEnd,
    lazy_bundles: lazy.length,
    lazy_first_request: lazy.length ? Math.min(...lazy.map((e) => e.startTime)) : null,
    lazy_last_received: lazy.length ? Math.max(...lazy.map((e) => e.responseEnd)) : null,
    film_requested: film.length ? film[0].startTime : null,
    film_received: film.length ? film[0].responseEnd : null,
    lazy_files: lazy.map((e) => [e.name.split('/').pop().split('.')[0], Math.round(e.startTime)]),
  };
}"""

ORDER = [
    "bundle_loaded",
    "ws_open",
    "first_message",
    "run_started",
    "title",
    "transcript",
    "last_message",
    "run_finished",
    "lazy_first_request",
    "lazy_last_received",
    "viewer_mounted",
    "film_requested",
    "film_received",
    "viewer_ready",
    "ready",
    "lazy_bundles",
    "browser_cpu_s",
    "server_cpu_s",
]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (and of their children they waited for)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (Playwright's driver, the browser and its helpers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def open_once(
    browser, url: str, server_pid: int, messages: int | None
) -> dict[str, float]:
    """One fresh browser profile: the page's milestones and the CPU each side used."""
    context = browser.new_context(viewport=bench.VIEWPORT)
    context.add_init_script(f"window.__messages = {messages or 1};\n{MARKS_JS}")
    page = context.new_page()
    before = cpu_seconds(descendants(os.getpid())), cpu_seconds([server_pid])
    t0 = time.perf_counter()
    page.goto(url)
    if messages is None:
        page.get_by_role("heading", name="hello").wait_for(timeout=120_000)
        bench.settle(page)
    else:
        bench.wait_case_page_ready(page, messages)
    ready = (time.perf_counter() - t0) * 1000
    after = cpu_seconds(descendants(os.getpid())), cpu_seconds([server_pid])
    marks = page.evaluate(RESOURCES_JS)
    context.close()
    return {
        **{k: v for k, v in marks.items() if v is not None},
        "ready": ready,
        "browser_cpu_s": after[0] - before[0],
        "server_cpu_s": after[1] - before[1],
    }


def medians(samples: list[dict[str, float]]) -> dict[str, float]:
    keys = {k for s in samples for k in s if k != "lazy_files"}
    return {k: statistics.median(s[k] for s in samples if k in s) for k in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="casebook-profile-") as tmp,
        sync_playwright() as playwright,
    ):
        folder = Path(tmp)
        db, report = bench.build_demo(folder)
        films = {f["key"]: f for f in report["report"]["films"]}
        conversations = {c["key"]: c for c in report["report"]["conversations"]}
        key = "pydicom-cr" if "pydicom-cr" in films else "seed"
        seed = conversations["pydicom-cr" if key == "pydicom-cr" else "seed-zh"]
        hello = folder / "hello.py"
        hello.write_text('import streamlit as st\nst.title("hello")\n', "utf-8")
        case_url, case_server = bench.serve(db, folder)
        hello_url, hello_server = bench.serve(folder / "unused.duckdb", folder, hello)
        target = (
            f"{case_url}/case?id={films[key]['case_id']}"
            f"&conversation={seed['conversation_id']}"
        )
        pages = {
            "one-line page": (hello_url, hello_server.pid, None),
            "case page": (target, case_server.pid, 2 * seed["turns"]),
        }
        browser = playwright.chromium.launch(
            executable_path=bench.CHROMIUM, args=bench.CHROME_ARGS
        )
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
        try:
            for page in pages.values():  # warm each server's caches
                open_once(browser, *page)
            for _ in range(args.runs):
                for name, page in pages.items():
                    samples[name].append(open_once(browser, *page))
        finally:
            browser.close()
            for process in (case_server, hello_server):
                process.terminate()
                process.wait(timeout=30)
    print(
        f"load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
        f"{args.runs} fresh browser profiles per page, medians"
    )
    table = {name: medians(s) for name, s in samples.items()}
    print("| milestone (ms from navigation) | " + " | ".join(table) + " |")
    print("|---|" + "---|" * len(table))
    for key in ORDER:
        cells = []
        for values in table.values():
            value = values.get(key)
            cells.append(
                ""
                if value is None
                else f"{value:.2f}"
                if key.endswith("_s")
                else f"{value:.0f}"
            )
        if any(cells):
            print(f"| {key} | " + " | ".join(cells) + " |")
    # Which element code a new tab of the case page fetched, in the order it asked for it
    # (the last profile; file names without their content hash).
    files = samples["case page"][-1].get("lazy_files", [])
    print("element code files fetched after the websocket opened (ms from navigation):")
    print(", ".join(f"{name} {start}" for name, start in files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
