"""The overlay's colours, defined once for the live canvas and the exported PNGs.

Colours are chosen to stay readable over both lung (dark) and bone (light). The canvas
takes them as CSS strings (``css``); the PIL renderer takes the RGBA tuples.
"""

from __future__ import annotations

RGBA = tuple[int, int, int, int]

SCREENING_FILL: RGBA = (110, 190, 255, 72)
SCREENING_STROKE: RGBA = (150, 210, 255, 242)
CONTOUR_STROKE: RGBA = (79, 195, 247, 255)
FOCUS: tuple[int, int, int] = (255, 138, 80)
NOTCH: RGBA = (255, 215, 64, 255)
SPICULE: RGBA = (255, 255, 255, 255)
REGION_STROKE: RGBA = (255, 255, 255, 153)
LANDMARK: RGBA = (255, 152, 0, 255)
DISTANCE: RGBA = (255, 235, 59, 255)
GAP: RGBA = (255, 112, 67, 255)
HATCH: RGBA = (255, 235, 59, 190)
HATCH_FILL: RGBA = (255, 235, 59, 26)
USER_BOX: RGBA = (105, 240, 174, 255)
MODEL_BOX: RGBA = (224, 64, 251, 255)
REVIEWER: RGBA = (0, 230, 118, 255)
HIGHLIGHT_GLOW: RGBA = (255, 241, 118, 242)
WORKING_BOX: RGBA = (0, 176, 255, 255)
TAG_BACKGROUND: RGBA = (0, 0, 0, 158)
CONTOUR_FILL: RGBA = (79, 195, 247, 20)
HILUM_OUTLINE: RGBA = (255, 152, 0, 153)
USER_BOX_FILL: RGBA = (105, 240, 174, 20)
WORKING_BOX_FILL: RGBA = (0, 176, 255, 26)
BADGE_BACKGROUND: RGBA = (16, 28, 48, 204)
"""The scorecard badge on the live canvas."""
PRINT_BADGE_BACKGROUND: RGBA = (0, 0, 0, 180)
"""The scorecard badge on an exported PNG, with a faint white outline."""
PRINT_BADGE_OUTLINE: RGBA = (255, 255, 255, 120)
TRANSPARENT: RGBA = (0, 0, 0, 0)
WHITE: RGBA = (255, 255, 255, 255)
MET: RGBA = (102, 187, 106, 255)
NOT_MET: RGBA = (239, 83, 80, 255)
NOT_ASSESSABLE: RGBA = (189, 189, 189, 255)


def css(colour: RGBA) -> str:
    """Return a colour as CSS: ``#rrggbb`` when opaque, else ``rgba(r, g, b, a)``."""
    r, g, b, a = colour
    if a == 255:
        return f"#{r:02x}{g:02x}{b:02x}"
    return f"rgba({r}, {g}, {b}, {a / 255:.2f})"
