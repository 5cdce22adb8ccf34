"""Find burned-in text in a radiograph's pixels and blank it to the local background.

Header de-identification cannot remove a name that the modality burned into the pixels
(CTP's DicomPixelAnonymizer and pydicom/deid blank such regions by device signature;
we have no signatures, so we detect). The detector is classical and deterministic:

1. Work on a copy no larger than ``WORK_SIZE`` px on its long side (block maximum for
   bright print, block minimum for dark print, so thin strokes survive the reduction).
2. A white (or black) top-hat with a square a little wider than a stroke keeps thin
   structures that stand out from their surroundings by at least ``CONTRAST`` of the
   image's range. Anatomy edges are soft; print is sharp.
3. Components taller than a line of print (wires, tubes, bone edges) are dropped; the
   rest are joined into lines across the gaps between glyphs and words.
4. A line counts as text when it is wide and short, its strokes cover most of its
   columns without filling its box, a typical row crosses several strokes, and its
   strokes sit at the end of the value range (modalities and lead markers burn print in
   at, or near, the brightest or darkest value).
5. Only lines in the border band (outer ``BORDER_FRACTION`` of the image on any side)
   and not touching the image edge count: names, dates and markers sit in the corners
   and along the edges, and the lungs in the middle are never blanked. Lines running
   vertically (lead markers, rotated labels) are found in the transposed image.

Each line's box, padded a little, is filled with the median of a ring of pixels around
it, so the box becomes one value close to the surrounding background and nothing
outside the boxes changes. Pure NumPy/SciPy; no I/O. A detector can miss print (for
instance over a white background of the same value) or blank a marker that is not
identifying: the per-image report lists every box for review.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from cases.model import BlankedBox

DETECTOR_VERSION = "cases-text-tophat v1"
WORK_SIZE = 1024
CONTRAST = 0.2
"""Top-hat height of a stroke, as a fraction of the image's 0.5-99.5 percentile range."""
FAINT_CONTRAST = 0.08
"""Top-hat height of print that continues a line found at ``CONTRAST``."""
EXTREME = 0.85
"""Print is burned in near the end of the value range: its median stroke value (0..1,
toward its own polarity) is at least this."""
MIN_STROKES = 3
"""Strokes a typical row of a text line crosses, at least."""
MIN_LINE_PX = 5
"""Lowest text line (working pixels); smaller print is not legible anyway."""
MAX_LINE_FRACTION = 0.08
"""Tallest text line, as a fraction of the image height."""
MIN_FILL, MAX_FILL = 0.1, 0.8
"""Fraction of a text line's box that its strokes cover."""
MIN_COLUMN_COVERAGE = 0.5
"""Fraction of a text line's columns that hold a stroke."""
BORDER_FRACTION = 0.25
EDGE_MARGIN = 0.015
"""Lines closer than this (fraction of the image) to an edge they run along are
detector or shutter artefacts, not print."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Line:
    x0: int
    y0: int
    x1: int
    y1: int

    def transposed(self) -> _Line:
        return _Line(x0=self.y0, y0=self.x0, x1=self.y1, y1=self.x1)


def _reduce(
    values: npt.NDArray[np.float32], factor: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Return the block maximum and block minimum of ``values`` over factor x factor."""
    if factor == 1:
        return values, values
    rows = math.ceil(values.shape[0] / factor) * factor
    cols = math.ceil(values.shape[1] / factor) * factor
    padded = np.pad(
        values, ((0, rows - values.shape[0]), (0, cols - values.shape[1])), mode="edge"
    )
    blocks = padded.reshape(rows // factor, factor, cols // factor, factor)
    return blocks.max(axis=(1, 3)), blocks.min(axis=(1, 3))


def _normalised(pixels: npt.NDArray[np.generic]) -> npt.NDArray[np.float32] | None:
    values = pixels.astype(np.float32)
    lo, hi = np.percentile(values, [0.5, 99.5])
    if not hi > lo:
        return None
    return np.clip((values - lo) / (hi - lo), 0.0, 1.0)


def _stroke_crossings(strokes: npt.NDArray[np.bool_]) -> float:
    """Return how many strokes a typical row of a candidate line crosses.

    Print crosses several strokes per word on every row; a wire or an edge crosses one.
    """
    rising = np.count_nonzero(np.diff(strokes.astype(np.int8), axis=1) == 1, axis=1)
    return float(np.percentile(rising, 75)) if rising.size else 0.0


def _is_text_line(
    strokes: npt.NDArray[np.bool_], values: npt.NDArray[np.float32], max_height: int
) -> bool:
    """Whether a candidate line (cropped to its box) looks like burned-in print.

    ``strokes`` are the line's stroke pixels and ``values`` the image in the same box,
    with 1 at the print's own polarity.
    """
    height, width = strokes.shape
    if not MIN_LINE_PX <= height <= max_height or width < 1.5 * height:
        return False
    fill = float(strokes.mean())
    columns = float(strokes.any(axis=0).mean())
    return (
        MIN_FILL <= fill <= MAX_FILL
        and columns >= MIN_COLUMN_COVERAGE
        and _stroke_crossings(strokes) >= MIN_STROKES
        and float(np.median(values[strokes])) >= EXTREME
    )


def _extend(line: _Line, faint: npt.NDArray[np.bool_]) -> _Line:
    """Extend a line left and right over faint print in its own rows.

    Print over a bright background (soft tissue, mediastinum) has less contrast than
    print over air; once a line is found, its continuation only needs to be faint
    print at the same extreme value, within about a word gap.
    """
    present: npt.NDArray[np.bool_] = np.any(faint[line.y0 : line.y1], axis=0)
    gap = max(3, round(1.5 * (line.y1 - line.y0)))
    x1 = line.x1
    for column in range(line.x1, present.size):
        if present[column]:
            x1 = column + 1
        elif column - x1 >= gap:
            break
    x0 = line.x0
    for column in range(line.x0 - 1, -1, -1):
        if present[column]:
            x0 = column
        elif x0 - column >= gap:
            break
    return _Line(x0=x0, y0=line.y0, x1=x1, y1=line.y1)


def _lines(
    strokes: npt.NDArray[np.bool_],
    faint: npt.NDArray[np.bool_],
    values: npt.NDArray[np.float32],
) -> list[_Line]:
    """Join stroke components of print height into lines and keep those that are text."""
    rows, cols = strokes.shape
    max_height = max(MIN_LINE_PX + 1, round(MAX_LINE_FRACTION * rows))
    margin = max(2, round(EDGE_MARGIN * rows))
    labels, count = ndimage.label(strokes, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return []
    kept = np.zeros_like(strokes)
    heights = []
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        height = found[0].stop - found[0].start
        # Touching glyphs make one wide component: only the height is limited.
        if 2 <= height <= max_height:
            kept[found] |= labels[found] == index
            heights.append(height)
    if not heights:
        return []
    typical = float(np.median(heights))
    joined = ndimage.binary_dilation(
        kept,
        structure=np.ones((max(1, round(typical / 4)), max(3, round(typical))), bool),
    )
    groups, _ = ndimage.label(joined)
    lines = []
    for index, found in enumerate(ndimage.find_objects(groups), start=1):
        mine = kept[found] & (groups[found] == index)
        ys, xs = np.nonzero(mine)
        if ys.size == 0:
            continue
        y0, y1 = found[0].start + int(ys.min()), found[0].start + int(ys.max()) + 1
        x0, x1 = found[1].start + int(xs.min()), found[1].start + int(xs.max()) + 1
        if y0 < margin or y1 > rows - margin or x0 == 0 or x1 == cols:
            continue  # along or touching the image edge: a detector or shutter artefact
        box = (slice(y0, y1), slice(x0, x1))
        if _is_text_line(kept[box] & (groups[box] == index), values[box], max_height):
            lines.append(_extend(_Line(x0=x0, y0=y0, x1=x1, y1=y1), faint))
    return lines


def _in_border(line: _Line, rows: int, cols: int) -> bool:
    band_y, band_x = BORDER_FRACTION * rows, BORDER_FRACTION * cols
    return (
        line.y1 <= band_y
        or line.y0 >= rows - band_y
        or line.x1 <= band_x
        or line.x0 >= cols - band_x
    )


def _print_lines(
    values: npt.NDArray[np.float32], top_hat: npt.NDArray[np.float32]
) -> list[_Line]:
    """Return horizontal and vertical lines of print of one polarity.

    Args:
        values: the working image, 1 = the print's polarity (white for bright print).
        top_hat: how far each pixel stands out from its surroundings.
    """
    strokes = top_hat > CONTRAST
    faint = (top_hat > FAINT_CONTRAST) & (values >= EXTREME)
    found = _lines(strokes, faint, values)
    found += [
        line.transposed()
        for line in _lines(
            np.ascontiguousarray(strokes.T),
            np.ascontiguousarray(faint.T),
            np.ascontiguousarray(values.T),
        )
    ]
    return found


def find_text_boxes(
    pixels: npt.NDArray[np.generic],
) -> list[tuple[int, int, int, int]]:
    """Return boxes ``(x0, y0, x1, y1)`` (end exclusive) of print near the border.

    Args:
        pixels: the stored grayscale pixels (any integer or float dtype, any polarity).
    """
    if pixels.ndim != 2 or min(pixels.shape) < 32:
        return []
    normalised = _normalised(pixels)
    if normalised is None:
        return []
    factor = max(1, math.ceil(max(pixels.shape) / WORK_SIZE))
    work_max, work_min = _reduce(normalised, factor)
    size = max(5, round(max(work_max.shape) / 100))
    bright = work_max - ndimage.grey_opening(work_max, size=(size, size))
    dark = ndimage.grey_closing(work_min, size=(size, size)) - work_min
    lines = _print_lines(work_max, bright) + _print_lines(1.0 - work_min, dark)
    rows, cols = work_max.shape
    boxes = []
    for line in lines:
        if not _in_border(line, rows, cols):
            continue
        pad = max(1, round(0.25 * min(line.y1 - line.y0, line.x1 - line.x0)))
        boxes.append(
            (
                max(0, (line.x0 - pad) * factor),
                max(0, (line.y0 - pad) * factor),
                min(pixels.shape[1], (line.x1 + pad) * factor),
                min(pixels.shape[0], (line.y1 + pad) * factor),
            )
        )
    return _merge(boxes)


def _merge(
    boxes: list[tuple[int, int, int, int]],
) -> list[tuple[int, int, int, int]]:
    """Merge overlapping boxes so each pixel is filled once."""
    merged = sorted(boxes)
    changed = True
    while changed:
        changed = False
        out: list[tuple[int, int, int, int]] = []
        for box in merged:
            for i, other in enumerate(out):
                if (
                    box[0] < other[2]
                    and other[0] < box[2]
                    and box[1] < other[3]
                    and other[1] < box[3]
                ):
                    out[i] = (
                        min(box[0], other[0]),
                        min(box[1], other[1]),
                        max(box[2], other[2]),
                        max(box[3], other[3]),
                    )
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return sorted(merged, key=lambda b: (b[1], b[0]))


def blank_boxes(
    pixels: npt.NDArray[np.generic], boxes: list[tuple[int, int, int, int]]
) -> tuple[npt.NDArray[np.generic], tuple[BlankedBox, ...]]:
    """Return a copy of ``pixels`` with each box filled with its local background.

    The fill is the median of a ring around the box (outside every box), rounded to the
    pixel dtype, so the box becomes one uniform value close to its surroundings.
    """
    if not boxes:
        return pixels, ()
    out = pixels.copy()
    covered = np.zeros(pixels.shape, dtype=bool)
    for x0, y0, x1, y1 in boxes:
        covered[y0:y1, x0:x1] = True
    blanked = []
    rows, cols = pixels.shape
    for x0, y0, x1, y1 in boxes:
        ring = max(3, (y1 - y0) // 2)
        ry0, ry1 = max(0, y0 - ring), min(rows, y1 + ring)
        rx0, rx1 = max(0, x0 - ring), min(cols, x1 + ring)
        around = pixels[ry0:ry1, rx0:rx1][~covered[ry0:ry1, rx0:rx1]]
        source = around if around.size else pixels[~covered]
        fill = float(np.median(source.astype(np.float64))) if source.size else 0.0
        if np.issubdtype(pixels.dtype, np.integer):
            info = np.iinfo(pixels.dtype)  # type: ignore[type-var]
            fill = float(min(max(round(fill), info.min), info.max))
        out[y0:y1, x0:x1] = fill
        blanked.append(BlankedBox(x0=x0, y0=y0, x1=x1, y1=y1, fill=fill))
    return out, tuple(blanked)


def redact_burned_in_text(
    pixels: npt.NDArray[np.generic],
) -> tuple[npt.NDArray[np.generic], tuple[BlankedBox, ...]]:
    """Find burned-in text lines near the border and blank them (see the module docs)."""
    return blank_boxes(pixels, find_text_boxes(pixels))
