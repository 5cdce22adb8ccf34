"""Candidate recall of the blob stage, and why the missed nodules get no candidate.

Usage::

    python bench/candidate_recall.py                      # cxr-train, shipped settings
    python bench/candidate_recall.py --radii 2 2.5 3 4 5 6.5 8 10 12.5 15 \
        --max-candidates 150 --misses

Only the candidate stage runs (no CNN, no ranker), so a setting is checked in seconds
per film once the lung masks are cached (``--cache``, one ``.npz`` per film: the
engine's working image and the bundled segmenter's lung mask, as ``film_record``
computes them). Tune on ``cxr-train`` only; the cross-validation
(``bench/cv_nodules.py``) measures a chosen setting.

Printed: candidate recall, candidates per film (mean, max), and with ``--misses`` one
line per nodule without a candidate: diameter, subtlety, where it lies (lung field,
hull, recess, outside the search region) and why no candidate lands on it (no blob
maximum within the hit radius at any scale, the maximum ranked beyond the cap, or
suppressed by a stronger candidate nearby).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.nodules import (  # noqa: E402
    CandidateParams,
    blob_field,
    find_blob_candidates,
    load_nodule_classifier_spec,
    prepare_image,
    site_of,
)
from engine.training.nodule_data import (  # noqa: E402
    NoduleCase,
    hit_radius_px,
    load_jsrt_cases,
)

SHARED = REPO.parent / "shared" / "data"


def film_inputs(case: NoduleCase, cache: Path) -> dict[str, Any]:
    """The working image, segmenter lung mask and spacing of a film (cached)."""
    path = cache / f"{case.case_id}.npz"
    if path.is_file():
        data = np.load(path)
        if "heart" in data.files:  # older caches have no heart mask: recompute
            return {k: data[k] for k in data.files}
    from engine.analysis import (
        _heart_mask_on,
        _lung_mask_on,
        _work_image,
        default_analyzer,
    )
    from engine.anatomy import GridTransform, build_anatomy_map, resize_to_grid

    analyzer = default_analyzer()
    image = case.read_image()
    work, factor = _work_image(image)
    structures = analyzer.segmenter.segment(
        work, GridTransform.letterbox(work.shape[0], work.shape[1], 512)
    )
    grid = GridTransform.letterbox(image.shape[0], image.shape[1], 512)
    anatomy = build_anatomy_map(structures, grid, resize_to_grid(image, grid))
    lung = _lung_mask_on(work, anatomy, factor)
    heart = _heart_mask_on(work, anatomy, factor)
    mm = case.mm_per_px
    out = {
        "work": work.astype(np.float32),
        "lung": np.zeros(work.shape, bool) if lung is None else lung,
        "heart": np.zeros(work.shape, bool) if heart is None else heart,
        "has_lung": np.array(lung is not None),
        "mm": np.array(math.nan if mm is None else mm / factor),
        "factor": np.array(factor),
    }
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)
    return out


def film_recall(
    case: NoduleCase, inputs: dict[str, Any], params: CandidateParams
) -> tuple[int, int, list[dict[str, Any]], int]:
    """(nodules, nodules hit, one row per miss, candidates) of one film."""
    mm = float(inputs["mm"])
    lung = inputs["lung"] if bool(inputs["has_lung"]) else None
    prepared = prepare_image(
        inputs["work"],
        lung,
        mm_per_px=None if math.isnan(mm) else mm,
        params=params,
        heart_mask=inputs["heart"] if params.thorax_sites else None,
    )
    field = blob_field(prepared, params)
    kept = find_blob_candidates(prepared, params, field)
    # What the CV counts: candidates at lung sites (OUTSIDE ones are never reported).
    kept = [c for c in kept if site_of(prepared, c.x, c.y).is_lung]
    xy = np.array([[c.x, c.y] for c in kept], float).reshape(-1, 2)
    found, misses = 0, []
    factor = float(inputs["factor"])
    for nodule in case.nodules:
        nx, ny = prepared.grid.to_work(nodule.x * factor, nodule.y * factor)
        radius = hit_radius_px(nodule, prepared.grid.mm_per_px)
        d = np.hypot(xy[:, 0] - nx, xy[:, 1] - ny) if len(xy) else np.array([])
        if (d <= radius).any():
            found += 1
            continue
        misses.append(
            _why(case, nodule, prepared, field, params, (nx, ny), radius, len(kept))
        )
    return len(case.nodules), found, misses, len(kept)


def _why(
    case: NoduleCase,
    nodule: Any,
    prepared: Any,
    field: Any,
    params: CandidateParams,
    centre: tuple[float, float],
    radius: float,
    count: int,
) -> dict[str, Any]:
    """Why no candidate lies within the hit radius of this nodule."""
    x, y = round(centre[0]), round(centre[1])
    rows, cols = prepared.normalised.shape
    x, y = min(max(x, 0), cols - 1), min(max(y, 0), rows - 1)
    uncapped = dataclasses.replace(params, max_candidates=10_000)
    dense = dataclasses.replace(uncapped, min_separation_mm=0.7)

    def first_hit(chosen: CandidateParams) -> int | None:
        for i, c in enumerate(find_blob_candidates(prepared, chosen, field)):
            if math.hypot(c.x - centre[0], c.y - centre[1]) <= radius:
                return i
        return None

    rank = first_hit(uncapped)
    if not prepared.roi[y, x]:
        reason = "outside search region"
    elif rank is not None:
        reason = f"ranked {rank} (cap {params.max_candidates})"
    elif first_hit(dense) is not None:
        reason = "suppressed by a stronger candidate nearby"
    else:
        reason = "no blob maximum"
    return {
        "case": case.case_id,
        "diameter_mm": nodule.diameter_mm,
        "subtlety": nodule.subtlety,
        "site": site_of(prepared, x, y).value,
        "lung_depth_mm": round(float(prepared.lung_signed_mm[y, x]), 1),
        "rel_y": round(
            float((y - field.lung_top) / max(field.lung_bottom - field.lung_top, 1)), 2
        ),
        "reason": reason,
        "candidates": count,
    }


def dome_depths(cases: list[NoduleCase], cache: Path) -> dict[str, Any]:
    """Where each nodule centre lies against the dome line (working grid, mm).

    The depth bound of the sub-diaphragmatic site (``engine.nodules.BELOW_DOME_MM``)
    is the deepest of these below the line, rounded up to 5 mm; run on cxr-train only.
    """
    rows = []
    for case in cases:
        inputs = film_inputs(case, cache)
        if not bool(inputs["has_lung"]):
            continue
        mm = float(inputs["mm"])
        prepared = prepare_image(
            inputs["work"],
            inputs["lung"],
            mm_per_px=None if math.isnan(mm) else mm,
            heart_mask=inputs["heart"],
        )
        factor = float(inputs["factor"])
        for nodule in case.nodules:
            nx, ny = prepared.grid.to_work(nodule.x * factor, nodule.y * factor)
            x = min(max(round(nx), 0), prepared.lung.shape[1] - 1)
            y = min(max(round(ny), 0), prepared.lung.shape[0] - 1)
            rows.append(
                {
                    "case": case.case_id,
                    "diameter_mm": nodule.diameter_mm,
                    "below_dome_mm": round(float(prepared.below_dome_mm[y, x]), 1),
                    "retrocardiac": bool(prepared.retrocardiac[y, x]),
                    "site": site_of(prepared, x, y).value,
                }
            )
    below = [r["below_dome_mm"] for r in rows if r["below_dome_mm"] > 0]
    deepest = max(below, default=0.0)
    return {
        "nodules": len(rows),
        "below_dome": sorted(below),
        "retrocardiac": sum(r["retrocardiac"] for r in rows),
        "deepest_mm": deepest,
        "bound_mm": 5.0 * math.ceil(deepest / 5.0),
        "rows": [r for r in rows if r["below_dome_mm"] > 0 or r["retrocardiac"]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=[SHARED / "cxr-train"])
    parser.add_argument("--radii", type=float, nargs="+", default=None)
    parser.add_argument("--min-separation", type=float, default=None)
    parser.add_argument("--max-candidates", type=int, default=None)
    parser.add_argument("--roi-dilation", type=float, default=None)
    parser.add_argument("--lung-sites-only", action="store_true")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument(
        "--thorax-sites",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="count retrocardiac and below-dome lung as lung sites (on in the shipped "
        "card since embedded-vision/10; --no-thorax-sites for the earlier rule)",
    )
    parser.add_argument(
        "--dome-depths",
        action="store_true",
        help="only print where the nodules lie against the dome line (cxr-train only)",
    )
    parser.add_argument(
        "--cache", type=Path, default=REPO / "training-runs" / "candidate_inputs"
    )
    args = parser.parse_args(argv)
    params = load_nodule_classifier_spec().candidates
    changes: dict[str, Any] = {}
    if args.radii:
        changes["radii_mm"] = tuple(args.radii)
    if args.min_separation is not None:
        changes["min_separation_mm"] = args.min_separation
    if args.max_candidates is not None:
        changes["max_candidates"] = args.max_candidates
    if args.roi_dilation is not None:
        changes["roi_dilation_mm"] = args.roi_dilation
    if args.lung_sites_only:
        changes["lung_sites_only"] = True
    if args.thorax_sites is not None:
        changes["thorax_sites"] = args.thorax_sites
    params = dataclasses.replace(params, **changes)
    cases = load_jsrt_cases(args.data)
    if args.dome_depths:
        print(json.dumps(dome_depths(cases, args.cache)))
        return 0
    total = found = 0
    counts: list[int] = []
    misses: list[dict[str, Any]] = []
    for case in cases:
        inputs = film_inputs(case, args.cache)
        n, f, rows, count = film_recall(case, inputs, params)
        total, found = total + n, found + f
        misses.extend(rows)
        counts.append(count)
    if args.misses:
        for row in sorted(misses, key=lambda r: r["reason"]):
            print(json.dumps(row))
    print(
        json.dumps(
            {
                "films": len(cases),
                "nodules": total,
                "candidate_recall": round(found / max(total, 1), 4),
                "missed": total - found,
                "candidates_per_film_mean": round(float(np.mean(counts)), 1),
                "films_at_cap": int(sum(c >= params.max_candidates for c in counts)),
                "params": params.to_dict(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
