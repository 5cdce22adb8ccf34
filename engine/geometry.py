"""Calibrated geometry: distances in mm, clock positions, RLE and contours of masks.

The shape type itself (``Geometry``) lives in ``kernel``; what here needs numpy or cv2
(encoding a mask, a polygon's centroid) are functions over it.

Every number the dialogue says about size or distance comes from here, never from a
language model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from kernel import Box as Box  # engine modules take the kernel's box from here
from kernel import Calibration, CalibrationSource, Geometry, Language, Point
from ontology.phrases import load_phrases


def mask_geometry(mask: npt.NDArray[np.bool_]) -> Geometry:
    """Return a boolean mask as a run-length ``mask`` geometry on its own grid."""
    return Geometry(
        "mask",
        rle=tuple(rle_encode(mask)),
        shape=(int(mask.shape[0]), int(mask.shape[1])),
    )


def geometry_center(geometry: Geometry) -> Point:
    """A polygon's centroid; the centre of any other shape's bounding box."""
    if geometry.kind == "polygon":
        return polygon_centroid(np.asarray(geometry.points))
    return geometry.bounding_box().center


def rle_encode(mask: npt.NDArray[np.bool_]) -> list[int]:
    """Row-major run lengths, starting with a (possibly empty) run of False."""
    flat = np.ascontiguousarray(mask, dtype=bool).ravel()
    if flat.size == 0:
        return [0]
    changes = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    runs = np.diff(bounds).tolist()
    return runs if not flat[0] else [0, *runs]


def rle_decode(
    counts: tuple[int, ...] | list[int], shape: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    total = shape[0] * shape[1]
    if sum(counts) != total:
        raise ValueError(
            f"RLE counts cover {sum(counts)} pixels, shape {shape} has {total}"
        )
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    return np.repeat(values, counts).reshape(shape)


def polygon_centroid(points: npt.NDArray[np.float64]) -> Point:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x, y = pts[:, 0], pts[:, 1]
    xs, ys = np.roll(x, -1), np.roll(y, -1)
    cross = x * ys - xs * y
    area = cross.sum() / 2
    if abs(area) < 1e-9:
        return (float(x.mean()), float(y.mean()))
    return (
        float(((x + xs) * cross).sum() / (6 * area)),
        float(((y + ys) * cross).sum() / (6 * area)),
    )


def mask_to_polygon(
    mask: npt.NDArray[np.bool_], *, scale: float = 1.0, epsilon_px: float = 1.0
) -> npt.NDArray[np.float64]:
    """The outer contour of the largest component, simplified, in (scaled) pixel units.

    Contour points sit on pixel centres; `scale` maps the mask grid to image pixels
    (pixel centre i maps to (i + 0.5) * scale - 0.5).
    """
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    if not contours:
        return np.zeros((0, 2))
    largest = max(contours, key=cv2.contourArea)
    simplified = (
        cv2.approxPolyDP(largest, epsilon_px, True).reshape(-1, 2).astype(np.float64)
    )
    return (simplified + 0.5) * scale - 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Distance:
    """A distance with its provenance.

    `value_mm` is None when the image has no calibration; `relative_error` is the
    expected error of an estimated calibration (e.g. 0.15 for ±15 %).
    """

    value_px: float
    value_mm: float | None
    calibration: CalibrationSource
    relative_error: float | None = None

    @property
    def is_estimate(self) -> bool:
        return self.calibration is CalibrationSource.ESTIMATED

    def describe(self, lang: Language = Language.EN) -> str:
        """Human wording that never claims more precision than the calibration allows."""
        return describe_length(self, lang)


MAX_PLAUSIBLE_MM = 1000.0
"""No length on a chest film exceeds 1 m: a larger (or non-finite) value comes from a
damaged calibration and is never printed."""


def plausible_mm(value: float | None) -> bool:
    """Whether a length in mm is finite and fits on a chest film."""
    return value is not None and math.isfinite(value) and 0 <= value <= MAX_PLAUSIBLE_MM


def measure(
    a: Point, b: Point, calibration: Calibration, estimate: Calibration | None = None
) -> Distance:
    """Distance between two image points, in mm when calibrated.

    Args:
        a: first point, in image pixels.
        b: second point, in image pixels.
        calibration: the image's own calibration.
        estimate: an anatomical estimate used only when the image has no calibration;
            the result is then labelled `estimated` with its relative error.
    """
    dx, dy = b[0] - a[0], b[1] - a[1]
    px = math.hypot(dx, dy)
    chosen = calibration if calibration.is_calibrated else estimate
    if chosen is None or chosen.row_mm is None or chosen.col_mm is None:
        return Distance(value_px=px, value_mm=None, calibration=CalibrationSource.NONE)
    mm = math.hypot(dx * chosen.col_mm, dy * chosen.row_mm)
    if not plausible_mm(mm):
        return Distance(value_px=px, value_mm=None, calibration=CalibrationSource.NONE)
    error = (
        ESTIMATE_RELATIVE_ERROR
        if chosen.source is CalibrationSource.ESTIMATED
        else None
    )
    return Distance(
        value_px=px, value_mm=mm, calibration=chosen.source, relative_error=error
    )


def length_along(
    vector_px: tuple[float, float], calibration: Calibration
) -> float | None:
    """Length in mm of a pixel vector (dx, dy), or None without calibration."""
    if calibration.row_mm is None or calibration.col_mm is None:
        return None
    mm = math.hypot(
        vector_px[0] * calibration.col_mm, vector_px[1] * calibration.row_mm
    )
    return mm if plausible_mm(mm) else None


# Typical adult internal thoracic width on a PA film is about 26-30 cm; using one value
# for everyone gives about ±15 % error, which every estimated number states.
TYPICAL_THORACIC_WIDTH_MM = 280.0
ESTIMATE_RELATIVE_ERROR = 0.15


# A stored spacing is doubted when it makes the internal thoracic width fall outside
# this range. Adults measure about 26-30 cm on a PA film (above); the range is kept wide,
# about a third beyond that either way, so that a small adult, an adolescent or a
# large-framed adult is never flagged and only a spacing off by a large factor (a
# detector spacing on a resized image, a wrong unit) is. Not fitted to any film.
THORACIC_WIDTH_PLAUSIBLE_MM = (200.0, 400.0)


def implausible_thoracic_width_mm(
    thoracic_width_px: float | None, calibration: Calibration
) -> float | None:
    """The thorax's width in mm when a stored spacing makes it implausible, else None.

    An estimated spacing is derived from the thoracic width itself and is never doubted.
    """
    if not thoracic_width_px or calibration.col_mm is None or calibration.is_estimate:
        return None
    width = thoracic_width_px * calibration.col_mm
    low, high = THORACIC_WIDTH_PLAUSIBLE_MM
    return None if low <= width <= high else width


def estimate_calibration(thoracic_width_px: float) -> Calibration | None:
    """A rough spacing from the thoracic width, for uncalibrated images only."""
    if thoracic_width_px <= 0:
        return None
    mm = TYPICAL_THORACIC_WIDTH_MM / thoracic_width_px
    return Calibration(row_mm=mm, col_mm=mm, source=CalibrationSource.ESTIMATED)


def describe_length(d: Distance, lang: Language = Language.EN) -> str:
    say = load_phrases().say
    if not plausible_mm(d.value_mm):
        return say("length_px", lang, px=d.value_px)
    cm = (d.value_mm or 0.0) / 10
    if d.is_estimate:
        pct = round((d.relative_error or ESTIMATE_RELATIVE_ERROR) * 100)
        return say("length_estimated", lang, cm=cm, pct=pct)
    if d.calibration is CalibrationSource.IMAGER_PIXEL_SPACING:
        # ImagerPixelSpacing is at the detector plane; the patient plane is smaller by the
        # geometric magnification (about 5-15 % on a PA chest film).
        return say("length_detector", lang, cm=cm)
    return say("length_cm", lang, cm=cm)


def clock_position(center: Point, point: Point) -> int:
    """Clock hour (1-12) of `point` seen from `center`: 12 is cranial, clockwise as displayed."""
    dx, dy = point[0] - center[0], point[1] - center[1]
    angle = math.degrees(math.atan2(dx, -dy)) % 360.0
    hour = round(angle / 30.0) % 12
    return 12 if hour == 0 else hour


def clock_angle(hour: float) -> float:
    """Display angle in radians (0 = up, clockwise) of a clock hour."""
    return math.radians((hour % 12) * 30.0)


def nearest_edges(a: Sequence[Point], b: Sequence[Point]) -> tuple[Point, Point] | None:
    """The nearest points of two closed outlines, or None where they touch or overlap.

    Each outline is a ring of image points (a finding's contour, a box's corners). The
    gap between two shapes is the shortest segment from an edge of one to an edge of
    the other; when one outline crosses or holds the other there is no gap.
    """
    pa = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    pb = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    if len(pa) == 0 or len(pb) == 0:
        return None
    if _inside_any(pa, pb) or _inside_any(pb, pa):
        return None
    p1, q1, d1 = _nearest_on_ring(pa, pb)
    q2, p2, d2 = _nearest_on_ring(pb, pa)
    if min(d1, d2) < 0.5:  # under half a pixel: the outlines meet
        return None
    return (p1, q1) if d1 <= d2 else (p2, q2)


def _inside_any(points: npt.NDArray[np.float64], ring: npt.NDArray[np.float64]) -> bool:
    """Whether any of `points` lies inside or on the closed `ring`."""
    if len(ring) < 3:
        return False
    contour = ring.astype(np.float32).reshape(-1, 1, 2)
    return any(
        cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0
        for x, y in points
    )


def _nearest_on_ring(
    points: npt.NDArray[np.float64], ring: npt.NDArray[np.float64]
) -> tuple[Point, Point, float]:
    """The point of `points` nearest to the edges of `ring`, its foot there, and the gap."""
    starts = ring
    ends = np.roll(ring, -1, axis=0)
    seg = ends - starts  # (S, 2)
    length2 = np.maximum((seg**2).sum(axis=1), 1e-12)
    rel = points[:, None, :] - starts[None, :, :]  # (P, S, 2)
    t = np.clip((rel * seg[None, :, :]).sum(axis=2) / length2[None, :], 0.0, 1.0)
    feet = starts[None, :, :] + t[:, :, None] * seg[None, :, :]
    d = np.hypot(*(points[:, None, :] - feet).transpose(2, 0, 1))
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    p = (float(points[i, 0]), float(points[i, 1]))
    q = (float(feet[i, j, 0]), float(feet[i, j, 1]))
    return p, q, float(d[i, j])
