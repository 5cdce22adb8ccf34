"""The lung-nodule detector: geometry, ranking, fallbacks, FROC scoring, training smoke."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.model import Side
from engine.nodules import (
    WORK_MM_PER_PX,
    PatchSource,
    Site,
    detect_nodules,
    extract_patches,
    prepare_image,
    site_of,
    work_grid,
)
from engine.training.nodule_data import (
    NoduleTruth,
    froc,
    load_nodule_cases,
    score_candidates,
)


def synthetic_film(
    rows: int,
    cols: int,
    blob_xy: tuple[float, float],
    blob_radius: float,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A smooth 'thorax' with two dark lung ellipses, grain and one bright round blob."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
    image = np.full((rows, cols), 0.75, np.float32)
    mask = np.zeros((rows, cols), bool)
    for cx in (0.3 * cols, 0.7 * cols):
        lung = ((xx - cx) / (0.16 * cols)) ** 2 + (
            (yy - 0.47 * rows) / (0.3 * rows)
        ) ** 2 <= 1
        mask |= lung
    # Lungs darker than the mediastinum, brighter towards the bases, with grain.
    image[mask] = 0.35 + 0.1 * (yy[mask] / rows)
    image += rng.normal(0, 0.01, image.shape).astype(np.float32)
    bx, by = blob_xy
    image += 0.12 * np.exp(
        -((xx - bx) ** 2 + (yy - by) ** 2) / (2 * (blob_radius / 1.4) ** 2)
    )
    return np.clip(image, 0, 1).astype(np.float32), mask


@pytest.fixture
def neutral_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """Score every candidate 0.5, so the ranking is the blob detector's own order.

    The shipped classifier learned what JSRT nodules look like; on a smooth synthetic
    film it has no reason to prefer a Gaussian bump. These tests check geometry (the
    working grid, the blob detector, the mapping back to input pixels), not its taste.
    """
    import engine.nodules

    def classify(source, centres, features, *, views=1):
        return np.full(len(centres), 0.5, np.float32)

    monkeypatch.setattr(engine.nodules, "classify", classify)
    # The second-stage ranker would reorder by blob features and site; without it the
    # equal CNN scores keep the blob detector's order.
    monkeypatch.setattr(engine.nodules, "load_ranker_spec", lambda: None)


def _two_lung_film(blobs: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """512 px at 0.7 mm: the synthetic lungs with bright 8 mm blobs at ``blobs``."""
    image, mask = synthetic_film(512, 512, blobs[0], 8 / 0.7)
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
    for bx, by in blobs[1:]:
        image += 0.12 * np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / (2 * 8.0**2))
    return np.clip(image, 0, 1).astype(np.float32), mask


def test_sites_separate_lung_recess_and_mediastinum():
    image, mask = _two_lung_film([(150.0, 240.0)])
    prepared = prepare_image(image, mask, mm_per_px=0.7)
    base_row = int(np.nonzero(mask[:, 154])[0].max())
    assert site_of(prepared, 154, 240) is Site.LUNG
    assert site_of(prepared, 256, 240) is Site.OUTSIDE  # between the lungs
    assert site_of(prepared, 154, base_row + 14) is Site.BASE  # 10 mm below the base
    assert site_of(prepared, 154, base_row + 50) is Site.OUTSIDE  # 35 mm: abdomen
    unmasked = prepare_image(image, None, mm_per_px=0.7)
    assert site_of(unmasked, 154, 240) is Site.UNCHECKED


@pytest.mark.usefixtures("neutral_classifier")
def test_a_blob_between_the_lungs_is_no_lung_candidate_but_one_in_the_recess_is():
    # Lung that the mask leaves out below its base, as the segmenter does behind the
    # domes: the mask stops 14 mm above the lung's true base, the blob sits 4 mm below it.
    middle = (256.0, 0.45 * 512)
    recess = (0.3 * 512, 0.77 * 512 - 14)
    image, mask = _two_lung_film([middle, recess])
    mask[round(0.77 * 512 - 20) :] = False
    candidates = detect_nodules(image, mask, mm_per_px=0.7)
    assert not any(math.dist((c.x, c.y), middle) < 8 for c in candidates)
    at_recess = [c for c in candidates if math.dist((c.x, c.y), recess) < 8]
    assert at_recess and at_recess[0].site is Site.BASE
    assert all(c.site.is_lung for c in candidates)


@pytest.mark.usefixtures("neutral_classifier")
@pytest.mark.parametrize(
    ("rows", "cols", "mm_per_px"),
    [(512, 512, 0.7), (700, 560, 0.5), (1400, 1200, None)],
)
def test_top_candidate_lies_on_the_blob_in_input_pixels(rows, cols, mm_per_px):
    blob = (0.28 * cols, 0.42 * rows)  # image left = patient right
    radius_mm = 6.0
    px = mm_per_px or (512 * WORK_MM_PER_PX / max(rows, cols))
    image, mask = synthetic_film(rows, cols, blob, radius_mm / px)
    candidates = detect_nodules(image, mask, mm_per_px=mm_per_px)
    assert candidates, "no candidates on a film with an obvious blob"
    top = candidates[0]
    assert math.dist((top.x, top.y), blob) <= max(3.0, 0.5 * radius_mm / px)
    assert top.side is Side.RIGHT
    assert top.in_lung
    assert 0.5 * radius_mm / px <= top.radius_px <= 2.0 * radius_mm / px
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_detection_is_deterministic():
    # The shipped classifier, end to end: same input, same ranked list and scores.
    image, mask = synthetic_film(512, 512, (350, 220), 9, seed=3)
    first = detect_nodules(image, mask, mm_per_px=0.7)
    second = detect_nodules(image.copy(), mask.copy(), mm_per_px=0.7)
    assert first
    assert first == second
    scores = [c.score for c in first]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len({round(s, 6) for s in scores}) > 1  # the classifier did rank them


@pytest.mark.usefixtures("neutral_classifier")
@pytest.mark.parametrize("mask_kind", ["none", "empty", "full"])
def test_missing_or_implausible_mask_falls_back_to_the_thorax(mask_kind):
    image, _ = synthetic_film(600, 500, (0.7 * 500, 0.45 * 600), 12, seed=5)
    mask = {
        "none": None,
        "empty": np.zeros(image.shape, bool),
        "full": np.ones(image.shape, bool),
    }[mask_kind]
    candidates = detect_nodules(image, mask, mm_per_px=None)
    assert candidates
    assert not any(c.in_lung for c in candidates)  # no mask was used
    for c in candidates:
        assert 0 <= c.x < 500 and 0 <= c.y < 600
    top = candidates[0]
    assert math.dist((top.x, top.y), (350, 270)) <= 8
    assert top.side is Side.LEFT


def test_a_mask_of_the_wrong_shape_is_refused():
    image, mask = synthetic_film(256, 256, (80, 100), 6)
    with pytest.raises(ValueError, match="must match"):
        detect_nodules(image, mask[:, :200], mm_per_px=None)


def test_spacing_is_trusted_only_for_a_chest_sized_field():
    assert work_grid(2048, 2048, 0.175).rows == 512
    assert work_grid(1024, 1024, 0.35).spacing_trusted
    # 1024 px "at 0.168 mm" is a 17 cm film: no adult thorax; fall back to the size.
    downsized = work_grid(1024, 1024, 0.168)
    assert not downsized.spacing_trusted and downsized.rows == 512
    assert work_grid(600, 800, None).cols == 512
    grid = work_grid(1000, 800, 0.35)
    x, y = grid.to_input(*grid.to_work(123.0, 456.0))
    assert (x, y) == pytest.approx((123.0, 456.0))


def test_patches_are_centred_and_rotation_moves_only_the_surroundings():
    yy, xx = np.mgrid[0:128, 0:128].astype(np.float32)
    image = np.exp(-((xx - 60) ** 2 + (yy - 70) ** 2) / 18).astype(np.float32)
    source = PatchSource.from_normalised(image)
    centre = np.array([[60, 70]], np.float32)
    patch = extract_patches(source, centre)
    assert patch.shape == (1, 2, 32, 32)
    fine = patch[0, 0]
    peak = np.unravel_index(np.argmax(fine), fine.shape)
    assert abs(peak[0] - 15.5) <= 1 and abs(peak[1] - 15.5) <= 1
    turn = np.array([[[0, -1], [1, 0]]], np.float32)
    rotated = extract_patches(source, centre, transforms=turn)
    # A round blob looks the same after a quarter turn about its centre.
    assert np.abs(rotated - patch).max() < 0.05


def test_froc_on_a_hand_made_example():
    a = NoduleTruth(
        x=100, y=100, diameter_px=20, diameter_mm=7.0, side="right", subtlety=3
    )
    # Image 1: a hit at 0.9 and a false positive at 0.8; image 2: FPs at 0.95 and 0.1.
    one = score_candidates(
        "one",
        np.array([[104.0, 100.0], [300.0, 300.0]]),
        np.array([0.9, 0.8]),
        ["right", "left"],
        (a,),
        0.35,
    )
    two = score_candidates(
        "two",
        np.array([[10.0, 10.0], [20.0, 20.0]]),
        np.array([0.95, 0.1]),
        ["right", "right"],
        (),
        0.35,
    )
    result = froc([one, two], fp_rates=(0.25, 0.5, 1.0, 2.0))
    # At 0.5 FP/image (1 FP allowed): threshold 0.9 keeps the 0.95 FP and the hit.
    assert result["sensitivity_at_fp"] == {"0.25": 0.0, "0.5": 1.0, "1": 1.0, "2": 1.0}
    assert result["top1_hit_rate"] == 1.0
    assert result["laterality_errors"] == 0
    # The hit radius is at least 15 px on the 1024 grid: 16 px away is a miss.
    far = score_candidates(
        "far", np.array([[116.0, 100.0]]), np.array([0.9]), ["right"], (a,), 0.35
    )
    assert not far.hits.any()
    wrong = score_candidates(
        "w", np.array([[101.0, 100.0]]), np.array([0.9]), ["left"], (a,), 0.35
    )
    assert froc([wrong])["laterality_errors"] == 1


@pytest.mark.shared
def test_dev_nodules_rank_in_the_top_five(shared_data: Path):
    cases = [
        c for c in load_nodule_cases(shared_data / "cxr" / "manifest.csv") if c.nodules
    ]
    # The five most conspicuous nodules of the dev set (JSRT subtlety 4-5).
    chosen = sorted(cases, key=lambda c: (-(c.nodules[0].subtlety or 0), c.case_id))[:5]
    assert len(chosen) == 5
    found = 0
    for case in chosen:
        nodule = case.nodules[0]
        candidates = detect_nodules(
            case.read_image(), case.read_lung_mask(), mm_per_px=case.mm_per_px
        )
        radius = max(nodule.diameter_px / 2, 15.0)
        if any(
            math.dist((c.x, c.y), (nodule.x, nodule.y)) <= radius
            for c in candidates[:5]
        ):
            found += 1
    assert found >= 4, f"only {found} of 5 obvious dev nodules in the top 5 candidates"


@pytest.mark.slow
def test_training_smoke_exports_a_model_onnxruntime_can_run(tmp_path: Path):
    pytest.importorskip("torch")
    pytest.importorskip("onnxscript")
    import onnxruntime as ort

    from engine.nodules import FEATURE_NAMES
    from engine.training.train_nodules import (
        ImageCandidates,
        TrainConfig,
        ensemble_module,
        export,
        fit,
    )

    images = []
    for seed in range(3):
        film, _ = synthetic_film(256, 256, (90, 110), 8, seed=seed)
        xy = np.array([[90, 110], [180, 60], [60, 200], [200, 200]], np.float32)
        label = np.array([True, False, False, False])
        features = np.random.default_rng(seed).normal(size=(4, len(FEATURE_NAMES)))
        images.append(
            ImageCandidates(
                case_id=f"synthetic{seed}",
                source=PatchSource.from_normalised((film - 0.4) / 0.1),
                xy=xy,
                features=features.astype(np.float32),
                label=label,
                hits=label[:, None],
                has_nodule=True,
            )
        )
    out = tmp_path / "run"
    out.mkdir()
    config = TrainConfig(
        data=tmp_path, out=out, folds=0, steps=2, batch_size=8, channels=(4, 8, 8)
    )
    model = fit(images, np.arange(3), config, seed=1)
    onnx_path = export(
        ensemble_module([(model, 2)]),
        images,
        out=out,
        patch_steps=(1.0, 2.0),
        views=2,
        calibration={"slope": 1.0, "intercept": 0.0},
        candidates={},
        training={"smoke": True},
    )
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    patches = extract_patches(images[0].source, images[0].xy)
    (probability,) = session.run(
        None, {"patches": patches, "features": images[0].features}
    )
    assert probability.shape == (4,)
    assert np.all((probability >= 0) & (probability <= 1))
    assert (out / "nodule_classifier.json").is_file()


def test_shipped_model_json_describes_the_onnx_graph():
    import hashlib
    import json

    import onnxruntime as ort

    from engine.nodules import FEATURE_NAMES, MODELS_DIR, load_nodule_classifier_spec

    card = json.loads((MODELS_DIR / "nodule_classifier.json").read_text("utf-8"))
    onnx_path = MODELS_DIR / "nodule_classifier.onnx"
    assert hashlib.sha256(onnx_path.read_bytes()).hexdigest() == card["onnx"]["sha256"]
    spec = load_nodule_classifier_spec()
    assert spec.views in (1, 2, 4, 8)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    shapes = {i.name: i.shape for i in session.get_inputs()}
    assert shapes["patches"][1:] == [len(spec.patch_steps), 32, 32]
    assert shapes["features"][1] == len(FEATURE_NAMES)


# -- margins and the hilum connection of a described lesion, on drawn phantoms ---------


def _drawn(phantom, draw) -> None:
    """Add thin soft-tissue strands (drawn with `draw(mask)`) to the phantom film."""
    import cv2

    mask = np.zeros(phantom.image.shape, np.float32)
    draw(mask)
    phantom.image = np.clip(
        phantom.image + 0.25 * cv2.GaussianBlur(mask, (0, 0), 0.8), 0, 1
    ).astype(np.float32)


def _spiculated(hours: tuple[int, ...], length_mm: float):
    """The conftest phantom with spicules of `length_mm` at the given clock hours."""
    import cv2

    from .conftest import SPACING, make_phantom

    phantom = make_phantom()
    x, y, r = phantom.nodules[0]

    def draw(mask):
        for hour in hours:
            a = math.radians(hour * 30)  # 12 o'clock is up, clockwise as displayed
            tip = r + length_mm / SPACING
            # Start inside the lesion: its outline is notched (at 3 and 10 o'clock), and
            # a spicule leaves the edge itself.
            start = (round(x + 0.6 * r * math.sin(a)), round(y - 0.6 * r * math.cos(a)))
            end = (round(x + tip * math.sin(a)), round(y - tip * math.cos(a)))
            cv2.line(mask, start, end, 1.0, 2)

    _drawn(phantom, draw)
    return phantom


def _describe(phantom, *, spacing=None, key="t"):
    from engine.findings import Candidate

    from .conftest import SPACING, analyse

    x, y, r = phantom.nodules[0]
    analysis = analyse(
        phantom,
        [Candidate((x, y), r, 0.9)],
        spacing=SPACING if spacing is None else spacing,
        key=key,
    )
    return analysis, analysis.focal_findings[0]


def test_drawn_spicules_are_counted_with_clock_positions_and_lengths():
    phantom = _spiculated((1, 5, 8), length_mm=10.0)
    _, finding = _describe(phantom, key="spicules")
    spicules = finding.margin.spicules
    assert sorted(s.clock for s in spicules) == [1, 5, 8]
    for s in spicules:
        assert s.length_mm == pytest.approx(10.0, abs=2.0)
        assert s.length_px == pytest.approx(10.0 / 0.35, rel=0.2)
    assert finding.margin.spiculated


def test_spicule_length_follows_the_drawn_length():
    short = _describe(_spiculated((3,), 4.0), key="short")[1].margin.spicules
    long = _describe(_spiculated((3,), 10.0), key="long")[1].margin.spicules
    assert [s.clock for s in short] == [3] and [s.clock for s in long] == [3]
    assert short[0].length_mm == pytest.approx(4.0, abs=1.5)
    assert long[0].length_mm == pytest.approx(10.0, abs=2.0)


def test_a_smooth_lesion_has_no_spicules():
    from .conftest import make_phantom

    _, finding = _describe(make_phantom(), key="smooth")
    assert finding.margin.spicules == ()
    assert not finding.margin.spiculated


def _hilum_relation(strand: bool):
    import cv2

    from .conftest import make_phantom

    phantom = make_phantom()
    if strand:
        x, y, _ = phantom.nodules[0]
        # The right hilum of the phantom sits near (412, 426); run the strand past it.
        _drawn(
            phantom,
            lambda m: cv2.line(m, (round(x), round(y)), (420, 418), 1.0, 5),
        )
    analysis, finding = _describe(phantom, key=f"hilum-{strand}")
    return analysis.hilum_relations[finding.id]


def test_a_drawn_strand_connects_the_lesion_to_its_hilum():
    relation = _hilum_relation(strand=True)
    assert relation.connected
    assert relation.gap_px == pytest.approx(0.0, abs=3.0)
    assert relation.gap_start is None and relation.gap_end is None
    assert relation.strand_fraction >= 0.8
    assert relation.contrast_along_path > 1.0


def test_without_a_strand_the_lesion_is_not_connected_and_the_gap_is_shown():
    relation = _hilum_relation(strand=False)
    assert not relation.connected
    assert relation.strand_fraction <= 0.2
    assert relation.contrast_along_path < 0.5
    path = math.dist(relation.edge_point, relation.hilum_point)
    assert relation.gap_px > 0.5 * path
    # The gap lies on the path between the lesion edge and the hilar point.
    for p in (relation.gap_start, relation.gap_end):
        assert p is not None
        assert math.dist(relation.edge_point, p) + math.dist(
            p, relation.hilum_point
        ) == pytest.approx(path, abs=2.0)
    assert relation.hilum_point[0] < 512  # the right hilum: image left


def _card(
    ranker: Any,
    iso: tuple[np.ndarray, np.ndarray],
    *,
    report_score: float,
    new_sites: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """A ranker card with a neutral size block, for tests of the ranking part."""
    from engine.training.nodule_ranker import SizeModel, ranker_card

    return ranker_card(
        ranker,
        iso,
        report_score=report_score,
        describe_score=0.05,
        size=SizeModel(
            slope=1.0, intercept=0.0, ratio_low=0.8, ratio_high=1.2, coverage=0.8
        ),
        provenance={},
        new_sites=new_sites,
    )


def test_the_ranker_card_gives_the_run_time_the_fitted_probabilities():
    from engine.nodules import RANKER_FEATURES, RankerSpec
    from engine.training.nodule_ranker import (
        fit_isotonic,
        fit_logistic,
    )

    rng = np.random.default_rng(0)
    n = 4000
    inputs = rng.normal(size=(n, len(RANKER_FEATURES)))
    # Real candidates are those with a high first feature (the CNN logit), noisily.
    truth = 1 / (1 + np.exp(-(2.0 * inputs[:, 0] - 3.0)))
    labels = rng.random(n) < truth
    ranker = fit_logistic(inputs, labels)
    assert ranker.weights[0] > 1.0 and abs(ranker.weights[1:]).max() < 0.3
    iso_x, iso_y = fit_isotonic(ranker.logit(inputs), labels)
    assert np.all(np.diff(iso_y) >= 0) and np.all(np.diff(iso_x) > 0)
    card = _card(ranker, (iso_x, iso_y), report_score=0.4)
    spec = RankerSpec.from_json(card)
    p = spec.probability(inputs)
    # Calibrated: in each fifth of the scores, the mean score is close to the hit rate.
    order = np.argsort(p)
    for part in np.array_split(order, 5):
        assert abs(p[part].mean() - labels[part].mean()) < 0.05
    assert spec.report_score == 0.4
    bad = card | {"features": list(RANKER_FEATURES)[:-1]}
    with pytest.raises(ValueError, match="refit"):
        RankerSpec.from_json(bad)
    unknown = card | {"features": [*RANKER_FEATURES[:-1], "not_computed"]}
    with pytest.raises(ValueError, match="not_computed"):
        RankerSpec.from_json(unknown)


def test_a_ranker_fitted_on_some_features_reads_those_columns_at_run_time():
    """A card fitted before a feature existed keeps scoring the same at run time."""
    from engine.nodules import RANKER_FEATURES, RankerSpec
    from engine.training.nodule_ranker import (
        FilmRecord,
        fit_ranker,
    )

    rng = np.random.default_rng(1)
    rank = RANKER_FEATURES.index("blob_rank")
    records = []
    for i in range(40):
        inputs = rng.normal(size=(30, len(RANKER_FEATURES)))
        hit = inputs[:, 0] + inputs[:, rank] > 2.0
        records.append(
            FilmRecord(
                case_id=f"F{i}",
                truth_mm=float("nan"),
                subtlety=0,
                inputs=inputs,
                shipped=np.zeros(30),
                site=("lung",) * 30,
                hit=hit,
                xy_mm=rng.uniform(0, 300, size=(30, 2)),
                measured_mm=np.full(30, np.nan),
            )
        )
    without = tuple(name for name in RANKER_FEATURES if name != "blob_rank")
    ranker, iso_x, iso_y = fit_ranker(records, features=without)
    card = _card(ranker, (iso_x, iso_y), report_score=0.4)
    assert card["features"] == list(without)
    spec = RankerSpec.from_json(card)
    table = np.concatenate([r.inputs for r in records])
    shuffled = table.copy()
    shuffled[:, rank] = rng.permutation(shuffled[:, rank])
    # the column the card does not name does not move its scores
    assert np.allclose(spec.probability(table), spec.probability(shuffled))
    assert np.allclose(spec.logit(table), ranker.logit(table), atol=1e-4)
    full, _, _ = fit_ranker(records)
    assert abs(full.weights[rank]) > 1.0


def test_lung_sites_only_keeps_outside_blobs_from_taking_the_cap():
    from dataclasses import replace

    from engine.nodules import CandidateParams, find_blob_candidates

    # Four bright blobs between the lungs (site OUTSIDE) and one in a lung.
    middle = [(256.0, y) for y in (150.0, 200.0, 250.0, 300.0)]
    image, mask = _two_lung_film([(0.3 * 512, 0.45 * 512), *middle])
    params = CandidateParams(max_candidates=3)
    prepared = prepare_image(image, mask, mm_per_px=0.7, params=params)

    def lung_candidates(chosen: CandidateParams) -> int:
        found = find_blob_candidates(prepared, chosen)
        assert len(found) == 3
        return sum(site_of(prepared, c.x, c.y).is_lung for c in found)

    assert lung_candidates(params) < 3
    only = replace(params, lung_sites_only=True)
    assert lung_candidates(only) == 3
    assert CandidateParams.from_dict(only.to_dict()) == only


def test_the_log_size_fit_does_not_pull_large_masses_towards_the_mean():
    from engine.training.nodule_ranker import fit_log_size

    rng = np.random.default_rng(1)
    truth = np.exp(rng.uniform(math.log(6), math.log(40), 400))
    # Measured sizes run 15 % small with 35 % multiplicative noise on each feature.
    features = np.column_stack(
        [truth * 0.85 * np.exp(rng.normal(0, 0.35, truth.size)) for _ in range(3)]
    )
    model = fit_log_size(features, truth)
    assert model is not None
    big = np.array([[34.0, 34.0, 34.0]])  # a 40 mm mass measured 15 % small
    small = np.array([[6.8, 6.8, 6.8]])  # an 8 mm nodule
    assert model.predict(big)[0] == pytest.approx(40.0, rel=0.1)
    assert model.predict(small)[0] == pytest.approx(8.0, rel=0.1)
    # A plain least-squares line in log space shrinks both towards the middle.
    x = np.log(features).mean(axis=1)
    slope, intercept = np.polyfit(x, np.log(truth), 1)
    plain = math.exp(intercept + slope * math.log(34.0))
    assert plain < 0.9 * 40 and model.predict(big)[0] > plain + 1.5
    low, high = model.interval(20.0)
    assert low < 20.0 < high


@pytest.mark.parametrize(("side", "factor"), [(1024, 1.0), (2048, 0.5), (1200, 1.0)])
def test_the_detector_gets_the_lung_mask_where_the_lungs_are(side, factor):
    from types import SimpleNamespace

    from engine.analysis import _lung_mask_on
    from engine.anatomy import GridTransform, Region

    # A film of side px whose lungs the segmenter found on its 512 grid, and the work
    # image (side * factor px) the detector runs on.
    grid = GridTransform.letterbox(side, side, 512)
    lungs = np.zeros((512, 512), bool)
    lungs[100:400, 60:220] = True
    lungs[100:400, 290:450] = True
    anatomy = SimpleNamespace(
        lungs_found=True,
        grid=grid,
        mask=lambda region: (
            lungs if region is Region.RIGHT_LUNG else ~np.ones_like(lungs)
        ),
    )
    work = np.zeros((round(side * factor), round(side * factor)), np.float32)
    mask = _lung_mask_on(work, anatomy, factor)
    assert mask is not None and mask.shape == work.shape
    ys, xs = np.nonzero(mask)
    k = work.shape[0] / 512
    assert ys.min() == pytest.approx(100 * k, abs=2 * k)
    assert ys.max() == pytest.approx(400 * k, abs=2 * k)
    assert xs.max() == pytest.approx(450 * k, abs=2 * k)
    assert mask.mean() == pytest.approx(lungs.mean(), rel=0.05)


# ---------------------------------------------------------------------------------------
# Lung behind the heart and below the domes (issue 11, item 4)
# ---------------------------------------------------------------------------------------


def _thorax_with_heart(
    bubble: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The synthetic lungs with a heart between their lower parts (and a gastric bubble).

    The heart is carved out of the lung mask, as the segmenter leaves it out.
    """
    image, mask = synthetic_film(512, 512, (150.0, 240.0), 8 / 0.7)
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
    heart = ((xx - 280) / 70) ** 2 + ((yy - 340) / 55) ** 2 <= 1
    mask &= ~heart
    image[heart] = 0.8
    if bubble:
        # Gas under the left dome (image right): darker than the aerated lung.
        gas = ((xx - 380) / 18) ** 2 + ((yy - 430) / 14) ** 2 <= 1
        image[gas] = 0.2
    return image, mask, heart


def _dome_row(mask: np.ndarray, heart: np.ndarray, col: int) -> int:
    return int(np.nonzero((mask | heart)[:, col])[0].max())


def test_retrocardiac_and_sub_diaphragmatic_lung_are_lung_sites():
    image, mask, heart = _thorax_with_heart()
    prepared = prepare_image(image, mask, mm_per_px=0.7, heart_mask=heart)
    # In the heart between the lungs' lower halves: outside both fields and hulls.
    assert site_of(prepared, 256, 370) is Site.RETROCARDIAC
    # Under the heart in a column of the left lung: the heart's base is the dome there.
    dome = _dome_row(mask, heart, 300)
    assert site_of(prepared, 300, dome + round(20 / 0.7)) is Site.BASE
    # Below the right dome: 40 mm still lung (cxr-train reaches 41 mm), 50 mm is not.
    dome = _dome_row(mask, heart, 154)
    assert site_of(prepared, 154, dome + round(40 / 0.7)) is Site.BASE
    assert site_of(prepared, 154, dome + round(50 / 0.7)) is Site.OUTSIDE
    # Without the heart mask, the same points are not lung.
    plain = prepare_image(image, mask, mm_per_px=0.7)
    assert site_of(plain, 256, 370) is Site.OUTSIDE
    assert site_of(plain, 300, _dome_row(mask, heart, 300) + 29) is Site.OUTSIDE


def test_chest_wall_mediastinum_below_the_heart_and_gastric_bubble_stay_outside():
    image, mask, heart = _thorax_with_heart(bubble=True)
    prepared = prepare_image(image, mask, mm_per_px=0.7, heart_mask=heart)
    assert site_of(prepared, 30, 240) is Site.OUTSIDE  # lateral to the right lung
    assert site_of(prepared, 490, 240) is Site.OUTSIDE  # lateral to the left lung
    assert site_of(prepared, 256, 200) is Site.OUTSIDE  # mediastinum above the heart
    # Below the heart in the midline: no lung in that column, not lung.
    assert site_of(prepared, 256, _dome_row(mask, heart, 256) + 14) is Site.OUTSIDE
    # The gastric bubble under the left dome, and its rim, are out; the same depth
    # under the right dome is lung.
    assert site_of(prepared, 380, 430) is Site.OUTSIDE
    assert site_of(prepared, 380, 430 - 14 - 4) is Site.OUTSIDE
    assert site_of(prepared, 512 - 380, 430) is Site.BASE
    sites = _lung_sites_map(prepared)
    assert not sites[30, 240] and not sites[430, 380] and sites[430, 512 - 380]


def _lung_sites_map(prepared):
    from engine.nodules import _lung_sites

    return _lung_sites(prepared)


@pytest.mark.usefixtures("neutral_classifier")
def test_a_retrocardiac_blob_is_a_candidate_only_with_the_heart_mask(monkeypatch):
    from dataclasses import replace

    import engine.nodules

    shipped = engine.nodules.load_nodule_classifier_spec()
    on = replace(shipped, candidates=replace(shipped.candidates, thorax_sites=True))
    off = replace(shipped, candidates=replace(shipped.candidates, thorax_sites=False))
    monkeypatch.setattr(engine.nodules, "load_nodule_classifier_spec", lambda: on)
    image, mask, heart = _thorax_with_heart()
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
    image = image + 0.15 * np.exp(-((xx - 256) ** 2 + (yy - 370) ** 2) / (2 * 7.0**2))
    image = np.clip(image, 0, 1).astype(np.float32)

    def near(found):
        return [c for c in found if math.dist((c.x, c.y), (256, 370)) < 8]

    assert not near(detect_nodules(image, mask, mm_per_px=0.7))
    found = near(detect_nodules(image, mask, mm_per_px=0.7, heart_mask=heart))
    assert found and found[0].site is Site.RETROCARDIAC
    # With the rule off, the heart mask changes nothing.
    monkeypatch.setattr(engine.nodules, "load_nodule_classifier_spec", lambda: off)
    assert not near(detect_nodules(image, mask, mm_per_px=0.7, heart_mask=heart))


def test_the_shipped_ranker_was_fitted_on_the_shipped_cnn_and_the_model_is_small():
    import json

    from engine.nodules import MODELS_DIR

    card = json.loads((MODELS_DIR / "nodule_classifier.json").read_text("utf-8"))
    ranker = json.loads((MODELS_DIR / "nodule_ranker.json").read_text("utf-8"))
    # The ranker's weights are on the logit scale of the CNN whose CV records it was
    # fitted on; another CNN's logits would silently mis-rank and mis-calibrate.
    assert ranker["training"]["cnn"] == card["version"]
    assert (MODELS_DIR / "nodule_classifier.onnx").stat().st_size < 10 * 1024 * 1024


def _split_records(seed: int = 1):
    """Synthetic films: earlier-site candidates whose hits follow feature 0, and
    retrocardiac / below-dome candidates (deep below the base) whose hits follow
    feature 1 instead, at a lower base rate."""
    from engine.nodules import RANKER_FEATURES
    from engine.training.nodule_ranker import FilmRecord

    rng = np.random.default_rng(seed)
    below = RANKER_FEATURES.index("below_base")
    records = []
    for i in range(60):
        inputs = rng.normal(size=(40, len(RANKER_FEATURES)))
        sites = ["lung"] * 30 + ["retrocardiac"] * 5 + ["base"] * 5
        inputs[:, below] = 0.0
        inputs[30:, below] = 2.0  # 40 mm below the lung base: beyond the recess
        inputs[35:38, below] = 0.5  # 10 mm: the earlier recess, an earlier site
        hit = np.zeros(40, bool)
        hit[:30] = rng.random(30) < 1 / (1 + np.exp(-(2.5 * inputs[:30, 0] - 4)))
        hit[30:] = rng.random(10) < 1 / (1 + np.exp(-(2.5 * inputs[30:, 1] - 3)))
        records.append(
            FilmRecord(
                case_id=f"F{i}",
                truth_mm=float("nan"),
                subtlety=0,
                inputs=inputs,
                shipped=np.zeros(40),
                site=tuple(sites),
                hit=hit,
                xy_mm=rng.uniform(0, 300, size=(40, 2)),
                measured_mm=np.full(40, np.nan),
            )
        )
    return records


def test_new_lung_sites_are_thorax_sites_beyond_the_earlier_recess():
    from engine.nodules import new_lung_sites

    record = _split_records()[0]
    new = new_lung_sites(record.site, record.inputs)
    assert not new[:30].any()  # lung field
    assert new[30:35].all()  # retrocardiac, 40 mm below the base
    assert not new[35:38].any()  # 10 mm below the base: the earlier recess
    assert new[38:].all()


def test_the_site_split_ranker_ignores_new_sites_and_calibrates_them_apart():
    from dataclasses import replace

    from engine.nodules import RankerSpec, new_lung_sites
    from engine.training.nodule_ranker import (
        earlier_sites,
        fit_ranker,
        fit_site_split,
    )

    records = _split_records()
    split = fit_site_split(records)
    alone, _, _ = fit_ranker([earlier_sites(r) for r in records])
    # The ranker is the one fitted without the new sites' candidates ...
    np.testing.assert_allclose(split.ranker.weights, alone.weights)
    # ... and would differ had they been in the fit.
    together, _, _ = fit_ranker(records)
    assert np.abs(together.weights - alone.weights).max() > 0.05
    assert split.new_sites is not None
    # Their map is fitted on their own hits: its mean score is their hit rate.
    new = np.concatenate([new_lung_sites(r.site, r.inputs) for r in records])
    scores = np.concatenate([split.scores(r) for r in records])
    hits = np.concatenate([r.hit for r in records])
    assert scores[new].mean() == pytest.approx(hits[new].mean(), abs=0.02)
    # The run time reads the map from the card and scores alike.
    card = _card(
        split.ranker,
        (split.iso_x, split.iso_y),
        report_score=0.3,
        new_sites=split.new_sites,
    )
    spec = RankerSpec.from_json(card)
    record = records[0]
    flags = new_lung_sites(record.site, record.inputs)
    np.testing.assert_allclose(
        spec.probability(record.inputs, flags), split.scores(record), atol=1e-4
    )
    # Without the map (an older card) every candidate takes the isotonic map.
    older = RankerSpec.from_json({k: v for k, v in card.items() if k != "new_sites"})
    plain = older.probability(record.inputs, flags)
    assert not np.allclose(plain[flags], split.scores(record)[flags], atol=1e-3)
    assert replace(spec, new_sites=None).probability(record.inputs, flags) == (
        pytest.approx(plain)
    )


def test_a_blob_repeated_across_the_midline_scores_low_on_contralateral_contrast():
    """A rib crossing or a vessel has its twin in the other lung; a nodule has none."""
    from engine.nodules import blob_field, contralateral_contrast, find_blob_candidates

    lone, pair = (150.0, 200.0), [(150.0, 320.0), (362.0, 320.0)]
    image, mask = _two_lung_film([lone, *pair])
    prepared = prepare_image(image, mask, mm_per_px=0.7)
    assert abs(prepared.midline_x - 256) < 4
    field = blob_field(prepared)
    candidates = find_blob_candidates(prepared, field=field)
    contrast = contralateral_contrast(field, candidates)

    def at(x: float, y: float) -> float:
        k = min(
            range(len(candidates)),
            key=lambda i: math.hypot(candidates[i].x - x, candidates[i].y - y),
        )
        assert math.hypot(candidates[k].x - x, candidates[k].y - y) < 4
        return float(contrast[k])

    assert at(*lone) > 0.8
    for x, y in pair:
        assert abs(at(x, y)) < 0.2
    assert np.all((contrast >= -1) & (contrast <= 1))


def test_the_listwise_ranker_puts_each_films_hit_first_where_the_pointwise_one_does_not():
    """Feature 0 orders the candidates within a nodule film (its hit is the film's
    highest); feature 1 tells nodule films from normal ones but, per candidate, is
    noise. The pointwise loss leans on feature 1 (it predicts a hit across films) and
    so scrambles the order within films; the within-film loss does not."""
    from engine.training.nodule_ranker import fit_listwise_logistic, fit_logistic

    rng = np.random.default_rng(0)
    rows, labels, films = [], [], []
    for film in range(100):
        nodule_film = film % 2 == 0
        x0 = rng.normal(0, 1, 30)
        x1 = 2.0 * nodule_film + rng.normal(0, 1.5, 30)
        hit = np.zeros(30, bool)
        if nodule_film:
            hit[int(np.argmax(x0))] = True
        rows.append(np.column_stack([x0, x1]))
        labels.append(hit)
        films.append(np.full(30, film))
    x, y, f = np.concatenate(rows), np.concatenate(labels), np.concatenate(films)

    def top1(model) -> float:
        z = model.logit(x)
        nodule_films = range(0, 100, 2)
        return float(
            np.mean([labels[g][int(np.argmax(z[f == g]))] for g in nodule_films])
        )

    listwise = fit_listwise_logistic(x, y, f)
    assert top1(listwise) >= 0.95
    assert top1(fit_logistic(x, y)) < 0.85
    w = listwise.weights / listwise.scale
    assert w[0] > 10 * abs(w[1])


def test_a_second_member_of_one_recipe_keeps_the_folds_and_changes_the_init():
    """``--init-seed`` seeds the weights only; the folds keep ``--seed`` so the two
    members can join one ensemble (ensemble() refuses runs whose seeds differ)."""
    from engine.training.train_nodules import _parse, config_record

    first = _parse(["--data", "d", "--out", "o"])
    second = _parse(["--data", "d", "--out", "o", "--init-seed", "7"])

    assert first.train_seed == first.seed == second.seed
    assert second.train_seed == 7
    assert config_record(second)["seed"] == config_record(first)["seed"]
    assert config_record(second)["init_seed"] == 7
