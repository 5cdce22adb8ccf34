"""Fit a learned lesion size: ridge regression on log diameter over multi-scale descriptors.

Usage::

    python -m engine.training.lesion_size --records training-runs/cv_records_ens-sites \
        --descriptors training-runs/size_descriptors_ens-sites          # fill the cache
    python -m engine.training.lesion_size ... --out engine/models/lesion_size.json

Rows are the JSRT nodule films' candidates that hit the nodule and that the engine
measured (``FilmRecord.size_features``); each row's inputs are
``engine.lesion_size.size_descriptors`` at the candidate plus the contour's log long
and short axes and the blob's log diameter; the target is the log JSRT diameter. A film
with several hit candidates weighs as one. The ridge penalty is chosen by generalised
cross-validation on the training rows and the 80 % interval is the 10th-90th percentile
of the leave-one-out log residuals (closed form), so nothing is read from held-out films.
``bench/cv_nodules.py --learned-size`` fits it inside each fold.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.training.nodule_ranker import SIZE_FEATURES, FilmRecord, load_records
from engine.training.size_descriptors import DESCRIPTOR_NAMES, size_descriptors

Floats = npt.NDArray[np.float64]

# Descriptors that are diameters or radii enter as logs (a size model on log diameter
# should scale with them); response ratios and the contrast enter as they are.
_LOGGED = {
    name
    for name in DESCRIPTOR_NAMES
    if name.startswith("profile_radius") or name == "blob_peak_diameter_mm"
}
CONTOUR_INPUTS = ("long_mm", "short_mm", "blob_diameter_mm")
INPUT_NAMES = (
    *(f"log_{n}" if n in _LOGGED else n for n in DESCRIPTOR_NAMES),
    *(f"log_{n}" for n in CONTOUR_INPUTS),
)
ALPHAS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
INTERVAL = (0.10, 0.90)  # nominal 80 %


def design_row(descriptors: Floats, size_features: Floats) -> Floats:
    """One candidate's :data:`INPUT_NAMES` from its descriptors and contour sizes."""
    parts = [
        math.log(max(float(v), 0.5)) if name in _LOGGED else float(v)
        for name, v in zip(DESCRIPTOR_NAMES, descriptors, strict=True)
    ]
    for name in CONTOUR_INPUTS:
        v = float(size_features[SIZE_FEATURES.index(name)])
        parts.append(math.log(max(v, 0.5)) if math.isfinite(v) else math.nan)
    return np.array(parts, np.float64)


@dataclass(frozen=True, slots=True)
class LearnedSize:
    """Ridge on standardised inputs predicting log diameter, with a ratio interval."""

    mean: Floats
    scale: Floats
    weights: Floats
    intercept: float
    alpha: float
    ratio_low: float
    ratio_high: float

    def predict(self, rows: Floats) -> Floats:
        z = (rows - self.mean) / self.scale
        return np.asarray(np.exp(z @ self.weights + self.intercept), np.float64)

    def interval(self, value: float) -> tuple[float, float]:
        return value * self.ratio_low, value * self.ratio_high

    def to_json(self) -> dict[str, object]:
        return {
            "inputs": list(INPUT_NAMES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "intercept": round(self.intercept, 6),
            "alpha": self.alpha,
            "ratio_low": round(self.ratio_low, 6),
            "ratio_high": round(self.ratio_high, 6),
        }


def _ridge(
    z: Floats, y: Floats, w: Floats, alpha: float
) -> tuple[Floats, float, Floats]:
    """Weighted ridge (intercept unpenalised): weights, intercept, LOO residuals."""
    sw = np.sqrt(w / w.mean())
    x1 = np.hstack([z, np.ones((len(z), 1))]) * sw[:, None]
    penalty = alpha * np.eye(x1.shape[1])
    penalty[-1, -1] = 0.0
    inverse = np.linalg.inv(x1.T @ x1 + penalty)
    beta = inverse @ x1.T @ (y * sw)
    leverage = np.einsum("ij,jk,ik->i", x1, inverse, x1)
    residual = (y - np.hstack([z, np.ones((len(z), 1))]) @ beta) / (1 - leverage)
    return beta[:-1], float(beta[-1]), residual


def fit_learned_size(rows: Floats, truth_mm: Floats, weight: Floats) -> LearnedSize:
    """The ridge whose penalty has the lowest weighted leave-one-out error."""
    ok = np.isfinite(rows).all(axis=1) & np.isfinite(truth_mm) & (truth_mm > 0)
    if ok.sum() < rows.shape[1] + 5:
        raise ValueError(
            f"only {int(ok.sum())} usable rows for {rows.shape[1]} inputs; "
            "give more nodule films"
        )
    x, y, w = rows[ok], np.log(truth_mm[ok]), weight[ok]
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    best = min(
        ALPHAS, key=lambda a: float(np.average(_ridge(z, y, w, a)[2] ** 2, weights=w))
    )
    weights, intercept, loo = _ridge(z, y, w, best)
    low, high = np.quantile(loo, INTERVAL)  # log(true / predicted), out of sample
    return LearnedSize(
        mean=mean,
        scale=scale,
        weights=weights,
        intercept=intercept,
        alpha=best,
        ratio_low=float(np.exp(low)),
        ratio_high=float(np.exp(high)),
    )


# ----------------------------------------------------------------- descriptor cache


def film_descriptors(
    record: FilmRecord, image: npt.NDArray[np.float32], mm: float
) -> Floats:
    """(K, len(INPUT_NAMES)) for the record's candidates; NaN where not a measured hit.

    ``record.xy_mm`` is the candidate's centre in mm from the film's top-left corner
    (the working grid of a square JSRT film has no letterbox margin).
    """
    out = np.full((len(record.hit), len(INPUT_NAMES)), math.nan)
    if record.size_features.shape[1:] != (len(SIZE_FEATURES),):
        return out
    for k in np.nonzero(record.hit & np.isfinite(record.measured_mm))[0].tolist():
        x, y = record.xy_mm[k] / mm
        out[k] = design_row(
            size_descriptors(image, (float(x), float(y)), mm), record.size_features[k]
        )
    return out


def build_descriptors(records_dir: Path, out_dir: Path, data: list[Path]) -> int:
    """Fill ``out_dir`` with one ``<case>.npy`` per nodule film of ``records_dir``."""
    from engine.training.nodule_data import load_jsrt_cases

    cases = {c.case_id: c for c in load_jsrt_cases(data)}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted(records_dir.glob("*.npz")):
        for record in load_records(path):
            target = out_dir / f"{record.case_id}.npy"
            case = cases.get(record.case_id)
            if target.is_file() or not record.has_nodule or case is None:
                continue
            if case.mm_per_px is None:
                continue
            np.save(target, film_descriptors(record, case.read_image(), case.mm_per_px))
            written += 1
    return written


def load_descriptors(out_dir: Path, record: FilmRecord) -> Floats:
    """The cached rows of one record (all NaN for a film without a nodule)."""
    path = out_dir / f"{record.case_id}.npy"
    if not path.is_file():
        return np.full((len(record.hit), len(INPUT_NAMES)), math.nan)
    rows = np.load(path)
    if rows.shape != (len(record.hit), len(INPUT_NAMES)):
        raise SystemExit(
            f"error: {path} has shape {rows.shape}, not ({len(record.hit)}, "
            f"{len(INPUT_NAMES)}); delete the folder and rebuild it"
        )
    return np.asarray(rows, np.float64)


def training_rows(
    records: list[FilmRecord], descriptors: dict[str, Floats]
) -> tuple[Floats, Floats, Floats]:
    """Every measured hit of every nodule film; a film's rows weigh 1 together."""
    rows, truth, weight = [], [], []
    for record in records:
        table = descriptors.get(record.case_id)
        if table is None or not record.has_nodule:
            continue
        usable = np.nonzero(np.isfinite(table).all(axis=1))[0]
        for k in usable.tolist():
            rows.append(table[k])
            truth.append(record.truth_mm)
            weight.append(1.0 / len(usable))
    return (
        np.array(rows, np.float64).reshape(-1, len(INPUT_NAMES)),
        np.array(truth, np.float64),
        np.array(weight, np.float64),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--descriptors", type=Path, required=True)
    parser.add_argument(
        "--data", type=Path, nargs="+", default=[shared / "cxr-train", shared / "cxr"]
    )
    parser.add_argument("--out", type=Path, default=None, help="write the model JSON")
    args = parser.parse_args(argv)
    if not args.records.is_dir():
        print(f"error: no records folder {args.records}", file=sys.stderr)
        return 2
    written = build_descriptors(args.records, args.descriptors, args.data)
    print(f"{written} films described into {args.descriptors}", file=sys.stderr)
    if args.out is None:
        return 0
    records = [r for p in sorted(args.records.glob("*.npz")) for r in load_records(p)]
    table = {r.case_id: load_descriptors(args.descriptors, r) for r in records}
    rows, truth, weight = training_rows(records, table)
    model = fit_learned_size(rows, truth, weight)
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
