"""One fact, one source: heart size, costophrenic angles, calcification, size and lobe.

Every answer that states one of these facts (the screening turn, a single-fact question,
the scorecard) reads it from here and words it with the same caveats, so no two turns
can disagree about it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from engine.analysis import ImageAnalysis
from engine.findings import Finding
from engine.model import CalibrationSource
from engine.observations import CPA_BLUNTED_DEG, focal_observations
from kernel import Language
from ontology import ItemResult, MatchStatus, Observation, Scorecard, Unassessable
from ontology.phrases import load_phrases

# On an adult PA film the cardiothoracic ratio lies between about 0.3 (a small heart in a
# hyperinflated chest) and 0.8 (gross cardiomegaly or a large pericardial effusion);
# a value outside that range means the heart or thorax outline was traced wrongly.
CTR_PLAUSIBLE = (0.3, 0.8)
CTR_ENLARGED = 0.5
# A calcification likelihood at or above this reads as "calcification possible"; the
# same cut-off decides the scorecard's "no benign calcification" item (sign A41).
CALCIFICATION_POSSIBLE = 0.5
# The size interval of a focal finding when the engine gives none: the long axis
# +/- max(3.5 mm, 15 %). 3.4-3.5 mm is the median absolute error of the long axis
# against JSRT diameters on cxr-train, the set the sizing was tuned on (truth-centre
# and detector seeds; docs/benchmarks.md, Lesion size, bench/eval_lesion_size.py); the
# relative part widens it for masses, whose error there is 6 mm and more.
SIZE_ABS_MM = 3.5
SIZE_REL = 0.15
UPPER_LOBES = frozenset({"right_upper_lobe", "left_upper_lobe"})


class CtrState(StrEnum):
    NORMAL = "normal"
    ENLARGED = "enlarged"
    IMPLAUSIBLE = "implausible"  # a measurement failure, never "normal"
    NOT_PA = "not_pa"  # AP or unrecorded view: the ratio is not judged
    NOT_MEASURED = "not_measured"


@dataclass(frozen=True, slots=True)
class CtrFact:
    value: float | None
    state: CtrState
    view: str

    @property
    def observable(self) -> bool:
        """Whether the scorecard may use the value (a failed measurement is not used)."""
        return self.value is not None and self.state is not CtrState.IMPLAUSIBLE


def ctr_fact(analysis: ImageAnalysis) -> CtrFact:
    """The cardiothoracic ratio of the film and what may be said about it."""
    value = analysis.measures.cardiothoracic_ratio
    view = (analysis.view_position or "").upper()
    if value is None:
        return CtrFact(None, CtrState.NOT_MEASURED, view)
    low, high = CTR_PLAUSIBLE
    if not low <= value <= high:
        return CtrFact(value, CtrState.IMPLAUSIBLE, view)
    if view != "PA":
        return CtrFact(value, CtrState.NOT_PA, view)
    state = CtrState.ENLARGED if value > CTR_ENLARGED else CtrState.NORMAL
    return CtrFact(value, state, view)


def ctr_sentence(fact: CtrFact, lang: Language) -> str:
    """The one sentence every answer uses for the CTR."""
    zh = lang == "zh"
    if fact.value is None:
        return (
            "心胸比未能可靠测量。"
            if zh
            else "The cardiothoracic ratio could not be measured reliably."
        )
    v = fact.value
    low, high = CTR_PLAUSIBLE
    texts = {
        CtrState.IMPLAUSIBLE: (
            f"心胸比测得 {v:.2f}，超出成人后前位片可能的范围（{low}–{high}），提示心影或胸廓轮廓测量失败，心影大小未作判断。",
            f"Cardiothoracic ratio measured as {v:.2f}, outside the {low}-{high} range possible on an adult PA film: "
            "the heart or thorax outline failed, so heart size is not judged.",
        ),
        CtrState.NOT_PA: (
            f"心胸比约 {v:.2f}；"
            + ("AP 位片心影被放大" if fact.view == "AP" else "本图未记录投照体位")
            + "，心胸比只适用于后前位片，心影大小未作判断。",
            f"Cardiothoracic ratio about {v:.2f}; "
            + (
                "an AP film magnifies the heart"
                if fact.view == "AP"
                else "the view is not recorded"
            )
            + ", and the ratio applies to PA films only, so heart size is not judged.",
        ),
        CtrState.ENLARGED: (
            f"心胸比约 {v:.2f}（> {CTR_ENLARGED}），提示心影增大。",
            f"Cardiothoracic ratio about {v:.2f} (> {CTR_ENLARGED}), which suggests an enlarged cardiac silhouette.",
        ),
        CtrState.NORMAL: (
            f"心胸比约 {v:.2f}（≤ {CTR_ENLARGED}），心影大小在正常范围内。",
            f"Cardiothoracic ratio about {v:.2f} (≤ {CTR_ENLARGED}); cardiac size within normal limits.",
        ),
    }
    return texts[fact.state][0 if zh else 1]


def ctr_answer(fact: CtrFact, lang: Language) -> str:
    """Line 1 of "is the heart enlarged?": yes, no, or why it is not judged."""
    zh = lang == "zh"
    lead = {
        CtrState.ENLARGED: ("是，", "Yes: "),
        CtrState.NORMAL: ("否，", "No: "),
    }.get(fact.state, ("无法判断：", "Not judged: "))
    return lead[0 if zh else 1] + ctr_sentence(fact, lang)


@dataclass(frozen=True, slots=True)
class AngleFact:
    side: str
    degrees: float | None

    @property
    def blunted(self) -> bool | None:
        return None if self.degrees is None else self.degrees > CPA_BLUNTED_DEG


def angle_facts(analysis: ImageAnalysis) -> list[AngleFact]:
    angles = analysis.measures.cpa_angle_deg
    return [AngleFact(s, angles.get(s)) for s in ("right", "left")]


def angle_sentence(fact: AngleFact, lang: Language) -> str:
    """One costophrenic angle, with the same cut-off as the scorecard."""
    zh = lang == "zh"
    side = {"right": "右", "left": "左"}[fact.side] if zh else fact.side
    if fact.degrees is None:
        return (
            f"{side}侧肋膈角未能测量。"
            if zh
            else f"The {side} costophrenic angle could not be measured."
        )
    if fact.blunted:
        return (
            f"{side}侧肋膈角约 {fact.degrees:.0f}°（> {CPA_BLUNTED_DEG:.0f}°），变钝，提示少量胸腔积液或胸膜增厚可能。"
            if zh
            else f"The {side} costophrenic angle is about {fact.degrees:.0f}° (> {CPA_BLUNTED_DEG:.0f}°): blunted, which "
            "suggests a small effusion or pleural thickening."
        )
    return (
        f"{side}侧肋膈角约 {fact.degrees:.0f}°，锐利。"
        if zh
        else f"The {side} costophrenic angle is about {fact.degrees:.0f}°: sharp."
    )


def calcification_sentence(f: Finding, lang: Language) -> str:
    """Calcification of a lesion, in the words of describe, presence and scorecard alike."""
    zh = lang == "zh"
    likely = f.calcification_likelihood
    if likely is None:
        return "钙化：未能评估。" if zh else "Calcification: not assessed."
    if likely >= CALCIFICATION_POSSIBLE:
        return (
            f"钙化：可能有（钙化可能性 {likely:.2f}）；胸片不能区分良性与偏心钙化，需 CT。"
            if zh
            else f"Calcification: possible (likelihood {likely:.2f}); a radiograph cannot tell a benign pattern "
            "from an eccentric one, CT can."
        )
    return (
        f"钙化：未见明确钙化（钙化可能性 {likely:.2f}），因此也无良性钙化形态可判断。"
        if zh
        else f"Calcification: none definite (likelihood {likely:.2f}), so there is no benign calcification "
        "pattern to judge."
    )


def calcification_answer(f: Finding, lang: Language) -> str:
    likely = f.calcification_likelihood
    zh = lang == "zh"
    if likely is None:
        lead = "无法判断：" if zh else "Not assessed: "
    elif likely >= CALCIFICATION_POSSIBLE:
        lead = "可能有。" if zh else "Possibly. "
    else:
        lead = "否。" if zh else "No. "
    return lead + calcification_sentence(f, lang)


def size_interval_mm(f: Finding) -> tuple[float, float] | None:
    """The long axis as an interval in mm (None without a calibrated size)."""
    if f.long_axis_mm is None:
        return None
    spread = max(SIZE_ABS_MM, SIZE_REL * f.long_axis_mm)
    return (max(0.0, f.long_axis_mm - spread), f.long_axis_mm + spread)


def in_upper_lobe(f: Finding) -> bool:
    """Whether the engine's lobe projection of a finding is an upper lobe."""
    return f.location.lobe is not None and f.location.lobe.value in UPPER_LOBES


_SOURCE_WORDS = {
    CalibrationSource.PIXEL_SPACING: (
        "按 DICOM 像素间距换算",
        "from the DICOM pixel spacing",
    ),
    CalibrationSource.IMAGER_PIXEL_SPACING: (
        "按探测器像素间距换算，未校正放大率",
        "from the detector pixel spacing, not corrected for magnification",
    ),
    CalibrationSource.IMAGER_PIXEL_SPACING_ERMF: (
        "按探测器像素间距并校正放大率",
        "from the detector pixel spacing corrected for magnification",
    ),
    CalibrationSource.USER: (
        "按用户给定的像素间距换算",
        "from the pixel spacing the user gave",
    ),
}


def size_answer(
    f: Finding, analysis: ImageAnalysis, unit: str | None, lang: Language
) -> str:
    """The size of a lesion in the unit asked (cm by default), with its calibration."""
    zh = lang == "zh"
    if f.long_axis_mm is None or f.short_axis_mm is None:
        return _size_without_spacing(f, unit, lang)
    scale, name = (1.0, "mm") if unit == "mm" else (0.1, "cm")
    digits = 0 if name == "mm" else 1
    a, b = f.long_axis_mm * scale, f.short_axis_mm * scale
    source = _SOURCE_WORDS.get(analysis.calibration.source, ("", ""))[0 if zh else 1]
    if zh:
        return f"约 {a:.{digits}f} × {b:.{digits}f} {name}（长径 × 短径，{source}）"
    return f"about {a:.{digits}f} × {b:.{digits}f} {name} (long × short axis, {source})"


def _size_without_spacing(f: Finding, unit: str | None, lang: Language) -> str:
    zh = lang == "zh"
    estimate = f.size_estimate
    px = f"{f.long_axis_px:.0f} × {f.short_axis_px:.0f}"
    if estimate is None:
        return (
            f"约 {px} 像素（图像无像素间距，无法换算为毫米或厘米）"
            if zh
            else f"about {px} px (the image has no pixel spacing, so no mm or cm can be given)"
        )
    scale, name = (1.0, "mm") if unit == "mm" else (0.1, "cm")
    a, b = estimate.long_axis_mm * scale, estimate.short_axis_mm * scale
    error = f"{estimate.relative_error:.0%}"
    return (
        f"约 {px} 像素，估计约 {a:.1f} × {b:.1f} {name}（图像无像素间距，按典型解剖估计，误差约 ±{error}）"
        if zh
        else f"about {px} px, ≈ {a:.1f} × {b:.1f} {name} (no pixel spacing: estimated from typical anatomy, ±{error})"
    )


def lesion_observations(
    analysis: ImageAnalysis, f: Finding, anchor_id: str
) -> list[Observation]:
    """A lesion's observations, with the lobe projection and the size interval.

    The upper-lobe item reads the lobe the dialogue reports; the size items read the
    interval (the engine's, when it sends `focal.diameter_mm_low/_high`, else ours).
    """
    obs = focal_observations(analysis, f, anchor_id)
    ev = (anchor_id,)
    sent = {o.feature for o in obs}
    if "focal.upper_lobe" not in sent:
        obs.append(
            Observation(
                feature="focal.upper_lobe",
                value=in_upper_lobe(f),
                evidence_anchor_ids=ev,
            )
        )
    interval = size_interval_mm(f)
    if "focal.diameter_mm" in sent and "focal.diameter_mm_low" not in sent and interval:
        obs += [
            Observation(
                feature="focal.diameter_mm_low",
                value=round(interval[0], 1),
                evidence_anchor_ids=ev,
            ),
            Observation(
                feature="focal.diameter_mm_high",
                value=round(interval[1], 1),
                evidence_anchor_ids=ev,
            ),
        ]
    return obs


def film_observations(
    analysis: ImageAnalysis, observations: list[Observation]
) -> list[Observation]:
    """Whole-film observations without a failed CTR (it is a measurement failure, not a value)."""
    if ctr_fact(analysis).observable:
        return observations
    return [o for o in observations if o.feature != "heart.ctr"]


def reconcile(
    card: Scorecard, analysis: ImageAnalysis, subject: Finding | None
) -> Scorecard:
    """Scorecard items that state a fact another answer states, worded the same way."""
    patterns = set(load_phrases().calcification_patterns)
    fact = ctr_fact(analysis)
    items = []
    for item in card.items:
        if str(item.sign_code) in patterns and subject is not None:
            item = _no_pattern(item, subject)
        elif fact.state is CtrState.IMPLAUSIBLE and str(item.sign_code) in (
            "F01",
            "F02",
        ):
            item = replace(
                item,
                reason_en=ctr_sentence(fact, Language.EN),
                reason_zh=ctr_sentence(fact, Language.ZH),
            )
        items.append(item)
    return replace(card, items=tuple(items))


def _no_pattern(item: ItemResult, f: Finding) -> ItemResult:

    likely = f.calcification_likelihood
    if likely is None:
        return item
    if likely >= CALCIFICATION_POSSIBLE:
        return replace(
            item,
            status=MatchStatus.NOT_ASSESSABLE,
            reason_en=f"calcification possible (likelihood {likely:.2f}); its pattern needs CT",
            reason_zh=f"可能有钙化（钙化可能性 {likely:.2f}），其形态需 CT 判断",
            unassessable=Unassessable.NEEDS_CT,
        )
    return replace(
        item,
        status=MatchStatus.NOT_MET,
        reason_en=f"no definite calcification (likelihood {likely:.2f}), so no benign pattern",
        reason_zh=f"未见明确钙化（钙化可能性 {likely:.2f}），故无良性钙化形态",
        unassessable=None,
    )


__all__ = [
    "CTR_PLAUSIBLE",
    "AngleFact",
    "CtrFact",
    "CtrState",
    "angle_facts",
    "angle_sentence",
    "calcification_answer",
    "calcification_sentence",
    "ctr_answer",
    "ctr_fact",
    "ctr_sentence",
    "film_observations",
    "in_upper_lobe",
    "lesion_observations",
    "reconcile",
    "size_answer",
    "size_interval_mm",
]
