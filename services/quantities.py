"""Lengths and sizes as a person reads them, with an estimate always said as one.

A length measured with the image's own calibration reads "59.7 mm". One measured with
the engine's anatomical estimate of the pixel size (no spacing in the image) reads
"≈ 59.7 mm (estimated ±15 %)" / "约 59.7 mm（估计值，±15 %）", and one without any
calibration stays in pixels. Every table, canvas label, rendered overlay, export and CLI
line that shows a stored length goes through these functions, so an estimate cannot lose
its label on one surface while keeping it on another.
"""

from __future__ import annotations

import cases
from engine.anchors import Anchor
from engine.geometry import ESTIMATE_RELATIVE_ERROR, plausible_mm
from kernel import CalibrationSource, Language
from services import i18n


def _source(calibration: CalibrationSource | str | None) -> CalibrationSource:
    try:
        return CalibrationSource(calibration or CalibrationSource.NONE)
    except ValueError:
        # An unknown stored source is not trusted as a calibration of the image's own.
        return CalibrationSource.ESTIMATED


def _percent(relative_error: float | None) -> str:
    return f"{round((relative_error or ESTIMATE_RELATIVE_ERROR) * 100):.0f}"


def length_text(
    value_mm: float | None,
    value_px: float | None,
    calibration: CalibrationSource | str | None,
    lang: Language,
    *,
    relative_error: float | None = None,
) -> str:
    """One length: "59.7 mm", "≈ 59.7 mm (estimated ±15 %)", "212 px" or "—".

    Args:
        value_mm: the length in mm, or None when the image has no calibration.
        value_px: the same length in image pixels.
        calibration: where the pixel size came from (``CalibrationSource`` or its value).
        lang: ``en`` or ``zh``.
        relative_error: the estimate's relative error (0.15 is ±15 %); the engine's
            default when an estimate does not carry its own.
    """
    if value_mm is None or not plausible_mm(value_mm):
        if value_px is None:
            return "—"
        return i18n.text("quantity.pixels", lang, value=f"{value_px:.0f}")
    value = f"{value_mm:.1f}"
    if _source(calibration) is CalibrationSource.ESTIMATED:
        return i18n.text(
            "quantity.estimated", lang, value=value, error=_percent(relative_error)
        )
    return f"{value} mm"


def measurement_text(m: cases.Measurement, lang: Language) -> str:
    """A stored measurement's value, labelled as an estimate when it is one."""
    error = m.detail.get("relative_error")
    return length_text(
        m.value_mm,
        m.value_px,
        m.calibration,
        lang,
        relative_error=None if error is None else float(error),
    )


def anchor_length_text(anchor: Anchor, lang: Language) -> str:
    """The value a measurement anchor (a distance or gap line) carries, or ""."""
    attributes = anchor.attributes
    if "value_mm" not in attributes and "value_px" not in attributes:
        # A line stored without its value keeps the engine's short label ("≈5.3cm").
        return str(attributes.get("label") or "")
    error = attributes.get("relative_error")
    return length_text(
        attributes.get("value_mm"),
        attributes.get("value_px"),
        attributes.get("calibration"),
        lang,
        relative_error=None if error is None else float(error),
    )


def anchor_size_text(anchor: Anchor, lang: Language) -> str:
    """An anchor's size, its measured value for a line, or "".

    "18.2 × 15.0 mm" with the film's calibration, followed by the long axis's interval
    when the anchor carries one (``size_interval_mm``: [low, high]); on a film without
    spacing, the engine's estimate (``size_estimate_mm``: [long, short], with
    ``relative_error``) reads "≈ 15.3 × 10.8 mm (estimated ±15 %)".
    """
    attributes = anchor.attributes
    if anchor.size_mm is not None:
        long_axis, short_axis = anchor.size_mm
        value = f"{long_axis:.1f} × {short_axis:.1f}"
        interval = attributes.get("size_interval_mm")
        if interval is None:
            return f"{value} mm"
        low, high = (float(v) for v in interval)
        return i18n.text(
            "quantity.interval", lang, value=value, low=f"{low:.1f}", high=f"{high:.1f}"
        )
    estimate = attributes.get("size_estimate_mm")
    if estimate is not None:
        long_axis, short_axis = (float(v) for v in estimate)
        error = attributes.get("relative_error")
        return i18n.text(
            "quantity.estimated",
            lang,
            value=f"{long_axis:.1f} × {short_axis:.1f}",
            error=_percent(None if error is None else float(error)),
        )
    return anchor_length_text(anchor, lang)
