"""Case page in a fresh tab and follow-up turns: this tree against a git ref, interleaved.

Usage:
    python bench/bench_dashboard_ab.py [--base main] [--runs 8]

On a shared machine the load changes from one minute to the next, so two runs of
``bench/bench_dashboard.py`` taken minutes apart do not compare. This script serves the
same demo database (built once by this tree's ``casebook demo``, copied for each server)
with the working tree and with ``--base`` (exported with ``git archive`` into a temporary
folder) side by side, and alternates the measurements between the two: one fresh-tab
case page on each, then the next; one follow-up on each, then the next (each tree goes
first in every other pair). Measurements
stop as in ``bench_dashboard.py``. The follow-ups continue a conversation of the bench's
reader (one turn, asked through ``services.workflows`` before the servers start), so
both trees answer in the same conversation. Prints their medians side by side with the
number of interleaved pairs in which the working tree was faster, then one JSON line per
tree; never an assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_dashboard as bench

ROOT = bench.ROOT


def own_conversation(db: Path, case_id: str) -> int:
    """One turn in a conversation of the bench's reader (local:bench)."""
    sys.path.insert(0, str(ROOT))
    import cases
    from engine.backends.embedded import EmbeddedBackend
    from services import workflows

    with cases.open_store(db) as store:
        session = workflows.start_session(
            store, case_id, backend=EmbeddedBackend(), actor="local:bench"
        )
        workflows.ask(
            store,
            session,
            "Is there anything abnormal in the lungs?",
            actor="local:bench",
        )
        return session.record.conversation_id


def fresh_tab(browser, target: str, messages: int) -> float:
    page = browser.new_page(viewport=bench.VIEWPORT)
    t0 = time.perf_counter()
    page.goto(target)
    bench.wait_case_page_ready(page, messages)
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def follow_up(page, question: str) -> float:
    answers = page.evaluate(bench.ANSWERS_JS)
    box = page.get_by_test_id("composer-input")
    box.fill(question)
    revision = page.evaluate(bench.REVISION_JS)
    t0 = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(f"() => ({bench.ANSWERS_JS})() > {answers}", timeout=120_000)
    bench.settle(page)
    page.wait_for_function(
        f"() => ({bench.REVISION_JS})() !== {json.dumps(revision)} && ({bench.PAINTED_JS})() > 0",
        timeout=120_000,
    )
    return time.perf_counter() - t0


def serve_tree(tree: Path, template: Path, folder: Path) -> tuple[str, object]:
    """Serve a copy of the demo database with the dashboard of ``tree``."""
    folder.mkdir()
    db = folder / "demo.duckdb"
    shutil.copy(template / "demo.duckdb", db)
    shutil.copytree(template / "demo.store", folder / "demo.store")
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(tree)
    bench.ROOT = tree  # the server's working folder: its .streamlit/config.toml
    try:
        return bench.serve(db, folder, bench.served_app(tree))
    finally:
        bench.ROOT = ROOT
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def in_turn(names: list[str], n: int) -> list[str]:
    """The trees in the order of pair ``n``: each goes first in every other pair, so
    neither gains from always following (or leading) the other."""
    return names if n % 2 == 0 else names[::-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git ref to compare with")
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="casebook-bench-ab-") as tmp,
        sync_playwright() as pw,
    ):
        folder = Path(tmp)
        base = folder / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.base], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        (folder / "template").mkdir()
        template_db, report = bench.build_demo(folder / "template")
        films = {f["key"]: f for f in report["report"]["films"]}
        conversations = {c["key"]: c for c in report["report"]["conversations"]}
        key = "pydicom-cr" if "pydicom-cr" in films else "seed"
        case_id = films[key]["case_id"]
        seed = conversations["pydicom-cr" if key == "pydicom-cr" else "seed-zh"]
        own = own_conversation(template_db, case_id)
        trees = {"working tree": ROOT, args.base: base}
        browser = pw.chromium.launch(
            executable_path=bench.CHROMIUM, args=bench.CHROME_ARGS
        )
        servers = {
            name: serve_tree(tree, folder / "template", folder / f"db-{n}")
            for n, (name, tree) in enumerate(trees.items())
        }
        try:
            fresh: dict[str, list[float]] = {name: [] for name in trees}
            follow: dict[str, list[float]] = {name: [] for name in trees}
            targets = {
                name: f"{url}/case?id={case_id}&conversation={seed['conversation_id']}"
                for name, (url, _) in servers.items()
            }
            for name in trees:  # warm each server's caches
                fresh_tab(browser, targets[name], 2 * seed["turns"])
            for n in range(args.runs):
                for name in in_turn(list(trees), n):
                    fresh[name].append(
                        fresh_tab(browser, targets[name], 2 * seed["turns"])
                    )
            pages = {}
            for name, (url, _) in servers.items():
                page = browser.new_page(viewport=bench.VIEWPORT)
                page.goto(f"{url}/case?id={case_id}&conversation={own}")
                page.wait_for_function(
                    f"() => ({bench.PAINTED_JS})() > 0", timeout=120_000
                )
                bench.settle(page)
                follow_up(
                    page, bench.FOLLOW_UPS[0]
                )  # not timed: first question on the page
                pages[name] = page
            for n in range(1, args.runs + 1):
                for name in in_turn(list(trees), n):
                    question = bench.FOLLOW_UPS[n % len(bench.FOLLOW_UPS)]
                    follow[name].append(follow_up(pages[name], question))
        finally:
            for _, process in servers.values():
                process.terminate()
                process.wait(timeout=30)
            browser.close()
    print(f"load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(
        f"| measurement (p50, {args.runs} interleaved runs) | working tree | {args.base} "
        "| pairs where the working tree was faster |"
    )
    print("|---|---|---|---|")
    for label, samples in (
        ("Case page ready in a fresh browser tab", fresh),
        ("Follow-up question: Enter to answer + overlay drawn", follow),
    ):
        ours, theirs = (samples[name] for name in trees)
        faster = sum(a < b for a, b in zip(ours, theirs, strict=True))
        print(
            f"| {label} | {statistics.median(ours):.2f} s "
            f"| {statistics.median(theirs):.2f} s | {faster} of {len(ours)} |"
        )
    for name in trees:
        print(
            json.dumps(
                {"tree": name, "fresh_tab_s": fresh[name], "follow_up_s": follow[name]}
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
