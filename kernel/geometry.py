"""Geometry primitives in image pixels: a point and an axis-aligned box.

Coordinates follow docs/architecture.md: pixels of the image as imported, origin
top-left, ``x`` to the right (columns), ``y`` down (rows).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from kernel.errors import InvalidValue

Point: TypeAlias = tuple[float, float]
"""One position ``(x, y)`` in image pixels (a hilum, a lesion centre, a polygon vertex).

A plain pair, so ``x, y = point`` works and any ``(x, y)`` tuple is a point; the case
store checks that stored points are finite.
"""


def _finite(*values: float) -> bool:
    return all(
        not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
        for v in values
    )


@dataclass(frozen=True, slots=True)
class Box:
    """Axis-aligned box ``[x0, y0, x1, y1]`` in image pixels, ``x0 <= x1``, ``y0 <= y1``.

    A box may be empty (a point's or a line's bounding box); ``has_area`` says whether
    it is not, and a stored box must have area.

    Raises:
        InvalidValue: a corner is not a finite number, or the corners are out of order.
    """

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        if not _finite(self.x0, self.y0, self.x1, self.y1):
            raise InvalidValue(
                f"box corners must be finite numbers, got "
                f"[{self.x0!r}, {self.y0!r}, {self.x1!r}, {self.y1!r}]"
            )
        if not (self.x1 >= self.x0 and self.y1 >= self.y0):
            raise InvalidValue(
                f"box corners out of order: need x0 <= x1 and y0 <= y1, got "
                f"[{self.x0}, {self.y0}, {self.x1}, {self.y1}]"
            )

    @classmethod
    def around(
        cls, center: Sequence[float], half_w: float, half_h: float | None = None
    ) -> Box:
        """Return the box of half-width ``half_w`` (and ``half_h``) about ``center``."""
        half_h = half_w if half_h is None else half_h
        return cls(
            center[0] - half_w,
            center[1] - half_h,
            center[0] + half_w,
            center[1] + half_h,
        )

    @classmethod
    def of_points(cls, points: Iterable[Sequence[float]]) -> Box:
        """Return the bounding box of ``(x, y)`` points (rows of an (N, 2) array work).

        Raises:
            InvalidValue: there are no points.
        """
        xs: list[float] = []
        ys: list[float] = []
        for point in points:
            xs.append(float(point[0]))
            ys.append(float(point[1]))
        if not xs:
            raise InvalidValue("a bounding box needs at least one point")
        return cls(min(xs), min(ys), max(xs), max(ys))

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def has_area(self) -> bool:
        """Whether ``x0 < x1`` and ``y0 < y1`` (what a stored box needs)."""
        return self.x0 < self.x1 and self.y0 < self.y1

    @property
    def center(self) -> Point:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    @property
    def area(self) -> float:
        return self.width * self.height

    def contains(self, point: Sequence[float]) -> bool:
        return self.x0 <= point[0] <= self.x1 and self.y0 <= point[1] <= self.y1

    def iou(self, other: Box) -> float:
        """Return the intersection over union of two boxes (0 when both are empty)."""
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def scaled(self, factor: float) -> Box:
        return Box(
            self.x0 * factor, self.y0 * factor, self.x1 * factor, self.y1 * factor
        )

    def clipped(self, width: float, height: float) -> Box:
        """Return the box clipped to an image of ``width`` x ``height`` pixels."""
        return Box(
            min(max(self.x0, 0.0), width),
            min(max(self.y0, 0.0), height),
            min(max(self.x1, 0.0), width),
            min(max(self.y1, 0.0), height),
        )

    def rounded(self, digits: int = 1) -> Box:
        return Box(
            round(self.x0, digits),
            round(self.y0, digits),
            round(self.x1, digits),
            round(self.y1, digits),
        )

    def at_least(self, size: float = 1.0) -> Box:
        """Return the box grown about its centre to at least ``size`` pixels a side.

        A point's box is then the ``size``-pixel square centred on it, and a vertical or
        horizontal line gets a thickness, so an exported box keeps ``x0 < x1``, ``y0 < y1``.
        """
        half_w = max(self.width, size) / 2
        half_h = max(self.height, size) / 2
        return Box.around(self.center, half_w, half_h)

    def as_list(self) -> list[float]:
        """Return ``[x0, y0, x1, y1]`` rounded to 0.1 px (the exported form)."""
        return [
            round(self.x0, 1),
            round(self.y0, 1),
            round(self.x1, 1),
            round(self.y1, 1),
        ]
