"""Physical size of one pixel, with where it came from."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

from kernel.errors import InvalidValue
from kernel.vocabulary import CalibrationSource


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """Pixel spacing in mm, or none.

    Attributes:
        row_mm: distance between the centres of adjacent rows (vertical), in mm.
        col_mm: distance between the centres of adjacent columns (horizontal), in mm.
        source: where the spacing came from; ``none`` means distances stay in pixels.

    Raises:
        InvalidValue: a spacing is not a positive finite number, or the spacings and the
            source disagree (both spacings need a source; ``none`` carries neither).
    """

    row_mm: float | None = None
    col_mm: float | None = None
    source: CalibrationSource = CalibrationSource.NONE

    def __post_init__(self) -> None:
        for name in ("row_mm", "col_mm"):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, int | float) and math.isfinite(value) and value > 0
            ):
                raise InvalidValue(
                    f"{name} must be a positive spacing in mm, got {value!r}"
                )
        has_spacing = self.row_mm is not None and self.col_mm is not None
        if has_spacing == (self.source is CalibrationSource.NONE):
            raise InvalidValue(
                f"calibration source {self.source.value!r} does not match spacing "
                f"({self.row_mm!r}, {self.col_mm!r}): give both spacings with a source, "
                "or neither with source 'none'"
            )

    @classmethod
    def none(cls) -> Self:
        """Return the calibration of an image whose spacing is unknown."""
        return cls()

    @property
    def is_calibrated(self) -> bool:
        """Whether distances can be given in mm (estimates count, and say so)."""
        return self.source is not CalibrationSource.NONE

    @property
    def is_estimate(self) -> bool:
        """Whether the spacing is the engine's anatomical estimate."""
        return self.source is CalibrationSource.ESTIMATED

    @property
    def mean_mm(self) -> float | None:
        """The mean of the two spacings, or None without calibration."""
        if self.row_mm is None or self.col_mm is None:
            return None
        return (self.row_mm + self.col_mm) / 2

    def scaled(self, factor: float) -> Self:
        """Return the calibration of the same image resized by ``factor`` (new px per old px)."""
        if self.row_mm is None or self.col_mm is None:
            return self
        return type(self)(
            row_mm=self.row_mm / factor, col_mm=self.col_mm / factor, source=self.source
        )
