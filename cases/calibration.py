"""Pixel spacing of an imported radiograph, by the rules of DICOM PS3.3.

Order of preference (PS3.3 C.8.11.7 / 10.7.1.3):

1. Pixel Spacing (0028,0030), when present and non-zero: spacing in the patient plane.
2. Imager Pixel Spacing (0018,1164) divided by Estimated Radiographic Magnification
   Factor (0018,1114) when that factor is present: corrected to the patient plane.
3. Imager Pixel Spacing alone: spacing at the detector, which overstates sizes by the
   (unknown) magnification, typically 5-15 % on a PA chest film.
4. Nothing usable: ``none``. A zero or missing spacing is never replaced by a default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydicom.dataset import Dataset

from cases.model import (
    Calibration,
    CalibrationSource,
    ImportIssue,
    IssueCode,
    Severity,
    calibration,
)

NO_CALIBRATION_ISSUE = ImportIssue(
    code=IssueCode.NO_CALIBRATION,
    severity=Severity.WARNING,
    message="the file has no usable pixel spacing: sizes and distances are given in pixels, "
    "with estimates from typical anatomy (about ±15 %) labelled as such",
)
NO_USER_SPACING_ISSUE = ImportIssue(
    code=IssueCode.NO_CALIBRATION,
    severity=Severity.WARNING,
    message="no pixel spacing given: sizes and distances are given in pixels, with estimates "
    "from typical anatomy (about ±15 %) labelled as such; re-import with --spacing-mm if the pixel size is known",
)


def _pair(value: object) -> tuple[float, float] | None:
    """Return a (row, column) spacing pair of positive finite numbers, or None."""
    if value is None:
        return None
    items: Sequence[object] = (
        value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    )
    try:
        numbers = [float(v) for v in items]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if len(numbers) == 1:  # some writers store one value for square pixels
        numbers = numbers * 2
    if len(numbers) != 2 or not all(math.isfinite(n) and n > 0 for n in numbers):
        return None
    return numbers[0], numbers[1]


def _magnification(ds: Dataset) -> float | None:
    try:
        factor = float(ds.get("EstimatedRadiographicMagnificationFactor"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    # A factor below 1 would mean the patient is larger than the detector image: invalid.
    return factor if math.isfinite(factor) and factor >= 1.0 else None


def calibration_from_dataset(
    ds: Dataset,
) -> tuple[Calibration, tuple[ImportIssue, ...]]:
    """Return the image's calibration and the issues met while choosing it."""
    issues: list[ImportIssue] = []
    pixel_spacing = _pair(ds.get("PixelSpacing"))
    if pixel_spacing is not None:
        return Calibration(
            row_mm=pixel_spacing[0],
            col_mm=pixel_spacing[1],
            source=CalibrationSource.PIXEL_SPACING,
        ), ()
    if "PixelSpacing" in ds:
        issues.append(
            ImportIssue(
                code=IssueCode.INVALID_PIXEL_SPACING,
                severity=Severity.INFO,
                message="Pixel Spacing (0028,0030) is zero, empty or malformed and was ignored",
            )
        )
    imager = _pair(ds.get("ImagerPixelSpacing"))
    if imager is None:
        return Calibration.none(), (*issues, NO_CALIBRATION_ISSUE)
    factor = _magnification(ds)
    if factor is not None:
        return Calibration(
            row_mm=imager[0] / factor,
            col_mm=imager[1] / factor,
            source=CalibrationSource.IMAGER_PIXEL_SPACING_ERMF,
        ), tuple(issues)
    return Calibration(
        row_mm=imager[0],
        col_mm=imager[1],
        source=CalibrationSource.IMAGER_PIXEL_SPACING,
    ), tuple(issues)


def user_calibration(spacing_mm: float | None) -> Calibration:
    """Return the calibration for a spacing typed by the user (square pixels), or none.

    Raises:
        InvalidRecord: the spacing is not a positive finite number.
    """
    if spacing_mm is None:
        return Calibration.none()
    return calibration(spacing_mm, spacing_mm, CalibrationSource.USER)
