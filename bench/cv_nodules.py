"""Patient-disjoint k-fold cross-validation of the focal findings on the 215 JSRT films.

Usage::

    python bench/cv_nodules.py --folds 5 --cnn-run training-runs/nodules/cv215
    python bench/cv_nodules.py --folds 5 --baseline        # the engine before issue 11
    python bench/cv_nodules.py --folds 5 --cnn-run RUN_A --ensemble-with RUN_B [RUN_C]

Films: the JSRT rows of ``../shared/data/cxr-train`` and ``../shared/data/cxr`` (215
films, 132 nodules). Each JSRT film is a different patient, so folds by case id are
patient-disjoint; they are stratified by nodule / no nodule and are the folds that
``engine.training.train_nodules --extra-data`` trained its per-fold CNNs on
(``engine.training.nodule_data.case_folds``).

For each fold, everything trainable is fitted on the other folds only: the ranker, its
isotonic calibration, the report threshold (at most 0.25 false findings per normal
training film) and the size correction with its interval. With ``--cnn-run`` each
film's CNN logits come from the CNN of its own fold, which never saw it. Without it the
shipped CNN scores every film; it was trained on the 170 ``cxr-train`` films, so figures
on those are optimistic, and the run prints the 45 ``cxr`` films separately.

``--baseline`` measures the engine as it was: the shipped CNN's Platt score, its 1
false-positive/image report threshold (0.088), no site gate and no size correction.

Printed (one JSON object with ``--json``): FROC sensitivity at 0.25-4 false positives
per image, top-1 hit rate, reported-finding sensitivity, false findings per normal and
per nodule film and outside the lung fields, size MAE and bias on 10-30 mm nodules,
interval coverage, ECE with a reliability table over the described candidates (the
top 5 lung candidates per film).

The engine path runs once per film and is cached, one file per film, in ``--cache``
(a git-ignored folder under ``training-runs/``).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.evaluation import (  # noqa: E402
    expected_calibration_error,
    reliability_table,
)
from engine.findings import SizeCorrection, SizeMeasure  # noqa: E402
from engine.nodules import (  # noqa: E402
    RANKER_FEATURES,
    CandidateParams,
    load_nodule_classifier_spec,
)
from engine.training.lesion_size import (  # noqa: E402
    LearnedSize,
    build_descriptors,
    fit_learned_size,
    load_descriptors,
    training_rows,
)
from engine.training.nodule_data import (  # noqa: E402
    ScoredImage,
    case_folds,
    froc,
    load_jsrt_cases,
)
from engine.training.nodule_ranker import (  # noqa: E402
    LOG_SIZE_FEATURES,
    MAX_REPORTED,
    REPORT_FP_PER_NORMAL,
    SIZE_FEATURES,
    FilmRecord,
    LogSizeModel,
    SiteSplitRanker,
    SizeModel,
    best_measurement,
    best_sizes,
    choose_threshold,
    film_record,
    fit_log_size,
    fit_ranker,
    fit_site_split,
    fit_size,
    load_records,
    reported,
    save_records,
    size_measurements,
    torch_cnn,
)

SHARED = REPO.parent / "shared" / "data"
DEFAULT_DATA = [SHARED / "cxr-train", SHARED / "cxr"]
BASELINE_REPORT_SCORE = 0.088  # the shipped card's 1 FP/image point before issue 11
SIZE_RANGE_MM = (10.0, 30.0)


def build_records(
    data: list[Path],
    folds: dict[str, int],
    cnn_run: Path | None,
    views: int,
    cache: Path,
    ensemble_with: Sequence[Path] = (),
    params: CandidateParams | None = None,
) -> list[FilmRecord]:
    """The engine path on every film, each scored by its own fold's CNN when given.

    One ``.npz`` per film in the ``cache`` folder; films already there are read back,
    and films whose fold CNN is not trained yet are skipped (run again later).
    """
    cases = load_jsrt_cases(data)
    cache.mkdir(parents=True, exist_ok=True)
    scorers = {}
    records = []
    for i, case in enumerate(cases, start=1):
        path = cache / f"{case.case_id}.npz"
        if path.is_file():
            records.extend(load_records(path))
            continue
        cnn = None
        if cnn_run is not None:
            f = folds[case.case_id]
            if not (cnn_run / f"fold{f}.pt").is_file():
                continue
            if f not in scorers:
                scorers[f] = _fold_scorer(cnn_run, ensemble_with, f, views)
            cnn = scorers[f]
        record = film_record(case, cnn=cnn, params=params)
        save_records([record], path)
        records.append(record)
        if i % 20 == 0:
            print(f"  {i}/{len(cases)} films", file=sys.stderr, flush=True)
    return records


def _fold_scorer(
    run: Path, others: Sequence[Path], fold: int, views: int
) -> Callable[..., np.ndarray]:
    """Fold ``fold``'s CNN of ``run``, or the mean logit of it and each of ``others``'."""
    members = [torch_cnn(r, fold, views) for r in (run, *others)]
    if len(members) == 1:
        return members[0]

    def score(*args: Any) -> np.ndarray:
        # Clipped as engine.nodules.classify clips the graph's output.
        probabilities = [np.clip(m(*args), 1e-6, 1 - 1e-6) for m in members]
        logits = [np.log(p / (1 - p)) for p in probabilities]
        return 1 / (1 + np.exp(-np.mean(logits, axis=0)))

    return score


def described(record: FilmRecord, scores: np.ndarray) -> list[int]:
    """The candidates the engine describes: the top lung candidates, deduplicated."""
    return reported(record, scores, threshold=-1.0)[:MAX_REPORTED]


@dataclass(frozen=True, slots=True)
class FoldFit:
    """What one fold fitted on its training films."""

    threshold: float
    size: SizeModel
    mean_size: SizeModel  # the scale of the mean of long and short axes
    log_size: LogSizeModel | None  # the log-space size model (None: too few films)
    area_scale: float  # median true / area-equivalent diameter
    # ``--learned-size``: the ridge on multi-scale descriptors and the rows it scores
    # (``engine.training.lesion_size``), and the training films' median diameter, the
    # constant a size model that knew nothing would give (a reference, not a candidate).
    learned: LearnedSize | None = None
    descriptors: dict[str, np.ndarray] | None = None
    prior_mm: float = math.nan


def evaluate_fold(
    train: list[FilmRecord],
    held: list[FilmRecord],
    baseline: bool,
    separate_new_sites: bool = False,
    descriptors: dict[str, np.ndarray] | None = None,
    features: Sequence[str] | None = None,
    listwise: bool = False,
) -> tuple[list[np.ndarray], FoldFit]:
    """Scores of the held-out films and what the fold fitted on its training films.

    With ``separate_new_sites`` the ranker is fitted on the earlier lung sites and the
    retrocardiac and below-dome candidates get their own Platt map
    (``nodule_ranker.fit_site_split``). ``features`` are the ranker's inputs (default:
    every one of ``RANKER_FEATURES``).
    """
    if baseline:
        return [r.shipped for r in held], FoldFit(
            threshold=BASELINE_REPORT_SCORE,
            size=SizeModel(
                slope=1.0, intercept=0.0, ratio_low=1.0, ratio_high=1.0, coverage=0.0
            ),
            mean_size=SizeModel(
                slope=1.0, intercept=0.0, ratio_low=1.0, ratio_high=1.0, coverage=0.0
            ),
            log_size=None,
            area_scale=math.nan,
        )
    if separate_new_sites:
        split = fit_site_split(train, features, listwise)
    else:
        ranker, iso_x, iso_y = fit_ranker(train, features=features, listwise=listwise)
        split = SiteSplitRanker(ranker=ranker, iso_x=iso_x, iso_y=iso_y, new_sites=None)
    train_scores = [split.scores(r) for r in train]
    threshold = choose_threshold(train, train_scores, REPORT_FP_PER_NORMAL)
    truth = np.array([r.truth_mm for r in train])
    size = fit_size(
        np.array(
            [best_measurement(r, s) for r, s in zip(train, train_scores, strict=True)]
        ),
        truth,
    )
    mean_size = fit_size(size_measurements(train, train_scores, "mean_axes"), truth)
    features = np.array(
        [best_sizes(r, s) for r, s in zip(train, train_scores, strict=True)]
    ).reshape(len(train), len(SIZE_FEATURES))
    area = features[:, SIZE_FEATURES.index("area_diameter_mm")]
    usable = np.isfinite(area) & (truth >= 5) & (truth <= 40) & (area > 0)
    held_scores = [split.scores(r) for r in held]
    return held_scores, FoldFit(
        threshold=threshold,
        size=size,
        mean_size=mean_size,
        log_size=fit_log_size(features[:, _LOG_COLUMNS], truth),
        area_scale=float(np.median(truth[usable] / area[usable]))
        if usable.sum() >= 3
        else math.nan,
        learned=None
        if descriptors is None
        else fit_learned_size(*training_rows(train, descriptors)),
        descriptors=descriptors,
        prior_mm=float(np.median(truth[np.isfinite(truth)])),
    )


_LOG_COLUMNS = [SIZE_FEATURES.index(name) for name in LOG_SIZE_FEATURES]


def _size_row(record: FilmRecord, k: int, fit: FoldFit) -> tuple[float, ...]:
    """(truth, measured, corrected, low, high, log model, its low, high, area scale,
    mean-axes scale as the engine reports it, its low, high, learned size, its low,
    high, the training films' median)."""
    measured = float(record.measured_mm[k])
    low, high = fit.size.interval(measured)
    log_value = log_low = log_high = area_value = math.nan
    mean_value = mean_low = mean_high = math.nan
    if record.size_features.shape[1] == len(SIZE_FEATURES):
        features = record.size_features[k]
        mean_value, mean_low, mean_high = _mean_axes_size(features, fit.mean_size)
        area_value = fit.area_scale * features[SIZE_FEATURES.index("area_diameter_mm")]
        chosen = features[_LOG_COLUMNS]
        if fit.log_size is not None and np.isfinite(chosen).all():
            log_value = float(fit.log_size.predict(chosen[None])[0])
            log_low, log_high = fit.log_size.interval(log_value)
    return (
        record.truth_mm,
        measured,
        fit.size.correct(measured),
        low,
        high,
        log_value,
        log_low,
        log_high,
        float(area_value),
        mean_value,
        mean_low,
        mean_high,
        *_learned_size(record, k, fit, fit.size.correct(measured), (low, high)),
        fit.prior_mm,
    )


def _learned_size(
    record: FilmRecord,
    k: int,
    fit: FoldFit,
    fallback: float,
    fallback_interval: tuple[float, float],
) -> tuple[float, float, float]:
    """The learned size and its interval; the long-axis scale's where a descriptor is
    missing (the engine would fall back the same way), NaN without ``--learned-size``."""
    if fit.learned is None or fit.descriptors is None:
        return math.nan, math.nan, math.nan
    row = fit.descriptors[record.case_id][k]
    if not np.isfinite(row).all():
        return fallback, *fallback_interval
    value = float(fit.learned.predict(row[None])[0])
    return value, *fit.learned.interval(value)


def _mean_axes_size(
    features: np.ndarray, model: SizeModel
) -> tuple[float, float, float]:
    """The long axis the engine reports with a mean-axes card, and its interval.

    Goes through ``engine.findings.SizeCorrection`` so the CV scores exactly what
    ``correct_size`` does at run time (the factor and its bounds).
    """
    long_mm = float(features[SIZE_FEATURES.index("long_mm")])
    short_mm = float(features[SIZE_FEATURES.index("short_mm")])
    area_mm = float(features[SIZE_FEATURES.index("area_diameter_mm")])
    if not (np.isfinite(long_mm) and np.isfinite(short_mm) and long_mm > 0):
        return math.nan, math.nan, math.nan
    correction = SizeCorrection(
        slope=model.slope,
        intercept=model.intercept,
        ratio_low=model.ratio_low,
        ratio_high=model.ratio_high,
        measure=SizeMeasure.MEAN_AXES,
    )
    value = long_mm * correction.factor(long_mm, short_mm, area_mm)
    return value, value * model.ratio_low, value * model.ratio_high


def summarise(
    records: list[FilmRecord],
    scores: list[np.ndarray],
    fits: list[FoldFit],
    gate: bool,
) -> dict[str, Any]:
    """All figures over the held-out films (each with its own fold's fits)."""
    scored, reported_hits, n_nodules = [], 0, 0
    false_normal = false_nodule = outside = 0
    n_normal = n_nodule_films = 0
    calib_scores, calib_labels = [], []
    size_rows = []
    for record, s, fit in zip(records, scores, fits, strict=True):
        t = fit.threshold
        lung = np.array([x != "outside" for x in record.site], bool)
        keep = lung if gate else np.ones(len(s), bool)
        scored.append(
            ScoredImage(
                case_id=record.case_id,
                scores=s[keep],
                hits=record.hit[keep][:, None]
                if record.has_nodule
                else np.zeros((int(keep.sum()), 0), bool),
                wrong_side=np.zeros(int(keep.sum()), bool),
            )
        )
        masked = np.where(keep, s, -np.inf)
        taken = reported(record, masked, t) if gate else _ungated(record, s, t)
        false = int((~record.hit[taken]).sum())
        outside += sum(record.site[k] == "outside" for k in taken)
        if record.has_nodule:
            n_nodules += 1
            n_nodule_films += 1
            false_nodule += false
            hits = [k for k in taken if record.hit[k]]
            reported_hits += bool(hits)
            if hits and np.isfinite(record.measured_mm[hits[0]]):
                size_rows.append(_size_row(record, hits[0], fit))
        else:
            n_normal += 1
            false_normal += false
        top = described(record, masked) if gate else _ungated(record, s, -1.0)
        calib_scores.extend(s[top].tolist())
        calib_labels.extend(record.hit[top].tolist())
    result = froc(scored)
    calib = np.array(calib_scores)
    labels = np.array(calib_labels, bool)
    return {
        "films": len(records),
        "nodules": n_nodules,
        "normal_films": n_normal,
        "froc_sensitivity_at_fp": result["sensitivity_at_fp"],
        "top1_hit_rate": result["top1_hit_rate"],
        "candidate_recall": result["candidate_recall"],
        "report_threshold_median": round(
            float(np.median([f.threshold for f in fits])), 4
        ),
        "reported_sensitivity": round(reported_hits / max(n_nodules, 1), 4),
        "false_findings_per_normal_film": round(false_normal / max(n_normal, 1), 3),
        "false_findings_per_nodule_film": round(
            false_nodule / max(n_nodule_films, 1), 3
        ),
        "reported_outside_lung_fields": int(outside),
        "diffuse_reported_per_normal_film": round(
            sum(r.diffuse_reported for r in records if not r.has_nodule)
            / max(n_normal, 1),
            3,
        ),
        "diffuse_reported_per_nodule_film": round(
            sum(r.diffuse_reported for r in records if r.has_nodule)
            / max(n_nodule_films, 1),
            3,
        ),
        "diffuse_largest_lung_fraction": round(
            max((r.diffuse_max_fraction for r in records), default=0.0), 3
        ),
        "size": _size_figures(size_rows),
        "ece_described": expected_calibration_error(calib, labels),
        "reliability_described": reliability_table(calib, labels),
    }


def _ungated(record: FilmRecord, s: np.ndarray, t: float) -> list[int]:
    """The old engine's choice: the top candidates at or above t, anywhere."""
    taken: list[int] = []
    for k in np.argsort(-s, kind="stable").tolist():
        if s[k] < t or len(taken) >= MAX_REPORTED:
            break
        if any(math.dist(record.xy_mm[k], record.xy_mm[j]) < 10.0 for j in taken):
            continue
        taken.append(k)
    return taken


def _size_figures(rows: list[tuple[float, ...]]) -> dict[str, Any]:
    """Size error on 10-30 mm nodules per estimator, and how 30 mm+ ones come out."""
    table = np.array(rows, np.float64).reshape(-1, 16)
    inside = table[
        (table[:, 0] >= SIZE_RANGE_MM[0]) & (table[:, 0] <= SIZE_RANGE_MM[1])
    ]
    if not len(inside):
        return {"n": 0}
    truth = inside[:, 0]

    def error(column: int) -> dict[str, Any]:
        value = inside[:, column]
        ok = np.isfinite(value)
        if not ok.any():
            return {"n": 0}
        return {
            "n": int(ok.sum()),
            "mae_mm": round(float(np.abs(value[ok] - truth[ok]).mean()), 2),
            "bias_mm": round(float((value[ok] - truth[ok]).mean()), 2),
        }

    def covered(low: int, high: int) -> float:
        ok = np.isfinite(inside[:, low])
        hold = (truth[ok] >= inside[ok, low]) & (truth[ok] <= inside[ok, high])
        return round(float(hold.mean()), 3) if ok.any() else math.nan

    large = table[table[:, 0] >= 30]
    return {
        "range_mm": list(SIZE_RANGE_MM),
        "n": len(inside),
        "measured_mae_mm": error(1)["mae_mm"],
        "measured_bias_mm": error(1)["bias_mm"],
        "reported_mae_mm": error(2)["mae_mm"],
        "reported_bias_mm": error(2)["bias_mm"],
        "interval_coverage": covered(3, 4),
        "log_model": error(5) | {"interval_coverage": covered(6, 7)},
        "area_scale": error(8),
        "mean_axes": error(9) | {"interval_coverage": covered(10, 11)},
        "learned": error(12) | {"interval_coverage": covered(13, 14)},
        "training_median": error(15),
        "halves_bias_mm": _halves(inside),
        "at_30mm_or_more": {
            "n": len(large),
            "truth_mean_mm": round(float(large[:, 0].mean()), 1)
            if len(large)
            else None,
            "scale_mean_mm": round(float(large[:, 2].mean()), 1)
            if len(large)
            else None,
            "log_model_mean_mm": round(float(np.nanmean(large[:, 5])), 1)
            if np.isfinite(large[:, 5]).any()
            else None,
            "mean_axes_mean_mm": round(float(np.nanmean(large[:, 9])), 1)
            if np.isfinite(large[:, 9]).any()
            else None,
            "learned_mean_mm": round(float(np.nanmean(large[:, 12])), 1)
            if np.isfinite(large[:, 12]).any()
            else None,
        },
    }


def _halves(inside: np.ndarray) -> dict[str, Any]:
    """Bias of the long-axis scale and the learned size below and from 20 mm: a size
    model that pulls every size to the mean is too large below and too small above."""
    out: dict[str, Any] = {}
    for name, mask in (
        ("10-20", inside[:, 0] < 20),
        ("20-30", inside[:, 0] >= 20),
    ):
        part = inside[mask]
        out[name] = {
            "n": len(part),
            "scale": round(float((part[:, 2] - part[:, 0]).mean()), 2)
            if len(part)
            else None,
            "learned": round(float(np.nanmean(part[:, 12] - part[:, 0])), 2)
            if len(part) and np.isfinite(part[:, 12]).any()
            else None,
        }
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    cases = load_jsrt_cases(args.data)
    folds = case_folds(
        [c.case_id for c in cases],
        [bool(c.nodules) for c in cases],
        args.folds,
        args.seed,
    )
    runs = [r for r in (args.cnn_run, *args.ensemble_with) if r is not None]
    for run_folder in runs:
        recorded = json.loads((run_folder / "folds.json").read_text(encoding="utf-8"))
        if recorded != folds:
            raise SystemExit(
                f"error: {run_folder}/folds.json differs from --folds {args.folds} "
                f"--seed {args.seed}; pass the run's fold count and seed"
            )
    params = _candidate_params(args)
    name = "+".join(r.name for r in runs) or "shipped"
    if params != load_nodule_classifier_spec().candidates:
        name += f"-cap{params.max_candidates}" + ("-lung" * params.lung_sites_only)
        name += "-thorax" * params.thorax_sites
    cache = args.cache or REPO / "training-runs" / f"cv_records_{name}"
    started = time.perf_counter()
    if args.rebuild and cache.is_dir():
        for old in cache.glob("*.npz"):
            old.unlink()
    records = build_records(
        args.data, folds, args.cnn_run, args.views, cache, args.ensemble_with, params
    )
    if len(records) < len(cases):
        raise SystemExit(
            f"error: {len(cases) - len(records)} films have no record yet (their fold "
            "CNN is still training); run again when the training run has finished"
        )
    prepare_s = time.perf_counter() - started
    by_id = {r.case_id: r for r in records}
    descriptors = None
    if args.learned_size is not None:
        build_descriptors(cache, args.learned_size, args.data)
        descriptors = {
            r.case_id: load_descriptors(args.learned_size, r) for r in records
        }
    ordered: list[FilmRecord] = []
    scores: list[np.ndarray] = []
    fits: list[FoldFit] = []
    for f in range(args.folds):
        train = [r for r in records if folds[r.case_id] != f]
        held = [r for r in records if folds[r.case_id] == f]
        held_scores, fit = evaluate_fold(
            train,
            held,
            args.baseline,
            args.separate_new_sites,
            descriptors,
            features=args.ranker_features,
            listwise=args.listwise,
        )
        ordered.extend(held)
        scores.extend(held_scores)
        fits.extend([fit] * len(held))
    gate = not args.baseline
    dev = (
        {c.case_id for c in load_jsrt_cases([SHARED / "cxr"])}
        if (SHARED / "cxr").is_dir()
        else set()
    )
    subset = [i for i, r in enumerate(ordered) if r.case_id in dev]
    return {
        "command": "python bench/cv_nodules.py " + " ".join(sys.argv[1:]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{__import__('os').cpu_count()} cores",
        "cnn": "per-fold CNNs of " + " + ".join(str(r) for r in runs)
        if args.cnn_run
        else "shipped nodule_classifier.onnx (trained on cxr-train: optimistic there)",
        "mode": "baseline (engine before issue 11)"
        if args.baseline
        else "ranker, new sites calibrated apart"
        if args.separate_new_sites
        else "ranker",
        "folds": args.folds,
        "seconds": {"engine_path": round(prepare_s, 1)},
        "candidates": params.to_dict(),
        "all": summarise(ordered, scores, fits, gate),
        "cxr_films_only": summarise(
            [ordered[i] for i in subset],
            [scores[i] for i in subset],
            [fits[i] for i in subset],
            gate,
        )
        if subset
        else None,
        "films_checked": len(by_id),
        "per_fold": [
            _fold_figures(
                summarise(
                    [ordered[i] for i in rows],
                    [scores[i] for i in rows],
                    [fits[i] for i in rows],
                    gate,
                )
            )
            for rows in (
                [i for i, r in enumerate(ordered) if folds[r.case_id] == f]
                for f in range(args.folds)
            )
        ],
    }


def _fold_figures(block: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of one held-out fold."""
    size = block["size"]
    return {
        "films": block["films"],
        "nodules": block["nodules"],
        "sensitivity_at_2fp": block["froc_sensitivity_at_fp"]["2"],
        "top1_hit_rate": block["top1_hit_rate"],
        "false_findings_per_normal_film": block["false_findings_per_normal_film"],
        "size_n": size.get("n", 0),
        "size_long_axis_scale_mae_bias": [
            size.get("reported_mae_mm"),
            size.get("reported_bias_mm"),
        ],
        "size_mean_axes_mae_bias": [
            size.get("mean_axes", {}).get("mae_mm"),
            size.get("mean_axes", {}).get("bias_mm"),
        ],
        "size_learned_mae_bias": [
            size.get("learned", {}).get("mae_mm"),
            size.get("learned", {}).get("bias_mm"),
        ],
        "size_training_median_mae_bias": [
            size.get("training_median", {}).get("mae_mm"),
            size.get("training_median", {}).get("bias_mm"),
        ],
    }


def _candidate_params(args: argparse.Namespace) -> CandidateParams:
    """The shipped candidate settings with the command line's overrides."""
    params = load_nodule_classifier_spec().candidates
    if args.max_candidates is not None:
        params = replace(params, max_candidates=args.max_candidates)
    if args.lung_sites_only:
        params = replace(params, lung_sites_only=True)
    if args.thorax_sites is not None:
        params = replace(params, thorax_sites=args.thorax_sites)
    return params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--cnn-run", type=Path, default=None, help="train_nodules run with fold*.pt"
    )
    parser.add_argument(
        "--ensemble-with",
        type=Path,
        nargs="+",
        default=[],
        help="further runs: each film scored by the mean logit of all their fold CNNs",
    )
    parser.add_argument("--views", type=int, default=2, help="CNN test-time views")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument(
        "--max-candidates", type=int, default=None, help="blob candidates per film"
    )
    parser.add_argument(
        "--lung-sites-only",
        action="store_true",
        help="drop blob maxima at OUTSIDE sites before the candidate cap",
    )
    parser.add_argument(
        "--thorax-sites",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="count retrocardiac and below-dome lung as lung sites (needs heart "
        "mask); on in the shipped card since embedded-vision/10, so rebuilding the "
        "earlier runs' records takes --no-thorax-sites",
    )
    parser.add_argument(
        "--separate-new-sites",
        action="store_true",
        help="with --thorax-sites: fit the ranker on the earlier lung sites and "
        "calibrate retrocardiac and below-dome candidates apart",
    )
    parser.add_argument(
        "--ranker-features",
        nargs="+",
        choices=RANKER_FEATURES,
        default=None,
        metavar="NAME",
        help="the ranker's inputs (default: all of engine.nodules.RANKER_FEATURES), "
        "so a feature is compared with and without on the same records",
    )
    parser.add_argument(
        "--listwise",
        action="store_true",
        help="fit the ranker with the within-film softmax loss added "
        "(nodule_ranker.fit_listwise_logistic)",
    )
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--learned-size",
        type=Path,
        default=None,
        metavar="DIR",
        help="also score the learned size (engine.training.lesion_size), fitted in "
        "each fold; its descriptors are cached in DIR (built from --cache's records)",
    )
    parser.add_argument("--rebuild", action="store_true", help="ignore the cache")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.separate_new_sites and args.thorax_sites is False:
        print(
            "error: --separate-new-sites needs the thorax sites (the new sites exist "
            "only under that rule)",
            file=sys.stderr,
        )
        return 2
    missing = [d for d in args.data if not (d / "manifest.csv").is_file()]
    if missing:
        print(f"error: no manifest.csv in {missing[0]}", file=sys.stderr)
        return 2
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    for name in ("all", "cxr_films_only"):
        block = result[name]
        if block is None:
            continue
        print(f"== {name} ({block['films']} films, {block['nodules']} nodules)")
        for key, value in block.items():
            if key != "reliability_described":
                print(f"  {key}: {value}")
        print("  reliability (described candidates): low-high n mean_score observed")
        for row in block["reliability_described"]:
            print(
                f"    {row['low']:.1f}-{row['high']:.1f} {row['n']:5d} "
                f"{row['mean_score']:.3f} {row['observed']:.3f}"
            )
    print("== per held-out fold")
    for f, figures in enumerate(result["per_fold"]):
        print(f"  fold {f}: {json.dumps(figures)}")
    print(
        json.dumps(
            {k: result[k] for k in ("command", "date", "machine", "cnn", "mode")}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
