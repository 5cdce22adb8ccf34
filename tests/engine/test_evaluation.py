"""`casebook evaluate`'s metrics on a tiny hand-made manifest whose answers are known.

Every film is the engine phantom (lungs, heart and nodules known to the pixel); the
segmenter returns its masks and a scripted detector proposes, film by film, candidates
chosen so that Dice, FROC, top-1, box hits and laterality have one right answer each.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.analysis import Analyzer
from engine.evaluation import evaluate, read_manifest
from engine.findings import Candidate
from engine.model import Calibration, CalibrationSource, Radiograph
from tests.engine.conftest import SPACING, FakeSegmenter, make_phantom

COLUMNS = [
    "case_id",
    "file",
    "pixel_spacing_mm",
    "mask_lungs",
    "mask_anatomy",
    "nodule_x",
    "nodule_y",
    "nodule_diameter_mm",
    "nodule_diameter_px",
    "nodule_side",
    "bbox_x",
    "bbox_y",
    "bbox_w",
    "bbox_h",
    "extra_bboxes",
]


class ScriptedDetector:
    """Proposes the next film's candidates (in input pixels; the phantom is 1024 wide)."""

    version = "scripted"
    describe_score = 0.01
    report_score = 0.5

    def __init__(self, per_film: list[list[Candidate]]) -> None:
        self.per_film = list(per_film)

    def detect(self, image, lung_mask, mm_per_px, *, heart_mask=None):
        f = image.shape[1] / 1024
        return [
            Candidate((c.center[0] * f, c.center[1] * f), c.radius_px * f, c.score)
            for c in self.per_film.pop(0)
        ]


def _write_png(path: Path, array: np.ndarray) -> str:
    cv2.imwrite(str(path), array)
    return path.name


def _manifest(folder: Path, rows: list[dict[str, object]]) -> Path:
    path = folder / "manifest.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in COLUMNS})
    return path


def _load(path: Path, spacing: float | None) -> Radiograph:
    """Load a film; one named like a DICOM file brings its own spacing, as its header would."""
    pixels = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255
    if "dicom" in path.name:
        calibration = Calibration(
            row_mm=SPACING, col_mm=SPACING, source=CalibrationSource.PIXEL_SPACING
        )
    elif spacing:
        calibration = Calibration(
            row_mm=spacing, col_mm=spacing, source=CalibrationSource.USER
        )
    else:
        calibration = Calibration()
    return Radiograph(pixels=pixels, calibration=calibration, key=path.stem)


@pytest.fixture
def films(tmp_path: Path):
    """Three films: a right nodule found second, a left nodule found first, one with boxes."""
    phantom = make_phantom()
    film = _write_png(
        tmp_path / "film.png", np.round(phantom.image * 255).astype(np.uint8)
    )
    dicom_like = _write_png(
        tmp_path / "film_dicom.png", np.round(phantom.image * 255).astype(np.uint8)
    )
    lungs = phantom.right_lung | phantom.left_lung
    _write_png(tmp_path / "lungs.png", lungs.astype(np.uint8) * 255)
    # The second film's "truth" holds the right lung only: Dice is 2|R| / (|R| + |L| + |R|).
    _write_png(tmp_path / "right_only.png", phantom.right_lung.astype(np.uint8) * 255)
    anatomy = np.zeros(phantom.image.shape, np.uint8)
    anatomy[lungs] = 1
    anatomy[phantom.heart] = 3
    _write_png(tmp_path / "anatomy.png", anatomy)
    right, left = phantom.right_lung.sum(), phantom.left_lung.sum()
    expected_right_only_dice = 2 * right / (2 * right + left)
    rows = [
        # Patient right is the image left: the nodule at x 290 is in the right lung.
        {
            "case_id": "a",
            "file": film,
            "pixel_spacing_mm": SPACING,
            "mask_lungs": "lungs.png",
            "mask_anatomy": "anatomy.png",
            "nodule_x": 290,
            "nodule_y": 560,
            "nodule_diameter_px": 52,
            "nodule_side": "right",
        },
        # A "DICOM" row: no manifest spacing and the diameter in mm only, so the film's
        # own spacing converts it: 14 mm at 0.35 mm is a 20 px radius.
        {
            "case_id": "b",
            "file": dicom_like,
            "mask_lungs": "right_only.png",
            "nodule_x": 724,
            "nodule_y": 400,
            "nodule_diameter_mm": 14,
            "nodule_side": "left",
        },
        {
            "case_id": "c",
            "file": film,
            "pixel_spacing_mm": SPACING,
            "bbox_x": 600,
            "bbox_y": 200,
            "bbox_w": 100,
            "bbox_h": 100,
            "extra_bboxes": "Opacity:100,100,50,50",
        },
    ]
    candidates = [
        # a: a false positive scores above the nodule, which is hit at rank 2.
        [Candidate((700, 300), 10, 0.9), Candidate((300, 565), 20, 0.8)],
        # b: 18 px from the nodule centre, inside its 20 px radius from the mm diameter.
        [Candidate((724, 418), 15, 0.7)],
        # c: no nodule; the top candidate lies inside the first box.
        [Candidate((650, 250), 10, 0.6)],
    ]
    return tmp_path, rows, candidates, expected_right_only_dice


def _analyzer(candidates: list[list[Candidate]]) -> Analyzer:
    # evaluate() analyses the first film once, untimed, before it measures: script it twice.
    return Analyzer(
        FakeSegmenter(make_phantom()), ScriptedDetector([candidates[0], *candidates])
    )


def test_every_metric_of_a_hand_made_manifest_has_its_known_value(films):
    folder, rows, candidates, right_only_dice = films
    result = evaluate(_manifest(folder, rows), _analyzer(candidates), _load)

    assert result["n_images"] == 3 and result["n_nodules"] == 2
    assert result["lung_dice_mean"] == pytest.approx(
        (1.0 + right_only_dice) / 2, abs=0.01
    )
    assert result["heart_dice_mean"] == pytest.approx(1.0, abs=0.01)
    by_case = {r["case_id"]: r for r in result["images"]}
    assert [by_case[c]["nodule_hit_rank"] for c in "abc"] == [2, 1, None]
    # Scores in order: 0.9 FP, 0.8 hit, 0.7 hit, 0.6 FP over 3 films. One FP (1/3 per
    # film) is already above 0.25, so that rate sees no operating point.
    assert result["nodule"]["sensitivity_at_fp"] == {
        "0.25": 0.0,
        "0.5": 1.0,
        "1": 1.0,
        "2": 1.0,
        "4": 1.0,
    }
    assert result["nodule"]["top1_hit_rate"] == 0.5
    # What a reader sees at the report threshold (0.5): both nodules reported, one false
    # finding over the two nodule films; film c has boxes, so no film counts as normal.
    reported = result["reported"]
    assert reported["sensitivity"] == 1.0
    assert reported["false_per_nodule_film"] == 0.5
    assert reported["false_per_normal_film"] is None
    assert reported["size_n"] == 1  # only b gives its diameter in mm
    # Top candidates 0.9 (false), 0.8, 0.7 (real), 0.6 (false): gaps .9 .2 .3 .6.
    assert result["calibration"]["ece"] == pytest.approx(0.5)
    assert result["box_hit_rate"] == 1.0 and result["n_box_images"] == 1
    assert result["laterality_errors"] == 0
    assert (
        set(result["latency_ms"]) == {"p50", "p95"} and result["latency_ms"]["p50"] > 0
    )
    json.dumps(result)  # the CLI prints it as one JSON object


def test_a_hit_on_the_other_side_is_a_laterality_error(films):
    folder, rows, candidates, _ = films
    rows[1]["nodule_side"] = (
        "right"  # the truth says right, the engine puts the hit in the left lung
    )
    result = evaluate(_manifest(folder, rows), _analyzer(candidates), _load)
    assert result["laterality_errors"] == 1


def test_a_top_candidate_outside_every_box_is_a_box_miss(films):
    folder, rows, candidates, _ = films
    candidates[2] = [Candidate((300, 700), 10, 0.85), Candidate((650, 250), 10, 0.5)]
    result = evaluate(_manifest(folder, rows), _analyzer(candidates), _load)
    assert result["box_hit_rate"] == 0.0
    # Now two false positives (0.9, 0.85) outrank both hits: 2/3 FP per film is above
    # 0.5, so that rate finds no hit; at 1 FP per film both nodules are found.
    assert result["nodule"]["sensitivity_at_fp"]["0.5"] == 0.0
    assert result["nodule"]["sensitivity_at_fp"]["1"] == 1.0


def test_a_candidate_just_outside_the_nodule_radius_misses(films):
    folder, rows, candidates, _ = films
    candidates[1] = [
        Candidate((724, 422), 15, 0.7)
    ]  # 22 px away: outside 20 px, beyond the 15 px floor
    result = evaluate(_manifest(folder, rows), _analyzer(candidates), _load)
    assert {r["case_id"]: r["nodule_hit_rank"] for r in result["images"]}["b"] is None
    assert result["nodule"]["top1_hit_rate"] == 0.0
    assert result["nodule"]["sensitivity_at_fp"]["4"] == 0.5


def test_without_nodules_the_sensitivity_is_undefined_not_zero(films):
    folder, rows, candidates, _ = films
    result = evaluate(_manifest(folder, rows[2:]), _analyzer(candidates[2:]), _load)
    assert result["nodule"]["sensitivity_at_fp"] == {
        "0.25": None,
        "0.5": None,
        "1": None,
        "2": None,
        "4": None,
    }
    assert result["nodule"]["top1_hit_rate"] is None
    assert result["lung_dice_mean"] is None and result["heart_dice_mean"] is None


def test_a_manifest_without_a_file_column_or_with_a_bad_number_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("image,spacing\nx.png,0.35\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a 'file' column"):
        read_manifest(bad)
    bad.write_text("file,pixel_spacing_mm\nx.png,wide\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"line 2: column 'pixel_spacing_mm' must be a number"
    ):
        read_manifest(bad)


@pytest.mark.shared
def test_the_evaluate_command_on_real_films_prints_every_metric_the_issue_names(
    shared_data, tmp_path, capsys
):
    """Three development films through the real loader and the bundled models."""
    from cli.main import main

    source = shared_data / "cxr" / "manifest.csv"
    with source.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames
        picked = [
            r for r in reader if r["case_id"] in {"JPCLN007", "JPCLN087", "JPCNN001"}
        ]
    manifest = tmp_path / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for row in picked:
            # Paths in a manifest are relative to it: point them back at the shared folder.
            for key in ("file", "mask_lungs", "mask_anatomy"):
                if row[key]:
                    row[key] = str(shared_data / "cxr" / row[key])
            writer.writerow(row)
    assert len(picked) == 3

    assert main(["evaluate", str(manifest), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_images"] == 3 and result["n_nodules"] == 2
    assert result["lung_dice_mean"] > 0.9 and result["heart_dice_mean"] > 0.8
    assert set(result["nodule"]["sensitivity_at_fp"]) == {"0.25", "0.5", "1", "2", "4"}
    assert 0.0 <= result["nodule"]["top1_hit_rate"] <= 1.0
    assert result["box_hit_rate"] is None  # no boxes among these films
    assert result["laterality_errors"] == 0
    assert (
        result["latency_ms"]["p50"] > 0
        and result["latency_ms"]["p95"] >= result["latency_ms"]["p50"]
    )


def test_the_reliability_table_and_ece_follow_their_definition():
    from engine.evaluation import expected_calibration_error, reliability_table

    # Bin 0.1-0.2: ten findings said 0.15, two real; bin 0.8-0.9: ten said 0.85, seven
    # real (one bin under-, one over-confident).
    scores = np.array([0.15] * 10 + [0.85] * 10)
    labels = np.array([True] * 2 + [False] * 8 + [True] * 7 + [False] * 3)
    table = reliability_table(scores, labels)
    assert [(r["low"], r["n"], r["observed"]) for r in table] == [
        (0.1, 10, 0.2),
        (0.8, 10, 0.7),
    ]
    # |0.2 - 0.15| and |0.7 - 0.85|, each over half the findings.
    assert expected_calibration_error(scores, labels) == pytest.approx(0.1)
    assert expected_calibration_error(np.zeros(0), np.zeros(0, bool)) is None
