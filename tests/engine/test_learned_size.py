"""The learned size's descriptors and fit (engine.training.size_descriptors, lesion_size).

Not shipped (docs/benchmarks.md, issue 11's sixth step); these hold the bench option
``bench/cv_nodules.py --learned-size`` to what it claims: millimetre descriptors that do
not change with the film's resolution, and a fit that recovers a size it is given.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.training.lesion_size import INPUT_NAMES, fit_learned_size
from engine.training.size_descriptors import DESCRIPTOR_NAMES, size_descriptors

RADII = DESCRIPTOR_NAMES.index("profile_radius_50_mm")
PEAK = DESCRIPTOR_NAMES.index("blob_peak_diameter_mm")


def sphere_film(diameter_mm: float, mm_per_px: float, span_mm: float = 200.0):
    """A projected sphere (thickness profile) on a gently sloped, noisy background."""
    n = round(span_mm / mm_per_px)
    yy, xx = (np.mgrid[0:n, 0:n] + 0.5) * mm_per_px
    centre = span_mm / 2
    r = np.hypot(xx - centre, yy - centre) / (diameter_mm / 2)
    lesion = 0.15 * np.sqrt(np.clip(1 - r**2, 0, None))
    background = 0.3 + 0.001 * xx
    noise = np.random.default_rng(3).normal(0, 0.005, (n, n))
    image = (background + lesion + noise).astype(np.float32)
    return image, (centre / mm_per_px - 0.5, centre / mm_per_px - 0.5)


@pytest.mark.parametrize("diameter_mm", [12.0, 24.0])
def test_the_same_lesion_at_two_resolutions_gives_the_same_descriptors(diameter_mm):
    coarse, c1 = sphere_film(diameter_mm, 0.7)
    fine, c2 = sphere_film(diameter_mm, 0.35)
    a = size_descriptors(coarse, c1, 0.7)
    b = size_descriptors(fine, c2, 0.35)
    assert a[RADII] == pytest.approx(b[RADII], abs=1.0)
    assert a[PEAK] == b[PEAK]
    assert np.allclose(a, b, atol=0.1 * np.abs(a).max())


def test_a_larger_lesion_reads_larger():
    small = size_descriptors(*sphere_film(10.0, 0.35), 0.35)
    large = size_descriptors(*sphere_film(30.0, 0.35), 0.35)
    # The half-height radius of a projected sphere is sqrt(3)/2 of its radius.
    assert small[RADII] == pytest.approx(10.0 / 2 * math.sqrt(3) / 2, abs=1.5)
    assert large[RADII] == pytest.approx(30.0 / 2 * math.sqrt(3) / 2, abs=1.5)
    assert large[PEAK] > small[PEAK]


def test_a_spacing_that_is_not_positive_is_refused():
    image, centre = sphere_film(10.0, 0.7)
    with pytest.raises(ValueError, match="pixel spacing"):
        size_descriptors(image, centre, 0.0)


def test_the_fit_recovers_a_size_and_its_interval_covers_about_80_percent():
    rng = np.random.default_rng(0)
    truth = rng.uniform(8, 40, 400)
    rows = rng.normal(0, 1, (400, len(INPUT_NAMES)))
    rows[:, 0] = np.log(truth) + rng.normal(0, 0.05, 400)  # one informative input
    model = fit_learned_size(rows[:300], truth[:300], np.ones(300))
    predicted = model.predict(rows[300:])
    assert np.median(np.abs(predicted / truth[300:] - 1)) < 0.08
    low, high = model.interval(1.0)
    inside = (truth[300:] >= predicted * low) & (truth[300:] <= predicted * high)
    assert 0.65 <= inside.mean() <= 0.95


def test_too_few_films_to_fit_is_refused():
    rows = np.zeros((5, len(INPUT_NAMES)))
    with pytest.raises(ValueError, match="give more nodule films"):
        fit_learned_size(rows, np.full(5, 10.0), np.ones(5))


def _record(case_id: str, truth_mm: float, hits: int):
    from engine.training.nodule_ranker import SIZE_FEATURES, FilmRecord

    k = hits + 1
    return FilmRecord(
        case_id=case_id,
        truth_mm=truth_mm,
        subtlety=3,
        inputs=np.zeros((k, 1)),
        shipped=np.zeros(k),
        site=("field",) * k,
        hit=np.array([True] * hits + [False]),
        xy_mm=np.zeros((k, 2)),
        measured_mm=np.array([truth_mm] * hits + [math.nan]),
        size_features=np.full((k, len(SIZE_FEATURES)), truth_mm),
    )


def test_the_bench_scores_the_learned_size_and_falls_back_to_the_scale(monkeypatch):
    """``--learned-size`` rows: the model's size and interval where the descriptors
    exist, the long-axis scale's where they do not (as the engine would fall back)."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench"))
    import cv_nodules

    from engine.training.lesion_size import training_rows
    from engine.training.nodule_ranker import SizeModel

    rng = np.random.default_rng(1)
    train = [
        _record(f"T{i}", float(d), 2) for i, d in enumerate(rng.uniform(8, 40, 60))
    ]
    table = {}
    for r in train:
        rows = rng.normal(0, 1, (len(r.hit), len(INPUT_NAMES)))
        rows[:, 0] = math.log(r.truth_mm) + rng.normal(0, 0.02, len(r.hit))
        rows[~r.hit] = math.nan
        table[r.case_id] = rows
    # A film's two hits weigh one film together.
    assert training_rows(train, table)[2].sum() == pytest.approx(len(train))
    model = fit_learned_size(*training_rows(train, table))
    held = _record("H", 20.0, 2)
    table["H"] = np.full((3, len(INPUT_NAMES)), math.nan)
    table["H"][0] = 0.0
    table["H"][0, 0] = math.log(20.0)
    scale = SizeModel(
        slope=1.5, intercept=0.0, ratio_low=0.8, ratio_high=1.2, coverage=0.8
    )
    fit = cv_nodules.FoldFit(
        threshold=0.5,
        size=scale,
        mean_size=scale,
        log_size=None,
        area_scale=1.0,
        learned=model,
        descriptors=table,
        prior_mm=18.0,
    )
    row = cv_nodules._size_row(held, 0, fit)
    assert row[12] == pytest.approx(20.0, rel=0.1)
    assert row[13:15] == pytest.approx(model.interval(row[12]))
    assert row[15] == 18.0
    fallback = cv_nodules._size_row(held, 1, fit)
    assert fallback[12] == pytest.approx(30.0)  # the scale: 1.5 x 20 mm
    assert fallback[13:15] == pytest.approx((24.0, 36.0))
