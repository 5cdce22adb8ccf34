"""Pixel spacing of an imported radiograph, by the rules of DICOM PS3.3.

Order of preference (PS3.3 C.8.11.7 / 10.7.1.3):

1. Pixel Spacing (0028,0030), when present and non-zero: spacing in the patient plane.
2. Imager Pixel Spacing (0018,1164) divided by Estimated Radiographic Magnification
   Factor (0018,1114) when that factor is present: corrected to the patient plane.
3. Imager Pixel Spacing alone: spacing at the detector, which overstates sizes by the
   (unknown) magnification, typically 5-15 % on a PA chest film.
4. Nothing usable: ``none``. A zero or missing spacing is never replaced by a default.

Every spacing must also be plausible for a chest radiograph (the bands below): a header
that claims 1e300 mm per pixel is damaged or hostile, and trusting it would print absurd
distances. Such a value is ignored with a warning that names it, like a malformed one.
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

PLAUSIBLE_SPACING_MM = (0.05, 7.0)
"""Pixel spacing band (mm per pixel, inclusive) accepted for a chest radiograph.

Source: CR/DX chest detectors sample at 0.1-0.2 mm (flat panels 0.139-0.2 mm, CR
phosphor plates 0.1-0.2 mm; the JSRT films are 0.175 mm), and downsampled copies of a
43 cm film (the largest cassette, 17 in) are coarser in proportion to their size. The
lower bound is half the finest chest detector pitch: a 43 cm field at 0.05 mm would be
8600 pixels wide, beyond the 60 MP matrix the intake accepts (``DEFAULT_MAX_PIXELS``).
The upper bound is that 43 cm field spread over the 64 pixels of the smallest image the
intake accepts (6.7 mm). A value outside the band cannot describe a chest film.
"""
PLAUSIBLE_MAGNIFICATION = (1.0, 2.0)
"""Estimated Radiographic Magnification Factor (0018,1114) band, inclusive.

Source: PS3.3 C.8.11.7 defines the factor as source-to-detector over source-to-patient
distance, so it is at least 1; a PA chest film at 180 cm gives about 1.05-1.15 and a
bedside AP film about 1.1-1.3. Deliberate magnification radiography stays under 2.
"""

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


def _number(value: float) -> str:
    """Format a header number for a warning: short, and never a 300-digit string."""
    return f"{value:.4g}"


def plausible_spacing(pair: tuple[float, float]) -> bool:
    """Whether both spacings lie inside ``PLAUSIBLE_SPACING_MM``."""
    low, high = PLAUSIBLE_SPACING_MM
    return all(low <= value <= high for value in pair)


def implausible_spacing_issue(label: str, pair: tuple[float, float]) -> ImportIssue:
    """Return the warning for a spacing outside ``PLAUSIBLE_SPACING_MM``."""
    low, high = PLAUSIBLE_SPACING_MM
    shown = " x ".join(_number(v) for v in dict.fromkeys(pair))
    return ImportIssue(
        code=IssueCode.INVALID_PIXEL_SPACING,
        severity=Severity.WARNING,
        message=f"{label} of {shown} mm per pixel is outside the plausible range for a "
        f"chest radiograph ({low}-{high} mm) and was ignored",
    )


def _magnification(ds: Dataset) -> float | None:
    """Return the factor as written, or None when it is absent, zero or unreadable."""
    try:
        factor = float(ds.get("EstimatedRadiographicMagnificationFactor"))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return factor if math.isfinite(factor) and factor > 0 else None


def _plausible_pair(
    ds: Dataset, keyword: str, label: str, issues: list[ImportIssue]
) -> tuple[float, float] | None:
    """Return the attribute's spacing when it is well formed and plausible.

    An implausible one adds a warning naming its value to ``issues``.
    """
    pair = _pair(ds.get(keyword))
    if pair is None:
        return None
    if plausible_spacing(pair):
        return pair
    issues.append(implausible_spacing_issue(label, pair))
    return None


def _imager_calibration(ds: Dataset, issues: list[ImportIssue]) -> Calibration:
    """Return the calibration from Imager Pixel Spacing and the magnification factor."""
    imager = _plausible_pair(
        ds, "ImagerPixelSpacing", "Imager Pixel Spacing (0018,1164)", issues
    )
    if imager is None:
        return Calibration.none()
    factor = _magnification(ds)
    if factor is None:
        return Calibration(
            row_mm=imager[0],
            col_mm=imager[1],
            source=CalibrationSource.IMAGER_PIXEL_SPACING,
        )
    low, high = PLAUSIBLE_MAGNIFICATION
    corrected = (imager[0] / factor, imager[1] / factor)
    if not low <= factor <= high or not plausible_spacing(corrected):
        # A factor outside the band means the header's geometry cannot be trusted, so
        # neither can the spacing it qualifies.
        issues.append(
            ImportIssue(
                code=IssueCode.INVALID_PIXEL_SPACING,
                severity=Severity.WARNING,
                message="Estimated Radiographic Magnification Factor (0018,1114) of "
                f"{_number(factor)} is outside the plausible range ({low}-{high}); "
                "the image's pixel spacing was ignored",
            )
        )
        return Calibration.none()
    return Calibration(
        row_mm=corrected[0],
        col_mm=corrected[1],
        source=CalibrationSource.IMAGER_PIXEL_SPACING_ERMF,
    )


def calibration_from_dataset(
    ds: Dataset,
) -> tuple[Calibration, tuple[ImportIssue, ...]]:
    """Return the image's calibration and the issues met while choosing it."""
    issues: list[ImportIssue] = []
    pixel_spacing = _plausible_pair(
        ds, "PixelSpacing", "Pixel Spacing (0028,0030)", issues
    )
    if pixel_spacing is not None:
        return Calibration(
            row_mm=pixel_spacing[0],
            col_mm=pixel_spacing[1],
            source=CalibrationSource.PIXEL_SPACING,
        ), ()
    if "PixelSpacing" in ds and not issues:
        issues.append(
            ImportIssue(
                code=IssueCode.INVALID_PIXEL_SPACING,
                severity=Severity.INFO,
                message="Pixel Spacing (0028,0030) is zero, empty or malformed and was ignored",
            )
        )
    found = _imager_calibration(ds, issues)
    if not found.is_calibrated:
        issues.append(NO_CALIBRATION_ISSUE)
    return found, tuple(issues)


def user_calibration(spacing_mm: float | None) -> Calibration:
    """Return the calibration for a spacing typed by the user (square pixels), or none.

    Raises:
        InvalidRecord: the spacing is not a positive finite number.
    """
    if spacing_mm is None:
        return Calibration.none()
    return calibration(spacing_mm, spacing_mm, CalibrationSource.USER)


def calibration_from_user(
    spacing_mm: float | None,
) -> tuple[Calibration, tuple[ImportIssue, ...]]:
    """Return the calibration for a typed spacing, and the issues met.

    A spacing outside ``PLAUSIBLE_SPACING_MM`` is not applied: the image is imported
    uncalibrated, with a warning naming the value.
    """
    if spacing_mm is None:
        return Calibration.none(), (NO_USER_SPACING_ISSUE,)
    finite = math.isfinite(spacing_mm) and spacing_mm > 0
    if not finite or not plausible_spacing((spacing_mm, spacing_mm)):
        return Calibration.none(), (
            implausible_spacing_issue("--spacing-mm", (spacing_mm, spacing_mm)),
            NO_USER_SPACING_ISSUE,
        )
    return user_calibration(spacing_mm), ()
