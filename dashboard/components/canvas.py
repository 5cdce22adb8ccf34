"""The radiograph canvas: the overlay as Fabric objects, and the box a person draws.

Changing a canvas's ``initial_drawing`` resets what was drawn on it, and a canvas keeps
its last drawing in the session under its key. So each canvas is keyed by a digest of
what it shows: a new overlay (another turn, a layer switched off, a new anchor) mounts a
fresh canvas instead of showing the previous one's drawing. The box a person drew last
is carried over into the new canvas, so switching a layer does not lose it; once a
question or an annotation uses the box (``consume``), it is not carried again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from services import overlay
from services.overlay import DisplayImage, DrawnBox


def _digest(value: Any) -> str:
    return hashlib.sha1(
        json.dumps(value, sort_keys=True, default=str).encode()
    ).hexdigest()[:12]


def _keys(prefix: str) -> tuple[str, str, str, str]:
    return (
        f"{prefix}:key",
        f"{prefix}:base",
        f"{prefix}:carried",
        f"{prefix}:generation",
    )


def previous_boxes(prefix: str) -> list[DrawnBox]:
    """The boxes on the canvas as the browser last sent it (before this run draws it), in image pixels."""
    key_name, _, carried_name, _ = _keys(prefix)
    key = st.session_state.get(key_name)
    value = st.session_state.get(key) if key else None
    shown = st.session_state.get(f"{prefix}:display")
    if isinstance(value, dict) and isinstance(shown, DisplayImage):
        drawing = (value.get("drawing") or {}).get("raw")
        return overlay.drawn_boxes(drawing, shown)
    carried = st.session_state.get(carried_name)
    return [carried] if isinstance(carried, DrawnBox) else []


def consume(prefix: str) -> None:
    """Forget the drawn box: the next canvas starts without it."""
    key_name, _, carried_name, generation_name = _keys(prefix)
    st.session_state[generation_name] = (
        int(st.session_state.get(generation_name, 0)) + 1
    )
    st.session_state.pop(key_name, None)
    st.session_state.pop(carried_name, None)
    st.session_state.pop(f"{prefix}:display", None)


def radiograph_canvas(
    prefix: str,
    display: DisplayImage,
    objects: Sequence[dict[str, Any]],
    *,
    drawing: bool,
    label: str = "",
) -> list[DrawnBox]:
    """Draw the image with its overlay; return the boxes drawn on it, in image pixels.

    Args:
        prefix: names this canvas in the session (one per page and image).
        display: the display copy drawn behind the overlay.
        objects: the overlay's Fabric objects (``overlay.overlay_objects``).
        drawing: whether the person may draw boxes (``labeled_rect`` mode); otherwise the
            canvas is read-only.
        label: the label stamped on boxes drawn from now on.
    """
    key_name, base_name, carried_name, generation_name = _keys(prefix)
    base = overlay.drawing(objects)
    base_digest = _digest(
        [base, display.origin_x, display.origin_y, display.region_width]
    )
    if st.session_state.get(base_name) != base_digest:
        # The overlay changed: carry the last drawn box into the canvas that replaces it.
        boxes = previous_boxes(prefix)
        st.session_state[carried_name] = boxes[-1] if boxes and drawing else None
        st.session_state[base_name] = base_digest
    carried = st.session_state.get(carried_name)
    extra = (
        [overlay.drawn_box_object(carried, display)]
        if isinstance(carried, DrawnBox)
        else []
    )
    generation = int(st.session_state.get(generation_name, 0))
    # The view (zoom) is part of the key: the same drawing on another view is another canvas.
    view = (
        display.origin_x,
        display.origin_y,
        display.region_width,
        display.width,
        display.height,
    )
    key = f"{prefix}-{generation}-{_digest([base_digest, view, extra])}"
    st.session_state[key_name] = key
    st.session_state[f"{prefix}:display"] = display
    result = st_canvas(
        background_image=display.data,
        initial_drawing=overlay.drawing(objects, extra),
        drawing_mode="labeled_rect" if drawing else "rect",
        label=label.strip() if drawing else "",
        disabled=not drawing,
        stroke_color=overlay.WORKING_BOX_STROKE,
        stroke_width=2,
        fill_color=overlay.WORKING_BOX_FILL,
        font_size=13,
        width=display.width,
        height=display.height,
        key=key,
    )
    return overlay.drawn_boxes(result.json_data, display)
