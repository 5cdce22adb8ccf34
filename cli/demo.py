"""``casebook demo``: build (or complete) the demo database, with real conversations."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.main import EXIT_OK, CommandError, db_path, print_json
from cli.serve import running_server
from services.serving import serve_paths


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add the demo subcommand."""
    parser = subparsers.add_parser(
        "demo",
        parents=[common],
        help="build the demo database: sample films, conversations and a review",
        description="Import the demo films (the chest CR shipped by pydicom-data and synthetic "
        "phantoms with known spacing), run the seed article's four questions in Chinese and "
        "English and a few more conversations with the embedded engine, and add reviewer "
        "annotations. Running it again reports what exists and completes what is missing.",
    )
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from cases import open_store
    from services.demo import build

    path = db_path(args).expanduser().resolve()
    served = running_server(serve_paths(path))
    if served is not None:
        raise CommandError(
            f"the dashboard serves {path} (PID {served['pid']}); stop it with `casebook stop`, "
            "run `casebook demo`, then `casebook serve` again"
        )

    def say(step: str) -> None:
        if not args.json:
            print(f"  {step}", file=sys.stderr, flush=True)

    store = open_store(path)
    try:
        report = build(store, progress=say)
        stats = store.stats()
    finally:
        store.close()
    if args.json:
        print_json(
            {
                "db": str(path),
                "created_anything": report.created_anything,
                "report": report,
                "stats": stats,
            }
        )
        return EXIT_OK
    print(f"demo database: {path}")
    for f in report.films:
        warnings = f" ({len(f.warnings)} intake warning(s))" if f.warnings else ""
        print(f"  {f.case_id}  {f.status:<9} {f.title}{warnings}")
    for c in report.conversations:
        print(
            f"  {c.case_id}  conversation #{c.conversation_id} {c.status:<9} {c.turns} turn(s): {c.title}"
        )
    for a in report.annotations:
        print(f"  annotation R{a.annotation_id} {a.status}: {a.key}")
    for left in report.left_out:
        print(
            f"  left out: {left.title}: the engine does not read this phantom sensibly "
            f"({'; '.join(left.problems)})"
        )
    if not report.created_anything:
        print("everything was already there; nothing was written")
    print(
        f"{stats.cases} cases, {stats.conversations} conversations, {stats.turns} turns, "
        f"{stats.annotations} annotations, {stats.audit_records} audit records"
    )
    return EXIT_OK
