"""The case view's overlay without Streamlit: anchors to Fabric 7 objects and back.

The canvas shows a downscaled display copy of the radiograph. Everything here works in
two coordinate systems: image pixels (as imported, docs/architecture.md) and display
pixels (the canvas). ``DisplayImage`` holds the exact scale between them, so an anchor
drawn on the canvas and a box a reviewer draws back map to the same image pixels.

Fabric 7 places an object by its origin, which defaults to the centre; every object made
here says ``originX="left"``, ``originY="top"`` and gives the top-left corner of its
bounding box, stroke included (Fabric counts the stroke in the box it positions).

The visual language follows the seed article: translucent light-blue regions for the first
screening pass; a refined contour with a warm focus for the lesion under discussion;
small yellow ticks at the notch clock positions and short white strokes for spicules; a
dashed line labelled with the distance from lesion centre to hilum; a solid line across a
gap; a yellow grid over a corridor with no connecting strand; a badge with the scorecard
counts.

This module also holds the geometry that compares shapes (IoU, centre hits, anchor
matching) for the replay quiz and the compare page. It must not import Streamlit or
``streamlit_drawable_canvas`` (the latter fails outside a Streamlit runtime).
"""

from __future__ import annotations

import io
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage

from engine.anchors import Anchor, AnchorKind, AnchorStyle
from engine.geometry import Box, clock_angle
from kernel import Language, Point
from services import palette, quantities
from services.palette import css

FABRIC_VERSION = "7.4.0"
DISPLAY_LONG_SIDE = 900
MAX_DISPLAY_BYTES = 1_500_000
REVIEWER_BOX_TYPE = "LabeledRect"
"""What the canvas's ``labeled_rect`` mode draws; anchors never use this type."""

Json = dict[str, Any]


# --------------------------------------------------------------------------- display copy


@dataclass(frozen=True, slots=True, kw_only=True)
class DisplayImage:
    """A JPEG display copy of a radiograph (or of a region of it) and its exact scale.

    The copy shows the image region that starts at (``origin_x``, ``origin_y``) and spans
    ``region_width`` x ``region_height`` image pixels (the whole image unless zoomed).
    """

    data: bytes = field(repr=False)
    width: int
    """Display (canvas) pixels."""
    height: int
    image_width: int
    """Columns of the image as imported."""
    image_height: int
    """Rows of the image as imported."""
    origin_x: float = 0.0
    origin_y: float = 0.0
    region_width: float = 0.0
    """Image columns shown (0 means the whole width)."""
    region_height: float = 0.0

    @property
    def scale_x(self) -> float:
        """Display pixels per image column."""
        return self.width / (self.region_width or self.image_width)

    @property
    def scale_y(self) -> float:
        """Display pixels per image row."""
        return self.height / (self.region_height or self.image_height)

    @property
    def zoomed(self) -> bool:
        """Whether the copy shows only part of the image."""
        return bool(self.region_width) and (self.region_width, self.region_height) != (
            self.image_width,
            self.image_height,
        )

    def to_display(self, point: Point) -> Point:
        """Map an image point to display pixels."""
        return (
            (point[0] - self.origin_x) * self.scale_x,
            (point[1] - self.origin_y) * self.scale_y,
        )

    def to_image(self, point: Point) -> Point:
        """Map a display point back to image pixels."""
        return (
            point[0] / self.scale_x + self.origin_x,
            point[1] / self.scale_y + self.origin_y,
        )


def display_size(
    rows: int, columns: int, long_side: int = DISPLAY_LONG_SIDE
) -> tuple[int, int]:
    """Return (width, height) of the display copy: the long side at most ``long_side``."""
    if rows < 1 or columns < 1:
        raise ValueError(f"image size must be positive, got {columns}x{rows}")
    factor = min(1.0, long_side / max(rows, columns))
    return max(1, round(columns * factor)), max(1, round(rows * factor))


def base_display(columns: int, rows: int, long_side: int) -> DisplayImage:
    """The whole image's geometry at ``long_side`` without pixels: the viewer's overlay base."""
    width, height = display_size(rows, columns, long_side)
    return DisplayImage(
        data=b"", width=width, height=height, image_width=columns, image_height=rows
    )


def zoom_region(
    target: Box,
    image_width: int,
    image_height: int,
    *,
    factor: float = 3.0,
    min_fraction: float = 0.25,
) -> tuple[int, int, int, int]:
    """Return a square region (x0, y0, x1, y1, whole pixels) around a target, inside the image.

    The region is ``factor`` times the target's larger side, at least ``min_fraction`` of
    the image's shorter side, so a small nodule still shows its surroundings.
    """
    side = max(target.width, target.height) * factor
    side = max(side, min(image_width, image_height) * min_fraction)
    side = min(side, image_width, image_height)
    cx, cy = target.center
    x0 = min(max(cx - side / 2, 0.0), image_width - side)
    y0 = min(max(cy - side / 2, 0.0), image_height - side)
    return round(x0), round(y0), round(x0 + side), round(y0 + side)


def display_copy(
    pixels: npt.NDArray[np.floating[Any]],
    *,
    long_side: int = DISPLAY_LONG_SIDE,
    max_bytes: int = MAX_DISPLAY_BYTES,
    region: tuple[int, int, int, int] | None = None,
) -> DisplayImage:
    """Downscale presentation values (0..1, 1 = white) to a JPEG for the canvas.

    Args:
        pixels: presentation values of the whole image.
        long_side: the display copy's longer side in pixels (never upscaled beyond it).
        max_bytes: the largest JPEG to send; quality drops until it fits.
        region: (x0, y0, x1, y1) image pixels to show instead of the whole image.

    Raises:
        ValueError: the array is not a 2-D image, the region is empty, or no quality fits
            ``max_bytes``.
    """
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got shape {pixels.shape}")
    rows, columns = pixels.shape
    x0, y0, x1, y1 = region or (0, 0, columns, rows)
    x0, y0 = max(0, int(x0)), max(0, int(y0))
    x1, y1 = min(columns, int(x1)), min(rows, int(y1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise ValueError(
            f"the display region {region} lies outside the {columns}x{rows} image"
        )
    part = pixels[y0:y1, x0:x1]
    # A zoomed region is enlarged to the display size; the whole image is only reduced.
    if region is None:
        width, height = display_size(y1 - y0, x1 - x0, long_side)
    else:
        factor = long_side / max(y1 - y0, x1 - x0)
        width, height = (
            max(1, round((x1 - x0) * factor)),
            max(1, round((y1 - y0) * factor)),
        )
    grey = np.clip(np.nan_to_num(part.astype(np.float32)), 0.0, 1.0)
    image = PILImage.fromarray(np.round(grey * 255).astype(np.uint8), mode="L")
    if (width, height) != (x1 - x0, y1 - y0):
        image = image.resize((width, height), PILImage.Resampling.LANCZOS)
    for quality in (90, 80, 70, 55, 40):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        if buffer.tell() <= max_bytes:
            return DisplayImage(
                data=buffer.getvalue(),
                width=width,
                height=height,
                image_width=columns,
                image_height=rows,
                origin_x=float(x0),
                origin_y=float(y0),
                region_width=float(x1 - x0),
                region_height=float(y1 - y0),
            )
    raise ValueError(
        f"a {width}x{height} display copy does not fit in {max_bytes} bytes; lower long_side"
    )


# --------------------------------------------------------------------------- layers and styles


class Layer(StrEnum):
    """Groups of overlay objects a reader can switch on and off."""

    SCREENING = "screening"
    CONTOURS = "contours"
    ANATOMY = "anatomy"
    MEASUREMENTS = "measurements"
    READER = "reader"
    LABELS = "labels"


ALL_LAYERS = frozenset(Layer)

STYLE_LAYER: Mapping[AnchorStyle, Layer] = {
    AnchorStyle.SCREENING: Layer.SCREENING,
    AnchorStyle.CONTOUR: Layer.CONTOURS,
    AnchorStyle.REGION: Layer.ANATOMY,
    AnchorStyle.POINT: Layer.ANATOMY,
    AnchorStyle.DISTANCE: Layer.MEASUREMENTS,
    AnchorStyle.GAP: Layer.MEASUREMENTS,
    AnchorStyle.NOT_CONNECTED: Layer.MEASUREMENTS,
    AnchorStyle.USER_BOX: Layer.READER,
    AnchorStyle.MODEL_BOX: Layer.READER,
}

# The canvas's colours as CSS, from the one palette the exported PNGs use too.
SCREENING_FILL = css(palette.SCREENING_FILL)
SCREENING_STROKE = css(palette.SCREENING_STROKE)
CONTOUR_STROKE = css(palette.CONTOUR_STROKE)
FOCUS_COLOUR = palette.FOCUS
NOTCH_COLOUR = css(palette.NOTCH)
SPICULE_COLOUR = css(palette.SPICULE)
REGION_STROKE = css(palette.REGION_STROKE)
LANDMARK_FILL = css(palette.LANDMARK)
DISTANCE_STROKE = css(palette.DISTANCE)
GAP_STROKE = css(palette.GAP)
HATCH_STROKE = css(palette.HATCH)
HATCH_FILL = css(palette.HATCH_FILL)
USER_BOX_STROKE = css(palette.USER_BOX)
MODEL_BOX_STROKE = css(palette.MODEL_BOX)
ANNOTATION_STROKE = css(palette.REVIEWER)
HIGHLIGHT_GLOW = css(palette.HIGHLIGHT_GLOW)
TAG_BACKGROUND = css(palette.TAG_BACKGROUND)
WORKING_BOX_STROKE = css(palette.WORKING_BOX)
WORKING_BOX_FILL = css(palette.WORKING_BOX_FILL)
CONTOUR_FILL = css(palette.CONTOUR_FILL)
HILUM_OUTLINE = css(palette.HILUM_OUTLINE)
USER_BOX_FILL = css(palette.USER_BOX_FILL)
BADGE_BACKGROUND = css(palette.BADGE_BACKGROUND)
WHITE = css(palette.WHITE)


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlayItem:
    """An anchor as it stood after the shown turn, and what that turn did with it."""

    anchor: Anchor
    status: str | None = None
    """``created``, ``refined``, ``referenced``, or None when the turn left it alone."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Badge:
    """The scorecard counts shown on the image."""

    title: str
    met: int
    not_met: int
    not_assessable: int
    labels: tuple[str, str, str] = ("met", "not met", "not assessable")

    def text(self) -> str:
        """Return the badge's two lines."""
        met, not_met, na = self.labels
        return f"{self.title}\n{self.met} {met} · {self.not_met} {not_met} · {self.not_assessable} {na}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedBox:
    """A stored reviewer annotation drawn on the overlay (image pixels)."""

    tag: str
    """Short tag shown beside it, e.g. ``R2``."""
    box: Box


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawnBox:
    """A box a reviewer or learner drew on the canvas, in image pixels."""

    label: str
    box: Box


# --------------------------------------------------------------------------- geometry helpers


def _box_object(
    x0: float, y0: float, x1: float, y1: float, *, stroke_width: float, **style: Any
) -> Json:
    half = stroke_width / 2
    return {
        "type": "Rect",
        "originX": "left",
        "originY": "top",
        "left": x0 - half,
        "top": y0 - half,
        "width": max(x1 - x0, 1.0),
        "height": max(y1 - y0, 1.0),
        "strokeWidth": stroke_width,
        "selectable": False,
        "evented": False,
        **style,
    }


def _polygon_object(
    points: Sequence[Point], *, stroke_width: float, **style: Any
) -> Json:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    half = stroke_width / 2
    return {
        "type": "Polygon",
        "originX": "left",
        "originY": "top",
        "left": min(xs) - half,
        "top": min(ys) - half,
        "points": [{"x": round(x, 2), "y": round(y, 2)} for x, y in points],
        "strokeWidth": stroke_width,
        "selectable": False,
        "evented": False,
        **style,
    }


def _path_object(
    segments: Sequence[tuple[Point, Point]], *, stroke_width: float, **style: Any
) -> Json:
    """One Path of straight segments (each ``M a L b``)."""
    commands: list[list[Any]] = []
    xs: list[float] = []
    ys: list[float] = []
    for (ax, ay), (bx, by) in segments:
        commands.append(["M", round(ax, 2), round(ay, 2)])
        commands.append(["L", round(bx, 2), round(by, 2)])
        xs += [ax, bx]
        ys += [ay, by]
    half = stroke_width / 2
    return {
        "type": "Path",
        "originX": "left",
        "originY": "top",
        "left": min(xs) - half,
        "top": min(ys) - half,
        "path": commands,
        "fill": None,
        "strokeWidth": stroke_width,
        "strokeLineCap": "round",
        "selectable": False,
        "evented": False,
        **style,
    }


def _circle_object(
    center: Point, radius: float, *, stroke_width: float, **style: Any
) -> Json:
    half = stroke_width / 2
    return {
        "type": "Circle",
        "originX": "left",
        "originY": "top",
        "left": center[0] - radius - half,
        "top": center[1] - radius - half,
        "radius": radius,
        "strokeWidth": stroke_width,
        "selectable": False,
        "evented": False,
        **style,
    }


def _text_object(
    text: str, left: float, top: float, *, font_size: int = 13, **style: Any
) -> Json:
    return {
        "type": "Text",
        "originX": "left",
        "originY": "top",
        "left": left,
        "top": top,
        "text": text,
        "fontSize": font_size,
        "fontFamily": "Helvetica, Arial, sans-serif",
        "fill": WHITE,
        "textBackgroundColor": TAG_BACKGROUND,
        "selectable": False,
        "evented": False,
        **style,
    }


def ray_exit(center: Point, angle: float, polygon: Sequence[Point]) -> Point | None:
    """Return where a ray from ``center`` (angle 0 = up, clockwise) leaves a polygon."""
    dx, dy = math.sin(angle), -math.cos(angle)
    best: float | None = None
    n = len(polygon)
    for i in range(n):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % n]
        ex, ey = bx - ax, by - ay
        denom = dx * ey - dy * ex
        if abs(denom) < 1e-12:
            continue
        t = ((ax - center[0]) * ey - (ay - center[1]) * ex) / denom
        u = ((ax - center[0]) * dy - (ay - center[1]) * dx) / denom
        if t > 1e-9 and -1e-9 <= u <= 1 + 1e-9 and (best is None or t < best):
            best = t
    if best is None:
        return None
    return (center[0] + dx * best, center[1] + dy * best)


def hatch_segments(
    polygon: Sequence[Point], *, angle_deg: float, spacing: float
) -> list[tuple[Point, Point]]:
    """Return the parts of parallel lines (``spacing`` apart) that lie inside a polygon."""
    if len(polygon) < 3 or spacing <= 0:
        return []
    a = math.radians(angle_deg)
    d = (math.cos(a), math.sin(a))
    nrm = (-d[1], d[0])
    offsets = [p[0] * nrm[0] + p[1] * nrm[1] for p in polygon]
    lo, hi = min(offsets), max(offsets)
    segments: list[tuple[Point, Point]] = []
    c = lo + spacing / 2
    n = len(polygon)
    while c < hi:
        ts: list[float] = []
        for i in range(n):
            p, q = polygon[i], polygon[(i + 1) % n]
            op, oq = offsets[i], offsets[(i + 1) % n]
            if (op - c) * (oq - c) < 0:  # the edge crosses the line
                f = (c - op) / (oq - op)
                x, y = p[0] + f * (q[0] - p[0]), p[1] + f * (q[1] - p[1])
                ts.append(x * d[0] + y * d[1])
        ts.sort()
        for t0, t1 in zip(ts[0::2], ts[1::2], strict=False):
            start = (d[0] * t0 + nrm[0] * c, d[1] * t0 + nrm[1] * c)
            end = (d[0] * t1 + nrm[0] * c, d[1] * t1 + nrm[1] * c)
            segments.append((start, end))
        c += spacing
    return segments


# --------------------------------------------------------------------------- anchors to objects


@dataclass(frozen=True, slots=True, kw_only=True)
class _Look:
    """How strongly to draw one anchor."""

    opacity: float
    emphasis: float
    glow: bool
    lang: Language = Language.EN
    """The language of the labels drawn with the anchor (a measured length's)."""


def _look(
    item: OverlayItem, highlight: Collection[str], lang: Language = Language.EN
) -> _Look:
    selected = item.anchor.id in highlight
    if item.status is None and not selected:
        # Context from earlier turns: present, but quieter than what the turn touched.
        return _Look(opacity=0.55, emphasis=1.0, glow=False, lang=lang)
    return _Look(
        opacity=1.0,
        emphasis=1.6 if selected else 1.0,
        glow=selected or item.status == "referenced",
        lang=lang,
    )


def _with_look(obj: Json, look: _Look) -> Json:
    obj["opacity"] = look.opacity
    if look.glow:
        obj["shadow"] = {
            "color": HIGHLIGHT_GLOW,
            "blur": 14,
            "offsetX": 0,
            "offsetY": 0,
        }
    return obj


def _display_points(anchor: Anchor, display: DisplayImage) -> list[Point]:
    geometry = anchor.geometry
    if geometry.kind == "polygon":
        return [display.to_display(p) for p in geometry.points]
    box = geometry.bounding_box()
    return [
        display.to_display((box.x0, box.y0)),
        display.to_display((box.x1, box.y0)),
        display.to_display((box.x1, box.y1)),
        display.to_display((box.x0, box.y1)),
    ]


def _screening(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    width = 1.5 * look.emphasis
    style = {"fill": SCREENING_FILL, "stroke": SCREENING_STROKE}
    if anchor.geometry.kind == "polygon":
        obj = _polygon_object(
            _display_points(anchor, display), stroke_width=width, **style
        )
    else:
        box = anchor.bbox
        (x0, y0), (x1, y1) = (
            display.to_display((box.x0, box.y0)),
            display.to_display((box.x1, box.y1)),
        )
        obj = _box_object(x0, y0, x1, y1, stroke_width=width, rx=6, ry=6, **style)
    return [_with_look(obj, look)]


def _contour(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    points = _display_points(anchor, display)
    center = display.to_display(anchor.center)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    radius = max(max(xs) - min(xs), max(ys) - min(ys)) / 2
    objects: list[Json] = []
    # The warm "heat" on the focus: concentric discs, strongest in the middle.
    for factor, alpha in ((1.0, 0.10), (0.66, 0.14), (0.33, 0.20)):
        objects.append(
            _circle_object(
                center,
                max(radius * factor, 1.5),
                stroke_width=0,
                fill=css((*FOCUS_COLOUR, round(alpha * 255))),
                stroke=None,
                opacity=look.opacity,
            )
        )
    outline = _polygon_object(
        points,
        stroke_width=2.5 * look.emphasis,
        fill=CONTOUR_FILL,
        stroke=CONTOUR_STROKE,
    )
    objects.append(_with_look(outline, look))
    tick = max(5.0, radius * 0.35)
    notches: list[tuple[Point, Point]] = []
    labels: list[Json] = []
    for notch in anchor.attributes.get("notches", ()):
        angle = clock_angle(float(notch["clock"]))
        edge = ray_exit(center, angle, points)
        if edge is None:
            continue
        dx, dy = math.sin(angle), -math.cos(angle)
        notches.append(
            (
                (edge[0] - dx * tick * 0.6, edge[1] - dy * tick * 0.6),
                (edge[0] + dx * tick, edge[1] + dy * tick),
            )
        )
        labels.append(
            _text_object(
                f"{int(round(float(notch['clock'])) or 12)}",
                edge[0] + dx * (tick + 4) - 6,
                edge[1] + dy * (tick + 4) - 7,
                font_size=11,
                fill=NOTCH_COLOUR,
                opacity=look.opacity,
            )
        )
    if notches:
        objects.append(
            _path_object(
                notches, stroke_width=3, stroke=NOTCH_COLOUR, opacity=look.opacity
            )
        )
    spicules: list[tuple[Point, Point]] = []
    for spicule in anchor.attributes.get("spicules", ()):
        tip = display.to_display((float(spicule["tip"][0]), float(spicule["tip"][1])))
        angle = math.atan2(tip[0] - center[0], -(tip[1] - center[1]))
        base = ray_exit(center, angle, points) or center
        spicules.append((base, tip))
    if spicules:
        objects.append(
            _path_object(
                spicules, stroke_width=1.5, stroke=SPICULE_COLOUR, opacity=look.opacity
            )
        )
    return objects + labels


def _region(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    if anchor.geometry.kind == "mask":
        box = anchor.bbox
        (x0, y0), (x1, y1) = (
            display.to_display((box.x0, box.y0)),
            display.to_display((box.x1, box.y1)),
        )
        obj = _box_object(
            x0,
            y0,
            x1,
            y1,
            stroke_width=1.2 * look.emphasis,
            fill=None,
            stroke=REGION_STROKE,
            strokeDashArray=[5, 4],
        )
    else:
        obj = _polygon_object(
            _display_points(anchor, display),
            stroke_width=1.2 * look.emphasis,
            fill=None,
            stroke=REGION_STROKE,
            strokeDashArray=[5, 4],
        )
    return [_with_look(obj, look)]


def _point(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    objects: list[Json] = []
    polygon = anchor.attributes.get("region_polygon")
    if polygon and len(polygon) >= 3:
        points = [display.to_display((float(x), float(y))) for x, y in polygon]
        objects.append(
            _polygon_object(
                points,
                stroke_width=1,
                fill=None,
                stroke=HILUM_OUTLINE,
                strokeDashArray=[3, 3],
                opacity=look.opacity,
            )
        )
    center = display.to_display(anchor.center)
    dot = _circle_object(
        center,
        5 * look.emphasis,
        stroke_width=1.5,
        fill=LANDMARK_FILL,
        stroke=WHITE,
    )
    objects.append(_with_look(dot, look))
    return objects


def _line_ends(anchor: Anchor, display: DisplayImage) -> tuple[Point, Point]:
    points = anchor.geometry.points
    if anchor.geometry.kind == "line" and len(points) == 2:
        return display.to_display(points[0]), display.to_display(points[1])
    box = anchor.bbox
    return display.to_display((box.x0, box.y0)), display.to_display((box.x1, box.y1))


def _line_label(
    anchor: Anchor, a: Point, b: Point, colour: str, look: _Look, *, above: bool = True
) -> list[Json]:
    # The value in words (an estimate keeps its label and interval), not the engine's
    # short "≈5.3cm": the canvas is where a reader looks first.
    label = quantities.anchor_length_text(anchor, look.lang)
    if not label:
        return []
    # Above (or below) both ends, clear of the hilum mark and the lesion it measures from.
    mid_x = (a[0] + b[0]) / 2
    return [
        _text_object(
            label,
            mid_x + 6,
            min(a[1], b[1]) - 26 if above else max(a[1], b[1]) + 8,
            font_size=14,
            fill=colour,
            fontWeight="bold",
            opacity=look.opacity,
        )
    ]


def _distance(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    a, b = _line_ends(anchor, display)
    line = _path_object(
        [(a, b)],
        stroke_width=2.2 * look.emphasis,
        stroke=DISTANCE_STROKE,
        strokeDashArray=[10, 6],
    )
    return [_with_look(line, look), *_line_label(anchor, a, b, DISTANCE_STROKE, look)]


def _gap(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    a, b = _line_ends(anchor, display)
    length = math.hypot(b[0] - a[0], b[1] - a[1]) or 1.0
    nx, ny = -(b[1] - a[1]) / length * 5, (b[0] - a[0]) / length * 5
    ticks = [((p[0] - nx, p[1] - ny), (p[0] + nx, p[1] + ny)) for p in (a, b)]
    line = _path_object(
        [(a, b), *ticks], stroke_width=2.5 * look.emphasis, stroke=GAP_STROKE
    )
    return [
        _with_look(line, look),
        *_line_label(anchor, a, b, GAP_STROKE, look, above=False),
    ]


def _not_connected(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    points = _display_points(anchor, display)
    outline = _polygon_object(
        points,
        stroke_width=1.2 * look.emphasis,
        fill=HATCH_FILL,
        stroke=HATCH_STROKE,
        strokeDashArray=[4, 3],
    )
    objects = [_with_look(outline, look)]
    grid = hatch_segments(points, angle_deg=45, spacing=7) + hatch_segments(
        points, angle_deg=-45, spacing=7
    )
    if grid:
        objects.append(
            _path_object(
                grid, stroke_width=1, stroke=HATCH_STROKE, opacity=look.opacity
            )
        )
    return objects


def _box(anchor: Anchor, display: DisplayImage, look: _Look) -> list[Json]:
    box = anchor.bbox
    (x0, y0), (x1, y1) = (
        display.to_display((box.x0, box.y0)),
        display.to_display((box.x1, box.y1)),
    )
    if anchor.style is AnchorStyle.MODEL_BOX:
        obj = _box_object(
            x0,
            y0,
            x1,
            y1,
            stroke_width=2 * look.emphasis,
            fill=None,
            stroke=MODEL_BOX_STROKE,
            strokeDashArray=[8, 4],
        )
    else:
        obj = _box_object(
            x0,
            y0,
            x1,
            y1,
            stroke_width=2 * look.emphasis,
            fill=USER_BOX_FILL,
            stroke=USER_BOX_STROKE,
        )
    return [_with_look(obj, look)]


_DRAWERS = {
    AnchorStyle.SCREENING: _screening,
    AnchorStyle.CONTOUR: _contour,
    AnchorStyle.REGION: _region,
    AnchorStyle.POINT: _point,
    AnchorStyle.DISTANCE: _distance,
    AnchorStyle.GAP: _gap,
    AnchorStyle.NOT_CONNECTED: _not_connected,
    AnchorStyle.USER_BOX: _box,
    AnchorStyle.MODEL_BOX: _box,
}


def _tag(anchor: Anchor, display: DisplayImage, look: _Look) -> Json | None:
    box = anchor.bbox
    (bx0, by0), (bx1, by1) = (
        display.to_display((box.x0, box.y0)),
        display.to_display((box.x1, box.y1)),
    )
    if bx1 < 0 or by1 < 0 or bx0 > display.width or by0 > display.height:
        return None  # off a zoomed view: a tag pinned to the edge would point at the wrong place
    if anchor.style in (AnchorStyle.DISTANCE, AnchorStyle.GAP):
        a, b = _line_ends(anchor, display)
        left, top = (a[0] + b[0]) / 2 - 24, (a[1] + b[1]) / 2 + 4
    elif anchor.style is AnchorStyle.POINT:
        x, y = display.to_display(anchor.center)
        left, top = x + 8, y - 8
    else:
        left, top = bx0, by0 - 17
    left = min(max(left, 0.0), display.width - 24.0)
    top = min(max(top, 0.0), display.height - 16.0)
    return _text_object(
        anchor.id, left, top, font_size=12, opacity=max(look.opacity, 0.75)
    )


def anchor_objects(
    item: OverlayItem,
    display: DisplayImage,
    *,
    highlight: Collection[str] = (),
    labels: bool = True,
    lang: Language = Language.EN,
) -> list[Json]:
    """Return the Fabric objects that draw one anchor in its style."""
    look = _look(item, highlight, lang)
    objects = _DRAWERS[item.anchor.style](item.anchor, display, look)
    tag = _tag(item.anchor, display, look) if labels else None
    if tag is not None:
        objects.append(tag)
    return objects


def overlay_objects(
    items: Iterable[OverlayItem],
    display: DisplayImage,
    *,
    layers: Iterable[Layer] = ALL_LAYERS,
    highlight: Collection[str] = (),
    badge: Badge | None = None,
    saved: Sequence[SavedBox] = (),
    lang: Language = Language.EN,
) -> list[Json]:
    """Return the Fabric objects of an overlay, bottom layer first.

    Regions go under contours, contours under lines, and labels on top, so that a lesion's
    outline stays visible inside its screening region.
    """
    shown = frozenset(layers)
    order = [
        AnchorStyle.REGION,
        AnchorStyle.SCREENING,
        AnchorStyle.NOT_CONNECTED,
        AnchorStyle.CONTOUR,
        AnchorStyle.POINT,
        AnchorStyle.GAP,
        AnchorStyle.DISTANCE,
        AnchorStyle.MODEL_BOX,
        AnchorStyle.USER_BOX,
    ]
    visible = [i for i in items if STYLE_LAYER[i.anchor.style] in shown]
    visible.sort(key=lambda i: order.index(i.anchor.style))
    labels = Layer.LABELS in shown
    objects: list[Json] = []
    tags: list[Json] = []
    for item in visible:
        look = _look(item, highlight, lang)
        objects += _DRAWERS[item.anchor.style](item.anchor, display, look)
        tag = _tag(item.anchor, display, look) if labels else None
        if tag is not None:
            tags.append(tag)
    if Layer.READER in shown:
        for saved_box in saved:
            b = saved_box.box
            (x0, y0), (x1, y1) = (
                display.to_display((b.x0, b.y0)),
                display.to_display((b.x1, b.y1)),
            )
            objects.append(
                _box_object(
                    x0,
                    y0,
                    x1,
                    y1,
                    stroke_width=2,
                    fill=None,
                    stroke=ANNOTATION_STROKE,
                    strokeDashArray=[6, 3],
                )
            )
            if labels:
                tags.append(
                    _text_object(
                        saved_box.tag,
                        min(x0, display.width - 30),
                        max(y1 + 2, 0),
                        font_size=12,
                        fill=ANNOTATION_STROKE,
                    )
                )
    objects += place_labels(tags, display, reserved=_badge_area(badge, labels))
    if badge is not None and labels:
        objects.append(
            _text_object(
                badge.text(),
                8,
                8,
                font_size=14,
                textBackgroundColor=BADGE_BACKGROUND,
                lineHeight=1.25,
            )
        )
    return objects


def _text_box(obj: Json) -> tuple[float, float, float, float]:
    """The screen box a Text object covers (Helvetica-ish advance of 0.62 em per glyph)."""
    size = float(obj.get("fontSize", 13))
    lines = str(obj.get("text", "")).split("\n")
    width = max(len(line) for line in lines) * size * 0.62 + 4
    height = len(lines) * size * float(obj.get("lineHeight", 1.16))
    left, top = float(obj["left"]), float(obj["top"])
    return (left, top, left + width, top + height)


def _overlaps(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _badge_area(
    badge: Badge | None, labels: bool
) -> list[tuple[float, float, float, float]]:
    if badge is None or not labels:
        return []
    return [
        _text_box(
            {
                "text": badge.text(),
                "fontSize": 14,
                "lineHeight": 1.25,
                "left": 8,
                "top": 8,
            }
        )
    ]


# Where a label may move when its place is taken: below, above, right, left, then further.
_NUDGES = [(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)]


def place_labels(
    tags: Sequence[Json],
    display: DisplayImage,
    *,
    reserved: Sequence[tuple[float, float, float, float]] = (),
) -> list[Json]:
    """Move anchor labels apart so that none covers another (or the badge).

    Each label keeps its place when it is free; otherwise it takes the nearest free spot
    among small steps around it, staying on the canvas. A label with no free spot nearby
    stays where it was (it is still readable on top).
    """
    taken = list(reserved)
    placed: list[Json] = []
    for tag in tags:
        box = _text_box(tag)
        width, height = box[2] - box[0], box[3] - box[1]
        choice = tag
        if any(_overlaps(box, other) for other in taken):
            for step in range(1, 7):
                moved = _free_spot(tag, box, taken, step, width, height, display)
                if moved is not None:
                    choice = moved
                    break
        taken.append(_text_box(choice))
        placed.append(choice)
    return placed


def _free_spot(
    tag: Json,
    box: tuple[float, float, float, float],
    taken: Sequence[tuple[float, float, float, float]],
    step: int,
    width: float,
    height: float,
    display: DisplayImage,
) -> Json | None:
    for dx, dy in _NUDGES:
        left = min(max(box[0] + dx * step * width * 0.5, 0.0), display.width - width)
        top = min(max(box[1] + dy * step * (height + 1), 0.0), display.height - height)
        candidate = (left, top, left + width, top + height)
        if not any(_overlaps(candidate, other) for other in taken):
            return {**tag, "left": left, "top": top}
    return None


def drawing(objects: Sequence[Json], extra: Sequence[Json] = ()) -> Json:
    """Return a canvas ``initial_drawing`` document."""
    return {"version": FABRIC_VERSION, "objects": [*objects, *extra]}


def focus_anchor(items: Sequence[OverlayItem]) -> Anchor | None:
    """The anchor a turn is about: its most refined finding (or drawn region).

    Prefers anchors the turn touched; among them a refinement over what it refines.
    """
    kinds = (AnchorKind.FINDING, AnchorKind.USER_DRAWN)
    for pool in (
        [i.anchor for i in items if i.status is not None and i.anchor.kind in kinds],
        [i.anchor for i in items if i.anchor.kind in kinds],
    ):
        if pool:
            parents = {p for a in pool for p in a.parent_ids}
            specific = [a for a in pool if a.id not in parents] or pool
            contours = [a for a in specific if a.style is AnchorStyle.CONTOUR]
            return (contours or specific)[-1]
    return None


# --------------------------------------------------------------------------- canvas back to image


_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}


def drawn_boxes(
    json_data: Mapping[str, Any] | None,
    display: DisplayImage,
    *,
    min_size_px: float = 2.0,
) -> list[DrawnBox]:
    """Return the boxes drawn on the canvas (``labeled_rect`` mode), in image pixels.

    Anchors and saved annotations are never ``LabeledRect`` objects, so only the boxes a
    person drew come back. Boxes are clipped to the image; slivers are dropped.
    """
    if not json_data:
        return []
    boxes: list[DrawnBox] = []
    for obj in json_data.get("objects") or ():
        if not isinstance(obj, Mapping) or obj.get("type") != REVIEWER_BOX_TYPE:
            continue
        try:
            width = float(obj.get("width", 0)) * float(obj.get("scaleX", 1))
            height = float(obj.get("height", 0)) * float(obj.get("scaleY", 1))
            left = (
                float(obj.get("left", 0))
                - _ORIGIN.get(str(obj.get("originX", "left")), 0.0) * width
            )
            top = (
                float(obj.get("top", 0))
                - _ORIGIN.get(str(obj.get("originY", "top")), 0.0) * height
            )
        except (TypeError, ValueError):
            continue
        if width < 0:
            left, width = left + width, -width
        if height < 0:
            top, height = top + height, -height
        x0, y0 = display.to_image((left, top))
        x1, y1 = display.to_image((left + width, top + height))
        box = Box(x0, y0, x1, y1).clipped(display.image_width, display.image_height)
        if box.width < min_size_px or box.height < min_size_px:
            continue
        boxes.append(DrawnBox(label=str(obj.get("label") or "").strip(), box=box))
    return boxes


def drawn_box_object(drawn: DrawnBox, display: DisplayImage) -> Json:
    """Return the canvas object of a drawn box (the inverse of ``drawn_boxes``)."""
    (x0, y0), (x1, y1) = (
        display.to_display((drawn.box.x0, drawn.box.y0)),
        display.to_display((drawn.box.x1, drawn.box.y1)),
    )
    return {
        "type": REVIEWER_BOX_TYPE,
        "label": drawn.label,
        "originX": "left",
        "originY": "top",
        "left": x0,
        "top": y0,
        "width": x1 - x0,
        "height": y1 - y0,
        "scaleX": 1,
        "scaleY": 1,
        "angle": 0,
        "stroke": WORKING_BOX_STROKE,
        "strokeWidth": 2,
        "strokeUniform": True,
        "fill": WORKING_BOX_FILL,
        "lockRotation": True,
    }


# --------------------------------------------------------------------------- comparing shapes


@dataclass(frozen=True, slots=True, kw_only=True)
class BoxScore:
    """How well a drawn box matches a target (the quiz score)."""

    iou: float
    centre_hit: bool
    """The drawn box contains the target's centre."""
    centre_distance_px: float
    passed: bool


def score_box(
    drawn: Box,
    target: Box,
    *,
    target_centre: Point | None = None,
    iou_threshold: float = 0.5,
) -> BoxScore:
    """Score a drawn box against a target box.

    It passes when the IoU reaches ``iou_threshold`` and the drawn box contains the
    target's centre (a box around the right lesion that is too loose or too tight still
    shows as a centre hit with a low IoU).
    """
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold!r}")
    centre = target_centre or target.center
    iou = drawn.iou(target)
    hit = drawn.contains(centre)
    dc = drawn.center
    return BoxScore(
        iou=iou,
        centre_hit=hit,
        centre_distance_px=math.hypot(dc[0] - centre[0], dc[1] - centre[1]),
        passed=hit and iou >= iou_threshold,
    )


COMPARABLE_KINDS = frozenset(
    {AnchorKind.FINDING, AnchorKind.USER_DRAWN, AnchorKind.REGION, AnchorKind.LANDMARK}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchorMatch:
    """An anchor of run A and its best counterpart in run B (or none)."""

    a: Anchor | None
    b: Anchor | None
    iou: float
    centre_distance_px: float | None
    centre_distance_mm: float | None

    @property
    def matched(self) -> bool:
        """Both sides are present."""
        return self.a is not None and self.b is not None


def _distance_px(a: Anchor, b: Anchor) -> float:
    (ax, ay), (bx, by) = a.center, b.center
    return math.hypot(ax - bx, ay - by)


def _distance_mm(
    a: Anchor, b: Anchor, spacing: tuple[float, float] | None
) -> float | None:
    if spacing is None:
        return None
    row_mm, col_mm = spacing
    (ax, ay), (bx, by) = a.center, b.center
    return math.hypot((ax - bx) * col_mm, (ay - by) * row_mm)


def match_anchors(
    first: Sequence[Anchor],
    second: Sequence[Anchor],
    *,
    spacing_mm: tuple[float, float] | None = None,
    min_iou: float = 0.1,
    max_centre_mm: float = 15.0,
    max_centre_px: float = 40.0,
) -> list[AnchorMatch]:
    """Pair the anchors of two runs on the same image, best overlap first.

    Only anchors of the same kind pair up (a finding with a finding, a landmark with a
    landmark); lines are compared through their measurements instead. A pair needs an
    IoU of at least ``min_iou`` or centres closer than ``max_centre_mm`` (``max_centre_px``
    when the image has no calibration). Unpaired anchors come back with the other side
    None.

    Args:
        first: the anchors of run A.
        second: the anchors of run B.
        spacing_mm: (row_mm, col_mm) of the image, or None when it is not calibrated.
        min_iou: the least box overlap that pairs two anchors.
        max_centre_mm: centres closer than this pair up even without overlap.
        max_centre_px: the same in pixels, for images without calibration.
    """
    a_list = [a for a in first if a.kind in COMPARABLE_KINDS]
    b_list = [b for b in second if b.kind in COMPARABLE_KINDS]
    candidates: list[tuple[float, float, int, int]] = []
    for i, a in enumerate(a_list):
        for j, b in enumerate(b_list):
            if a.kind is not b.kind:
                continue
            iou = a.bbox.iou(b.bbox)
            dist_px = _distance_px(a, b)
            dist_mm = _distance_mm(a, b, spacing_mm)
            close = (
                dist_mm <= max_centre_mm
                if dist_mm is not None
                else dist_px <= max_centre_px
            )
            if iou >= min_iou or close:
                candidates.append((-iou, dist_px, i, j))
    candidates.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches: list[AnchorMatch] = []
    for neg_iou, dist_px, i, j in candidates:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        a, b = a_list[i], b_list[j]
        matches.append(
            AnchorMatch(
                a=a,
                b=b,
                iou=-neg_iou,
                centre_distance_px=dist_px,
                centre_distance_mm=_distance_mm(a, b, spacing_mm),
            )
        )
    matches += [
        AnchorMatch(
            a=a, b=None, iou=0.0, centre_distance_px=None, centre_distance_mm=None
        )
        for i, a in enumerate(a_list)
        if i not in used_a
    ]
    matches += [
        AnchorMatch(
            a=None, b=b, iou=0.0, centre_distance_px=None, centre_distance_mm=None
        )
        for j, b in enumerate(b_list)
        if j not in used_b
    ]
    return matches
