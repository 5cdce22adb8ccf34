"""The shipped anatomy segmentation model, its preprocessing contract and its training code."""

import csv
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from engine.segmentation_postprocess import (
    ANATOMY_CHANNELS,
    clean_masks,
    letterbox_geometry,
    probabilities_to_image,
)
from engine.training.segmentation_data import (
    PreprocessSpec,
    build_targets,
    dice,
    preprocess_image,
)

MODELS = Path(__file__).resolve().parents[2] / "engine" / "models"
ONNX_PATH = MODELS / "anatomy_seg.onnx"
CARD_PATH = MODELS / "anatomy_seg.json"


@pytest.fixture(scope="module")
def card() -> dict:
    return json.loads(CARD_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec(card) -> PreprocessSpec:
    return PreprocessSpec.from_json(card["preprocessing"])


@pytest.fixture(scope="module")
def session() -> ort.InferenceSession:
    return ort.InferenceSession(str(ONNX_PATH), providers=["CPUExecutionProvider"])


def _synthetic_chest(
    height: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A crude PA-like phantom (uint8), its label map and its full lung fields.

    As in the real label maps, the clavicles (4, 5) are painted over the lungs (1, 2).
    """
    image = np.full((height, width), 190, np.uint8)
    labels = np.zeros((height, width), np.uint8)
    cx, cy = width // 2, height // 2
    for label, x in ((1, cx - width // 5), (2, cx + width // 5)):
        cv2.ellipse(labels, (x, cy), (width // 7, height // 3), 0, 0, 360, label, -1)
    lungs = labels > 0
    heart_centre = (cx + width // 20, cy + height // 6)
    cv2.ellipse(labels, heart_centre, (width // 8, height // 9), 0, 0, 360, 3, -1)
    thickness = max(2, height // 40)
    for label, x0, x1 in (
        (4, cx - width // 3, cx - width // 20),
        (5, cx + width // 20, cx + width // 3),
    ):
        cv2.line(
            labels, (x0, cy - height // 4), (x1, cy - height // 3), label, thickness
        )
    lungs &= labels != 3
    image[lungs] = 60
    image[labels == 3] = 215
    image[labels >= 4] = 235
    return cv2.GaussianBlur(image, (0, 0), 1.5), labels, lungs


# ----------------------------------------------------------- the shipped model files


def test_model_files_are_small_and_match_the_recorded_hash(card):
    assert ONNX_PATH.stat().st_size < 10 * 1024 * 1024
    assert hashlib.sha256(ONNX_PATH.read_bytes()).hexdigest() == card["onnx"]["sha256"]


def test_onnx_graph_matches_the_json_contract(card, spec):
    model = onnx.load(str(ONNX_PATH))
    onnx.checker.check_model(model)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    assert opset >= 17
    (graph_input,) = model.graph.input
    (graph_output,) = model.graph.output
    dims = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    out_dims = [d.dim_value for d in graph_output.type.tensor_type.shape.dim]
    n = spec.input_size
    assert graph_input.name == card["preprocessing"]["input_name"] == "image"
    assert dims == card["preprocessing"]["input_shape"] == [1, 1, n, n]
    assert graph_output.name == card["onnx"]["output"]["name"] == "probabilities"
    assert (
        out_dims == card["onnx"]["output"]["shape"] == [1, len(ANATOMY_CHANNELS), n, n]
    )
    assert tuple(card["outputs"]["channels"]) == ANATOMY_CHANNELS


def test_preprocessing_json_is_what_the_reference_implementation_does(card, spec):
    # The JSON block is generated from PreprocessSpec; a hand edit to either side that
    # makes the engine's reading differ from training shows up here.
    assert spec.to_json() == card["preprocessing"]
    assert spec.percentile_low == 1.0
    assert spec.percentile_high == 99.0
    assert 0.0 < spec.mean < 1.0
    assert 0.0 < spec.std < 1.0


def test_shipped_model_segments_a_synthetic_non_square_image(session, spec):
    image, _, _ = _synthetic_chest(300, 240)
    x, geometry = preprocess_image(image, spec)
    assert x.shape == (1, 1, spec.input_size, spec.input_size)
    assert x.dtype == np.float32
    (probabilities,) = session.run(None, {"image": x})
    assert probabilities.shape == (
        1,
        len(ANATOMY_CHANNELS),
        spec.input_size,
        spec.input_size,
    )
    assert probabilities.dtype == np.float32
    assert np.isfinite(probabilities).all()
    assert probabilities.min() >= 0.0
    assert probabilities.max() <= 1.0
    full = probabilities_to_image(probabilities[0], geometry)
    assert full.shape == (len(ANATOMY_CHANNELS), 300, 240)
    assert clean_masks(full).shape == full.shape


# ------------------------------------------------------------------ preprocessing


def test_letterbox_pads_the_short_side_symmetrically():
    g = letterbox_geometry(300, 241)
    assert (g.side, g.pad_top, g.pad_left) == (300, 0, 29)
    g = letterbox_geometry(200, 400)
    assert (g.side, g.pad_top, g.pad_left) == (400, 100, 0)


def test_preprocessing_does_not_depend_on_the_pixel_scale(spec):
    image, _, _ = _synthetic_chest(256, 200)
    as_uint8, _ = preprocess_image(image, spec)
    as_unit, _ = preprocess_image(image.astype(np.float32) / 255.0, spec)
    np.testing.assert_allclose(as_uint8, as_unit, atol=1e-4)


def test_preprocessing_survives_a_blank_image(spec):
    x, _ = preprocess_image(np.full((64, 80), 7, np.uint8), spec)
    assert np.isfinite(x).all()


def test_preprocessing_rejects_colour_images(spec):
    with pytest.raises(ValueError, match="grayscale"):
        preprocess_image(np.zeros((32, 32, 3), np.uint8), spec)


# ----------------------------------------------------------------- post-processing


def test_clean_masks_keeps_the_largest_component_and_fills_holes():
    probabilities = np.zeros((5, 60, 60), np.float32)
    probabilities[0, 10:50, 5:25] = 0.9
    probabilities[0, 30:34, 12:16] = 0.1  # a hole, e.g. a dense nodule
    probabilities[0, 2:5, 40:43] = 0.9  # a speck elsewhere
    masks = clean_masks(probabilities)
    assert masks[0].sum() == 40 * 20
    assert not masks[0, 2:5, 40:43].any()
    assert not masks[1:].any()


def test_clean_masks_gives_overlapping_lung_pixels_to_the_more_probable_side():
    probabilities = np.zeros((5, 20, 20), np.float32)
    probabilities[0, :, :12] = 0.9
    probabilities[1, :, 8:] = 0.7
    masks = clean_masks(probabilities)
    assert masks[0, :, 8:12].all()
    assert not masks[1, :, 8:12].any()
    assert not (masks[0] & masks[1]).any()


def test_clean_masks_rejects_a_wrong_channel_count():
    with pytest.raises(ValueError, match="C=5"):
        clean_masks(np.zeros((3, 8, 8), np.float32))


def test_probabilities_to_image_crops_the_letterbox():
    probabilities = np.zeros((5, 16, 16), np.float32)
    probabilities[:, :, :4] = 1.0  # only the left padding strip
    full = probabilities_to_image(probabilities, letterbox_geometry(64, 32))
    assert full.shape == (5, 64, 32)
    assert full.max() < 0.5


# ------------------------------------------------------------------------- targets


def test_lung_targets_include_the_strip_under_the_clavicles_and_split_by_side():
    _, labels, lungs = _synthetic_chest(120, 120)
    targets, valid = build_targets(lungs, labels)
    assert valid.all()
    np.testing.assert_array_equal(targets[0] | targets[1], lungs)
    assert not (targets[0] & targets[1]).any()
    # Patient right (channel 0) is on the image left.
    assert np.nonzero(targets[0])[1].mean() < np.nonzero(targets[1])[1].mean()
    assert (targets[0] & (labels == 4)).any()
    assert (targets[1] & (labels == 5)).any()
    np.testing.assert_array_equal(targets[2], labels == 3)


def test_a_case_without_anatomy_trains_only_the_lungs():
    _, _, lungs = _synthetic_chest(100, 100)
    targets, valid = build_targets(lungs, None)
    assert valid.tolist() == [True, True, False, False, False]
    assert np.nonzero(targets[0])[1].mean() < np.nonzero(targets[1])[1].mean()
    assert not targets[2:].any()


# ----------------------------------------------------------------- real radiographs


@pytest.mark.shared
def test_shipped_model_segments_three_dev_radiographs(shared_data, session, spec):
    folder = shared_data / "cxr"
    with (folder / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle) if r["mask_lungs"] and r["mask_anatomy"]
        ]
    for row in rows[:3]:
        image = cv2.imread(str(folder / row["file"]), cv2.IMREAD_GRAYSCALE)
        lungs = cv2.imread(str(folder / row["mask_lungs"]), cv2.IMREAD_GRAYSCALE) > 127
        heart = cv2.imread(str(folder / row["mask_anatomy"]), cv2.IMREAD_GRAYSCALE) == 3
        x, geometry = preprocess_image(image, spec)
        (probabilities,) = session.run(None, {"image": x})
        masks = clean_masks(probabilities_to_image(probabilities[0], geometry))
        assert dice(masks[0] | masks[1], lungs) > 0.9, row["case_id"]
        assert dice(masks[2], heart) > 0.8, row["case_id"]


# ----------------------------------------------------------------- training code


def _write_synthetic_training_set(folder: Path, count: int) -> None:
    rows = []
    for i in range(count):
        case_id = f"SYN{i:03d}"
        image, labels, lungs = _synthetic_chest(96 + 8 * i, 96)
        cv2.imwrite(str(folder / f"{case_id}.png"), image)
        cv2.imwrite(
            str(folder / f"{case_id}_mask_lungs.png"), lungs.astype(np.uint8) * 255
        )
        cv2.imwrite(str(folder / f"{case_id}_mask_anatomy.png"), labels)
        rows.append(
            {
                "case_id": case_id,
                "file": f"{case_id}.png",
                "mask_lungs": f"{case_id}_mask_lungs.png",
                "mask_anatomy": f"{case_id}_mask_anatomy.png",
            }
        )
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.slow
def test_training_runs_one_epoch_and_exports_a_working_model(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnxscript")
    from engine.training.train_segmentation import main

    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    _write_synthetic_training_set(data, 4)
    args = ["--data", str(data), "--out", str(out), "--epochs", "1", "--size", "64"]
    assert main([*args, "--val-count", "1", "--batch-size", "2"]) == 0

    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [entry["epoch"] for entry in log] == [1]
    assert set(log[0]["val_dice"]) >= {*ANATOMY_CHANNELS, "mean"}
    assert (out / "best.pt").is_file()
    assert (out / "last.pt").is_file()
    card = json.loads((out / "anatomy_seg.json").read_text())
    assert card["training"]["seed"] == 20261128
    assert card["training"]["train_cases"] == 3
    assert card["onnx"]["torch_vs_onnxruntime_max_abs_diff"] <= 1e-4
    exported = ort.InferenceSession(
        str(out / "anatomy_seg.onnx"), providers=["CPUExecutionProvider"]
    )
    x, _ = preprocess_image(
        cv2.imread(str(data / "SYN000.png"), cv2.IMREAD_GRAYSCALE),
        PreprocessSpec.from_json(card["preprocessing"]),
    )
    (probabilities,) = exported.run(None, {"image": x})
    assert probabilities.shape == (1, 5, 64, 64)


def test_training_provenance_never_records_the_training_machines_paths(tmp_path):
    from engine.training.provenance import command_line, data_name

    data = tmp_path / "somewhere" / "cxr-train"
    data.mkdir(parents=True)
    (data / "manifest.csv").write_text("image\n")
    shown = command_line("engine.training.x", ["--data", str(data), "--out", "runs/a"])
    assert (
        shown == "python -m engine.training.x --data $CXR_DATA/cxr-train --out runs/a"
    )
    assert data_name(data / "manifest.csv") == "$CXR_DATA/cxr-train/manifest.csv"


def test_shipped_model_files_name_no_development_paths():
    models = Path(__file__).resolve().parents[2] / "engine" / "models"
    for path in sorted(models.glob("*.json")) + sorted(models.glob("*.md")):
        assert "../shared" not in path.read_text(encoding="utf-8"), path.name
