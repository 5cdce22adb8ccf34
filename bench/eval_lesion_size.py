"""Focal-lesion sizing against the JSRT nodule diameters and synthetic phantom discs.

Usage:
    python bench/eval_lesion_size.py                     # cxr-train and cxr, plus phantoms
    python bench/eval_lesion_size.py --sets cxr-train    # one folder only
    python bench/eval_lesion_size.py --per-case --json

For every JSRT film with a nodule, the film goes through the engine's own path
(`default_analyzer().analyze`, then `describe_focal` with that analysis's anatomy and
calibration) and the lesion is sized twice: seeded at the ground-truth nodule centre,
and seeded at the detector's best-ranked candidate that hits the nodule (the evaluation
hit rule: within the nodule radius, at least 15 px on the 1024 grid), when there is
one. The measured size is the finding's long axis in mm; JSRT gives one maximum
diameter per nodule.

Per true-size band (<15, 15-30, >=30 mm) it prints the median absolute error (mm), the
median signed error (bias, mm), the share within +-30 % of the true diameter, and the
nodule / mass confusion (Fleischner: a mass is over 30 mm, as `FindingKind` decides).
The phantom section draws discs of 8, 15, 28 and 40 mm on the chest phantom of
`cases/phantom.py` with three edge profiles (flat, projected sphere, Gaussian edge), two
contrasts and four positions, and prints the median and range of the measured long axis.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from engine.analysis import Analyzer, default_analyzer
from engine.findings import (
    MASS_THRESHOLD_MM,
    Candidate,
    Finding,
    describe_focal,
    lung_field_stats,
)
from engine.model import Calibration, CalibrationSource, Radiograph

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SETS = ("cxr-train", "cxr")
BANDS = (("<15", 0.0, 15.0), ("15-30", 15.0, 30.0), (">=30", 30.0, math.inf))
PHANTOM_DIAMETERS = (8.0, 15.0, 28.0, 40.0)
# The detector's search starts from radii of this size, so the seed carries no size hint.
SEED_RADIUS_MM = 5.0
MIN_HIT_RADIUS_1024 = 15.0


@dataclass(frozen=True, slots=True)
class Measured:
    case_id: str
    true_mm: float
    seed: str  # "truth" or "detector"
    measured_mm: float | None

    @property
    def error_mm(self) -> float | None:
        return None if self.measured_mm is None else self.measured_mm - self.true_mm


def size_at(
    image: np.ndarray,
    analysis: Any,
    calibration: Calibration,
    center: tuple[float, float],
    radius_px: float,
) -> Finding:
    """The engine's description of a focal lesion seeded at `center`."""
    return describe_focal(
        image,
        Candidate(center, radius_px, 1.0),
        finding_id="F1",
        calibration=calibration,
        anatomy=analysis.anatomy,
        lung_stats=lung_field_stats(image, analysis.anatomy),
    )


def measure_set(folder: Path, analyzer: Analyzer) -> list[Measured]:
    from cli.engine import load_radiograph
    from engine.training.nodule_data import load_nodule_cases

    out: list[Measured] = []
    for case in load_nodule_cases(folder / "manifest.csv"):
        if case.dataset != "JSRT" or not case.nodules or not case.mm_per_px:
            continue
        radiograph = load_radiograph(case.path, case.mm_per_px)
        analysis = analyzer.analyze(radiograph)
        image = np.clip(radiograph.pixels.astype(np.float32), 0.0, 1.0)
        mm = case.mm_per_px
        for nodule in case.nodules:
            truth = size_at(
                image,
                analysis,
                radiograph.calibration,
                (nodule.x, nodule.y),
                SEED_RADIUS_MM / mm,
            )
            out.append(
                Measured(case.case_id, nodule.diameter_mm, "truth", truth.long_axis_mm)
            )
            hit_radius = max(
                nodule.diameter_mm / mm / 2,
                MIN_HIT_RADIUS_1024 * max(image.shape) / 1024,
            )
            matched = next(
                (
                    c
                    for c in analysis.candidates
                    if math.dist(c.center, (nodule.x, nodule.y)) <= hit_radius
                ),
                None,
            )
            if matched is not None:
                found = size_at(
                    image,
                    analysis,
                    radiograph.calibration,
                    matched.center,
                    matched.radius_px,
                )
                out.append(
                    Measured(
                        case.case_id, nodule.diameter_mm, "detector", found.long_axis_mm
                    )
                )
    return out


def summarise(rows: list[Measured]) -> dict[str, Any]:
    """Error figures of one set of measurements, overall and per true-size band."""
    out: dict[str, Any] = {}
    for name, lo, hi in (("all", 0.0, math.inf), *BANDS):
        band = [r for r in rows if lo <= r.true_mm < hi and r.measured_mm is not None]
        if not band:
            out[name] = {"n": 0}
            continue
        errors = [r.error_mm for r in band if r.error_mm is not None]
        within = [abs(e) <= 0.3 * r.true_mm for r, e in zip(band, errors, strict=True)]
        confusion = {
            "nodule->nodule": 0,
            "nodule->mass": 0,
            "mass->nodule": 0,
            "mass->mass": 0,
        }
        for r in band:
            truth = "mass" if r.true_mm > MASS_THRESHOLD_MM else "nodule"
            called = "mass" if (r.measured_mm or 0) > MASS_THRESHOLD_MM else "nodule"
            confusion[f"{truth}->{called}"] += 1
        out[name] = {
            "n": len(band),
            "median_abs_error_mm": round(statistics.median(abs(e) for e in errors), 1),
            "median_error_mm": round(statistics.median(errors), 1),
            "within_30pct": round(sum(within) / len(within), 2),
            "ge_20mm_agree": round(
                sum((r.true_mm >= 20) == ((r.measured_mm or 0) >= 20) for r in band)
                / len(band),
                2,
            ),
            "confusion": confusion,
        }
    return out


def _disc_profile(
    shape: tuple[int, int], center: tuple[float, float], radius: float, profile: str
) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    r = np.hypot(xx - center[0], yy - center[1])
    if profile == "flat":
        blob = (r <= radius).astype(np.float64)
        return ndimage.gaussian_filter(blob, 1.0)
    if profile == "sphere":
        return np.sqrt(np.clip(1.0 - (r / radius) ** 2, 0.0, 1.0))
    # A Gaussian edge a quarter of the radius wide; its half-maximum contour is the disc.
    blob = (r <= radius).astype(np.float64)
    return ndimage.gaussian_filter(blob, max(1.0, 0.25 * radius))


def measure_phantoms(analyzer: Analyzer) -> list[dict[str, Any]]:
    """Phantom discs of known diameter on the synthetic chest of cases/phantom.py."""
    from cases.phantom import PhantomSpec, _place, make_phantom
    from engine.model import Side

    spec = PhantomSpec()
    base = make_phantom(spec)
    spacing = spec.spacing_mm
    calibration = Calibration(
        row_mm=spacing, col_mm=spacing, source=CalibrationSource.PIXEL_SPACING
    )
    positions = ((0.5, 0.5), (0.35, 0.35), (0.65, 0.7), (0.5, 0.3))
    rows: list[dict[str, Any]] = []
    for diameter in PHANTOM_DIAMETERS:
        radius = diameter / spacing / 2
        for profile in ("flat", "sphere", "gaussian"):
            sizes = []
            for contrast in (0.08, 0.2):
                for lateral, caudal in positions:
                    center = _place(base.truth.right_lung, Side.RIGHT, lateral, caudal)
                    lesion = _disc_profile(base.pixels.shape, center, radius, profile)
                    pixels = np.clip(base.pixels + contrast * lesion, 0, 1).astype(
                        np.float32
                    )
                    radiograph = Radiograph(
                        pixels=pixels,
                        calibration=calibration,
                        key=f"disc-{diameter}-{profile}-{contrast}-{lateral}-{caudal}",
                        view_position="PA",
                    )
                    analysis = analyzer.analyze(radiograph)
                    finding = size_at(
                        pixels, analysis, calibration, center, SEED_RADIUS_MM / spacing
                    )
                    sizes.append(finding.long_axis_mm or 0.0)
            within = [abs(s - diameter) <= 0.25 * diameter for s in sizes]
            rows.append(
                {
                    "diameter_mm": diameter,
                    "profile": profile,
                    "n": len(sizes),
                    "median_mm": round(statistics.median(sizes), 1),
                    "min_mm": round(min(sizes), 1),
                    "max_mm": round(max(sizes), 1),
                    "within_25pct": round(sum(within) / len(within), 2),
                }
            )
    return rows


def _print_table(title: str, summary: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(
        f"  {'band':<6} {'n':>3} {'MAE mm':>7} {'bias mm':>8} {'±30%':>5} {'≥20 ok':>6}"
        "  confusion (true->called)"
    )
    for band, s in summary.items():
        if not s["n"]:
            print(f"  {band:<6} {0:>3}")
            continue
        conf = ", ".join(f"{k} {v}" for k, v in s["confusion"].items() if v)
        print(
            f"  {band:<6} {s['n']:>3} {s['median_abs_error_mm']:>7} "
            f"{s['median_error_mm']:>8} {s['within_30pct']:>5} {s['ge_20mm_agree']:>6}"
            f"  {conf}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=SHARED, help="folder holding the sets"
    )
    parser.add_argument(
        "--sets", nargs="*", default=list(SETS), help="set folders to measure"
    )
    parser.add_argument(
        "--no-phantoms", action="store_true", help="skip the phantom discs"
    )
    parser.add_argument(
        "--per-case", action="store_true", help="list every measurement"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    analyzer = default_analyzer()
    result: dict[str, Any] = {"engine_version": analyzer.version, "sets": {}}
    for name in args.sets:
        folder = args.data / name
        if not (folder / "manifest.csv").is_file():
            print(
                f"no manifest at {folder / 'manifest.csv'}; skipping {name}",
                file=sys.stderr,
            )
            continue
        rows = measure_set(folder, analyzer)
        entry: dict[str, Any] = {
            seed: summarise([r for r in rows if r.seed == seed])
            for seed in ("truth", "detector")
        }
        if args.per_case:
            entry["cases"] = [
                {
                    "case_id": r.case_id,
                    "seed": r.seed,
                    "true_mm": r.true_mm,
                    "measured_mm": r.measured_mm,
                }
                for r in rows
            ]
        result["sets"][name] = entry
    if not args.no_phantoms:
        result["phantoms"] = measure_phantoms(analyzer)
    result["seconds"] = round(time.perf_counter() - started, 1)

    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"engine {result['engine_version']}")
    for name, entry in result["sets"].items():
        for seed in ("truth", "detector"):
            label = (
                "ground-truth centre"
                if seed == "truth"
                else "matched detector candidate"
            )
            _print_table(f"{name}, seeded at the {label}", entry[seed])
        for r in entry.get("cases", []):
            print(
                f"  {r['case_id']} {r['seed']:<8} true {r['true_mm']:>5} measured {r['measured_mm']}"
            )
    if "phantoms" in result:
        print(
            "\nphantom discs (8 films each: 2 contrasts x 4 positions), long axis in mm"
        )
        print(
            f"  {'diameter':>8} {'profile':<9} {'median':>6} {'min':>6} {'max':>6} {'±25%':>5}"
        )
        for p in result["phantoms"]:
            print(
                f"  {p['diameter_mm']:>8} {p['profile']:<9} {p['median_mm']:>6} "
                f"{p['min_mm']:>6} {p['max_mm']:>6} {p['within_25pct']:>5}"
            )
    print(f"\n{result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
