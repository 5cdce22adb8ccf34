"""Evaluate the shipped anatomy segmentation model (ONNX, onnxruntime) on a manifest.

    python bench/eval_segmentation.py                       # dev set, prints JSON
    python bench/eval_segmentation.py --record engine/models/anatomy_seg.json

For every manifest row with ``mask_lungs`` and ``mask_anatomy`` it runs the exact
engine path (preprocess_image -> onnxruntime -> probabilities_to_image -> clean_masks)
and scores on the manifest's own pixel grid:

- lungs: right | left lung masks vs ``mask_lungs`` (full lung fields);
- heart: vs label 3 of ``mask_anatomy``;
- right_lung / left_lung: vs labels 1 / 2 of ``mask_anatomy`` (the dev-set map includes
  the strip under the clavicles; the heart is painted over them);
- right_clavicle / left_clavicle: vs the landmark contours rasterised with cv2.fillPoly
  (1/16 px precision), when the landmarks file exists.

Scores are given after post-processing (the engine's output) and raw (bilinear
upsampling + threshold 0.5 only). Latency is the median over repeated runs of one
image: the ONNX model alone with 1 and 2 intra-op threads, and the whole engine path
with 1 thread. Timings are sensitive to other load on the machine: quote them with the
machine and its load (the load average is recorded with them).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from engine.segmentation_postprocess import (
    clean_masks,
    letterbox_geometry,
    probabilities_to_image,
)
from engine.training.segmentation_data import PreprocessSpec, dice, preprocess_image

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_MANIFEST = ROOT.parent / "shared" / "data" / "cxr" / "manifest.csv"
DEFAULT_MODEL = ROOT / "engine" / "models" / "anatomy_seg.onnx"
METRICS = (
    "lungs",
    "heart",
    "right_lung",
    "left_lung",
    "right_clavicle",
    "left_clavicle",
)


def open_session(model: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )


def read_gray(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise SystemExit(f"cannot read {path}; is ../shared/data complete?")
    return image


def segment(
    session: ort.InferenceSession, image: np.ndarray, spec: PreprocessSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Run the engine path; return (probabilities on the image grid, clean masks)."""
    x, geometry = preprocess_image(image, spec)
    (probabilities,) = session.run(None, {"image": x})
    full = probabilities_to_image(probabilities[0], geometry)
    return full, clean_masks(full)


def clavicle_truth(landmarks: Path, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    if not landmarks.is_file():
        return {}
    contours = json.loads(landmarks.read_text(encoding="utf-8"))["contours"]
    truth = {}
    for name in ("right_clavicle", "left_clavicle"):
        mask = np.zeros(shape, dtype=np.uint8)
        points = np.round(np.asarray(contours[name]) * 16).astype(np.int32)
        cv2.fillPoly(mask, [points], 1, lineType=cv2.LINE_8, shift=4)
        truth[name] = mask.astype(bool)
    return truth


def score(masks: np.ndarray, truth: dict[str, np.ndarray]) -> dict[str, float]:
    predicted = {
        "lungs": masks[0] | masks[1],
        "heart": masks[2],
        "right_lung": masks[0],
        "left_lung": masks[1],
        "right_clavicle": masks[3],
        "left_clavicle": masks[4],
    }
    return {k: round(dice(predicted[k], truth[k]), 4) for k in METRICS if k in truth}


def summarise(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {"mean": {}, "median": {}, "min": {}}
    for k in METRICS:
        values = [r[k] for r in rows if k in r]
        if values:
            out["mean"][k] = round(float(np.mean(values)), 4)
            out["median"][k] = round(float(np.median(values)), 4)
            out["min"][k] = round(float(np.min(values)), 4)
    return out


def latency_ms(run: Any, repeats: int) -> dict[str, float]:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    # The median is the figure to quote; the minimum shows the uncontended cost when
    # other jobs share the CPU.
    return {
        "median": round(statistics.median(times), 2),
        "min": round(min(times), 2),
    }


def measure_latency(
    model: Path, spec: PreprocessSpec, image: np.ndarray, repeats: int
) -> dict[str, Any]:
    load_before = round(os.getloadavg()[0], 2)
    x, _ = preprocess_image(image, spec)
    result: dict[str, Any] = {"repeats": repeats, "image_shape": list(image.shape)}
    for threads in (1, 2):
        session = open_session(model, threads)
        result[f"onnx_model_only_{threads}_thread"] = latency_ms(
            lambda s=session: s.run(None, {"image": x}), repeats
        )
    session = open_session(model, 1)
    result["engine_path_1_thread"] = latency_ms(
        lambda: segment(session, image, spec), max(5, repeats // 3)
    )
    result["load_average_1min_before"] = load_before
    result["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    result["note"] = (
        "ms; engine path = preprocess_image + onnxruntime + "
        "probabilities_to_image + clean_masks on the full image"
    )
    return result


def resolution_ceiling(manifest: Path, sizes: list[int]) -> dict[str, Any]:
    """Dice of the ground truth itself after a round trip through an N x N grid.

    Area-downsample each mask to N x N, upsample bilinearly, threshold at 0.5: the best
    Dice any network working at that input size could reach on this manifest.
    """
    folder = manifest.parent
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle) if r["mask_lungs"] and r["mask_anatomy"]
        ]
    scores: dict[int, dict[str, list[float]]] = {
        n: {"lungs": [], "heart": []} for n in sizes
    }
    for row in rows:
        truth = {
            "lungs": read_gray(folder / row["mask_lungs"]) > 127,
            "heart": read_gray(folder / row["mask_anatomy"]) == 3,
        }
        geometry = letterbox_geometry(*truth["lungs"].shape)
        for n in sizes:
            for name, mask in truth.items():
                square = np.zeros((geometry.side, geometry.side), np.float32)
                g = geometry
                square[
                    g.pad_top : g.pad_top + g.height, g.pad_left : g.pad_left + g.width
                ] = mask
                small = cv2.resize(square, (n, n), interpolation=cv2.INTER_AREA)
                back = probabilities_to_image(small[None], geometry)[0] >= 0.5
                scores[n][name].append(dice(back, mask))
    return {
        str(n): {
            name: {
                "mean": round(float(np.mean(v)), 4),
                "min": round(float(np.min(v)), 4),
            }
            for name, v in by_name.items()
        }
        for n, by_name in scores.items()
    }


def evaluate(manifest: Path, model: Path, spec: PreprocessSpec) -> dict[str, Any]:
    folder = manifest.parent
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle) if r["mask_lungs"] and r["mask_anatomy"]
        ]
    if not rows:
        raise SystemExit(f"{manifest} has no rows with mask_lungs and mask_anatomy")
    session = open_session(model, 2)
    per_image, raw_rows = [], []
    for row in rows:
        image = read_gray(folder / row["file"])
        anatomy = read_gray(folder / row["mask_anatomy"])
        truth = {
            "lungs": read_gray(folder / row["mask_lungs"]) > 127,
            "heart": anatomy == 3,
            "right_lung": anatomy == 1,
            "left_lung": anatomy == 2,
        }
        if row.get("landmarks"):
            truth |= clavicle_truth(folder / row["landmarks"], image.shape)
        probabilities, masks = segment(session, image, spec)
        per_image.append({"case_id": row["case_id"], **score(masks, truth)})
        raw_rows.append(score(probabilities >= 0.5, truth))
    return {
        "per_image": per_image,
        **summarise(per_image),
        "raw_no_postprocess": summarise(raw_rows),
        "first_image": folder / rows[0]["file"],
    }


def _shown(path: Path) -> str:
    """Show a path relative to the repository (``../shared/...`` for shared data)."""
    resolved = path.resolve()
    for base, prefix in ((ROOT, ""), (ROOT.parent, "../")):
        if resolved.is_relative_to(base):
            return prefix + resolved.relative_to(base).as_posix()
    return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--repeats", type=int, default=50, help="latency repeats (0 skips timing)"
    )
    parser.add_argument(
        "--record",
        type=Path,
        help="write the summary into this model JSON under 'dev_evaluation'",
    )
    parser.add_argument(
        "--ceiling-sizes",
        default="",
        help="comma-separated input sizes (e.g. 192,256,320): also report the Dice "
        "the ground truth keeps after a round trip through that grid",
    )
    args = parser.parse_args(argv)
    if not args.manifest.is_file():
        raise SystemExit(f"{args.manifest} is missing; pass --manifest")
    card = json.loads(args.model.with_suffix(".json").read_text(encoding="utf-8"))
    spec = PreprocessSpec.from_json(card["preprocessing"])

    result = evaluate(args.manifest, args.model, spec)
    first_image = result.pop("first_image")
    command = "python bench/eval_segmentation.py " + " ".join(argv or sys.argv[1:])
    report = {
        "command": command.strip(),
        "model": _shown(args.model),
        "model_sha256": hashlib.sha256(args.model.read_bytes()).hexdigest(),
        "manifest": _shown(args.manifest),
        "images": len(result["per_image"]),
        "grid": "each manifest image's own pixels (1024 x 1024 for the JSRT dev set)",
        **result,
    }
    if args.ceiling_sizes:
        sizes = [int(v) for v in args.ceiling_sizes.split(",")]
        report["resolution_ceiling"] = resolution_ceiling(args.manifest, sizes)
    if args.repeats > 0:
        report["latency"] = measure_latency(
            args.model, spec, read_gray(first_image), args.repeats
        ) | {
            "cpu": platform.processor() or platform.machine(),
            "onnxruntime": ort.__version__,
        }
    print(json.dumps(report, indent=2))
    if args.record:
        recorded = json.loads(args.record.read_text(encoding="utf-8"))
        recorded["dev_evaluation"] = report
        args.record.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
