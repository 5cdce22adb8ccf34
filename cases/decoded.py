"""What the intake hands to the store: decoded, de-identified pixels and their metadata."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cases.errors import ImageTooLarge, InvalidRecord, UnsupportedImage
from cases.model import (
    Calibration,
    DeidSummary,
    DisplayParams,
    ImageId,
    ImportIssue,
    SourceFormat,
)

DEFAULT_MAX_PIXELS = 60_000_000
"""About three times the largest chest detector matrix (43 x 43 cm at 0.1 mm is 18.5 MP)."""
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
MIN_SIDE_PX = 64
"""Smallest side of an image the casebook holds: below it no anatomy can be found."""
MAX_ASPECT_RATIO = 8.0
"""Longest over shortest side: a chest film is near square (35 x 43 cm is 1.23); a
strip beyond 1:8 is a scout line, a test pattern or a damaged header."""


def _pixels(count: int) -> str:
    return f"{count / 1e6:.1f} MP" if count >= 1_000_000 else f"{count:,} px"


def _bytes(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:.1f} MiB"
    return f"{size / 2**10:.1f} KiB" if size >= 2**10 else f"{size} bytes"


@dataclass(frozen=True, slots=True, kw_only=True)
class IntakeLimits:
    """Refuse files and pixel matrices above these sizes (checked before decoding)."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        if self.max_pixels < 1 or self.max_bytes < 1:
            raise ValueError(
                f"intake limits must be positive, got {self.max_pixels} px, {self.max_bytes} bytes"
            )

    @classmethod
    def from_env(cls) -> IntakeLimits:
        """Read ``CASEBOOK_MAX_PIXELS`` / ``CASEBOOK_MAX_BYTES`` when set."""
        return cls(
            max_pixels=int(os.environ.get("CASEBOOK_MAX_PIXELS", DEFAULT_MAX_PIXELS)),
            max_bytes=int(os.environ.get("CASEBOOK_MAX_BYTES", DEFAULT_MAX_BYTES)),
        )

    def check_matrix(self, name: str, rows: int, columns: int, frames: int = 1) -> None:
        """Refuse a pixel matrix that exceeds ``max_pixels`` (a decompression bomb).

        Raises:
            ImageTooLarge: rows x columns x frames exceeds the limit.
        """
        count = rows * columns * frames
        if count > self.max_pixels:
            raise ImageTooLarge(
                f"{name}: image is {columns}x{rows} px ({_pixels(count)}), above the "
                f"{_pixels(self.max_pixels)} limit; refused before decoding "
                "(raise CASEBOOK_MAX_PIXELS if the file is genuine)"
            )

    def check_bytes(self, name: str, size: int) -> None:
        """Refuse a file larger than ``max_bytes``.

        Raises:
            ImageTooLarge: the file is larger than the limit.
        """
        if size > self.max_bytes:
            raise ImageTooLarge(
                f"{name}: file is {_bytes(size)}, above the {_bytes(self.max_bytes)} "
                "limit (raise CASEBOOK_MAX_BYTES if the file is genuine)"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodedImage:
    """A decoded, de-identified image ready to be stored."""

    image_id: ImageId
    """``pixel_sha256(pixels)``, computed once by the reader."""
    pixels: npt.NDArray[np.generic] = field(compare=False, repr=False)
    source_format: SourceFormat
    calibration: Calibration
    display: DisplayParams
    modality: str | None = None
    sop_class_uid: str | None = None
    study_uid: str | None = None
    series_uid: str | None = None
    sop_instance_uid: str | None = None
    transfer_syntax_uid: str | None = None
    lossy_compression: bool = False
    view_position: str | None = None
    body_part: str | None = None
    burned_in_annotation: bool | None = None
    deid_method: str
    header: bytes | None = field(default=None, repr=False)
    """De-identified DICOM header (Part 10, no pixel data); None for PNG/JPEG."""
    issues: tuple[ImportIssue, ...] = ()
    deid: DeidSummary | None = None
    """What de-identification removed and blanked (stored as the image's report)."""

    def __post_init__(self) -> None:
        if self.pixels.ndim != 2:
            raise ValueError(
                f"pixels must be a 2-D array, got shape {self.pixels.shape}"
            )

    @property
    def rows(self) -> int:
        """Number of pixel rows."""
        return int(self.pixels.shape[0])

    @property
    def columns(self) -> int:
        """Number of pixel columns."""
        return int(self.pixels.shape[1])


def check_shape(name: str, rows: int, columns: int) -> None:
    """Refuse an image too small or too elongated to be a chest radiograph.

    Raises:
        UnsupportedImage: a side under ``MIN_SIDE_PX`` or an aspect ratio beyond
            ``MAX_ASPECT_RATIO``.
    """
    if min(rows, columns) < MIN_SIDE_PX:
        raise UnsupportedImage(
            f"{name}: image is {columns}x{rows} px, below the {MIN_SIDE_PX} px a side a "
            "chest radiograph needs; import the full-size film"
        )
    if max(rows, columns) > MAX_ASPECT_RATIO * min(rows, columns):
        raise UnsupportedImage(
            f"{name}: image is {columns}x{rows} px, an aspect ratio beyond "
            f"1:{MAX_ASPECT_RATIO:.0f} that no chest radiograph has; import the full film"
        )


def check_spacing(spacing_mm: float | None) -> float | None:
    """Validate a user-typed pixel spacing.

    Raises:
        InvalidRecord: the spacing is not a positive number below 10 mm.
    """
    if spacing_mm is None:
        return None
    if not (math.isfinite(spacing_mm) and 0 < spacing_mm < 10):
        raise InvalidRecord(
            f"--spacing-mm must be a pixel size in mm between 0 and 10, got {spacing_mm}"
        )
    return spacing_mm
