"""The overlay without Streamlit: display copies, Fabric objects, drawn boxes, comparisons."""

from __future__ import annotations

import ast
import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.anchors import Anchor, AnchorKind, AnchorStyle
from kernel import Box, Geometry
from services import overlay
from services.overlay import (
    Badge,
    DisplayImage,
    DrawnBox,
    Layer,
    OverlayItem,
    SavedBox,
)


def display(
    width: int = 500,
    height: int = 400,
    image_width: int = 1000,
    image_height: int = 800,
    origin: tuple[float, float] = (0.0, 0.0),
    region: tuple[float, float] = (0.0, 0.0),
) -> DisplayImage:
    return DisplayImage(
        data=b"",
        width=width,
        height=height,
        image_width=image_width,
        image_height=image_height,
        origin_x=origin[0],
        origin_y=origin[1],
        region_width=region[0],
        region_height=region[1],
    )


def anchor(
    id: str = "A1",
    *,
    style: AnchorStyle = AnchorStyle.SCREENING,
    kind: AnchorKind = AnchorKind.FINDING,
    geometry: Geometry | None = None,
    **attributes,
) -> Anchor:
    return Anchor(
        id=id,
        kind=kind,
        label_en=f"label {id}",
        label_zh=f"标签 {id}",
        geometry=geometry or Geometry.from_box(Box(100, 200, 300, 360)),
        style=style,
        turn_index=1,
        attributes=attributes,
    )


def square(cx: float, cy: float, half: float) -> list[tuple[float, float]]:
    return [
        (cx - half, cy - half),
        (cx + half, cy - half),
        (cx + half, cy + half),
        (cx - half, cy + half),
    ]


def inside(point, polygon, tol=1e-6) -> bool:
    x, y = point
    n = len(polygon)
    for i in range(n):  # on an edge counts as inside
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % n]
        cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
        if (
            abs(cross) < tol * max(1.0, math.hypot(bx - ax, by - ay))
            and min(ax, bx) - tol <= x <= max(ax, bx) + tol
            and min(ay, by) - tol <= y <= max(ay, by) + tol
        ):
            return True
    hit = False
    for i in range(n):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % n]
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            hit = not hit
    return hit


# --------------------------------------------------------------------------- display copy


def test_display_copy_is_small_and_maps_back_exactly():
    rng = np.random.default_rng(0)
    pixels = rng.random(
        (2500, 3000), dtype=np.float32
    )  # noise: the worst case for JPEG
    copy = overlay.display_copy(pixels)
    assert max(copy.width, copy.height) == overlay.DISPLAY_LONG_SIDE
    assert len(copy.data) <= overlay.MAX_DISPLAY_BYTES
    decoded = PILImage.open(io.BytesIO(copy.data))
    assert decoded.format == "JPEG" and decoded.size == (copy.width, copy.height)
    for point in [(0.0, 0.0), (2999.0, 2499.0), (1234.5, 678.25)]:
        back = copy.to_image(copy.to_display(point))
        assert back == pytest.approx(point, abs=1e-9)
    assert copy.to_display((3000, 2500)) == pytest.approx((copy.width, copy.height))


def test_a_small_image_is_not_enlarged_and_keeps_its_grey_levels():
    pixels = np.tile(np.linspace(0, 1, 200, dtype=np.float32), (100, 1))
    copy = overlay.display_copy(pixels)
    assert (copy.width, copy.height) == (200, 100)
    decoded = np.asarray(PILImage.open(io.BytesIO(copy.data)), dtype=np.float32) / 255
    assert (
        abs(decoded[50, 5] - 0.0) < 0.05 and abs(decoded[50, 195] - 1.0) < 0.05
    )  # 1 = white, not inverted


def test_a_zoomed_copy_maps_its_region_to_the_canvas():
    pixels = np.zeros((1000, 800), np.float32)
    pixels[400:500, 300:400] = 1.0
    copy = overlay.display_copy(pixels, long_side=600, region=(250, 350, 550, 650))
    assert (copy.width, copy.height) == (600, 600)
    assert copy.zoomed
    assert copy.to_display((250, 350)) == pytest.approx((0, 0))
    assert copy.to_display((550, 650)) == pytest.approx((600, 600))
    assert copy.to_image((300, 300)) == pytest.approx((400, 500))
    decoded = np.asarray(PILImage.open(io.BytesIO(copy.data)), dtype=np.float32)
    assert (
        decoded[200, 200] > 200 and decoded[20, 20] < 50
    )  # the bright square sits where the mapping says


@pytest.mark.parametrize(
    "bad", [np.zeros((4, 4, 3), np.float32), np.zeros((10,), np.float32)]
)
def test_display_copy_refuses_what_is_not_a_grey_image(bad):
    with pytest.raises(ValueError, match="2-D"):
        overlay.display_copy(bad)


def test_zoom_region_is_square_inside_the_image_and_holds_the_target():
    for target in [
        Box(10, 10, 30, 30),
        Box(950, 750, 990, 790),
        Box(400, 300, 600, 520),
    ]:
        x0, y0, x1, y1 = overlay.zoom_region(target, 1000, 800)
        assert x1 - x0 == y1 - y0
        assert x0 >= 0 and y0 >= 0 and x1 <= 1000 and y1 <= 800
        assert (
            x0 <= target.x0 and y0 <= target.y0 and x1 >= target.x1 and y1 >= target.y1
        )
    x0, _, x1, _ = overlay.zoom_region(Box(500, 400, 510, 410), 1000, 800)
    assert x1 - x0 >= 0.25 * 800  # a tiny target still shows its surroundings


# --------------------------------------------------------------------------- anchors to Fabric objects


def test_every_object_is_placed_by_its_top_left_corner():
    d = display()
    items = [
        OverlayItem(
            anchor=anchor(
                f"A{i}",
                style=s,
                kind=AnchorKind.REGION
                if s is AnchorStyle.REGION
                else AnchorKind.FINDING,
                geometry=Geometry.polygon(square(400, 400, 60))
                if s
                in (AnchorStyle.CONTOUR, AnchorStyle.REGION, AnchorStyle.NOT_CONNECTED)
                else Geometry.line((100, 100), (500, 300))
                if s in (AnchorStyle.DISTANCE, AnchorStyle.GAP)
                else Geometry.point((300, 300))
                if s is AnchorStyle.POINT
                else None,
                label="4.7cm",
            ),
            status="created",
        )
        for i, s in enumerate(AnchorStyle)
    ]
    objects = overlay.overlay_objects(
        items,
        d,
        badge=Badge(title="Early lung cancer", met=3, not_met=2, not_assessable=1),
    )
    assert objects
    for obj in objects:
        assert obj["originX"] == "left" and obj["originY"] == "top"
        assert obj.get("selectable") is False and obj.get("evented") is False
        assert obj["type"] != overlay.REVIEWER_BOX_TYPE


def test_a_screening_box_lands_on_its_image_pixels():
    d = display()  # half size
    [rect, tag] = overlay.anchor_objects(
        OverlayItem(anchor=anchor(), status="created"), d
    )
    half = rect["strokeWidth"] / 2
    assert rect["type"] == "Rect"
    assert (rect["left"] + half, rect["top"] + half) == pytest.approx((50, 100))
    assert (rect["width"], rect["height"]) == pytest.approx((100, 80))
    assert rect["fill"] == overlay.SCREENING_FILL
    assert tag["type"] == "Text" and tag["text"] == "A1"


def test_a_contour_has_its_outline_notch_ticks_and_spicules():
    contour = anchor(
        "A2",
        style=AnchorStyle.CONTOUR,
        geometry=Geometry.polygon(square(500, 400, 50)),
        notches=[{"clock": 10, "depth_mm": 1.0}, {"clock": 3, "depth_mm": 0.8}],
        spicules=[{"clock": 6, "length_mm": 4.0, "tip": [500, 480]}],
        center=[500, 400],
    )
    d = display(width=1000, height=800)  # scale 1
    objects = overlay.anchor_objects(OverlayItem(anchor=contour, status="refined"), d)
    outline = next(o for o in objects if o["type"] == "Polygon")
    assert outline["stroke"] == overlay.CONTOUR_STROKE
    paths = [o for o in objects if o["type"] == "Path"]
    notch = next(p for p in paths if p["stroke"] == overlay.NOTCH_COLOUR)
    spicule = next(p for p in paths if p["stroke"] == overlay.SPICULE_COLOUR)
    assert len([c for c in notch["path"] if c[0] == "M"]) == 2
    # 3 o'clock is image-right: the tick crosses the right edge of the square (x = 550) at y = 400.
    starts = [(c[1], c[2]) for c in notch["path"] if c[0] == "M"]
    ends = [(c[1], c[2]) for c in notch["path"] if c[0] == "L"]
    three = [(s, e) for s, e in zip(starts, ends, strict=True) if s[0] < 550 < e[0]]
    assert three and three[0][0][1] == pytest.approx(400)
    # The spicule runs from the bottom edge (6 o'clock) to its tip.
    assert [c[1:] for c in spicule["path"]] == [
        pytest.approx([500, 450]),
        pytest.approx([500, 480]),
    ]
    labels = {o["text"] for o in objects if o["type"] == "Text"}
    assert {"10", "3", "A2"} <= labels


def test_a_distance_is_a_dashed_labelled_line_and_a_gap_a_solid_one():
    d = display(width=1000, height=800)
    line = Geometry.line((100, 100), (400, 500))
    dist = overlay.anchor_objects(
        OverlayItem(
            anchor=anchor(
                "A4",
                style=AnchorStyle.DISTANCE,
                kind=AnchorKind.MEASUREMENT,
                geometry=line,
                label="4.7cm",
                value_mm=47.0,
                value_px=470.0,
                calibration="PixelSpacing",
            )
        ),
        d,
    )
    gap = overlay.anchor_objects(
        OverlayItem(
            anchor=anchor(
                "A5",
                style=AnchorStyle.GAP,
                kind=AnchorKind.MEASUREMENT,
                geometry=line,
                label="1.3cm",
                value_mm=13.0,
                value_px=130.0,
                calibration="PixelSpacing",
            )
        ),
        d,
    )
    dashed = next(o for o in dist if o["type"] == "Path")
    assert (
        dashed["strokeDashArray"]
        and dashed["path"][0][1:] == [100, 100]
        and dashed["path"][1][1:] == [400, 500]
    )
    assert any(o["type"] == "Text" and o["text"] == "47.0 mm" for o in dist)
    solid = next(o for o in gap if o["type"] == "Path")
    assert "strokeDashArray" not in solid
    assert any(o["type"] == "Text" and o["text"] == "13.0 mm" for o in gap)


def test_not_connected_is_a_grid_that_stays_inside_its_corridor():
    corridor = [(100.0, 100.0), (400.0, 250.0), (380.0, 290.0), (80.0, 140.0)]
    d = display(width=1000, height=800)
    objects = overlay.anchor_objects(
        OverlayItem(
            anchor=anchor(
                "A6",
                style=AnchorStyle.NOT_CONNECTED,
                kind=AnchorKind.REGION,
                geometry=Geometry.polygon(corridor),
            )
        ),
        d,
    )
    grid = next(o for o in objects if o["type"] == "Path")
    points = [(c[1], c[2]) for c in grid["path"]]
    assert len(points) > 10
    assert all(inside(p, corridor, tol=0.05) for p in points)


def test_hatching_covers_a_square_with_the_expected_length():
    segments = overlay.hatch_segments(square(50, 50, 50), angle_deg=0, spacing=10)
    assert len(segments) == 10
    assert sum(math.dist(a, b) for a, b in segments) == pytest.approx(1000)


def test_a_ray_leaves_a_square_at_its_edge():
    poly = square(0, 0, 10)
    assert overlay.ray_exit((0, 0), 0.0, poly) == pytest.approx(
        (0, -10)
    )  # 12 o'clock is up
    assert overlay.ray_exit((0, 0), math.pi / 2, poly) == pytest.approx(
        (10, 0)
    )  # 3 o'clock is image-right
    assert overlay.ray_exit((100, 100), 0.0, poly) is None


def test_layers_switch_styles_off_and_labels_with_them():
    items = [
        OverlayItem(anchor=anchor("A1"), status="created"),
        OverlayItem(
            anchor=anchor(
                "A2",
                style=AnchorStyle.POINT,
                kind=AnchorKind.LANDMARK,
                geometry=Geometry.point((300, 300)),
            ),
            status="created",
        ),
    ]
    d = display()
    only_anatomy = overlay.overlay_objects(items, d, layers={Layer.ANATOMY})
    assert {o["type"] for o in only_anatomy} == {"Circle"}
    with_labels = overlay.overlay_objects(
        items, d, layers={Layer.ANATOMY, Layer.LABELS}
    )
    assert [o["text"] for o in with_labels if o["type"] == "Text"] == ["A2"]


def test_context_from_earlier_turns_is_quieter_and_the_selection_glows():
    d = display()
    old = overlay.anchor_objects(OverlayItem(anchor=anchor("A1"), status=None), d)[0]
    new = overlay.anchor_objects(OverlayItem(anchor=anchor("A1"), status="created"), d)[
        0
    ]
    picked = overlay.anchor_objects(
        OverlayItem(anchor=anchor("A1"), status=None), d, highlight={"A1"}
    )[0]
    assert old["opacity"] < new["opacity"] == 1.0
    assert "shadow" not in new and picked["shadow"]["blur"] > 0
    assert picked["strokeWidth"] > new["strokeWidth"]


def test_saved_annotations_and_the_badge_are_drawn_on_top():
    d = display()
    objects = overlay.overlay_objects(
        [],
        d,
        saved=[SavedBox(tag="R7", box=Box(10, 20, 110, 220))],
        badge=Badge(title="Early lung cancer", met=3, not_met=2, not_assessable=1),
    )
    rect = next(o for o in objects if o["type"] == "Rect")
    assert rect["stroke"] == overlay.ANNOTATION_STROKE and rect["strokeDashArray"]
    texts = [o["text"] for o in objects if o["type"] == "Text"]
    assert texts[-1] == "Early lung cancer\n3 met · 2 not met · 1 not assessable"
    assert "R7" in texts


def test_a_tag_off_a_zoomed_view_is_not_pinned_to_its_edge():
    d = display(width=300, height=300, origin=(500, 500), region=(300, 300))
    far = overlay.anchor_objects(
        OverlayItem(
            anchor=anchor("A9", geometry=Geometry.from_box(Box(10, 10, 50, 50))),
            status="created",
        ),
        d,
    )
    assert not any(o["type"] == "Text" for o in far)


# --------------------------------------------------------------------------- drawn boxes back to image pixels


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"left": 50, "top": 100, "width": 100, "height": 80}, (100, 200, 300, 360)),
        (
            {
                "left": 50,
                "top": 100,
                "width": 50,
                "height": 40,
                "scaleX": 2,
                "scaleY": 2,
            },
            (100, 200, 300, 360),
        ),
        (
            {
                "left": 100,
                "top": 140,
                "width": 100,
                "height": 80,
                "originX": "center",
                "originY": "center",
            },
            (100, 200, 300, 360),
        ),
        ({"left": 150, "top": 180, "width": -100, "height": -80}, (100, 200, 300, 360)),
        (
            {"left": -20, "top": -20, "width": 70, "height": 70},
            (0, 0, 100, 100),
        ),  # clipped to the image
    ],
)
def test_a_drawn_box_maps_to_image_pixels(obj, expected):
    d = display()  # 0.5 display px per image px
    boxes = overlay.drawn_boxes(
        {"objects": [{"type": "LabeledRect", "label": "nodule?", **obj}]}, d
    )
    assert [b.label for b in boxes] == ["nodule?"]
    b = boxes[0].box
    assert (b.x0, b.y0, b.x1, b.y1) == pytest.approx(expected)


def test_anchors_slivers_and_junk_are_not_drawn_boxes():
    d = display()
    json_data = {
        "objects": [
            {"type": "Rect", "left": 0, "top": 0, "width": 100, "height": 100},
            {"type": "LabeledRect", "left": 10, "top": 10, "width": 0.5, "height": 50},
            {"type": "LabeledRect", "left": "x", "top": 10, "width": 5, "height": 5},
            "not an object",
            {
                "type": "LabeledRect",
                "left": 600,
                "top": 500,
                "width": 40,
                "height": 40,
            },  # beyond the image
        ]
    }
    assert overlay.drawn_boxes(json_data, d) == []
    assert overlay.drawn_boxes(None, d) == []


@pytest.mark.parametrize(
    "view",
    [display(), display(width=600, height=600, origin=(250, 150), region=(400, 400))],
)
def test_a_drawn_box_survives_a_round_trip_through_the_canvas(view):
    drawn = DrawnBox(label="区域", box=Box(300.0, 250.0, 420.0, 330.0))
    back = overlay.drawn_boxes(
        {"objects": [overlay.drawn_box_object(drawn, view)]}, view
    )
    assert back[0].label == "区域"
    assert (
        back[0].box.x0,
        back[0].box.y0,
        back[0].box.x1,
        back[0].box.y1,
    ) == pytest.approx((300, 250, 420, 330))


# --------------------------------------------------------------------------- comparing shapes


@pytest.mark.parametrize(
    ("drawn", "target", "iou", "hit", "passed"),
    [
        (Box(0, 0, 10, 10), Box(0, 0, 10, 10), 1.0, True, True),
        (Box(0, 0, 10, 10), Box(6, 0, 16, 10), 4 / 16, False, False),
        (
            Box(0, 0, 40, 40),
            Box(15, 15, 25, 25),
            100 / 1600,
            True,
            False,
        ),  # around it, far too loose
        (Box(100, 100, 110, 110), Box(0, 0, 10, 10), 0.0, False, False),
    ],
)
def test_a_quiz_box_is_scored_by_iou_and_centre_hit(drawn, target, iou, hit, passed):
    score = overlay.score_box(drawn, target, iou_threshold=0.5)
    assert score.iou == pytest.approx(iou)
    assert (score.centre_hit, score.passed) == (hit, passed)


def test_the_quiz_threshold_must_make_sense():
    with pytest.raises(ValueError, match="iou_threshold"):
        overlay.score_box(Box(0, 0, 1, 1), Box(0, 0, 1, 1), iou_threshold=0)


def test_anchors_pair_by_overlap_and_kind_and_the_rest_stays_unpaired():
    a = [
        anchor("A1", geometry=Geometry.from_box(Box(100, 100, 200, 200))),
        anchor(
            "A2",
            style=AnchorStyle.POINT,
            kind=AnchorKind.LANDMARK,
            geometry=Geometry.point((500, 500)),
        ),
        anchor("A3", geometry=Geometry.from_box(Box(700, 700, 750, 750))),
    ]
    b = [
        anchor("B1", geometry=Geometry.from_box(Box(110, 110, 210, 210))),
        anchor(
            "B2",
            style=AnchorStyle.POINT,
            kind=AnchorKind.LANDMARK,
            geometry=Geometry.point((510, 505)),
        ),
        anchor(
            "B3",
            style=AnchorStyle.POINT,
            kind=AnchorKind.LANDMARK,
            geometry=Geometry.point((110, 110)),
        ),
    ]
    matches = overlay.match_anchors(a, b, spacing_mm=(0.5, 0.5))
    pairs = {(m.a.id if m.a else None, m.b.id if m.b else None) for m in matches}
    assert pairs == {("A1", "B1"), ("A2", "B2"), ("A3", None), (None, "B3")}
    landmark = next(m for m in matches if m.a is not None and m.a.id == "A2")
    assert landmark.centre_distance_mm == pytest.approx(math.hypot(10, 5) * 0.5)
    uncalibrated = overlay.match_anchors(
        a[1:2], b[1:2], spacing_mm=None, max_centre_px=5
    )
    assert [(m.a is None, m.b is None) for m in uncalibrated] == [
        (False, True),
        (True, False),
    ]


def test_the_focus_is_the_turns_most_refined_finding():
    screening = anchor("A1")
    contour = Anchor(
        id="A2",
        kind=AnchorKind.FINDING,
        label_en="c",
        label_zh="c",
        style=AnchorStyle.CONTOUR,
        geometry=Geometry.polygon(square(200, 280, 40)),
        turn_index=2,
        parent_ids=("A1",),
    )
    hilum = anchor(
        "A3",
        style=AnchorStyle.POINT,
        kind=AnchorKind.LANDMARK,
        geometry=Geometry.point((500, 400)),
    )
    items = [
        OverlayItem(anchor=screening, status="referenced"),
        OverlayItem(anchor=contour, status="refined"),
        OverlayItem(anchor=hilum, status="created"),
    ]
    assert overlay.focus_anchor(items) is contour
    assert overlay.focus_anchor([OverlayItem(anchor=hilum, status="created")]) is None
    assert (
        overlay.focus_anchor(
            [
                OverlayItem(anchor=screening, status=None),
                OverlayItem(anchor=hilum, status="created"),
            ]
        )
        is screening
    )


def test_labels_of_anchors_that_share_a_corner_do_not_cover_each_other():
    # Three regions with the same top-left corner: their tags would sit on one spot.
    items = [
        OverlayItem(
            anchor=anchor(
                f"A{n}", geometry=Geometry.from_box(Box(100, 200, 300 + n, 360))
            )
        )
        for n in range(1, 4)
    ]
    objects = overlay.overlay_objects(items, display())
    tags = [o for o in objects if o["type"] == "Text"]
    assert [t["text"] for t in tags] == ["A1", "A2", "A3"]
    boxes = [overlay._text_box(t) for t in tags]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not overlay._overlaps(a, b), (a, b)
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= 500 and a[3] <= 400
    assert tags[0]["left"] == pytest.approx(50.0)  # the first keeps its place


# ------------------------------------------------------------------ one palette

ROOT = Path(__file__).resolve().parents[2]
# The files that draw the overlay: the live canvas, the exported PNG, the drawing widget.
DRAWING = (
    "services/overlay.py",
    "services/render.py",
    "dashboard/components/canvas.py",
)
CSS_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")


def _colour_literals(source: str) -> list[str]:
    """CSS colour strings and 3- or 4-int tuples of 0..255 written in the code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if CSS_COLOUR.search(node.value):
                found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Tuple) and len(node.elts) in (3, 4):
            values = [getattr(e, "value", None) for e in node.elts]
            if all(type(v) is int and 0 <= v <= 255 for v in values):
                found.append(f"{node.lineno}: {tuple(values)}")
    return found


@pytest.mark.parametrize("path", DRAWING)
def test_the_overlay_colours_come_from_the_one_palette(path):
    # The canvas and the exported PNG draw the same marks: a colour written in one of
    # them, not in services/palette.py, is the second palette the overlay once had.
    found = _colour_literals((ROOT / path).read_text(encoding="utf-8"))
    assert not found, f"{path}: name these colours in services/palette.py: {found}"


def test_the_colour_scan_sees_css_and_rgba_tuples():
    source = 'a = "rgba(1, 2, 3, 0.5)"\nb = "#ffffff"\nc = fade((255, 152, 0, 153))\n'
    assert len(_colour_literals(source)) == 3
