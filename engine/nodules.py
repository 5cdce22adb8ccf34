"""Lung-nodule candidates on a frontal chest radiograph: blob detection plus a patch CNN.

The detector works on a fixed physical grid (0.70 mm per pixel, the JSRT 512 grid the
classifier was trained on), so a 10 mm nodule is the same number of pixels on every
film. Steps:

1. Resample the image to the working grid (from its pixel spacing when that spacing
   gives a plausible chest field of view, else long side = 512 px) and normalise its
   intensities by the median and spread inside the lung fields.
2. Search region: the convex hull of the lung fields, slightly dilated, because real
   nodules hide behind the heart and below the diaphragm dome, outside the lung-field
   mask. Without a usable mask a central thoracic ellipse stands in.
3. Candidates: local maxima of the scale-normalised Laplacian-of-Gaussian (bright blobs
   of radius about 2.5 to 20 mm), suppressed so no two lie closer than a few mm.
4. Each candidate's two-channel patch goes through a small CNN (ONNX, run by
   onnxruntime in one batch per image); its probability, with the blob features, gives
   the final score.

Everything here is numpy/scipy/OpenCV/onnxruntime; training lives in
:mod:`engine.training.train_nodules` and calls the same preprocessing functions.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from engine.errors import ModelFileMissing
from engine.model import Side

__all__ = [
    "RANKER_FEATURES",
    "BlobFeatures",
    "BlobField",
    "CandidateParams",
    "CandidateTable",
    "NoduleCandidate",
    "PreparedImage",
    "RankerSpec",
    "Site",
    "WorkGrid",
    "blob_field",
    "candidate_table",
    "classifier_features",
    "classify",
    "detect_nodules",
    "extract_patches",
    "find_blob_candidates",
    "load_nodule_classifier_spec",
    "load_ranker_spec",
    "new_lung_sites",
    "prepare_image",
    "site_of",
    "table_scores",
    "view_transforms",
]

FloatImage = npt.NDArray[np.float32]
BoolMask = npt.NDArray[np.bool_]

MODELS_DIR = Path(__file__).resolve().parent / "models"
MODEL_NAME = "nodule_classifier"

# The classifier was trained on JSRT films at 0.70 mm per pixel (2048 px @ 0.175 mm,
# downsampled x4): a 358 mm field of view on a 512 px grid.
WORK_MM_PER_PX = 0.70
WORK_LONG_SIDE = 512
# A pixel spacing is trusted only when it implies a chest-sized field of view. Some
# archives keep the detector's spacing after downsizing an image (e.g. 1024 px
# "@ 0.168 mm" = 17 cm, smaller than an adult thorax), and scaling by it would make
# every nodule look twice as large as it is.
PLAUSIBLE_FIELD_MM = (250.0, 500.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CandidateParams:
    """Settings of the blob candidate generator (recorded in the model JSON)."""

    radii_mm: tuple[float, ...] = (3.0, 4.0, 5.0, 6.5, 8.0, 10.0, 12.5, 15.0)
    min_separation_mm: float = 5.0
    max_candidates: int = 100
    roi_dilation_mm: float = 5.0
    border_mm: float = 6.0
    # Leave blob maxima at OUTSIDE sites (chest wall, neck, abdomen) out before the
    # cap: they are never reported, and on JSRT every film fills the cap, so each one
    # kept there pushed a lung blob (a subtle nodule) off the end of the list.
    lung_sites_only: bool = False
    # Count the retrocardiac lung and the lung below the dome line as lung sites (see
    # :func:`thorax_sites`; needs the heart mask). On in the shipped card since the
    # ranker calibrates these sites apart (RankerSpec.new_sites); with one ranker for
    # all sites the issue-11 CV found more nodules but a lower top-1 hit rate.
    thorax_sites: bool = False

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> CandidateParams:
        """Build from the ``candidates`` block of the model JSON."""
        return cls(
            radii_mm=tuple(float(r) for r in values["radii_mm"]),
            min_separation_mm=float(values["min_separation_mm"]),
            max_candidates=int(values["max_candidates"]),
            roi_dilation_mm=float(values["roi_dilation_mm"]),
            border_mm=float(values["border_mm"]),
            lung_sites_only=bool(values.get("lung_sites_only", False)),
            thorax_sites=bool(values.get("thorax_sites", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of these settings."""
        return {
            "radii_mm": list(self.radii_mm),
            "min_separation_mm": self.min_separation_mm,
            "max_candidates": self.max_candidates,
            "roi_dilation_mm": self.roi_dilation_mm,
            "border_mm": self.border_mm,
            "lung_sites_only": self.lung_sites_only,
            "thorax_sites": self.thorax_sites,
        }


@dataclass(frozen=True, slots=True)
class WorkGrid:
    """Mapping between input-image pixels and the detector's working grid.

    ``scale`` is working pixels per input pixel; pixel centres map onto pixel centres.
    """

    scale: float
    rows: int
    cols: int
    mm_per_px: float
    spacing_trusted: bool

    def to_input(self, x: float, y: float) -> tuple[float, float]:
        """Working-grid pixel -> input-image pixel."""
        return (x + 0.5) / self.scale - 0.5, (y + 0.5) / self.scale - 0.5

    def to_work(self, x: float, y: float) -> tuple[float, float]:
        """Input-image pixel -> working-grid pixel."""
        return (x + 0.5) * self.scale - 0.5, (y + 0.5) * self.scale - 0.5


def work_grid(rows: int, cols: int, mm_per_px: float | None) -> WorkGrid:
    """The working grid of an ``rows`` x ``cols`` image with an optional pixel spacing."""
    if rows < 16 or cols < 16:
        raise ValueError(f"image must be at least 16x16 pixels, got {rows}x{cols}")
    long_side = max(rows, cols)
    trusted = (
        mm_per_px is not None
        and math.isfinite(mm_per_px)
        and mm_per_px > 0
        and PLAUSIBLE_FIELD_MM[0] <= long_side * mm_per_px <= PLAUSIBLE_FIELD_MM[1]
    )
    scale = (
        mm_per_px / WORK_MM_PER_PX
        if trusted and mm_per_px
        else WORK_LONG_SIDE / long_side
    )
    return WorkGrid(
        scale=scale,
        rows=max(1, round(rows * scale)),
        cols=max(1, round(cols * scale)),
        mm_per_px=WORK_MM_PER_PX,
        spacing_trusted=bool(trusted),
    )


# Stand-ins for the thorax-site maps when there are none (shape (1, 1): never the grid's).
_NO_MASK: BoolMask = np.zeros((1, 1), bool)
_NO_DEPTH: FloatImage = np.full((1, 1), -1.0, np.float32)


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedImage:
    """An image on the working grid with its search region and normalised intensities."""

    grid: WorkGrid
    normalised: FloatImage = field(repr=False)
    lung: BoolMask = field(repr=False)
    roi: BoolMask = field(repr=False)
    lung_signed_mm: FloatImage = field(repr=False)
    hull_signed_mm: FloatImage = field(repr=False)
    below_base_mm: FloatImage = field(repr=False)
    midline_x: float
    mask_used: bool
    # Lung the fields' hulls leave out (see :func:`thorax_sites`); all False / -1 when
    # no heart mask was given or the lung mask was not usable.
    retrocardiac: BoolMask = field(repr=False, default_factory=lambda: _NO_MASK)
    below_dome_mm: FloatImage = field(repr=False, default_factory=lambda: _NO_DEPTH)
    gastric: BoolMask = field(repr=False, default_factory=lambda: _NO_MASK)


def _resize(
    image: npt.NDArray[Any], grid: WorkGrid, *, nearest: bool = False
) -> npt.NDArray[Any]:
    if nearest:
        interpolation = cv2.INTER_NEAREST
    else:
        interpolation = cv2.INTER_AREA if grid.scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (grid.cols, grid.rows), interpolation=interpolation)


def _components(mask: BoolMask, keep: int) -> list[BoolMask]:
    labels, count = ndimage.label(mask)
    if count == 0:
        return []
    sizes = np.bincount(labels.ravel())[1:]
    order = np.argsort(sizes)[::-1][:keep]
    return [labels == (i + 1) for i in order]


def _usable_lungs(mask: BoolMask | None, grid: WorkGrid) -> BoolMask | None:
    """The mask on the working grid, or None when it cannot be a pair of lung fields."""
    if mask is None:
        return None
    small = _resize(mask.astype(np.uint8) * 255, grid) >= 128
    area = small.mean()
    # Two adult lung fields cover roughly 15-45 % of a frontal film; far outside that
    # the mask is a segmentation failure and the fallback region is safer.
    if not 0.05 <= area <= 0.7:
        return None
    parts = _components(small, keep=2)
    keep = [p for p in parts if p.sum() >= 0.1 * small.sum()]
    return np.logical_or.reduce(keep) if keep else None


def _fallback_region(grid: WorkGrid) -> BoolMask:
    """A central thoracic ellipse: where the lungs lie on a typical frontal film."""
    yy, xx = np.mgrid[0 : grid.rows, 0 : grid.cols].astype(np.float32)
    cx, cy = (grid.cols - 1) / 2, grid.rows * 0.48
    ax, ay = grid.cols * 0.40, grid.rows * 0.36
    return ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 <= 1.0


def _fallback_lungs(work: FloatImage, region: BoolMask) -> BoolMask:
    """The darker part of the thoracic ellipse, a rough stand-in for the lung fields.

    Used only to normalise intensities and place candidates relative to the lungs when
    no usable mask was given; the search region stays the whole ellipse.
    """
    level = np.percentile(work[region], 55)
    dark = (work <= level) & region
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    dark = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)
    return dark if dark.sum() >= 0.2 * region.sum() else region


def _midline(lung: BoolMask, fallback: float) -> float:
    """Column between the two lung fields' medial edges (the patient's midline).

    Only the upper half of the lungs counts: lower down the heart pushes the left
    lung's medial edge away from the midline.
    """
    parts = _components(lung, keep=2)
    if len(parts) < 2:
        return fallback
    parts.sort(key=lambda p: float(np.nonzero(p.any(axis=0))[0].mean()))
    image_left, image_right = parts
    both = np.nonzero(image_left.any(axis=1) & image_right.any(axis=1))[0]
    if both.size == 0:
        return fallback
    rows = both[: max(1, both.size // 2)]
    cols = np.arange(lung.shape[1])
    inner_left = np.where(image_left[rows], cols, -1).max(axis=1)
    inner_right = np.where(image_right[rows], cols, lung.shape[1]).min(axis=1)
    return float(np.median((inner_left + inner_right) / 2))


def prepare_image(
    image: FloatImage,
    lung_mask: BoolMask | None,
    *,
    mm_per_px: float | None,
    params: CandidateParams | None = None,
    heart_mask: BoolMask | None = None,
) -> PreparedImage:
    """Resample, normalise and find the search region of one radiograph.

    ``heart_mask`` (the cardiac silhouette on the image's grid) lets the lung behind
    the heart and below the dome count as lung sites (:func:`thorax_sites`).
    """
    params = params or CandidateParams()
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D grayscale, got shape {image.shape!r}")
    if lung_mask is not None and lung_mask.shape != image.shape:
        raise ValueError(
            f"lung_mask shape {lung_mask.shape!r} must match the image {image.shape!r}"
        )
    grid = work_grid(image.shape[0], image.shape[1], mm_per_px)
    pixels = np.nan_to_num(image.astype(np.float32, copy=False), nan=0.0)
    work = _resize(pixels, grid).astype(np.float32)
    lung = _usable_lungs(lung_mask, grid)
    mask_used = lung is not None
    mmpx = grid.mm_per_px
    if lung is None:
        region = _fallback_region(grid)
        lung = _fallback_lungs(work, region)
        roi = region.copy()
    else:
        if len(_components(lung, keep=2)) < 2:
            # One lung field only (the other opaque or missed by the segmenter): search
            # its mirror image too, so a lesion in the missed lung can still be found.
            lung = lung | lung[:, ::-1]
        hull = np.zeros(lung.shape, np.uint8)
        contours, _ = cv2.findContours(
            lung.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
        )
        cv2.fillPoly(hull, [cv2.convexHull(np.concatenate(contours))], 1)
        radius = max(1, round(params.roi_dilation_mm / mmpx))
        disc = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)
        )
        roi = cv2.dilate(hull, disc).astype(bool)
    border = max(1, round(params.border_mm / mmpx))
    roi[:border] = roi[-border:] = False
    roi[:, :border] = roi[:, -border:] = False

    values = work[lung]
    p25, median, p75 = np.percentile(values, [25, 50, 75])
    spread = max(float(p75 - p25), 1e-3)
    normalised = ((work - median) / spread).astype(np.float32)

    hulls = _lung_hulls(lung) if mask_used else roi
    retro, below_dome, gastric = _NO_MASK, _NO_DEPTH, _NO_MASK
    midline = _midline(lung, (grid.cols - 1) / 2) if mask_used else (grid.cols - 1) / 2
    if mask_used and heart_mask is not None and heart_mask.shape == image.shape:
        heart = _resize(heart_mask.astype(np.uint8) * 255, grid) >= 128
        retro, below_dome = thorax_sites(lung, heart, mmpx)
        gastric = gastric_gas(normalised, below_dome, midline, mmpx)
    return PreparedImage(
        grid=grid,
        normalised=normalised,
        lung=lung,
        roi=roi,
        lung_signed_mm=_signed_mm(lung, mmpx),
        hull_signed_mm=_signed_mm(hulls, mmpx),
        below_base_mm=_below_base_mm(lung, mmpx)
        if mask_used
        else np.full(lung.shape, -1.0, np.float32),
        midline_x=midline,
        mask_used=mask_used,
        retrocardiac=retro,
        below_dome_mm=below_dome,
        gastric=gastric,
    )


def _signed_mm(mask: BoolMask, mmpx: float) -> FloatImage:
    """Signed distance to the mask's border in mm, positive inside."""
    mask_u8 = mask.astype(np.uint8)
    inside = cv2.distanceTransform(mask_u8, cv2.DIST_L2, cv2.DIST_MASK_5)
    outside = cv2.distanceTransform(1 - mask_u8, cv2.DIST_L2, cv2.DIST_MASK_5)
    return ((inside - outside) * mmpx).astype(np.float32)


def _lung_hulls(lung: BoolMask) -> BoolMask:
    """Each lung field's convex hull: the lung behind the heart border and the hila.

    One hull per field (not one around both) so the mediastinum between them stays out.
    """
    out = np.zeros(lung.shape, np.uint8)
    for part in _components(lung, keep=2):
        points = cv2.findNonZero(part.astype(np.uint8))
        if points is not None:
            cv2.fillPoly(out, [cv2.convexHull(points)], 1)
    return out.astype(bool)


def _below_base_mm(lung: BoolMask, mmpx: float) -> FloatImage:
    """How far below the lung field's lowest row in its column a pixel lies, in mm.

    Negative above that row and -1 in columns without lung. The posterior costophrenic
    recesses reach several centimetres below the domes on a PA film, and JSRT has real
    lower-lobe nodules there; the stomach and bowel gas lie further down and medially.
    """
    rows = lung.shape[0]
    has = lung.any(axis=0)
    base = np.where(has, rows - 1 - np.argmax(lung[::-1], axis=0), -1)
    yy = np.arange(rows, dtype=np.float32)[:, None]
    out = (yy - base[None, :].astype(np.float32)) * mmpx
    out[:, ~has] = -1.0
    return out.astype(np.float32)


def thorax_sites(
    lung: BoolMask, heart: BoolMask, mm_per_px: float
) -> tuple[BoolMask, FloatImage]:
    """Retrocardiac lung, and the depth below the dome line in the lungs' columns.

    On a PA film the lower lobes project behind the heart and below the diaphragm
    domes, outside the segmented lung fields and their hulls (JSRT has S6-S10 nodules
    there). Retrocardiac: the cardiac silhouette within the thorax between the lungs'
    lower halves (rows from the lungs' mid-height down to the lowest lung row, columns
    within the lungs' lateral extent). The dome line of a column is the lowest row of
    lung or heart in it (under the heart the silhouette's base is the dome); the depth
    below it is returned in mm for columns that hold lung, -1 elsewhere. How deep still
    counts as lung is :data:`BELOW_DOME_MM`, in :func:`site_of`.
    """
    rows = lung.shape[0]
    retro = np.zeros(lung.shape, bool)
    depth = np.full(lung.shape, -1.0, np.float32)
    lung_rows = np.nonzero(lung.any(axis=1))[0]
    lung_cols = np.nonzero(lung.any(axis=0))[0]
    if lung_rows.size == 0:
        return retro, depth
    top, bottom = int(lung_rows[0]), int(lung_rows[-1])
    middle = (top + bottom) // 2
    left, right = int(lung_cols[0]), int(lung_cols[-1])
    retro[middle : bottom + 1, left : right + 1] = heart[
        middle : bottom + 1, left : right + 1
    ]
    body = lung | heart
    has = lung.any(axis=0)
    dome = np.where(body.any(axis=0), rows - 1 - np.argmax(body[::-1], axis=0), -1)
    yy = np.arange(rows, dtype=np.float32)[:, None]
    depth[:, has] = ((yy - dome[None, :].astype(np.float32)) * mm_per_px)[:, has]
    return retro, depth


# Gas below the left dome as dark as the aerated lung is the stomach's, not lung: lung
# projected behind a dome lies under the diaphragm and abdominal soft tissue and is
# clearly brighter than the lung fields. A margin keeps the bubble's rim out too.
GASTRIC_SMOOTH_MM = 3.0
GASTRIC_MARGIN_MM = 5.0


def gastric_gas(
    normalised: FloatImage,
    below_dome_mm: FloatImage,
    midline_x: float,
    mm_per_px: float,
) -> BoolMask:
    """The gastric bubble region: gas below the left dome, with a margin.

    ``normalised`` is in lung-field units (median 0, IQR 1), so gas under the left
    dome is where the smoothed image is darker than the lung fields' median.
    """
    rows, cols = normalised.shape
    smooth = cv2.GaussianBlur(normalised, (0, 0), GASTRIC_SMOOTH_MM / mm_per_px)
    patient_left = np.arange(cols)[None, :] > midline_x
    gas = (below_dome_mm > 0.0) & patient_left & (smooth < 0.0)
    if not gas.any():
        return np.zeros((rows, cols), bool)
    radius = max(1, round(GASTRIC_MARGIN_MM / mm_per_px))
    disc = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)
    )
    return cv2.dilate(gas.astype(np.uint8), disc).astype(bool)


FEATURE_NAMES = (
    "blobness",
    "laplacian",
    "radius_mm",
    "intensity",
    "contrast",
    "lung_depth_mm",
    "rel_y",
    "rel_x",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BlobFeatures:
    """What the blob detector measured at a candidate (working grid, 0.70 mm/px).

    Intensities are in units of the lung fields' interquartile range.
    """

    blobness: float  # sigma^2 x -(larger Hessian eigenvalue) at the best scale
    laplacian: float  # sigma^2 x -(Laplacian) at that scale
    radius_mm: float  # sqrt(2) x the best sigma
    intensity: float  # normalised intensity at the centre (0 = lung median)
    contrast: float  # mean inside the radius minus mean of the ring r..2r
    lung_depth_mm: float  # signed distance to the lung-field border, + inside
    rel_y: float  # 0 at the lung apex, 1 at the lowest lung row
    rel_x: float  # |x - midline| / half the thoracic width


def classifier_features(features: BlobFeatures) -> npt.NDArray[np.float32]:
    """The classifier's feature input: heavy-tailed values compressed, all bounded."""
    return np.array(
        [
            math.log1p(max(features.blobness, 0.0)),
            math.copysign(math.log1p(abs(features.laplacian)), features.laplacian),
            features.radius_mm / 10,
            float(np.clip(features.intensity, -6, 6)),
            float(np.clip(features.contrast, -6, 6)),
            float(np.clip(features.lung_depth_mm / 20, -3, 3)),
            float(np.clip(features.rel_y, -0.5, 1.5)),
            float(np.clip(features.rel_x, 0, 2)),
        ],
        dtype=np.float32,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkCandidate:
    """A blob candidate on the working grid."""

    x: int
    y: int
    features: BlobFeatures
    scale: int = 0  # index into the blob field's scales where the peak lies


def _blob_stack(
    normalised: FloatImage, sigmas_px: npt.NDArray[np.float64]
) -> tuple[FloatImage, FloatImage]:
    """Scale-normalised blobness and Laplacian at each sigma, on the full grid.

    Blobness is ``sigma^2 * max(0, -lambda_2)`` with ``lambda_2`` the larger Hessian
    eigenvalue: a bright round blob curves down in every direction, whereas a rib edge
    or a vessel (a ridge) is flat along its length and scores about zero. Large sigmas
    are computed on a Gaussian pyramid, which keeps the whole stack to a few tens of ms.
    """
    rows, cols = normalised.shape
    levels = [normalised]
    blob = np.empty((len(sigmas_px), rows, cols), np.float32)
    laplace = np.empty_like(blob)
    for i, sigma in enumerate(sigmas_px):
        level = 0
        while sigma / 2 ** (level + 1) >= 2.0:
            level += 1
        while len(levels) <= level:
            levels.append(np.asarray(cv2.pyrDown(levels[-1]), np.float32))
        # pyrDown's 5-tap kernel leaves a blur of about one source pixel per level.
        inherent = 0.0 if level == 0 else 1.0
        sigma_level = sigma / 2**level
        extra = math.sqrt(max(sigma_level**2 - inherent**2, 0.25))
        smooth = cv2.GaussianBlur(
            levels[level], (0, 0), extra, borderType=cv2.BORDER_REFLECT
        )
        dxx = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3) / 4
        dyy = cv2.Sobel(smooth, cv2.CV_32F, 0, 2, ksize=3) / 4
        dxy = cv2.Sobel(smooth, cv2.CV_32F, 1, 1, ksize=3) / 4
        half_trace = (dxx + dyy) / 2
        root = np.sqrt(((dxx - dyy) / 2) ** 2 + dxy**2)
        scale2 = sigma_level**2
        b = scale2 * np.maximum(-(half_trace + root), 0)
        lap = -scale2 * 2 * half_trace
        if level:
            b = cv2.resize(b, (cols, rows), interpolation=cv2.INTER_LINEAR)
            lap = cv2.resize(lap, (cols, rows), interpolation=cv2.INTER_LINEAR)
        blob[i], laplace[i] = b, lap
    return blob, laplace


def _box_mean(
    integral: npt.NDArray[np.float64], x: int, y: int, half: int
) -> tuple[float, int]:
    rows, cols = integral.shape[0] - 1, integral.shape[1] - 1
    y0, y1 = max(0, y - half), min(rows, y + half + 1)
    x0, x1 = max(0, x - half), min(cols, x + half + 1)
    total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return float(total), (y1 - y0) * (x1 - x0)


def _ring_contrast(
    integral: npt.NDArray[np.float64], x: int, y: int, r: float
) -> float:
    """Mean of the square inscribed in radius r minus the mean of the square ring to 2r."""
    inner_half = max(1, round(r / math.sqrt(2)))
    outer_half = max(inner_half + 1, round(2 * r / math.sqrt(2)))
    inner_sum, inner_n = _box_mean(integral, x, y, inner_half)
    outer_sum, outer_n = _box_mean(integral, x, y, outer_half)
    if outer_n <= inner_n:
        return 0.0
    return inner_sum / inner_n - (outer_sum - inner_sum) / (outer_n - inner_n)


@dataclass(frozen=True, slots=True)
class BlobField:
    """Blob responses of one prepared image at every scale, and what features need."""

    prepared: PreparedImage
    sigmas: npt.NDArray[np.float64]
    stack: FloatImage  # (scales, rows, cols) blobness
    laplace: FloatImage  # (scales, rows, cols) scale-normalised -Laplacian
    integral: npt.NDArray[np.float64]
    lung_top: float
    lung_bottom: float
    half_width: float

    def features_at(self, x: int, y: int, scale: int | None = None) -> BlobFeatures:
        """Features at a working-grid pixel; ``scale`` defaults to the best one there."""
        k = int(np.argmax(self.stack[:, y, x])) if scale is None else scale
        radius_px = float(self.sigmas[k]) * math.sqrt(2)
        p = self.prepared
        return BlobFeatures(
            blobness=float(self.stack[k, y, x]),
            laplacian=float(self.laplace[k, y, x]),
            radius_mm=radius_px * p.grid.mm_per_px,
            intensity=float(p.normalised[y, x]),
            contrast=_ring_contrast(self.integral, x, y, radius_px),
            lung_depth_mm=float(p.lung_signed_mm[y, x]),
            rel_y=(y - self.lung_top) / max(self.lung_bottom - self.lung_top, 1.0),
            rel_x=float(abs(x - p.midline_x) / self.half_width),
        )


def blob_field(
    prepared: PreparedImage, params: CandidateParams | None = None
) -> BlobField:
    """Compute the multi-scale blob responses of a prepared image."""
    params = params or CandidateParams()
    sigmas = np.array(params.radii_mm) / math.sqrt(2) / prepared.grid.mm_per_px
    stack, laplace = _blob_stack(prepared.normalised, sigmas)
    lung_rows = np.nonzero(prepared.lung.any(axis=1))[0]
    lung_cols = np.nonzero(prepared.lung.any(axis=0))[0]
    return BlobField(
        prepared=prepared,
        sigmas=sigmas,
        stack=stack,
        laplace=laplace,
        integral=np.asarray(
            cv2.integral(prepared.normalised, sdepth=cv2.CV_64F), np.float64
        ),
        lung_top=float(lung_rows[0]),
        lung_bottom=float(lung_rows[-1]),
        half_width=max((lung_cols[-1] - lung_cols[0]) / 2, 1.0),
    )


def find_blob_candidates(
    prepared: PreparedImage,
    params: CandidateParams | None = None,
    field: BlobField | None = None,
) -> list[WorkCandidate]:
    """Bright-blob candidates in the search region, strongest blobness first."""
    params = params or CandidateParams()
    field = field or blob_field(prepared, params)
    mmpx = prepared.grid.mm_per_px
    stack = field.stack
    window = max(3, 2 * round(params.min_separation_mm / mmpx) + 1)
    # Maxima in (scale, y, x): a small nodule beside a broad bright structure keeps
    # its own peak at its own scale instead of vanishing under the broad response.
    kernel = np.ones((window, window), np.uint8)
    spatial = np.stack([cv2.dilate(level, kernel) for level in stack])
    local_max = spatial.copy()
    local_max[1:] = np.maximum(local_max[1:], spatial[:-1])
    local_max[:-1] = np.maximum(local_max[:-1], spatial[1:])
    region = prepared.roi
    if params.lung_sites_only and prepared.mask_used:
        region = region & _lung_sites(prepared)
    peaks = (stack == local_max) & (stack > 0) & region[None]
    ks, ys, xs = np.nonzero(peaks)
    order = np.argsort(-stack[ks, ys, xs], kind="stable")
    ks, ys, xs = ks[order], ys[order], xs[order]

    min_dist = params.min_separation_mm / mmpx
    taken = np.zeros(prepared.normalised.shape, np.uint8)
    kept: list[WorkCandidate] = []
    for k, x, y in zip(ks.tolist(), xs.tolist(), ys.tolist(), strict=True):
        if taken[y, x]:
            continue
        cv2.circle(taken, (x, y), max(1, math.ceil(min_dist) - 1), 1, thickness=-1)
        kept.append(
            WorkCandidate(x=x, y=y, features=field.features_at(x, y, k), scale=k)
        )
        if len(kept) >= params.max_candidates:
            break
    return kept


# Ribs, rib crossings, the first costal cartilages and the hilar vessels repeat in the
# mirror-image lung; a nodule does not. Comparing a candidate with the same place across
# the midline is the idea of contralateral subtraction (Li, Katsuragawa and Doi, Med Phys
# 2001). The window allows for rotation and unequal inspiration, and the candidate's own
# surroundings are left out where the midline is near.
CONTRALATERAL_WINDOW_MM = 10.0


def contralateral_contrast(
    field: BlobField, candidates: Sequence[WorkCandidate]
) -> npt.NDArray[np.float64]:
    """How much each candidate stands out from the same place in the other lung.

    ``(b - m) / (b + m)``: ``b`` the candidate's blobness, ``m`` the strongest blobness
    at the same scale near its mirror point across the midline. 1 means nothing like it
    on the other side, 0 the same again, -1 stronger there.
    A mirror point off the film counts as nothing there.
    """
    prepared = field.prepared
    rows, cols = prepared.normalised.shape
    half = max(1, round(CONTRALATERAL_WINDOW_MM / prepared.grid.mm_per_px))
    out = np.ones(len(candidates))
    for i, c in enumerate(candidates):
        b = float(field.stack[c.scale, c.y, c.x])
        mx = round(2 * prepared.midline_x - c.x)
        x0, x1 = max(0, mx - half), min(cols, mx + half + 1)
        y0, y1 = max(0, c.y - half), min(rows, c.y + half + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        window = field.stack[c.scale, y0:y1, x0:x1]
        yy, xx = np.mgrid[y0:y1, x0:x1]
        away = np.hypot(xx - c.x, yy - c.y) > half
        m = float(window[away].max()) if away.any() else 0.0
        out[i] = (b - m) / max(b + m, 1e-9)
    return out


# ---------------------------------------------------------------------------------------
# Patches for the classifier
# ---------------------------------------------------------------------------------------

PATCH_SIZE = 32
# Channel i samples the working image every PATCH_STEPS[i] pixels: 1 px (0.70 mm, a
# 22 mm field) shows the opacity itself; 2 px (1.4 mm, 45 mm) and 4 px (2.8 mm, 90 mm)
# show its surroundings: the ribs a crossing belongs to, the vessel tree that ends in an
# en-face vessel. The model JSON records which steps a model was trained with.
PATCH_STEPS = (1.0, 2.0)
PATCH_CLIP = 6.0


def view_transforms(views: int) -> npt.NDArray[np.float32]:
    """Linear maps of the first ``views`` test-time views of a patch.

    In order: identity, left-right mirror, half turn, mirrored half turn, then the
    quarter turns with and without the mirror.
    """
    if views not in (1, 2, 4, 8):
        raise ValueError(f"views must be 1, 2, 4 or 8, got {views!r}")
    quarter = np.array([[0, -1], [1, 0]], np.float32)
    half = quarter @ quarter
    mirror = np.array([[-1, 0], [0, 1]], np.float32)
    eye = np.eye(2, dtype=np.float32)
    turns = [eye, half, quarter, half @ quarter]
    mats = [m for t in turns[:2] for m in (t, t @ mirror)]
    mats += [m for t in turns[2:] for m in (t, t @ mirror)]
    return np.stack(mats[:views])


@dataclass(frozen=True, slots=True)
class PatchSource:
    """The working image, smoothed once per patch step so coarse samples do not alias."""

    images: tuple[FloatImage, ...]
    steps: tuple[float, ...]

    @classmethod
    def from_normalised(
        cls, normalised: FloatImage, steps: tuple[float, ...] = PATCH_STEPS
    ) -> PatchSource:
        """Blur with a sigma of half the step for every step above one pixel."""
        images = tuple(
            normalised
            if step <= 1
            else np.asarray(cv2.GaussianBlur(normalised, (0, 0), step / 2), np.float32)
            for step in steps
        )
        return cls(images=images, steps=tuple(steps))


def extract_patches(
    source: PatchSource,
    centres: npt.NDArray[np.float32],
    *,
    size: int = PATCH_SIZE,
    transforms: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """Patches ``(N, len(steps), size, size)`` centred on working-grid points.

    Args:
        source: the prepared working image.
        centres: ``(N, 2)`` x, y on the working grid.
        size: patch side in pixels.
        transforms: optional ``(N, 2, 2)`` linear maps applied to the sampling offsets
            (rotation, flip, scaling; training augmentation). None is the identity.

    Each patch is centred on the mean of its second channel (the 45 mm surroundings)
    and clipped, so the network sees local structure rather than how bright the film
    is overall.
    """
    count = len(centres)
    channels = len(source.steps)
    out = np.empty((count, channels, size, size), np.float32)
    half = (size - 1) / 2
    for i in range(count):
        linear = (
            np.eye(2, dtype=np.float64)
            if transforms is None
            else transforms[i].astype(np.float64)
        )
        cx, cy = float(centres[i][0]), float(centres[i][1])
        for channel, (image, step) in enumerate(
            zip(source.images, source.steps, strict=True)
        ):
            a = linear * step
            offset = np.array([cx, cy]) - a @ np.array([half, half])
            matrix = np.hstack([a, offset[:, None]])
            out[i, channel] = cv2.warpAffine(
                image,
                matrix,
                (size, size),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_REFLECT,
            )
    reference = min(1, channels - 1)
    out -= out[:, reference].mean(axis=(1, 2))[:, None, None, None]
    np.clip(out, -PATCH_CLIP, PATCH_CLIP, out=out)
    return out


# ---------------------------------------------------------------------------------------
# Run time
# ---------------------------------------------------------------------------------------


# A candidate centre within this distance outside the lung-field border is still lung:
# segmenter borders are accurate to about 1.5 mm and a nodule at the chest wall has its
# centre inside the border by its own radius.
LUNG_EDGE_MM = 3.0
# How far below the dome line of its column (the lowest lung or heart row, in columns
# that hold lung) a candidate may lie and still be lung: the posterior costophrenic
# recesses and the lower lobes project below the domes on a PA film (JSRT has S9/S10
# nodules there); bowel gas lies further down. Derived from the 170 cxr-train films
# only (`bench/candidate_recall.py --dome-depths`): the deepest cxr-train nodule centre
# below the dome line (41.3 mm, JPCLN065, right S9), rounded up to 5 mm. Under the
# left dome the gastric bubble is left out by its gas (:func:`gastric_gas`).
BELOW_DOME_MM = 45.0
# Without a heart mask (no dome line under the heart, no gastric check) the earlier,
# shallower rule stands: up to 25 mm below the lowest lung row of the column.
BASE_RECESS_MM = 25.0


class Site(StrEnum):
    """Where a candidate centre lies relative to the lung fields (working grid)."""

    LUNG = "lung"  # in a lung field (or at its border)
    MEDIAL = "medial"  # in a field's convex hull: behind the heart border or hilum
    RETROCARDIAC = "retrocardiac"  # behind the heart, between the lungs' lower parts
    BASE = "base"  # below a dome, in the posterior costophrenic recess
    OUTSIDE = "outside"  # chest wall, neck, mediastinum, abdomen: not a lung finding
    UNCHECKED = "unchecked"  # no usable lung mask, so the site is unknown

    @property
    def is_lung(self) -> bool:
        return self is not Site.OUTSIDE


@dataclass(frozen=True, slots=True, kw_only=True)
class NoduleCandidate:
    """A ranked nodule candidate in the pixels of the input image.

    ``score`` is the classifier's probability that a nodule lies here, recalibrated on
    out-of-fold training predictions (about the fraction of candidates at this score
    that were real nodules on JSRT). ``side`` is the patient's side on a PA/AP film.
    """

    x: float
    y: float
    radius_px: float
    score: float
    side: Side
    in_lung: bool
    features: BlobFeatures
    site: Site = field(default=Site.UNCHECKED)

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be in [0, 1], got {self.score!r}")
        if not self.radius_px > 0:
            raise ValueError(f"radius_px must be positive, got {self.radius_px!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassifierSpec:
    """What ``nodule_classifier.json`` says about preprocessing and calibration."""

    version: str
    candidates: CandidateParams
    calibration_slope: float
    calibration_intercept: float
    views: int
    patch_steps: tuple[float, ...]

    @classmethod
    def from_json(cls, card: dict[str, Any]) -> ClassifierSpec:
        """Read and check the fields the run time needs."""
        pre = card["preprocessing"]
        if (
            pre["patch_size"] != PATCH_SIZE
            or tuple(pre["features"]) != FEATURE_NAMES
            or pre["grid_mm_per_px"] != WORK_MM_PER_PX
        ):
            raise ValueError(
                "nodule_classifier.json was trained with other patch/feature settings than "
                "engine/nodules.py uses; retrain with engine/training/train_nodules.py"
            )
        calibration = card.get("calibration", {"slope": 1.0, "intercept": 0.0})
        return cls(
            version=str(card["version"]),
            candidates=CandidateParams.from_dict(card["candidates"]),
            calibration_slope=float(calibration["slope"]),
            calibration_intercept=float(calibration["intercept"]),
            views=int(card.get("test_time_views", 1)),
            patch_steps=tuple(float(step) for step in pre["patch_steps_px"]),
        )


def _model_paths() -> tuple[Path, Path]:
    return MODELS_DIR / f"{MODEL_NAME}.onnx", MODELS_DIR / f"{MODEL_NAME}.json"


@functools.cache
def load_nodule_classifier_spec() -> ClassifierSpec:
    """The bundled classifier's settings (read once)."""
    _, card_path = _model_paths()
    if not card_path.is_file():
        raise ModelFileMissing(
            f"{card_path} is missing: the nodule classifier ships with the engine package; "
            "reinstall it, or retrain with `python -m engine.training.train_nodules`"
        )
    return ClassifierSpec.from_json(json.loads(card_path.read_text(encoding="utf-8")))


@functools.cache
def _session() -> Any:
    import onnxruntime as ort

    onnx_path, _ = _model_paths()
    if not onnx_path.is_file():
        raise ModelFileMissing(
            f"{onnx_path} is missing: the nodule classifier ships with the engine package; "
            "reinstall it, or retrain with `python -m engine.training.train_nodules`"
        )
    options = ort.SessionOptions()
    # One thread: deterministic, and leaves the second core to the rest of the engine.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        str(onnx_path), options, providers=["CPUExecutionProvider"]
    )


def classify(
    source: PatchSource,
    centres: npt.NDArray[np.float32],
    features: npt.NDArray[np.float32],
    *,
    views: int = 1,
) -> npt.NDArray[np.float32]:
    """Classifier probabilities for working-grid candidates, in one batch.

    With ``views`` > 1 each patch is also seen turned and mirrored, and the logits are
    averaged: a nodule has no orientation, so this only removes orientation noise.
    """
    count = len(centres)
    if count == 0:
        return np.zeros(0, np.float32)
    transforms = view_transforms(views)
    patches = extract_patches(
        source,
        np.repeat(centres, views, axis=0),
        transforms=np.tile(transforms, (count, 1, 1)),
    )
    (probability,) = _session().run(
        None,
        {
            "patches": patches,
            "features": np.repeat(features.astype(np.float32), views, axis=0),
        },
    )
    p = np.clip(
        np.asarray(probability, np.float64).reshape(count, views), 1e-6, 1 - 1e-6
    )
    logit = np.log(p / (1 - p)).mean(axis=1)
    return (1 / (1 + np.exp(-logit))).astype(np.float32)


# ---------------------------------------------------------------------------------------
# Where a candidate lies, and the second-stage ranker
# ---------------------------------------------------------------------------------------


def new_lung_sites(
    sites: Sequence[str], inputs: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Candidates at lung sites that only the thorax rule admits.

    Retrocardiac and below-dome candidates (:func:`thorax_sites`) that the earlier rule
    (lung field, its hull, up to ``BASE_RECESS_MM`` below the lowest lung row) left
    outside. Read from the ranker inputs (``below_base``), so training records and the
    run time decide it the same way.
    """
    below = inputs[:, RANKER_FEATURES.index("below_base")] * 20
    recess = (below > 0.0) & (below <= BASE_RECESS_MM)
    thorax = np.array(
        [s in (Site.RETROCARDIAC.value, Site.BASE.value) for s in sites], bool
    )
    return np.asarray(thorax & ~recess, bool)


def _lung_sites(prepared: PreparedImage) -> BoolMask:
    """Working-grid pixels whose site is not OUTSIDE (the map form of :func:`site_of`)."""
    lung = (prepared.lung_signed_mm >= -LUNG_EDGE_MM) | (
        prepared.hull_signed_mm >= -LUNG_EDGE_MM
    )
    if prepared.retrocardiac.shape == lung.shape:
        below = prepared.below_dome_mm
        base = (below > 0.0) & (below <= BELOW_DOME_MM) & ~prepared.gastric
        lung |= prepared.retrocardiac | base
    else:
        below = prepared.below_base_mm
        lung |= (below > 0.0) & (below <= BASE_RECESS_MM)
    return np.asarray(lung, bool)


def site_of(prepared: PreparedImage, x: int, y: int) -> Site:
    """The site of a working-grid pixel (see :class:`Site`)."""
    if not prepared.mask_used:
        return Site.UNCHECKED
    if prepared.lung_signed_mm[y, x] >= -LUNG_EDGE_MM:
        return Site.LUNG
    if prepared.hull_signed_mm[y, x] >= -LUNG_EDGE_MM:
        return Site.MEDIAL
    if prepared.retrocardiac.shape != prepared.lung.shape:
        # No heart mask: the dome line is the lung base alone.
        below = prepared.below_base_mm[y, x]
        return Site.BASE if 0.0 < below <= BASE_RECESS_MM else Site.OUTSIDE
    if prepared.retrocardiac[y, x]:
        return Site.RETROCARDIAC
    if (
        0.0 < prepared.below_dome_mm[y, x] <= BELOW_DOME_MM
        and not prepared.gastric[y, x]
    ):
        return Site.BASE
    return Site.OUTSIDE


RANKER_FEATURES = (
    "cnn_logit",
    "cnn_logit_vs_best",
    *(f"blob_{name}" for name in FEATURE_NAMES),
    "hull_depth",
    "below_base",
    "blob_rank",
    "contralateral",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CandidateTable:
    """All blob candidates of one film with what the ranker needs, blob order kept."""

    prepared: PreparedImage = field(repr=False)
    candidates: tuple[WorkCandidate, ...]
    cnn_logit: npt.NDArray[np.float64] = field(repr=False)
    inputs: npt.NDArray[np.float64] = field(repr=False)  # (K, len(RANKER_FEATURES))
    sites: tuple[Site, ...]


CnnScorer = Any
"""``(PatchSource, centres, features) -> probabilities``; :func:`classify` by default."""


def candidate_table(
    image: FloatImage,
    lung_mask: BoolMask | None,
    *,
    mm_per_px: float | None,
    cnn: CnnScorer | None = None,
    params: CandidateParams | None = None,
    heart_mask: BoolMask | None = None,
) -> CandidateTable:
    """Blob candidates of a film, their CNN logits, sites and ranker inputs.

    Training (``engine/training/nodule_ranker.py``) and the run time share this, so the
    ranker sees exactly the features it was fitted on. ``params`` overrides the
    model card's candidate settings (a cross-validation of other settings).
    """
    spec = load_nodule_classifier_spec()
    params = params or spec.candidates
    prepared = prepare_image(
        image,
        lung_mask,
        mm_per_px=mm_per_px,
        params=params,
        heart_mask=heart_mask if params.thorax_sites else None,
    )
    blobs = blob_field(prepared, params)
    candidates = tuple(find_blob_candidates(prepared, params, blobs))
    count = len(candidates)
    if count == 0:
        empty = np.zeros((0, len(RANKER_FEATURES)))
        return CandidateTable(
            prepared=prepared,
            candidates=(),
            cnn_logit=np.zeros(0),
            inputs=empty,
            sites=(),
        )
    centres = np.array([[c.x, c.y] for c in candidates], np.float32)
    features = np.stack([classifier_features(c.features) for c in candidates])
    source = PatchSource.from_normalised(prepared.normalised, spec.patch_steps)
    if cnn is None:
        probability = classify(source, centres, features, views=spec.views)
    else:
        probability = cnn(source, centres, features)
    p = np.clip(np.asarray(probability, np.float64), 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    xs, ys = centres[:, 0].astype(int), centres[:, 1].astype(int)
    inputs = np.column_stack(
        [
            logit,
            logit - logit.max(),
            features.astype(np.float64),
            np.clip(prepared.hull_signed_mm[ys, xs] / 20, -3, 3),
            np.clip(prepared.below_base_mm[ys, xs] / 20, -1, 3),
            np.log1p(np.arange(count)) / math.log(100),
            contralateral_contrast(blobs, candidates),
        ]
    )
    return CandidateTable(
        prepared=prepared,
        candidates=candidates,
        cnn_logit=logit,
        inputs=inputs,
        sites=tuple(
            site_of(prepared, int(x), int(y)) for x, y in zip(xs, ys, strict=True)
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RankerSpec:
    """``nodule_ranker.json``: a second-stage ranker with calibrated output.

    A logistic regression over candidate features, then an isotonic map of its logit
    to the probability that the candidate is a nodule. ``report_score`` and
    ``describe_score`` are the operating points chosen on the training data.
    ``features`` are the card's, a subset of :data:`RANKER_FEATURES`, so a card fitted
    before a feature was added keeps working.
    """

    version: str
    features: tuple[str, ...]
    mean: npt.NDArray[np.float64] = field(repr=False)
    scale: npt.NDArray[np.float64] = field(repr=False)
    weights: npt.NDArray[np.float64] = field(repr=False)
    bias: float
    iso_x: npt.NDArray[np.float64] = field(repr=False)
    iso_y: npt.NDArray[np.float64] = field(repr=False)
    report_score: float
    describe_score: float
    # Platt (slope, intercept) on the logit for candidates at :func:`new_lung_sites`,
    # fitted apart from the rest so they do not move the lung fields' ranking; None:
    # those candidates take the isotonic map like the others.
    new_sites: tuple[float, float] | None = None

    @classmethod
    def from_json(cls, card: dict[str, Any]) -> RankerSpec:
        """Read and check the fields the run time needs."""
        unknown = [name for name in card["features"] if name not in RANKER_FEATURES]
        if unknown:
            raise ValueError(
                f"nodule_ranker.json was fitted on features engine/nodules.py does not "
                f"compute ({', '.join(unknown)}); refit with "
                "engine/training/nodule_ranker.py"
            )
        model = card["model"]
        sizes = {len(model[key]) for key in ("mean", "scale", "weights")}
        if sizes != {len(card["features"])}:
            raise ValueError(
                "nodule_ranker.json names other features than its weights cover; "
                "refit with engine/training/nodule_ranker.py"
            )
        calibration = card["calibration"]
        points = card["operating_points"]
        return cls(
            version=str(card["version"]),
            features=tuple(card["features"]),
            mean=np.array(model["mean"], np.float64),
            scale=np.array(model["scale"], np.float64),
            weights=np.array(model["weights"], np.float64),
            bias=float(model["bias"]),
            iso_x=np.array(calibration["x"], np.float64),
            iso_y=np.array(calibration["y"], np.float64),
            report_score=float(points["report_score"]),
            describe_score=float(points["describe_score"]),
            new_sites=None
            if "new_sites" not in card
            else (
                float(card["new_sites"]["slope"]),
                float(card["new_sites"]["intercept"]),
            ),
        )

    def logit(self, inputs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The regression's logit per row of ``inputs`` (all :data:`RANKER_FEATURES`)."""
        chosen = inputs[:, [RANKER_FEATURES.index(name) for name in self.features]]
        return np.asarray(
            ((chosen - self.mean) / self.scale) @ self.weights + self.bias, np.float64
        )

    def probability(
        self,
        inputs: npt.NDArray[np.float64],
        new_site: npt.NDArray[np.bool_] | None = None,
    ) -> npt.NDArray[np.float64]:
        """Calibrated probability per row (isotonic, linear between its knots).

        Rows flagged in ``new_site`` take the separate Platt map when the card has one.
        """
        logit = self.logit(inputs)
        probability = np.interp(logit, self.iso_x, self.iso_y)
        if self.new_sites is not None and new_site is not None and new_site.any():
            slope, intercept = self.new_sites
            platt = 1 / (1 + np.exp(-(slope * logit + intercept)))
            probability = np.where(new_site, platt, probability)
        return np.asarray(probability, np.float64)


RANKER_NAME = "nodule_ranker"


@functools.cache
def load_ranker_spec() -> RankerSpec | None:
    """The bundled ranker, or None when the package has none (CNN scores are used)."""
    path = MODELS_DIR / f"{RANKER_NAME}.json"
    if not path.is_file():
        return None
    return RankerSpec.from_json(json.loads(path.read_text(encoding="utf-8")))


def table_scores(
    table: CandidateTable, ranker: RankerSpec | None
) -> npt.NDArray[np.float64]:
    """Each candidate's reported score: the ranker's probability, else the Platt CNN."""
    if ranker is not None:
        sites = [site.value for site in table.sites]
        return ranker.probability(table.inputs, new_lung_sites(sites, table.inputs))
    spec = load_nodule_classifier_spec()
    return np.asarray(
        1
        / (
            1
            + np.exp(
                -(spec.calibration_slope * table.cnn_logit + spec.calibration_intercept)
            )
        ),
        np.float64,
    )


def detect_nodules(
    image: FloatImage,
    lung_mask: BoolMask | None,
    *,
    mm_per_px: float | None,
    heart_mask: BoolMask | None = None,
) -> list[NoduleCandidate]:
    """Ranked nodule candidates of a frontal chest radiograph.

    Args:
        image: presentation-ready grayscale, 0..1 with 1 = white, any size.
        lung_mask: both lung fields on the image's grid, or None. An implausible mask
            (almost empty or covering most of the film) is ignored and a central
            thoracic region searched instead.
        mm_per_px: isotropic pixel spacing when known; ignored when it implies a field
            of view no chest film has.
        heart_mask: the cardiac silhouette on the image's grid, or None; with it, and
            with ``thorax_sites`` in the card's candidate settings, the lung behind the
            heart and below the domes are lung sites.

    Returns:
        Candidates in input-image pixels, highest score first (ties keep the blob
        detector's order). Candidates whose centre lies outside the lung fields, their
        hulls, the retrocardiac lung and the lung below the domes (:class:`Site`
        ``OUTSIDE``) are left out: the chest wall, the neck and the stomach are not lung
        findings.
    """
    table = candidate_table(
        image, lung_mask, mm_per_px=mm_per_px, heart_mask=heart_mask
    )
    if not table.candidates:
        return []
    scores = table_scores(table, load_ranker_spec())
    order = np.argsort(-scores, kind="stable")
    prepared = table.prepared
    grid = prepared.grid
    out = []
    for i in order.tolist():
        c, site = table.candidates[i], table.sites[i]
        if not site.is_lung:
            continue
        x, y = grid.to_input(c.x, c.y)
        out.append(
            NoduleCandidate(
                x=x,
                y=y,
                radius_px=c.features.radius_mm / grid.mm_per_px / grid.scale,
                score=float(scores[i]),
                side=Side.RIGHT if c.x < prepared.midline_x else Side.LEFT,
                in_lung=bool(prepared.lung[c.y, c.x]) and prepared.mask_used,
                site=site,
                features=c.features,
            )
        )
    return out
