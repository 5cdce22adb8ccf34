"""Turn an image analysis into ontology observations (the feature catalogue's values).

Each observation names a feature of `ontology/data/features.toml` and the anchors that
are its evidence, so a scorecard item links back to the place on the image. Features
the engine cannot measure are simply not observed; the scorecard then says "not
measured" instead of "absent".
"""

from __future__ import annotations

import math
from collections.abc import Callable

from engine.analysis import ImageAnalysis
from engine.anatomy import Band, Zone
from engine.findings import Finding, FindingKind
from engine.lesion_groups import possibly_one_lesion
from engine.model import Side
from ontology import Observation

# A costophrenic recess traced from the lung field is normally acute; beyond this angle
# the recess reads as blunted (fluid or pleural thickening). On 40 JSRT training films
# the angles from the segmented lung fields ranged 11-75 degrees, with 2 of 80 sides
# above 100 from segmentation irregularities at the base.
CPA_BLUNTED_DEG = 100.0
SATELLITE_RADIUS_MM = 20.0
# Diffuse findings below this confidence are not reported and not counted as present.
# On the first 40 JSRT training films (nodule cases without consolidation) 2 reach it:
# the heuristic asymmetry detector is kept to a few false reports per hundred films.
DIFFUSE_REPORT_CONFIDENCE = 0.7
# Every feature this engine can observe on a radiograph (here, and the lobe projection
# added by engine/dialogue/facts.py). A catalogue feature outside it (a pneumothorax
# rim, the hila's size) is one the tool never measures: its signs are "not assessed by
# this tool", not "not measured on this image" as for a measurement that failed here.
MEASURED_FEATURES = frozenset(
    {
        "focal.present",
        "focal.count",
        "focal.diameter_mm",
        "focal.diameter_mm_low",
        "focal.diameter_mm_high",
        "focal.upper_lobe",
        "focal.short_axis_mm",
        "focal.lobulation_notches",
        "focal.spicule_count",
        "focal.spicule_max_mm",
        "focal.margin_sharpness",
        "focal.ill_defined",
        "focal.density_homogeneity",
        "focal.calcification_likelihood",
        "focal.central_lucency",
        "focal.pleural_contact",
        "focal.upper_zone",
        "focal.hilum_connected",
        "focal.satellite_count",
        "opacity.consolidation_present",
        "opacity.consolidation_fraction",
        "opacity.bilateral",
        "opacity.perihilar",
        "opacity.upper_zone",
        "opacity.lower_zone",
        "opacity.linear_present",
        "opacity.reticular_present",
        "heart.ctr",
        "pleura.cpa_blunted_right",
        "pleura.cpa_blunted_left",
        "pleura.cpa_blunted_any",
        "mediastinum.width_ratio",
        "view.frontal_pa",
    }
)


def focal_observations(
    analysis: ImageAnalysis, finding: Finding, anchor_id: str
) -> list[Observation]:
    """Features of one focal finding, all citing that finding's anchor."""
    ev = (anchor_id,)
    obs = [
        Observation(feature="focal.present", value=True, evidence_anchor_ids=ev),
        Observation(
            feature="focal.upper_zone",
            value=finding.location.zone is Zone.UPPER,
            evidence_anchor_ids=ev,
        ),
    ]

    def add(feature: str, value: float | int | bool | None) -> None:
        if value is not None:
            obs.append(
                Observation(feature=feature, value=value, evidence_anchor_ids=ev)
            )

    # Sizes only from the image's own calibration, never from an anatomical estimate.
    if analysis.calibration.is_calibrated:
        add("focal.diameter_mm", finding.long_axis_mm)
        if finding.diameter_interval_mm is not None:
            add("focal.diameter_mm_low", finding.diameter_interval_mm[0])
            add("focal.diameter_mm_high", finding.diameter_interval_mm[1])
        add("focal.short_axis_mm", finding.short_axis_mm)
    if finding.margin is not None:
        add("focal.lobulation_notches", len(finding.margin.notches))
        add("focal.spicule_count", len(finding.margin.spicules))
        lengths = [
            s.length_mm for s in finding.margin.spicules if s.length_mm is not None
        ]
        if lengths or (
            analysis.calibration.is_calibrated and not finding.margin.spicules
        ):
            add("focal.spicule_max_mm", max(lengths, default=0.0))
        add("focal.margin_sharpness", finding.margin.sharpness)
        add("focal.ill_defined", finding.margin.ill_defined)
    add("focal.density_homogeneity", finding.homogeneity)
    add("focal.calcification_likelihood", finding.calcification_likelihood)
    add("focal.central_lucency", finding.central_lucency)
    add("focal.pleural_contact", finding.pleural_contact)
    relation = analysis.hilum_relations.get(finding.id)
    if relation is not None:
        add("focal.hilum_connected", relation.connected)
    spacing = analysis.calibration.mean_mm
    if spacing:
        # Only findings the read reports count: a candidate below the report score is
        # not said to exist, so a checklist must not score a satellite from it; an
        # outline whose edge nearly touches this one may be a lobe of the same lesion.
        satellites = sum(
            1
            for other in analysis.focal_findings
            if other.id != finding.id
            and other.confidence >= analysis.focal_report_score
            and math.dist(other.center, finding.center) * spacing <= SATELLITE_RADIUS_MM
            and not possibly_one_lesion(finding, other, spacing)
        )
        add("focal.satellite_count", satellites)
    return obs


def global_observations(
    analysis: ImageAnalysis,
    anchor_for: Callable[[str], str | None],
    *,
    focal_report_threshold: float,
) -> list[Observation]:
    """Whole-film features, each citing its evidence anchors.

    `anchor_for(name)` gives the evidence anchor for a finding id or a region id, or
    None when the conversation has none for it.
    """
    obs: list[Observation] = []

    def add(feature: str, value: float | int | bool, *evidence: str | None) -> None:
        ids = tuple(e for e in evidence if e)
        obs.append(Observation(feature=feature, value=value, evidence_anchor_ids=ids))

    reported_focal = [
        f for f in analysis.focal_findings if f.confidence >= focal_report_threshold
    ]
    add("focal.count", len(reported_focal), *(anchor_for(f.id) for f in reported_focal))
    if not reported_focal:
        add("focal.present", False)

    diffuse = [
        f
        for f in analysis.findings
        if not f.is_focal and f.confidence >= DIFFUSE_REPORT_CONFIDENCE
    ]
    consolidation = [f for f in diffuse if f.kind is FindingKind.CONSOLIDATION]
    ids = [anchor_for(f.id) for f in consolidation]
    add("opacity.consolidation_present", bool(consolidation), *ids)
    add(
        "opacity.consolidation_fraction",
        round(min(1.0, sum(f.lung_fraction or 0 for f in consolidation)), 3),
        *ids,
    )
    sides = {f.location.side for f in diffuse}
    if diffuse:  # "unilateral" is a statement about an opacity that exists
        add(
            "opacity.bilateral",
            len(sides & {Side.RIGHT, Side.LEFT}) == 2,
            *(anchor_for(f.id) for f in diffuse),
        )
    add(
        "opacity.perihilar",
        any(f.location.band is Band.INNER for f in diffuse),
        *(anchor_for(f.id) for f in diffuse if f.location.band is Band.INNER),
    )
    # A reported nodule or mass is a parenchymal opacity too: a lone upper-zone lesion
    # is upper-zone opacity, not "no upper-zone predominance".
    opacities = [*diffuse, *reported_focal]
    for zone, feature in (
        (Zone.UPPER, "opacity.upper_zone"),
        (Zone.LOWER, "opacity.lower_zone"),
    ):
        add(
            feature,
            any(f.location.zone is zone for f in opacities),
            *(anchor_for(f.id) for f in opacities if f.location.zone is zone),
        )
    linear = [f for f in diffuse if f.kind is FindingKind.LINEAR]
    add("opacity.linear_present", bool(linear), *(anchor_for(f.id) for f in linear))
    reticular = [f for f in diffuse if f.kind is FindingKind.RETICULAR]
    add(
        "opacity.reticular_present",
        bool(reticular),
        *(anchor_for(f.id) for f in reticular),
    )

    measures = analysis.measures
    if measures.cardiothoracic_ratio is not None:
        add("heart.ctr", measures.cardiothoracic_ratio, anchor_for("heart"))
    blunted = {}
    for side in ("right", "left"):
        angle = measures.cpa_angle_deg.get(side)
        if angle is not None:
            blunted[side] = angle > CPA_BLUNTED_DEG
            add(
                f"pleura.cpa_blunted_{side}",
                blunted[side],
                anchor_for(f"{side}_costophrenic_angle"),
            )
    if len(blunted) == 2:
        # Both angles are the evidence: the blunted one for "met", both sharp ones for "not met".
        cited = [s for s, b in blunted.items() if b] or list(blunted)
        add(
            "pleura.cpa_blunted_any",
            any(blunted.values()),
            *(anchor_for(f"{s}_costophrenic_angle") for s in cited),
        )
    if measures.mediastinum_width_ratio is not None:
        add(
            "mediastinum.width_ratio",
            measures.mediastinum_width_ratio,
            anchor_for("mediastinum"),
        )
    view = (analysis.view_position or "").upper()
    if view in ("PA", "AP"):
        add("view.frontal_pa", view == "PA")
    return obs
