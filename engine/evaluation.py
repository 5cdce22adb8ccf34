"""Evaluate the vision engine against a ground-truth manifest.

The manifest format is that of the development set (one row per image: `file`, optional
`pixel_spacing_mm`, `mask_lungs`, `mask_anatomy` (label 3 = heart), `nodule_x`,
`nodule_y`, `nodule_diameter_px`/`nodule_diameter_mm`, `nodule_side`, `bbox_*`,
`extra_bboxes`). Metrics: lung and heart Dice, nodule FROC (a hit is a candidate centre
within the nodule radius, at least 15 px on a 1024 grid), top-1 hit rate, box hit rate,
laterality errors and analysis latency.
"""

from __future__ import annotations

import csv
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from engine.analysis import Analyzer, ImageAnalysis
from engine.geometry import Box
from engine.model import Calibration, Radiograph
from engine.segmentation_postprocess import ANATOMY_CHANNELS, clean_masks

FP_RATES = (0.25, 0.5, 1.0, 2.0, 4.0)
MIN_HIT_RADIUS_1024 = 15.0
# Focal findings an answer lists at most (engine.dialogue.MAX_REPORTED is 6 findings of
# any kind; the analysis describes at most 5 focal ones).
REPORTED_PER_FILM = 5
# The described population for calibration: the top candidates of each film.
CALIBRATION_TOP_K = 5
SIZE_RANGE_MM = (10.0, 30.0)

ImageLoader = Callable[[Path, float | None], Radiograph]
"""Loads an image file (PNG/JPEG/DICOM) with an optional manifest spacing in mm."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Nodule:
    x: float
    y: float
    diameter_px: float | None
    diameter_mm: float | None
    side: str | None

    def radius_px(self, calibration: Calibration) -> float:
        """The radius in pixels: from the manifest's pixels, else its mm and the film's spacing."""
        if self.diameter_px is not None:
            return self.diameter_px / 2
        if (
            self.diameter_mm is not None
            and calibration.col_mm is not None
            and calibration.row_mm is not None
        ):
            return (
                self.diameter_mm / 2 / ((calibration.col_mm + calibration.row_mm) / 2)
            )
        return 0.0  # the hit radius floor applies


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestRow:
    case_id: str
    path: Path
    spacing_mm: float | None
    lung_mask: Path | None
    anatomy_mask: Path | None
    nodule: Nodule | None
    boxes: tuple[Box, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageResult:
    case_id: str
    lung_dice: float | None
    heart_dice: float | None
    nodule_hit_rank: int | None  # 1-based rank of the first hitting candidate
    top_candidate: tuple[float, float] | None
    box_hit: bool | None
    laterality_error: bool
    latency_ms: float
    candidates: list[tuple[float, bool]] = field(
        default_factory=list, repr=False
    )  # (score, hit)
    # What a reader sees: the focal findings listed in answers (at the detector's
    # report threshold), how many hit no nodule, and the size given for the one that hit.
    reported_hit: bool = False
    reported_false: int = 0
    reported_size: tuple[float, float] | None = None  # (reported, true) long axis mm

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "lung_dice": _round(self.lung_dice),
            "heart_dice": _round(self.heart_dice),
            "nodule_hit_rank": self.nodule_hit_rank,
            "box_hit": self.box_hit,
            "laterality_error": self.laterality_error,
            "latency_ms": round(self.latency_ms, 1),
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def read_manifest(path: Path) -> list[ManifestRow]:
    """Parse a manifest CSV; paths are relative to the manifest's folder.

    Raises:
        ValueError: a required column is missing or a value is not a number.
    """
    folder = path.parent
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "file" not in reader.fieldnames:
            raise ValueError(
                f"{path}: a manifest needs a 'file' column (see the development set's manifest.csv)"
            )
        for n, row in enumerate(reader, start=2):
            try:
                rows.append(_row(row, folder))
            except ValueError as exc:
                raise ValueError(f"{path}, line {n}: {exc}") from exc
    return rows


def _num(row: dict[str, str], key: str) -> float | None:
    value = (row.get(key) or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"column {key!r} must be a number, got {value!r}") from None


def _row(row: dict[str, str], folder: Path) -> ManifestRow:
    spacing = _num(row, "pixel_spacing_mm")
    nodule = None
    x, y = _num(row, "nodule_x"), _num(row, "nodule_y")
    if x is not None and y is not None:
        nodule = Nodule(
            x=x,
            y=y,
            diameter_px=_num(row, "nodule_diameter_px"),
            diameter_mm=_num(row, "nodule_diameter_mm"),
            side=(row.get("nodule_side") or None),
        )
    boxes = []
    bx, by, bw, bh = (_num(row, k) for k in ("bbox_x", "bbox_y", "bbox_w", "bbox_h"))
    if bx is not None and by is not None and bw is not None and bh is not None:
        boxes.append(Box(bx, by, bx + bw, by + bh))
    for part in (row.get("extra_bboxes") or "").split(";"):
        if ":" in part:
            values = [float(v) for v in part.split(":", 1)[1].split(",")]
            if len(values) == 4:
                boxes.append(
                    Box(
                        values[0],
                        values[1],
                        values[0] + values[2],
                        values[1] + values[3],
                    )
                )

    def opt(key: str) -> Path | None:
        value = (row.get(key) or "").strip()
        return folder / value if value else None

    return ManifestRow(
        case_id=row.get("case_id") or Path(row["file"]).stem,
        path=folder / row["file"],
        spacing_mm=spacing,
        lung_mask=opt("mask_lungs"),
        anatomy_mask=opt("mask_anatomy"),
        nodule=nodule,
        boxes=tuple(boxes),
    )


def structure_masks(analysis: ImageAnalysis) -> dict[str, npt.NDArray[np.bool_]]:
    """The segmented structures at the input image's resolution."""
    rows, cols = analysis.shape
    side = max(rows, cols)
    top, left = (side - rows) // 2, (side - cols) // 2
    probability = analysis.probability.astype(np.float32) / 255.0
    full = np.stack(
        [
            cv2.resize(p, (side, side), interpolation=cv2.INTER_LINEAR)[
                top : top + rows, left : left + cols
            ]
            for p in probability
        ]
    )
    masks = clean_masks(full, ANATOMY_CHANNELS)
    return dict(zip(ANATOMY_CHANNELS, masks, strict=True))


def dice(a: npt.NDArray[np.bool_], b: npt.NDArray[np.bool_]) -> float:
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * float((a & b).sum()) / total


def _read_mask(path: Path, shape: tuple[int, int]) -> npt.NDArray[np.uint8]:
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise ValueError(f"cannot read mask {path}")
    if mask.ndim == 3:
        mask = mask[..., 0]
    if mask.shape != shape:
        mask = cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return np.asarray(mask)


def evaluate_image(
    row: ManifestRow, analyzer: Analyzer, load: ImageLoader
) -> ImageResult:
    radiograph = load(row.path, row.spacing_mm)
    started = time.perf_counter()
    analysis = analyzer.analyze(radiograph)
    latency = (time.perf_counter() - started) * 1000
    shape = analysis.shape
    masks = structure_masks(analysis) if (row.lung_mask or row.anatomy_mask) else {}
    lung_dice = heart_dice = None
    if row.lung_mask is not None:
        truth = _read_mask(row.lung_mask, shape) > 127
        lung_dice = dice(masks["right_lung"] | masks["left_lung"], truth)
    if row.anatomy_mask is not None:
        truth = _read_mask(row.anatomy_mask, shape) == 3
        heart_dice = dice(masks["heart"], truth)

    grid_scale = max(shape) / 1024
    radius = 0.0
    if row.nodule is not None:
        # A DICOM row may give the diameter in mm only: the film's own spacing converts it.
        radius = max(
            row.nodule.radius_px(radiograph.calibration),
            MIN_HIT_RADIUS_1024 * grid_scale,
        )
    candidates: list[tuple[float, bool]] = []
    hit_rank = None
    laterality_error = False
    for rank, c in enumerate(analysis.candidates, start=1):
        hit = False
        if row.nodule is not None:
            hit = math.dist(c.center, (row.nodule.x, row.nodule.y)) <= radius
            if hit and hit_rank is None:
                hit_rank = rank
                side = analysis.anatomy.side_of(c.center).value
                laterality_error = row.nodule.side is not None and side not in (
                    row.nodule.side,
                    "midline",
                )
        candidates.append((c.score, hit))
    # The "top candidate": the detector's best proposal; a film without any
    # proposal falls back to the first finding (a diffuse opacity).
    top = (
        analysis.candidates[0].center
        if analysis.candidates
        else (analysis.findings[0].center if analysis.findings else None)
    )
    box_hit = (
        None
        if not row.boxes
        else (top is not None and any(b.contains(top) for b in row.boxes))
    )
    reported_hit, reported_false, reported_size = _reported(analysis, row, radius)
    return ImageResult(
        case_id=row.case_id,
        lung_dice=lung_dice,
        heart_dice=heart_dice,
        nodule_hit_rank=hit_rank,
        top_candidate=top,
        box_hit=box_hit,
        laterality_error=laterality_error,
        latency_ms=latency,
        candidates=candidates,
        reported_hit=reported_hit,
        reported_false=reported_false,
        reported_size=reported_size,
    )


def _reported(
    analysis: ImageAnalysis, row: ManifestRow, radius: float
) -> tuple[bool, int, tuple[float, float] | None]:
    """Whether a reported focal finding hits the nodule, the false ones, and its size."""
    hit, false, size = False, 0, None
    for f in analysis.focal_findings[:REPORTED_PER_FILM]:
        if f.confidence < analysis.focal_report_score:
            continue
        # On the nodule: centre within the hit radius, or the nodule centre inside the
        # finding's box (a large lesion's measured centre may move off the seed).
        on = row.nodule is not None and (
            math.dist(f.center, (row.nodule.x, row.nodule.y)) <= radius
            or f.bbox.contains((row.nodule.x, row.nodule.y))
        )
        if on and not hit:
            hit = True
            if row.nodule is not None and row.nodule.diameter_mm and f.long_axis_mm:
                size = (f.long_axis_mm, row.nodule.diameter_mm)
        elif not on:
            false += 1
    return hit, false, size


def froc(results: list[ImageResult], n_nodules: int) -> dict[str, float | None]:
    """Sensitivity at each false-positive rate per image (best operating point not above it).

    Only the first hitting candidate of a nodule counts as its hit; further candidates
    on the same nodule are neither hits nor false positives. Without any nodule in the
    manifest the sensitivity is undefined (null), not zero.
    """
    n_images = len(results)
    scored: list[tuple[float, int]] = []  # (score, +1 hit / 0 fp)
    for r in results:
        counted = False
        for score, hit in r.candidates:
            if hit and not counted:
                scored.append((score, 1))
                counted = True
            elif not hit:
                scored.append((score, 0))
    scored.sort(key=lambda t: -t[0])
    out: dict[str, float | None] = {}
    if n_nodules == 0 or n_images == 0:
        return {_rate_key(rate): None for rate in FP_RATES}
    for rate in FP_RATES:
        hits = fps = 0
        best = 0.0
        i = 0
        while i < len(scored):
            # Candidates with equal scores enter together (one threshold).
            j = i
            while j < len(scored) and scored[j][0] == scored[i][0]:
                j += 1
            step_hits = sum(h for _, h in scored[i:j])
            step_fps = (j - i) - step_hits
            if (fps + step_fps) / n_images > rate:
                break
            hits += step_hits
            fps += step_fps
            best = hits / n_nodules
            i = j
        out[_rate_key(rate)] = round(best, 4)
    return out


def _rate_key(rate: float) -> str:
    return str(int(rate)) if rate == int(rate) else str(rate)


def evaluate(
    manifest: Path,
    analyzer: Analyzer,
    load: ImageLoader,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Evaluate every image of a manifest and aggregate the metrics (one JSON object).

    Latency is of `analyze` alone, with the models already loaded.
    """
    rows = read_manifest(manifest)
    if rows:
        # The models load on first use; one untimed analysis keeps that out of the
        # per-image latency, which is what a reader waits for once the server runs.
        analyzer.analyze(load(rows[0].path, rows[0].spacing_mm))
    results = []
    for i, row in enumerate(rows, start=1):
        if progress is not None:
            progress(i, len(rows), row.case_id)
        results.append(evaluate_image(row, analyzer, load))
    nodule_rows = [
        (row, r) for row, r in zip(rows, results, strict=True) if row.nodule is not None
    ]
    lung = [r.lung_dice for r in results if r.lung_dice is not None]
    heart = [r.heart_dice for r in results if r.heart_dice is not None]
    boxes = [r.box_hit for r in results if r.box_hit is not None]
    latencies = sorted(r.latency_ms for r in results)
    return {
        "n_images": len(results),
        "n_nodules": len(nodule_rows),
        "lung_dice_mean": _mean(lung),
        "lung_dice_min": None if not lung else round(min(lung), 4),
        "heart_dice_mean": _mean(heart),
        "heart_dice_min": None if not heart else round(min(heart), 4),
        "nodule": {
            "sensitivity_at_fp": froc(results, len(nodule_rows)),
            "top1_hit_rate": None
            if not nodule_rows
            else round(
                sum(r.nodule_hit_rank == 1 for _, r in nodule_rows) / len(nodule_rows),
                4,
            ),
            "candidates_per_image": round(
                sum(len(r.candidates) for r in results) / max(1, len(results)), 1
            ),
        },
        "reported": _reader_figures(rows, results),
        "calibration": _calibration_figures(results),
        "box_hit_rate": None if not boxes else round(sum(boxes) / len(boxes), 4),
        "n_box_images": len(boxes),
        "laterality_errors": sum(r.laterality_error for r in results),
        "latency_ms": {
            "p50": None if not latencies else round(statistics.median(latencies), 1),
            "p95": None
            if not latencies
            else round(
                latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1
            ),
        },
        "images": [r.to_json() for r in results],
    }


def _reader_figures(
    rows: list[ManifestRow], results: list[ImageResult]
) -> dict[str, Any]:
    """Reported-finding sensitivity, false findings per film and size error (mm)."""
    nodule = [r for row, r in zip(rows, results, strict=True) if row.nodule]
    normal = [
        r
        for row, r in zip(rows, results, strict=True)
        if not row.nodule and not row.boxes
    ]
    sizes = [
        r.reported_size
        for r in nodule
        if r.reported_size
        and SIZE_RANGE_MM[0] <= r.reported_size[1] <= SIZE_RANGE_MM[1]
    ]
    errors = [a - b for a, b in sizes if a is not None]
    return {
        "sensitivity": None
        if not nodule
        else round(sum(r.reported_hit for r in nodule) / len(nodule), 4),
        "false_per_normal_film": None
        if not normal
        else round(sum(r.reported_false for r in normal) / len(normal), 3),
        "false_per_nodule_film": None
        if not nodule
        else round(sum(r.reported_false for r in nodule) / len(nodule), 3),
        "size_n": len(errors),
        "size_mae_mm": None
        if not errors
        else round(sum(abs(e) for e in errors) / len(errors), 2),
        "size_bias_mm": None if not errors else round(sum(errors) / len(errors), 2),
    }


def _calibration_figures(results: list[ImageResult]) -> dict[str, Any]:
    """ECE and reliability table over each film's top candidates (what is described)."""
    pairs = [p for r in results for p in r.candidates[:CALIBRATION_TOP_K]]
    scores = np.array([s for s, _ in pairs], np.float64)
    labels = np.array([h for _, h in pairs], bool)
    return {
        "population": f"top {CALIBRATION_TOP_K} candidates per film",
        "ece": expected_calibration_error(scores, labels),
        "reliability": reliability_table(scores, labels),
    }


def _mean(values: list[float]) -> float | None:
    return None if not values else round(sum(values) / len(values), 4)


# ---------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------

RELIABILITY_BINS = 10


def reliability_table(
    scores: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    bins: int = RELIABILITY_BINS,
) -> list[dict[str, float | int]]:
    """Per equal-width score bin: count, mean score and observed rate of real findings."""
    scores = np.asarray(scores, np.float64)
    labels = np.asarray(labels, bool)
    index = np.minimum((scores * bins).astype(int), bins - 1)
    rows: list[dict[str, float | int]] = []
    for b in range(bins):
        inside = index == b
        n = int(inside.sum())
        if n == 0:
            continue
        rows.append(
            {
                "low": round(b / bins, 2),
                "high": round((b + 1) / bins, 2),
                "n": n,
                "mean_score": round(float(scores[inside].mean()), 4),
                "observed": round(float(labels[inside].mean()), 4),
            }
        )
    return rows


def expected_calibration_error(
    scores: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    bins: int = RELIABILITY_BINS,
) -> float | None:
    """Count-weighted mean |observed rate - mean score| over the reliability bins."""
    rows = reliability_table(scores, labels, bins)
    total = sum(int(r["n"]) for r in rows)
    if total == 0:
        return None
    gap = sum(
        int(r["n"]) * abs(float(r["observed"]) - float(r["mean_score"])) for r in rows
    )
    return round(gap / total, 4)
