import math

import numpy as np
import pytest

from engine.geometry import (
    Box,
    Geometry,
    clock_position,
    estimate_calibration,
    measure,
    rle_decode,
    rle_encode,
)
from engine.model import Calibration, CalibrationSource


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
        Geometry.mask(np.eye(6, dtype=bool)),
    ],
)
def test_geometry_json_round_trip(geometry):
    assert Geometry.from_json(geometry.to_json()) == geometry


def test_bad_geometry_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="polygon geometry needs at least 3 points"):
        Geometry.polygon([(0, 0), (1, 1)])
    with pytest.raises(ValueError, match="unknown geometry type"):
        Geometry.from_json({"type": "circle"})


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
