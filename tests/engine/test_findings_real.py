"""The engine's checks on real films: a non-chest film is doubted, real chests are not,
and an uncalibrated real CR keeps its focal sizes as labelled estimates."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from engine.analysis import Analyzer, ImageAnalysis, default_analyzer
from engine.model import Radiograph

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return default_analyzer()


def read(path: Path, spacing_mm: float | None = None) -> Radiograph:
    """A film as the case store would present it (VOI, MONOCHROME1, spacing handled)."""
    from cli.engine import load_radiograph

    return load_radiograph(path, spacing_mm)


def test_the_canine_lateral_thorax_is_doubted_and_its_findings_withheld(
    shared_data: Path, analyzer: Analyzer
):
    a = analyzer.analyze(
        read(shared_data / "dicom" / "edgecase_dx_canine_lateral_thorax.dcm")
    )
    assert a.frontal_doubts
    assert any("does not look like a frontal chest" in w for w in a.warnings)
    # Its measures are withheld as a whole, so no per-angle note repeats that.
    assert not any("costophrenic" in w for w in a.warnings), a.warnings
    assert a.findings == ()
    assert a.measures.cardiothoracic_ratio is None


@pytest.mark.parametrize(
    "name", ["siim_cr_chest_pa_1024.dcm", "wg04_rg1_cr_chest_pa_j2k.dcm"]
)
def test_real_pa_dicoms_raise_no_doubt(shared_data: Path, analyzer: Analyzer, name):
    a = analyzer.analyze(read(shared_data / "dicom" / name))
    assert a.frontal_doubts == ()
    assert a.findings


@pytest.mark.slow
def test_none_of_the_development_films_is_doubted(
    shared_data: Path, analyzer: Analyzer
):
    manifest = shared_data / "cxr" / "manifest.csv"
    doubted = {}
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        spacing = float(row["pixel_spacing_mm"]) if row["pixel_spacing_mm"] else None
        a = analyzer.analyze(read(manifest.parent / row["file"], spacing))
        if a.frontal_doubts:
            doubted[row["case_id"]] = a.frontal_doubts
    assert len(rows) == 56
    assert doubted == {}


def test_an_uncalibrated_cr_keeps_focal_sizes_as_labelled_estimates(
    shared_data: Path, analyzer: Analyzer
):
    radiograph = read(shared_data / "dicom" / "wg04_rg1_cr_chest_pa_j2k.dcm")
    assert not radiograph.calibration.is_calibrated  # PixelSpacing 0\0
    a = analyzer.analyze(radiograph)
    assert a.estimated_calibration is not None
    focal = a.focal_findings
    assert focal
    for f in focal:
        assert f.long_axis_mm is None and f.short_axis_mm is None
        assert f.size_estimate is not None and f.kind_from_estimate
        assert f.size_estimate.relative_error == pytest.approx(0.15)
    copy = ImageAnalysis.from_bytes(a.to_bytes())
    assert [f.size_estimate for f in copy.focal_findings] == [
        f.size_estimate for f in focal
    ]


def test_on_a_real_pa_film_each_clavicle_lies_on_its_patients_side_above_the_hila(
    shared_data: Path, analyzer: Analyzer
):
    import numpy as np

    from engine.anatomy import Region

    a = analyzer.analyze(read(shared_data / "cxr" / "JPCNN001.png", 0.35)).anatomy
    for clavicle, hilum in (
        (Region.RIGHT_CLAVICLE, "right_hilum"),
        (Region.LEFT_CLAVICLE, "left_hilum"),
    ):
        ys, xs = np.nonzero(a.mask(clavicle))
        assert len(xs), f"{clavicle.value} was not segmented"
        x, y = a.grid.points_to_image(np.stack([xs, ys], axis=1).astype(float)).mean(
            axis=0
        )
        # Patient right is the image left on a PA film.
        assert bool(x < a.midline_x) == (clavicle is Region.RIGHT_CLAVICLE)
        assert bool(y < a.landmarks[hilum][1])


def _calls(analysis: ImageAnalysis, centre, scale: float, mm: float, reach_mm: float):
    """Long axis and margin calls of the focal finding on ``centre`` (1024-grid px)."""
    import math

    for f in analysis.focal_findings:
        if (
            math.dist((f.center[0] / scale, f.center[1] / scale), centre) * mm
            <= reach_mm
        ):
            assert f.margin is not None
            return f.long_axis_mm, f.margin.lobulated, f.margin.spiculated
    return None


@pytest.mark.parametrize("case_id", ["JPCLN007", "JPCLN019", "JPCLN032", "JPCLN040"])
def test_the_same_film_at_half_resolution_gets_the_same_size_and_margin_calls(
    shared_data: Path, analyzer: Analyzer, case_id
):
    import cv2
    import numpy as np

    from engine.model import Calibration, CalibrationSource
    from engine.training.nodule_data import load_nodule_cases

    (case,) = [
        c
        for c in load_nodule_cases(shared_data / "cxr" / "manifest.csv")
        if c.case_id == case_id
    ]
    nodule = case.nodules[0]
    assert case.mm_per_px is not None
    full = case.read_image()
    calls = []
    for scale in (1.0, 0.5):
        pixels = (
            full
            if scale == 1
            else cv2.resize(
                full, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA
            )
        )
        mm = case.mm_per_px / scale
        a = analyzer.analyze(
            Radiograph(
                pixels=np.ascontiguousarray(pixels, np.float32),
                calibration=Calibration(
                    row_mm=mm, col_mm=mm, source=CalibrationSource.PIXEL_SPACING
                ),
                key=f"{case_id}@{scale}",
                view_position="PA",
            )
        )
        calls.append(
            _calls(
                a, (nodule.x, nodule.y), scale, case.mm_per_px, nodule.diameter_mm / 2
            )
        )
    assert None not in calls, f"the nodule was not described at one resolution: {calls}"
    (long_a, *margin_a), (long_b, *margin_b) = calls
    assert abs(long_a - long_b) <= 1.0
    assert margin_a == margin_b


def test_the_wg04_film_as_8_bit_png_gets_the_same_focal_calls(
    shared_data: Path, analyzer: Analyzer
):
    import numpy as np

    film = read(shared_data / "dicom" / "wg04_rg1_cr_chest_pa_j2k.dcm")
    png = Radiograph(
        pixels=(np.round(film.pixels * 255) / 255).astype(np.float32),
        calibration=film.calibration,
        key=film.key + "-png",
        view_position=film.view_position,
    )

    def calls(a: ImageAnalysis) -> list[tuple[bool, bool] | None]:
        return [
            None if f.margin is None else (f.margin.lobulated, f.margin.spiculated)
            for f in a.focal_findings
        ]

    dicom_calls = calls(analyzer.analyze(film))
    png_calls = calls(analyzer.analyze(png))
    assert dicom_calls
    assert dicom_calls == png_calls


OFF_FIELD_WORDS = {
    "heart",
    "retrocardiac",
    "right_hemidiaphragm",
    "left_hemidiaphragm",
    "right_hilum",
    "left_hilum",
    "mediastinum",
}


@pytest.mark.parametrize(
    "name", ["siim_cr_chest_pa_1024.dcm", "wg04_rg1_cr_chest_pa_j2k.dcm"]
)
def test_every_focal_finding_is_lung_and_says_where(
    shared_data: Path, analyzer: Analyzer, name
):
    a = analyzer.analyze(read(shared_data / "dicom" / name))
    for f in a.focal_findings:
        regions = {r.value for r in f.location.regions}
        assert f.location.inside_lung or regions & OFF_FIELD_WORDS, (
            f"{f.id} at {f.center} is neither in a lung field nor over the heart, "
            f"hilum or a dome: {sorted(regions)}"
        )


@pytest.mark.parametrize(
    ("folder", "name", "side"),
    [
        ("dicom", "wg04_rg1_cr_chest_pa_j2k.dcm", "right"),
        ("cxr-train", "JPCNN081.png", "left"),  # a normal film
    ],
)
def test_a_costophrenic_angle_no_recess_forms_is_withheld_not_called_blunted(
    shared_data: Path, analyzer: Analyzer, folder: str, name: str, side: str
):
    # The lung outline of these films gives a near-straight angle (172-180 degrees) on
    # one side; read as a measure it said "blunted, suggests effusion" on a normal film.
    a = analyzer.analyze(read(shared_data / folder / name))
    assert side not in a.measures.cpa_angle_deg
    assert any(f"{side} costophrenic angle not measured" in w for w in a.warnings)
    other = "left" if side == "right" else "right"
    assert 10 < a.measures.cpa_angle_deg[other] < 90  # the other side is still measured
