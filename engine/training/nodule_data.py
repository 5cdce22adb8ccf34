"""Read nodule ground truth from a manifest in the format of ``$CXR_DATA/cxr``.

Shared by the training script and ``bench/eval_nodules.py`` so both score a candidate
against the same hit rule. numpy/OpenCV only.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "FP_RATES",
    "MIN_HIT_RADIUS_MM",
    "NoduleCase",
    "NoduleTruth",
    "ScoredImage",
    "case_folds",
    "froc",
    "hit_radius_px",
    "load_jsrt_cases",
    "load_nodule_cases",
    "score_candidates",
]

# The evaluation's hit rule: within the nodule radius, but at least 15 px on the JSRT
# 1024 grid (0.35 mm/px), i.e. 5.25 mm.
MIN_HIT_RADIUS_MM = 15 * 0.35


@dataclass(frozen=True, slots=True, kw_only=True)
class NoduleTruth:
    """One ground-truth nodule in the pixels of the image as stored."""

    x: float
    y: float
    diameter_px: float
    diameter_mm: float
    side: str
    subtlety: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoduleCase:
    """One manifest row: the image, its lung mask if any, and its nodules."""

    case_id: str
    dataset: str
    path: Path
    mask_path: Path | None
    mm_per_px: float | None
    nodules: tuple[NoduleTruth, ...]
    finding: str = ""
    boxes: tuple[tuple[float, float, float, float], ...] = field(default=())

    def read_image(self) -> npt.NDArray[np.float32]:
        """Grayscale image in 0..1 (1 = white)."""
        pixels = cv2.imread(str(self.path), cv2.IMREAD_UNCHANGED)
        if pixels is None:
            raise FileNotFoundError(f"cannot read image {self.path}")
        if pixels.ndim == 3:
            pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
        peak = 65535.0 if pixels.dtype == np.uint16 else 255.0
        return (pixels.astype(np.float32) / peak).astype(np.float32)

    def read_lung_mask(self) -> npt.NDArray[np.bool_] | None:
        """Ground-truth lung fields, or None when the manifest has none."""
        if self.mask_path is None:
            return None
        mask = cv2.imread(str(self.mask_path), cv2.IMREAD_GRAYSCALE)
        if mask is None:
            raise FileNotFoundError(f"cannot read mask {self.mask_path}")
        return mask > 127


def hit_radius_px(truth: NoduleTruth, mm_per_px: float) -> float:
    """Largest centre distance (pixels of ``mm_per_px``) that still counts as a hit."""
    return max(truth.diameter_mm / 2, MIN_HIT_RADIUS_MM) / mm_per_px


def _float(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def load_nodule_cases(manifest: Path) -> list[NoduleCase]:
    """Every row of ``manifest`` with its nodules (none for images without one)."""
    root = manifest.parent
    cases = []
    with manifest.open(newline="") as handle:
        for row in csv.DictReader(handle):
            spacing = _float(row.get("pixel_spacing_mm"))
            nodules: tuple[NoduleTruth, ...] = ()
            x, y = _float(row.get("nodule_x")), _float(row.get("nodule_y"))
            if x is not None and y is not None:
                diameter_mm = _float(row.get("nodule_diameter_mm")) or 0.0
                diameter_px = _float(row.get("nodule_diameter_px"))
                if diameter_px is None:
                    diameter_px = diameter_mm / spacing if spacing else 0.0
                subtlety = _float(row.get("nodule_subtlety"))
                nodules = (
                    NoduleTruth(
                        x=x,
                        y=y,
                        diameter_px=diameter_px,
                        diameter_mm=diameter_mm,
                        side=(row.get("nodule_side") or "").strip(),
                        subtlety=int(subtlety) if subtlety is not None else None,
                    ),
                )
            boxes = []
            bx, by = _float(row.get("bbox_x")), _float(row.get("bbox_y"))
            bw, bh = _float(row.get("bbox_w")), _float(row.get("bbox_h"))
            if None not in (bx, by, bw, bh):
                boxes.append((bx, by, bx + bw, by + bh))  # type: ignore[operator]
            mask = (row.get("mask_lungs") or "").strip()
            cases.append(
                NoduleCase(
                    case_id=row["case_id"],
                    dataset=row.get("dataset", ""),
                    path=root / row["file"],
                    mask_path=root / mask if mask else None,
                    mm_per_px=spacing,
                    nodules=nodules,
                    finding=row.get("finding", ""),
                    boxes=tuple(boxes),  # type: ignore[arg-type]
                )
            )
    return cases


def load_jsrt_cases(folders: list[Path]) -> list[NoduleCase]:
    """The JSRT rows of every folder's ``manifest.csv``, sorted by case id.

    Each JSRT image is a different patient (database README), so a fold split by case id
    is patient-disjoint. Rows of other datasets (NIH, TBX11K boxes) are left out: they
    have no nodule centres and no per-film nodule truth.
    """
    cases: dict[str, NoduleCase] = {}
    for folder in folders:
        for case in load_nodule_cases(folder / "manifest.csv"):
            if case.dataset != "JSRT":
                continue
            if case.case_id in cases:
                raise ValueError(
                    f"{case.case_id} is in more than one manifest; pass each folder once"
                )
            cases[case.case_id] = case
    return [cases[key] for key in sorted(cases)]


def case_folds(
    case_ids: list[str], has_nodule: list[bool], k: int, seed: int
) -> dict[str, int]:
    """Fold per case id, stratified by nodule / no nodule, independent of input order.

    Training (``train_nodules``) and the cross-validation bench (``bench/cv_nodules.py``)
    both call this, so a candidate's CNN score and its ranker come from models that
    never saw its film.
    """
    rng = np.random.default_rng(seed)
    by_id = dict(zip(case_ids, has_nodule, strict=True))
    fold: dict[str, int] = {}
    for flag in (True, False):
        ids = sorted(c for c, f in by_id.items() if f == flag)
        order = rng.permutation(len(ids))
        for position, i in enumerate(order.tolist()):
            fold[ids[i]] = position % k
    return fold


# ---------------------------------------------------------------------------------------
# FROC
# ---------------------------------------------------------------------------------------

FP_RATES = (0.25, 0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoredImage:
    """One image's candidates scored against its nodules.

    ``hits[k, m]`` is True when candidate ``k`` lies within the hit radius of nodule
    ``m``; a candidate that hits no nodule is a false positive.
    """

    case_id: str
    scores: npt.NDArray[np.float64]
    hits: npt.NDArray[np.bool_]
    wrong_side: npt.NDArray[np.bool_]  # per candidate: hits a nodule of the other side

    @property
    def n_nodules(self) -> int:
        return int(self.hits.shape[1])


def score_candidates(
    case_id: str,
    points: npt.NDArray[np.float64],
    scores: npt.NDArray[np.float64],
    sides: list[str],
    nodules: tuple[NoduleTruth, ...],
    mm_per_px: float,
) -> ScoredImage:
    """Match candidate centres ``(K, 2)`` (pixels of ``mm_per_px``) to the nodules."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    scale = mm_per_px
    hits = np.zeros((len(points), len(nodules)), bool)
    wrong = np.zeros(len(points), bool)
    for m, nodule in enumerate(nodules):
        # Nodule coordinates are in the pixels of the stored image; the caller passes
        # points in those pixels as well, so the radius is converted with its spacing.
        radius = hit_radius_px(nodule, scale)
        d = np.hypot(points[:, 0] - nodule.x, points[:, 1] - nodule.y)
        hits[:, m] = d <= radius
        if nodule.side:
            wrong |= hits[:, m] & np.array([s != nodule.side for s in sides], bool)
    return ScoredImage(
        case_id=case_id,
        scores=np.asarray(scores, np.float64),
        hits=hits,
        wrong_side=wrong,
    )


def froc(
    images: list[ScoredImage], fp_rates: tuple[float, ...] = FP_RATES
) -> dict[str, Any]:
    """Sensitivity at each mean number of false positives per image, over all images.

    A nodule counts as found at threshold t when any candidate hitting it scores >= t;
    every candidate that hits no nodule and scores >= t is a false positive.
    """
    n_images = len(images)
    n_nodules = sum(image.n_nodules for image in images)
    fp_scores = np.concatenate(
        [image.scores[~image.hits.any(axis=1)] for image in images] or [np.zeros(0)]
    )
    best = []
    for image in images:
        for m in range(image.n_nodules):
            hit = image.scores[image.hits[:, m]]
            best.append(hit.max() if hit.size else -np.inf)
    nodule_scores = np.array(best, np.float64)
    thresholds = np.unique(
        np.concatenate([fp_scores, nodule_scores[np.isfinite(nodule_scores)]])
    )[::-1]
    fp_sorted = np.sort(fp_scores)
    sensitivity: dict[str, float] = {}
    threshold: dict[str, float | None] = {}
    for rate in fp_rates:
        allowed = rate * n_images
        value = 0.0
        lowest: float | None = None
        for t in thresholds:
            n_fp = fp_sorted.size - np.searchsorted(fp_sorted, t, side="left")
            if n_fp > allowed:
                break
            value = float((nodule_scores >= t).sum()) / max(n_nodules, 1)
            lowest = float(t)
        sensitivity[f"{rate:g}"] = round(value, 4)
        threshold[f"{rate:g}"] = None if lowest is None else round(lowest, 6)
    top1 = [
        bool(image.hits[int(np.argmax(image.scores))].any())
        for image in images
        if image.n_nodules and image.scores.size
    ]
    nodule_images = sum(1 for image in images if image.n_nodules)
    return {
        "n_images": n_images,
        "n_nodules": n_nodules,
        "sensitivity_at_fp": sensitivity,
        # The lowest score admitted at each rate: the operating point's threshold.
        "score_threshold_at_fp": threshold,
        "candidate_recall": round(
            float(np.isfinite(nodule_scores).mean()) if n_nodules else 0.0, 4
        ),
        "top1_hit_rate": round(sum(top1) / max(nodule_images, 1), 4),
        "laterality_errors": int(sum(int(image.wrong_side.sum()) for image in images)),
        "mean_candidates_per_image": round(
            float(np.mean([image.scores.size for image in images])) if images else 0.0,
            2,
        ),
    }
