"""Case list query time at 10k cases / 200k turns and 100k cases / 2M turns.

Usage:
    python bench/bench_case_list.py [--scales 10000:200000,100000:2000000] [--runs 30]
        [--alternatives]

For each scale, builds a case database in a temporary folder (schema from the real
migrations; rows bulk-loaded from Arrow tables, not executemany), then times
``CaseStore.list_cases`` over ``--runs`` runs after two warm-ups: the dashboard's default
list (cases with conversations, newest first, page 3 of 50, with per-case image, warning,
conversation and turn counts) plus a few variants. Prints one JSON line per scale and a
Markdown table row per query; the target is a median under 50 ms at 100k cases.

``--alternatives`` also times, for the default list, the two designs the case list
avoids (see ``cases/case_list.py``): aggregating the turns table on every page instead
of reading ``case_summaries``, and the plain ``ORDER BY created_at DESC LIMIT`` without
the quantile cutoff.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cases import CaseQuery, CaseSort, open_store
from cases.case_list import count_sql, page_sql
from cases.model import Image
from cases.worklist import ReviewStatus, WorklistQuery

START = datetime(2025, 1, 1)
BACKENDS = np.array(["embedded", "medgemma", "openai_compat"])
QUESTIONS = np.array(
    [
        "肺部是否有异常?",
        "右肺中叶那个圆形影,边缘是否规则?",
        "这个病灶距离右肺门有多远?是否与肺门结构相连?",
        "Is there anything abnormal in the lungs?",
        "How far is that lesion from the right hilum?",
        "Does this meet the early lung cancer profile?",
    ]
)
ANSWERS = np.array(
    [
        f"Answer {i}: findings suggest a focal opacity (A{i % 7 + 1}); hedged wording."
        for i in range(500)
    ]
)

QUERIES = {
    "default: has conversations, newest, page 3": CaseQuery(
        has_conversations=True, page=3
    ),
    "all cases, most turns first": CaseQuery(sort=CaseSort.MOST_TURNS),
    "backend filter + warnings, last activity": CaseQuery(
        backend="medgemma", has_warnings=True, sort=CaseSort.LAST_ACTIVITY
    ),
    "free text over 'case id / question / answer'": CaseQuery(text="hilum"),
}

# The worklist (cases view): the same page with labels, thumbnails' image ids, file
# names, warnings and the leading finding, and its own searches.
WORKLIST = {
    "worklist: default page with labels and leading finding": WorklistQuery(
        cases=CaseQuery(has_conversations=True, page=3)
    ),
    "worklist: search title / tag / file name 'film-0042'": WorklistQuery(
        cases=CaseQuery(text="film-0042")
    ),
    "worklist: teaching cases tagged 'nodule'": WorklistQuery(
        review_status=ReviewStatus.TEACHING, tag="nodule"
    ),
}
FINDINGS = np.array(["nodule", "streaky opacity", "effusion", "consolidation"])


def _times(rng: np.random.Generator, n: int, days: int = 365) -> pa.Array:
    offsets = np.sort(rng.integers(0, days * 86400, n)).astype("timedelta64[s]")
    return pa.array(np.datetime64(START) + offsets)


def build(path: Path, cases: int, turns: int, seed: int = 0) -> dict[str, int]:
    """Create the schema with open_store, then bulk-load synthetic rows from Arrow."""
    open_store(path).close()
    rng = np.random.default_rng(seed)
    case_ids = np.array([f"C{i:06d}" for i in range(1, cases + 1)])
    created = _times(rng, cases)
    case_table = pa.table(
        {
            "case_id": case_ids,
            "study_uid": pa.nulls(cases, pa.string()),
            "created_at": created,
            "created_by": pa.array(["bench"] * cases),
        }
    )

    image_ids = np.array([f"{i:064x}" for i in range(cases)])
    warnings = (rng.random(cases) < 0.1).astype(np.int32)
    columns = {c: pa.nulls(cases) for c in Image.COLUMNS}
    columns.update(
        image_id=pa.array(image_ids), case_id=pa.array(case_ids), source_format=pa.array(["dicom"] * cases),
        store_path=pa.array([f"pixels/{i[:2]}/{i}.npy" for i in image_ids]), rows=pa.array(np.full(cases, 2048, np.int32)),
        columns=pa.array(np.full(cases, 2048, np.int32)), dtype=pa.array(["<u2"] * cases),
        row_spacing_mm=pa.array(np.full(cases, 0.175)), col_spacing_mm=pa.array(np.full(cases, 0.175)),
        calibration_source=pa.array(["PixelSpacing"] * cases), photometric_interpretation=pa.array(["MONOCHROME1"] * cases),
        bits_stored=pa.array(np.full(cases, 12, np.int32)), pixel_representation=pa.array(np.zeros(cases, np.int32)),
        modality_lut=pa.array(["identity"] * cases), rescale_slope=pa.array(np.ones(cases)),
        rescale_intercept=pa.array(np.zeros(cases)), voi=pa.array(["minmax"] * cases), invert=pa.array(np.ones(cases, bool)),
        modality=pa.array(["DX"] * cases), view_position=pa.array(["PA"] * cases), lossy_compression=pa.array(np.zeros(cases, bool)),
        deid_method=pa.array(["bench"] * cases), issues=pa.array(["[]"] * cases), warning_count=pa.array(warnings),
        imported_at=created, imported_by=pa.array(["bench"] * cases),
    )  # fmt: skip
    image_table = pa.table(columns)

    # 60 % of cases have conversations, 1-3 each; turns are spread over the conversations.
    talking = np.flatnonzero(rng.random(cases) < 0.6)
    per_case = rng.integers(1, 4, talking.size)
    conversation_case = np.repeat(talking, per_case)
    n_conv = conversation_case.size
    conversation_ids = np.arange(1, n_conv + 1)
    conversation_table = pa.table({
        "conversation_id": conversation_ids, "case_id": case_ids[conversation_case],
        "image_id": image_ids[conversation_case], "backend": BACKENDS[rng.integers(0, 3, n_conv)],
        "model_id": pa.array(["bench-model"] * n_conv), "model_version": pa.array(["1"] * n_conv),
        "parameters": pa.array(["{}"] * n_conv), "title": pa.nulls(n_conv, pa.string()),
        "created_by": pa.array(["bench"] * n_conv), "created_at": _times(rng, n_conv),
    })  # fmt: skip

    turn_conversation = np.sort(rng.integers(1, n_conv + 1, turns))
    _, first = np.unique(turn_conversation, return_index=True)
    turn_index = np.arange(turns) - np.repeat(first, np.diff(np.append(first, turns)))
    turn_table = pa.table({
        "conversation_id": turn_conversation, "turn_index": turn_index.astype(np.int32),
        "question": QUESTIONS[rng.integers(0, QUESTIONS.size, turns)], "language": pa.array(["zh"] * turns),
        "intent": pa.array(["overview"] * turns), "answer_text": ANSWERS[rng.integers(0, ANSWERS.size, turns)],
        "answer_json": pa.array(["{}"] * turns), "raw_output": pa.nulls(turns, pa.string()),
        "latency_ms": rng.gamma(2.0, 20.0, turns), "actor": pa.array(["bench"] * turns),
        "created_at": _times(rng, turns),
    })  # fmt: skip

    # One finding anchor on every other turn, 1 in 5 cases labelled, every file named.
    with_anchor = np.flatnonzero(rng.random(turns) < 0.5)
    n_anchor = with_anchor.size
    anchor_table = {
        "conversation_id": turn_conversation[with_anchor], "anchor_id": pa.array(["A1"] * n_anchor),
        "turn_index": turn_index[with_anchor].astype(np.int32), "status": pa.array(["created"] * n_anchor),
        "kind": pa.array(["finding"] * n_anchor), "label": FINDINGS[rng.integers(0, FINDINGS.size, n_anchor)],
        "geometry": pa.array(['{"type": "box"}'] * n_anchor), "parent_ids": pa.array([[]] * n_anchor, pa.list_(pa.string())),
        "confidence": rng.random(n_anchor), "detail": pa.array(["{}"] * n_anchor),
    }  # fmt: skip
    labelled = np.flatnonzero(rng.random(cases) < 0.2)
    label_table = pa.table({
        "case_id": case_ids[labelled], "title": pa.array([f"Case {i} for conference" for i in labelled]),
        "tags": pa.array([["nodule", "conference"] if i % 2 else ["normal"] for i in labelled]),
        "review_status": pa.array(["teaching" if i % 3 == 0 else "reviewed" for i in labelled]),
        "updated_by": pa.array(["bench"] * labelled.size), "updated_at": created.take(pa.array(labelled)),
    })  # fmt: skip
    source_table = pa.table({
        "image_id": image_ids, "case_id": case_ids,
        "file_name": pa.array([f"film-{i:04d}.dcm" for i in range(cases)]), "recorded_at": created,
    })  # fmt: skip

    connection = duckdb.connect(str(path))
    anchor_columns = [r[0] for r in connection.execute("DESCRIBE anchors").fetchall()]
    anchor_rows = pa.table(
        {c: anchor_table.get(c, pa.nulls(n_anchor)) for c in anchor_columns}
    )
    for table, frame in (
        ("cases", case_table), ("images", image_table), ("conversations", conversation_table), ("turns", turn_table),
        ("anchors", anchor_rows), ("case_labels", label_table), ("image_sources", source_table),
    ):  # fmt: skip
        connection.register("bulk_rows", frame)
        connection.execute(f"INSERT INTO {table} SELECT * FROM bulk_rows")
        connection.unregister("bulk_rows")
    connection.execute("CHECKPOINT")
    connection.close()
    with open_store(path) as store:
        store.rebuild_case_summaries()  # the bulk load bypassed the writes that keep them
    return {"cases": cases, "conversations": n_conv, "turns": turns}


# The default list (has conversations, newest first, page 3 of 50) with its counts
# aggregated from the base tables on every query: what case_summaries replaces.
AGGREGATED_DEFAULT_SQL = """
WITH images_per_case AS (
    SELECT case_id, count(*) AS image_count, sum(warning_count) AS warning_count
    FROM images GROUP BY case_id
), activity AS (
    SELECT cv.case_id, count(DISTINCT cv.conversation_id) AS conversation_count,
           count(t.turn_index) AS turn_count, max(t.created_at) AS last_turn_at
    FROM conversations cv LEFT JOIN turns t USING (conversation_id)
    GROUP BY cv.case_id
), matching AS (
    SELECT c.case_id, c.created_at, i.image_count, i.warning_count,
           a.conversation_count, a.turn_count, a.last_turn_at
    FROM cases c
    JOIN activity a USING (case_id)
    LEFT JOIN images_per_case i USING (case_id)
)
SELECT *, (SELECT count(*) FROM matching) AS total FROM matching
ORDER BY created_at DESC, case_id DESC LIMIT 50 OFFSET 100
"""


def _median_ms(run: Callable[[], object], runs: int) -> tuple[float, float]:
    for _ in range(2):
        run()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t0) * 1000)
    return (
        round(statistics.median(samples), 1),
        round(float(np.percentile(samples, 90)), 1),
    )


def time_alternatives(path: Path, runs: int) -> dict[str, dict[str, float]]:
    """Time the default list as the designs that case_list.py rejects would run it."""
    query = next(iter(QUERIES.values()))
    connection = duckdb.connect(str(path), read_only=True)
    try:
        total_sql, total_params = count_sql(query)
        plain_sql, plain_params = page_sql(query, total=None)  # no quantile cutoff
        cutoff_sql, cutoff_params = page_sql(
            query, total=connection.execute(total_sql, total_params).fetchone()[0]
        )
        if cutoff_sql == plain_sql:
            raise SystemExit("the cutoff did not apply; use a larger scale")
        variants = {
            "page with counts aggregated from turns on every query": lambda: (
                connection.execute(AGGREGATED_DEFAULT_SQL).fetchall()
            ),
            "page from case_summaries, plain ORDER BY created_at DESC LIMIT": lambda: (
                connection.execute(plain_sql, plain_params).fetchall()
            ),
            "page from case_summaries with the quantile cutoff (as shipped)": lambda: (
                connection.execute(cutoff_sql, cutoff_params).fetchall()
            ),
        }
        results = {}
        for label, run in variants.items():
            median, p90 = _median_ms(run, runs)
            results[label] = {"median_ms": median, "p90_ms": p90}
        return results
    finally:
        connection.close()


def time_queries(path: Path, runs: int) -> dict[str, dict[str, float]]:
    results = {}
    with open_store(path) as store:
        for label, query in QUERIES.items():
            for _ in range(2):
                store.list_cases(query)
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                page = store.list_cases(query)
                samples.append((time.perf_counter() - t0) * 1000)
            results[label] = {
                "median_ms": round(statistics.median(samples), 1),
                "p90_ms": round(float(np.percentile(samples, 90)), 1),
                "rows": len(page.items),
                "total": page.total,
            }
        for label, worklist_query in WORKLIST.items():
            median, p90 = _median_ms(
                lambda q=worklist_query: store.list_worklist(q),  # type: ignore[misc]
                runs,
            )
            found = store.list_worklist(worklist_query)
            results[label] = {
                "median_ms": median,
                "p90_ms": p90,
                "rows": len(found.items),
                "total": found.total,
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", default="10000:200000,100000:2000000", help="cases:turns,..."
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--alternatives",
        action="store_true",
        help="also time the default list as the rejected designs would run it",
    )
    args = parser.parse_args(argv)
    machine = f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, duckdb {duckdb.__version__}"
    rows = []
    for scale in args.scales.split(","):
        cases, turns = (int(v) for v in scale.split(":"))
        with tempfile.TemporaryDirectory(prefix="casebook-bench-list-") as tmp:
            path = Path(tmp) / "casebook.duckdb"
            t0 = time.perf_counter()
            counts = build(path, cases, turns)
            build_s = time.perf_counter() - t0
            size_mb = path.stat().st_size / 2**20
            queries = time_queries(path, args.runs)
            alternatives = (
                time_alternatives(path, args.runs) if args.alternatives else {}
            )
        default = next(iter(queries.values()))
        print(json.dumps({
            "benchmark": "case_list", **counts, "runs": args.runs, "build_s": round(build_s, 1),
            "db_mib": round(size_mb, 1), "median_ms": default["median_ms"], "queries": queries,
            "target_met": default["median_ms"] < 50 if cases >= 100_000 else None, "machine": machine,
            **({"alternatives": alternatives} if alternatives else {}),
        }, ensure_ascii=False))  # fmt: skip
        for label, result in queries.items():
            rows.append(
                f"| {cases:,} cases / {turns:,} turns | {label} | {result['median_ms']} ms | {result['p90_ms']} ms |"
            )
        for label, result in alternatives.items():
            rows.append(
                f"| {cases:,} cases / {turns:,} turns | default list, {label} | {result['median_ms']} ms | {result['p90_ms']} ms |"
            )
    print("| scale | query (page of 50 with turn counts) | median | p90 |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
