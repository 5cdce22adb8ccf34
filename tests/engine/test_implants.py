"""Synthetic nodule implants for training (engine.training.implants) and their folds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.nodules import FEATURE_NAMES, PatchSource, prepare_image
from engine.training.implants import (
    CLEARANCE_MM,
    Implant,
    ImplantSettings,
    apply_implants,
    headroom,
    implant_zones,
    render_implant,
    sample_implants,
)
from tests.engine.test_nodules import synthetic_film


def _prepared():
    image, mask = synthetic_film(512, 512, (150.0, 240.0), 8 / 0.7)
    return prepare_image(image, mask, mm_per_px=0.7)


def _sphere(diameter_mm: float, **kw) -> Implant:
    values = {"x": 60.0, "y": 60.0, "amplitude": 0.4, "edge_sigma_mm": 0.5}
    values.update(kw)
    return Implant(diameter_mm=diameter_mm, zone="lung", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("mmpx", [0.7, 0.35])
@pytest.mark.parametrize("diameter_mm", [5.0, 12.0, 40.0])
@pytest.mark.parametrize("lobulated", [False, True])
def test_implant_mask_has_the_requested_diameter_in_mm(mmpx, diameter_mm, lobulated):
    harmonics = (0.1, 0.07, 0.05, 0.04) if lobulated else ()
    phases = (0.3, 1.1, 2.0, 4.0) if lobulated else ()
    implant = _sphere(diameter_mm, harmonics=harmonics, phases=phases)
    _, mask, _, _ = render_implant(implant, mmpx)
    equivalent_mm = 2 * math.sqrt(mask.sum() / math.pi) * mmpx
    # Within 8 % or one pixel, whichever is larger (a 5 mm disc is 7 px across).
    assert abs(equivalent_mm - diameter_mm) <= max(0.08 * diameter_mm, mmpx)


def test_lobulated_implant_is_not_round():
    implant = _sphere(30.0, harmonics=(0.12, 0.08, 0.0, 0.0), phases=(0.0,) * 4)
    _, mask, _, _ = render_implant(implant, 0.7)
    ys, xs = np.nonzero(mask)
    assert np.ptp(xs) - np.ptp(ys) >= 3  # the second harmonic stretches it along x


def test_implant_raises_the_film_at_its_centre_and_not_far_away():
    prepared = _prepared()
    zones = implant_zones(prepared)
    y, x = np.argwhere(zones["lung"])[len(np.argwhere(zones["lung"])) // 2]
    implant = _sphere(15.0, x=float(x), y=float(y), amplitude=0.3)
    out, mask = apply_implants(prepared.normalised, [implant], 0.7)
    before = prepared.normalised
    room = headroom(float(before[y, x]), float(np.percentile(before, 99.5)))
    assert out[y, x] - before[y, x] >= 0.7 * 0.3 * room
    assert mask[y, x]
    far = (slice(y + 40, y + 60), slice(x, x + 5))
    np.testing.assert_array_equal(out[far], before[far])
    assert out.max() <= before.max() + 1e-6


def test_headroom_shrinks_contrast_over_dense_background():
    assert headroom(0.0, 3.0) == 1.0
    assert headroom(2.0, 3.0) < headroom(1.0, 3.0) < 1.0
    assert headroom(5.0, 3.0) == 0.25


def test_implants_land_in_their_zones_inside_the_lung_search_region():
    prepared = _prepared()
    zones = implant_zones(prepared)
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(40):
        for implant in sample_implants(prepared, rng, ImplantSettings(per_film=2), []):
            x, y = round(implant.x), round(implant.y)
            assert zones[implant.zone][y, x]
            if implant.zone in ("lung", "apex"):
                assert prepared.lung[y, x]
            assert prepared.roi[y, x]
            low, high = ImplantSettings().diameter_mm
            assert low <= implant.diameter_mm <= high
            seen.add(implant.zone)
    assert {"lung", "apex", "subdiaphragmatic"} <= seen


def test_implants_never_overlap_the_real_nodule_or_each_other():
    prepared = _prepared()
    nodule = (150.0, 240.0, 20 / 2 / 0.7)  # a 20 mm real nodule, working pixels
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:512, 0:512]
    real = np.hypot(xx - nodule[0], yy - nodule[1]) <= nodule[2]
    for _ in range(30):
        implants = sample_implants(prepared, rng, ImplantSettings(per_film=3), [nodule])
        assert implants
        _, mask = apply_implants(prepared.normalised, implants, 0.7)
        assert not (mask & real).any()
        for i, a in enumerate(implants):
            ra = a.diameter_mm / 2 / 0.7
            gap = math.hypot(a.x - nodule[0], a.y - nodule[1]) - ra - nodule[2]
            assert gap >= CLEARANCE_MM / 0.7 - 1e-6
            for b in implants[i + 1 :]:
                rb = b.diameter_mm / 2 / 0.7
                assert math.hypot(a.x - b.x, a.y - b.y) >= ra + rb


def _images(flags: list[tuple[str, bool, bool]]):
    from engine.training.train_nodules import ImageCandidates

    out = []
    source = PatchSource.from_normalised(np.zeros((64, 64), np.float32))
    for case_id, has_nodule, synthetic in flags:
        label = np.array([True, False]) if not synthetic else np.array([True, True])
        out.append(
            ImageCandidates(
                case_id=case_id,
                source=source,
                xy=np.array([[20, 20], [40, 40]], np.float32),
                features=np.zeros((2, len(FEATURE_NAMES)), np.float32),
                label=label,
                hits=label[:, None] if not synthetic else np.zeros((2, 0), bool),
                has_nodule=has_nodule,
                synthetic=synthetic,
            )
        )
    return out


@pytest.mark.parametrize("by_case_id", [False, True])
def test_an_implanted_copy_trains_only_in_its_films_training_folds(by_case_id):
    pytest.importorskip("torch")
    from engine.training.train_nodules import _index, folds_of

    real = [(f"C{i:02d}", i % 2 == 0, False) for i in range(10)]
    copies = [(f"C{i:02d}", True, True) for i in range(10)]
    images = _images(real + copies)
    fold = folds_of(images, 5, 7, by_case_id=by_case_id)
    # The copies do not change the real films' folds.
    np.testing.assert_array_equal(
        fold[:10], folds_of(_images(real), 5, 7, by_case_id=by_case_id)
    )
    for i in range(10):
        assert fold[10 + i] == fold[i]
    for f in range(5):
        pos, neg, syn = _index(images, np.nonzero(fold != f)[0])
        held = {images[i].case_id for i in np.nonzero(fold == f)[0]}
        assert all(images[i].synthetic for i, _ in syn)
        assert not {images[i].case_id for i, _ in syn} & held
        assert not any(images[i].synthetic for i, _ in np.concatenate([pos, neg]))


def test_batches_draw_the_requested_share_of_implant_positives():
    pytest.importorskip("torch")
    from engine.training.train_nodules import _positives

    pos = np.array([[0, 0]] * 5, np.int64)
    syn = np.array([[1, 0]] * 5, np.int64)
    rows = _positives(pos, syn, 32, 0.25, np.random.default_rng(0))
    assert len(rows) == 32
    assert (rows[:, 0] == 1).sum() == 8
    none = _positives(pos, syn[:0], 32, 0.25, np.random.default_rng(0))
    assert (none[:, 0] == 0).all()


def test_mined_negatives_are_counted_by_where_they_lie():
    pytest.importorskip("torch")
    from engine.training.train_nodules import mined_sites, negative_site

    def features(depth_mm: float, rel_y: float, rel_x: float) -> np.ndarray:
        f = np.zeros(len(FEATURE_NAMES), np.float32)
        f[5], f[6], f[7] = depth_mm / 20, rel_y, rel_x
        return f

    assert negative_site(features(10, 1.1, 0.5)).startswith("below_base")
    assert negative_site(features(10, 0.1, 0.5)).startswith("apex")
    assert negative_site(features(2, 0.5, 0.9)).startswith("lateral_edge")
    assert negative_site(features(2, 0.5, 0.2)).startswith("medial_edge")
    assert negative_site(features(20, 0.5, 0.5)).startswith("inner_lung")
    images = _images([("C00", True, False)])
    images[0].features[0] = features(10, 0.1, 0.5)
    images[0].features[1] = features(20, 0.5, 0.5)
    counts = mined_sites(images, np.array([[0, 0], [0, 1], [0, 1]]))
    assert counts == {
        "apex_clavicle_first_rib": 1,
        "inner_lung_rib_crossing_vessel": 2,
    }


def test_an_implanted_copy_holds_only_implant_positives_of_its_film(tmp_path):
    pytest.importorskip("torch")
    from pathlib import Path

    from engine.nodules import CandidateParams
    from engine.training.nodule_data import NoduleCase, NoduleTruth
    from engine.training.train_nodules import TrainConfig, _implanted_copy

    prepared = _prepared()
    truth = NoduleTruth(
        x=150.0, y=240.0, diameter_px=20 / 0.7, diameter_mm=20.0, side="", subtlety=5
    )
    case = NoduleCase(
        case_id="C01",
        dataset="JSRT",
        path=Path("unused.png"),
        mask_path=None,
        mm_per_px=0.7,
        nodules=(truth,),
    )
    config = TrainConfig(data=tmp_path, out=tmp_path, implants_per_film=2)
    copy = _implanted_copy(
        case,
        prepared,
        CandidateParams(),
        ImplantSettings(per_film=2),
        np.random.default_rng(1),
        config,
    )
    assert copy is not None and copy.synthetic and copy.case_id == "C01"
    assert copy.label.all() and copy.n_real == 0
    # No row sits on the real nodule: those are the real film's positives.
    distance = np.hypot(copy.xy[:, 0] - 150.0, copy.xy[:, 1] - 240.0)
    assert distance.min() > 20 / 2 / 0.7 + CLEARANCE_MM / 0.7 - 1
    # The copy's film differs from the original only around the implants.
    changed = copy.source.images[0] != prepared.normalised
    assert 0 < changed.mean() < 0.05
