"""Fit the second-stage nodule ranker, its calibration and the size correction.

Run it offline, never in CI::

    python -m engine.training.nodule_ranker --data $CXR_DATA/cxr-train \
        --extra-data $CXR_DATA/cxr --cnn-run training-runs/nodules/cv215 \
        --out engine/models/nodule_ranker.json

The CNN (``nodule_classifier.onnx``) scores patches; this stage combines its logit with
the blob features and where the candidate lies (lung field, hull, posterior recess), so
a rib crossing or a vessel end that the CNN likes at the chest wall ranks lower. Every
candidate's CNN logit comes from the fold model of ``--cnn-run`` that never saw its
film, which is what the shipped CNN gives on a new film. The steps:

1. :func:`film_record`: the engine path on one film (segmenter lung mask, blob
   candidates, CNN logits, ranker inputs, sites), each candidate labelled by the JSRT
   hit rule, and the engine's measured diameter at every candidate that hits.
2. :func:`fit_logistic`: L2-regularised logistic regression (Newton steps, numpy).
3. :func:`fit_isotonic`: pool-adjacent-violators on out-of-fold ranker logits, so a
   score of 0.8 means about 80 % of such candidates hit a nodule.
4. :func:`fit_size`: a linear correction of the measured diameter to the JSRT
   diameter, and the spread of the corrected ratio (the size interval).

``bench/cv_nodules.py`` runs the same fits inside patient-disjoint folds and measures
them on the held-out films; the figures quoted anywhere come from there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.nodules import (
    RANKER_FEATURES,
    RANKER_NAME,
    CandidateParams,
    PatchSource,
    candidate_table,
    extract_patches,
    load_nodule_classifier_spec,
    new_lung_sites,
    view_transforms,
)
from engine.training.nodule_data import NoduleCase, hit_radius_px
from engine.training.provenance import command_line

__all__ = [
    "LOG_SIZE_FEATURES",
    "SIZE_FEATURES",
    "FilmRecord",
    "LogSizeModel",
    "Ranker",
    "SiteSplitRanker",
    "SizeModel",
    "best_mean_axes",
    "best_sizes",
    "earlier_sites",
    "film_record",
    "fit_isotonic",
    "fit_log_size",
    "fit_logistic",
    "fit_ranker",
    "fit_site_split",
    "fit_size",
    "main",
    "size_measurements",
]

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class FilmRecord:
    """One film's candidates as the engine sees them, labelled against JSRT truth.

    Candidate arrays keep the blob detector's order. ``site`` is the
    :class:`engine.nodules.Site` value; ``measured_mm`` is the engine's diameter
    (the contour's long axis, as reported) at candidates that hit the nodule, NaN
    elsewhere.
    """

    case_id: str
    truth_mm: float  # JSRT diameter, NaN without a nodule
    subtlety: int  # JSRT subtlety 1-5, 0 without a nodule
    inputs: Floats = field(repr=False)  # (K, len(RANKER_FEATURES))
    shipped: Floats = field(repr=False)  # the shipped engine's score (for a baseline)
    site: tuple[str, ...]
    hit: npt.NDArray[np.bool_] = field(repr=False)
    xy_mm: Floats = field(repr=False)  # (K, 2) centres in mm on the working grid
    measured_mm: Floats = field(repr=False)
    # (K, len(SIZE_FEATURES)) at candidates that hit the nodule, NaN elsewhere; empty
    # (K, 0) in records written before the size features existed.
    size_features: Floats = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    # Diffuse opacities the engine reports on this film (all false on JSRT, which has
    # no consolidation): their count and the largest one's share of the lungs.
    diffuse_reported: int = 0
    diffuse_max_fraction: float = 0.0

    @property
    def has_nodule(self) -> bool:
        return math.isfinite(self.truth_mm)


def torch_cnn(run: Path, fold: int, views: int) -> Callable[..., Floats]:
    """A scorer with the CNN that fold ``fold`` of a training run fitted."""
    import torch

    from engine.training.train_nodules import load_member

    model, record = load_member(run, f"fold{fold}.pt")
    channels = len(record["patch_steps_px"])

    def score(
        source: PatchSource,
        centres: npt.NDArray[np.float32],
        features: npt.NDArray[np.float32],
    ) -> Floats:
        count = len(centres)
        patches = extract_patches(
            source,
            np.repeat(centres, views, axis=0),
            transforms=np.tile(view_transforms(views), (count, 1, 1)),
        )[:, :channels]
        with torch.no_grad():
            logits = model(
                torch.from_numpy(patches),
                torch.from_numpy(np.repeat(features, views, axis=0)),
            )
        mean = logits.numpy().astype(np.float64).reshape(count, views).mean(axis=1)
        return np.asarray(1 / (1 + np.exp(-mean)), np.float64)

    return score


# What the engine measures of a lesion, for size estimators fitted by cross-validation:
# the contour's long and short axis, the diameter of the disc of the contour's area and
# the diameter of the scale-space blob (2 x its radius) that holds the candidate.
SIZE_FEATURES = ("long_mm", "short_mm", "area_diameter_mm", "blob_diameter_mm")


def film_record(
    case: NoduleCase,
    *,
    cnn: Callable[..., Floats] | None,
    measure: bool = True,
    params: CandidateParams | None = None,
) -> FilmRecord:
    """Run the engine path on one film and label its candidates.

    The lung mask is the bundled segmenter's (as at run time), not the ground truth.
    ``params`` overrides the shipped candidate settings.
    """
    from engine.analysis import (
        _heart_mask_on,
        _lung_mask_on,
        _work_image,
        default_analyzer,
    )
    from engine.anatomy import GridTransform, build_anatomy_map, resize_to_grid
    from engine.findings import Candidate, LungOutline, describe_focal, lung_field_stats
    from engine.model import Calibration, CalibrationSource
    from engine.nodules import table_scores

    analyzer = default_analyzer()
    image = case.read_image()
    rows, cols = image.shape
    work, factor = _work_image(image)
    grid = GridTransform.letterbox(rows, cols, 512)
    structures = analyzer.segmenter.segment(
        work, GridTransform.letterbox(work.shape[0], work.shape[1], 512)
    )
    anatomy = build_anatomy_map(structures, grid, resize_to_grid(image, grid))
    lung = _lung_mask_on(work, anatomy, factor)
    heart = _heart_mask_on(work, anatomy, factor)
    mm = case.mm_per_px
    table = candidate_table(
        work,
        lung,
        mm_per_px=None if mm is None else mm / factor,
        cnn=cnn,
        params=params,
        heart_mask=heart,
    )
    shipped = (
        table_scores(table, None)
        if cnn is None
        else table_scores(
            candidate_table(
                work,
                lung,
                mm_per_px=None if mm is None else mm / factor,
                params=params,
                heart_mask=heart,
            ),
            None,
        )
    )
    prepared = table.prepared
    xy_work = np.array([[c.x, c.y] for c in table.candidates], np.float64).reshape(
        -1, 2
    )
    hit = np.zeros(len(xy_work), bool)
    truth_mm, subtlety = math.nan, 0
    for nodule in case.nodules:
        nx, ny = prepared.grid.to_work(nodule.x * factor, nodule.y * factor)
        radius = hit_radius_px(nodule, prepared.grid.mm_per_px)
        hit |= np.hypot(xy_work[:, 0] - nx, xy_work[:, 1] - ny) <= radius
        truth_mm, subtlety = nodule.diameter_mm, nodule.subtlety or 0
    measured = np.full(len(xy_work), math.nan)
    sizes = np.full((len(xy_work), len(SIZE_FEATURES)), math.nan)
    if measure and hit.any() and mm is not None:
        calibration = Calibration(
            row_mm=mm, col_mm=mm, source=CalibrationSource.PIXEL_SPACING
        )
        stats = lung_field_stats(image, anatomy)
        outline = LungOutline(anatomy) if anatomy.lungs_found else None
        for k in np.nonzero(hit)[0].tolist():
            c = table.candidates[k]
            x, y = prepared.grid.to_input(c.x, c.y)
            radius_px = c.features.radius_mm / prepared.grid.mm_per_px
            finding = describe_focal(
                image,
                Candidate(
                    (x / factor, y / factor),
                    radius_px / prepared.grid.scale / factor,
                    0.5,
                ),
                finding_id="F1",
                calibration=calibration,
                anatomy=anatomy,
                lung_stats=stats,
                outline=outline,
            )
            if finding.long_axis_mm is not None:
                measured[k] = finding.long_axis_mm
                sizes[k] = size_features(image, finding, mm, outline)
    diffuse_count, diffuse_fraction = _diffuse(analyzer, image, mm, case.case_id)
    return FilmRecord(
        case_id=case.case_id,
        truth_mm=truth_mm,
        subtlety=subtlety,
        inputs=table.inputs,
        shipped=shipped,
        site=tuple(s.value for s in table.sites),
        hit=hit,
        xy_mm=xy_work * prepared.grid.mm_per_px,
        measured_mm=measured,
        size_features=sizes,
        diffuse_reported=diffuse_count,
        diffuse_max_fraction=diffuse_fraction,
    )


def size_features(
    image: npt.NDArray[np.float32], finding: Any, mm: float, outline: Any
) -> Floats:
    """The :data:`SIZE_FEATURES` of a measured focal finding on a film of ``mm``/px."""
    from engine.findings import find_lesion_blob

    contour = np.array(finding.contour, np.float64).reshape(-1, 2)
    area_px = 0.0
    if len(contour) >= 3:
        x, y = contour[:, 0], contour[:, 1]
        area_px = 0.5 * abs(float(x @ np.roll(y, -1) - y @ np.roll(x, -1)))
    blob = find_lesion_blob(
        image, finding.center, mm, None if outline is None else outline.admits
    )
    return np.array(
        [
            finding.long_axis_mm,
            finding.short_axis_mm,
            2 * math.sqrt(area_px / math.pi) * mm if area_px > 0 else math.nan,
            2 * blob.radius_px * mm if blob is not None else math.nan,
        ],
        np.float64,
    )


def _diffuse(
    analyzer: Any, image: npt.NDArray[np.float32], mm: float | None, key: str
) -> tuple[int, float]:
    """Reported diffuse opacities of the whole engine on this film."""
    from engine.model import Calibration, CalibrationSource, Radiograph
    from engine.observations import DIFFUSE_REPORT_CONFIDENCE

    calibration = (
        Calibration()
        if mm is None
        else Calibration(row_mm=mm, col_mm=mm, source=CalibrationSource.PIXEL_SPACING)
    )
    analysis = analyzer.analyze(
        Radiograph(pixels=image, calibration=calibration, key=key, view_position="PA")
    )
    diffuse = [
        f
        for f in analysis.findings
        if not f.is_focal and f.confidence >= DIFFUSE_REPORT_CONFIDENCE
    ]
    return len(diffuse), max((f.lung_fraction or 0.0 for f in diffuse), default=0.0)


# ----------------------------------------------------------------------------- fits


@dataclass(frozen=True, slots=True, kw_only=True)
class Ranker:
    """A fitted logistic regression on standardised inputs."""

    mean: Floats
    scale: Floats
    weights: Floats
    bias: float
    # Columns of the inputs it reads (a ranker fitted on some of RANKER_FEATURES);
    # None: all of them.
    columns: tuple[int, ...] | None = None

    def logit(self, inputs: Floats) -> Floats:
        chosen = inputs if self.columns is None else inputs[:, list(self.columns)]
        return np.asarray(
            ((chosen - self.mean) / self.scale) @ self.weights + self.bias, np.float64
        )


def fit_logistic(
    inputs: Floats, labels: npt.NDArray[np.bool_], l2: float = 1.0
) -> Ranker:
    """L2-regularised logistic regression by damped Newton steps (a dozen features).

    Each step is halved until the penalised log-loss falls, so nearly separable data
    (a confident CNN logit) cannot make it diverge.
    """
    mean = inputs.mean(axis=0)
    scale = inputs.std(axis=0) + 1e-6
    x = np.column_stack([(inputs - mean) / scale, np.ones(len(inputs))])
    y = labels.astype(np.float64)
    w = np.zeros(x.shape[1])
    w[-1] = math.log((y.mean() + 1e-6) / (1 - y.mean() + 1e-6))
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 1e-4

    def loss(v: Floats) -> float:
        z = x @ v
        return float(
            np.logaddexp(0, z).sum() - (y * z).sum() + 0.5 * (penalty * v * v).sum()
        )

    current = loss(w)
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        t = 1.0
        while t > 1e-4 and loss(w - t * step) > current:
            t /= 2
        w = w - t * step
        new = loss(w)
        if current - new < 1e-8:
            break
        current = new
    return Ranker(mean=mean, scale=scale, weights=w[:-1], bias=float(w[-1]))


def fit_listwise_logistic(
    inputs: Floats,
    labels: npt.NDArray[np.bool_],
    films: npt.NDArray[np.int64],
    l2: float = 1.0,
) -> Ranker:
    """Logistic regression whose loss also asks each nodule film's hit to come first.

    The loss is the pointwise log-loss of :func:`fit_logistic` plus, for every film
    with a hit, minus the log of the softmax share of its hit candidates among all its
    candidates (the conditional logit of a choice within the film), the two means
    weighed equally. The top-1 hit rate is a within-film ranking, which the pointwise
    loss only reaches through the base rate of all candidates. ``films`` numbers each
    row's film; rows of one film are contiguous.
    """
    from scipy.optimize import minimize

    mean = inputs.mean(axis=0)
    scale = inputs.std(axis=0) + 1e-6
    x = (inputs - mean) / scale
    y = labels.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, films[1:] != films[:-1]])
    bounds = list(zip(starts, np.r_[starts[1:], len(films)], strict=True))
    chosen = [(a, b) for a, b in bounds if y[a:b].any()]
    weight = len(x) / max(len(chosen), 1)

    def loss(v: Floats) -> tuple[float, Floats]:
        z = x @ v[:-1] + v[-1]
        total = float((np.logaddexp(0, z) - y * z).sum())
        dz = 1 / (1 + np.exp(-np.clip(z, -30, 30))) - y
        for a, b in chosen:
            zf, hit = z[a:b], y[a:b] > 0
            top = zf.max()
            every = np.exp(zf - top)
            hits = every * hit
            total += weight * float(np.log(every.sum()) - np.log(hits.sum()))
            dz[a:b] += weight * (every / every.sum() - hits / hits.sum())
        w = v[:-1]
        total += 0.5 * l2 * float(w @ w)
        grad = np.r_[x.T @ dz + l2 * w, dz.sum()]
        return total, grad

    start = np.zeros(x.shape[1] + 1)
    start[-1] = math.log((y.mean() + 1e-6) / (1 - y.mean() + 1e-6))
    fitted = minimize(loss, start, jac=True, method="L-BFGS-B")
    return Ranker(
        mean=mean, scale=scale, weights=fitted.x[:-1], bias=float(fitted.x[-1])
    )


def fit_isotonic(
    scores: Floats, labels: npt.NDArray[np.bool_], min_count: int = 30
) -> tuple[Floats, Floats]:
    """Increasing step map from score to hit rate (pool adjacent violators).

    Blocks hold at least ``min_count`` candidates so the top of the map, where few
    candidates are, is not one lucky hit. Returns knots (block mean score, block hit
    rate) for linear interpolation.
    """
    order = np.argsort(scores, kind="stable")
    s, y = scores[order], labels[order].astype(np.float64)
    blocks: list[list[float]] = []  # [sum_score, sum_label, count]
    for i in range(0, len(s), min_count):
        blocks.append(
            [
                float(s[i : i + min_count].sum()),
                float(y[i : i + min_count].sum()),
                float(len(s[i : i + min_count])),
            ]
        )
    merged: list[list[float]] = []
    for block in blocks:
        merged.append(block)
        while len(merged) > 1 and (
            merged[-2][1] / merged[-2][2] >= merged[-1][1] / merged[-1][2]
        ):
            last = merged.pop()
            for j in range(3):
                merged[-1][j] += last[j]
    x = np.array([b[0] / b[2] for b in merged])
    rate = np.array([b[1] / b[2] for b in merged])
    return x, rate


def fit_ranker(
    records: list[FilmRecord],
    *,
    folds: int = 4,
    seed: int = 7,
    features: Sequence[str] | None = None,
    listwise: bool = False,
) -> tuple[Ranker, Floats, Floats]:
    """Ranker on all ``records`` plus an isotonic calibration of its out-of-fold logit.

    The calibration is fitted on logits from inner folds (models that did not see the
    film), since in-sample logits are a little overconfident. ``features`` picks some
    of :data:`RANKER_FEATURES` (default: all); ``listwise`` fits
    :func:`fit_listwise_logistic` instead of :func:`fit_logistic`.
    """
    columns = tuple(RANKER_FEATURES.index(n) for n in features or RANKER_FEATURES)

    def fit(chosen: list[FilmRecord]) -> Ranker:
        inputs, labels, sites = _stack(chosen)
        x, y = inputs[sites][:, list(columns)], labels[sites]
        if listwise:
            films = np.repeat(np.arange(len(chosen)), [len(r.hit) for r in chosen])
            model = fit_listwise_logistic(x, y, films[sites])
        else:
            model = fit_logistic(x, y)
        return replace(model, columns=columns)

    ranker = fit(records)
    rng = np.random.default_rng(seed)
    inner = rng.permutation(len(records)) % folds
    oof: list[Floats] = []
    oof_labels: list[npt.NDArray[np.bool_]] = []
    for f in range(folds):
        train = [r for r, g in zip(records, inner, strict=True) if g != f]
        held = [r for r, g in zip(records, inner, strict=True) if g == f]
        model = fit(train)
        hx, hy, hkeep = _stack(held)
        oof.append(model.logit(hx[hkeep]))
        oof_labels.append(hy[hkeep])
    iso_x, iso_y = fit_isotonic(np.concatenate(oof), np.concatenate(oof_labels))
    return ranker, iso_x, iso_y


def _stack(
    records: list[FilmRecord],
) -> tuple[Floats, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Inputs, hit labels and the lung-site mask of all candidates of ``records``."""
    inputs = np.concatenate([r.inputs for r in records])
    labels = np.concatenate([r.hit for r in records])
    sites = np.concatenate(
        [np.array([s != "outside" for s in r.site], bool) for r in records]
    )
    return inputs, labels, sites


def earlier_sites(record: FilmRecord) -> FilmRecord:
    """The record with the sites of the rule before the thorax sites.

    Candidates at :func:`engine.nodules.new_lung_sites` become ``outside``; the rest
    keep their site (the lung field, its hull, the shallow recess: what the ranker was
    fitted on before the lung behind the heart and below the domes counted).
    """
    new = new_lung_sites(record.site, record.inputs)
    return replace(
        record,
        site=tuple(
            "outside" if n else s for s, n in zip(record.site, new, strict=True)
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSplitRanker:
    """A ranker fitted on the earlier sites, with a Platt map for the new ones."""

    ranker: Ranker
    iso_x: Floats
    iso_y: Floats
    new_sites: tuple[float, float] | None  # Platt (slope, intercept) on the logit

    def scores(self, record: FilmRecord) -> Floats:
        """Calibrated score of each candidate of ``record``."""
        logit = self.ranker.logit(record.inputs)
        probability = np.interp(logit, self.iso_x, self.iso_y)
        if self.new_sites is None:
            return np.asarray(probability, np.float64)
        slope, intercept = self.new_sites
        platt = 1 / (1 + np.exp(-(slope * logit + intercept)))
        new = new_lung_sites(record.site, record.inputs)
        return np.asarray(np.where(new, platt, probability), np.float64)


def fit_site_split(
    records: list[FilmRecord],
    features: Sequence[str] | None = None,
    listwise: bool = False,
) -> SiteSplitRanker:
    """Fit the ranker on the earlier sites and calibrate the new sites apart.

    The ranker and its isotonic map see only candidates at the earlier lung sites, so
    the lung fields' ranking is the one it had before; candidates at the new sites
    (retrocardiac, below the dome) get a Platt map of the same logit fitted on their
    own hits, since their base rate differs. Records need thorax-site labels.
    """
    ranker, iso_x, iso_y = fit_ranker(
        [earlier_sites(r) for r in records], features=features, listwise=listwise
    )
    logits = [ranker.logit(r.inputs) for r in records]
    new = [new_lung_sites(r.site, r.inputs) for r in records]
    x = np.concatenate([lg[n] for lg, n in zip(logits, new, strict=True)])
    y = np.concatenate([r.hit[n] for r, n in zip(records, new, strict=True)])
    if y.sum() < 2 or (~y).sum() < 2:
        return SiteSplitRanker(ranker=ranker, iso_x=iso_x, iso_y=iso_y, new_sites=None)
    platt = fit_logistic(x[:, None], y)
    slope = float(platt.weights[0] / platt.scale[0])
    intercept = float(platt.bias - platt.mean[0] * slope)
    return SiteSplitRanker(
        ranker=ranker, iso_x=iso_x, iso_y=iso_y, new_sites=(slope, intercept)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SizeModel:
    """Corrected diameter ``slope * measured + intercept`` and its ratio interval."""

    slope: float
    intercept: float
    ratio_low: float  # true / corrected, lower quantile
    ratio_high: float
    coverage: float  # the central share of training ratios the interval holds

    def correct(self, measured_mm: float) -> float:
        return self.slope * measured_mm + self.intercept

    def interval(self, measured_mm: float) -> tuple[float, float]:
        value = self.correct(measured_mm)
        return value * self.ratio_low, value * self.ratio_high


SIZE_FIT_RANGE_MM = (5.0, 40.0)
SIZE_INTERVAL_COVERAGE = 0.8


def fit_size(measured: Floats, truth: Floats) -> SizeModel:
    """One scale factor from measured to true diameter, and the ratio quantiles.

    The factor is the median of true / measured. A least-squares line of truth on the
    measurement would shrink every size towards the mean (its slope is attenuated by
    the measurement noise): a 40 mm mass would be reported smaller than measured and a
    6 mm nodule larger, which no reader would accept. A scale keeps the order of sizes
    and removes the bias.
    """
    keep = (
        np.isfinite(measured)
        & np.isfinite(truth)
        & (measured > 0)
        & (truth >= SIZE_FIT_RANGE_MM[0])
        & (truth <= SIZE_FIT_RANGE_MM[1])
    )
    m, t = measured[keep], truth[keep]
    scale = float(np.median(t / m)) if len(m) >= 3 else 1.0
    ratio = t / np.maximum(scale * m, 1.0)
    tail = (1 - SIZE_INTERVAL_COVERAGE) / 2
    low, high = np.quantile(ratio, [tail, 1 - tail]) if len(ratio) >= 5 else (0.8, 1.2)
    return SizeModel(
        slope=scale,
        intercept=0.0,
        ratio_low=float(low),
        ratio_high=float(high),
        coverage=SIZE_INTERVAL_COVERAGE,
    )


# The log-space size model uses what every focal finding carries (no second blob search).
LOG_SIZE_FEATURES = ("long_mm", "short_mm", "area_diameter_mm")


@dataclass(frozen=True, slots=True, kw_only=True)
class LogSizeModel:
    """Diameter from the contour's axes and area, fitted in log space.

    ``log d = centre + spread * (w . log f - mean_z) / sd_z``: a least-squares
    combination of the log features (``w``), then rescaled so the predicted log sizes
    spread as much as the true ones (``spread``, ``sd_z``). A plain regression shrinks
    every size towards the mean in proportion to the measurement noise (a 40 mm mass
    reported as 25 mm); matching the spread keeps large masses large and small nodules
    small while the combination of features lowers the scatter.
    """

    weights: Floats
    mean_z: float
    sd_z: float
    centre: float
    spread: float
    ratio_low: float
    ratio_high: float

    def predict(self, features: Floats) -> Floats:
        z = np.log(np.maximum(features, 0.1)) @ self.weights
        return np.asarray(
            np.exp(self.centre + self.spread * (z - self.mean_z) / self.sd_z),
            np.float64,
        )

    def interval(self, predicted: float) -> tuple[float, float]:
        return predicted * self.ratio_low, predicted * self.ratio_high


def fit_log_size(features: Floats, truth: Floats) -> LogSizeModel | None:
    """Fit :class:`LogSizeModel` on (n, len(LOG_SIZE_FEATURES)) features; None if few."""
    keep = (
        np.isfinite(features).all(axis=1)
        & (features > 0).all(axis=1)
        & np.isfinite(truth)
        & (truth >= SIZE_FIT_RANGE_MM[0])
        & (truth <= SIZE_FIT_RANGE_MM[1])
    )
    if keep.sum() < 10:
        return None
    x, t = np.log(features[keep]), np.log(truth[keep])
    design = np.column_stack([x, np.ones(len(x))])
    coef = np.linalg.lstsq(design, t, rcond=None)[0]
    z = x @ coef[:-1]
    sd_z = float(z.std())
    if sd_z <= 1e-6 or coef[:-1].sum() <= 0:
        return None
    model = LogSizeModel(
        weights=coef[:-1],
        mean_z=float(z.mean()),
        sd_z=sd_z,
        centre=float(t.mean()),
        spread=float(t.std()),
        ratio_low=1.0,
        ratio_high=1.0,
    )
    ratio = truth[keep] / model.predict(features[keep])
    tail = (1 - SIZE_INTERVAL_COVERAGE) / 2
    low, high = np.quantile(ratio, [tail, 1 - tail])
    return LogSizeModel(
        weights=model.weights,
        mean_z=model.mean_z,
        sd_z=model.sd_z,
        centre=model.centre,
        spread=model.spread,
        ratio_low=float(low),
        ratio_high=float(high),
    )


def best_index(record: FilmRecord, scores: Floats) -> int | None:
    """The highest-scoring lung candidate that hits and was measured, if any."""
    usable = record.hit & np.isfinite(record.measured_mm)
    usable &= np.array([s != "outside" for s in record.site], bool)
    if not usable.any():
        return None
    return int(np.argmax(np.where(usable, scores, -np.inf)))


def best_sizes(record: FilmRecord, scores: Floats) -> Floats:
    """:data:`SIZE_FEATURES` at the best-scoring measured hit; NaN when there is none."""
    k = best_index(record, scores)
    if k is None or record.size_features.shape[1:] != (len(SIZE_FEATURES),):
        return np.full(len(SIZE_FEATURES), math.nan)
    return np.asarray(record.size_features[k], np.float64)


def best_measurement(record: FilmRecord, scores: Floats) -> float:
    """The measured diameter at the highest-scoring lung candidate that hits."""
    usable = record.hit & np.isfinite(record.measured_mm)
    usable &= np.array([s != "outside" for s in record.site], bool)
    if not usable.any():
        return math.nan
    k = int(np.argmax(np.where(usable, scores, -np.inf)))
    return float(record.measured_mm[k])


def best_mean_axes(record: FilmRecord, scores: Floats) -> float:
    """The mean of the long and short axes at the best-scoring measured hit, or NaN.

    What :class:`engine.findings.SizeMeasure` ``MEAN_AXES`` scales.
    """
    sizes = best_sizes(record, scores)
    long_mm = sizes[SIZE_FEATURES.index("long_mm")]
    short_mm = sizes[SIZE_FEATURES.index("short_mm")]
    return float((long_mm + short_mm) / 2)


def size_measurements(
    records: list[FilmRecord], scores: list[Floats], measure: str
) -> Floats:
    """Each film's measurement at its best-scoring measured hit, for :func:`fit_size`."""
    pick = best_mean_axes if measure == "mean_axes" else best_measurement
    return np.array([pick(r, s) for r, s in zip(records, scores, strict=True)])


# ------------------------------------------------------------------------ the cache


def save_records(records: list[FilmRecord], path: Path) -> None:
    """Keep the films' records in one ``.npz`` (git-ignored training output)."""
    counts = np.array([len(r.hit) for r in records])
    np.savez_compressed(
        path,
        case_id=np.array([r.case_id for r in records]),
        truth_mm=np.array([r.truth_mm for r in records]),
        subtlety=np.array([r.subtlety for r in records]),
        counts=counts,
        inputs=np.concatenate([r.inputs for r in records]),
        shipped=np.concatenate([r.shipped for r in records]),
        site=np.array([s for r in records for s in r.site]),
        hit=np.concatenate([r.hit for r in records]),
        xy_mm=np.concatenate([r.xy_mm for r in records]),
        measured_mm=np.concatenate([r.measured_mm for r in records]),
        size_features=np.concatenate([_sizes_of(r) for r in records]),
        diffuse_reported=np.array([r.diffuse_reported for r in records]),
        diffuse_max_fraction=np.array([r.diffuse_max_fraction for r in records]),
    )


def _sizes_of(record: FilmRecord) -> Floats:
    """The record's size features, NaN where an older record has none."""
    if record.size_features.shape == (len(record.hit), len(SIZE_FEATURES)):
        return record.size_features
    return np.full((len(record.hit), len(SIZE_FEATURES)), math.nan)


def load_records(path: Path) -> list[FilmRecord]:
    """Read what :func:`save_records` wrote."""
    data = np.load(path)
    ends = np.cumsum(data["counts"])
    starts = ends - data["counts"]
    return [
        FilmRecord(
            case_id=str(data["case_id"][i]),
            truth_mm=float(data["truth_mm"][i]),
            subtlety=int(data["subtlety"][i]),
            inputs=data["inputs"][a:b],
            shipped=data["shipped"][a:b],
            site=tuple(str(s) for s in data["site"][a:b]),
            hit=data["hit"][a:b],
            xy_mm=data["xy_mm"][a:b],
            measured_mm=data["measured_mm"][a:b],
            size_features=data["size_features"][a:b]
            if "size_features" in data
            else np.zeros((b - a, 0)),
            diffuse_reported=int(data["diffuse_reported"][i])
            if "diffuse_reported" in data
            else 0,
            diffuse_max_fraction=float(data["diffuse_max_fraction"][i])
            if "diffuse_max_fraction" in data
            else 0.0,
        )
        for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True))
    ]


def ranker_card(
    ranker: Ranker,
    iso: tuple[Floats, Floats],
    *,
    report_score: float,
    describe_score: float,
    size: SizeModel,
    provenance: dict[str, Any],
    log_size: LogSizeModel | None = None,
    measure: str = "long_axis",
    new_sites: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The JSON that :class:`engine.nodules.RankerSpec` reads.

    With ``log_size`` the size block carries the log-space fit, and its interval
    replaces the scale's. ``measure`` is what the scale applies to
    (:class:`engine.findings.SizeMeasure`).
    """
    size_block: dict[str, Any] = {
        "diameter": "mean of the measured contour's long and short axes, scaled to "
        "the JSRT maximum diameter, mm"
        if measure == "mean_axes"
        else "long axis of the measured contour, mm (JSRT gives the maximum diameter)",
        "measure": measure,
        "slope": round(size.slope, 6),
        "intercept": round(size.intercept, 6),
        "ratio_low": round(size.ratio_low, 6),
        "ratio_high": round(size.ratio_high, 6),
        "coverage": size.coverage,
    }
    if log_size is not None:
        size_block |= {
            "diameter": "log-space fit of the contour's long axis, short axis and "
            "area-equivalent diameter, spread matched to the JSRT diameters",
            "ratio_low": round(log_size.ratio_low, 6),
            "ratio_high": round(log_size.ratio_high, 6),
            "log_fit": {
                "features": list(LOG_SIZE_FEATURES),
                "weights": [round(float(w), 6) for w in log_size.weights],
                "mean_z": round(log_size.mean_z, 6),
                "sd_z": round(log_size.sd_z, 6),
                "centre": round(log_size.centre, 6),
                "spread": round(log_size.spread, 6),
            },
        }
    body = {
        "name": RANKER_NAME,
        "task": "rank and calibrate the nodule candidates of engine/nodules.py",
        "features": [RANKER_FEATURES[i] for i in ranker.columns]
        if ranker.columns is not None
        else list(RANKER_FEATURES),
        "model": {
            "kind": "logistic regression on standardised features",
            "mean": [round(float(v), 6) for v in ranker.mean],
            "scale": [round(float(v), 6) for v in ranker.scale],
            "weights": [round(float(v), 6) for v in ranker.weights],
            "bias": round(ranker.bias, 6),
        },
        "calibration": {
            "kind": "isotonic (pool adjacent violators) on inner out-of-fold logits",
            "x": [round(float(v), 6) for v in iso[0]],
            "y": [round(float(v), 6) for v in iso[1]],
        },
        "operating_points": {
            "report_score": round(report_score, 6),
            "describe_score": round(describe_score, 6),
        },
        "size": size_block,
        "training": provenance,
    }
    if new_sites is not None:
        body["new_sites"] = {
            "kind": "Platt map of the ranker logit for candidates the thorax rule "
            "alone admits (retrocardiac, below the dome), fitted on their own hits",
            "slope": round(new_sites[0], 6),
            "intercept": round(new_sites[1], 6),
        }
    # The size block and the new sites' map are part of what the card answers, so a
    # new fit of either is a new version even when the ranker's weights are the same.
    digest = hashlib.sha256(
        json.dumps(
            [body["model"], body["size"], body.get("new_sites")], sort_keys=True
        ).encode()
    ).hexdigest()[:12]
    return {"version": f"1.0+{digest}", **body}


# --------------------------------------------------------------------- operating point

# Reported findings per normal film that the report threshold allows on training films.
REPORT_FP_PER_NORMAL = 0.25
# Described (contoured, listed among candidates) findings per film.
DESCRIBE_FP_PER_FILM = 2.0
MAX_REPORTED = 5


def reported(record: FilmRecord, scores: Floats, threshold: float) -> list[int]:
    """Indices of the findings the engine would report at ``threshold``.

    Lung-site candidates at or above the threshold, best first, at most
    ``MAX_REPORTED``, skipping one within 10 mm of a finding already taken (the same
    lesion proposed twice).
    """
    taken: list[int] = []
    for k in np.argsort(-scores, kind="stable").tolist():
        if scores[k] < threshold or len(taken) >= MAX_REPORTED:
            break
        if record.site[k] == "outside":
            continue
        if any(math.dist(record.xy_mm[k], record.xy_mm[j]) < 10.0 for j in taken):
            continue
        taken.append(k)
    return taken


def choose_threshold(
    records: list[FilmRecord], scores: list[Floats], per_normal: float
) -> float:
    """Lowest threshold whose reported false findings per normal film stay within."""
    normals = [(r, s) for r, s in zip(records, scores, strict=True) if not r.has_nodule]
    if not normals:
        return 0.5
    for t in np.linspace(0.02, 0.95, 94):
        false = sum(int((~r.hit[reported(r, s, float(t))]).sum()) for r, s in normals)
        if false / len(normals) <= per_normal:
            return float(t)
    return 0.95


def main(argv: list[str] | None = None) -> int:
    """Fit the shipped ranker on every film of a records cache (``bench/cv_nodules.py``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        type=Path,
        required=True,
        help="bench/cv_nodules.py record folder (one .npz per film)",
    )
    parser.add_argument("--out", type=Path, required=True, help="nodule_ranker.json")
    parser.add_argument(
        "--separate-new-sites",
        action="store_true",
        help="fit the ranker on the earlier lung sites and calibrate retrocardiac and "
        "below-dome candidates apart (records built with --thorax-sites)",
    )
    parser.add_argument(
        "--size-measure",
        choices=("long_axis", "mean_axes"),
        default="long_axis",
        help="what the size scale applies to: the contour's long axis, or the mean "
        "of its long and short axes",
    )
    parser.add_argument(
        "--log-size",
        action="store_true",
        help="size by the log-space fit (records need size features)",
    )
    parser.add_argument(
        "--features",
        nargs="+",
        choices=RANKER_FEATURES,
        default=None,
        metavar="NAME",
        help="the ranker's inputs (default: all of engine.nodules.RANKER_FEATURES)",
    )
    args = parser.parse_args(argv)
    started = time.process_time()
    files = (
        sorted(args.records.glob("*.npz")) if args.records.is_dir() else [args.records]
    )
    records = [r for path in files for r in load_records(path)]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    if args.separate_new_sites:
        split = fit_site_split(records, args.features)
    else:
        fitted, knots_x, knots_y = fit_ranker(records, features=args.features)
        split = SiteSplitRanker(
            ranker=fitted, iso_x=knots_x, iso_y=knots_y, new_sites=None
        )
    ranker, iso_x, iso_y = split.ranker, split.iso_x, split.iso_y
    probabilities = [split.scores(r) for r in records]
    report = choose_threshold(records, probabilities, REPORT_FP_PER_NORMAL)
    describe = min(report, 0.05)
    size = fit_size(
        size_measurements(records, probabilities, args.size_measure),
        np.array([r.truth_mm for r in records]),
    )
    log_size = None
    if args.log_size:
        features = np.array(
            [best_sizes(r, p) for r, p in zip(records, probabilities, strict=True)]
        ).reshape(len(records), len(SIZE_FEATURES))
        columns = [SIZE_FEATURES.index(name) for name in LOG_SIZE_FEATURES]
        log_size = fit_log_size(
            features[:, columns], np.array([r.truth_mm for r in records])
        )
        if log_size is None:
            raise SystemExit(
                "error: too few measured nodules with size features for --log-size; "
                "rebuild the records with bench/cv_nodules.py --rebuild"
            )
    card = ranker_card(
        ranker,
        (iso_x, iso_y),
        report_score=report,
        describe_score=describe,
        size=size,
        log_size=log_size,
        measure=args.size_measure,
        new_sites=split.new_sites,
        provenance={
            "films": len(records),
            "nodules": sum(r.has_nodule for r in records),
            "records": str(args.records),
            "records_sha256": digest.hexdigest(),
            "command": command_line(
                "engine.training.nodule_ranker", argv or sys.argv[1:]
            ),
            "cpu_seconds": round(time.process_time() - started, 1),
            "data_terms": "JSRT: research and education use only; not redistributable",
            "cnn": load_nodule_classifier_spec().version,
        },
    )
    args.out.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card["operating_points"] | {"size": card["size"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
