"""Anchor and annotation geometry in image pixels, and its JSON form.

Coordinates follow docs/architecture.md: pixels of the image as imported, origin top-left,
``x`` to the right (columns), ``y`` down (rows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cases.errors import InvalidRecord
from kernel import Box, InvalidValue, Point


def _check_finite(name: str, *values: float) -> None:
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidRecord(f"{name} must be finite numbers, got {value!r}")


def _points(name: str, points: Sequence[Sequence[float]], minimum: int) -> None:
    if len(points) < minimum:
        raise InvalidRecord(
            f"{name} needs at least {minimum} points, got {len(points)}"
        )
    for point in points:
        if len(point) != 2:
            raise InvalidRecord(f"{name} points are [x, y] pairs, got {point!r}")
        _check_finite(name, *point)


@dataclass(frozen=True, slots=True, kw_only=True)
class Polygon:
    """A closed contour; the last point joins the first."""

    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        _points("polygon", self.points, 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class Polyline:
    """An open line through two or more points (a measurement line, a spicule stroke)."""

    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        _points("line", self.points, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class RleMask:
    """A binary mask as run lengths over the row-major pixels of the whole image.

    Runs alternate background and foreground and start with background (a mask whose
    first pixel is set starts with a zero-length run), so ``sum(counts) == height * width``.
    """

    height: int
    width: int
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.height <= 0 or self.width <= 0:
            raise InvalidRecord(
                f"rle mask size must be positive, got {self.height}x{self.width}"
            )
        if any(not isinstance(c, int) or c < 0 for c in self.counts):
            raise InvalidRecord("rle mask counts must be non-negative integers")
        if sum(self.counts) != self.height * self.width:
            raise InvalidRecord(
                f"rle mask counts sum to {sum(self.counts)}, expected {self.height * self.width}"
            )


Geometry = Box | Point | Polygon | Polyline | RleMask


def check_geometry(geometry: Geometry, *, allow_empty_box: bool = False) -> None:
    """Check what the kernel's point and box leave open: finite points, boxes with area.

    Raises:
        InvalidRecord: a point is not finite, or a box has no area (unless
            ``allow_empty_box``: an anchor may be a point-like or line-like box).
    """
    match geometry:
        case Box(x0=x0, y0=y0, x1=x1, y1=y1) if not (
            geometry.has_area or allow_empty_box
        ):
            raise InvalidRecord(
                f"box needs x0 < x1 and y0 < y1, got [{x0}, {y0}, {x1}, {y1}]"
            )
        case (x, y):
            _check_finite("point", x, y)


def geometry_to_json(
    geometry: Geometry, *, allow_empty_box: bool = False
) -> dict[str, Any]:
    """Return the JSON object stored for ``geometry`` (``type`` plus its fields).

    Raises:
        InvalidRecord: the shape cannot be stored (see ``check_geometry``).
    """
    check_geometry(geometry, allow_empty_box=allow_empty_box)
    match geometry:
        case Box(x0=x0, y0=y0, x1=x1, y1=y1):
            return {"type": "box", "x0": x0, "y0": y0, "x1": x1, "y1": y1}
        case (x, y):
            return {"type": "point", "x": x, "y": y}
        case Polygon(points=points):
            return {"type": "polygon", "points": [list(p) for p in points]}
        case Polyline(points=points):
            return {"type": "line", "points": [list(p) for p in points]}
        case RleMask(height=height, width=width, counts=counts):
            return {
                "type": "rle",
                "height": height,
                "width": width,
                "counts": list(counts),
            }
    raise InvalidRecord(f"unknown geometry {geometry!r}")


def _checked(geometry: Geometry, allow_empty_box: bool) -> Geometry:
    check_geometry(geometry, allow_empty_box=allow_empty_box)
    return geometry


def geometry_from_json(
    data: Mapping[str, Any], *, allow_empty_box: bool = False
) -> Geometry:
    """Build geometry from its stored JSON object.

    ``allow_empty_box`` accepts a box without area (an anchor's exact box; a reviewer's
    drawn box must have area).

    Raises:
        InvalidRecord: unknown ``type`` or fields that do not describe a valid shape.
    """
    kind = data.get("type")
    try:
        match kind:
            case "box":
                box = Box(x0=data["x0"], y0=data["y0"], x1=data["x1"], y1=data["y1"])
                return _checked(box, allow_empty_box)
            case "point":
                return _checked((data["x"], data["y"]), allow_empty_box)
            case "polygon":
                return Polygon(points=tuple((p[0], p[1]) for p in data["points"]))
            case "line":
                return Polyline(points=tuple((p[0], p[1]) for p in data["points"]))
            case "rle":
                return RleMask(
                    height=data["height"],
                    width=data["width"],
                    counts=tuple(data["counts"]),
                )
    except InvalidValue as exc:
        raise InvalidRecord(str(exc)) from exc
    except (KeyError, TypeError, IndexError) as exc:
        raise InvalidRecord(
            f"geometry of type {kind!r} is missing a field: {exc}"
        ) from exc
    raise InvalidRecord(
        f"geometry type must be box, point, polygon, line or rle, got {kind!r}"
    )
