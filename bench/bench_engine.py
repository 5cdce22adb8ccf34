"""Engine latency: analysis of a 2048x2048 film, the cache, follow-up turns, a whole conversation.

Usage:
    python bench/bench_engine.py [--images 8] [--runs 5] [--json]

Inputs are the JSRT development films of ../shared/data/cxr upsampled to 2048x2048 (the
JSRT acquisition matrix); without ../shared the synthetic phantom of cases/phantom.py is
used instead, and the output says so. Prints medians and ratios from this one run.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from engine.analysis import AnalysisCache, default_analyzer
from engine.dialogue import Conversation
from engine.model import Calibration, CalibrationSource, Radiograph

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "cxr"
SEED = [
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
]


def films(n: int) -> tuple[list[Radiograph], str]:
    if (SHARED / "manifest.csv").is_file():
        rows = [
            r
            for r in csv.DictReader((SHARED / "manifest.csv").open())
            if r["dataset"] == "JSRT"
        ][:n]
        out = []
        for r in rows:
            image = (
                cv2.imread(str(SHARED / r["file"]), cv2.IMREAD_GRAYSCALE).astype(
                    np.float32
                )
                / 255
            )
            big = cv2.resize(image, (2048, 2048), interpolation=cv2.INTER_CUBIC)
            cal = Calibration(row_mm=0.175, col_mm=0.175, source=CalibrationSource.USER)
            out.append(
                Radiograph(
                    pixels=np.clip(big, 0, 1),
                    calibration=cal,
                    key=f"bench-{r['case_id']}",
                    view_position="PA",
                )
            )
        return out, "JSRT development films upsampled to 2048x2048"
    from cases.phantom import render_phantom  # only when ../shared is absent

    out = []
    for i in range(n):
        phantom = render_phantom(size=2048, spacing_mm=0.175, seed=i)
        out.append(
            Radiograph(
                pixels=phantom.pixels,
                calibration=Calibration(
                    row_mm=0.175, col_mm=0.175, source=CalibrationSource.USER
                ),
                key=f"bench-phantom-{i}",
                view_position="PA",
            )
        )
    return out, "synthetic phantoms (../shared absent)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="conversations per image for the turn timings",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    radiographs, source = films(args.images)
    analyzer = default_analyzer()
    analyzer.analyze(radiographs[0])  # load the models once; not part of the figures

    first, cached, followups, whole = [], [], [], []
    for rg in radiographs:
        cache = AnalysisCache(lambda: analyzer)
        t0 = time.perf_counter()
        analysis = cache.get(rg)
        first.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        cache.get(rg)
        cached.append((time.perf_counter() - t0) * 1000)
        for _ in range(args.runs):
            conversation = Conversation(analysis)
            conversation.ask(SEED[0])
            for q in SEED[1:]:
                t0 = time.perf_counter()
                conversation.ask(q)
                followups.append((time.perf_counter() - t0) * 1000)
        # A whole conversation including the first analysis of a new image.
        fresh = AnalysisCache(lambda: analyzer)
        t0 = time.perf_counter()
        conversation = Conversation(fresh.get(rg))
        for q in SEED:
            conversation.ask(q)
        whole.append((time.perf_counter() - t0) * 1000)

    result = {
        "inputs": source,
        "n_images": len(radiographs),
        "analyze_ms_p50": round(statistics.median(first), 1),
        "analyze_ms_max": round(max(first), 1),
        "cached_analyze_ms_p50": round(statistics.median(cached), 3),
        "followup_turn_ms_p50": round(statistics.median(followups), 1),
        "four_turn_conversation_with_analysis_ms_p50": round(
            statistics.median(whole), 1
        ),
        "cached_vs_first_ratio": round(
            statistics.median(cached) / statistics.median(first), 5
        ),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print("| measure | value |\n|---|---|")
        for k, v in result.items():
            print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
