"""Whether two reported focal findings may be one lesion, from their outlines alone.

A detector can split one lobulated lesion into two candidates: the notch between two
lobes reads as a narrow band of lung, and each lobe is outlined on its own. On a
radiograph such a band cannot be told from a true gap between two separate nodules, so
two outlines whose edges nearly touch are reported as "possibly one lobulated lesion"
and are never counted as satellites of each other. Truly separate small nodules near an
index lesion (a few millimetres of lung or more between them) stay satellites.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.findings import Finding

# Two outlines are possibly one lesion when the lung between their edges is narrower
# than both of these: a fixed ceiling, because a lobulation notch is a few millimetres
# deep on a radiograph and a wider band of lung is a real gap whatever the sizes; and a
# share of the larger finding's long axis, because a notch between lobes is shallower
# than the lesion's own radius (a band of lung wider than that lies outside the lesion).
# Example: a 9 mm and a 4 mm outline 3 mm apart may be one lesion (3 <= min(5, 4.5));
# a 4 mm nodule 6 mm from a 20 mm mass is a separate satellite (6 > 5).
ONE_LESION_MAX_GAP_MM = 5.0
ONE_LESION_GAP_FRACTION = 0.5


@dataclass(frozen=True, slots=True)
class PairGeometry:
    """Two focal findings' centre distance and edge gap, in mm, and what they suggest."""

    centre_mm: float
    edge_gap_mm: float
    possibly_one: bool


def edge_gap_px(a: Finding, b: Finding) -> float:
    """The shortest distance between the two outlines (0 when they overlap)."""
    if not a.contour or not b.contour:
        # no outline: the long axes as circle diameters around the centres
        gap = math.dist(a.center, b.center) - (a.long_axis_px + b.long_axis_px) / 2
        return max(0.0, gap)
    if _inside(a.center, b.contour) or _inside(b.center, a.contour):
        return 0.0
    return min(math.dist(p, q) for p in a.contour for q in b.contour)


def pair_geometry(a: Finding, b: Finding, mm_per_px: float) -> PairGeometry:
    """Centre distance, edge gap and the one-lesion rule for two focal findings."""
    gap = edge_gap_px(a, b) * mm_per_px
    longest = max(a.long_axis_px, b.long_axis_px) * mm_per_px
    limit = min(ONE_LESION_MAX_GAP_MM, ONE_LESION_GAP_FRACTION * longest)
    return PairGeometry(
        centre_mm=math.dist(a.center, b.center) * mm_per_px,
        edge_gap_mm=gap,
        possibly_one=gap <= limit,
    )


def group_span_px(findings: list[Finding]) -> float:
    """The largest extent of several outlines taken together (their joint long axis).

    Two lobes outlined apart under-measure the lesion they may form: this is its
    length if they are one, the farthest two points of the outlines (a finding with no
    outline counts as a circle of its long axis around its centre).
    """
    points: list[tuple[float, float]] = []
    for f in findings:
        if f.contour:
            points += list(f.contour)
        else:
            r = f.long_axis_px / 2
            x, y = f.center
            points += [
                (x + r * math.cos(k * math.pi / 8), y + r * math.sin(k * math.pi / 8))
                for k in range(16)
            ]
    return max(
        (math.dist(p, q) for i, p in enumerate(points) for q in points[i + 1 :]),
        default=0.0,
    )


def possibly_one_lesion(a: Finding, b: Finding, mm_per_px: float | None) -> bool:
    """Whether two focal findings' edges nearly touch (see the constants above)."""
    if not mm_per_px or a.id == b.id or not (a.is_focal and b.is_focal):
        return False
    return pair_geometry(a, b, mm_per_px).possibly_one


def one_lesion_groups(
    findings: list[Finding], mm_per_px: float | None
) -> list[list[Finding]]:
    """Findings joined when any two of a group nearly touch, groups of two or more only."""
    focal = [f for f in findings if f.is_focal]
    groups: list[list[Finding]] = []
    for f in focal:
        joined = [
            g for g in groups if any(possibly_one_lesion(f, h, mm_per_px) for h in g)
        ]
        merged = [f, *(h for g in joined for h in g)]
        groups = [g for g in groups if g not in joined] + [merged]
    order = {f.id: i for i, f in enumerate(focal)}
    return [sorted(g, key=lambda f: order[f.id]) for g in groups if len(g) >= 2]


def _inside(
    point: tuple[float, float], contour: tuple[tuple[float, float], ...]
) -> bool:
    """Even-odd rule: whether a point lies inside a closed outline."""
    x, y = point
    inside = False
    n = len(contour)
    for i in range(n):
        (x0, y0), (x1, y1) = contour[i], contour[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


__all__ = [
    "ONE_LESION_GAP_FRACTION",
    "ONE_LESION_MAX_GAP_MM",
    "PairGeometry",
    "edge_gap_px",
    "group_span_px",
    "one_lesion_groups",
    "pair_geometry",
    "possibly_one_lesion",
]
