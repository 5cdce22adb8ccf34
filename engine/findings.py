"""Findings: focal opacities with their margins, and larger or diffuse opacities.

A detector proposes where to look; this module measures what is there: the lesion's
contour, axes, lobulation notches (clock positions), spicules, edge sharpness, internal
density, calcification and cavity-like lucency, pleural contact and location.
All sizes are in image pixels and, when the image is calibrated, in mm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from engine.anatomy import AnatomyMap, Location, Region, resize_to_grid
from engine.geometry import (
    ESTIMATE_RELATIVE_ERROR,
    Box,
    Point,
    clock_position,
    length_along,
)
from engine.model import Calibration, Side

FloatImage = npt.NDArray[np.float32]


class FindingKind(StrEnum):
    """What kind of opacity a finding is (Fleischner glossary terms)."""

    NODULE = "nodule"  # rounded opacity up to 30 mm
    MASS = "mass"  # rounded opacity over 30 mm
    CONSOLIDATION = "consolidation"  # homogeneous, larger, non-rounded opacity
    LINEAR = "linear"  # streaky / band-like opacity
    RETICULAR = "reticular"  # net-like increased markings

    @property
    def is_focal(self) -> bool:
        return self in (FindingKind.NODULE, FindingKind.MASS)


# Fleischner glossary: a nodule is a rounded opacity up to 3 cm; larger is a mass.
MASS_THRESHOLD_MM = 30.0

# Margin calls in millimetres, so the same film at another resolution (or as PNG and as
# DICOM) gets the same calls. Each has a floor of a few pixels of the grid the lesion is
# measured on (the film's, but no finer than MEASURE_MM_PER_PX): below that a dent or a
# strand is the pixel staircase or film grain, not anatomy.
# A notch is measured on the radial profile smoothed over 25 degrees, which about halves
# a narrow notch: 1.3 mm measured is an indentation of about 2.5 mm, what a reader calls
# lobulation on a 1-3 cm nodule. The contour dents of 0.7-1.2 mm that plain JSRT
# nodules show are segmentation noise.
NOTCH_MIN_DEPTH_MM = 1.3
NOTCH_MIN_DEPTH_PX = 1.5
# Lobulated: at least this many notches.
LOBULATION_MIN_NOTCHES = 2
# A spicule is a strand reaching at least 4 mm beyond the margin; shorter strands are
# vessel crossings and edge irregularity on a projection film.
SPICULE_MIN_LENGTH_MM = 4.0
SPICULE_MIN_LENGTH_PX = 3.0
# Spiculated: at least this many spicules (one strand is often a crossing vessel).
SPICULATION_MIN_COUNT = 2
# Without a spacing, margins are judged as if the film spanned an adult chest (358 mm,
# the JSRT field of view) along its long side.
ASSUMED_FIELD_MM = 358.0
# Focal measurements (contour, size, margin) run at no finer than this many mm per
# pixel: a finer film is area-averaged to it first, so the same film at two resolutions
# gives the same contour and the same margin calls. It is the grid of the JSRT films
# the size correction was cross-validated on (2048 px x 4).
MEASURE_MM_PER_PX = 0.70


def notch_min_depth_mm(mm_per_px: float) -> float:
    """The shallowest notch called lobulation on a film of this pixel spacing."""
    grid = max(mm_per_px, MEASURE_MM_PER_PX)
    return max(NOTCH_MIN_DEPTH_MM, NOTCH_MIN_DEPTH_PX * grid)


def spicule_min_length_mm(mm_per_px: float) -> float:
    """The shortest strand called a spicule on a film of this pixel spacing."""
    grid = max(mm_per_px, MEASURE_MM_PER_PX)
    return max(SPICULE_MIN_LENGTH_MM, SPICULE_MIN_LENGTH_PX * grid)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notch:
    """A notch (concavity) of a lobulated contour."""

    clock: int
    depth_px: float
    depth_mm: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Spicule:
    """A thin linear strand radiating from the lesion edge."""

    clock: int
    length_px: float
    length_mm: float | None
    tip: Point


@dataclass(frozen=True, slots=True, kw_only=True)
class Margin:
    """Margin description of a focal opacity."""

    notches: tuple[Notch, ...]
    spicules: tuple[Spicule, ...]
    sharpness: float  # 0 (blurred edge) .. 1 (sharp edge)
    edge_width_mm: float | None

    @property
    def ill_defined(self) -> bool:
        return self.sharpness < 0.4

    @property
    def lobulated(self) -> bool:
        return len(self.notches) >= LOBULATION_MIN_NOTCHES

    @property
    def spiculated(self) -> bool:
        return len(self.spicules) >= SPICULATION_MIN_COUNT


@dataclass(frozen=True, slots=True, kw_only=True)
class SizeEstimate:
    """Axes measured with an anatomical spacing estimate, on a film without its own.

    Attributes:
        relative_error: expected relative error of the estimate (0.15 means ±15 %).
    """

    long_axis_mm: float
    short_axis_mm: float
    relative_error: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One finding of the analysis; ids `F1, F2, ...` rank it by confidence."""

    id: str
    kind: FindingKind
    confidence: float
    center: Point
    contour: tuple[Point, ...] = field(repr=False)
    bbox: Box
    long_axis_px: float
    short_axis_px: float
    long_axis_mm: float | None
    short_axis_mm: float | None
    location: Location
    margin: Margin | None = None
    homogeneity: float | None = None
    calcification_likelihood: float | None = None
    central_lucency: float | None = None
    pleural_contact: bool | None = None
    lung_fraction: float | None = None  # share of the lung area (diffuse opacities)
    detector_score: float = 0.0
    size_estimate: SizeEstimate | None = None
    """Set instead of the mm axes when the film has no spacing and one was estimated."""
    diameter_interval_mm: tuple[float, float] | None = None
    """Where the true long-axis diameter likely lies (80 % of cross-validated JSRT
    nodules), when the film is calibrated and the size was corrected."""

    @property
    def is_focal(self) -> bool:
        return self.kind.is_focal

    @property
    def kind_from_estimate(self) -> bool:
        """Whether nodule or mass was decided from an estimated size, not a measured one."""
        return self.is_focal and self.size_estimate is not None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A detector's proposal: where a focal opacity may be, in image pixels."""

    center: Point
    radius_px: float
    score: float


# ---------------------------------------------------------------------------------------
# Focal opacities
# ---------------------------------------------------------------------------------------

_CROP = 128  # working crop size in pixels
_CROP_RADII = 3.0  # the crop spans this many lesion radii from the centre
_ANGLES = 72  # radial profile resolution (5 degrees)


@dataclass(frozen=True, slots=True)
class _Crop:
    image: FloatImage
    scale: float  # crop px per image px
    origin: Point  # image point at crop (0, 0)

    def to_image(self, p: Point) -> Point:
        return (self.origin[0] + p[0] / self.scale, self.origin[1] + p[1] / self.scale)


def _crop(
    image: FloatImage, center: Point, radius_px: float, film_mm: float | None = None
) -> _Crop:
    half = max(8.0, _CROP_RADII * radius_px)
    scale = _CROP / (2 * half)
    origin = (center[0] - half, center[1] - half)
    source, shift, fine = image, (0.0, 0.0), 1.0
    if film_mm is not None and film_mm < MEASURE_MM_PER_PX:
        source, shift, fine = _coarse_window(
            image, origin, 2 * half, film_mm / MEASURE_MM_PER_PX
        )
    # source px = (image px - shift) * fine; crop px = (image px - origin) * scale.
    k = scale / fine
    matrix = np.array(
        [
            [k, 0, (shift[0] * fine) * k - origin[0] * scale],
            [0, k, (shift[1] * fine) * k - origin[1] * scale],
        ],
        dtype=np.float64,
    )
    # An affine warp samples outside the image with the border value, so lesions near
    # the edge still get a full crop.
    warped = cv2.warpAffine(
        source,
        matrix,
        (_CROP, _CROP),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return _Crop(warped.astype(np.float32), scale, origin)


def _coarse_window(
    image: FloatImage, origin: Point, span: float, factor: float
) -> tuple[FloatImage, Point, float]:
    """The image around a crop, area-averaged by ``factor`` (< 1).

    Returns the window, the image pixel of its (0, 0) and the factor actually used.
    """
    rows, cols = image.shape
    pad = 4
    x0 = math.floor(origin[0]) - pad
    y0 = math.floor(origin[1]) - pad
    size = math.ceil(span) + 2 * pad
    a, b = max(0, x0), max(0, y0)
    c, d = min(cols, x0 + size), min(rows, y0 + size)
    if a >= c or b >= d:
        return image, (0.0, 0.0), 1.0
    window = np.pad(
        image[b:d, a:c],
        ((b - y0, y0 + size - d), (a - x0, x0 + size - c)),
        mode="edge",
    )
    out = max(8, round(size * factor))
    small = cv2.resize(window, (out, out), interpolation=cv2.INTER_AREA)
    fine = out / size
    # Pixel centres: small = (window + 0.5) * fine - 0.5, so shift absorbs the half pixel.
    offset = 0.5 / fine - 0.5
    return small.astype(np.float32), (x0 + offset, y0 + offset), fine


def segment_focal(
    image: FloatImage,
    candidate: Candidate,
    outline: LungOutline | None = None,
    film_mm: float | None = None,
) -> tuple[npt.NDArray[np.bool_], _Crop]:
    """Delineate a focal opacity in a crop around the candidate.

    The crop is background-flattened (the lesion sits on ribs and vessels). The lesion is
    the region above half the peak contrast (a full-width-at-half-maximum contour),
    connected to the peak near the centre; a radial penalty keeps it from following a
    rib or vessel away from the lesion. A lesion seeded inside a lung outline stays in
    it, so its contour cannot run into the mediastinum, chest wall or abdomen. When the
    result is implausible the expected disc is used instead.
    """
    crop = _crop(image, candidate.center, candidate.radius_px, film_mm)
    r = candidate.radius_px * crop.scale
    smooth = cv2.GaussianBlur(crop.image, (0, 0), max(0.8, r / 6))
    background = cv2.GaussianBlur(crop.image, (0, 0), max(2.0, 1.5 * r))
    flat = smooth - background
    yy, xx = np.mgrid[0:_CROP, 0:_CROP]
    c = (_CROP - 1) / 2
    dist = np.hypot(xx - c, yy - c)
    core = dist <= 0.5 * r
    annulus = (dist >= 1.5 * r) & (dist <= 2.2 * r)
    peak = float(flat[core].max())
    level = float(np.median(flat[annulus]))
    contrast = peak - level
    expected = dist <= r
    if contrast <= 1e-4:
        return expected, crop
    penalty = contrast * 1.2 * np.clip(dist / r - 1.0, 0.0, None) ** 2
    lesion = ((flat - penalty) > level + 0.5 * contrast) & (dist <= 2.0 * r)
    if outline is not None:
        within = outline.on_crop(crop)
        if within[round(c), round(c)]:
            lesion &= within
    labels, n = ndimage.label(lesion)
    if n:
        py, px = np.unravel_index(
            int(np.argmax(np.where(core, flat, -np.inf))), flat.shape
        )
        keep = labels[py, px]
        lesion = (
            ndimage.binary_fill_holes(labels == keep) if keep else np.zeros_like(lesion)
        )
        lesion = ndimage.binary_opening(lesion, structure=_disc(max(1, int(r / 6))))
    area_ratio = lesion.sum() / max(1, expected.sum())
    if not (0.2 <= area_ratio <= 3.0):
        lesion = expected
    return lesion.astype(bool), crop


def _disc(radius: int) -> npt.NDArray[np.bool_]:
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return np.asarray(xx**2 + yy**2 <= radius**2)


# Scale space of the lesion search: disc radii of 2-33 mm, eight scales per octave. The
# top end lets a mass of up to about 65 mm be found at its own scale.
_BLOB_RADII_MM = 2.0 * 2.0 ** (np.arange(33) / 8)
_SEED_REACH = 1.0  # the seed lies within this many sigmas of the blob's centre
_PEAK_HOOD = 1.5  # a blob's centre is the strongest response within this many sigmas


# The centre and 64 points on four rings of equal area: a fixed sample of the unit disc.
_DISC_SAMPLE = np.concatenate(
    [
        np.zeros((1, 2)),
        np.stack(
            [
                np.outer(
                    np.sqrt((np.arange(4) + 0.5) / 4),
                    np.cos(np.arange(16) * math.pi / 8),
                ).ravel(),
                np.outer(
                    np.sqrt((np.arange(4) + 0.5) / 4),
                    np.sin(np.arange(16) * math.pi / 8),
                ).ravel(),
            ],
            axis=1,
        ),
    ]
)

BlobTest = Callable[[Point, float], bool]
"""Whether a blob (centre, radius in image px) may be a lesion of this film."""


@dataclass(frozen=True, slots=True)
class Blob:
    """A bright blob of the scale-normalised Laplacian of Gaussian, in image pixels."""

    center: Point
    radius_px: float
    response: float  # normalised response, in image intensity units


def find_lesion_blob(
    image: FloatImage,
    seed: Point,
    mm_per_px: float | None,
    admit: BlobTest | None = None,
) -> Blob | None:
    """Find the scale-space blob that contains a seed point (Lindeberg scale selection).

    At each scale the response is -sigma^2 times the Laplacian of Gaussian, which is
    scale-invariant: a uniform disc of radius r peaks at sigma = r / sqrt(2). From the
    seed the response is climbed to its local maximum. That maximum is a blob holding
    the seed when it lies within one sigma of the seed and is the strongest response
    within 1.5 sigma of itself; the lesion is the holding blob with the strongest
    response over all scales that `admit` accepts. A detector often proposes a small
    bright spot inside or at the edge of a large lesion; climbing lets the large lesion
    claim that seed, and the spatial-maximum test keeps image noise inside a uniform
    lesion from passing for a small blob.

    Args:
        image: presentation pixels, 0..1 with 1 the most attenuating.
        seed: a point on the lesion, image pixels.
        mm_per_px: pixel spacing; None assumes an adult chest film's field of view.
        admit: the blobs that may be a lesion (e.g. `LungOutline.admits`); None admits all.

    Returns:
        The blob, or None when no scale has one holding the seed.
    """
    mm = mm_per_px or 0.35 * 1024 / max(image.shape)  # an adult chest film's usual span
    sigmas = _BLOB_RADII_MM / mm / math.sqrt(2)
    # The kernel needs 4 sigma beyond the farthest point the climb and its hood reach.
    reach = 4.0 + _SEED_REACH + _PEAK_HOOD
    first = int(math.log2(max(1.0, sigmas[0] / 2.5)))
    levels = max(first, int(math.log2(max(1.0, sigmas[-1] / 2.5))))
    # One crop around the seed (edges replicated) and a pyramid of it: each scale is
    # filtered at the coarsest level that still samples sigma with 2.5 pixels.
    block = 2**levels
    size = -(-int(2 * reach * sigmas[-1] + 4) // block) * block
    x0, y0 = round(seed[0]) - size // 2, round(seed[1]) - size // 2
    shift = np.array([[1, 0, -x0], [0, 1, -y0]], dtype=np.float64)
    crop = cv2.warpAffine(
        image,
        shift,
        (size, size),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_REPLICATE,
    )
    if first:
        crop = cv2.resize(
            crop, (size >> first, size >> first), interpolation=cv2.INTER_AREA
        )
    pyramid: dict[int, npt.NDArray[np.float64]] = {first: crop.astype(np.float64)}
    for level in range(first + 1, levels + 1):
        below = pyramid[level - 1]
        pyramid[level] = np.asarray(
            cv2.resize(
                below,
                (below.shape[1] // 2, below.shape[0] // 2),
                interpolation=cv2.INTER_AREA,
            ),
            dtype=np.float64,
        )
    best: Blob | None = None
    for radius_mm, sigma in zip(_BLOB_RADII_MM, sigmas, strict=True):
        level = min(levels, max(first, int(math.log2(max(1.0, sigma / 2.5)))))
        factor = 2**level
        s = sigma / factor
        sx = (seed[0] - x0 + 0.5) / factor - 0.5
        sy = (seed[1] - y0 + 0.5) / factor - 0.5
        half = math.ceil(reach * s) + 1
        top, left = max(0, round(sy) - half), max(0, round(sx) - half)
        patch = pyramid[level][top : round(sy) + half + 1, left : round(sx) + half + 1]
        response = -(s**2) * _laplacian_of_gaussian(patch, s)
        peak = _climb(response, (round(sy) - top, round(sx) - left))
        value = float(response[peak])
        if value <= 0 or (best is not None and value <= best.response):
            continue
        if math.hypot(peak[1] - (sx - left), peak[0] - (sy - top)) > _SEED_REACH * s:
            continue
        yy, xx = np.ogrid[0 : response.shape[0], 0 : response.shape[1]]
        hood = np.hypot(xx - peak[1], yy - peak[0]) <= _PEAK_HOOD * s
        if value < float(response[hood].max()):
            continue
        oy, ox = _subpixel(response, peak)
        center = (
            x0 + (left + peak[1] + ox + 0.5) * factor - 0.5,
            y0 + (top + peak[0] + oy + 0.5) * factor - 0.5,
        )
        if admit is not None and not admit(center, float(radius_mm / mm)):
            continue
        best = Blob(center=center, radius_px=float(radius_mm / mm), response=value)
    return best


class LungOutline:
    """The lung outlines of a film: each lung field's convex hull, on the anatomy grid.

    The outline takes in the lung behind the heart border and the diaphragm dome,
    where real lesions project, and any lesion the segmenter cut out of a field, but
    not the mediastinum, the heart, the chest wall, the neck or the abdomen, whose
    large bright shapes would otherwise pass for a mass or let a lesion's contour run
    into them.
    """

    def __init__(self, anatomy: AnatomyMap) -> None:
        self.grid = anatomy.grid
        outline: npt.NDArray[np.uint8] = np.zeros(
            anatomy.mask(Region.RIGHT_LUNG).shape, np.uint8
        )
        for region in (Region.RIGHT_LUNG, Region.LEFT_LUNG):
            points = cv2.findNonZero(anatomy.mask(region).astype(np.uint8))
            if points is not None:
                cv2.fillPoly(outline, [cv2.convexHull(points)], 1)
        self.mask = outline

    def admits(self, center: Point, radius_px: float, share: float = 0.5) -> bool:
        """Whether at least `share` of the disc lies within an outline (image px)."""
        g = self.grid
        gx = np.round(
            (center[0] + _DISC_SAMPLE[:, 0] * radius_px) * g.scale + g.offset_x
        )
        gy = np.round(
            (center[1] + _DISC_SAMPLE[:, 1] * radius_px) * g.scale + g.offset_y
        )
        rows, cols = int(self.mask.shape[0]), int(self.mask.shape[1])
        on_grid = (gx >= 0) & (gy >= 0) & (gx < cols) & (gy < rows)
        ix, iy = gx[on_grid].astype(int), gy[on_grid].astype(int)
        return float(self.mask[iy, ix].sum()) >= share * len(_DISC_SAMPLE)

    def on_crop(self, crop: _Crop) -> npt.NDArray[np.bool_]:
        """The outlines resampled onto a focal crop."""
        g = self.grid
        k = crop.scale / g.scale
        matrix = np.array(
            [
                [k, 0, -(g.offset_x + crop.origin[0] * g.scale) * k],
                [0, k, -(g.offset_y + crop.origin[1] * g.scale) * k],
            ]
        )
        size = crop.image.shape[1], crop.image.shape[0]
        return np.asarray(
            cv2.warpAffine(self.mask, matrix, size, flags=cv2.INTER_NEAREST) > 0
        )


def _laplacian_of_gaussian(
    values: npt.NDArray[np.float64], sigma: float
) -> npt.NDArray[np.float64]:
    """The Laplacian of Gaussian with sampled Gaussian-derivative kernels (as scipy's).

    Two separable passes in OpenCV, several times faster than `ndimage.gaussian_laplace`
    on the small patches of the scale search, with the same kernels and borders.
    """
    radius = int(4 * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma) ** 2)
    g /= g.sum()
    g2 = g * (x**2 / sigma**4 - 1 / sigma**2)
    border = cv2.BORDER_REFLECT
    return np.asarray(
        cv2.sepFilter2D(values, cv2.CV_64F, g2, g, borderType=border)
        + cv2.sepFilter2D(values, cv2.CV_64F, g, g2, borderType=border)
    )


def _subpixel(
    values: npt.NDArray[np.float64], peak: tuple[int, int]
) -> tuple[float, float]:
    """The offset (rows, columns) of a maximum from its pixel, by a parabola per axis.

    Coarse pyramid levels sample a large blob every few image pixels; without this its
    centre would snap to that grid.
    """
    offsets = []
    for axis in (0, 1):
        i = peak[axis]
        if not 0 < i < values.shape[axis] - 1:
            offsets.append(0.0)
            continue
        step = np.eye(2, dtype=int)[axis]
        lo = float(values[peak[0] - step[0], peak[1] - step[1]])
        mid = float(values[peak])
        hi = float(values[peak[0] + step[0], peak[1] + step[1]])
        curvature = lo - 2 * mid + hi
        offsets.append(
            float(np.clip(0.5 * (lo - hi) / curvature, -0.5, 0.5))
            if curvature < 0
            else 0.0
        )
    return offsets[0], offsets[1]


def _climb(values: npt.NDArray[np.float64], start: tuple[int, int]) -> tuple[int, int]:
    """The local maximum reached by steepest ascent over 8-neighbours from `start`."""
    rows, cols = values.shape
    y, x = min(max(start[0], 0), rows - 1), min(max(start[1], 0), cols - 1)
    for _ in range(rows + cols):
        y0, x0 = max(0, y - 1), max(0, x - 1)
        window = values[y0 : y + 2, x0 : x + 2]
        dy, dx = np.unravel_index(int(np.argmax(window)), window.shape)
        ny, nx = y0 + int(dy), x0 + int(dx)
        if (ny, nx) == (y, x) or values[ny, nx] <= values[y, x]:
            break
        y, x = ny, nx
    return y, x


def lung_field_stats(image: FloatImage, anatomy: AnatomyMap) -> tuple[float, float]:
    """Mean and standard deviation of the lung fields' intensity (the whole film if none).

    `describe_focal` compares a lesion's density with them to judge calcification.
    """
    lungs = anatomy.mask(Region.RIGHT_LUNG) | anatomy.mask(Region.LEFT_LUNG)
    grid_image = resize_to_grid(image, anatomy.grid)
    values = grid_image[lungs] if lungs.any() else grid_image.ravel()
    return float(values.mean()), float(values.std())


def describe_focal(
    image: FloatImage,
    candidate: Candidate,
    *,
    finding_id: str,
    calibration: Calibration,
    anatomy: AnatomyMap,
    lung_stats: tuple[float, float],
    outline: LungOutline | None = None,
) -> Finding:
    """Measure a focal opacity: contour, axes, margin, density, calcification, location.

    The lesion is the scale-space blob holding the candidate's centre (`find_lesion_blob`)
    when there is one within the lung outlines, else the candidate as proposed. Pass
    `outline` (built from `anatomy` when omitted) to share it between findings.
    """
    if outline is None and anatomy.lungs_found:
        outline = LungOutline(anatomy)
    blob = find_lesion_blob(
        image,
        candidate.center,
        calibration.mean_mm,
        None if outline is None else outline.admits,
    )
    if blob is not None:
        # The blob, not the detector's proposal, sets where and at what scale to delineate.
        candidate = Candidate(blob.center, blob.radius_px, candidate.score)
    film_mm = calibration.mean_mm or ASSUMED_FIELD_MM / max(image.shape)
    lesion, crop = segment_focal(image, candidate, outline, film_mm)
    contour_crop = _contour(lesion)
    contour = tuple(crop.to_image((float(x), float(y))) for x, y in contour_crop)
    ys, xs = np.nonzero(lesion)
    centre_crop = (float(xs.mean()), float(ys.mean()))
    center = crop.to_image(centre_crop)
    long_px, short_px, long_mm, short_mm = _axes(xs, ys, crop.scale, calibration)
    kind = (
        FindingKind.MASS
        if long_mm is not None and long_mm > MASS_THRESHOLD_MM
        else FindingKind.NODULE
    )
    margin = _margin(crop, lesion, centre_crop, calibration, film_mm)
    estimate = None
    if calibration.is_estimate:
        # An estimated spacing is not the film's own: its sizes are kept apart, marked
        # with their error, and the kind records that it rests on them.
        if long_mm is not None and short_mm is not None:
            estimate = SizeEstimate(
                long_axis_mm=round(long_mm, 1),
                short_axis_mm=round(short_mm, 1),
                relative_error=ESTIMATE_RELATIVE_ERROR,
            )
        long_mm = short_mm = None
        margin = _without_mm(margin)
    homogeneity, lucency, calcification = _density(crop.image, lesion, lung_stats)
    pleural = _pleural_contact(contour, anatomy, calibration)
    return Finding(
        id=finding_id,
        kind=kind,
        confidence=round(float(candidate.score), 3),
        center=(round(center[0], 1), round(center[1], 1)),
        contour=tuple((round(x, 1), round(y, 1)) for x, y in contour),
        bbox=(
            Box.of_points(contour)
            if contour
            else Box.around(candidate.center, candidate.radius_px)
        ).rounded(),
        long_axis_px=round(long_px, 1),
        short_axis_px=round(short_px, 1),
        long_axis_mm=None if long_mm is None else round(long_mm, 1),
        short_axis_mm=None if short_mm is None else round(short_mm, 1),
        location=anatomy.locate(center),
        margin=margin,
        homogeneity=round(homogeneity, 2),
        calcification_likelihood=round(calcification, 2),
        central_lucency=round(lucency, 2),
        pleural_contact=pleural,
        detector_score=round(float(candidate.score), 3),
        size_estimate=estimate,
    )


def _without_mm(margin: Margin) -> Margin:
    return replace(
        margin,
        notches=tuple(replace(n, depth_mm=None) for n in margin.notches),
        spicules=tuple(replace(s, length_mm=None) for s in margin.spicules),
        edge_width_mm=None,
    )


def _contour(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
    )
    if not contours:
        return np.zeros((0, 2))
    largest = max(contours, key=cv2.contourArea).reshape(-1, 2).astype(np.float64)
    # Smooth the pixel staircase a little, then thin to about 48 points for storage.
    if len(largest) >= 8:
        kernel = np.ones(3) / 3
        largest = np.stack(
            [
                np.convolve(
                    np.r_[largest[-1:, i], largest[:, i], largest[:1, i]],
                    kernel,
                    "valid",
                )
                for i in (0, 1)
            ],
            axis=1,
        )
    step = max(1, len(largest) // 48)
    return largest[::step]


def _axes(
    xs: npt.NDArray[np.intp],
    ys: npt.NDArray[np.intp],
    scale: float,
    calibration: Calibration,
) -> tuple[float, float, float | None, float | None]:
    """Long and short axis (extent along the principal directions), in px and mm."""
    pts = np.stack([xs, ys], axis=1).astype(np.float64) / scale
    if len(pts) < 3:
        return 0.0, 0.0, None, None
    if calibration.row_mm is not None and calibration.col_mm is not None:
        # Principal axes in physical space, so anisotropic pixels are measured correctly.
        mm = pts * np.array([calibration.col_mm, calibration.row_mm])
        long_mm, short_mm = _extent(mm)
        pixel = 1 / scale * min(calibration.col_mm, calibration.row_mm)
        long_px, short_px = _extent(pts)
        return (
            long_px + 1 / scale,
            short_px + 1 / scale,
            long_mm + pixel,
            short_mm + pixel,
        )
    long_px, short_px = _extent(pts)
    return long_px + 1 / scale, short_px + 1 / scale, None, None


def _extent(pts: npt.NDArray[np.float64]) -> tuple[float, float]:
    centred = pts - pts.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(centred.T))
    proj = centred @ vectors
    spans = proj.max(axis=0) - proj.min(axis=0)
    return float(spans.max()), float(spans.min())


def _radial_profile(
    mask: npt.NDArray[np.bool_], centre: Point
) -> npt.NDArray[np.float64]:
    """Boundary radius at each of `_ANGLES` display angles (0 = 12 o'clock, clockwise)."""
    radii = np.zeros(_ANGLES)
    max_r = mask.shape[0] / 2
    steps = np.arange(0, max_r, 0.5)
    for i in range(_ANGLES):
        a = 2 * math.pi * i / _ANGLES
        dx, dy = math.sin(a), -math.cos(a)
        px = np.clip(np.round(centre[0] + steps * dx).astype(int), 0, mask.shape[1] - 1)
        py = np.clip(np.round(centre[1] + steps * dy).astype(int), 0, mask.shape[0] - 1)
        inside = mask[py, px]
        outside = np.flatnonzero(~inside)
        radii[i] = steps[outside[0]] if len(outside) else max_r
    return radii


def _margin(
    crop: _Crop,
    lesion: npt.NDArray[np.bool_],
    centre: Point,
    calibration: Calibration,
    film_mm: float,
) -> Margin:
    """Notches, spicules and edge sharpness; ``film_mm`` sets the mm thresholds."""
    radii = _radial_profile(lesion, centre)
    smooth = ndimage.uniform_filter1d(radii, size=5, mode="wrap")
    mean_r = float(smooth.mean())
    mm_per_crop_px = (
        (calibration.mean_mm or 0) / crop.scale if calibration.is_calibrated else None
    )
    judge_mm = film_mm / crop.scale  # mm per crop pixel, measured or assumed
    notches = _notches(
        smooth,
        mean_r,
        centre,
        crop,
        mm_per_crop_px,
        min_depth=notch_min_depth_mm(film_mm) / judge_mm,
    )
    spicules = _spicules(
        crop,
        lesion,
        smooth,
        centre,
        mm_per_crop_px,
        min_len=spicule_min_length_mm(film_mm) / judge_mm,
    )
    sharpness, edge_width = _sharpness(crop.image, lesion, mm_per_crop_px)
    return Margin(
        notches=notches,
        spicules=spicules,
        sharpness=sharpness,
        edge_width_mm=edge_width,
    )


def _notches(
    radii: npt.NDArray[np.float64],
    mean_r: float,
    centre: Point,
    crop: _Crop,
    mm_per_px: float | None,
    *,
    min_depth: float,
) -> tuple[Notch, ...]:
    """Concavities of the contour: radial minima clearly below the flanking maxima.

    A notch must be at least 10 % of the mean radius, and ``min_depth`` crop pixels
    (:func:`notch_min_depth_mm`), deeper than the lower of the two highest points within
    ±45° on either side, on a profile smoothed over 25°. Shallower dents are contour
    noise; lobulation from a radiograph contour is a weak sign even so.
    """
    n = len(radii)
    window = n // 8
    found: list[Notch] = []
    for i in range(n):
        neighbourhood = radii[[(i + k) % n for k in range(-2, 3)]]
        if radii[i] > neighbourhood.min():
            continue
        left = max(radii[(i - k) % n] for k in range(1, window + 1))
        right = max(radii[(i + k) % n] for k in range(1, window + 1))
        depth = min(left, right) - radii[i]
        if depth < 0.10 * mean_r or depth < max(1.0, min_depth):
            continue
        a = 2 * math.pi * i / n
        point = (centre[0] + radii[i] * math.sin(a), centre[1] - radii[i] * math.cos(a))
        clock = clock_position(centre, point)
        if any(abs(f.clock - clock) % 12 in (0,) for f in found):
            continue
        depth_px = depth / crop.scale
        found.append(
            Notch(
                clock=clock,
                depth_px=round(depth_px, 1),
                depth_mm=None if mm_per_px is None else round(depth * mm_per_px, 1),
            )
        )
    return tuple(sorted(found, key=lambda f: f.clock))


def _spicules(
    crop: _Crop,
    lesion: npt.NDArray[np.bool_],
    radii: npt.NDArray[np.float64],
    centre: Point,
    mm_per_px: float | None,
    *,
    min_len: float,
) -> tuple[Spicule, ...]:
    """Thin bright strands leaving the edge radially, at least ``min_len`` crop px long.

    Along each ray outside the edge, a strand is where the high-pass intensity stays above
    the surrounding lung (ring median + 1.5 MAD) and is a ridge compared with the rays 15°
    to either side. Runs of adjacent rays are merged into one spicule.
    """
    image = crop.image
    highpass = image - cv2.GaussianBlur(image, (0, 0), 4.0)
    ring = ndimage.binary_dilation(lesion, iterations=12) & ~ndimage.binary_dilation(
        lesion, iterations=3
    )
    if not ring.any():
        return ()
    base = float(np.median(highpass[ring]))
    spread = float(np.median(np.abs(highpass[ring] - base))) * 1.4826 + 1e-6
    n = len(radii)
    max_len = float(np.median(radii)) * 1.2 + 6
    lengths = np.zeros(n)
    tips: list[Point] = [(0.0, 0.0)] * n
    profiles = np.zeros((n, int(max_len)))
    for i in range(n):
        a = 2 * math.pi * i / n
        dx, dy = math.sin(a), -math.cos(a)
        start = radii[i] + 1.5
        steps = start + np.arange(profiles.shape[1])
        px = np.clip(
            np.round(centre[0] + steps * dx).astype(int), 0, image.shape[1] - 1
        )
        py = np.clip(
            np.round(centre[1] + steps * dy).astype(int), 0, image.shape[0] - 1
        )
        profiles[i] = highpass[py, px]
    above = profiles > base + 1.5 * spread
    for i in range(n):
        side = np.maximum(profiles[(i - 3) % n], profiles[(i + 3) % n])
        ridge = above[i] & (profiles[i] > side + 0.5 * spread)
        run = 0
        while run < len(ridge) and ridge[run]:
            run += 1
        lengths[i] = run
        a = 2 * math.pi * i / n
        r_tip = radii[i] + 1.5 + run
        tips[i] = (centre[0] + r_tip * math.sin(a), centre[1] - r_tip * math.cos(a))
    min_len = max(3.0, min_len)
    spicules: list[Spicule] = []
    i = 0
    while i < n:
        if lengths[i] >= min_len:
            j = i
            while j + 1 < n and lengths[j + 1] >= min_len:
                j += 1
            if j - i <= 2:  # a spicule is thin: at most 15 degrees wide
                best = i + int(np.argmax(lengths[i : j + 1]))
                length_px = lengths[best] / crop.scale
                tip = crop.to_image(tips[best])
                spicules.append(
                    Spicule(
                        clock=clock_position(crop.to_image(centre), tip),
                        length_px=round(length_px, 1),
                        length_mm=None
                        if mm_per_px is None
                        else round(lengths[best] * mm_per_px, 1),
                        tip=(round(tip[0], 1), round(tip[1], 1)),
                    )
                )
            i = j + 1
        else:
            i += 1
    return tuple(spicules)


def _sharpness(
    image: FloatImage, lesion: npt.NDArray[np.bool_], mm_per_px: float | None
) -> tuple[float, float | None]:
    """Edge sharpness from the edge width: contrast divided by the peak edge gradient."""
    smooth = cv2.GaussianBlur(image, (0, 0), 1.0)
    gy, gx = np.gradient(smooth)
    grad = np.hypot(gx, gy)
    edge = ndimage.binary_dilation(lesion, iterations=2) & ~ndimage.binary_erosion(
        lesion, iterations=2
    )
    inner = ndimage.binary_erosion(lesion, iterations=3)
    outer = ndimage.binary_dilation(lesion, iterations=8) & ~ndimage.binary_dilation(
        lesion, iterations=4
    )
    if not (edge.any() and inner.any() and outer.any()):
        return 0.5, None
    contrast = float(np.median(smooth[inner]) - np.median(smooth[outer]))
    peak = float(np.percentile(grad[edge], 75))
    if contrast <= 1e-4 or peak <= 1e-6:
        return 0.0, None
    width_px = contrast / peak
    width_mm = None if mm_per_px is None else width_px * mm_per_px
    # A 1-2 mm edge reads as sharp on a radiograph; 6 mm and wider as ill-defined.
    reference = width_mm if width_mm is not None else width_px * 0.35
    sharp = float(np.clip(1.0 - (reference - 1.5) / 4.5, 0.0, 1.0))
    return round(sharp, 2), None if width_mm is None else round(width_mm, 1)


def _density(
    image: FloatImage, lesion: npt.NDArray[np.bool_], lung_stats: tuple[float, float]
) -> tuple[float, float, float]:
    """Homogeneity, central lucency and calcification likelihood (all 0..1)."""
    inside = image[lesion]
    ring = ndimage.binary_dilation(lesion, iterations=6) & ~ndimage.binary_dilation(
        lesion, iterations=2
    )
    background = (
        float(np.median(image[ring])) if ring.any() else float(np.median(image))
    )
    core = ndimage.binary_erosion(lesion, iterations=2)
    values = image[core] if core.sum() > 10 else inside
    contrast = max(1e-3, float(np.median(values)) - background)
    homogeneity = float(np.clip(1.0 - np.std(values) / (2 * contrast), 0.0, 1.0))

    dist = ndimage.distance_transform_edt(lesion)
    peak = dist.max() or 1.0
    centre_vals = image[dist >= 0.6 * peak]
    wall_vals = image[(dist > 0.1 * peak) & (dist < 0.45 * peak)]
    lucency = 0.0
    if centre_vals.size and wall_vals.size:
        lucency = float(
            np.clip(
                (np.median(wall_vals) - np.median(centre_vals)) / contrast, 0.0, 1.0
            )
        )

    # Calcium is denser than soft tissue: a compact core far brighter than the lung field,
    # beyond the density a soft-tissue nodule of this contrast reaches.
    lung_mean, lung_std = lung_stats
    z_peak = (float(np.percentile(values, 95)) - lung_mean) / max(lung_std, 1e-3)
    calcification = float(np.clip((z_peak - 3.5) / 3.0, 0.0, 1.0))
    return homogeneity, lucency, calcification


def _pleural_contact(
    contour: tuple[Point, ...], anatomy: AnatomyMap, calibration: Calibration
) -> bool | None:
    """Whether the lesion abuts the chest wall: part of its edge lies outside the lung field."""
    if not contour or not anatomy.lungs_found:
        return None
    lungs = anatomy.mask(Region.RIGHT_LUNG) | anatomy.mask(Region.LEFT_LUNG)
    outer = anatomy.mask(Region.RIGHT_OUTER_BAND) | anatomy.mask(Region.LEFT_OUTER_BAND)
    near_outer = ndimage.binary_dilation(outer, iterations=2)
    outside = 0
    counted = 0
    for p in contour:
        gx, gy = anatomy.grid.to_grid(p)
        ix, iy = round(gx), round(gy)
        if not (0 <= ix < lungs.shape[1] and 0 <= iy < lungs.shape[0]):
            continue
        if near_outer[iy, ix]:
            counted += 1
            outside += int(not lungs[iy, ix])
    return counted > 0 and outside / max(1, len(contour)) >= 0.05


# A larger opacity whose outline runs along the lung's outer (chest-wall) edge for at
# least this share of its length may be the chest wall, the scapula's border or soft
# tissue projected over the lung field: the mirror comparison that finds it cannot tell
# them from lung, and a focal lesion's own test (:func:`_pleural_contact`) needs an edge
# that crosses the field border, which a region cut out of the field never has.
CHEST_WALL_SHARE = 0.25


def chest_wall_share(
    contour: tuple[Point, ...], anatomy: AnatomyMap, mm_per_image_px: float | None
) -> float | None:
    """The share of an outline within ``LUNG_EDGE_MM`` of the lung's outer edge.

    The outer edge is the lung-field border in the outer bands (the chest wall), not the
    mediastinal or diaphragmatic border. None without an outline or a lung field.
    """
    from engine.nodules import LUNG_EDGE_MM

    if not contour or not anatomy.lungs_found:
        return None
    lungs = anatomy.mask(Region.RIGHT_LUNG) | anatomy.mask(Region.LEFT_LUNG)
    outer = anatomy.mask(Region.RIGHT_OUTER_BAND) | anatomy.mask(Region.LEFT_OUTER_BAND)
    wall = (
        lungs
        & ~ndimage.binary_erosion(lungs)
        & ndimage.binary_dilation(outer, iterations=2)
    )
    if not wall.any():
        return None
    cells = ndimage.distance_transform_edt(~wall)
    grid = anatomy.grid
    # Without a spacing, assume the JSRT field of view (358 mm across the film), as
    # LungSites does.
    mm = mm_per_image_px or 358.0 / (grid.size / grid.scale)
    reach = LUNG_EDGE_MM / (mm / grid.scale)
    near = counted = 0
    for p in contour:
        gx, gy = grid.to_grid(p)
        ix, iy = round(gx), round(gy)
        if 0 <= ix < cells.shape[1] and 0 <= iy < cells.shape[0]:
            counted += 1
            near += int(cells[iy, ix] <= reach)
    return near / counted if counted else None


# ---------------------------------------------------------------------------------------
# Size correction and where a focal finding lies
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LogSizeFit:
    """Diameter from the long axis, short axis and area-equivalent diameter, in log space.

    ``log d = centre + spread * (weights . log(long, short, area) - mean_z) / sd_z``:
    a least-squares combination of the log measurements rescaled so the predicted
    sizes spread as widely as the true ones, which keeps a 40 mm mass large where a
    plain regression would pull it towards the mean size.
    """

    weights: tuple[float, float, float]
    mean_z: float
    sd_z: float
    centre: float
    spread: float

    def __post_init__(self) -> None:
        if not self.sd_z > 0 or not self.spread > 0:
            raise ValueError(
                f"sd_z and spread must be positive, got {self.sd_z!r}, {self.spread!r}; "
                "refit with engine/training/nodule_ranker.py"
            )

    def diameter(self, long_mm: float, short_mm: float, area_mm: float) -> float:
        """The estimated true diameter in mm (inputs floored at 0.1 mm)."""
        logs = [math.log(max(v, 0.1)) for v in (long_mm, short_mm, area_mm)]
        z = sum(w * v for w, v in zip(self.weights, logs, strict=True))
        return math.exp(self.centre + self.spread * (z - self.mean_z) / self.sd_z)


class SizeMeasure(StrEnum):
    """Which measurement of the contour the size correction scales (``size.measure``)."""

    LONG_AXIS = "long_axis"
    # The mean of the long and short axes, the "average diameter" of the Fleischner
    # Society's measuring recommendations (Bankier et al., Radiology 2017): a contour
    # that runs along a rib edge or a vessel for part of its length stretches its long
    # axis but hardly its short one.
    MEAN_AXES = "mean_axes"


# The correction is held within this factor of the measured long axis. The low end is
# half, since the mean of two axes is never below half the long one; the high end keeps
# a failed contour from being blown up.
SIZE_FACTOR_RANGE = (0.5, 1.6)


@dataclass(frozen=True, slots=True, kw_only=True)
class SizeCorrection:
    """Measured size -> JSRT diameter, fitted by cross-validation (nodule_ranker.json).

    The half-maximum contour lies inside the edge a reader measures to, so measured
    sizes run small. ``slope * measured + intercept`` is the corrected diameter, where
    ``measure`` says what is measured (the long axis, or the mean of both axes), or,
    when ``log_fit`` is set, the log-space estimate from the contour's axes and area;
    the true diameter lay within ``[ratio_low, ratio_high]`` x the corrected one for
    the central 80 % of training nodules.
    """

    slope: float
    intercept: float
    ratio_low: float
    ratio_high: float
    log_fit: LogSizeFit | None = None
    measure: SizeMeasure = SizeMeasure.LONG_AXIS

    def corrected(self, long_mm: float, short_mm: float, area_mm: float) -> float:
        """The estimated true diameter in mm, before the factor's bounds.

        Args:
            long_mm: the contour's long axis.
            short_mm: its short axis.
            area_mm: the diameter of the disc with the contour's area.
        """
        if self.log_fit is not None:
            return self.log_fit.diameter(long_mm, short_mm, area_mm)
        measured = (
            (long_mm + short_mm) / 2
            if self.measure is SizeMeasure.MEAN_AXES
            else long_mm
        )
        return self.slope * measured + self.intercept

    def factor(self, long_mm: float, short_mm: float, area_mm: float) -> float:
        """How much to scale a finding's long axis (kept within SIZE_FACTOR_RANGE)."""
        corrected = self.corrected(long_mm, short_mm, area_mm)
        return float(np.clip(corrected / max(long_mm, 1e-3), *SIZE_FACTOR_RANGE))


def area_diameter(contour: tuple[Point, ...], mm_per_px: float) -> float:
    """Diameter of the disc with the contour's area (shoelace), in mm."""
    if len(contour) < 3:
        return 0.0
    pts = np.array(contour, np.float64)
    x, y = pts[:, 0], pts[:, 1]
    area = 0.5 * abs(float(x @ np.roll(y, -1) - y @ np.roll(x, -1)))
    return 2 * math.sqrt(area / math.pi) * mm_per_px


def correct_size(finding: Finding, correction: SizeCorrection) -> Finding:
    """Scale a focal finding's contour and axes about its centre to the corrected size.

    Geometry stays consistent (contour, box, pixel and mm axes scale together); the
    interval goes on ``diameter_interval_mm`` when the film's spacing is its own.
    """
    measured = finding.long_axis_mm
    short = finding.short_axis_mm
    if measured is None and finding.size_estimate is not None:
        measured = finding.size_estimate.long_axis_mm
        short = finding.size_estimate.short_axis_mm
    if not finding.is_focal or measured is None or short is None:
        return finding
    # The axes carry the film's (or the estimated) spacing: mm per image pixel.
    mm_per_px = measured / max(finding.long_axis_px, 1e-6)
    k = correction.factor(measured, short, area_diameter(finding.contour, mm_per_px))
    cx, cy = finding.center
    contour = tuple(
        (round(cx + (x - cx) * k, 1), round(cy + (y - cy) * k, 1))
        for x, y in finding.contour
    )

    def scaled(value: float | None) -> float | None:
        return None if value is None else round(value * k, 1)

    estimate = finding.size_estimate
    if estimate is not None:
        estimate = replace(
            estimate,
            long_axis_mm=round(estimate.long_axis_mm * k, 1),
            short_axis_mm=round(estimate.short_axis_mm * k, 1),
        )
    long_mm = scaled(finding.long_axis_mm)
    # Nodule or mass (over 30 mm) follows the size the reader is given.
    size = (
        long_mm if long_mm is not None else estimate.long_axis_mm if estimate else None
    )
    kind = finding.kind
    if size is not None:
        kind = FindingKind.MASS if size > MASS_THRESHOLD_MM else FindingKind.NODULE
    interval = (
        None
        if long_mm is None
        else (
            round(long_mm * correction.ratio_low, 1),
            round(long_mm * correction.ratio_high, 1),
        )
    )
    return replace(
        finding,
        kind=kind,
        contour=contour,
        bbox=(Box.of_points(contour) if contour else finding.bbox).rounded(),
        long_axis_px=round(finding.long_axis_px * k, 1),
        short_axis_px=round(finding.short_axis_px * k, 1),
        long_axis_mm=long_mm,
        short_axis_mm=scaled(finding.short_axis_mm),
        size_estimate=estimate,
        diameter_interval_mm=interval,
    )


class LungSites:
    """Whether a point is lung: in a field, its hull, behind the heart or below a dome.

    The same rule as the detector's :func:`engine.nodules.site_of`, on the anatomy grid,
    for the finding's measured centre (which may move from the candidate's).
    """

    def __init__(
        self,
        anatomy: AnatomyMap,
        mm_per_image_px: float | None,
        outline: LungOutline | None = None,
        *,
        thorax: bool = False,
    ) -> None:
        from engine.nodules import (
            BASE_RECESS_MM,
            BELOW_DOME_MM,
            LUNG_EDGE_MM,
            thorax_sites,
        )

        self.grid = anatomy.grid
        lungs = anatomy.mask(Region.RIGHT_LUNG) | anatomy.mask(Region.LEFT_LUNG)
        # Without a spacing, assume the JSRT field of view (358 mm across the film).
        mm = mm_per_image_px or 358.0 / (self.grid.size / self.grid.scale)
        self.mm_per_cell = mm / self.grid.scale
        self.edge_cells = LUNG_EDGE_MM / self.mm_per_cell
        # ``thorax``: the detector's CandidateParams.thorax_sites; without it the
        # dome line is the lung base alone, nothing is retrocardiac, and the recess
        # reaches BASE_RECESS_MM.
        self.dome_mm = BELOW_DOME_MM if thorax else BASE_RECESS_MM
        near = ndimage.distance_transform_edt(~lungs) <= self.edge_cells
        self.lung = near
        self.hull = (
            LungOutline(anatomy).mask.astype(bool) if anatomy.lungs_found else near
        )
        heart = anatomy.mask(Region.HEART) if thorax else np.zeros_like(lungs)
        self.retrocardiac, self.below_dome_mm = thorax_sites(
            lungs, heart, self.mm_per_cell
        )
        self.found = anatomy.lungs_found

    def in_field(self, p: Point) -> bool:
        """Within the lung field or at its border."""
        return self._at(self.lung, p)

    def is_lung(self, p: Point) -> bool:
        """In a field or its hull (hilar), retrocardiac, or below a dome in reach."""
        if not self.found:
            return True
        if self._at(self.lung, p) or self._at(self.hull, p):
            return True
        return self.in_retrocardiac(p) or self.in_recess(p)

    def in_retrocardiac(self, p: Point) -> bool:
        """Behind the heart, within the thorax between the lungs' lower parts."""
        return self._at(self.retrocardiac, p)

    def in_recess(self, p: Point) -> bool:
        """Below the dome line of its column, within :data:`BELOW_DOME_MM`."""
        gx, gy = self.grid.to_grid(p)
        ix, iy = round(gx), round(gy)
        rows, cols = self.below_dome_mm.shape
        if not (0 <= ix < cols and 0 <= iy < rows):
            return False
        return bool(0.0 < self.below_dome_mm[iy, ix] <= self.dome_mm)

    def _at(self, mask: npt.NDArray[np.bool_], p: Point) -> bool:
        gx, gy = self.grid.to_grid(p)
        ix, iy = round(gx), round(gy)
        if not (0 <= ix < mask.shape[1] and 0 <= iy < mask.shape[0]):
            return False
        return bool(mask[iy, ix])


# ---------------------------------------------------------------------------------------
# Larger and diffuse opacities
# ---------------------------------------------------------------------------------------


# A region denser than its mirror over more than this share of both lung fields (most
# of one hemithorax) is taken for projection or exposure asymmetry (rotation, breast,
# scoliosis): the mirror comparison cannot tell it from consolidation.
DIFFUSE_MAX_LUNG_FRACTION = 0.30
# The diffuse score has had no positive training film (the JSRT films have no
# consolidation), so it is capped below certainty, and its area adds only up to the
# size of a segment (8 % of both lungs).
DIFFUSE_MAX_CONFIDENCE = 0.8
DIFFUSE_AREA_SATURATION = 0.08


def find_diffuse_opacities(
    image: FloatImage,
    anatomy: AnatomyMap,
    calibration: Calibration,
    *,
    first_id: int,
    focal: tuple[Finding, ...] = (),
) -> list[Finding]:
    """Regions of one lung denser than the mirrored region of the other lung.

    Consolidation and streaky or reticular change raise the density of part of a lung
    field. Each lung pixel is compared with the contralateral pixel at the same relative
    height and band position; connected regions clearly denser than their mirror become
    findings, classified by shape (elongated = linear) and texture (reticular). A region
    that holds a ``focal`` finding's centre is that lesion's own density, not a second
    finding, and is left out; so is one wider than ``DIFFUSE_MAX_LUNG_FRACTION``.
    """
    if not anatomy.lungs_found:
        return []
    grid = anatomy.grid
    g = resize_to_grid(image, grid)
    smooth = cv2.GaussianBlur(g, (0, 0), grid.size / 128)
    right = anatomy.mask(Region.RIGHT_LUNG)
    left = anatomy.mask(Region.LEFT_LUNG)
    lungs = right | left
    if lungs.sum() < 100:
        return []
    values = smooth[lungs]
    mean, std = float(values.mean()), float(values.std()) + 1e-6
    z = (smooth - mean) / std
    mirror = _mirror_density(z, anatomy)
    diff = np.where(lungs, z - mirror, 0.0)
    # Hila and the heart border are dense by anatomy and vary side to side; skip them.
    exclude = ndimage.binary_dilation(
        anatomy.mask(Region.RIGHT_HILUM)
        | anatomy.mask(Region.LEFT_HILUM)
        | anatomy.mask(Region.HEART),
        iterations=grid.size // 64,
    )
    candidate = (diff > 0.9) & lungs & ~exclude
    candidate = ndimage.binary_opening(candidate, iterations=2)
    labels, n = ndimage.label(candidate)
    lung_area = float(lungs.sum())
    texture = np.abs(g - cv2.GaussianBlur(g, (0, 0), 2.0))
    lung_texture = float(np.median(texture[lungs])) + 1e-6
    findings: list[Finding] = []
    focal_cells = [grid.to_grid(f.center) for f in focal]
    for index in range(1, n + 1):
        region = labels == index
        area = float(region.sum())
        if not 0.015 <= area / lung_area <= DIFFUSE_MAX_LUNG_FRACTION:
            continue
        if any(_holds(region, p) for p in focal_cells):
            continue
        strength = float(diff[region].mean())
        confidence = float(
            np.clip(
                0.25
                + 0.25 * (strength - 0.9)
                + 4.0 * min(area / lung_area, DIFFUSE_AREA_SATURATION),
                0.0,
                DIFFUSE_MAX_CONFIDENCE,
            )
        )
        ys, xs = np.nonzero(region)
        pts = np.stack([xs, ys], axis=1).astype(np.float64)
        long_g, short_g = _extent(pts) if len(pts) > 3 else (0.0, 0.0)
        rough = float(np.median(texture[region])) / lung_texture
        if short_g > 0 and long_g / short_g > 3.0:
            kind = FindingKind.LINEAR
        elif rough > 1.6:
            kind = FindingKind.RETICULAR
        else:
            kind = FindingKind.CONSOLIDATION
        contour_g = _contour(ndimage.binary_fill_holes(region))
        contour = (
            grid.points_to_image(contour_g) if len(contour_g) else np.zeros((0, 2))
        )
        image_pts = grid.points_to_image(pts)
        long_px, short_px = (long_g / grid.scale, short_g / grid.scale)
        long_mm = (
            length_along((long_px, 0), calibration)
            if calibration.is_calibrated
            else None
        )
        short_mm = (
            length_along((short_px, 0), calibration)
            if calibration.is_calibrated
            else None
        )
        center = (float(image_pts[:, 0].mean()), float(image_pts[:, 1].mean()))
        findings.append(
            Finding(
                id=f"F{first_id + len(findings)}",
                kind=kind,
                confidence=round(confidence, 3),
                center=(round(center[0], 1), round(center[1], 1)),
                contour=tuple(
                    (round(float(x), 1), round(float(y), 1)) for x, y in contour
                ),
                bbox=Box.of_points(image_pts).rounded(),
                long_axis_px=round(long_px, 1),
                short_axis_px=round(short_px, 1),
                long_axis_mm=None if long_mm is None else round(long_mm, 1),
                short_axis_mm=None if short_mm is None else round(short_mm, 1),
                location=anatomy.locate(center),
                homogeneity=None,
                lung_fraction=round(area / lung_area, 3),
                detector_score=round(strength, 3),
            )
        )
    return findings


def _holds(region: npt.NDArray[np.bool_], p: Point) -> bool:
    ix, iy = round(p[0]), round(p[1])
    inside = 0 <= iy < region.shape[0] and 0 <= ix < region.shape[1]
    return inside and bool(region[iy, ix])


def _mirror_density(
    z: npt.NDArray[np.floating], anatomy: AnatomyMap
) -> npt.NDArray[np.floating]:
    """For each lung pixel, the density at the same relative position in the other lung."""
    out = np.zeros_like(z)
    size = anatomy.grid.size
    boxes = {}
    for side, region in (
        (Side.RIGHT, Region.RIGHT_LUNG),
        (Side.LEFT, Region.LEFT_LUNG),
    ):
        ys, xs = np.nonzero(anatomy.mask(region))
        boxes[side] = (xs.min(), ys.min(), xs.max(), ys.max())
    for side, other in ((Side.RIGHT, Side.LEFT), (Side.LEFT, Side.RIGHT)):
        region = Region.RIGHT_LUNG if side is Side.RIGHT else Region.LEFT_LUNG
        ys, xs = np.nonzero(anatomy.mask(region))
        x0, y0, x1, y1 = boxes[side]
        u0, v0, u1, v1 = boxes[other]
        # Relative position measured from the medial edge, so the mirror is anatomical.
        fx = (xs - x0) / max(1, x1 - x0)
        fy = (ys - y0) / max(1, y1 - y0)
        mx = u1 - fx * (u1 - u0)
        my = v0 + fy * (v1 - v0)
        mxi = np.clip(np.round(mx).astype(int), 0, size - 1)
        myi = np.clip(np.round(my).astype(int), 0, size - 1)
        out[ys, xs] = z[myi, mxi]
    return out


# ---------------------------------------------------------------------------------------
# Lesion to hilum
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HilumRelation:
    """Geometry between a focal finding and the ipsilateral hilum.

    Attributes:
        hilum_point: the hilar reference point (image px).
        edge_point: the lesion edge point facing the hilum.
        gap_start, gap_end: the longest stretch of the path without a soft-tissue strand.
        connected: a continuous strand (no gap over 3 mm) runs from lesion to hilum.
        strand_fraction: share of the path whose density stays above the lung background.
        contrast_along_path: mean density of the path above the parallel control paths,
            in lung-field standard deviations.
    """

    hilum_point: Point
    edge_point: Point
    gap_start: Point | None
    gap_end: Point | None
    gap_px: float
    connected: bool
    strand_fraction: float
    contrast_along_path: float


def hilum_relation(
    image: FloatImage, finding: Finding, anatomy: AnatomyMap, calibration: Calibration
) -> HilumRelation | None:
    """Test whether a soft-tissue strand connects a focal finding to its hilum.

    The intensity profile along the straight path from the lesion edge to the hilar
    reference point is compared with two control paths offset in parallel by 6 % of the
    thoracic width; a strand is where the path is denser than both controls.
    """
    side = finding.location.side
    if side.value not in ("right", "left"):
        return None
    hilum = anatomy.landmarks.get(f"{side.value}_hilum")
    if hilum is None:
        return None
    cx, cy = finding.center
    vx, vy = hilum[0] - cx, hilum[1] - cy
    dist = math.hypot(vx, vy)
    if dist < 1:
        return None
    ux, uy = vx / dist, vy / dist
    radius = max(finding.long_axis_px, finding.short_axis_px) / 2
    edge = (cx + ux * radius, cy + uy * radius)
    length = max(1.0, dist - radius)
    n = max(16, int(length))
    t = np.linspace(0, 1, n)
    offset = 0.06 * (anatomy.thoracic_width_px or image.shape[1] * 0.8)
    nx, ny = -uy, ux
    # Filter only the neighbourhood of the path: the whole film would cost ten times more.
    big_sigma = max(4.0, image.shape[1] / 40)
    margin = offset + 3 * big_sigma
    x0 = int(max(0, min(edge[0], hilum[0]) - margin))
    y0 = int(max(0, min(edge[1], hilum[1]) - margin))
    x1 = int(min(image.shape[1], max(edge[0], hilum[0]) + margin + 1))
    y1 = int(min(image.shape[0], max(edge[1], hilum[1]) + margin + 1))
    crop = image[y0:y1, x0:x1]
    smooth = cv2.GaussianBlur(crop, (0, 0), max(1.0, image.shape[1] / 400))
    flat = smooth - cv2.GaussianBlur(crop, (0, 0), big_sigma)

    def sample(dx: float, dy: float) -> npt.NDArray[np.float64]:
        xs = np.clip(edge[0] + dx + t * (hilum[0] - edge[0]) - x0, 0, flat.shape[1] - 1)
        ys = np.clip(edge[1] + dy + t * (hilum[1] - edge[1]) - y0, 0, flat.shape[0] - 1)
        return ndimage.map_coordinates(flat, [ys, xs], order=1)

    path = sample(0, 0)
    controls = np.maximum(
        sample(nx * offset, ny * offset), sample(-nx * offset, -ny * offset)
    )
    spread = float(np.std(flat)) + 1e-6
    strand = path > controls + 0.25 * spread
    # Near the hilum every path is dense; judge the connection on the lesion's side only.
    judged = strand[: max(2, int(0.85 * n))]
    gaps = _runs(~judged)
    longest = max(gaps, key=lambda r: r[1] - r[0], default=None)
    gap_px = 0.0 if longest is None else (longest[1] - longest[0]) / n * length
    mm_per_px = calibration.mean_mm
    gap_mm = gap_px * mm_per_px if mm_per_px else None
    connected = (gap_mm if gap_mm is not None else gap_px * 0.35) <= 3.0
    gap_start = gap_end = None
    if longest is not None and not connected:
        a, b = longest[0] / n, longest[1] / n
        gap_start = (
            edge[0] + a * (hilum[0] - edge[0]),
            edge[1] + a * (hilum[1] - edge[1]),
        )
        gap_end = (
            edge[0] + b * (hilum[0] - edge[0]),
            edge[1] + b * (hilum[1] - edge[1]),
        )
    return HilumRelation(
        hilum_point=hilum,
        edge_point=(round(edge[0], 1), round(edge[1], 1)),
        gap_start=None
        if gap_start is None
        else (round(gap_start[0], 1), round(gap_start[1], 1)),
        gap_end=None
        if gap_end is None
        else (round(gap_end[0], 1), round(gap_end[1], 1)),
        gap_px=round(gap_px, 1),
        connected=bool(connected),
        strand_fraction=round(float(judged.mean()), 2),
        contrast_along_path=round(float((path - controls).mean() / spread), 2),
    )


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        elif not f and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(flags)))
    return runs
