"""Geometry primitives in image pixels: a point, an axis-aligned box and a shape.

Coordinates follow docs/architecture.md: pixels of the image as imported, origin
top-left, ``x`` to the right (columns), ``y`` down (rows).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

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


GeometryKind = Literal["box", "polygon", "point", "line", "mask"]

# How many points each kind needs (at least, for a polygon or a line).
_EXACT_POINTS = {"box": 2, "point": 1}
_MIN_POINTS = {"polygon": 3, "line": 2}


@dataclass(frozen=True, slots=True)
class Geometry:
    """An anchor's or an annotation's shape in image pixels: the one shape type.

    ``box``: points = ``((x0, y0), (x1, y1))`` with ``x0 <= x1``, ``y0 <= y1``;
    ``polygon``: a closed ring of at least 3 points (the last joins the first); ``point``:
    one point; ``line``: an open line through 2 or more points; ``mask``: a binary mask
    as run lengths ``rle`` over the row-major pixels of a ``shape`` = ``(rows, cols)``
    grid, alternating background and foreground and starting with background (a mask
    whose first pixel is set starts with a zero-length run).

    Numbers stay as given, so a stored shape read back writes the same JSON again.

    Raises:
        InvalidValue: a point is not a finite ``(x, y)`` pair, a kind has the wrong
            number of points, a box's corners are out of order, or the run lengths do
            not cover the mask's grid.
    """

    kind: GeometryKind
    points: tuple[Point, ...] = ()
    rle: tuple[int, ...] = ()
    shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.kind == "mask":
            _check_mask(self)
        elif self.kind in _EXACT_POINTS or self.kind in _MIN_POINTS:
            _check_points(self)
        else:
            raise InvalidValue(
                f"unknown geometry kind {self.kind!r}; "
                "expected box, polygon, point, line or mask"
            )

    @classmethod
    def from_box(cls, box: Box) -> Geometry:
        """Return a box shape; its corners become floats, as the store has kept them."""
        return cls(
            "box", ((float(box.x0), float(box.y0)), (float(box.x1), float(box.y1)))
        )

    @classmethod
    def polygon(cls, points: Iterable[Sequence[float]]) -> Geometry:
        """Return a polygon through ``points`` (rows of an (N, 2) array work), to 0.1 px."""
        return cls(
            "polygon",
            tuple((round(float(p[0]), 1), round(float(p[1]), 1)) for p in points),
        )

    @classmethod
    def point(cls, p: Point) -> Geometry:
        return cls("point", ((round(p[0], 1), round(p[1], 1)),))

    @classmethod
    def line(cls, a: Point, b: Point) -> Geometry:
        return cls(
            "line", ((round(a[0], 1), round(a[1], 1)), (round(b[0], 1), round(b[1], 1)))
        )

    def bounding_box(self) -> Box:
        """Return the box around the shape (``Box(0, 0, 0, 0)`` for an empty mask)."""
        if self.kind == "mask":
            assert self.shape is not None
            return _mask_box(self.rle, self.shape[1])
        return Box.of_points(self.points)

    def to_json(self) -> dict[str, Any]:
        """Return the engine's JSON form (``casebook ask --json``, ``Anchor.to_json``).

        The case store keeps its own stored form (cases/geometry.py), which the audit
        chain has hashed since the first database; the two differ for boxes and masks.
        """
        if self.kind == "mask":
            return {
                "type": "mask",
                "rle": list(self.rle),
                "shape": list(self.shape or ()),
            }
        if self.kind == "box":
            return {"type": "box", "bbox": Box.of_points(self.points).as_list()}
        return {"type": self.kind, "points": [list(p) for p in self.points]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Geometry:
        """Read the engine's JSON form back (see ``to_json``)."""
        kind = data.get("type")
        if kind == "box":
            x0, y0, x1, y1 = (float(v) for v in data["bbox"])
            return cls("box", ((x0, y0), (x1, y1)))
        if kind == "mask":
            rows, cols = data["shape"]
            return cls(
                "mask",
                rle=tuple(int(v) for v in data["rle"]),
                shape=(int(rows), int(cols)),
            )
        if kind in ("polygon", "point", "line"):
            return cls(kind, tuple((float(x), float(y)) for x, y in data["points"]))
        raise InvalidValue(
            f"unknown geometry type {kind!r}; expected box, polygon, point, line or mask"
        )


def _check_points(geometry: Geometry) -> None:
    kind, points = geometry.kind, geometry.points
    if geometry.rle or geometry.shape is not None:
        raise InvalidValue(f"{kind} geometry has points, not rle counts or a shape")
    if kind in _EXACT_POINTS and len(points) != _EXACT_POINTS[kind]:
        raise InvalidValue(
            f"{kind} geometry needs {_EXACT_POINTS[kind]} points, got {len(points)}"
        )
    if kind in _MIN_POINTS and len(points) < _MIN_POINTS[kind]:
        raise InvalidValue(
            f"{kind} geometry needs at least {_MIN_POINTS[kind]} points, "
            f"got {len(points)}"
        )
    for point in points:
        if len(point) != 2 or not _finite(*point):
            raise InvalidValue(
                f"{kind} coordinates must be finite (x, y) numbers, got {point!r}"
            )
    if kind == "box":
        (x0, y0), (x1, y1) = points
        Box(x0, y0, x1, y1)  # raises when the corners are out of order


def _check_mask(geometry: Geometry) -> None:
    if geometry.points:
        raise InvalidValue("mask geometry has rle counts and a shape, not points")
    if geometry.shape is None or not geometry.rle:
        raise InvalidValue("mask geometry needs rle counts and a shape")
    rows, cols = geometry.shape
    if not (_count(rows) and _count(cols) and rows > 0 and cols > 0):
        raise InvalidValue(f"mask size must be positive, got {rows}x{cols}")
    if not all(_count(c) for c in geometry.rle):
        raise InvalidValue("mask rle counts must be non-negative integers")
    if sum(geometry.rle) != rows * cols:
        raise InvalidValue(
            f"mask rle counts cover {sum(geometry.rle)} pixels, "
            f"its {rows}x{cols} grid has {rows * cols}"
        )


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _mask_box(counts: Sequence[int], cols: int) -> Box:
    """The box around a run-length mask's foreground, read from the runs alone."""
    top = left = math.inf
    bottom = right = -math.inf
    offset = 0
    for index, run in enumerate(counts):
        if index % 2 and run:
            row0, col0 = divmod(offset, cols)
            row1, col1 = divmod(offset + run - 1, cols)
            top, bottom = min(top, row0), max(bottom, row1)
            # A run that wraps onto the next row covers that row's first column and
            # the row before's last.
            left = min(left, col0 if row0 == row1 else 0)
            right = max(right, col1 if row0 == row1 else cols - 1)
        offset += run
    if top == math.inf:
        return Box(0, 0, 0, 0)
    return Box(float(left), float(top), float(right + 1), float(bottom + 1))
