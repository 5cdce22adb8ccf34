import math

import numpy as np
import pytest

from engine.geometry import (
    Box,
    clock_position,
    estimate_calibration,
    geometry_center,
    mask_geometry,
    measure,
    rle_decode,
    rle_encode,
)
from engine.model import Calibration, CalibrationSource
from kernel import Geometry


def cal(row: float, col: float, source=CalibrationSource.PIXEL_SPACING) -> Calibration:
    return Calibration(row_mm=row, col_mm=col, source=source)


@pytest.mark.parametrize(
    ("a", "b", "calibration", "mm"),
    [
        ((0, 0), (100, 0), cal(0.35, 0.35), 35.0),
        (
            (0, 0),
            (0, 100),
            cal(0.2, 0.5),
            20.0,
        ),  # rows are 0.2 mm apart: vertical uses row spacing
        ((0, 0), (100, 0), cal(0.2, 0.5), 50.0),  # columns are 0.5 mm apart
        ((0, 0), (30, 40), cal(1.0, 1.0), 50.0),
    ],
)
def test_distance_uses_row_and_column_spacing(a, b, calibration, mm):
    d = measure(a, b, calibration)
    assert d.value_mm == pytest.approx(mm)
    assert d.calibration is calibration.source


def test_distance_changes_with_spacing():
    near = measure((0, 0), (200, 0), cal(0.175, 0.175))
    far = measure((0, 0), (200, 0), cal(0.35, 0.35))
    assert far.value_mm == pytest.approx(2 * near.value_mm)


def test_uncalibrated_distance_is_never_given_in_cm():
    d = measure((0, 0), (300, 400), Calibration())
    assert d.value_mm is None
    assert d.value_px == pytest.approx(500)
    assert d.describe("en") == "uncalibrated: 500 px"
    assert "cm" not in d.describe("zh")


def test_estimated_distance_is_labelled_with_its_error():
    estimate = estimate_calibration(thoracic_width_px=800)
    d = measure((0, 0), (100, 0), Calibration(), estimate=estimate)
    assert d.is_estimate and d.relative_error == pytest.approx(0.15)
    text = d.describe("en")
    assert text.startswith("≈") and "estimated" in text and "±15%" in text


def test_imager_spacing_says_it_is_at_the_detector():
    d = measure((0, 0), (100, 0), cal(0.1, 0.1, CalibrationSource.IMAGER_PIXEL_SPACING))
    assert "detector plane" in d.describe("en")


@pytest.mark.parametrize(
    ("point", "hour"),
    [
        ((0, -10), 12),
        ((10, 0), 3),
        ((0, 10), 6),
        ((-10, 0), 9),
        ((-8.66, -5), 10),
        ((5, -8.66), 1),
    ],
)
def test_clock_positions_are_cranial_twelve_and_clockwise_as_displayed(point, hour):
    assert clock_position((0, 0), point) == hour


def test_rle_round_trip():
    rng = np.random.default_rng(1)
    mask = rng.random((37, 53)) > 0.6
    assert np.array_equal(rle_decode(rle_encode(mask), mask.shape), mask)
    assert rle_encode(np.ones((2, 2), bool)) == [0, 4]


@pytest.mark.parametrize(
    "geometry",
    [
        Geometry.from_box(Box(1, 2, 30, 40)),
        Geometry.polygon([(0, 0), (10, 0), (5, 8)]),
        Geometry.point((3.5, 4.5)),
        Geometry.line((0, 0), (10, 10)),
        mask_geometry(np.eye(6, dtype=bool)),
    ],
)
def test_geometry_json_round_trip(geometry):
    assert Geometry.from_json(geometry.to_json()) == geometry


def test_bad_geometry_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="polygon geometry needs at least 3 points"):
        Geometry.polygon([(0, 0), (1, 1)])
    with pytest.raises(ValueError, match="unknown geometry type"):
        Geometry.from_json({"type": "circle"})


@pytest.mark.parametrize("seed", range(6))
def test_a_masks_box_read_from_its_runs_matches_the_decoded_pixels(seed):
    # kernel.Geometry finds a mask's box from the run lengths alone (no numpy there);
    # runs that wrap onto the next row, start at pixel 0 or end the grid included.
    rng = np.random.default_rng(seed)
    rows, cols = (int(n) for n in rng.integers(1, 30, size=2))
    mask = rng.random((rows, cols)) > rng.choice([0.5, 0.95, 0.999])
    if seed == 0:
        mask[:] = False
        mask[2 % rows, cols - 1] = True
        mask[(2 + 1) % rows, 0] = True  # one run across a row boundary
    geometry = mask_geometry(mask)
    ys, xs = np.nonzero(rle_decode(geometry.rle, (rows, cols)))
    expected = (
        Box(0, 0, 0, 0)
        if xs.size == 0
        else Box(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    )
    assert geometry.bounding_box() == expected


def test_the_center_of_a_polygon_is_its_centroid():
    triangle = Geometry.polygon([(0, 0), (9, 0), (0, 9)])
    assert geometry_center(triangle) == pytest.approx((3, 3))
    assert geometry_center(Geometry.line((0, 0), (10, 4))) == (5, 2)


def test_box_iou():
    assert Box(0, 0, 10, 10).iou(Box(0, 0, 10, 10)) == 1.0
    assert Box(0, 0, 10, 10).iou(Box(5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert Box(0, 0, 1, 1).iou(Box(2, 2, 3, 3)) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"row_mm": 0.0, "col_mm": 0.1, "source": CalibrationSource.PIXEL_SPACING},
            "row_mm must be a positive",
        ),
        ({"row_mm": 0.1, "col_mm": 0.1}, "does not match spacing"),
        ({"source": CalibrationSource.USER}, "does not match spacing"),
        (
            {"row_mm": math.nan, "col_mm": 0.1, "source": CalibrationSource.USER},
            "row_mm must be a positive",
        ),
    ],
)
def test_calibration_validates_at_the_boundary(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Calibration(**kwargs)


# -- focal sizes on a film without its own spacing ------------------------------------


def _one_lesion(radius_px: float, spacing: float | None):
    """A spherical lesion (density follows its chord length) in the right lung."""
    from engine.findings import Candidate

    from .conftest import analyse, make_phantom

    phantom = make_phantom(())
    yy, xx = np.mgrid[0 : phantom.image.shape[0], 0 : phantom.image.shape[1]]
    d = np.hypot(xx - 290, yy - 560)
    dome = np.sqrt(np.clip(1 - (d / radius_px) ** 2, 0, 1))
    phantom.image = np.clip(phantom.image + 0.3 * dome, 0, 1).astype(np.float32)
    analysis = analyse(
        phantom,
        [Candidate((290, 560), radius_px, 0.9)],
        spacing=spacing,
        key=f"size-{radius_px}-{spacing}",
    )
    return analysis, analysis.focal_findings[0]


@pytest.mark.parametrize("radius_px", [30, 60])
def test_an_uncalibrated_lesion_keeps_its_estimated_size_apart_and_says_so(radius_px):
    from engine.findings import MASS_THRESHOLD_MM, FindingKind

    analysis, f = _one_lesion(radius_px, spacing=None)
    estimate = analysis.estimated_calibration
    assert estimate is not None and estimate.is_estimate
    # No mm in the measured fields: the film has no spacing of its own.
    assert f.long_axis_mm is None and f.short_axis_mm is None
    assert f.margin is not None and f.margin.edge_width_mm is None
    assert all(n.depth_mm is None for n in f.margin.notches)
    assert all(s.length_mm is None for s in f.margin.spicules)
    # The estimate is kept, labelled with its error, and the kind says it rests on it.
    assert f.size_estimate is not None
    assert f.size_estimate.relative_error == pytest.approx(0.15)
    assert f.size_estimate.long_axis_mm == pytest.approx(
        f.long_axis_px * estimate.col_mm, rel=0.05
    )
    assert f.kind_from_estimate
    assert f.kind is (
        FindingKind.MASS
        if f.size_estimate.long_axis_mm > MASS_THRESHOLD_MM
        else FindingKind.NODULE
    )
    assert (f.kind is FindingKind.MASS) is (radius_px == 60)


def test_where_the_estimate_alone_makes_a_mass_the_finding_says_so():
    from engine.findings import FindingKind

    # About 29 mm at the film's own 0.35 mm spacing, about 32 mm at the estimated one.
    _, measured = _one_lesion(50, spacing=0.35)
    _, estimated = _one_lesion(50, spacing=None)
    assert measured.kind is FindingKind.NODULE and not measured.kind_from_estimate
    assert measured.size_estimate is None and measured.long_axis_mm is not None
    assert estimated.kind is FindingKind.MASS and estimated.kind_from_estimate


def test_the_size_estimate_survives_serialisation():
    from engine.analysis import ImageAnalysis

    analysis, f = _one_lesion(60, spacing=None)
    copy = ImageAnalysis.from_bytes(analysis.to_bytes())
    assert copy.focal_findings[0].size_estimate == f.size_estimate
    assert copy.focal_findings[0].kind_from_estimate


@pytest.mark.parametrize("question", ["肺部是否有异常?", "Describe the lesion"])
def test_the_anchor_carries_the_size_estimate_a_table_must_label(question):
    from engine.dialogue import Conversation

    analysis, f = _one_lesion(30, spacing=None)
    answer = Conversation(analysis).ask(question)
    (anchor,) = [a for a in answer.anchors if a.finding_id == f.id]
    assert anchor.size_mm is None  # nothing measured in mm on a film without spacing
    assert f.size_estimate is not None
    assert anchor.attributes["size_estimate_mm"] == [
        f.size_estimate.long_axis_mm,
        f.size_estimate.short_axis_mm,
    ]
    assert anchor.attributes["relative_error"] == pytest.approx(0.15)


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        (Box(414, 410, 414, 410), [413.5, 409.5, 414.5, 410.5]),  # a landmark point
        (Box(100, 50, 100, 90), [99.5, 50, 100.5, 90]),  # a vertical line
        (Box(10, 20, 30, 40), [10, 20, 30, 40]),  # a real box is unchanged
    ],
)
def test_an_exported_box_is_at_least_one_pixel_a_side(box, expected):
    assert box.at_least(1.0).as_list() == expected
