"""Synthetic chest phantoms look like a PA film and report their ground truth exactly."""

import numpy as np
import pytest

from cases import Side
from cases.phantom import (
    NoduleSpec,
    OpacitySpec,
    PhantomSpec,
    make_phantom,
    seed_scenario_spec,
)


@pytest.fixture(scope="module")
def seed_phantom():
    return make_phantom(seed_scenario_spec(rows=512, columns=512, spacing_mm=0.7))


def _columns(mask):
    xs = np.flatnonzero(mask.any(axis=0))
    return xs.min(), xs.max()


def test_lungs_are_dark_and_the_mediastinum_and_heart_are_bright(seed_phantom):
    pixels, truth = seed_phantom.pixels, seed_phantom.truth
    assert pixels.dtype == np.float32 and pixels.min() >= 0.0 and pixels.max() <= 1.0
    lungs = truth.right_lung | truth.left_lung
    assert pixels[lungs].mean() < 0.55
    assert pixels[truth.heart].mean() > pixels[lungs].mean() + 0.35
    midline = pixels[int(0.3 * 512) : int(0.45 * 512), 250:262]
    assert midline.mean() > pixels[lungs].mean() + 0.3


def test_proportions_follow_an_adult_pa_film(seed_phantom):
    truth, width = seed_phantom.truth, 512
    right0, right1 = _columns(truth.right_lung)
    left0, left1 = _columns(truth.left_lung)
    assert right1 < left0  # two separate lung fields
    assert 0.25 <= (right1 - right0) / width <= 0.40
    assert 0.25 <= (left1 - left0) / width <= 0.40
    heart0, heart1 = _columns(truth.heart)
    thorax = left1 - right0
    assert 0.25 <= (heart1 - heart0) / width <= 0.35
    assert 0.35 <= (heart1 - heart0) / thorax <= 0.5  # cardiothoracic ratio
    # The heart extends to the patient's left, which is the image right on a PA film.
    assert (heart0 + heart1) / 2 > width / 2
    heart_rows = np.flatnonzero(truth.heart.any(axis=1))
    assert heart_rows.mean() > 0.5 * 512  # lower half
    assert truth.right_dome_px[1] < truth.left_dome_px[1]  # right hemidiaphragm higher


def test_nodules_are_drawn_where_the_truth_says(seed_phantom):
    nodule = seed_phantom.truth.nodules[0]
    x, y = (round(v) for v in nodule.center_px)
    assert nodule.side is Side.RIGHT
    assert seed_phantom.truth.right_lung[y, x]
    assert x < 256  # patient right = image left
    assert nodule.diameter_px == pytest.approx(12.0 / 0.7)
    radius = round(nodule.diameter_px / 2)
    inside = seed_phantom.pixels[y - 2 : y + 3, x - 2 : x + 3].mean()
    ring = seed_phantom.pixels[
        y - 2 : y + 3, x + 3 * radius : x + 3 * radius + 5
    ].mean()
    assert inside > ring + 0.1


def test_nodule_size_scales_with_spacing():
    spec = PhantomSpec(
        rows=256,
        columns=256,
        spacing_mm=1.0,
        nodules=(NoduleSpec(side=Side.LEFT, lateral=0.5, caudal=0.4, diameter_mm=30),),
    )
    truth = make_phantom(spec).truth
    assert truth.nodules[0].diameter_px == pytest.approx(30.0)
    assert truth.nodules[0].center_px[0] > 128


def test_opacity_truth_box_lies_in_its_lung(seed_phantom):
    box = seed_phantom.truth.opacity.box_px
    cx, cy = round((box[0] + box[2]) / 2), round((box[1] + box[3]) / 2)
    assert seed_phantom.truth.left_lung[cy, cx]


def test_phantoms_are_deterministic_per_seed():
    a = make_phantom(PhantomSpec(rows=128, columns=128, seed=3)).pixels
    b = make_phantom(PhantomSpec(rows=128, columns=128, seed=3)).pixels
    c = make_phantom(PhantomSpec(rows=128, columns=128, seed=4)).pixels
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (
            lambda: NoduleSpec(
                side=Side.MIDLINE, lateral=0.5, caudal=0.5, diameter_mm=10
            ),
            "right or left lung",
        ),
        (
            lambda: NoduleSpec(
                side=Side.RIGHT, lateral=1.5, caudal=0.5, diameter_mm=10
            ),
            "lateral must be in",
        ),
        (
            lambda: NoduleSpec(
                side=Side.RIGHT, lateral=0.5, caudal=0.5, diameter_mm=500
            ),
            "diameter_mm",
        ),
        (
            lambda: OpacitySpec(
                side=Side.LEFT, lateral=0.5, caudal=0.5, width_mm=0, height_mm=3
            ),
            "size must be positive",
        ),
        (lambda: PhantomSpec(rows=10), "phantom size"),
    ],
)
def test_invalid_specs_are_refused(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
