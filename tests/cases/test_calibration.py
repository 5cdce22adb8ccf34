"""Calibration follows DICOM PS3.3: PixelSpacing, ImagerPixelSpacing (+ERMF), never a default."""

import pytest
from pydicom.dataset import Dataset

from cases import CalibrationSource, InvalidRecord, IssueCode
from cases.calibration import calibration_from_dataset, user_calibration
from cases.phantom_dicom import SpacingAttribute


def _dataset(**attributes: object) -> Dataset:
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


CASES = [
    # (attributes, expected source, expected (row, col) mm)
    ({"PixelSpacing": [0.168, 0.168]}, CalibrationSource.PIXEL_SPACING, (0.168, 0.168)),
    (
        {"PixelSpacing": [0.2, 0.3], "ImagerPixelSpacing": [0.15, 0.15]},
        CalibrationSource.PIXEL_SPACING,
        (0.2, 0.3),
    ),
    (
        {"ImagerPixelSpacing": [0.143, 0.143]},
        CalibrationSource.IMAGER_PIXEL_SPACING,
        (0.143, 0.143),
    ),
    (
        {
            "ImagerPixelSpacing": [0.15, 0.15],
            "EstimatedRadiographicMagnificationFactor": 1.2,
        },
        CalibrationSource.IMAGER_PIXEL_SPACING_ERMF,
        (0.125, 0.125),
    ),
    ({"PixelSpacing": [0.0, 0.0]}, CalibrationSource.NONE, None),
    (
        {"PixelSpacing": [0.0, 0.0], "ImagerPixelSpacing": [0.1, 0.1]},
        CalibrationSource.IMAGER_PIXEL_SPACING,
        (0.1, 0.1),
    ),
    ({"ImagerPixelSpacing": [0.0, 0.1]}, CalibrationSource.NONE, None),
    (
        {
            "ImagerPixelSpacing": [0.1, 0.1],
            "EstimatedRadiographicMagnificationFactor": 0.0,
        },
        CalibrationSource.IMAGER_PIXEL_SPACING,
        (0.1, 0.1),
    ),
    ({}, CalibrationSource.NONE, None),
]


@pytest.mark.parametrize(("attributes", "source", "spacing"), CASES)
def test_calibration_table(attributes, source, spacing):
    calibration, _ = calibration_from_dataset(_dataset(**attributes))

    assert calibration.source is source
    if spacing is None:
        assert calibration.row_mm is None and calibration.col_mm is None
    else:
        assert calibration.row_mm == pytest.approx(spacing[0])
        assert calibration.col_mm == pytest.approx(spacing[1])


def test_zero_pixel_spacing_is_reported_and_never_defaulted():
    calibration, issues = calibration_from_dataset(_dataset(PixelSpacing=[0.0, 0.0]))

    assert not calibration.is_calibrated
    assert {i.code for i in issues} == {
        IssueCode.INVALID_PIXEL_SPACING,
        IssueCode.NO_CALIBRATION,
    }


@pytest.mark.parametrize(
    ("attribute", "source", "spacing"),
    [
        (SpacingAttribute.PIXEL_SPACING, CalibrationSource.PIXEL_SPACING, 1.4),
        (
            SpacingAttribute.IMAGER_PIXEL_SPACING,
            CalibrationSource.IMAGER_PIXEL_SPACING,
            1.4,
        ),
        (
            SpacingAttribute.IMAGER_PIXEL_SPACING_ERMF,
            CalibrationSource.IMAGER_PIXEL_SPACING_ERMF,
            1.4,
        ),
        (SpacingAttribute.ZERO_PIXEL_SPACING, CalibrationSource.NONE, None),
        (SpacingAttribute.NONE, CalibrationSource.NONE, None),
    ],
)
def test_imported_dicom_records_its_calibration_source(
    store, make_dicom, attribute, source, spacing
):
    outcome = store.import_bytes(
        make_dicom(spacing=attribute, uid_seed=str(attribute)),
        name="f.dcm",
        actor="test",
    )

    stored = store.get_image(outcome.image.image_id).calibration
    assert stored.source is source
    assert stored.row_mm == (pytest.approx(spacing) if spacing else None)


def test_user_spacing_must_be_positive():
    assert user_calibration(0.35).source is CalibrationSource.USER
    assert user_calibration(None).source is CalibrationSource.NONE
    with pytest.raises(InvalidRecord, match="row_mm must be a positive spacing"):
        user_calibration(-1.0)


def test_spacing_mm_is_ignored_for_dicom_files(store, make_dicom):
    outcome = store.import_bytes(
        make_dicom(spacing=SpacingAttribute.NONE),
        name="f.dcm",
        actor="test",
        spacing_mm=0.5,
    )

    assert outcome.image.calibration.source is CalibrationSource.NONE


IMPLAUSIBLE = [
    # (attributes, the value the warning must name)
    ({"PixelSpacing": [1e300, 1e300]}, "1e+300"),
    ({"PixelSpacing": [1e-300, 1e-300]}, "1e-300"),
    ({"ImagerPixelSpacing": [1e300, 1e300]}, "1e+300"),
    ({"PixelSpacing": [12.0, 12.0]}, "12"),
    (
        {
            "ImagerPixelSpacing": [0.15, 0.15],
            "EstimatedRadiographicMagnificationFactor": 1e308,
        },
        "1e+308",
    ),
    (
        {
            "ImagerPixelSpacing": [0.15, 0.15],
            "EstimatedRadiographicMagnificationFactor": 2.5,
        },
        "2.5",
    ),
]


@pytest.mark.parametrize(("attributes", "named"), IMPLAUSIBLE)
def test_implausible_spacing_is_not_trusted_and_is_named(attributes, named):
    calibration, issues = calibration_from_dataset(_dataset(**attributes))

    assert calibration.source is CalibrationSource.NONE
    warning = next(i for i in issues if "plausible range" in i.message)
    assert warning.severity.value == "warning"
    assert named in warning.message
    assert len(warning.message) < 250  # never a 300-digit number


def test_implausible_pixel_spacing_falls_back_to_a_plausible_imager_spacing():
    calibration, issues = calibration_from_dataset(
        _dataset(PixelSpacing=[1e300, 1e300], ImagerPixelSpacing=[0.15, 0.15])
    )

    assert calibration.source is CalibrationSource.IMAGER_PIXEL_SPACING
    assert any("1e+300" in i.message for i in issues)


@pytest.mark.parametrize("typed", [0.01, 8.0])
def test_implausible_user_spacing_imports_uncalibrated_with_a_warning(store, typed):
    import io

    import numpy as np
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.fromarray(
        (np.arange(128 * 128) % 251).astype(np.uint8).reshape(128, 128)
    ).save(buffer, format="PNG")
    outcome = store.import_bytes(
        buffer.getvalue(), name="f.png", actor="test", spacing_mm=typed
    )

    assert outcome.image.calibration.source is CalibrationSource.NONE
    assert any(
        f"{typed:g}" in w.message and "plausible" in w.message
        for w in outcome.image.warnings
    )
