"""Synthetic nodules implanted into training films: more positives where JSRT has few.

JSRT has 132 real nodules, few of them subtle, apical, retrocardiac or behind the
diaphragm, which is where the CNN loses them. This module adds projected soft-tissue
masses to a film's working image (:class:`engine.nodules.PreparedImage`):

- shape: a sphere (projected thickness ``sqrt(1 - (r/R)^2)``) or an irregular lobulated
  mass (the same profile with a radius that varies with angle by a few harmonics);
- edge: the sharp projection blurred by a Gaussian of 0.3-1.0 mm, the unsharpness of a
  real film and its digitisation;
- contrast: added in the film's own units. The working image is normalised by the
  lung-field IQR, so an amplitude of 0.36 is the median contrast of the real JSRT
  nodules (centre minus ring, measured on the training films); implants span 0.1-0.6.
  The stored film is a log-exposure (density) image, so added attenuation is additive;
  it saturates at the film's brightest value, as real film does;
- size: 5-40 mm in diameter, in mm through the working grid's pixel spacing (0.70 mm
  per pixel when the film's spacing is trusted);
- site: inside the lung fields, including the apices, and in the lung behind the heart
  and below the diaphragm domes (inside each lung's convex hull but outside the mask,
  and up to 20 mm below the lung base, where the engine's site gate still calls a
  candidate lung);
- never over a film's real nodule: centres keep the two radii plus 10 mm apart.

Only ever called on a fold's training films (``engine.training.train_nodules``); a
held-out film is scored as it is. numpy/OpenCV only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from engine.nodules import PreparedImage

__all__ = [
    "DIAMETER_RANGE_MM",
    "Implant",
    "ImplantSettings",
    "apply_implants",
    "headroom",
    "implant_zones",
    "render_implant",
    "sample_implants",
]

FloatImage = npt.NDArray[np.float32]
BoolMask = npt.NDArray[np.bool_]

DIAMETER_RANGE_MM = (5.0, 40.0)
# Where implants go, and how often: the real data are short of the last three.
ZONE_WEIGHTS = {
    "lung": 0.5,
    "apex": 0.2,
    "retrocardiac": 0.15,
    "subdiaphragmatic": 0.15,
}
# Top fifth of the lung fields' height is "apex".
APEX_FRACTION = 0.2
# How far below the lung base an implant centre may sit (the engine keeps 25 mm as lung).
SUBDIAPHRAGM_MM = (2.0, 20.0)
# Clearance between an implant and a real nodule (or another implant), beyond both radii.
CLEARANCE_MM = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ImplantSettings:
    """Ranges the implants are drawn from (recorded in the training run)."""

    per_film: int = 2
    diameter_mm: tuple[float, float] = DIAMETER_RANGE_MM
    amplitude: tuple[float, float] = (0.10, 0.60)
    edge_sigma_mm: tuple[float, float] = (0.3, 1.0)
    lobulated_fraction: float = 0.5

    def __post_init__(self) -> None:
        low, high = self.diameter_mm
        if not 0 < low <= high:
            raise ValueError(f"diameter_mm must be 0 < low <= high, got {low}, {high}")
        if self.per_film < 0:
            raise ValueError(f"per_film must be >= 0, got {self.per_film}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Implant:
    """One implant on the working grid: its centre, size, contrast and shape."""

    x: float
    y: float
    diameter_mm: float
    amplitude: float
    edge_sigma_mm: float
    zone: str
    # Relative radius harmonics (order 2, 3, ...) and their phases; empty for a sphere.
    harmonics: tuple[float, ...] = ()
    phases: tuple[float, ...] = ()


def implant_zones(prepared: PreparedImage) -> dict[str, BoolMask]:
    """Allowed implant centres per zone, on the working grid."""
    lung = prepared.lung
    rows = np.nonzero(lung.any(axis=1))[0]
    top, bottom = (rows[0], rows[-1]) if rows.size else (0, lung.shape[0] - 1)
    yy = np.arange(lung.shape[0])[:, None]
    rel_y = (yy - top) / max(bottom - top, 1)
    inside = prepared.lung_signed_mm >= 2.0
    hull_only = (prepared.hull_signed_mm >= 3.0) & ~lung
    below = prepared.below_base_mm
    return {
        "lung": inside & (rel_y >= APEX_FRACTION),
        "apex": inside & (rel_y < APEX_FRACTION),
        "retrocardiac": hull_only & (rel_y > 0.45),
        "subdiaphragmatic": (below >= SUBDIAPHRAGM_MM[0])
        & (below <= SUBDIAPHRAGM_MM[1])
        & prepared.roi,
    }


def _far_enough(
    x: float,
    y: float,
    radius_px: float,
    avoid: list[tuple[float, float, float]],
    mmpx: float,
) -> bool:
    clearance = CLEARANCE_MM / mmpx
    return all(
        math.hypot(x - ax, y - ay) >= radius_px + ar + clearance for ax, ay, ar in avoid
    )


def sample_implants(
    prepared: PreparedImage,
    rng: np.random.Generator,
    settings: ImplantSettings,
    avoid: list[tuple[float, float, float]],
) -> list[Implant]:
    """Draw ``settings.per_film`` implants clear of ``avoid`` (x, y, radius px).

    ``avoid`` holds the film's real nodules on the working grid; each implant is added
    to it so implants keep apart too. Fewer come back when the film has no room.
    """
    mmpx = prepared.grid.mm_per_px
    zones = {k: np.argwhere(v) for k, v in implant_zones(prepared).items()}
    names = [k for k in ZONE_WEIGHTS if len(zones[k])]
    if not names:
        return []
    weights = np.array([ZONE_WEIGHTS[k] for k in names])
    taken = list(avoid)
    out: list[Implant] = []
    for _ in range(settings.per_film * 20):
        if len(out) >= settings.per_film:
            break
        zone = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        y, x = zones[zone][int(rng.integers(len(zones[zone])))]
        low, high = settings.diameter_mm
        diameter = float(math.exp(rng.uniform(math.log(low), math.log(high))))
        radius_px = diameter / 2 / mmpx
        if not _far_enough(float(x), float(y), radius_px, taken, mmpx):
            continue
        lobulated = rng.random() < settings.lobulated_fraction
        orders = 4 if lobulated else 0
        out.append(
            Implant(
                x=float(x),
                y=float(y),
                diameter_mm=diameter,
                amplitude=float(math.exp(rng.uniform(*np.log(settings.amplitude)))),
                edge_sigma_mm=float(rng.uniform(*settings.edge_sigma_mm)),
                zone=zone,
                harmonics=tuple(
                    float(rng.uniform(0.0, 0.12) / math.sqrt(k + 1))
                    for k in range(orders)
                ),
                phases=tuple(float(rng.uniform(0, 2 * math.pi)) for _ in range(orders)),
            )
        )
        taken.append((float(x), float(y), radius_px))
    return out


def render_implant(
    implant: Implant, mmpx: float
) -> tuple[FloatImage, BoolMask, int, int]:
    """The implant's added intensity and mask on a local window, and its top-left pixel.

    The radius is set so the mask's area-equivalent diameter is the requested one
    (lobulation enlarges the area by ``1 + sum(a_k^2) / 2``).
    """
    area_gain = 1 + 0.5 * sum(a * a for a in implant.harmonics)
    radius = implant.diameter_mm / 2 / mmpx / math.sqrt(area_gain)
    sigma = implant.edge_sigma_mm / mmpx
    peak_radius = radius * (1 + sum(implant.harmonics))
    half = math.ceil(peak_radius + 3 * sigma + 2)
    left, top = round(implant.x) - half, round(implant.y) - half
    yy, xx = np.mgrid[top : top + 2 * half + 1, left : left + 2 * half + 1].astype(
        np.float64
    )
    dx, dy = xx - implant.x, yy - implant.y
    theta = np.arctan2(dy, dx)
    boundary = np.full(theta.shape, radius)
    for k, (a, phase) in enumerate(zip(implant.harmonics, implant.phases, strict=True)):
        boundary *= 1 + a * np.cos((k + 2) * theta + phase)
    rel = np.hypot(dx, dy) / boundary
    mask = rel < 1.0
    thickness = np.sqrt(np.clip(1.0 - rel**2, 0.0, None))
    if sigma > 0.1:
        thickness = cv2.GaussianBlur(thickness, (0, 0), sigma)
    return (implant.amplitude * thickness).astype(np.float32), mask, left, top


def headroom(background: float, ceiling: float) -> float:
    """How much of an implant's contrast the film can show over ``background``.

    A film's characteristic curve flattens towards its brightest values, so a mass over
    the heart or the liver shows less contrast than the same mass over aerated lung
    (normalised value about 0). Linear in the remaining room below the film's 99.5th
    percentile, never below a quarter.
    """
    if ceiling <= 0:
        return 1.0
    return float(np.clip((ceiling - background) / ceiling, 0.25, 1.0))


def apply_implants(
    normalised: FloatImage, implants: list[Implant], mmpx: float
) -> tuple[FloatImage, BoolMask]:
    """A copy of the working image with the implants added, and their union mask.

    Each implant's amplitude is scaled by :func:`headroom` of the film under it, and the
    result never exceeds the film's brightest value: a film cannot show more
    attenuation than its own saturation.
    """
    out = normalised.astype(np.float32, copy=True)
    mask = np.zeros(normalised.shape, bool)
    brightest = float(normalised.max())
    ceiling = float(np.percentile(normalised, 99.5))
    rows, cols = normalised.shape
    for implant in implants:
        added, local, left, top = render_implant(implant, mmpx)
        y0, x0 = max(top, 0), max(left, 0)
        y1 = min(top + added.shape[0], rows)
        x1 = min(left + added.shape[1], cols)
        if y0 >= y1 or x0 >= x1:
            continue
        window = (slice(y0, y1), slice(x0, x1))
        crop = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        room = headroom(float(np.median(normalised[window])), ceiling)
        out[window] += room * added[crop]
        mask[window] |= local[crop]
    np.minimum(out, brightest, out=out)
    return out, mask
