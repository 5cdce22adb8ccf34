"""The stored JSON of a shape: the bytes the audit chain hashed stay the bytes written.

The expected strings are what the store wrote before ``kernel.Geometry`` replaced its
own box/point/polygon/line/mask types (cases/geometry.py of main before issue 13), so an
old database's rows read back and re-serialise to the hashed payload.
"""

import json

import pytest

from cases import InvalidRecord
from cases.geometry import geometry_from_json, geometry_to_json
from cases.model import canonical_json

STORED = [
    '{"type":"box","x0":40,"x1":70,"y0":100,"y1":130}',
    '{"type":"box","x0":40.0,"x1":70.25,"y0":100.5,"y1":130.0}',
    '{"type":"point","x":100,"y":110}',
    '{"type":"point","x":1.5,"y":2.0}',
    '{"points":[[42,102],[68.5,101],[69,128]],"type":"polygon"}',
    '{"points":[[0,0],[4,1],[2,6]],"type":"line"}',
    '{"counts":[3,2,5,1,1],"height":3,"type":"rle","width":4}',
]


@pytest.mark.parametrize("text", STORED)
def test_a_stored_shape_reads_back_and_writes_the_same_bytes(text):
    geometry = geometry_from_json(json.loads(text))
    assert canonical_json(geometry_to_json(geometry)) == text


def test_each_stored_type_is_the_kernel_kind_it_names():
    kinds = [geometry_from_json(json.loads(t)).kind for t in STORED]
    assert kinds == ["box", "box", "point", "point", "polygon", "line", "mask"]


def test_an_anchor_may_keep_a_box_without_area_and_a_drawn_box_may_not():
    flat = {"type": "box", "x0": 5, "y0": 5, "x1": 5, "y1": 9}
    assert geometry_from_json(flat, allow_empty_box=True).bounding_box().width == 0
    with pytest.raises(InvalidRecord, match="x0 < x1"):
        geometry_from_json(flat)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "hexagon"}, "must be box, point, polygon, line or rle"),
        ({"type": "box", "x0": 1}, "missing a field"),
        ({"type": "box", "x0": 9, "y0": 0, "x1": 1, "y1": 5}, "out of order"),
        ({"type": "polygon", "points": [[0, 0], [1, 1]]}, "at least 3 points"),
        ({"type": "rle", "height": 2, "width": 2, "counts": [1, 1]}, "cover 2"),
    ],
)
def test_a_bad_stored_shape_is_an_invalid_record(data, message):
    with pytest.raises(InvalidRecord, match=message):
        geometry_from_json(data)
