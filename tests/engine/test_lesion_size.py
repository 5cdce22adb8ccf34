"""Focal-lesion sizing on phantoms of known diameter (the scale search of findings.py).

The discs are drawn on the synthetic chest of cases/phantom.py (ribs, vessels, hila,
noise) and go through the analyzer with the phantom's true lung masks, seeded the way
the detector seeds them: at a point of the lesion with a small radius.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import ndimage

from cases.phantom import PhantomSpec, make_phantom
from engine.findings import (
    MASS_THRESHOLD_MM,
    Candidate,
    FindingKind,
    LungOutline,
    find_lesion_blob,
)

from .conftest import Phantom, analyse

SPACING = 0.35  # mm per pixel of the default 1024 px phantom
SEED_RADIUS_MM = 4.0  # what the detector proposes for a lesion of any size


@functools.cache
def _chest() -> Phantom:
    drawn = make_phantom(PhantomSpec())
    return Phantom(
        image=drawn.pixels,
        right_lung=drawn.truth.right_lung,
        left_lung=drawn.truth.left_lung,
        heart=drawn.truth.heart,
    )


def _centre_of(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


def _right_lung_at(
    mask: np.ndarray, lateral: float, caudal: float
) -> tuple[float, float]:
    """A point `lateral` of the way from the medial edge and `caudal` down the right lung."""
    rows = np.flatnonzero(mask.any(axis=1))
    y = int(rows[0] + caudal * (rows[-1] - rows[0]))
    xs = np.flatnonzero(mask[y])
    # The patient's right lung is on the image left: its medial edge is its right end.
    return float(xs[-1] - lateral * (xs[-1] - xs[0])), float(y)


POSITIONS = {
    "right mid zone": lambda c: _centre_of(c.right_lung),
    "right lower zone": lambda c: _right_lung_at(c.right_lung, 0.65, 0.7),
    "left lung": lambda c: _centre_of(c.left_lung),
}


def _lesion(
    shape: tuple[int, ...], centre: tuple[float, float], radius: float, edge: str
) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    disc = (np.hypot(xx - centre[0], yy - centre[1]) <= radius).astype(np.float64)
    # A uniform disc has a film's sharp edge; a Gaussian edge a quarter of the radius
    # wide has its half-maximum contour on the disc.
    blur = 1.0 if edge == "uniform" else 0.25 * radius
    return ndimage.gaussian_filter(disc, blur)


def _measure(
    diameter_mm: float,
    edge: str,
    position: str,
    contrast: float,
    seed_offset: float = 0.0,
):
    chest = _chest()
    centre = POSITIONS[position](chest)
    radius = diameter_mm / SPACING / 2
    image = np.clip(
        chest.image + contrast * _lesion(chest.image.shape, centre, radius, edge), 0, 1
    ).astype(np.float32)
    film = Phantom(
        image=image,
        right_lung=chest.right_lung,
        left_lung=chest.left_lung,
        heart=chest.heart,
    )
    seed = (centre[0] + seed_offset * radius, centre[1])
    analysis = analyse(
        film,
        [Candidate(seed, SEED_RADIUS_MM / SPACING, 0.9)],
        key=f"{diameter_mm}-{edge}-{position}-{contrast}-{seed_offset}",
    )
    return analysis.focal_findings[0]


@pytest.mark.parametrize("position", sorted(POSITIONS))
@pytest.mark.parametrize("contrast", [0.12, 0.2])
@pytest.mark.parametrize("edge", ["uniform", "gaussian"])
@pytest.mark.parametrize("diameter_mm", [10.0, 15.0, 20.0, 28.0, 40.0])
def test_a_lesion_is_sized_within_a_quarter_of_its_diameter(
    diameter_mm, edge, contrast, position
):
    finding = _measure(diameter_mm, edge, position, contrast)
    assert finding.long_axis_mm == pytest.approx(diameter_mm, rel=0.25)
    # A rib across a soft-edged lesion lifts one side of it over the half-maximum
    # contour, so the short axis alone may fall short; the mean diameter may not.
    mean = (finding.long_axis_mm + finding.short_axis_mm) / 2
    assert mean == pytest.approx(diameter_mm, rel=0.25)


@pytest.mark.parametrize("diameter_mm", [20.0, 28.0, 40.0])
def test_a_seed_off_the_centre_of_a_large_lesion_still_finds_all_of_it(diameter_mm):
    # A detector often proposes a bright spot halfway to the edge of a large lesion.
    finding = _measure(diameter_mm, "uniform", "right mid zone", 0.2, seed_offset=0.5)
    assert finding.long_axis_mm == pytest.approx(diameter_mm, rel=0.25)
    centre = POSITIONS["right mid zone"](_chest())
    assert math.dist(finding.center, centre) * SPACING <= 0.1 * diameter_mm


@pytest.mark.parametrize(
    ("diameter_mm", "kind"),
    [(20.0, FindingKind.NODULE), (40.0, FindingKind.MASS)],
)
def test_a_lesion_over_30_mm_is_a_mass(diameter_mm, kind):
    finding = _measure(diameter_mm, "uniform", "right mid zone", 0.2)
    assert finding.kind is kind
    assert (finding.long_axis_mm > MASS_THRESHOLD_MM) is (kind is FindingKind.MASS)


@pytest.mark.parametrize("radius_mm", [2.5, 5.0, 10.0, 20.0, 30.0])
def test_the_scale_search_finds_a_disc_at_its_radius(radius_mm):
    rng = np.random.default_rng(1)
    image = np.full((1024, 1024), 0.3) + rng.normal(0, 0.01, (1024, 1024))
    image += 0.2 * _lesion(image.shape, (500.0, 520.0), radius_mm / SPACING, "uniform")
    offset = 0.3 * radius_mm / SPACING  # a seed a little off the centre
    blob = find_lesion_blob(image.astype(np.float32), (500.0 + offset, 520.0), SPACING)
    assert blob is not None
    assert blob.radius_px * SPACING == pytest.approx(radius_mm, rel=0.15)
    assert math.dist(blob.center, (500.0, 520.0)) * SPACING <= max(1.0, 0.1 * radius_mm)


def test_the_lung_outline_admits_lesions_in_a_lung_and_not_the_chest_wall():
    chest = _chest()
    analysis = analyse(chest, [], key="outline")
    outline = LungOutline(analysis.anatomy)
    inside = _centre_of(chest.right_lung)
    _, xs = np.nonzero(chest.right_lung)
    wall = (float(xs.min()) - 40.0, inside[1])  # 14 mm outside the lateral lung edge
    assert outline.admits(inside, 20 / SPACING)
    assert not outline.admits(wall, 20 / SPACING)


def test_a_size_correction_scales_the_contour_and_gives_an_interval():
    from dataclasses import replace

    from engine.findings import SizeCorrection, correct_size

    finding = _measure(20.0, "gaussian", "right mid zone", 0.2)
    correction = SizeCorrection(slope=1.0, intercept=5.0, ratio_low=0.8, ratio_high=1.2)
    corrected = correct_size(finding, correction)
    k = (finding.long_axis_mm + 5.0) / finding.long_axis_mm
    assert corrected.long_axis_mm == pytest.approx(finding.long_axis_mm * k, abs=0.1)
    assert corrected.short_axis_px == pytest.approx(finding.short_axis_px * k, abs=0.1)
    assert corrected.center == finding.center
    low, high = corrected.diameter_interval_mm
    assert low == pytest.approx(0.8 * corrected.long_axis_mm, abs=0.1)
    assert high == pytest.approx(1.2 * corrected.long_axis_mm, abs=0.1)
    # The contour grows about the centre by the same factor.
    r0 = max(math.dist(p, finding.center) for p in finding.contour)
    r1 = max(math.dist(p, corrected.center) for p in corrected.contour)
    assert r1 == pytest.approx(r0 * k, rel=0.02)
    # A wild correction is held within 0.5-1.6 of what was measured.
    wild = replace(correction, intercept=100.0)
    assert correct_size(finding, wild).long_axis_mm == pytest.approx(
        finding.long_axis_mm * 1.6, abs=0.1
    )


def test_a_log_size_fit_sets_the_corrected_size_from_the_axes_and_area():
    from engine.detection import size_correction_from_card
    from engine.findings import SIZE_FACTOR_RANGE, area_diameter, correct_size

    finding = _measure(20.0, "gaussian", "right mid zone", 0.2)
    # log d = log(area diameter) + log 1.2: the fit reads the area, not the long axis.
    card = {
        "slope": 1.0,
        "intercept": 0.0,
        "ratio_low": 0.8,
        "ratio_high": 1.25,
        "log_fit": {
            "weights": [0.0, 0.0, 1.0],
            "mean_z": 0.0,
            "sd_z": 1.0,
            "centre": math.log(1.2),
            "spread": 1.0,
        },
    }
    corrected = correct_size(finding, size_correction_from_card(card))
    mm_per_px = finding.long_axis_mm / finding.long_axis_px
    area = area_diameter(finding.contour, mm_per_px)
    assert 0.8 * finding.long_axis_mm < area < 1.05 * finding.long_axis_mm
    low_k, high_k = SIZE_FACTOR_RANGE
    expected = float(
        np.clip(1.2 * area, low_k * finding.long_axis_mm, high_k * finding.long_axis_mm)
    )
    assert corrected.long_axis_mm == pytest.approx(expected, abs=0.15)
    low, high = corrected.diameter_interval_mm
    assert low == pytest.approx(0.8 * corrected.long_axis_mm, abs=0.1)
    assert high == pytest.approx(1.25 * corrected.long_axis_mm, abs=0.1)
    # Without the log fit the card's scale applies (slope 1: the size is kept).
    plain = size_correction_from_card({k: v for k, v in card.items() if k != "log_fit"})
    assert correct_size(finding, plain).long_axis_mm == finding.long_axis_mm


def test_a_mean_axes_card_scales_the_mean_of_both_axes():
    from engine.detection import size_correction_from_card
    from engine.findings import correct_size

    finding = _measure(20.0, "gaussian", "right mid zone", 0.2)
    card = {"slope": 1.2, "intercept": 0.0, "ratio_low": 0.8, "ratio_high": 1.25}
    long_mm, short_mm = finding.long_axis_mm, finding.short_axis_mm
    corrected = correct_size(
        finding, size_correction_from_card(card | {"measure": "mean_axes"})
    )
    assert corrected.long_axis_mm == pytest.approx(
        1.2 * (long_mm + short_mm) / 2, abs=0.1
    )
    # Cards written before `measure` existed scale the long axis.
    plain = correct_size(finding, size_correction_from_card(card))
    assert plain.long_axis_mm == pytest.approx(1.2 * long_mm, abs=0.1)


def test_a_card_with_an_unknown_size_measure_is_refused():
    from engine.detection import size_correction_from_card

    card = {"slope": 1.0, "intercept": 0.0, "ratio_low": 0.8, "ratio_high": 1.2}
    with pytest.raises(ValueError, match=r"size\.measure must be one of"):
        size_correction_from_card(card | {"measure": "area"})


def test_nodule_or_mass_follows_the_corrected_size():
    from engine.findings import SizeCorrection, correct_size

    finding = _measure(28.0, "flat", "right mid zone", 0.2)
    assert finding.kind is FindingKind.NODULE
    assert finding.long_axis_mm is not None
    grow = (MASS_THRESHOLD_MM + 3) / finding.long_axis_mm
    larger = correct_size(
        finding,
        SizeCorrection(slope=grow, intercept=0.0, ratio_low=0.8, ratio_high=1.2),
    )
    assert larger.long_axis_mm > MASS_THRESHOLD_MM
    assert larger.kind is FindingKind.MASS
    smaller = correct_size(
        larger,
        SizeCorrection(slope=0.8, intercept=0.0, ratio_low=0.8, ratio_high=1.2),
    )
    assert smaller.long_axis_mm < MASS_THRESHOLD_MM
    assert smaller.kind is FindingKind.NODULE
