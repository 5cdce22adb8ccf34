"""What sharing one DuckDB file between processes costs (``cases/connection.py``).

Usage:
    python bench/bench_shared_database.py [--images 20] [--runs 20]

Builds a database of ``--images`` phantom films in a temporary folder, then reports
medians over ``--runs`` runs of:

* ``open``: ``duckdb.connect`` + one count query + close, the cost a lease pays when it
  opens the file after an idle release;
* ``cli_alone``: ``open_store`` + ``list_cases`` + close, with no other process;
* ``cli_beside_reader``: the same while another process (the dashboard's part) reads the
  case list and the audit log every 50 ms through its own ``CaseStore``;

and the ratio of the last two. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb

from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes

ROOT = Path(__file__).resolve().parents[1]

READER = """
import sys, time
from cases import open_store
store = open_store(sys.argv[1])
print("ready", flush=True)
while True:
    store.list_cases()
    store.list_audit(limit=5)
    time.sleep(0.05)
"""


def _median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-shared-"))
    db = folder / "bench.duckdb"
    phantom = make_phantom(seed_scenario_spec(rows=256, columns=256, spacing_mm=1.4))
    with open_store(db) as store:
        for number in range(args.images):
            data = phantom_dicom_bytes(phantom, DicomOptions(uid_seed=str(number)))
            store.import_bytes(data, name=f"{number}.dcm", actor="bench")

    def open_query_close() -> None:
        connection = duckdb.connect(str(db))
        connection.execute("SELECT count(*) FROM cases").fetchall()
        connection.close()

    def cli_list() -> None:
        with open_store(db) as store:
            store.list_cases()

    opened = _median_ms(open_query_close, args.runs)
    alone = _median_ms(cli_list, args.runs)
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(READER), str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert reader.stdout is not None
        reader.stdout.readline()
        beside = _median_ms(cli_list, args.runs)
    finally:
        reader.kill()
        reader.wait()
    print(
        json.dumps(
            {
                "images": args.images,
                "runs": args.runs,
                "open_ms": opened,
                "cli_alone_ms": alone,
                "cli_beside_reader_ms": beside,
                "ratio_beside_over_alone": round(beside / alone, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
