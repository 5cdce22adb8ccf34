"""How the bundled detector scores one JSRT film's ground-truth nodule.

Usage::

    python bench/film_nodule_scores.py --case JPCLN087
    python bench/film_nodule_scores.py --case JPCLN087 --models DIR

Runs the engine's whole analysis on the film (as ``tests/engine/test_seed_real.py``
does for the seed scenario's film) and prints: the engine and model versions, the
report score, the calibrated score of every candidate within the nodule's radius (at
least 15 px) of the JSRT centre, whether one of them is reported, and the CNN logit of
the two blob candidates nearest the centre with the film's highest logit. ``--models``
reads ``nodule_classifier.{onnx,json}`` and ``nodule_ranker.json`` from DIR instead
of ``engine/models`` (the segmenter, ``anatomy_seg``, stays the bundled one), so that two classifiers
can be compared on one film. One film says nothing about accuracy; the
cross-validation (``bench/cv_nodules.py``) does.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import engine.evaluation  # noqa: E402
import engine.nodules  # noqa: E402
import engine.segmentation  # noqa: E402
from engine.model import Calibration, CalibrationSource, Radiograph  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "cxr"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, help="a JSRT case id, e.g. JPCLN087")
    parser.add_argument(
        "--data", type=Path, default=SHARED, help="folder of manifest.csv"
    )
    parser.add_argument("--models", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = {
        r["case_id"]: r
        for r in csv.DictReader((args.data / "manifest.csv").open(encoding="utf-8"))
    }
    if args.case not in rows or not rows[args.case].get("nodule_x"):
        print(
            f"error: {args.case} is not a nodule film of {args.data}", file=sys.stderr
        )
        return 2
    if args.models is not None:
        models: Path = args.models
        engine.nodules.MODELS_DIR = models
        bundled = engine.segmentation.model_path

        def model_path(name: str) -> Path:
            # The detector reads its version and size block through this; the
            # segmenter's files are not in DIR and stay the bundled ones.
            return models / name if (models / name).is_file() else bundled(name)

        engine.segmentation.model_path = model_path
    # The CNN's probabilities as the detector asks for them (one call per film).
    calls: list[tuple[Any, Any]] = []
    classify = engine.nodules.classify

    def recorded(source: Any, centres: Any, features: Any, **kw: Any) -> Any:
        probability = classify(source, centres, features, **kw)
        calls.append((np.asarray(centres), np.asarray(probability, np.float64)))
        return probability

    engine.nodules.classify = recorded
    from engine.analysis import default_analyzer

    row = rows[args.case]
    pixels = cv2.imread(str(args.data / row["file"]), cv2.IMREAD_GRAYSCALE)
    spacing = float(row["pixel_spacing_mm"])
    radiograph = Radiograph(
        pixels=pixels.astype(np.float32) / 255,
        calibration=Calibration(
            row_mm=spacing, col_mm=spacing, source=CalibrationSource.USER
        ),
        key=f"film-scores-{args.case}",
        view_position="PA",
    )
    analyzer = default_analyzer()
    analysis = analyzer.analyze(radiograph)
    x, y = float(row["nodule_x"]), float(row["nodule_y"])
    radius = max(float(row["nodule_diameter_px"]) / 2, 15.0)
    near = sorted(
        (c for c in analysis.candidates if math.dist(c.center, (x, y)) <= radius),
        key=lambda c: -c.score,
    )
    # As engine.evaluation counts a reported hit (the first focal findings at or above
    # the report score), with the centre-distance test only.
    reported = [
        f
        for f in analysis.focal_findings[: engine.evaluation.REPORTED_PER_FILM]
        if f.confidence >= analysis.focal_report_score
        and math.dist(f.center, (x, y)) <= radius
    ]
    centres, probability = calls[-1]
    wx, wy = engine.nodules.work_grid(*pixels.shape, spacing).to_work(x, y)
    distance = np.hypot(centres[:, 0] - wx, centres[:, 1] - wy)
    nearest = np.argsort(distance)[:2]
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    result = {
        "case": args.case,
        "engine": analyzer.version,
        "report_score": analysis.focal_report_score,
        "scores_at_nodule": [round(c.score, 3) for c in near],
        "reported": bool(reported),
        "cnn_logit_nearest": [round(float(logit[i]), 3) for i in nearest],
        "nearest_distance_work_px": [round(float(distance[i]), 1) for i in nearest],
        "cnn_logit_film_best": round(float(logit.max()), 3),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
