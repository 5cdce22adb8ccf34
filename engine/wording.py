"""Wording for answers: locations, kinds, sizes and hedged phrases.

Answers follow radiology writing conventions: location (side, zone, band), size, shape,
margin, density, relation to neighbours, each hedged ("suggests", "consistent with").
The words themselves, in both languages, are data in
ontology/data/dialogue/answers.toml; this module only puts them together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from engine.anatomy import Band, Location, Zone
from engine.findings import Finding, FindingKind
from engine.geometry import Distance, describe_length, plausible_mm
from engine.model import CalibrationSource, Side
from kernel import Language
from ontology import Vocabulary
from ontology.phrases import load_phrases


def _say(name: str, lang: Language | str, /, **fields: object) -> str:
    return load_phrases().say(name, Language(lang), **fields)


def _table(prefix: str, keys: Iterable[StrEnum]) -> dict[str, dict[Any, str]]:
    """A {language: {key: words}} table read from the answers data, for lookups by key."""
    return {
        lang.value: {key: _say(f"{prefix}_{key.value}", lang) for key in keys}
        for lang in Language
    }


DISCLAIMER = {lang.value: _say("disclaimer", lang) for lang in Language}
POSSIBLE = {lang.value: _say("possible", lang) for lang in Language}
_SIDE = _table("side", Side)
_ZONE = _table("zone", Zone)
_BAND = _table("band", Band)
_KIND = _table("kind", FindingKind)
KIND_SHORT = _table("kind_short", FindingKind)


def zone_phrase(side: Side, zone: Zone | None, lang: Language) -> str:
    """'右中肺野' / 'right middle zone'."""
    if side is Side.MIDLINE:
        return _say("place_midline", lang)
    if zone is None:
        return _say("place_lung", lang, side=_SIDE[lang][side])
    return _say("place_zone", lang, side=_SIDE[lang][side], zone=_ZONE[lang][zone])


def location_phrase(
    location: Location, lang: Language, vocabulary: Vocabulary | None = None
) -> str:
    """Side, zone and band, plus where the point lies outside the lung field."""
    base = zone_phrase(location.side, location.zone, lang)
    if location.band is not None and location.side is not Side.MIDLINE:
        base = _say("place_band", lang, place=base, band=_BAND[lang][location.band])
    if not location.inside_lung and location.side is not Side.MIDLINE:
        base = _say(
            "place_outside", lang, place=base, over=_outside_words(location, lang)
        )
    return base


def _outside_words(location: Location, lang: Language) -> str:
    names = {r.value for r in location.regions}
    if "retrocardiac" in names:
        return _say("outside_retrocardiac", lang)
    if "heart" in names:
        return _say("outside_heart", lang)
    if "right_hemidiaphragm" in names or "left_hemidiaphragm" in names:
        return _say("outside_diaphragm", lang)
    if "right_hilum" in names or "left_hilum" in names or "mediastinum" in names:
        return _say("outside_hilum", lang)
    return _say("outside_edge", lang)


def kind_phrase(kind: FindingKind, lang: Language) -> str:
    return _KIND[lang][kind]


def shown_length(mm: float, unit: str | None) -> float:
    """A length in mm as an answer shows it: whole mm, or cm to one decimal, half up.

    The one rounding of every displayed size, so one axis never reads two ways in one
    answer (9.5 mm is "1.0 cm" everywhere, not "0.9" where 9.5 / 10 falls just under
    0.95 in binary).
    """
    unit = unit if unit == "mm" else "cm"
    value = Decimal(repr(float(mm))) / (1 if unit == "mm" else 10)
    step = Decimal(1) if unit == "mm" else Decimal("0.1")
    return float(value.quantize(step, rounding=ROUND_HALF_UP))


def size_phrase(finding: Finding, lang: Language) -> str:
    """'约 1.8 × 1.6 cm' with calibration, else pixels, never an unlabelled cm."""
    if plausible_mm(finding.long_axis_mm) and plausible_mm(finding.short_axis_mm):
        a = shown_length(finding.long_axis_mm or 0.0, "cm")
        b = shown_length(finding.short_axis_mm or 0.0, "cm")
        return _say("size_words_cm", lang, a=a, b=b)
    estimate = finding.size_estimate
    px_a, px_b = finding.long_axis_px, finding.short_axis_px
    if estimate is not None and plausible_mm(estimate.long_axis_mm):
        return _say(
            "size_words_estimated",
            lang,
            px_a=px_a,
            px_b=px_b,
            a=estimate.long_axis_mm / 10,
            b=estimate.short_axis_mm / 10,
            error=f"{estimate.relative_error:.0%}",
        )
    return _say("size_words_px", lang, a=px_a, b=px_b)


def distance_phrase(distance: Distance, lang: Language, unit: str | None = None) -> str:
    """A measured length in cm, or in mm when mm were asked ("离肺门多少毫米")."""
    mm = distance.value_mm
    if unit == "mm" and plausible_mm(mm) and not distance.is_estimate:
        name = (
            "length_detector_mm"
            if distance.calibration is CalibrationSource.IMAGER_PIXEL_SPACING
            else "length_mm"
        )
        return _say(name, lang, mm=f"{shown_length(mm or 0.0, 'mm'):.0f}")
    return describe_length(distance, lang)


def weak_below(report_score: float) -> float:
    """The score under which a reported focal finding is worded as possible, not seen.

    Twice the detector's report threshold (a 0.09 threshold hedges findings under 0.18),
    but never more than halfway from the threshold to 1: a detector that reports at 0.5
    would otherwise hedge every finding it makes.
    """
    return report_score + min(report_score, (1.0 - report_score) / 2)


def is_weak(confidence: float, report_score: float) -> bool:
    return confidence < weak_below(report_score)


def shown_confidence(confidence: float, report_score: float | None) -> float:
    """A confidence as answers print it (two decimals), never at a threshold it missed.

    0.199 against 0.20 is shown as 0.19: a candidate left off the list must not read as
    if it had reached the threshold; every other value rounds as usual.
    """
    if report_score is not None and confidence < report_score <= round(confidence, 2):
        return math.floor(confidence * 100) / 100
    return confidence


def threshold_owner(focal: bool, lang: Language) -> str:
    """Whose report threshold a printed one is: nodules' or the larger opacities'.

    Focal nodules and streaky or consolidation-like opacities are reported from
    different scores; a number printed without its owner reads as a contradiction
    next to the other one on the same film.
    """
    return _say("threshold_owner_focal" if focal else "threshold_owner_extent", lang)


def confidence_phrase(
    confidence: float,
    lang: Language,
    report_score: float | None = None,
    *,
    focal: bool = True,
) -> str:
    """'confidence 0.92'; near the report threshold, say so: a weak finding reads as one.

    ``focal`` says whose threshold ``report_score`` is (nodules' or larger opacities').
    """
    confidence = shown_confidence(confidence, report_score)
    base = _say("confidence", lang, value=confidence)
    if report_score is None or not is_weak(confidence, report_score):
        return base
    # under the threshold it was not reported at all: "below", not "close to"
    name = "confidence_below" if confidence < report_score else "confidence_weak"
    return _say(
        name,
        lang,
        base=base,
        threshold=report_score,
        whose=threshold_owner(focal, lang),
    )


def clock_list(hours: list[int], lang: Language) -> str:
    """'3 o'clock, 5 o'clock and 7 o'clock' / '3 点钟、5 点钟方向'."""
    words = [_say("clock_hour", lang, hour=h) for h in hours]
    listed = (
        words[0]
        if len(words) == 1
        else (
            _say("clock_joiner", lang).join(words[:-1])
            + _say("clock_last", lang)
            + words[-1]
        )
    )
    return listed + _say("clock_suffix", lang)


def cite(anchor_ids: list[str] | tuple[str, ...]) -> str:
    return "".join(f"[{a}]" for a in anchor_ids)
