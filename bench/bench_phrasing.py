"""Phrasing accuracy: how often the dialogue reads a labelled utterance's intent and slots right.

Usage: python bench/bench_phrasing.py [CORPUS.jsonl ...] [--failures [--diagnose]]

`--failures` lists the misses of dev.jsonl or of a corpus file you wrote; it refuses the
held-out files, whose lines stay unseen by whoever tunes the parser. `--diagnose` lifts
that for a held-out file named on the command line: a file whose misses were read is a
diagnostic set from then on, no longer a measure (say so wherever its figure is quoted).

Prints per-group accuracy for each corpus file (default: tests/engine/phrasing/dev.jsonl,
and the held-out files heldout*.jsonl) and the number of help-menu answers to utterances that
name a place, sign, anchor or measurement. The figure to quote is the held-out file's:
the dev file is what the parser was tuned on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.dialogue.phrasing import evaluate  # noqa: E402

CORPUS = ROOT / "tests" / "engine" / "phrasing"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*", type=Path)
    parser.add_argument("--failures", action="store_true", help="list every miss")
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="allow --failures on a held-out file named explicitly (it stops being a measure)",
    )
    args = parser.parse_args()
    paths = args.corpus or [
        CORPUS / "dev.jsonl",
        *sorted(CORPUS.glob("heldout*.jsonl")),
    ]
    named = bool(args.corpus) and args.diagnose
    if args.failures and not named and any(p.name.startswith("heldout") for p in paths):
        # a held-out file's lines stay unseen by whoever tunes the parser
        parser.error(
            "--failures needs dev.jsonl or your own corpus files named; a held-out file"
            " only with --diagnose, after which it is no longer a measure"
        )
    for path in paths:
        started = time.perf_counter()
        report = evaluate(path)
        seconds = time.perf_counter() - started
        print(f"== {path.name} ({len(report.outcomes)} utterances, {seconds:.1f} s)")
        print(report.table())
        if args.failures:
            print("\n".join(report.failures()))


if __name__ == "__main__":
    main()
