"""One fact, one source: heart size, costophrenic angles, calcification, size and lobe.

Every answer that states one of these facts (the screening turn, a single-fact question,
the scorecard) reads it from here and words it with the same caveats, so no two turns
can disagree about it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from engine.analysis import ImageAnalysis
from engine.anatomy import Region, unread_lung_sides
from engine.dialogue.phrases import led, say
from engine.dialogue.sizes import SizeBound
from engine.findings import SPICULATION_MIN_COUNT, Finding, Margin
from engine.geometry import (
    ESTIMATE_RELATIVE_ERROR,
    THORACIC_WIDTH_PLAUSIBLE_MM,
    plausible_mm,
)
from engine.observations import CPA_BLUNTED_DEG, MEASURED_FEATURES, focal_observations
from engine.references import lobe_parts, projected_lobes
from engine.wording import is_weak, shown_length
from kernel import Language
from ontology import (
    ItemResult,
    MatchStatus,
    Observation,
    Scorecard,
    Sign,
    Unassessable,
    Vocabulary,
    assess,
    load_vocabulary,
)
from ontology.phrases import load_phrases
from ontology.scoring import borderline_reason

# On an adult PA film the cardiothoracic ratio lies between about 0.3 (a small heart in a
# hyperinflated chest) and 0.8 (gross cardiomegaly or a large pericardial effusion);
# a value outside that range means the heart or thorax outline was traced wrongly.
CTR_PLAUSIBLE = (0.3, 0.8)
# Heart size on a PA film, the one place its cut-offs live: a ratio up to 0.50 is within
# normal limits (the usual cut-off, sign F01); above 0.55 it suggests an enlarged
# cardiac silhouette; in between it is borderline: above the PA limit, so mild
# enlargement is possible, though a shallow inspiration or a slightly rotated film
# reaches it without heart disease (said so, never as "normal"). Every
# answer (the read, "is the heart enlarged?", the CTR value, the report draft and the
# checklists' F01 item) reads the state from `ctr_fact`, so all say the same.
CTR_ENLARGED = 0.5
CTR_BORDERLINE_HIGH = 0.55
# A calcification likelihood at or above this reads as "calcification possible"; the
# same cut-off decides the scorecard's "no benign calcification" item (sign A41).
CALCIFICATION_POSSIBLE = 0.5
# The size interval of a focal finding when the engine gives none: the long axis
# +/- max(3.5 mm, 15 %). 3.4-3.5 mm is the median absolute error of the long axis
# against JSRT diameters on cxr-train, the set the sizing was tuned on (truth-centre
# and detector seeds; docs/benchmarks.md, Lesion size, bench/eval_lesion_size.py); the
# relative part widens it for masses, whose error there is 6 mm and more.
SIZE_ABS_MM = 3.5
# A focal opacity measured under this long axis is below what a chest radiograph
# usually resolves as a nodule; its size is given with that caveat (wording only: the
# size model is engine/findings.py's).
SMALL_FOCAL_MM = 5.0
SIZE_REL = 0.15
# The lingula is a segment of the left upper lobe.
UPPER_LOBES = frozenset({"right_upper_lobe", "left_upper_lobe", "lingula"})
# The checklist sign whose rule reads focal.upper_lobe (ontology/data/signs, A51), and
# the one whose rule reads focal.spicule_count (A14).
UPPER_LOBE_SIGN = "A51"
SPICULATION_SIGN = "A14"


class CtrState(StrEnum):
    NORMAL = "normal"
    BORDERLINE = "borderline"  # above CTR_ENLARGED up to CTR_BORDERLINE_HIGH
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
    def shown(self) -> str:
        """The value as every CTR sentence prints it, on the side of its cut-off.

        Two decimals, or as many more as keep it off a cut-off it is not on ("0.502",
        not "0.50" beside "up to 0.50 is normal").
        """
        if self.value is None:
            return ""
        cuts = (CTR_ENLARGED, CTR_BORDERLINE_HIGH)
        for places in range(2, 7):
            rounded = round(self.value, places)
            if rounded not in cuts or rounded == self.value:
                break
        return f"{rounded:.{places}f}"

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
    state = (
        CtrState.ENLARGED
        if value > CTR_BORDERLINE_HIGH
        else CtrState.BORDERLINE
        if value > CTR_ENLARGED
        else CtrState.NORMAL
    )
    return CtrFact(value, state, view)


# DICOM View Position (0018,5101) values of a film on which the CTR is not judged.
_NOT_PA_PHRASE = {
    "AP": "ctr_ap",
    "LL": "ctr_lateral",
    "RL": "ctr_lateral",
    "LATERAL": "ctr_lateral",
}


def ctr_sentence(fact: CtrFact, lang: Language) -> str:
    """The one sentence every answer uses for the CTR (ontology/data/dialogue/answers.toml)."""
    if fact.value is None:
        return say("ctr_not_measured", lang)
    name = {
        CtrState.IMPLAUSIBLE: "ctr_implausible",
        CtrState.NOT_PA: _NOT_PA_PHRASE.get(fact.view, "ctr_view_unknown"),
        CtrState.ENLARGED: "ctr_enlarged",
        CtrState.BORDERLINE: "ctr_borderline",
        CtrState.NORMAL: "ctr_normal",
    }[fact.state]
    low, high = CTR_PLAUSIBLE
    if_pa = ""
    if fact.state is CtrState.NOT_PA and fact.value > CTR_ENLARGED:
        # an AP or unrecorded view: not judged, but what the value means on a PA film
        # is said with the same cut-offs, so no answer reads it as plainly enlarged
        band = "enlarged" if fact.value > CTR_BORDERLINE_HIGH else "borderline"
        if_pa = say(f"ctr_if_pa_{band}", lang)
    return say(
        name,
        lang,
        value=fact.shown,
        low=low,
        high=high,
        cut=CTR_ENLARGED,
        cut_high=CTR_BORDERLINE_HIGH,
        if_pa=if_pa,
    )


def ctr_answer(fact: CtrFact, lang: Language, *, normal_asked: bool = False) -> str:
    """Line 1 of "is the heart enlarged?" (or "is the heart size normal?"): yes, no, or why not judged."""
    yes, no = ("lead_no", "lead_yes") if normal_asked else ("lead_yes", "lead_no")
    lead = {
        CtrState.ENLARGED: yes,
        CtrState.NORMAL: no,
        CtrState.BORDERLINE: "lead_borderline",
    }.get(fact.state, "lead_not_judged")
    return led(say(lead, lang), [ctr_sentence(fact, lang)], lang)


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
    if fact.degrees is None:
        name = "angle_not_measured"
    else:
        name = "angle_blunted" if fact.blunted else "angle_sharp"
    side_zh = {"right": "右", "left": "左"}[fact.side]
    return say(
        name,
        lang,
        side=fact.side,
        side_zh=side_zh,
        degrees=fact.degrees,
        cut=CPA_BLUNTED_DEG,
    )


def side_zh(side: str) -> str:
    return {"right": "右", "left": "左"}.get(side, "")


def angle_part(fact: AngleFact, lang: Language) -> str:
    """One side's angle inside a sentence ("right about 29° (sharp)"), same cut-off."""
    if fact.degrees is None:
        name = "angle_part_not_measured"
    else:
        name = "angle_part_blunted" if fact.blunted else "angle_part_sharp"
    return say(
        name,
        lang,
        side=fact.side,
        side_zh=side_zh(fact.side),
        degrees=fact.degrees,
        cut=CPA_BLUNTED_DEG,
    )


# Two blunted angles within this many degrees of each other are "alike": the angle
# measurement itself varies by a few degrees with the traced outline.
ANGLES_ALIKE_DEG = 5.0
_SIDE_ZH = {"right": "右", "left": "左"}


def angle_comparison(facts: list[AngleFact], lang: Language) -> str:
    """Line 1 of "which side has more fluid?": the sides set against each other.

    Read from the same measured angles and cut-off as every other effusion answer; a
    radiograph shows that an angle is blunted, not how much fluid lies behind it.
    """
    by_side = {a.side: a.degrees for a in facts}
    right, left = by_side.get("right"), by_side.get("left")
    if right is None and left is None:
        return say("sides_angles_not_measured", lang)
    if right is None or left is None:
        side = "right" if right is not None else "left"
        return say("sides_angle_one_measured", lang, side=side, side_zh=_SIDE_ZH[side])
    blunted = [a.side for a in facts if a.blunted]
    fields = {"right": right, "left": left, "cut": CPA_BLUNTED_DEG}
    if not blunted:
        return say("sides_angles_both_sharp", lang, **fields)
    if len(blunted) == 1:
        side = blunted[0]
        other = "left" if side == "right" else "right"
        return say(
            "sides_angle_one_blunted",
            lang,
            side=side,
            side_zh=_SIDE_ZH[side],
            other=other,
            other_zh=_SIDE_ZH[other],
            blunted=by_side[side],
            sharp=by_side[other],
            cut=CPA_BLUNTED_DEG,
        )
    if abs(right - left) < ANGLES_ALIKE_DEG:
        return say("sides_angles_both_blunted_alike", lang, **fields)
    side = "right" if right > left else "left"  # the wider angle is the blunter
    return say(
        "sides_angles_both_blunted", lang, side=side, side_zh=_SIDE_ZH[side], **fields
    )


def calcification_sentence(f: Finding, lang: Language) -> str:
    """Calcification of a lesion, in the words of describe, presence and scorecard alike."""
    likely = f.calcification_likelihood
    if likely is None:
        return say("calcification_not_assessed", lang)
    name = (
        "calcification_possible"
        if likely >= CALCIFICATION_POSSIBLE
        else "calcification_none"
    )
    return say(name, lang, likely=likely)


def calcification_answer(f: Finding, lang: Language) -> str:
    """Line 1 of "is it calcified?": no, possibly, or not assessed, then why."""
    likely = f.calcification_likelihood
    if likely is None:
        lead = "lead_not_judged"
    elif likely >= CALCIFICATION_POSSIBLE:
        lead = "lead_possibly"
    else:
        lead = "lead_no_sentence"
    return say(lead, lang) + calcification_sentence(f, lang)


def size_interval_mm(f: Finding) -> tuple[float, float] | None:
    """The long axis as an interval in mm (None without a calibrated size)."""
    if f.long_axis_mm is None:
        return None
    if f.diameter_interval_mm is not None:
        return f.diameter_interval_mm  # the engine's, from its size cross-validation
    spread = max(SIZE_ABS_MM, SIZE_REL * f.long_axis_mm)
    return (max(0.0, f.long_axis_mm - spread), f.long_axis_mm + spread)


def with_size_range(
    size: str,
    f: Finding,
    unit: str | None,
    lang: Language,
    *,
    brief: bool = False,
    inline: bool = False,
    caveat: bool = True,
) -> str:
    """A size's words followed by the long axis's interval, when the size is calibrated.

    The interval is `size_interval_mm`, the one the checklist's size item reads, so an
    answer, the read, the report and the scorecard give one range for one measurement.
    `brief` puts it in brackets, for a line that goes on after the size; `inline` joins
    it with a comma, for a sentence whose brackets hold something else (a confidence).
    `caveat=False` leaves out the small-size caveat, for a line that goes on after the
    size and gives it as its own sentence after its description (`small_size_caveat`).
    """
    interval = size_interval_mm(f)
    if interval is None or not plausible_mm(f.long_axis_mm):
        return _with_small_caveat(size, f, lang) if caveat else size
    name = "mm" if unit == "mm" else "cm"
    digits = 0 if name == "mm" else 1
    name_of = "size_range_brief" if brief else "size_range"
    ranged = say(
        "size_range_inline" if inline else name_of,
        lang,
        size=size,
        low=f"{shown_length(interval[0], name):.{digits}f}",
        high=f"{shown_length(interval[1], name):.{digits}f}",
        unit=name,
    )
    return _with_small_caveat(ranged, f, lang) if caveat else ranged


def _is_small_focal(f: Finding) -> bool:
    """Whether a focal finding's size is under SMALL_FOCAL_MM (below what a film resolves).

    Such a size comes from a few pixels of a faint outline: the half-maximum contour of
    a low-contrast lesion shrinks towards its brightest core, so the figure is uncertain
    and more likely short of the outline a reader would measure than beyond it.
    """
    if not f.is_focal:
        return False
    long_mm = f.long_axis_mm
    if long_mm is None and f.size_estimate is not None:
        long_mm = f.size_estimate.long_axis_mm
    return plausible_mm(long_mm) and long_mm is not None and long_mm < SMALL_FOCAL_MM


def _with_small_caveat(text: str, f: Finding, lang: Language) -> str:
    """A size followed by the small-size caveat, when the focal size is that small."""
    if not _is_small_focal(f):
        return text
    return say("size_small_caveat", lang, size=text, mm=SMALL_FOCAL_MM)


def small_size_caveat(f: Finding, lang: Language) -> str:
    """The small-size caveat as a sentence of its own ("" when the size is not that small).

    For a line that describes more after the size (its shape), so that the caveat follows
    the description instead of the description being tacked onto the caveat.
    """
    if not _is_small_focal(f):
        return ""
    return say("size_small_caveat_sentence", lang, mm=SMALL_FOCAL_MM)


# A quarter of a focal finding's outline beyond the outlined lung field: enough of it lies
# over the heart, the mediastinum, a dome or the chest wall for those to have made it.
OUTSIDE_LUNG_SHARE = 0.25


def outside_lung_share(analysis: ImageAnalysis, f: Finding) -> float | None:
    """The share of a finding's outline outside the outlined lung fields (None unread)."""
    anatomy = analysis.anatomy
    if not f.contour or not anatomy.lungs_found:
        return None
    lungs = anatomy.mask(Region.RIGHT_LUNG) | anatomy.mask(Region.LEFT_LUNG)
    outside = counted = 0
    for p in f.contour:
        gx, gy = anatomy.grid.to_grid(p)
        ix, iy = round(gx), round(gy)
        if 0 <= ix < lungs.shape[1] and 0 <= iy < lungs.shape[0]:
            counted += 1
            outside += int(not lungs[iy, ix])
    return outside / counted if counted else None


@dataclass(frozen=True, slots=True)
class RealityFact:
    """What the engine has for and against a focal finding being real, not a mimic.

    The calibrated score and its threshold first; then the outline's share outside the
    lung field, a size under what a film resolves, and a score just over the threshold.
    Ribs are not located, so a rib crossing is never ruled in or out.
    """

    score: float
    threshold: float
    reported: bool
    weak: bool
    outside_share: float | None
    centre_in_lung: bool
    small: bool


def reality_fact(analysis: ImageAnalysis, f: Finding, threshold: float) -> RealityFact:
    return RealityFact(
        score=f.confidence,
        threshold=threshold,
        reported=f.confidence >= threshold,
        weak=is_weak(f.confidence, threshold),
        outside_share=outside_lung_share(analysis, f),
        centre_in_lung=f.location.inside_lung,
        small=_is_small_focal(f),
    )


def reality_evidence(fact: RealityFact, lang: Language) -> list[str]:
    """The evidence lines of "is it real?": what supports it, what weakens it, unchecked."""
    weakens: list[str] = []
    supports: list[str] = []
    share = fact.outside_share
    if share is not None and share >= OUTSIDE_LUNG_SHARE:
        weakens.append(say("real_outside_lung", lang, share=round(100 * share)))
    elif not fact.centre_in_lung:
        weakens.append(say("real_centre_outside", lang))
    elif share is not None:
        supports.append(say("real_inside_lung", lang))
    if fact.small:
        weakens.append(say("real_small", lang, mm=SMALL_FOCAL_MM))
    else:
        supports.append(say("real_not_small", lang, mm=SMALL_FOCAL_MM))
    if fact.reported and fact.weak:
        weakens.append(say("real_near_threshold", lang))
    lines = []
    if supports:
        lines.append(say("real_supports", lang, items=_joined(supports, lang)))
    if weakens:
        lines.append(say("real_weakens", lang, items=_joined(weakens, lang)))
    lines.append(say("real_unchecked", lang))
    return lines


def reality_lead(
    fact: RealityFact, a: str, confidence: str, whose: str, lang: Language
) -> str:
    """The answer to "is it real?" first: the calibrated score read as odds, hedged."""
    tenths = int(10 * fact.score + 0.5)
    odds = (
        say("real_odds_few", lang)
        if tenths < 1
        else say("real_odds_most", lang)
        if tenths > 9
        else say("real_odds", lang, n=tenths)
    )
    lead = (
        "real_lead_unreported"
        if not fact.reported
        else "real_lead_likely"
        if fact.score >= 0.5
        else "real_lead_doubtful"
    )
    return say(
        lead,
        lang,
        a=a,
        confidence=confidence,
        threshold=fact.threshold,
        whose=whose,
        odds=odds,
    )


def _joined(items: list[str], lang: Language) -> str:
    return ("；" if Language(lang) is Language.ZH else "; ").join(items)


def unread_sides(analysis: ImageAnalysis, side: str | None = None) -> tuple[str, ...]:
    """The sides a place covers whose lung field the analysis could not outline.

    `side` is the place's side; None or "both" is the whole film. A film withheld as a
    whole (frontal doubts) says so already, so no side is named apart.
    """
    if analysis.frontal_doubts:
        return ()
    unread = tuple(s.value for s in unread_lung_sides(analysis.anatomy))
    return tuple(s for s in unread if side not in ("right", "left") or s == side)


def unread_sentence(side: str, lang: Language, *, asked: bool = False) -> str:
    """Why a side's findings were not assessed (its lung field was not outlined).

    `asked`: the answer to a question about that side, led by "not assessable".
    """
    name = "lung_not_read_asked" if asked else "lung_not_read"
    return say(name, lang, side=side, side_zh=_SIDE_ZH[side])


def margin_irregular(m: Margin | None) -> bool:
    """Whether a margin is called irregular: lobulated or spiculated.

    The same calls the margin line ("smooth contour", "a single shallow notch") and the
    spicule line ("a possible spicule or a small vessel") make, so a lead word never
    says more than the lines beneath it: one notch or one strand is not irregular.
    """
    return m is not None and (m.lobulated or m.spiculated)


@dataclass(frozen=True, slots=True)
class LobeFact:
    """A finding's lobe projection on the frontal film: the lobe, then one near it.

    `lobes` is empty where the finding projects over no lobe; a second lobe means the
    lesion's edge lies near a projected lobe boundary, where the film cannot say which.
    """

    lobes: tuple[str, ...]

    @property
    def upper(self) -> bool | None:
        """Whether the projection is an upper lobe; None when its lobes disagree."""
        calls = {lobe in UPPER_LOBES for lobe in self.lobes}
        return None if len(calls) > 1 else calls == {True}


def lobe_fact(analysis: ImageAnalysis, f: Finding) -> LobeFact:
    """The one lobe projection every answer and the upper-lobe item read."""
    return LobeFact(projected_lobes(analysis.anatomy, f))


def lobe_verdict(fact: LobeFact, asked: str) -> str | None:
    """Yes, possibly or no to "is it in this lobe?", from the projection alone.

    "possibly" where the lesion lies near a projected boundary and the lobe asked is
    one of the two sides; None where the finding projects over no lobe.
    """
    if not fact.lobes:
        return None
    named = lobe_parts(asked)
    fits = [lobe in named for lobe in fact.lobes]
    if all(fits):
        return "yes"
    return "possibly" if any(fits) else "no"


def _lobe_terms(fact: LobeFact, lang: Language, vocabulary: Vocabulary) -> list[str]:
    """The names of the lobes a finding projects over, the nearest first."""
    return [
        term.name(lang)
        for term in (vocabulary.find_anatomy(lobe) for lobe in fact.lobes)
        if term is not None
    ]


def lobe_names(fact: LobeFact, lang: Language, vocabulary: Vocabulary) -> str | None:
    """'lingula' or 'lingula or left lower lobe'; None without a projection."""
    names = _lobe_terms(fact, lang, vocabulary)
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    return say("lobe_either", lang, a=names[0], b=names[1])


def lobe_words(fact: LobeFact, lang: Language, vocabulary: Vocabulary) -> str | None:
    """The lobe projection with its hedge, as every answer that names a lobe says it."""
    names = _lobe_terms(fact, lang, vocabulary)
    if not names:
        return None
    if len(names) == 1:
        return say("lobe_projected", lang, name=names[0])
    return say("lobe_projected_near", lang, name=names[0], other=names[1])


def in_upper_lobe(f: Finding) -> bool:
    """Whether the lobe at a finding's centre is an upper lobe (no map at hand)."""
    return f.location.lobe is not None and f.location.lobe.value in UPPER_LOBES


def size_answer(
    f: Finding, analysis: ImageAnalysis, unit: str | None, lang: Language
) -> str:
    """The size of a lesion in the unit asked (cm by default), with its calibration."""
    if f.long_axis_mm is None or f.short_axis_mm is None:
        return _size_without_spacing(f, unit, lang)
    name = "mm" if unit == "mm" else "cm"
    digits = 0 if name == "mm" else 1
    source = analysis.calibration.source.value
    size = say(
        "size_calibrated",
        lang,
        long=f"{shown_length(f.long_axis_mm, name):.{digits}f}",
        short=f"{shown_length(f.short_axis_mm, name):.{digits}f}",
        unit=name,
        source=say(f"source_{source}", lang),
    )
    return with_size_range(size, f, unit, lang)


def threshold_verdict(f: Finding, bound: SizeBound, lang: Language) -> str | None:
    """Answer "is it over 2 cm?" first: yes, no or borderline, from the size and interval.

    One cut-off asked (over X or under X) of a calibrated long axis: yes or no when the
    whole interval (`size_interval_mm`, the one the checklist reads) lies on one side
    of X, borderline when it spans X; said in the unit of the question. None when no
    single cut-off is asked or the size is not calibrated.
    """
    interval = size_interval_mm(f)
    over, under = bound.min_mm, bound.max_mm
    if interval is None or f.long_axis_mm is None or (over is None) == (under is None):
        return None
    cut = over if over is not None else under
    assert cut is not None
    low, high = interval
    whole = "above" if low > cut else "below" if high < cut else None
    if whole is None:
        name = "threshold_borderline"
    else:
        asked = "above" if over is not None else "below"
        name = "threshold_yes" if whole == asked else "threshold_no"
    unit = "mm" if bound.unit == "mm" else "cm"
    digits = 1 if unit == "mm" else 2
    scale = 1.0 if unit == "mm" else 0.1
    side = "above" if f.long_axis_mm > cut else "below"
    return say(
        name,
        lang,
        value=f"{f.long_axis_mm * scale:.{digits}f}",
        cut=f"{cut * scale:g}",
        low=f"{shown_length(low, unit):.{0 if unit == 'mm' else 1}f}",
        high=f"{shown_length(high, unit):.{0 if unit == 'mm' else 1}f}",
        unit=unit,
        side=say(f"threshold_{side}", lang),
        range_side=say(f"threshold_{whole or side}", lang),
    )


# A border error a reader could see on the overlay: the heart's width off by this much.
CTR_WIDTH_ERROR_MM = 5.0
CTR_WIDTH_ERROR_PX = 10.0  # on a film with no pixel spacing


def ctr_reliability(analysis: ImageAnalysis, lang: Language) -> list[str]:
    """How far the CTR can be trusted: it is measured, so no detection confidence.

    How much a border error moves the ratio comes from the thorax's measured width; a
    value within that of a cut-off is said to be able to fall on either side of it.
    """
    lines = [say("ctr_reliability", lang)]
    fact = ctr_fact(analysis)
    value, thorax_px = fact.value, analysis.anatomy.thoracic_width_px
    if value is None or not thorax_px or fact.state is CtrState.IMPLAUSIBLE:
        return lines
    col_mm = analysis.calibration.col_mm
    error_px = CTR_WIDTH_ERROR_MM / col_mm if col_mm else CTR_WIDTH_ERROR_PX
    delta = error_px / thorax_px
    cut = min((CTR_ENLARGED, CTR_BORDERLINE_HIGH), key=lambda c: abs(c - value))
    gap = abs(value - cut)
    near = (
        say("ctr_reliability_near_cut", lang, cut=cut, gap=gap) if gap < delta else ""
    )
    if fact.state is CtrState.BORDERLINE:
        # in the borderline band: both cut-offs it lies between, so the distance to the
        # nearer one is not read as the distance to the 0.50 limit the headline names
        within = say("ctr_reliability_within", lang, cut=cut) if gap < delta else ""
        near = say(
            "ctr_reliability_band",
            lang,
            cut=CTR_ENLARGED,
            cut_high=CTR_BORDERLINE_HIGH,
            above=value - CTR_ENLARGED,
            below=CTR_BORDERLINE_HIGH - value,
            within=within,
        )
    name = "ctr_reliability_error_mm" if col_mm else "ctr_reliability_error_px"
    lines.append(
        say(name, lang, mm=CTR_WIDTH_ERROR_MM, px=error_px, delta=delta, near=near)
    )
    return lines


def heart_width_answer(
    analysis: ImageAnalysis,
    unit: str | None,
    lang: Language,
    *,
    estimated: bool = False,
) -> str | None:
    """The heart's transverse diameter in the unit asked, with its calibration.

    It is the width the CTR divides by the thorax's, so a size asked of the heart and
    the CTR read one measurement; none when that measurement failed (a CTR outside the
    plausible range says so instead). `estimated`: a film without pixel spacing gives
    the width on the estimated scale (hedged), for an answer whose other sizes use it,
    so one answer keeps one scale.
    """
    return _ctr_width(
        analysis,
        analysis.anatomy.heart_width_px,
        "heart",
        unit,
        lang,
        estimated=estimated,
    )


def _ctr_width(
    analysis: ImageAnalysis,
    width_px: float | None,
    name: str,
    unit: str | None,
    lang: Language,
    *,
    estimated: bool = False,
) -> str | None:
    """One of the CTR's two widths ("heart" or "thoracic"), in the unit asked."""
    fact = ctr_fact(analysis)
    if width_px is None or fact.state in (CtrState.IMPLAUSIBLE, CtrState.NOT_MEASURED):
        return None
    col_mm = analysis.calibration.col_mm
    scale, unit_name = (1.0, "mm") if unit == "mm" else (0.1, "cm")
    digits = 0 if unit_name == "mm" else 1
    if col_mm is None:
        estimate = analysis.estimated_calibration
        if estimated and estimate is not None and estimate.col_mm is not None:
            return say(
                f"{name}_width_estimated",
                lang,
                width=f"{width_px * estimate.col_mm * scale:.{digits}f}",
                unit=unit_name,
                pct=round(100 * ESTIMATE_RELATIVE_ERROR),
            )
        return say(f"{name}_width_pixels", lang, px=f"{width_px:.0f}")
    return say(
        f"{name}_width_calibrated",
        lang,
        width=f"{width_px * col_mm * scale:.{digits}f}",
        unit=unit_name,
        source=say(f"source_{analysis.calibration.source.value}", lang),
    )


def calibration_doubt(analysis: ImageAnalysis, lang: Language) -> str | None:
    """The hedge every size, distance and read carries when the spacing is implausible."""
    width = analysis.implausible_thorax_mm
    if width is None:
        return None
    low, high = THORACIC_WIDTH_PLAUSIBLE_MM
    return say(
        "calibration_implausible",
        lang,
        cm=width / 10,
        low=low / 10,
        high=high / 10,
    )


def calibration_answer(analysis: ImageAnalysis, lang: Language) -> list[str]:
    """What a calibration question is answered with: the film's spacing and its source."""
    cal = analysis.calibration
    if cal.row_mm is None or cal.col_mm is None:
        estimate = analysis.estimated_calibration
        name = "calibration_none" if estimate is None else "calibration_none_estimate"
        return [say(name, lang, error=f"{ESTIMATE_RELATIVE_ERROR:.0%}")]
    lines = [
        say(
            "calibration_stored",
            lang,
            row=cal.row_mm,
            col=cal.col_mm,
            source=say(f"source_{cal.source.value}", lang),
        )
    ]
    doubt = calibration_doubt(analysis, lang)
    return lines if doubt is None else [*lines, doubt]


def thoracic_width_answer(
    analysis: ImageAnalysis, unit: str | None, lang: Language
) -> str | None:
    """The thorax's internal width, the CTR's denominator, in the unit asked."""
    width_px = analysis.anatomy.thoracic_width_px
    return _ctr_width(analysis, width_px, "thoracic", unit, lang)


def _size_without_spacing(f: Finding, unit: str | None, lang: Language) -> str:
    estimate = f.size_estimate
    px = f"{f.long_axis_px:.0f} × {f.short_axis_px:.0f}"
    if estimate is None:
        return say("size_pixels", lang, px=px)
    scale, name = (1.0, "mm") if unit == "mm" else (0.1, "cm")
    return say(
        "size_estimated",
        lang,
        px=px,
        long=estimate.long_axis_mm * scale,
        short=estimate.short_axis_mm * scale,
        unit=name,
        error=f"{estimate.relative_error:.0%}",
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
        # near a lobe boundary the centre's lobe is kept here; reconcile_item says the
        # item is borderline, as the location answer does
        upper = lobe_fact(analysis, f).upper
        obs.append(
            Observation(
                feature="focal.upper_lobe",
                value=in_upper_lobe(f) if upper is None else upper,
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
    items = [reconcile_item(item, analysis, subject) for item in card.items]
    return replace(card, items=tuple(items))


def lesion_sign_item(
    analysis: ImageAnalysis,
    f: Finding,
    anchor_id: str,
    sign: Sign,
    vocabulary: Vocabulary,
) -> ItemResult:
    """One sign assessed for one lesion, worded as the answers word the same fact."""
    observations = lesion_observations(analysis, f, anchor_id)
    item = assess(observations, sign, vocabulary, measured=MEASURED_FEATURES)
    return reconcile_item(item, analysis, f)


def reconcile_item(
    item: ItemResult, analysis: ImageAnalysis, subject: Finding | None = None
) -> ItemResult:
    """One checklist item, worded as the answer that states the same fact words it."""
    patterns = set(load_phrases().calcification_patterns)
    fact = ctr_fact(analysis)
    if str(item.sign_code) in patterns and subject is not None:
        item = _no_pattern(item, subject)
    elif str(item.sign_code) == UPPER_LOBE_SIGN and subject is not None:
        item = _upper_lobe_item(item, lobe_fact(analysis, subject))
    elif str(item.sign_code) == SPICULATION_SIGN and subject is not None:
        item = _spiculation_item(item, subject.margin)
    elif subject is not None and _sized_by_estimate_only(item, analysis, subject):
        item = _estimate_only_item(item, subject)
    elif fact.state is CtrState.IMPLAUSIBLE and str(item.sign_code) in (
        "F01",
        "F02",
    ):
        item = replace(
            item,
            reason_en=ctr_sentence(fact, Language.EN),
            reason_zh=ctr_sentence(fact, Language.ZH),
        )
    elif fact.state is CtrState.BORDERLINE and str(item.sign_code) == "F01":
        # "enlarged heart" is neither met nor not met in the borderline band
        words = {
            lang: borderline_reason(
                say(
                    "ctr_borderline_item",
                    lang,
                    value=fact.shown,
                    cut=CTR_ENLARGED,
                    cut_high=CTR_BORDERLINE_HIGH,
                ),
                lang,
            )
            for lang in (Language.EN, Language.ZH)
        }
        item = replace(
            item,
            status=MatchStatus.NOT_ASSESSABLE,
            reason_en=words[Language.EN],
            reason_zh=words[Language.ZH],
            unassessable=Unassessable.BORDERLINE,
        )
    return item


def _sized_by_estimate_only(
    item: ItemResult, analysis: ImageAnalysis, subject: Finding
) -> bool:
    """A size item left unscored because the film has no spacing, only an estimate."""
    if item.unassessable is not Unassessable.NOT_MEASURED:
        return False
    if analysis.calibration.is_calibrated or subject.size_estimate is None:
        return False
    rule = load_vocabulary().signs[item.sign_code].rule
    return rule is not None and rule.feature == "focal.diameter_mm"


def _estimate_only_item(item: ItemResult, subject: Finding) -> ItemResult:
    """Say why the size is not scored: the answers give an estimate, not a measurement.

    Sizes score a checklist only from the film's own calibration; "not measured on this
    image" beside a size the read just gave (about 1.5 cm, estimated) reads as a
    contradiction, so the reason names the estimate and why it does not count.
    """
    estimate = subject.size_estimate
    assert estimate is not None
    words = {
        lang: say(
            "size_item_estimate_only",
            lang,
            long_cm=estimate.long_axis_mm / 10,
            error=f"{estimate.relative_error:.0%}",
        )
        for lang in (Language.EN, Language.ZH)
    }
    return replace(item, reason_en=words[Language.EN], reason_zh=words[Language.ZH])


def _spiculation_item(item: ItemResult, margin: Margin | None) -> ItemResult:
    """Borderline on one strand: the spicule line calls it a spicule or a small vessel."""
    if margin is None or not 0 < len(margin.spicules) < SPICULATION_MIN_COUNT:
        return item
    return replace(
        item,
        status=MatchStatus.NOT_ASSESSABLE,
        reason_en=borderline_reason(say("spicule_one_item", Language.EN), Language.EN),
        reason_zh=borderline_reason(say("spicule_one_item", Language.ZH), Language.ZH),
        unassessable=Unassessable.BORDERLINE,
    )


def _upper_lobe_item(item: ItemResult, fact: LobeFact) -> ItemResult:
    """Borderline when the projection lies between an upper and a lower lobe."""
    if fact.upper is not None:
        return item
    vocabulary = load_vocabulary()
    words = {
        lang: borderline_reason(
            say(
                "upper_lobe_borderline", lang, lobes=lobe_names(fact, lang, vocabulary)
            ),
            lang,
        )
        for lang in (Language.EN, Language.ZH)
    }
    return replace(
        item,
        status=MatchStatus.NOT_ASSESSABLE,
        reason_en=words[Language.EN],
        reason_zh=words[Language.ZH],
        unassessable=Unassessable.BORDERLINE,
    )


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
    "ANGLES_ALIKE_DEG",
    "CTR_BORDERLINE_HIGH",
    "CTR_ENLARGED",
    "CTR_PLAUSIBLE",
    "AngleFact",
    "CtrFact",
    "CtrState",
    "LobeFact",
    "angle_comparison",
    "angle_facts",
    "angle_sentence",
    "calcification_answer",
    "calcification_sentence",
    "calibration_answer",
    "calibration_doubt",
    "ctr_answer",
    "ctr_fact",
    "ctr_sentence",
    "film_observations",
    "in_upper_lobe",
    "lesion_observations",
    "lobe_fact",
    "lobe_names",
    "lobe_words",
    "margin_irregular",
    "reconcile",
    "reconcile_item",
    "size_answer",
    "size_interval_mm",
    "small_size_caveat",
    "unread_sentence",
    "unread_sides",
    "with_size_range",
]
