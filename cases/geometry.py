"""The stored JSON form of anchor and annotation geometry (``kernel.Geometry``).

Coordinates follow docs/architecture.md: pixels of the image as imported, origin top-left,
``x`` to the right (columns), ``y`` down (rows).

The form is the one the store has written since its first database, and the audit chain
hashed it: a box is ``x0..y1``, a point ``x, y``, a mask ``type: "rle"`` with ``height``,
``width`` and ``counts``. Reading keeps every number as stored, so a row read back writes
the same bytes and an old database still verifies. (The engine's answers use
``Geometry.to_json``, which differs for boxes and masks.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cases.errors import InvalidRecord
from kernel import Box, Geometry, InvalidValue, Point

__all__ = ["Box", "Geometry", "Point", "geometry_from_json", "geometry_to_json"]


def check_geometry(geometry: Geometry, *, allow_empty_box: bool = False) -> None:
    """Check what ``kernel.Geometry`` leaves open: a stored box has area.

    Raises:
        InvalidRecord: a box has no area (unless ``allow_empty_box``: an anchor may be a
            point-like or line-like box).
    """
    if geometry.kind == "box" and not allow_empty_box:
        box = geometry.bounding_box()
        if not box.has_area:
            raise InvalidRecord(
                f"box needs x0 < x1 and y0 < y1, got "
                f"[{box.x0}, {box.y0}, {box.x1}, {box.y1}]"
            )


def geometry_to_json(
    geometry: Geometry, *, allow_empty_box: bool = False
) -> dict[str, Any]:
    """Return the JSON object stored for ``geometry`` (``type`` plus its fields).

    Raises:
        InvalidRecord: the shape cannot be stored (see ``check_geometry``).
    """
    check_geometry(geometry, allow_empty_box=allow_empty_box)
    match geometry.kind:
        case "box":
            (x0, y0), (x1, y1) = geometry.points
            return {"type": "box", "x0": x0, "y0": y0, "x1": x1, "y1": y1}
        case "point":
            ((x, y),) = geometry.points
            return {"type": "point", "x": x, "y": y}
        case "mask":
            assert geometry.shape is not None
            height, width = geometry.shape
            return {
                "type": "rle",
                "height": height,
                "width": width,
                "counts": list(geometry.rle),
            }
    # A polygon or a line.
    return {"type": geometry.kind, "points": [list(p) for p in geometry.points]}


def _read(data: Mapping[str, Any]) -> Geometry:
    match data.get("type"):
        case "box":
            corners = ((data["x0"], data["y0"]), (data["x1"], data["y1"]))
            return Geometry("box", corners)
        case "point":
            return Geometry("point", ((data["x"], data["y"]),))
        case "polygon" | "line" as kind:
            return Geometry(kind, tuple((p[0], p[1]) for p in data["points"]))
        case "rle":
            return Geometry(
                "mask",
                rle=tuple(data["counts"]),
                shape=(data["height"], data["width"]),
            )
    raise InvalidRecord(
        f"geometry type must be box, point, polygon, line or rle, got {data.get('type')!r}"
    )


def geometry_from_json(
    data: Mapping[str, Any], *, allow_empty_box: bool = False
) -> Geometry:
    """Build geometry from its stored JSON object.

    ``allow_empty_box`` accepts a box without area (an anchor's exact box; a reviewer's
    drawn box must have area).

    Raises:
        InvalidRecord: unknown ``type`` or fields that do not describe a valid shape.
    """
    try:
        geometry = _read(data)
    except InvalidValue as exc:
        raise InvalidRecord(str(exc)) from exc
    except (KeyError, TypeError, IndexError) as exc:
        raise InvalidRecord(
            f"geometry of type {data.get('type')!r} is missing a field: {exc}"
        ) from exc
    check_geometry(geometry, allow_empty_box=allow_empty_box)
    return geometry
