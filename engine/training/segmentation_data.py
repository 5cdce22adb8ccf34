"""Data for the anatomy segmentation network: input preprocessing, targets, augmentation.

numpy and OpenCV only (no torch), so the benchmark and the engine can import
:func:`preprocess_image`, the reference implementation of the preprocessing that
``engine/models/anatomy_seg.json`` describes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from engine.segmentation_postprocess import (
    ANATOMY_CHANNELS,
    LetterboxGeometry,
    letterbox_geometry,
)

__all__ = [
    "AugmentConfig",
    "LabelledCase",
    "PreparedCase",
    "PreprocessSpec",
    "augment",
    "build_targets",
    "dice",
    "load_labelled_cases",
    "normalise_intensity",
    "prepare_case",
    "preprocess_image",
    "split_train_validation",
    "standardise",
    "unit_square",
]

FloatImage = npt.NDArray[np.float32]
BoolStack = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, kw_only=True)
class PreprocessSpec:
    """Everything needed to turn a radiograph into the network input, as stored in JSON.

    ``mean``/``std`` standardise the 0..1 image; they are fixed numbers measured on the
    training split, not per-image statistics, so that the brightness/contrast
    augmentation teaches something the normalisation does not undo.
    """

    input_size: int
    mean: float
    std: float
    percentile_low: float = 1.0
    percentile_high: float = 99.0

    def __post_init__(self) -> None:
        if self.input_size < 16 or self.input_size % 16:
            raise ValueError(
                f"input_size must be a multiple of 16, got {self.input_size!r}"
            )
        if self.std <= 0:
            raise ValueError(f"std must be positive, got {self.std!r}")
        if not 0 <= self.percentile_low < self.percentile_high <= 100:
            raise ValueError(
                f"percentiles must satisfy 0 <= low < high <= 100, got "
                f"{self.percentile_low!r}, {self.percentile_high!r}"
            )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON block the engine reads to reproduce the preprocessing."""
        n = self.input_size
        return {
            "reference_implementation": "engine.training.segmentation_data.preprocess_image",
            "input_name": "image",
            "input_shape": [1, 1, n, n],
            "input_dtype": "float32",
            "channel_order": "one grayscale channel, NCHW; brighter = more attenuating "
            "(bone white, lung dark), as engine.Radiograph pixels",
            "input_size": n,
            "steps": [
                "1. x = image as float32 (any scale; uint8 PNG or the 0..1 Radiograph "
                "pixels give the same result up to float rounding).",
                f"2. lo, hi = numpy.percentile(x, [{self.percentile_low}, "
                f"{self.percentile_high}]) over all pixels of the image as imported "
                "(default linear interpolation); x = clip((x - lo) / (hi - lo), 0, 1) "
                "in float32; if hi <= lo, x = 0.",
                "3. pad_value = numpy.median of the border pixels of x (first row, last "
                "row, first column, last column, concatenated in that order).",
                "4. Letterbox: pad the short side symmetrically with pad_value to a square "
                "of side S = max(H, W); before = (S - short) // 2, after = the rest.",
                f"5. Resize the S x S square to {n} x {n} with cv2.resize, "
                "interpolation INTER_AREA when S >= "
                f"{n}, else INTER_LINEAR.",
                f"6. x = (x - {self.mean}) / {self.std} in float32.",
            ],
            "percentile_low": self.percentile_low,
            "percentile_high": self.percentile_high,
            "padding": "symmetric, value = median of the normalised image's border pixels",
            "resize": "cv2.INTER_AREA (downsampling) / cv2.INTER_LINEAR (upsampling)",
            "mean": self.mean,
            "std": self.std,
        }

    @classmethod
    def from_json(cls, block: dict[str, Any]) -> PreprocessSpec:
        """Build the spec from the ``preprocessing`` block of ``anatomy_seg.json``."""
        return cls(
            input_size=int(block["input_size"]),
            mean=float(block["mean"]),
            std=float(block["std"]),
            percentile_low=float(block["percentile_low"]),
            percentile_high=float(block["percentile_high"]),
        )


def normalise_intensity(
    image: npt.NDArray[Any], low: float = 1.0, high: float = 99.0
) -> FloatImage:
    """Map the ``low``..``high`` percentile range of ``image`` to 0..1, clipping outside."""
    x = np.asarray(image, dtype=np.float32)
    lo, hi = (float(v) for v in np.percentile(x, [low, high]))
    if hi <= lo:
        return np.zeros_like(x)
    out: FloatImage = np.clip((x - np.float32(lo)) / np.float32(hi - lo), 0.0, 1.0)
    return out.astype(np.float32, copy=False)


def _border_median(x: FloatImage) -> float:
    border = np.concatenate([x[0, :], x[-1, :], x[:, 0], x[:, -1]])
    return float(np.median(border))


def unit_square(
    image: npt.NDArray[Any], size: int, *, low: float = 1.0, high: float = 99.0
) -> tuple[FloatImage, float, LetterboxGeometry]:
    """Run steps 1-5 of the preprocessing: normalise, letterbox, resize.

    Returns:
        The ``size`` x ``size`` float32 image in 0..1, the padding value, and where the
        original image sits in the letterbox.

    Raises:
        ValueError: if ``image`` is not a 2-D grayscale array.
    """
    if image.ndim != 2:
        raise ValueError(
            f"image must be 2-D grayscale (H, W), got shape {image.shape!r}; "
            "convert colour images to grayscale first"
        )
    x = normalise_intensity(image, low, high)
    pad_value = _border_median(x)
    geometry = letterbox_geometry(*x.shape)
    g = geometry
    square = cv2.copyMakeBorder(
        x,
        g.pad_top,
        g.side - g.height - g.pad_top,
        g.pad_left,
        g.side - g.width - g.pad_left,
        cv2.BORDER_CONSTANT,
        value=pad_value,
    )
    interpolation = cv2.INTER_AREA if g.side >= size else cv2.INTER_LINEAR
    resized = cv2.resize(square, (size, size), interpolation=interpolation)
    return resized.astype(np.float32, copy=False), pad_value, geometry


def standardise(unit: FloatImage, spec: PreprocessSpec) -> FloatImage:
    """Run step 6 of the preprocessing: fixed mean/std standardisation."""
    out: FloatImage = (unit - np.float32(spec.mean)) / np.float32(spec.std)
    return out.astype(np.float32, copy=False)


def preprocess_image(
    image: npt.NDArray[Any], spec: PreprocessSpec
) -> tuple[FloatImage, LetterboxGeometry]:
    """Turn a grayscale radiograph into the ``(1, 1, N, N)`` network input.

    Args:
        image: ``(H, W)`` pixels, brighter = more attenuating, any numeric scale.
        spec: the preprocessing recorded beside the weights.

    Returns:
        The input tensor and the letterbox geometry needed to map outputs back.

    Raises:
        ValueError: if ``image`` is not a 2-D grayscale array.
    """
    unit, _, geometry = unit_square(
        image, spec.input_size, low=spec.percentile_low, high=spec.percentile_high
    )
    return standardise(unit, spec)[None, None], geometry


# --------------------------------------------------------------------------- targets


def build_targets(
    lungs: npt.NDArray[np.bool_], anatomy: npt.NDArray[np.uint8] | None
) -> tuple[BoolStack, npt.NDArray[np.bool_]]:
    """Build the five target masks of one training case.

    Lung targets are the full lung fields of ``mask_lungs`` (including the strip under
    the clavicles), split by side with the anatomy labels 1/4 (patient right) and 2/5
    (patient left); the few lung pixels under the heart label go to the nearer side.
    Without an anatomy map only the lungs are known: they are split into the two largest
    connected fields by position, and the other channels are marked invalid.

    Returns:
        ``(5, H, W)`` boolean targets in :data:`ANATOMY_CHANNELS` order, and a ``(5,)``
        boolean vector saying which channels carry ground truth.
    """
    h, w = lungs.shape
    targets = np.zeros((len(ANATOMY_CHANNELS), h, w), dtype=bool)
    valid = np.ones(len(ANATOMY_CHANNELS), dtype=bool)
    if anatomy is None:
        right_seed, left_seed = _split_lungs_by_position(lungs)
        valid[2:] = False
    else:
        right_seed = lungs & np.isin(anatomy, (1, 4))
        left_seed = lungs & np.isin(anatomy, (2, 5))
        targets[2] = anatomy == 3
        targets[3] = anatomy == 4
        targets[4] = anatomy == 5
    if not right_seed.any() or not left_seed.any():
        raise ValueError("lung mask must show both lungs to split them by side")
    to_right = ndimage.distance_transform_edt(~right_seed)
    to_left = ndimage.distance_transform_edt(~left_seed)
    targets[0] = lungs & (to_right <= to_left)
    targets[1] = lungs & ~targets[0]
    return targets, valid


def _split_lungs_by_position(
    lungs: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    labels, count = ndimage.label(lungs)
    if count < 2:
        raise ValueError("lung mask must hold two separate lung fields")
    sizes = np.bincount(labels.ravel())[1:]
    first, second = (int(i) + 1 for i in np.argsort(sizes)[::-1][:2])
    centre = {k: float(np.nonzero(labels == k)[1].mean()) for k in (first, second)}
    # Patient right is on the image left of a PA film.
    right_label = min(centre, key=centre.__getitem__)
    left_label = max(centre, key=centre.__getitem__)
    return labels == right_label, labels == left_label


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledCase:
    """One training/validation radiograph with its targets on its own pixel grid."""

    case_id: str
    image: npt.NDArray[np.uint8] = field(repr=False)
    targets: BoolStack = field(repr=False)
    valid: npt.NDArray[np.bool_] = field(repr=False)


def _read_gray(path: Path) -> npt.NDArray[np.uint8]:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; check the data folder and manifest"
        )
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError(f"{path} could not be decoded as an image")
    return np.asarray(image, dtype=np.uint8)


def load_labelled_cases(
    data_dir: Path, *, limit: int | None = None
) -> list[LabelledCase]:
    """Read every manifest row of ``data_dir`` that has an image and a lung mask.

    Args:
        data_dir: a folder with ``manifest.csv`` whose ``file``, ``mask_lungs`` and
            ``mask_anatomy`` columns name PNGs relative to the folder.
        limit: read only the first ``limit`` usable rows (smoke tests).

    Raises:
        FileNotFoundError: if the manifest or a file it names is missing.
    """
    manifest = data_dir / "manifest.csv"
    if not manifest.is_file():
        raise FileNotFoundError(f"{manifest} is missing; pass the training data folder")
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle) if r.get("file") and r.get("mask_lungs")
        ]
    rows.sort(key=lambda r: r["case_id"])
    cases = []
    for row in rows[:limit]:
        image = _read_gray(data_dir / row["file"])
        lungs = _read_gray(data_dir / row["mask_lungs"]) > 127
        anatomy = (
            _read_gray(data_dir / row["mask_anatomy"])
            if row.get("mask_anatomy")
            else None
        )
        targets, valid = build_targets(lungs, anatomy)
        cases.append(
            LabelledCase(
                case_id=row["case_id"], image=image, targets=targets, valid=valid
            )
        )
    return cases


def split_train_validation(
    cases: list[LabelledCase], validation_count: int, seed: int
) -> tuple[list[LabelledCase], list[LabelledCase]]:
    """Hold out ``validation_count`` fully labelled cases, chosen reproducibly by seed."""
    rng = np.random.default_rng(seed)
    candidates = [i for i, c in enumerate(cases) if c.valid.all()]
    if validation_count >= len(candidates):
        raise ValueError(
            f"validation_count must be below the {len(candidates)} fully labelled cases, "
            f"got {validation_count!r}"
        )
    held = set(rng.permutation(candidates)[:validation_count].tolist())
    train = [c for i, c in enumerate(cases) if i not in held]
    validation = [c for i, c in enumerate(cases) if i in held]
    return train, validation


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedCase:
    """A case after steps 1-5 of the preprocessing, cached for fast augmentation."""

    case_id: str
    unit: FloatImage = field(repr=False)
    pad_value: float
    targets: FloatImage = field(repr=False)
    valid: npt.NDArray[np.bool_] = field(repr=False)


def prepare_case(case: LabelledCase, size: int) -> PreparedCase:
    """Preprocess a case's image and area-resample its targets to ``size``.

    Targets are resized with the same letterbox and INTER_AREA as the image, so border
    pixels become soft (fractional) targets rather than jagged ones.
    """
    unit, pad_value, g = unit_square(case.image, size)
    targets = np.empty((len(ANATOMY_CHANNELS), size, size), dtype=np.float32)
    for c, mask in enumerate(case.targets):
        square = cv2.copyMakeBorder(
            mask.astype(np.float32),
            g.pad_top,
            g.side - g.height - g.pad_top,
            g.pad_left,
            g.side - g.width - g.pad_left,
            cv2.BORDER_CONSTANT,
            value=0.0,
        )
        interpolation = cv2.INTER_AREA if g.side >= size else cv2.INTER_LINEAR
        targets[c] = cv2.resize(square, (size, size), interpolation=interpolation)
    return PreparedCase(
        case_id=case.case_id,
        unit=unit,
        pad_value=pad_value,
        targets=targets,
        valid=case.valid,
    )


# ---------------------------------------------------------------------- augmentation


@dataclass(frozen=True, slots=True, kw_only=True)
class AugmentConfig:
    """Ranges of the random augmentation. No flips: left and right matter."""

    rotation_deg: float = 10.0
    scale: tuple[float, float] = (0.9, 1.1)
    translation: float = 0.06  # fraction of the side, each axis
    gamma: tuple[float, float] = (0.7, 1.5)
    contrast: tuple[float, float] = (0.8, 1.2)
    brightness: float = 0.08
    blur_probability: float = 0.2
    blur_sigma: tuple[float, float] = (0.3, 1.2)
    noise_probability: float = 0.25
    noise_sigma: tuple[float, float] = (0.005, 0.03)
    # Pad strips imitate the letterbox of non-square films and tight collimation.
    strip_probability: float = 0.15
    strip_fraction: float = 0.1


def augment(
    case: PreparedCase, rng: np.random.Generator, config: AugmentConfig
) -> tuple[FloatImage, FloatImage]:
    """Return one randomly transformed ``(unit image, targets)`` pair of ``case``."""
    n = case.unit.shape[0]
    angle = rng.uniform(-config.rotation_deg, config.rotation_deg)
    scale = rng.uniform(*config.scale)
    shift = rng.uniform(-config.translation, config.translation, size=2) * n
    matrix = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), angle, scale)
    matrix[:, 2] += shift
    image: FloatImage = np.empty_like(case.unit)
    image[:] = cv2.warpAffine(
        case.unit,
        matrix,
        (n, n),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=case.pad_value,
    )
    targets: FloatImage = np.empty_like(case.targets)
    for c, target in enumerate(case.targets):
        targets[c] = cv2.warpAffine(
            target, matrix, (n, n), flags=cv2.INTER_LINEAR, borderValue=0.0
        )
    if rng.random() < config.strip_probability:
        width = int(rng.uniform(0.02, config.strip_fraction) * n)
        axis = int(rng.integers(2))
        for part in (slice(0, width), slice(n - width, n)):
            index = (part, slice(None)) if axis == 0 else (slice(None), part)
            image[index] = case.pad_value
            targets[(slice(None), *index)] = 0.0
    image = _augment_intensity(image, rng, config)
    return image, targets


def _augment_intensity(
    image: FloatImage, rng: np.random.Generator, config: AugmentConfig
) -> FloatImage:
    x: npt.NDArray[Any] = image
    if rng.random() < 0.5:
        x = np.power(np.clip(x, 0.0, 1.0), np.float32(rng.uniform(*config.gamma)))
    if rng.random() < 0.5:
        contrast = np.float32(rng.uniform(*config.contrast))
        brightness = np.float32(rng.uniform(-config.brightness, config.brightness))
        x = (x - np.float32(0.5)) * contrast + np.float32(0.5) + brightness
    if rng.random() < config.blur_probability:
        sigma = rng.uniform(*config.blur_sigma)
        x = cv2.GaussianBlur(x, (0, 0), sigmaX=sigma)
    if rng.random() < config.noise_probability:
        sigma = rng.uniform(*config.noise_sigma)
        x = x + rng.normal(0.0, sigma, size=x.shape).astype(np.float32)
    return np.asarray(x, dtype=np.float32)


def dice(prediction: npt.NDArray[np.bool_], truth: npt.NDArray[np.bool_]) -> float:
    """Dice overlap of two boolean masks (1.0 when both are empty)."""
    total = int(prediction.sum()) + int(truth.sum())
    if total == 0:
        return 1.0
    return 2.0 * int(np.logical_and(prediction, truth).sum()) / total
