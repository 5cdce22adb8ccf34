"""Payload shapes of earlier schema versions, so old audit records still verify.

The audit chain is append-only: a record keeps the payload as it was hashed when it was
written. Migration 0005 changed what a turn and an annotation store (turns count from 1;
an anchor's fields are typed columns instead of a ``detail`` copy of the engine's
description), so ``as_before_0005`` rebuilds, from today's rows, the payload that casebook
hashed before it. Any change to a stored value still changes the rebuilt payload.

One case cannot be rebuilt exactly: a box anchor less than 1 px wide or tall written
before 0005 with coordinates finer than 0.1 px (0004 kept it widened to 1 px in one copy
and rounded in the other; the migration keeps the rounded one).
"""

from __future__ import annotations

from typing import Any

from cases.model import JsonObject

# The anchor columns that 0005 added in place of the ``detail`` copy.
_ANCHOR_COLUMNS_0005 = (
    "label_zh",
    "style",
    "region",
    "lobe",
    "finding_id",
    "size_mm",
    "attributes",
)


def _shift(value: Any, delta: int) -> Any:
    return None if value is None else value + delta


def renumber_turns(entity_type: str, body: JsonObject, delta: int) -> JsonObject:
    """Return an audited payload with every turn number moved by ``delta``.

    ``delta=-1`` gives a payload as it was hashed while turns counted from 0 (before
    migration 0005); ``delta=+1`` shows such a historical payload in today's numbering.
    """
    if entity_type == "annotation":
        return {**body, "turn_index": _shift(body.get("turn_index"), delta)}
    if entity_type != "turn":
        return body
    moved: JsonObject = {}
    for section, value in body.items():
        if isinstance(value, dict):
            moved[section] = {
                **value,
                "turn_index": _shift(value.get("turn_index"), delta),
            }
        elif isinstance(value, list):
            moved[section] = [
                {**v, "turn_index": _shift(v.get("turn_index"), delta)} for v in value
            ]
        else:
            moved[section] = value
    return moved


def _widened(geometry: JsonObject) -> JsonObject:
    """The 0004 store's box: at least 1 px wide and tall (the engine's own was exact)."""
    if geometry.get("type") != "box":
        return geometry
    return {
        **geometry,
        "x1": max(geometry["x1"], geometry["x0"] + 1),
        "y1": max(geometry["y1"], geometry["y0"] + 1),
    }


def _engine_geometry(geometry: JsonObject) -> JsonObject:
    """The stored geometry in the engine's JSON form, as 0004 kept it in ``detail``."""
    kind = geometry.get("type")
    if kind == "box":
        bbox = [geometry[k] for k in ("x0", "y0", "x1", "y1")]
        return {"type": "box", "bbox": [round(v, 1) for v in bbox]}
    if kind == "point":
        return {"type": "point", "points": [[geometry["x"], geometry["y"]]]}
    if kind == "rle":
        return {
            "type": "mask",
            "rle": geometry["counts"],
            "shape": [geometry["height"], geometry["width"]],
        }
    return {"type": kind, "points": geometry["points"]}


def _anchor_detail(anchor: JsonObject) -> JsonObject:
    """The engine's description of an anchor, as 0003 and 0004 stored it."""
    if anchor.get("style") is None:
        return {}  # written before 0003, which added the description
    return {
        "id": anchor["anchor_id"],
        "kind": anchor["kind"],
        "label_en": anchor["label"],
        "label_zh": anchor["label_zh"],
        "geometry": _engine_geometry(anchor["geometry"]),
        "style": anchor["style"],
        "turn_index": anchor["turn_index"],  # the engine's number, from 1
        "side": anchor["side"],
        "zone": anchor["zone"],
        "band": anchor["band"],
        "lobe": anchor["lobe"],
        "region": anchor["region"],
        "finding_id": anchor["finding_id"],
        "parent_ids": anchor["parent_ids"],
        "confidence": anchor["confidence"],
        "size_mm": anchor["size_mm"],
        "attributes": anchor["attributes"],
    }


def _anchor_before_0005(anchor: JsonObject) -> JsonObject:
    old = {k: v for k, v in anchor.items() if k not in _ANCHOR_COLUMNS_0005}
    old["geometry"] = _widened(anchor["geometry"])
    old["detail"] = _anchor_detail(anchor)
    return old


def as_before_0005(entity_type: str, body: JsonObject) -> JsonObject:
    """Return today's payload of an entity as casebook hashed it before migration 0005."""
    if entity_type == "turn" and isinstance(body.get("anchors"), list):
        body = {**body, "anchors": [_anchor_before_0005(a) for a in body["anchors"]]}
    return renumber_turns(entity_type, body, -1)
