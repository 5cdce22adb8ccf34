"""Real radiographs from ../shared import with the right calibration and warnings."""

import csv

import numpy as np
import pytest

from cases import CalibrationSource, ImportStatus, IssueCode

pytestmark = pytest.mark.shared


def test_siim_cr_imports_with_pixel_spacing(store, shared_data):
    outcome = store.import_file(
        shared_data / "dicom" / "siim_cr_chest_pa_1024.dcm", actor="test"
    )
    image = outcome.image
    assert image.calibration.source is CalibrationSource.PIXEL_SPACING
    assert image.calibration.row_mm == pytest.approx(0.168)
    assert image.calibration.col_mm == pytest.approx(0.168)
    assert (image.modality, image.view_position, image.body_part) == (
        "CR",
        "PA",
        "CHEST",
    )
    assert image.sop_class_uid == "1.2.840.10008.5.1.4.1.1.7"  # secondary capture
    assert image.warnings == ()


def test_wg04_chest_with_zero_spacing_imports_uncalibrated(store, shared_data):
    outcome = store.import_file(
        shared_data / "dicom" / "wg04_rg1_cr_chest_pa_j2k.dcm", actor="test"
    )
    image = outcome.image
    assert image.calibration.source is CalibrationSource.NONE
    assert image.calibration.row_mm is None
    assert {
        IssueCode.INVALID_PIXEL_SPACING,
        IssueCode.NO_CALIBRATION,
        IssueCode.LOSSY_COMPRESSION,
    } <= {i.code for i in image.issues}
    assert (image.rows, image.columns) == (1955, 1841)
    assert image.display.invert  # MONOCHROME1
    shown = store.load_display(image)
    # Lung fields (upper middle of each half) are darker than the mediastinum on a PA film.
    lungs = np.r_[
        shown[500:900, 350:700].ravel(), shown[500:900, 1150:1500].ravel()
    ].mean()
    mediastinum = shown[500:900, 850:1000].mean()
    assert lungs < mediastinum - 0.1


def test_canine_lateral_imports_with_warnings(store, shared_data):
    outcome = store.import_file(
        shared_data / "dicom" / "edgecase_dx_canine_lateral_thorax.dcm", actor="test"
    )
    codes = {i.code for i in outcome.image.warnings}
    assert {IssueCode.NON_HUMAN, IssueCode.LATERAL_VIEW} <= codes
    assert outcome.image.calibration.source is CalibrationSource.PIXEL_SPACING
    assert outcome.image.calibration.col_mm == pytest.approx(1.2012)


def test_every_shared_dicom_imports(store, shared_data):
    files = sorted((shared_data / "dicom").glob("*.dcm"))
    assert len(files) >= 3
    for path in files:
        assert store.import_file(path, actor="test").status is ImportStatus.IMPORTED
    assert store.verify_audit().ok


def test_every_shared_png_imports_with_its_manifest_spacing(store, shared_data):
    folder = shared_data / "cxr"
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 50
    for row in rows:
        spacing = float(row["pixel_spacing_mm"]) if row["pixel_spacing_mm"] else None

        outcome = store.import_file(
            folder / row["file"], actor="test", spacing_mm=spacing
        )

        image = outcome.image
        assert (image.columns, image.rows) == (int(row["width"]), int(row["height"])), (
            row["file"]
        )
        if spacing is None:
            assert image.calibration.source is CalibrationSource.NONE, row["file"]
        else:
            assert image.calibration.source is CalibrationSource.USER, row["file"]
            assert image.calibration.row_mm == pytest.approx(spacing), row["file"]
    assert store.stats().images == len(rows)
