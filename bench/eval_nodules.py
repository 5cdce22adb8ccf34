"""FROC of the bundled lung-nodule detector (engine/nodules.py) on a manifest.

Usage:
    python bench/eval_nodules.py                          # dev set, ground-truth lung masks
    python bench/eval_nodules.py --masks model            # masks from engine/models/anatomy_seg.onnx
    python bench/eval_nodules.py --masks none             # no mask: central thoracic region
    python bench/eval_nodules.py MANIFEST.csv --latency-size 2048 --per-image
    python bench/eval_nodules.py --masks model --record engine/models/nodule_classifier.json

Scoring follows the engine's evaluation contract: FROC over every image of the manifest
(images without a nodule contribute false positives only); a candidate hits a nodule when
its centre lies within the nodule radius, but at least 15 px on the JSRT 1024 grid
(5.25 mm); every candidate that hits no nodule is a false positive; a laterality error is
a hitting candidate reported on the patient side opposite the nodule's. ``--masks gt``
uses ``mask_lungs`` where the manifest has one and no mask elsewhere. Latency is the wall
time of ``detect_nodules`` alone (mask given), per image, after one warm-up call;
``--latency-size`` re-times it on the images resized to that long side (e.g. 2048, the
JSRT acquisition matrix). Prints one JSON object; ``--record`` also stores it, with the
command, under ``dev_evaluation.masks_<mode>`` of a model JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.nodules import detect_nodules, load_nodule_classifier_spec
from engine.training.nodule_data import (
    NoduleCase,
    ScoredImage,
    froc,
    load_nodule_cases,
    score_candidates,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MANIFEST = ROOT.parent / "shared" / "data" / "cxr" / "manifest.csv"


def model_lung_mask(image: np.ndarray) -> np.ndarray:
    """Both lung fields from the bundled anatomy U-Net, on the image's own grid."""
    from engine.segmentation import OnnxSegmenter, _load
    from engine.segmentation_postprocess import clean_masks, probabilities_to_image
    from engine.training.segmentation_data import preprocess_image

    OnnxSegmenter()  # raises ModelFileMissing with instructions when absent
    loaded = _load()
    x, geometry = preprocess_image(image, loaded.spec)
    (probabilities,) = loaded.session.run(None, {loaded.input_name: x})
    output = np.asarray(probabilities[0], np.float32)
    if loaded.meta.get("output_activation", "logits") != "sigmoid":
        output = 1.0 / (1.0 + np.exp(-output))
    masks = clean_masks(probabilities_to_image(output, geometry))
    return np.asarray(masks[0] | masks[1])


def lung_mask(case: NoduleCase, image: np.ndarray, mode: str) -> np.ndarray | None:
    if mode == "none":
        return None
    if mode == "model":
        return model_lung_mask(image)
    return case.read_lung_mask()


def time_ms(image: np.ndarray, mask: np.ndarray | None, mm: float | None) -> float:
    started = time.perf_counter()
    detect_nodules(image, mask, mm_per_px=mm)
    return (time.perf_counter() - started) * 1000


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
        "n": len(values),
    }


def evaluate(
    manifest: Path, masks: str, latency_size: int | None, per_image: bool
) -> dict[str, Any]:
    cases = load_nodule_cases(manifest)
    scored: list[ScoredImage] = []
    latency: list[float] = []
    latency_big: list[float] = []
    rows = []
    box_hits: list[bool] = []
    warmed = False
    for case in cases:
        image = case.read_image()
        mask = lung_mask(case, image, masks)
        if not warmed:
            detect_nodules(image, mask, mm_per_px=case.mm_per_px)
            warmed = True
        started = time.perf_counter()
        candidates = detect_nodules(image, mask, mm_per_px=case.mm_per_px)
        latency.append((time.perf_counter() - started) * 1000)
        points = np.array([[c.x, c.y] for c in candidates], np.float64).reshape(-1, 2)
        scores = np.array([c.score for c in candidates], np.float64)
        # Nodule-free images have no truth to scale; their spacing is irrelevant.
        spacing = case.mm_per_px or 0.35
        s = score_candidates(
            case.case_id,
            points,
            scores,
            [c.side.value for c in candidates],
            case.nodules,
            spacing,
        )
        scored.append(s)
        if case.boxes and candidates:
            top = candidates[0]
            box_hits.append(
                any(
                    x0 <= top.x <= x1 and y0 <= top.y <= y1
                    for x0, y0, x1, y1 in case.boxes
                )
            )
        if latency_size:
            factor = latency_size / max(image.shape)
            big = cv2.resize(
                image,
                (round(image.shape[1] * factor), round(image.shape[0] * factor)),
                interpolation=cv2.INTER_LINEAR,
            )
            big_mask = (
                None
                if mask is None
                else cv2.resize(
                    mask.astype(np.uint8),
                    (big.shape[1], big.shape[0]),
                    interpolation=cv2.INTER_NEAREST,
                ).astype(bool)
            )
            mm = case.mm_per_px / factor if case.mm_per_px else None
            latency_big.append(time_ms(big, big_mask, mm))
        if per_image:
            hit_rank = [int(k) + 1 for k in np.nonzero(s.hits.any(axis=1))[0][:1]]
            rows.append(
                {
                    "case_id": case.case_id,
                    "n_candidates": len(candidates),
                    "top_score": round(float(scores[0]), 4) if scores.size else None,
                    "nodule_hit_rank": hit_rank[0] if hit_rank else None,
                    "mask": "given" if mask is not None else "none",
                }
            )
    result: dict[str, Any] = {
        "manifest": str(manifest),
        "masks": masks,
        "model_version": load_nodule_classifier_spec().version,
        "nodule": froc(scored),
        "box_hit_rate": round(sum(box_hits) / len(box_hits), 4) if box_hits else None,
        "n_box_images": len(box_hits),
        "latency_ms": percentiles(latency),
    }
    if latency_size:
        result[f"latency_ms_{latency_size}"] = percentiles(latency_big)
    if per_image:
        result["images"] = rows
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--masks", choices=("gt", "model", "none"), default="gt")
    parser.add_argument("--latency-size", type=int, default=None)
    parser.add_argument("--per-image", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=1, help="OpenCV threads (1 = like the engine)"
    )
    parser.add_argument(
        "--record",
        type=Path,
        default=None,
        help="model JSON to store the result in (under dev_evaluation.masks_<mode>)",
    )
    args = parser.parse_args(argv)
    if not args.manifest.is_file():
        print(
            f"error: manifest {args.manifest} not found; pass the path of a manifest.csv "
            "in the format of ../shared/data/cxr",
            file=sys.stderr,
        )
        return 2
    cv2.setNumThreads(args.threads)
    result = evaluate(args.manifest, args.masks, args.latency_size, args.per_image)
    print(json.dumps(result, indent=2))
    if args.record:
        recorded = json.loads(args.record.read_text(encoding="utf-8"))
        command = " ".join(["python bench/eval_nodules.py", *(argv or sys.argv[1:])])
        recorded.setdefault("dev_evaluation", {})[f"masks_{args.masks}"] = {
            "command": command,
            **{k: v for k, v in result.items() if k != "images"},
        }
        args.record.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
