"""Dialogue latency: follow-up turns on a cached analysis, per intent, and the first turn.

Usage:
    python bench/bench_dialogue.py [--images 4] [--runs 5]

Each JSRT development film of ../shared/data/cxr (the phantom of cases/phantom.py when
../shared is absent; the output says which) is analysed once; then a scripted
conversation of follow-ups (ellipsis, the other side, superlatives, ordinals, a
comparison, a size, the CTR, a scorecard) runs `--runs` times on the cached analysis.
Prints the median (p50) and p90 per intent and over all follow-ups, from this one run.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.analysis import ImageAnalysis, default_analyzer  # noqa: E402
from engine.dialogue import Conversation  # noqa: E402
from engine.model import Calibration, CalibrationSource, Radiograph  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "cxr"
SCRIPT = [
    "肺部是否有异常?",
    "最可疑的是哪个?",
    "第二个呢",
    "Is there a nodule in the left lung?",
    "What about the other lung?",
    "How big is the largest nodule in mm?",
    "Is it calcified?",
    "A1跟A2比哪个大",
    "What is the CTR?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "If this were early lung cancer, how many signs does it meet?",
]


def radiographs(n: int) -> tuple[list[Radiograph], str]:
    if not (SHARED / "manifest.csv").is_file():
        from cases.phantom import render_phantom  # only when ../shared is absent

        phantoms = [
            render_phantom(size=1024, spacing_mm=0.35, seed=i) for i in range(n)
        ]
        return [
            Radiograph(
                pixels=p.pixels,
                calibration=Calibration(
                    row_mm=0.35, col_mm=0.35, source=CalibrationSource.USER
                ),
                key=f"bench-dialogue-phantom-{i}",
                view_position="PA",
            )
            for i, p in enumerate(phantoms)
        ], "synthetic phantoms (../shared absent)"
    rows = [
        r
        for r in csv.DictReader((SHARED / "manifest.csv").open(encoding="utf-8"))
        if r["dataset"] == "JSRT"
    ][:n]
    out = []
    for r in rows:
        image = cv2.imread(str(SHARED / r["file"]), cv2.IMREAD_GRAYSCALE)
        spacing = float(r["pixel_spacing_mm"])
        out.append(
            Radiograph(
                pixels=image.astype(np.float32) / 255,
                calibration=Calibration(
                    row_mm=spacing, col_mm=spacing, source=CalibrationSource.USER
                ),
                key=f"bench-dialogue-{r['case_id']}",
                view_position="PA",
            )
        )
    return out, f"{len(out)} JSRT films of ../shared/data/cxr"


def converse(analysis: ImageAnalysis, times: dict[str, list[float]]) -> None:
    conversation = Conversation(analysis)
    for n, question in enumerate(SCRIPT):
        started = time.perf_counter()
        turn = conversation.ask(question)
        elapsed = (time.perf_counter() - started) * 1000
        if n:  # the first turn is not a follow-up
            times[turn.intent.value].append(elapsed)
            times["all follow-ups"].append(elapsed)
        else:
            times["first turn (analysis cached)"].append(elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    films, source = radiographs(args.images)
    analyzer = default_analyzer()
    analyses = []
    analysis_ms = []
    for radiograph in films:
        started = time.perf_counter()
        analyses.append(analyzer.analyze(radiograph))
        analysis_ms.append((time.perf_counter() - started) * 1000)
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.runs):
        for analysis in analyses:
            converse(analysis, times)
    print(f"inputs: {source}; {args.runs} runs of {len(SCRIPT)} turns each")
    print(f"analysis (once per film): p50 {statistics.median(analysis_ms):.0f} ms")
    print(f"{'turn':<30}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}")
    for name, values in sorted(times.items(), key=lambda kv: kv[0]):
        values = sorted(values)
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        print(f"{name:<30}{len(values):>5}{statistics.median(values):>9.1f}{p90:>9.1f}")


if __name__ == "__main__":
    main()
