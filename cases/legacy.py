"""Payload shapes of earlier schema versions, so old audit records still verify.

The audit chain is append-only: a record keeps the payload as it was hashed when it was
written. Migration 0005 changed what a turn and an annotation store (turns count from 1;
an anchor's fields are typed columns instead of a ``detail`` copy of the engine's
description; the scorecard lives only in the sign-match rows, not also in the answer), so
``as_before_0005`` rebuilds, from today's rows, the payload that casebook hashed before
it. Any change to a stored value still changes the rebuilt payload.

Two cases cannot be rebuilt exactly, and neither comes from the casebook's own writes in
practice: a box anchor less than 1 px wide or tall with coordinates finer than 0.1 px
(0004 kept it widened to 1 px in one copy and rounded in the other; the migration keeps
the rounded one), and a turn with sign matches whose answer had no "scorecard" key.
"""

from __future__ import annotations

from typing import Any

from cases.model import JsonObject
from kernel import Language

# The sign-match columns that 0005 added in place of the answer's scorecard copy.
_SIGN_COLUMNS_0005 = (
    "name_en",
    "name_zh",
    "item_group",
    "reason_zh",
    "profile_name_en",
    "profile_name_zh",
)
_COUNTS = ("met", "not_met", "not_assessable")

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


def answer_scorecard(signs: list[JsonObject], language: Language) -> JsonObject | None:
    """The scorecard as the engine put it in its answer (``TurnResult.to_json``)."""
    if not signs:
        return None
    zh = language == "zh"

    def said(row: JsonObject, field: str) -> Any:
        return row[f"{field}_zh"] if zh else row[f"{field}_en"]

    statuses = [row["status"] for row in signs]
    first = signs[0]
    return {
        "profile": first["profile_id"],
        "profile_version": first["profile_version"],
        "name": said(first, "profile_name"),
        **{status: statuses.count(status) for status in _COUNTS},
        "total": len(signs),
        "items": [
            {
                "sign_code": row["sign_code"],
                "name": said(row, "name"),
                "group": row["item_group"],
                "status": row["status"],
                "evidence_anchor_ids": row["evidence_anchor_ids"],
                "reason": row["reason_zh"] if zh else row["reason"],
            }
            for row in signs
        ],
    }


def _turn_before_0005(body: JsonObject) -> JsonObject:
    turn, signs = body.get("turn"), body.get("sign_matches") or []
    old = {**body}
    if isinstance(turn, dict):
        answer = turn["answer_json"]
        if "scorecard" not in answer and signs:
            card = answer_scorecard(signs, Language(turn["language"]))
            old["turn"] = {**turn, "answer_json": {**answer, "scorecard": card}}
    old["sign_matches"] = [
        {k: v for k, v in s.items() if k not in _SIGN_COLUMNS_0005} for s in signs
    ]
    old["anchors"] = [_anchor_before_0005(a) for a in body.get("anchors") or []]
    return old


def as_before_0005(entity_type: str, body: JsonObject) -> JsonObject:
    """Return today's payload of an entity as casebook hashed it before migration 0005."""
    if entity_type == "turn":
        body = _turn_before_0005(body)
    return renumber_turns(entity_type, body, -1)
