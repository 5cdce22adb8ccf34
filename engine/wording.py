"""Bilingual wording for answers: locations, kinds, sizes and hedged phrases.

Answers follow radiology writing conventions: location (side, zone, band), size, shape,
margin, density, relation to neighbours, each hedged ("suggests", "consistent with").
"""

from __future__ import annotations

from engine.anatomy import Band, Location, Zone
from engine.findings import Finding, FindingKind
from engine.geometry import Distance, describe_length, plausible_mm
from engine.model import Side
from kernel import Language
from ontology import Vocabulary

DISCLAIMER = {
    "zh": "提示：以上为辅助阅片的自动分析，仅供受过训练的阅片者参考，不构成诊断，请结合临床及其他检查。",
    "en": "Note: automated analysis for trained readers; decision support, not a diagnosis. "
    "Correlate clinically and with other imaging.",
}

_SIDE = {
    "zh": {Side.RIGHT: "右", Side.LEFT: "左", Side.MIDLINE: "中线"},
    "en": {Side.RIGHT: "right", Side.LEFT: "left", Side.MIDLINE: "midline"},
}
_ZONE = {
    "zh": {Zone.UPPER: "上", Zone.MIDDLE: "中", Zone.LOWER: "下"},
    "en": {Zone.UPPER: "upper", Zone.MIDDLE: "middle", Zone.LOWER: "lower"},
}
_BAND = {
    "zh": {Band.INNER: "内带", Band.MIDDLE: "中带", Band.OUTER: "外带"},
    "en": {
        Band.INNER: "inner band",
        Band.MIDDLE: "middle band",
        Band.OUTER: "outer band",
    },
}
_KIND = {
    "zh": {
        FindingKind.NODULE: "结节影",
        FindingKind.MASS: "肿块影",
        FindingKind.CONSOLIDATION: "斑片状实变样阴影",
        FindingKind.LINEAR: "条索/条片状阴影",
        FindingKind.RETICULAR: "网格状阴影",
    },
    "en": {
        FindingKind.NODULE: "nodular opacity",
        FindingKind.MASS: "mass-like opacity",
        FindingKind.CONSOLIDATION: "consolidation-like opacity",
        FindingKind.LINEAR: "streaky (linear) opacity",
        FindingKind.RETICULAR: "reticular opacity",
    },
}
KIND_SHORT = {
    "zh": {
        FindingKind.NODULE: "结节",
        FindingKind.MASS: "肿块",
        FindingKind.CONSOLIDATION: "实变样影",
        FindingKind.LINEAR: "条索影",
        FindingKind.RETICULAR: "网状影",
    },
    "en": {
        FindingKind.NODULE: "nodule",
        FindingKind.MASS: "mass",
        FindingKind.CONSOLIDATION: "consolidation",
        FindingKind.LINEAR: "streaky opacity",
        FindingKind.RETICULAR: "reticular opacity",
    },
}


def zone_phrase(side: Side, zone: Zone | None, lang: Language) -> str:
    """'右中肺野' / 'right middle zone'."""
    if side is Side.MIDLINE:
        return "纵隔/中线区" if lang == "zh" else "midline / mediastinum"
    if zone is None:
        return f"{_SIDE[lang][side]}肺" if lang == "zh" else f"{_SIDE[lang][side]} lung"
    if lang == "zh":
        return f"{_SIDE['zh'][side]}{_ZONE['zh'][zone]}肺野"
    return f"{_SIDE['en'][side]} {_ZONE['en'][zone]} zone"


def location_phrase(
    location: Location, lang: Language, vocabulary: Vocabulary | None = None
) -> str:
    """Side, zone and band, plus where the point lies outside the lung field."""
    base = zone_phrase(location.side, location.zone, lang)
    if location.band is not None and location.side is not Side.MIDLINE:
        band = _BAND[lang][location.band]
        base = f"{base}{band}" if lang == "zh" else f"{band} of the {base}"
    if not location.inside_lung and location.side is not Side.MIDLINE:
        over = _outside_words(location, lang)
        if over:
            base = f"{base}（{over}）" if lang == "zh" else f"{base} ({over})"
    return base


def _outside_words(location: Location, lang: Language) -> str:
    names = {r.value for r in location.regions}
    if "heart" in names or "retrocardiac" in names:
        return (
            "与心影重叠，心影后区"
            if lang == "zh"
            else "projecting over the heart, retrocardiac"
        )
    if "right_hemidiaphragm" in names or "left_hemidiaphragm" in names:
        return (
            "膈顶处或膈下后肋膈角区，属后基底肺"
            if lang == "zh"
            else "at or below the diaphragm dome, posterior costophrenic recess lung"
        )
    if "right_hilum" in names or "left_hilum" in names or "mediastinum" in names:
        return (
            "与肺门/纵隔影重叠"
            if lang == "zh"
            else "projecting over the hilum or mediastinum"
        )
    return "肺野内缘" if lang == "zh" else "at the edge of the lung field"


def lobe_phrase(
    location: Location, lang: Language, vocabulary: Vocabulary
) -> str | None:
    if location.lobe is None:
        return None
    name = vocabulary.get_anatomy(location.lobe.value).name(lang)
    return (
        f"{name}（PA 片投影估计）"
        if lang == "zh"
        else f"{name} (projected on the PA film, approximate)"
    )


def kind_phrase(kind: FindingKind, lang: Language) -> str:
    return _KIND[lang][kind]


def size_phrase(finding: Finding, lang: Language) -> str:
    """'约 1.8 × 1.6 cm' with calibration, else pixels, never an unlabelled cm."""
    if plausible_mm(finding.long_axis_mm) and plausible_mm(finding.short_axis_mm):
        a, b = (finding.long_axis_mm or 0.0) / 10, (finding.short_axis_mm or 0.0) / 10
        return (
            f"约 {a:.1f} × {b:.1f} cm"
            if lang == "zh"
            else f"about {a:.1f} × {b:.1f} cm"
        )
    estimate = finding.size_estimate
    px_a, px_b = finding.long_axis_px, finding.short_axis_px
    if estimate is not None and plausible_mm(estimate.long_axis_mm):
        a, b = estimate.long_axis_mm / 10, estimate.short_axis_mm / 10
        error = f"{estimate.relative_error:.0%}"
        return (
            f"约 {px_a:.0f} × {px_b:.0f} 像素，估计约 {a:.1f} × {b:.1f} cm（图像无像素间距，按典型解剖估计，误差约 ±{error}）"
            if lang == "zh"
            else f"about {px_a:.0f} × {px_b:.0f} px, ≈ {a:.1f} × {b:.1f} cm (no pixel spacing: estimated from "
            f"typical anatomy, ±{error})"
        )
    a, b = px_a, px_b
    return (
        f"约 {a:.0f} × {b:.0f} 像素（图像无像素间距，未换算为 cm）"
        if lang == "zh"
        else f"about {a:.0f} × {b:.0f} px (no pixel spacing; not converted to cm)"
    )


def distance_phrase(distance: Distance, lang: Language) -> str:
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


POSSIBLE = {"zh": "可疑", "en": "possible"}


def confidence_phrase(
    confidence: float, lang: Language, report_score: float | None = None
) -> str:
    """'confidence 0.92'; near the report threshold, say so: a weak finding reads as one."""
    base = (
        f"置信度 {confidence:.2f}" if lang == "zh" else f"confidence {confidence:.2f}"
    )
    if report_score is None or not is_weak(confidence, report_score):
        return base
    return (
        f"{base}，接近报告阈值 {report_score:.2f}"
        if lang == "zh"
        else f"{base}, close to the report threshold {report_score:.2f}"
    )


def clock_list(hours: list[int], lang: Language) -> str:
    if lang == "zh":
        return "、".join(f"{h} 点钟" for h in hours) + "方向"
    words = [f"{h} o'clock" for h in hours]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" and {words[-1]}"


def cite(anchor_ids: list[str] | tuple[str, ...]) -> str:
    return "".join(f"[{a}]" for a in anchor_ids)
