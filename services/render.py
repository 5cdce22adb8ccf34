"""Draw a turn's overlay into a PNG with PIL, for exports (no Streamlit, no browser).

The visual language is the seed article's, in the same colours as the case view: a
translucent light-blue region for the first screening pass; the refined lesion contour
with a warm focus, small yellow ticks at the notch clock positions (with the hour) and
short white strokes for spicules; a dashed line from lesion centre to hilum labelled with
its distance; a solid line with end ticks across the gap; a yellow grid over the corridor
with no connecting strand; landmark dots; dashed outlines for anatomical regions; green
reviewer boxes and magenta model boxes; each anchor tagged with its id; and a badge with
the scorecard counts. Anchors the turn did not touch are drawn fainter, so the picture
shows what that turn did on top of what came before.

Everything is in image pixels (docs/architecture.md) scaled by one factor to the output
size.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from engine.anchors import Anchor, AnchorStyle
from engine.geometry import clock_angle
from kernel import Language, Point
from services import quantities
from services.overlay import ray_exit
from services.palette import (
    CONTOUR_STROKE,
    DISTANCE,
    FOCUS,
    GAP,
    HATCH,
    HATCH_FILL,
    HILUM_OUTLINE,
    LANDMARK,
    MET,
    MODEL_BOX,
    NOT_ASSESSABLE,
    NOT_MET,
    NOTCH,
    PRINT_BADGE_BACKGROUND,
    PRINT_BADGE_OUTLINE,
    REGION_STROKE,
    REVIEWER,
    RGBA,
    SCREENING_FILL,
    SCREENING_STROKE,
    SPICULE,
    TAG_BACKGROUND,
    TRANSPARENT,
    USER_BOX,
    USER_BOX_FILL,
    WHITE,
)

LONG_SIDE = 1024
MAX_UPSCALE = 2.0
QUIET = 0.55
"""Opacity of anchors the turn did not touch (context from earlier turns)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreBadge:
    """The scorecard counts shown in the corner of a turn that scored a profile."""

    title: str
    met: int
    not_met: int
    not_assessable: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewerBox:
    """A reviewer's box (image pixels) and its caption, e.g. ``dr.b: agree``."""

    x0: float
    y0: float
    x1: float
    y1: float
    caption: str


# A system font with the measurement signs (≈, ×, ±) when one is installed; Pillow's own
# font lacks ≈ and ×, which `_printable` then spells with characters it has.
SYSTEM_FONT = "DejaVuSans.ttf"
_SPELLED = str.maketrans({"≈": "~", "×": "x"})


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(SYSTEM_FONT, size)
    except OSError:
        pass
    try:
        return ImageFont.load_default(size=size)
    except (
        TypeError,
        OSError,
    ):  # Pillow built without FreeType: fixed-size bitmap font
        return ImageFont.load_default()


def _printable(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> str:
    """``text`` with the signs ``font`` has no glyph for spelled out (≈ as ~, × as x)."""
    if isinstance(font, ImageFont.FreeTypeFont) and SYSTEM_FONT in str(font.path):
        return text
    return text.translate(_SPELLED)


def to_rgb(
    display: npt.NDArray[np.floating], long_side: int = LONG_SIDE
) -> PILImage.Image:
    """Return presentation values in [0, 1] (1 = white) as an RGB image of ``long_side``."""
    gray = np.clip(np.rint(np.asarray(display, dtype=np.float64) * 255.0), 0, 255)
    image = PILImage.fromarray(gray.astype(np.uint8), mode="L")
    # Small films are enlarged (at most twice) so marks and labels stay legible.
    scale = min(MAX_UPSCALE, long_side / max(image.size))
    if scale != 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, PILImage.Resampling.LANCZOS)
    return image.convert("RGB")


def png_bytes(image: PILImage.Image) -> bytes:
    """Encode an image as PNG (no text chunks: nothing but pixels leaves the casebook)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class _Canvas:
    """A translucent layer over the radiograph, drawn in image-pixel coordinates."""

    def __init__(self, base: PILImage.Image, image_size: tuple[int, int]) -> None:
        self.base = base.convert("RGBA")
        self.scale = base.width / image_size[0]
        self.layer = PILImage.new("RGBA", self.base.size, TRANSPARENT)
        self.draw = ImageDraw.Draw(self.layer)
        self.unit = max(1.0, max(self.base.size) / 700)
        self.font = _font(round(13 * self.unit))
        self.small = _font(round(11 * self.unit))

    def p(self, point: Sequence[float]) -> Point:
        return (float(point[0]) * self.scale, float(point[1]) * self.scale)

    def w(self, width: float) -> int:
        return max(1, round(width * self.unit))

    def line(
        self,
        a: Point,
        b: Point,
        colour: RGBA,
        width: float,
        dash: tuple[float, float] | None = None,
    ) -> None:
        if dash is None:
            self.draw.line([a, b], fill=colour, width=self.w(width))
            return
        on, off = dash[0] * self.unit, dash[1] * self.unit
        length = math.hypot(b[0] - a[0], b[1] - a[1])
        if length == 0:
            return
        ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
        t = 0.0
        while t < length:
            end = min(t + on, length)
            self.draw.line(
                [(a[0] + ux * t, a[1] + uy * t), (a[0] + ux * end, a[1] + uy * end)],
                fill=colour,
                width=self.w(width),
            )
            t = end + off

    def polyline(
        self,
        points: Sequence[Point],
        colour: RGBA,
        width: float,
        *,
        closed: bool,
        dash: tuple[float, float] | None = None,
    ) -> None:
        ring = [*points, points[0]] if closed else list(points)
        for a, b in itertools.pairwise(ring):
            self.line(a, b, colour, width, dash)

    def text(
        self,
        xy: Point,
        text: str,
        colour: RGBA = WHITE,
        *,
        small: bool = False,
        background: RGBA | None = TAG_BACKGROUND,
    ) -> None:
        font = self.small if small else self.font
        text = _printable(text, font)
        x = min(max(xy[0], 0.0), self.base.width - 8.0)
        y = min(max(xy[1], 0.0), self.base.height - 8.0)
        if background is not None:
            box = self.draw.textbbox((x, y), text, font=font)
            self.draw.rectangle(
                (box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), fill=background
            )
        self.draw.text((x, y), text, fill=colour, font=font)

    def image(self) -> PILImage.Image:
        return PILImage.alpha_composite(self.base, self.layer).convert("RGB")


def _fade(colour: RGBA, opacity: float) -> RGBA:
    return (colour[0], colour[1], colour[2], round(colour[3] * opacity))


def _points(anchor: Anchor, canvas: _Canvas) -> list[Point]:
    geometry = anchor.geometry
    if geometry.kind in ("polygon", "line", "point"):
        return [canvas.p(p) for p in geometry.points]
    box = anchor.bbox
    return [
        canvas.p(c)
        for c in (
            (box.x0, box.y0),
            (box.x1, box.y0),
            (box.x1, box.y1),
            (box.x0, box.y1),
        )
    ]


def _screening(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    points = _points(anchor, canvas)
    canvas.draw.polygon(points, fill=_fade(SCREENING_FILL, opacity))
    canvas.polyline(points, _fade(SCREENING_STROKE, opacity), 2, closed=True)


def _contour(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    points = _points(anchor, canvas)
    center = canvas.p(anchor.center)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    radius = max(max(xs) - min(xs), max(ys) - min(ys)) / 2
    for factor, alpha in ((1.0, 26), (0.66, 36), (0.33, 51)):  # the warm focus
        r = max(radius * factor, 1.5)
        canvas.draw.ellipse(
            (center[0] - r, center[1] - r, center[0] + r, center[1] + r),
            fill=(*FOCUS, round(alpha * opacity)),
        )
    canvas.polyline(points, _fade(CONTOUR_STROKE, opacity), 2.5, closed=True)
    tick = max(5.0 * canvas.unit, radius * 0.35)
    for notch in anchor.attributes.get("notches", ()):
        angle = clock_angle(float(notch["clock"]))
        edge = ray_exit(center, angle, points)
        if edge is None:
            continue
        dx, dy = math.sin(angle), -math.cos(angle)
        canvas.line(
            (edge[0] - dx * tick * 0.6, edge[1] - dy * tick * 0.6),
            (edge[0] + dx * tick, edge[1] + dy * tick),
            _fade(NOTCH, opacity),
            3,
        )
        hour = round(float(notch["clock"])) % 12 or 12
        canvas.text(
            (edge[0] + dx * (tick + 4) - 5, edge[1] + dy * (tick + 4) - 7),
            str(hour),
            _fade(NOTCH, opacity),
            small=True,
            background=None,
        )
    for spicule in anchor.attributes.get("spicules", ()):
        tip = canvas.p(spicule["tip"])
        angle = math.atan2(tip[0] - center[0], -(tip[1] - center[1]))
        base = ray_exit(center, angle, points) or center
        canvas.line(base, tip, _fade(SPICULE, opacity), 1.5)


def _region(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    canvas.polyline(
        _points(anchor, canvas),
        _fade(REGION_STROKE, opacity),
        1.2,
        closed=True,
        dash=(5, 4),
    )


def _point(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    polygon = anchor.attributes.get("region_polygon")
    if polygon and len(polygon) >= 3:
        canvas.polyline(
            [canvas.p(p) for p in polygon],
            _fade(HILUM_OUTLINE, opacity),
            1,
            closed=True,
            dash=(3, 3),
        )
    x, y = canvas.p(anchor.center)
    r = 5 * canvas.unit
    canvas.draw.ellipse(
        (x - r, y - r, x + r, y + r),
        fill=_fade(LANDMARK, opacity),
        outline=_fade(WHITE, opacity),
        width=canvas.w(1.5),
    )


def _ends(anchor: Anchor, canvas: _Canvas) -> tuple[Point, Point]:
    points = _points(anchor, canvas)
    return points[0], points[-1] if len(points) > 1 else points[0]


def _line_label(
    anchor: Anchor, canvas: _Canvas, a: Point, b: Point, colour: RGBA, *, above: bool
) -> None:
    # The value in words, an estimate with its label and interval (services.quantities).
    # English: the built-in font has no CJK glyphs.
    label = quantities.anchor_length_text(anchor, Language.EN)
    if label:
        # Above (or below) both ends, clear of the end marks: the hilum dot and the
        # lesion are what the reader checks the value against.
        mid_x = (a[0] + b[0]) / 2
        y = (
            min(a[1], b[1]) - 30 * canvas.unit
            if above
            else max(a[1], b[1]) + 10 * canvas.unit
        )
        canvas.text((mid_x + 6, y), label, colour)


def _distance(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    a, b = _ends(anchor, canvas)
    canvas.line(a, b, _fade(DISTANCE, opacity), 2.2, dash=(10, 6))


def _gap(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    a, b = _ends(anchor, canvas)
    length = math.hypot(b[0] - a[0], b[1] - a[1]) or 1.0
    nx, ny = (
        -(b[1] - a[1]) / length * 5 * canvas.unit,
        (b[0] - a[0]) / length * 5 * canvas.unit,
    )
    colour = _fade(GAP, opacity)
    canvas.line(a, b, colour, 2.5)
    for p in (a, b):
        canvas.line((p[0] - nx, p[1] - ny), (p[0] + nx, p[1] + ny), colour, 2.5)


def _line_value(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    """A distance's or gap's value, drawn over the tags so that none hides it."""
    a, b = _ends(anchor, canvas)
    colour = DISTANCE if anchor.style is AnchorStyle.DISTANCE else GAP
    _line_label(
        anchor,
        canvas,
        a,
        b,
        _fade(colour, max(opacity, 0.8)),
        above=anchor.style is AnchorStyle.DISTANCE,
    )


def _not_connected(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    points = _points(anchor, canvas)
    mask = PILImage.new("L", canvas.base.size, 0)
    ImageDraw.Draw(mask).polygon(points, fill=255)
    grid = PILImage.new("RGBA", canvas.base.size, TRANSPARENT)
    draw = ImageDraw.Draw(grid)
    draw.polygon(points, fill=_fade(HATCH_FILL, opacity))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = (max(xs) - min(xs)) + (max(ys) - min(ys))
    step = 7 * canvas.unit
    offset = -span
    while offset < span:  # two families of diagonal lines make the grid
        x = min(xs) + offset
        draw.line(
            [(x, min(ys)), (x + span, min(ys) + span)],
            fill=_fade(HATCH, opacity),
            width=canvas.w(1),
        )
        draw.line(
            [(x, max(ys)), (x + span, max(ys) - span)],
            fill=_fade(HATCH, opacity),
            width=canvas.w(1),
        )
        offset += step
    canvas.layer.paste(grid, (0, 0), mask)
    canvas.polyline(points, _fade(HATCH, opacity), 1.2, closed=True, dash=(4, 3))


def _box(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    points = _points(anchor, canvas)
    if anchor.style is AnchorStyle.MODEL_BOX:
        canvas.polyline(points, _fade(MODEL_BOX, opacity), 2, closed=True, dash=(8, 4))
    else:
        canvas.draw.polygon(points, fill=_fade(USER_BOX_FILL, opacity))
        canvas.polyline(points, _fade(USER_BOX, opacity), 2, closed=True)


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
# Broad shapes first, so lines, dots and tags stay on top.
_ORDER = [
    AnchorStyle.REGION, AnchorStyle.SCREENING, AnchorStyle.NOT_CONNECTED, AnchorStyle.CONTOUR,
    AnchorStyle.USER_BOX, AnchorStyle.MODEL_BOX, AnchorStyle.GAP, AnchorStyle.DISTANCE,
    AnchorStyle.POINT,
]  # fmt: skip


def _tag(anchor: Anchor, canvas: _Canvas, opacity: float) -> None:
    if anchor.style in (AnchorStyle.DISTANCE, AnchorStyle.GAP):
        a, b = _ends(anchor, canvas)
        xy = ((a[0] + b[0]) / 2 - 24 * canvas.unit, (a[1] + b[1]) / 2 + 4)
    elif anchor.style is AnchorStyle.POINT:
        x, y = canvas.p(anchor.center)
        xy = (x + 8 * canvas.unit, y - 8 * canvas.unit)
    else:
        box = anchor.bbox
        x0, y0 = canvas.p((box.x0, box.y0))
        xy = (x0, y0 - 17 * canvas.unit)
    canvas.text(xy, anchor.id, _fade(WHITE, max(opacity, 0.75)), small=True)


def _badge(badge: ScoreBadge, canvas: _Canvas) -> None:
    parts = [
        (f"met {badge.met}", MET),
        (f"not met {badge.not_met}", NOT_MET),
        (f"not assessable {badge.not_assessable}", NOT_ASSESSABLE),
    ]
    font = canvas.font
    margin = 8 * canvas.unit
    widths = [canvas.draw.textlength(text, font=font) for text, _ in parts]
    title_width = canvas.draw.textlength(badge.title, font=font)
    width = (
        max(title_width, sum(widths) + 12 * canvas.unit * (len(parts) - 1)) + 2 * margin
    )
    height = (
        2 * (font.size if isinstance(font, ImageFont.FreeTypeFont) else 11) + 3 * margin
    )
    x0 = canvas.base.width - width - margin
    y0 = margin
    canvas.draw.rounded_rectangle(
        (x0, y0, x0 + width, y0 + height),
        radius=6 * canvas.unit,
        fill=PRINT_BADGE_BACKGROUND,
        outline=PRINT_BADGE_OUTLINE,
    )
    canvas.draw.text((x0 + margin, y0 + margin), badge.title, fill=WHITE, font=font)
    x = x0 + margin
    y = y0 + height / 2 + margin / 2
    for (text, colour), text_width in zip(parts, widths, strict=True):
        canvas.draw.text((x, y), text, fill=colour, font=font)
        x += text_width + 12 * canvas.unit


def render_overlay(
    display: npt.NDArray[np.floating],
    anchors: Sequence[tuple[Anchor, str | None]],
    *,
    badge: ScoreBadge | None = None,
    reviewer_boxes: Sequence[ReviewerBox] = (),
    caption: str | None = None,
    long_side: int = LONG_SIDE,
) -> PILImage.Image:
    """Return the radiograph with a turn's anchors drawn on it.

    Args:
        display: presentation values (rows, columns) in [0, 1], 1 = white.
        anchors: every anchor live after the turn, with what the turn did to it
            (``created``, ``refined``, ``referenced``; None when untouched), as
            ``workflows.replay_state`` returns them.
        badge: the scorecard counts, for a turn that scored a profile.
        reviewer_boxes: reviewers' boxes to draw (image pixels).
        caption: one line at the bottom (e.g. the turn number and question).
        long_side: size of the output's longer side in pixels (small films are
            enlarged at most ``MAX_UPSCALE`` times).
    """
    rows, columns = display.shape
    canvas = _Canvas(to_rgb(display, long_side), (columns, rows))
    ordered = sorted(anchors, key=lambda item: _ORDER.index(item[0].style))
    for anchor, status in ordered:
        _DRAWERS[anchor.style](anchor, canvas, 1.0 if status else QUIET)
    for box in reviewer_boxes:
        points = [
            canvas.p(c)
            for c in (
                (box.x0, box.y0),
                (box.x1, box.y0),
                (box.x1, box.y1),
                (box.x0, box.y1),
            )
        ]
        canvas.polyline(points, REVIEWER, 2, closed=True, dash=(6, 3))
        canvas.text((points[0][0], points[2][1] + 3), box.caption, REVIEWER, small=True)
    for anchor, status in ordered:
        if anchor.style is not AnchorStyle.REGION or status:
            _tag(anchor, canvas, 1.0 if status else QUIET)
    for anchor, status in ordered:
        if anchor.style in (AnchorStyle.DISTANCE, AnchorStyle.GAP):
            _line_value(anchor, canvas, 1.0 if status else QUIET)
    if badge is not None:
        _badge(badge, canvas)
    if caption:
        canvas.text(
            (8 * canvas.unit, canvas.base.height - 24 * canvas.unit), caption, WHITE
        )
    return canvas.image()
