"""The anatomy map on a synthetic phantom whose lungs and heart are known exactly."""

import numpy as np
import pytest

from engine.analysis import ImageAnalysis
from engine.anatomy import Band, Region, Zone, ZoneRule
from engine.model import Side

from .conftest import analyse, make_phantom


def test_patient_right_lung_is_on_the_image_left(seed_analysis):
    a = seed_analysis.anatomy
    assert a.side_of((200, 500)) is Side.RIGHT
    assert a.side_of((800, 500)) is Side.LEFT
    assert Region.RIGHT_LUNG in a.regions_at((300, 470))
    assert Region.LEFT_LUNG in a.regions_at((724, 400))


def test_zones_are_equal_thirds_of_the_lung_height(seed_analysis, phantom):
    a = seed_analysis.anatomy
    assert a.zone_rule is ZoneRule.EQUAL_THIRDS
    rows = np.flatnonzero(phantom.right_lung.any(axis=1))
    top, height = rows[0], rows[-1] - rows[0]
    assert a.zone_lines["right_upper_middle"] == pytest.approx(top + height / 3, abs=4)
    assert a.zone_lines["right_middle_lower"] == pytest.approx(
        top + 2 * height / 3, abs=4
    )
    assert a.locate((300, top + 0.15 * height)).zone is Zone.UPPER
    assert a.locate((300, top + 0.5 * height)).zone is Zone.MIDDLE
    assert a.locate((300, top + 0.85 * height)).zone is Zone.LOWER


def test_the_zone_rule_is_on_the_analysis_in_words_a_reader_can_quote(seed_analysis):
    assert seed_analysis.zone_rule is ZoneRule.EQUAL_THIRDS
    assert seed_analysis.zone_rule.describe("en") == (
        "zones: equal thirds of the lung height (anterior rib ends not located)"
    )
    assert "三等分" in seed_analysis.zone_rule.describe("zh")
    copy = ImageAnalysis.from_bytes(seed_analysis.to_bytes())
    assert copy.zone_rule is ZoneRule.EQUAL_THIRDS
    # No rib rule is offered while no rib detector exists.
    assert list(ZoneRule) == [ZoneRule.EQUAL_THIRDS]


def test_bands_run_from_the_mediastinal_edge_outward(seed_analysis):
    a = seed_analysis.anatomy
    # Right lung spans x 150..450 at its widest row (y 470): medial edge is x = 450.
    assert a.locate((430, 470)).band is Band.INNER
    assert a.locate((300, 470)).band is Band.MIDDLE
    assert a.locate((170, 470)).band is Band.OUTER
    # Left lung mirrors it: its medial edge is on the image left.
    assert a.locate((600, 400)).band is Band.INNER
    assert a.locate((850, 400)).band is Band.OUTER


def test_hila_sit_in_the_inner_band_at_hilar_level(seed_analysis):
    a = seed_analysis.anatomy
    for side in (Side.RIGHT, Side.LEFT):
        point = a.landmarks[f"{side.value}_hilum"]
        location = a.locate(point)
        assert location.side is side
        assert location.band in (Band.INNER, None)
        assert location.zone is Zone.MIDDLE


def test_cardiothoracic_ratio_matches_the_drawn_shapes(seed_analysis, phantom):
    heart_cols = np.flatnonzero(phantom.heart.any(axis=0))
    lung_cols = np.flatnonzero((phantom.right_lung | phantom.left_lung).any(axis=0))
    expected = (heart_cols[-1] - heart_cols[0] + 1) / (lung_cols[-1] - lung_cols[0] + 1)
    assert seed_analysis.measures.cardiothoracic_ratio == pytest.approx(
        expected, abs=0.01
    )


def test_every_region_of_the_map_has_pixels(seed_analysis):
    a = seed_analysis.anatomy
    empty = [
        r
        for r in Region
        if r not in (Region.RIGHT_CLAVICLE, Region.LEFT_CLAVICLE)
        and not a.mask(r).any()
    ]
    assert empty == []


def test_lobes_are_marked_as_approximate(seed_analysis):
    from engine.anatomy import APPROXIMATE_REGIONS

    assert (
        Region.RIGHT_MIDDLE_LOBE in APPROXIMATE_REGIONS
        and Region.RIGHT_MIDDLE_ZONE not in APPROXIMATE_REGIONS
    )


def test_anatomy_ids_exist_in_the_ontology():
    from ontology import load_vocabulary

    vocabulary = load_vocabulary()
    missing = [r.value for r in Region if vocabulary.find_anatomy(r.value) is None]
    assert missing == []


def test_analysis_survives_serialisation(seed_analysis):
    copy = ImageAnalysis.from_bytes(seed_analysis.to_bytes())
    assert copy.findings == seed_analysis.findings
    assert copy.anatomy.landmarks == seed_analysis.anatomy.landmarks
    assert copy.hilum_relations == seed_analysis.hilum_relations
    assert np.array_equal(
        copy.anatomy.mask(Region.RIGHT_MIDDLE_ZONE),
        seed_analysis.anatomy.mask(Region.RIGHT_MIDDLE_ZONE),
    )


def test_non_square_images_map_back_to_their_own_pixels():
    phantom = make_phantom(((290, 560, 26, (10, 3)),), rows=900, cols=1200)
    a = analyse(phantom, [])
    # The right lung ellipse centre (300, 470) scaled to 1200x900.
    assert a.anatomy.locate((300 * 1200 / 1024, 470 * 900 / 1024)).side is Side.RIGHT
    assert Region.RIGHT_LUNG in a.anatomy.regions_at(
        (300 * 1200 / 1024, 470 * 900 / 1024)
    )


# -- sides and relative positions of every region -------------------------------------


def centroid(anatomy, region: Region) -> tuple[float, float]:
    """Centroid of a region in image pixels."""
    ys, xs = np.nonzero(anatomy.mask(region))
    assert len(xs), f"{region.value} is empty"
    pts = anatomy.grid.points_to_image(np.stack([xs, ys], axis=1).astype(float))
    return float(pts[:, 0].mean()), float(pts[:, 1].mean())


# The phantom draws no clavicles; their sides are pinned on a real film (test_findings_real).
CLAVICLES = (Region.RIGHT_CLAVICLE, Region.LEFT_CLAVICLE)
SIDED = [
    r for r in Region if r.value.startswith(("right_", "left_")) and r not in CLAVICLES
] + [Region.LINGULA]


@pytest.mark.parametrize("region", SIDED, ids=lambda r: r.value)
def test_each_sided_region_lies_on_its_patients_side(seed_analysis, region):
    """PA film: patient right is the image left, so right_* regions lie left of the midline."""
    a = seed_analysis.anatomy
    x, _ = centroid(a, region)
    right = region.value.startswith("right_")
    assert (x < a.midline_x) is right
    lung = Region.RIGHT_LUNG if right else Region.LEFT_LUNG
    lung_x = centroid(a, lung)[0]
    # Within a third of the lung's own width of the ipsilateral lung, never the other one.
    assert abs(x - lung_x) < abs(x - centroid(a, _other(lung))[0])


def _other(lung: Region) -> Region:
    return Region.LEFT_LUNG if lung is Region.RIGHT_LUNG else Region.RIGHT_LUNG


@pytest.mark.parametrize("side", [Side.RIGHT, Side.LEFT])
def test_apex_lies_above_the_hilum_and_the_zones(seed_analysis, side):
    a = seed_analysis.anatomy
    s = side.value
    apex = Region(f"{s}_apex")
    apex_y = a.landmarks[f"{s}_apex"][1]
    hilum_y = a.landmarks[f"{s}_hilum"][1]
    assert apex_y < hilum_y
    # The whole apex region sits above the hilum, inside the upper zone.
    assert a.polygon(apex)[:, 1].max() < hilum_y
    assert not (a.mask(apex) & ~a.mask(Region(f"{s}_upper_zone"))).any()
    assert centroid(a, apex)[1] < centroid(a, Region(f"{s}_subclavicular"))[1]


@pytest.mark.parametrize("side", [Side.RIGHT, Side.LEFT])
def test_costophrenic_angle_is_the_lateral_lower_corner_of_the_lung(
    seed_analysis, phantom, side
):
    a = seed_analysis.anatomy
    s = side.value
    lung = phantom.right_lung if side is Side.RIGHT else phantom.left_lung
    ys, xs = np.nonzero(lung)
    top, bottom, x_min, x_max = ys.min(), ys.max(), xs.min(), xs.max()
    x, y = a.landmarks[f"{s}_costophrenic_angle"]
    # Lateral is the image left for the right lung, the image right for the left lung.
    lateral = (x - xs.mean()) / (xs.mean() - x_min) * (-1 if side is Side.RIGHT else 1)
    assert lateral > 0.4, f"{s} CP angle at x={x}: not in the lateral part of the lung"
    assert (y - top) / (bottom - top) > 0.8, f"{s} CP angle at y={y}: not basal"
    region_x, region_y = centroid(a, Region(f"{s}_costophrenic_angle"))
    cardiophrenic_x, _ = centroid(a, Region(f"{s}_cardiophrenic_angle"))
    # The cardiophrenic angle is the medial one of the two basal angles.
    assert (region_x < cardiophrenic_x) is (side is Side.RIGHT)
    assert region_y > a.landmarks[f"{s}_hilum"][1]
    assert x_min <= x <= x_max


@pytest.mark.parametrize("side", [Side.RIGHT, Side.LEFT])
def test_hemidiaphragm_lies_under_its_own_lung_base(seed_analysis, phantom, side):
    a = seed_analysis.anatomy
    s = side.value
    lung = phantom.right_lung if side is Side.RIGHT else phantom.left_lung
    ys, xs = np.nonzero(lung)
    diaphragm = Region(f"{s}_hemidiaphragm")
    x, y = centroid(a, diaphragm)
    assert xs.min() <= x <= xs.max()
    assert y > ys.mean() + 0.3 * (ys.max() - ys.mean())
    dome_x, dome_y = a.landmarks[f"{s}_hemidiaphragm_dome"]
    assert xs.min() <= dome_x <= xs.max() and dome_y > a.landmarks[f"{s}_hilum"][1]
    # Nothing of a hemidiaphragm lies inside the lung field.
    assert not (a.mask(diaphragm) & a.mask(Region(f"{s}_lung"))).any()


def test_mediastinum_lies_between_the_medial_lung_borders(seed_analysis, phantom):
    a = seed_analysis.anatomy
    x, _ = centroid(a, Region.MEDIASTINUM)
    right_medial = np.flatnonzero(phantom.right_lung.any(axis=0)).max()
    left_medial = np.flatnonzero(phantom.left_lung.any(axis=0)).min()
    assert right_medial - 20 < x < left_medial + 20
    assert abs(x - a.midline_x) < 0.1 * a.thoracic_width_px
    mediastinum = a.mask(Region.MEDIASTINUM)
    assert not (
        mediastinum & (a.mask(Region.RIGHT_LUNG) | a.mask(Region.LEFT_LUNG))
    ).any()
    assert not (mediastinum & a.mask(Region.HEART)).any()


def test_retrocardiac_region_is_the_left_lower_part_of_the_heart(seed_analysis):
    a = seed_analysis.anatomy
    retro = a.mask(Region.RETROCARDIAC)
    heart = a.mask(Region.HEART)
    assert retro.any() and not (retro & ~heart).any()
    x, y = centroid(a, Region.RETROCARDIAC)
    _, heart_y = centroid(a, Region.HEART)
    assert x > a.midline_x  # the patient's left, behind the heart
    assert y > heart_y - 0.05 * a.thoracic_width_px
    assert a.side_of((x, y)) is Side.LEFT


@pytest.mark.parametrize("side", [Side.RIGHT, Side.LEFT])
def test_zones_and_lobes_run_cranio_caudally(seed_analysis, side):
    from engine.anatomy import LOBES

    a = seed_analysis.anatomy
    zones = [Region(f"{side.value}_{z.value}_zone") for z in Zone]
    ys = [centroid(a, r)[1] for r in zones]
    assert ys == sorted(ys)
    lobe_ys = [centroid(a, r)[1] for r in LOBES[side]]
    assert lobe_ys == sorted(lobe_ys), f"{LOBES[side]} out of order: {lobe_ys}"
    # The upper lobe holds the apex, the lower lobe the costophrenic angle.
    upper, _, lower = LOBES[side]
    apex = a.mask(Region(f"{side.value}_apex"))
    cpa = a.mask(Region(f"{side.value}_costophrenic_angle"))
    assert not (apex & ~a.mask(upper)).any()
    assert not (cpa & ~a.mask(lower)).any()


def test_the_lingula_is_on_the_left_and_the_middle_lobe_on_the_right(seed_analysis):
    a = seed_analysis.anatomy
    assert centroid(a, Region.LINGULA)[0] > a.midline_x
    assert centroid(a, Region.RIGHT_MIDDLE_LOBE)[0] < a.midline_x
    assert not (a.mask(Region.LINGULA) & a.mask(Region.RIGHT_LUNG)).any()


# -- confidence of derived regions ---------------------------------------------------


def test_segmented_lungs_keep_the_networks_confidence(seed_analysis):
    a = seed_analysis.anatomy
    lung = a.mask(Region.RIGHT_LUNG)
    assert np.array_equal(a.confidence_map(Region.RIGHT_LUNG), a.confidence)
    assert a.region_confidence(Region.RIGHT_LUNG) == pytest.approx(
        float(a.confidence[lung].mean()), abs=1e-3
    )


def test_zone_confidence_halves_at_the_zone_lines(seed_analysis):
    a = seed_analysis.anatomy
    conf = a.confidence_map(Region.RIGHT_MIDDLE_ZONE)
    line = a.zone_lines["right_upper_middle"]
    lower = a.zone_lines["right_middle_lower"]
    gx, on_line = a.grid.to_grid((300, line))
    _, centre = a.grid.to_grid((300, (line + lower) / 2))
    base = a.confidence[round(on_line), round(gx)]
    assert conf[round(on_line), round(gx)] == pytest.approx(0.5 * base, abs=0.02)
    assert conf[round(centre), round(gx)] == pytest.approx(base, abs=0.02)
    assert a.region_confidence(Region.RIGHT_MIDDLE_ZONE) < a.region_confidence(
        Region.RIGHT_LUNG
    )


def test_band_confidence_falls_toward_the_band_thirds(seed_analysis):
    a = seed_analysis.anatomy
    conf = a.confidence_map(Region.RIGHT_MIDDLE_BAND)
    # At y = 470 the right lung spans x 150..450: thirds at 350 and 250, centre 300.
    gx_edge, gy = a.grid.to_grid((350, 470))
    gx_mid, _ = a.grid.to_grid((300, 470))
    assert conf[round(gy), round(gx_edge)] == pytest.approx(0.5, abs=0.05)
    assert conf[round(gy), round(gx_mid)] == pytest.approx(1.0, abs=0.05)


def test_projected_lobes_and_hila_are_less_certain_than_zones(seed_analysis):
    from engine.anatomy import LOBES

    a = seed_analysis.anatomy
    zone = a.region_confidence(Region.RIGHT_MIDDLE_ZONE)
    for lobes in LOBES.values():
        for lobe in lobes:
            value = a.region_confidence(lobe)
            assert value is not None and value <= 0.6 < zone, lobe
            assert a.confidence_map(lobe).max() <= 0.6 + 1e-6
    for side in ("right", "left"):
        hilum = a.region_confidence(Region(f"{side}_hilum"))
        assert hilum is not None and hilum <= 0.6
        assert a.landmark_confidence(f"{side}_hilum") <= 0.6
        # The point estimate is surest at the point itself.
        gx, gy = a.grid.to_grid(a.landmarks[f"{side}_hilum"])
        hilum_map = a.confidence_map(Region(f"{side}_hilum"))
        assert hilum_map[round(gy), round(gx)] == pytest.approx(hilum_map.max())


def test_rule_drawn_regions_say_less_than_the_segmentation(seed_analysis):
    a = seed_analysis.anatomy
    lung = a.region_confidence(Region.RIGHT_LUNG)
    for region in (
        Region.MEDIASTINUM,
        Region.RETROCARDIAC,
        Region.RIGHT_APEX,
        Region.LEFT_COSTOPHRENIC_ANGLE,
        Region.RIGHT_HEMIDIAPHRAGM,
    ):
        value = a.region_confidence(region)
        assert value is not None and value < lung, region
    assert a.region_confidence(Region.RIGHT_CLAVICLE) is None  # not drawn


def test_region_confidence_survives_serialisation(seed_analysis):
    copy = ImageAnalysis.from_bytes(seed_analysis.to_bytes()).anatomy
    for region in (Region.RIGHT_UPPER_ZONE, Region.LINGULA, Region.LEFT_HILUM):
        assert copy.region_confidence(region) == pytest.approx(
            seed_analysis.anatomy.region_confidence(region), abs=0.01
        )


# -- does the film look like a frontal chest? -----------------------------------------


def _ellipse(centre, axes):
    import cv2

    mask = np.zeros((1024, 1024), np.uint8)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
    return mask.astype(bool)


def _redrawn(**masks):
    """The conftest phantom with some of its masks replaced."""
    from dataclasses import replace

    from .conftest import make_phantom

    return replace(make_phantom(), **masks)


def _with_candidate(phantom, key):
    from engine.findings import Candidate

    x, y, r = phantom.nodules[0]
    return analyse(phantom, [Candidate((x, y), r, 0.9)], key=key)


def test_a_frontal_phantom_raises_no_doubt(seed_analysis):
    assert seed_analysis.frontal_doubts == ()
    assert not any("frontal chest" in w for w in seed_analysis.warnings)
    assert seed_analysis.focal_findings


def test_tiny_lung_fields_are_not_a_frontal_chest_and_findings_are_withheld():
    phantom = _redrawn(
        right_lung=_ellipse((480, 600), (30, 40)),
        left_lung=_ellipse((560, 600), (30, 40)),
        heart=_ellipse((520, 660), (20, 20)),
    )
    a = _with_candidate(phantom, "tiny-lungs")
    assert a.anatomy.lungs_found
    assert len(a.frontal_doubts) == 1 and "lung fields cover" in a.frontal_doubts[0]
    warning = next(w for w in a.warnings if "frontal chest" in w)
    assert "withheld" in warning and a.frontal_doubts[0] in warning
    assert a.findings == () and a.hilum_relations == {}
    assert a.measures.cardiothoracic_ratio is None
    assert a.candidates  # the detector's raw output is kept for evaluation
    copy = ImageAnalysis.from_bytes(a.to_bytes())
    assert copy.frontal_doubts == a.frontal_doubts


def test_heart_outside_the_lungs_and_low_lungs_together_are_doubted():
    phantom = _redrawn(
        right_lung=_ellipse((380, 860), (120, 140)),
        left_lung=_ellipse((700, 860), (120, 140)),
        heart=_ellipse((150, 500), (90, 80)),
    )
    a = _with_candidate(phantom, "odd-layout")
    doubts = " / ".join(a.frontal_doubts)
    assert "heart does not lie between" in doubts
    assert "centre lies at" in doubts
    assert a.findings == ()


def test_one_shrunken_lung_alone_is_pathology_not_a_wrong_film():
    # An opacified left hemithorax leaves a small left lung field (as on one NIH film).
    phantom = _redrawn(left_lung=_ellipse((724, 300), (60, 60)))
    a = _with_candidate(phantom, "one-small-lung")
    assert a.frontal_doubts == ()
    assert a.focal_findings
