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
