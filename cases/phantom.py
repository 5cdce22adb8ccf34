"""Synthetic frontal (PA) chest phantoms with known ground truth, made with NumPy.

A phantom is an attenuation map in [0, 1] (1 = most attenuating, white on a display):
air outside the body, soft tissue, two dark lung fields either side of a bright
mediastinum and heart, ribs, clavicles, hila with vessels fanning out, hemidiaphragm
domes (the right one higher) and, on request, nodules of known size and position and a
streaky opacity. Proportions follow an adult PA film: thorax about 80 % of the image
width, each lung about 30 %, upper mediastinum about 18 % and the heart about 32 % at its
widest (cardiothoracic ratio about 0.4), the heart in the lower middle and extending to
the patient's left (image right).

Coordinates follow docs/architecture.md: pixels, origin top-left, ``x`` right, ``y`` down;
on this PA view the patient's right lung is on the image left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw
from scipy import ndimage

from cases.model import Side

BoolMask = npt.NDArray[np.bool_]
FloatImage = npt.NDArray[np.float32]

# Outlines in image fractions (u = x / width, v = y / height), PA view. Lung outlines run
# past the mediastinum medially; the mediastinum and heart are cut out of them.
_RIGHT_LUNG = (
    (0.300, 0.098), (0.255, 0.110), (0.205, 0.140), (0.165, 0.190), (0.135, 0.260), (0.115, 0.350),
    (0.102, 0.460), (0.096, 0.570), (0.100, 0.680), (0.110, 0.750), (0.120, 0.785), (0.160, 0.745),
    (0.210, 0.700), (0.270, 0.672), (0.330, 0.678), (0.390, 0.700), (0.470, 0.735), (0.470, 0.250),
    (0.420, 0.165), (0.380, 0.122), (0.340, 0.102),
)  # fmt: skip
_LEFT_LUNG = (
    (0.700, 0.103), (0.745, 0.115), (0.795, 0.145), (0.835, 0.195), (0.865, 0.265), (0.885, 0.355),
    (0.898, 0.465), (0.904, 0.575), (0.900, 0.690), (0.890, 0.770), (0.880, 0.805), (0.840, 0.765),
    (0.790, 0.730), (0.730, 0.708), (0.680, 0.715), (0.610, 0.730), (0.530, 0.745), (0.530, 0.250),
    (0.580, 0.170), (0.620, 0.127), (0.660, 0.107),
)  # fmt: skip
_MEDIASTINUM = (
    (0.445, 0.050), (0.555, 0.050), (0.570, 0.150), (0.585, 0.235), (0.612, 0.265), (0.624, 0.300),
    (0.612, 0.335), (0.605, 0.370), (0.628, 0.440), (0.650, 0.520), (0.560, 0.600), (0.400, 0.540),
    (0.405, 0.440), (0.402, 0.330), (0.410, 0.220), (0.428, 0.120),
)  # fmt: skip
# Heart: an ellipse tilted so that the apex points down and to the patient's left.
_HEART_CENTER, _HEART_AXES, _HEART_TILT = (
    (0.545, 0.605),
    (0.172, 0.142),
    math.radians(-28),
)
# Hemidiaphragm dome lines, right (image left) then left; the right dome is higher.
_DIAPHRAGM = (
    (0.00, 0.83), (0.08, 0.80), (0.12, 0.785), (0.16, 0.745), (0.21, 0.700), (0.27, 0.672),
    (0.33, 0.678), (0.39, 0.700), (0.46, 0.735), (0.54, 0.745), (0.61, 0.730), (0.68, 0.715),
    (0.73, 0.708), (0.79, 0.730), (0.84, 0.765), (0.88, 0.805), (0.92, 0.820), (1.00, 0.850),
)  # fmt: skip
_RIGHT_HILUM = (0.400, 0.425)
_LEFT_HILUM = (0.612, 0.405)
_RIGHT_DOME = (0.270, 0.672)
_LEFT_DOME = (0.730, 0.708)

AIR, SOFT_TISSUE, ABDOMEN, LUNG, MEDIASTINUM = 0.04, 0.76, 0.90, 0.40, 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class NoduleSpec:
    """A round opacity placed inside one lung.

    ``lateral`` runs from the lung's medial edge (0) to its lateral edge (1) on the
    nodule's row; ``caudal`` from the apex (0) to the base (1) of that lung, so
    ``(0.75, 0.5)`` is the outer band of the middle zone.
    """

    side: Side
    lateral: float
    caudal: float
    diameter_mm: float
    contrast: float = 0.22
    lobulated: bool = False
    spiculated: bool = False

    def __post_init__(self) -> None:
        if self.side not in (Side.RIGHT, Side.LEFT):
            raise ValueError(
                f"a nodule lies in the right or left lung, got {self.side!r}"
            )
        for name, value in (("lateral", self.lateral), ("caudal", self.caudal)):
            if not 0.05 <= value <= 0.95:
                raise ValueError(
                    f"nodule {name} must be in [0.05, 0.95], got {value!r}"
                )
        if not 2.0 <= self.diameter_mm <= 60.0:
            raise ValueError(
                f"nodule diameter_mm must be in [2, 60], got {self.diameter_mm!r}"
            )
        if not 0.0 < self.contrast <= 0.6:
            raise ValueError(
                f"nodule contrast must be in (0, 0.6], got {self.contrast!r}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class OpacitySpec:
    """A streaky (linear, patchy) opacity inside one lung, placed like a nodule."""

    side: Side
    lateral: float
    caudal: float
    width_mm: float
    height_mm: float
    contrast: float = 0.12

    def __post_init__(self) -> None:
        if self.side not in (Side.RIGHT, Side.LEFT):
            raise ValueError(
                f"an opacity lies in the right or left lung, got {self.side!r}"
            )
        if not (0.05 <= self.lateral <= 0.95 and 0.05 <= self.caudal <= 0.95):
            raise ValueError(
                f"opacity position must be in [0.05, 0.95], got ({self.lateral}, {self.caudal})"
            )
        if self.width_mm <= 0 or self.height_mm <= 0:
            raise ValueError(
                f"opacity size must be positive, got {self.width_mm} x {self.height_mm} mm"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class PhantomSpec:
    """What to draw: matrix size, pixel spacing, lesions and the noise seed."""

    rows: int = 1024
    columns: int = 1024
    spacing_mm: float = 0.35
    """Square pixel size; 1024 px at 0.35 mm is a 36 cm field, like a downsized JSRT film."""
    nodules: tuple[NoduleSpec, ...] = ()
    opacity: OpacitySpec | None = None
    seed: int = 0
    noise: float = 0.006

    def __post_init__(self) -> None:
        if not (64 <= self.rows <= 8192 and 64 <= self.columns <= 8192):
            raise ValueError(
                f"phantom size must be 64..8192 px, got {self.columns}x{self.rows}"
            )
        if not 0.02 <= self.spacing_mm <= 5.0:
            raise ValueError(f"spacing_mm must be in [0.02, 5], got {self.spacing_mm}")


@dataclass(frozen=True, slots=True, kw_only=True)
class NoduleTruth:
    """Where a nodule was drawn."""

    side: Side
    center_px: tuple[float, float]
    """(x, y) in pixels."""
    diameter_mm: float
    diameter_px: float
    lobulated: bool
    spiculated: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OpacityTruth:
    """Where the streaky opacity was drawn."""

    side: Side
    box_px: tuple[float, float, float, float]
    """[x0, y0, x1, y1] in pixels."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PhantomTruth:
    """Ground truth of a phantom, in its pixels."""

    rows: int
    columns: int
    spacing_mm: float
    right_lung: BoolMask = field(compare=False, repr=False)
    left_lung: BoolMask = field(compare=False, repr=False)
    heart: BoolMask = field(compare=False, repr=False)
    right_hilum_px: tuple[float, float]
    left_hilum_px: tuple[float, float]
    right_dome_px: tuple[float, float]
    """Top of the right hemidiaphragm (higher than the left)."""
    left_dome_px: tuple[float, float]
    nodules: tuple[NoduleTruth, ...]
    opacity: OpacityTruth | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Phantom:
    """Attenuation image (float32, 0..1, 1 = white) and its ground truth."""

    pixels: FloatImage = field(compare=False, repr=False)
    truth: PhantomTruth
    spec: PhantomSpec


# ---------------------------------------------------------------------------- drawing


def _polygon_mask(
    points: tuple[tuple[float, float], ...], rows: int, columns: int
) -> BoolMask:
    canvas = PILImage.new("1", (columns, rows), 0)
    ImageDraw.Draw(canvas).polygon([(u * columns, v * rows) for u, v in points], fill=1)
    return np.asarray(canvas, dtype=bool)


def _to_px(point: tuple[float, float], rows: int, columns: int) -> tuple[float, float]:
    return point[0] * columns, point[1] * rows


def _band(
    distance: npt.NDArray[np.float64], half_width: float
) -> npt.NDArray[np.float64]:
    """Soft-edged band profile: 1 on the centre line, falling to 0 at ``half_width``."""
    return np.clip(1.0 - (distance / half_width) ** 2, 0.0, 1.0)


def _body(
    u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Soft-tissue thickness: a neck that widens into shoulders and a chest wall."""
    half = 0.24 + 0.22 * np.clip((v - 0.03) / 0.17, 0.0, 1.0) ** 0.7
    inside = np.clip((half - np.abs(u - 0.5)) / 0.02, 0.0, 1.0)
    return inside * (
        0.85
        + 0.15 * np.sqrt(np.clip(1 - ((u - 0.5) / np.maximum(half, 1e-6)) ** 2, 0, 1))
    )


def _ribs(
    u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Posterior ribs (arched from the spine, broad) and fainter anterior ribs."""
    d = np.abs(u - 0.5)
    t = np.clip((d - 0.03) / 0.40, 0.0, 1.0)
    ribs = np.zeros_like(u)
    lateral_of_spine = np.clip((d - 0.04) / 0.03, 0.0, 1.0)
    for k in range(10):
        posterior = 0.130 + 0.058 * k - 0.045 * np.sin(np.pi * t * 0.9) + 0.09 * t**2
        ribs = np.maximum(ribs, _band(np.abs(v - posterior), 0.012) * lateral_of_spine)
        anterior = 0.20 + 0.047 * k + 0.09 * (1.0 - t) ** 1.5
        ribs = np.maximum(
            ribs, 0.4 * _band(np.abs(v - anterior), 0.010) * (d > 0.14) * (t < 0.95)
        )
    return ribs


def _clavicles(
    u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    d = np.abs(u - 0.5)
    line = (
        0.160
        - 0.15 * (d - 0.05)
        + 0.03 * np.sin(np.pi * np.clip((d - 0.05) / 0.30, 0, 1))
    )
    along = np.clip((d - 0.045) / 0.02, 0, 1) * np.clip((0.36 - d) / 0.02, 0, 1)
    return _band(np.abs(v - line), 0.011) * along


def _spine(
    u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    column = _band(np.abs(u - 0.5), 0.032)
    vertebrae = 0.7 + 0.3 * np.cos(np.pi * v / 0.045) ** 2
    return column * vertebrae * (v > 0.04)


def _vessels(rows: int, columns: int, rng: np.random.Generator) -> FloatImage:
    """Tapering vessel markings that branch out from both hila and fade to the periphery."""
    canvas = PILImage.new("F", (columns, rows), 0.0)
    draw = ImageDraw.Draw(canvas)
    scale = min(rows, columns)

    def branch(
        x: float,
        y: float,
        angle: float,
        length: float,
        width: float,
        weight: float,
        depth: int,
    ) -> None:
        steps = 4
        for _ in range(steps):
            angle += rng.normal(0, 0.08)
            x2 = x + math.cos(angle) * length / steps
            y2 = y + math.sin(angle) * length / steps
            draw.line([(x, y), (x2, y2)], fill=weight, width=max(1, round(width)))
            x, y, width, weight = x2, y2, width * 0.85, weight * 0.85
        if depth > 0:
            for turn in (-0.35, 0.35):
                branch(
                    x,
                    y,
                    angle + turn + rng.normal(0, 0.1),
                    length * 0.6,
                    width * 0.8,
                    weight,
                    depth - 1,
                )

    for hilum, outward in ((_RIGHT_HILUM, math.pi), (_LEFT_HILUM, 0.0)):
        hx, hy = _to_px(hilum, rows, columns)
        for spread in np.linspace(-1.1, 1.1, 7):
            # Lower-lobe vessels run more steeply downward than upper-lobe ones.
            angle = outward + (spread if outward == 0.0 else -spread) * 1.0
            branch(
                hx, hy, angle, scale * rng.uniform(0.07, 0.11), scale * 0.007, 1.0, 2
            )
    vessels = np.asarray(canvas, dtype=np.float32)
    return ndimage.gaussian_filter(vessels, sigma=max(0.8, scale / 600))


def _airway(
    u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Trachea down the midline to the carina, then the two main bronchi toward the hila."""
    trachea = (
        _band(np.abs(u - 0.505), 0.024) * np.clip((0.36 - v) / 0.02, 0, 1) * (v > 0.04)
    )
    airway = trachea
    for hilum in (_RIGHT_HILUM, _LEFT_HILUM):
        t = np.clip((v - 0.36) / (hilum[1] + 0.02 - 0.36), 0.0, 1.0)
        centre = 0.505 + (hilum[0] - 0.505) * 0.7 * t
        airway = np.maximum(
            airway, _band(np.abs(u - centre), 0.014) * (v >= 0.355) * (t < 1.0)
        )
    return airway


def _ellipse_mask(u: npt.NDArray[np.float64], v: npt.NDArray[np.float64]) -> BoolMask:
    cos_t, sin_t = math.cos(_HEART_TILT), math.sin(_HEART_TILT)
    du, dv = u - _HEART_CENTER[0], v - _HEART_CENTER[1]
    along, across = du * cos_t + dv * sin_t, -du * sin_t + dv * cos_t
    return np.asarray(
        (along / _HEART_AXES[0]) ** 2 + (across / _HEART_AXES[1]) ** 2 <= 1.0
    )


def _lung_row_span(mask: BoolMask, y: int) -> tuple[int, int]:
    xs = np.flatnonzero(mask[y])
    return int(xs.min()), int(xs.max())


def _place(
    mask: BoolMask, side: Side, lateral: float, caudal: float
) -> tuple[float, float]:
    """Return the pixel (x, y) at fractional (lateral, caudal) position inside one lung."""
    ys = np.flatnonzero(mask.any(axis=1))
    y = round(ys.min() + caudal * (ys.max() - ys.min()))
    x0, x1 = _lung_row_span(mask, y)
    # Patient right lung is on the image left, so its lateral edge is the smaller x.
    medial, outer = (x1, x0) if side is Side.RIGHT else (x0, x1)
    x = medial + lateral * (outer - medial)
    if not mask[y, round(x)]:
        raise ValueError(
            f"position ({lateral}, {caudal}) falls outside the {side} lung; choose another"
        )
    return float(x), float(y)


def _nodule(
    shape: tuple[int, int],
    center: tuple[float, float],
    radius: float,
    spec: NoduleSpec,
    rng: np.random.Generator,
) -> FloatImage:
    rows, columns = shape
    yy, xx = np.mgrid[0:rows, 0:columns]
    dx, dy = xx - center[0], yy - center[1]
    r = np.hypot(dx, dy)
    theta = np.arctan2(dy, dx)
    edge = np.full_like(r, radius)
    if spec.lobulated:
        phase = rng.uniform(0, 2 * np.pi)
        edge = radius * (
            1 + 0.20 * np.sin(3 * theta + phase) + 0.05 * np.sin(5 * theta + 2 * phase)
        )
    # A sphere's projected thickness: sqrt(1 - (r / R)^2).
    blob = np.sqrt(np.clip(1.0 - (r / edge) ** 2, 0.0, 1.0))
    if spec.spiculated:
        canvas = PILImage.new("F", (columns, rows), 0.0)
        draw = ImageDraw.Draw(canvas)
        for angle in rng.uniform(0, 2 * np.pi, 12):
            length = radius * rng.uniform(0.5, 0.9)
            start = (
                center[0] + math.cos(angle) * radius * 0.9,
                center[1] + math.sin(angle) * radius * 0.9,
            )
            end = (
                start[0] + math.cos(angle) * length,
                start[1] + math.sin(angle) * length,
            )
            draw.line([start, end], fill=0.55, width=max(1, int(radius * 0.12)))
        blob = np.maximum(blob, np.asarray(canvas, dtype=np.float64))
    return (
        ndimage.gaussian_filter(blob, sigma=max(0.6, radius * 0.06)) * spec.contrast
    ).astype(np.float32)


def _streaks(
    shape: tuple[int, int],
    center: tuple[float, float],
    size_px: tuple[float, float],
    spec: OpacitySpec,
    rng: np.random.Generator,
) -> FloatImage:
    rows, columns = shape
    canvas = PILImage.new("F", (columns, rows), 0.0)
    draw = ImageDraw.Draw(canvas)
    width_px, height_px = size_px
    for _ in range(9):
        cx = center[0] + rng.uniform(-0.4, 0.4) * width_px
        cy = center[1] + rng.uniform(-0.4, 0.4) * height_px
        angle = rng.uniform(0.35, 0.75)
        half = rng.uniform(0.25, 0.5) * width_px
        draw.line(
            [
                (cx - math.cos(angle) * half, cy - math.sin(angle) * half),
                (cx + math.cos(angle) * half, cy + math.sin(angle) * half),
            ],
            fill=1.0,
            width=max(1, int(min(width_px, height_px) * 0.06)),
        )
    yy, xx = np.mgrid[0:rows, 0:columns]
    haze = np.exp(
        -(
            ((xx - center[0]) / (width_px / 2)) ** 2
            + ((yy - center[1]) / (height_px / 2)) ** 2
        )
        * 2
    )
    streaks = ndimage.gaussian_filter(
        np.asarray(canvas, dtype=np.float64),
        sigma=max(0.8, min(width_px, height_px) * 0.03),
    )
    return ((0.7 * streaks + 0.35 * haze) * spec.contrast).astype(np.float32)


def make_phantom(spec: PhantomSpec | None = None) -> Phantom:
    """Draw a frontal chest phantom and return it with its ground truth.

    Raises:
        ValueError: a nodule or opacity position falls outside its lung.
    """
    spec = spec or PhantomSpec()
    rows, columns = spec.rows, spec.columns
    rng = np.random.default_rng(spec.seed)
    v, u = np.mgrid[0:rows, 0:columns].astype(np.float64)
    u = (u + 0.5) / columns
    v = (v + 0.5) / rows

    diaphragm = np.interp(u, [p[0] for p in _DIAPHRAGM], [p[1] for p in _DIAPHRAGM])
    heart = _ellipse_mask(u, v) & (v < diaphragm)
    central = heart | _polygon_mask(_MEDIASTINUM, rows, columns)
    right_lung = _polygon_mask(_RIGHT_LUNG, rows, columns) & ~central
    left_lung = _polygon_mask(_LEFT_LUNG, rows, columns) & ~central
    lungs = right_lung | left_lung
    blur = max(1.0, min(rows, columns) / 250)
    lung_soft = ndimage.gaussian_filter(lungs.astype(np.float64), sigma=blur)
    central_soft = ndimage.gaussian_filter(central.astype(np.float64), sigma=blur)

    body = _body(u, v)
    abdomen = ndimage.gaussian_filter(
        (v > diaphragm).astype(np.float64),
        sigma=blur,
    )
    image = AIR + ((SOFT_TISSUE + (ABDOMEN - SOFT_TISSUE) * abdomen) - AIR) * body
    periphery = np.clip((np.abs(u - 0.5) - 0.30) / 0.12, 0.0, 1.0)
    image = (
        image * (1 - lung_soft)
        + (LUNG + 0.08 * np.clip(0.3 - v, 0, 1) + 0.10 * periphery) * lung_soft
    )
    image = image * (1 - central_soft) + MEDIASTINUM * central_soft
    image += 0.015 * _spine(u, v) * body * (1 - abdomen * 0.7)
    image -= (
        0.16 * ndimage.gaussian_filter(_airway(u, v), sigma=blur * 1.5) * central_soft
    )
    image += 0.07 * _ribs(u, v) * body * (0.3 + 0.7 * lung_soft) * (1 - abdomen)
    image += 0.12 * _clavicles(u, v) * body
    hila = np.zeros_like(u)
    for hilum in (_RIGHT_HILUM, _LEFT_HILUM):
        hila += np.exp(-(((u - hilum[0]) / 0.035) ** 2 + ((v - hilum[1]) / 0.05) ** 2))
    image += 0.14 * hila * lung_soft
    image += 0.10 * _vessels(rows, columns, rng) * lung_soft

    nodules, opacity = [], None
    for nodule in spec.nodules:
        mask = right_lung if nodule.side is Side.RIGHT else left_lung
        center = _place(mask, nodule.side, nodule.lateral, nodule.caudal)
        diameter_px = nodule.diameter_mm / spec.spacing_mm
        image += _nodule((rows, columns), center, diameter_px / 2, nodule, rng)
        nodules.append(
            NoduleTruth(
                side=nodule.side,
                center_px=center,
                diameter_mm=nodule.diameter_mm,
                diameter_px=diameter_px,
                lobulated=nodule.lobulated,
                spiculated=nodule.spiculated,
            )
        )
    if spec.opacity is not None:
        o = spec.opacity
        mask = right_lung if o.side is Side.RIGHT else left_lung
        center = _place(mask, o.side, o.lateral, o.caudal)
        size_px = (o.width_mm / spec.spacing_mm, o.height_mm / spec.spacing_mm)
        image += _streaks((rows, columns), center, size_px, o, rng) * lung_soft
        half_w, half_h = size_px[0] / 2, size_px[1] / 2
        opacity = OpacityTruth(
            side=o.side,
            box_px=(
                center[0] - half_w,
                center[1] - half_h,
                center[0] + half_w,
                center[1] + half_h,
            ),
        )

    texture = ndimage.gaussian_filter(
        rng.normal(0.0, 1.0, (rows, columns)), sigma=max(1.0, min(rows, columns) / 256)
    )
    image += 0.012 * texture / max(float(texture.std()), 1e-9) * lung_soft
    image = ndimage.gaussian_filter(image, sigma=max(0.5, min(rows, columns) / 1400))
    image += rng.normal(0.0, spec.noise, (rows, columns))
    pixels = np.clip(image, 0.0, 1.0).astype(np.float32)

    truth = PhantomTruth(
        rows=rows,
        columns=columns,
        spacing_mm=spec.spacing_mm,
        right_lung=right_lung,
        left_lung=left_lung,
        heart=heart,
        right_hilum_px=_to_px(_RIGHT_HILUM, rows, columns),
        left_hilum_px=_to_px(_LEFT_HILUM, rows, columns),
        right_dome_px=_to_px(_RIGHT_DOME, rows, columns),
        left_dome_px=_to_px(_LEFT_DOME, rows, columns),
        nodules=tuple(nodules),
        opacity=opacity,
    )
    return Phantom(pixels=pixels, truth=truth, spec=spec)


def seed_scenario_spec(
    *, rows: int = 1024, columns: int = 1024, spacing_mm: float = 0.35, seed: int = 0
) -> PhantomSpec:
    """Return the seed article's film: a nodule and a streaky opacity.

    A lobulated, spiculated ~12 mm nodule in the outer band of the right middle zone and a
    25 x 18 mm streaky opacity in the left lower zone, as in the four-turn scenario.
    """
    return PhantomSpec(
        rows=rows,
        columns=columns,
        spacing_mm=spacing_mm,
        seed=seed,
        nodules=(
            NoduleSpec(
                side=Side.RIGHT,
                lateral=0.72,
                caudal=0.5,
                diameter_mm=12.0,
                lobulated=True,
                spiculated=True,
            ),
        ),
        opacity=OpacitySpec(
            side=Side.LEFT, lateral=0.55, caudal=0.8, width_mm=25.0, height_mm=18.0
        ),
    )


def render_phantom(
    *,
    size: int = 1024,
    spacing_mm: float = 0.35,
    seed: int = 0,
    with_lesions: bool = True,
) -> Phantom:
    """Return a square phantom: the seed article's film, or a normal chest without lesions.

    A shortcut for benchmarks and the demo builder; use ``make_phantom`` for full control.
    """
    if with_lesions:
        return make_phantom(
            seed_scenario_spec(
                rows=size, columns=size, spacing_mm=spacing_mm, seed=seed
            )
        )
    return make_phantom(
        PhantomSpec(rows=size, columns=size, spacing_mm=spacing_mm, seed=seed)
    )
