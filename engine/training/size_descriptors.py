"""A lesion's size read from its neighbourhood at several scales, not from its contour.

The half-maximum contour that ``engine.findings.describe_focal`` draws runs along rib
edges and vessels and, from a candidate at the edge of a large nodule, grows from the
wrong blob (docs/benchmarks.md, issue 11's fifth step). The descriptors here do not
follow any one edge: the crop around the centre is resampled to a fixed millimetre grid,
so the same film at two resolutions gives the same numbers, and summarised by

- a radial profile (ring medians, which a rib crossing a ring moves less than a
  mean) with the darkest ring within 36 mm as its background (a fixed outer ring often
  holds the mediastinum or chest wall and is brighter than the lesion), read as the
  radii where it falls to 3/4, 1/2 and 1/4 of the centre's height above it;
- scale-normalised Laplacian-of-Gaussian responses at scales in millimetres, each
  divided by the strongest (contrast drops out), and the scale where the response
  peaks.

A small regression on log diameter (``engine.training.lesion_size``) turns these, with
the contour's axes and the blob scale as further inputs, into a size.
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
import numpy.typing as npt

# The grid every descriptor is computed on: cxr-train's native spacing, so its films are
# not resampled at all and the 0.35 mm films are averaged 2 x 2.
GRID_MM = 0.7
HALF_WIDTH_MM = 50.0  # the crop reaches past the largest JSRT masses' radius (30 mm)
RING_STEP_MM = 2.0
RING_OUTER_MM = 36.0  # profile rings 0-36 mm, in RING_STEP_MM steps
CENTRE_MM = 3.0  # the centre's contrast: median within this radius
LOG_SIGMAS_MM = (1.5, 2.5, 3.5, 5.0, 7.0, 10.0, 14.0)
PROFILE_LEVELS = (0.75, 0.5, 0.25)

DESCRIPTOR_NAMES = (
    *(f"profile_radius_{int(level * 100)}_mm" for level in PROFILE_LEVELS),
    *(f"blob_response_{s:g}mm" for s in LOG_SIGMAS_MM),
    "blob_peak_diameter_mm",
    "centre_contrast_sd",
)

Floats = npt.NDArray[np.float64]


def lesion_crop(
    image: npt.NDArray[np.float32], centre: tuple[float, float], mm_per_px: float
) -> npt.NDArray[np.float32]:
    """The square neighbourhood of ``centre`` (x, y in pixels) on the GRID_MM grid.

    Outside the film the border is mirrored, so a lesion at the edge keeps a background.
    """
    if not mm_per_px > 0:
        raise ValueError(f"pixel spacing must be positive, got {mm_per_px}")
    side = 2 * round(HALF_WIDTH_MM / GRID_MM) + 1
    scale = GRID_MM / mm_per_px  # input pixels per grid pixel
    half = (side - 1) / 2
    # Grid pixel (u, v) samples input (cx + (u - half) * scale, cy + (v - half) * scale).
    matrix = np.array(
        [
            [scale, 0.0, centre[0] - half * scale],
            [0.0, scale, centre[1] - half * scale],
        ],
        np.float64,
    )
    source = np.asarray(image, np.float32)
    if scale > 1.5:  # average before sampling, so a fine film is not aliased
        source = np.asarray(cv2.GaussianBlur(source, (0, 0), 0.5 * scale), np.float32)
    warped = cv2.warpAffine(
        source,
        matrix,
        (side, side),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT_101,
    )
    return np.asarray(warped, np.float32)


def size_descriptors(
    image: npt.NDArray[np.float32], centre: tuple[float, float], mm_per_px: float
) -> Floats:
    """:data:`DESCRIPTOR_NAMES` of the lesion at ``centre`` on a film of ``mm_per_px``."""
    crop = lesion_crop(image, centre, mm_per_px).astype(np.float64)
    side = crop.shape[0]
    yy, xx = np.mgrid[0:side, 0:side]
    radius_mm = np.hypot(xx - (side - 1) / 2, yy - (side - 1) / 2) * GRID_MM
    rings = _ring_medians(crop, radius_mm)
    background = float(rings.min())
    spread = float(np.std(crop)) or 1.0
    contrast = float(np.median(crop[radius_mm <= CENTRE_MM]) - background)
    radii = _profile_radii(rings - background, contrast)
    responses, peak = _log_responses(crop)
    return np.array([*radii, *responses, peak, contrast / spread], np.float64)


_EDGES_MM = np.arange(0.0, RING_OUTER_MM + RING_STEP_MM / 2, RING_STEP_MM)


def _ring_medians(crop: Floats, radius_mm: Floats) -> Floats:
    """The median of each RING_STEP_MM ring out to RING_OUTER_MM."""
    return np.array(
        [
            np.median(crop[(radius_mm >= a) & (radius_mm < b)])
            for a, b in itertools.pairwise(_EDGES_MM)
        ]
    )


def _profile_radii(rings: Floats, contrast: float) -> list[float]:
    """Radii (mm) where the ring medians fall to each of PROFILE_LEVELS of the centre.

    A centre no brighter than its background has no profile to read: every radius is
    then the smallest ring's, which the regression learns to distrust with the contrast.
    """
    middles = (_EDGES_MM[:-1] + _EDGES_MM[1:]) / 2
    if contrast <= 0:
        return [float(middles[0])] * len(PROFILE_LEVELS)
    profile = rings / contrast
    out = []
    for level in PROFILE_LEVELS:
        below = np.nonzero(profile < level)[0]
        if not len(below):
            out.append(float(middles[-1]))
            continue
        j = int(below[0])
        if j == 0:
            out.append(float(middles[0]))
            continue
        # Linear interpolation between the last ring above the level and the first below.
        p0, p1 = profile[j - 1], profile[j]
        t = (p0 - level) / max(p0 - p1, 1e-9)
        out.append(float(middles[j - 1] + t * (middles[j] - middles[j - 1])))
    return out


def _log_responses(crop: Floats) -> tuple[list[float], float]:
    """Scale-normalised -LoG responses at the centre and the diameter they point to.

    The responses are divided by the strongest (contrast drops out); the diameter (mm)
    is that of a disc whose response would peak at the best scale. Each response is the largest within half its scale of the centre, so a candidate a
    few millimetres off the lesion's middle reads the same.
    """
    side = crop.shape[0]
    c = (side - 1) // 2
    values = []
    for sigma_mm in LOG_SIGMAS_MM:
        sigma = sigma_mm / GRID_MM
        smooth = cv2.GaussianBlur(crop, (0, 0), sigma)
        response = -(sigma**2) * cv2.Laplacian(smooth, cv2.CV_64F)
        reach = max(1, round(sigma / 2))
        values.append(
            float(response[c - reach : c + reach + 1, c - reach : c + reach + 1].max())
        )
    strongest = max(abs(v) for v in values) or 1.0
    best = int(np.argmax(values))
    # A disc of radius r gives its strongest normalised LoG at sigma = r / sqrt(2).
    peak = 2 * math.sqrt(2) * LOG_SIGMAS_MM[best]
    return [v / strongest for v in values], peak
