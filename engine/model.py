"""Value types shared by the vision engine, the dialogue and the backends."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kernel import Calibration, CalibrationSource, Side

__all__ = ["Calibration", "CalibrationSource", "Radiograph", "Side"]


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
