"""Value types shared by the vision engine, the dialogue and the backends."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt


class CalibrationSource(StrEnum):
    """Where a pixel spacing came from (DICOM PS3.3 C.7.6.2.1.1 and C.8.11.7)."""

    PIXEL_SPACING = "PixelSpacing"
    IMAGER_PIXEL_SPACING = "ImagerPixelSpacing"
    IMAGER_PIXEL_SPACING_ERMF = "ImagerPixelSpacing+ERMF"
    USER = "user"
    ESTIMATED = "estimated"
    NONE = "none"


class Side(StrEnum):
    """The patient's side (on a PA film the patient's right is the image left)."""

    RIGHT = "right"
    LEFT = "left"
    MIDLINE = "midline"


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """Physical size of one pixel.

    Attributes:
        row_mm: distance between the centres of adjacent rows (vertical), in mm.
        col_mm: distance between the centres of adjacent columns (horizontal), in mm.
        source: where the spacing came from; `none` means distances stay in pixels.
    """

    row_mm: float | None = None
    col_mm: float | None = None
    source: CalibrationSource = CalibrationSource.NONE

    def __post_init__(self) -> None:
        for name in ("row_mm", "col_mm"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"{name} must be a positive number of mm, got {value!r}"
                )
        has_spacing = self.row_mm is not None and self.col_mm is not None
        if has_spacing == (self.source is CalibrationSource.NONE):
            raise ValueError(
                f"calibration source {self.source.value!r} does not match spacing "
                f"({self.row_mm!r}, {self.col_mm!r}): give both spacings with a source, "
                "or neither with source 'none'"
            )

    @property
    def is_calibrated(self) -> bool:
        """Whether distances can be given in mm (estimates count, and say so)."""
        return self.source is not CalibrationSource.NONE

    @property
    def is_estimate(self) -> bool:
        return self.source is CalibrationSource.ESTIMATED

    @property
    def mean_mm(self) -> float | None:
        if self.row_mm is None or self.col_mm is None:
            return None
        return (self.row_mm + self.col_mm) / 2

    def scaled(self, factor: float) -> Calibration:
        """The calibration of the same image resized by `factor` (new px per old px)."""
        if self.row_mm is None or self.col_mm is None:
            return self
        return Calibration(
            row_mm=self.row_mm / factor, col_mm=self.col_mm / factor, source=self.source
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Radiograph:
    """The engine's input: one presentation-ready frontal chest image.

    Attributes:
        pixels: float32 array (rows, cols) in [0, 1] where 1 is white on display (most
            attenuating). Modality LUT, VOI LUT and MONOCHROME1 inversion are already
            applied by the case store.
        calibration: pixel spacing and its source.
        key: the sha256 of the stored pixel array; the analysis cache key.
        view_position: DICOM ViewPosition (0018,5101), e.g. "PA", "AP", "LL", or None.
    """

    pixels: npt.NDArray[np.float32] = field(compare=False, repr=False)
    calibration: Calibration
    key: str
    view_position: str | None = None

    def __post_init__(self) -> None:
        if self.pixels.ndim != 2:
            raise ValueError(
                f"pixels must be a 2-D grayscale array, got shape {self.pixels.shape}"
            )
        if min(self.pixels.shape) < 32:
            raise ValueError(
                f"image of {self.pixels.shape[1]}x{self.pixels.shape[0]} px is too small "
                "for a chest radiograph analysis (need at least 32 px per side)"
            )
        if not self.key:
            raise ValueError("key must be the pixel hash of the image")

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.pixels.shape
        return int(rows), int(cols)
