"""The radiograph viewer: window / level, zoom and pan, with the AI overlay following.

A Streamlit components-v2 element whose HTML, CSS and JavaScript are static files in
``viewer_assets/`` (no network, no build step). It stays mounted across reruns, so a new answer
replaces only the overlay: the decoded film and the reader's view are kept. The film
travels as a link to Streamlit's media endpoint, not in the element's data: every rerun
sends the element again, and a follow-up question then sends its overlay, not the film
(about 160 KB of base64 for the light copy, 8 MB once zoomed to full resolution). It
receives a light copy first and the film at full resolution (up to
``resources.VIEWER_MAX_SIDE``) once zoomed past it, and the overlay as the
same Fabric objects the drawing canvas uses, computed once for a base size; the page
scales their geometry with the view and keeps their lines and labels the same size on
screen. Window and level act on the display values (after the file's own VOI), so the
presets are relative: lung widens the dark range, mediastinum and bone the bright one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import streamlit as st
from streamlit import runtime

from dashboard.components import elements
from dashboard.components.frame import PageContext
from services.overlay import Badge, DisplayImage

TOOLBAR_PX = 30
CONTROLS_PX = 64
"""Room under the film for the overlay controls (two rows; a third, in a narrow column,
takes its height from the film, so the element keeps its height and the page stays still)."""
MAX_ZOOM = 16.0
CONTROLS = "controls"
"""The viewer's trigger: the overlay controls as the reader set them (``on_controls_change``)."""

# Window centre and width on display values 0..1 (1 = white).
PRESETS: dict[str, tuple[float, float]] = {
    "full": (0.5, 1.0),
    "lung": (0.38, 0.72),
    "mediastinum": (0.62, 0.5),
    "bone": (0.75, 0.45),
}


def _component() -> Any:
    return elements.define("casebook_viewer", "viewer")


def image_url(image: DisplayImage, view_key: str) -> str:
    """A link the viewer loads the film from: the same link for the same pixels.

    Registered with Streamlit's media files for this session on every run that draws
    the viewer, as ``st.image`` does. The link is relative (``media/...``): every page
    sits one level below the server's base path, so it also works behind a prefix.
    Without a Streamlit runtime (bare mode) the film goes inline as a ``data:`` URL.
    """
    if not runtime.exists():
        return "data:image/jpeg;base64," + base64.b64encode(image.data).decode()
    url = runtime.get_instance().media_file_mgr.add(
        image.data, "image/jpeg", f"casebook-viewer-{view_key}"
    )
    return url.lstrip("/")


def config(
    ctx: PageContext,
    *,
    view_key: str,
    image: DisplayImage,
    full_size: tuple[int, int],
    full: bool,
    base: DisplayImage,
    objects: Sequence[dict[str, Any]],
    badge: Badge | None,
    focus: tuple[float, float, float, float] | None,
    height: int,
    turn: int = 0,
    controls: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What the viewer page needs: image, overlay in base pixels, presets and words."""
    overlay = {
        "objects": list(objects),
        "badge": None if badge is None else badge.text(),
    }
    return {
        "viewKey": view_key,
        "imageKey": f"{view_key}-{image.width}x{image.height}",
        # Names what is drawn: the overlay after this turn (a check that a new answer's
        # overlay is on screen, even when it looks the same as the last one).
        "revision": f"{turn}-"
        + hashlib.sha1(json.dumps(overlay, sort_keys=True).encode()).hexdigest()[:12],
        "image": image_url(image, view_key),
        # Film units are the full-resolution copy's pixels, whichever copy is sent.
        "imageWidth": full_size[0],
        "imageHeight": full_size[1],
        "pixelWidth": image.width,
        "pixelHeight": image.height,
        "full": full,
        "baseScale": base.width / full_size[0],
        **overlay,
        "focus": None
        if focus is None
        else [v * full_size[0] / image.image_width for v in focus],
        "height": height,
        "controlsHeight": CONTROLS_PX if controls is not None else 0,
        "controls": None if controls is None else dict(controls),
        "maxZoom": MAX_ZOOM,
        "presets": {
            name: {
                "center": center,
                "width": width,
                "label": ctx.t(f"viewer.preset.{name}"),
                "help": ctx.t(f"viewer.preset.{name}_help"),
            }
            for name, (center, width) in PRESETS.items()
        },
        "text": {
            key: ctx.t(f"viewer.{key}")
            for key in (
                "pan",
                "pan_help",
                "wl",
                "wl_help",
                "zoom_in",
                "zoom_out",
                "reset",
                "reset_help",
                "readout",
            )
        },
    }


def radiograph_viewer(
    ctx: PageContext,
    *,
    full_key: str,
    on_controls: Callable[[Mapping[str, Any]], None] | None = None,
    **settings: Any,
) -> None:
    """Draw the viewer (see ``config`` for the settings).

    ``full_key`` names the session flag that the viewer sets when the reader zooms past
    the lighter copy's pixels (the next run sends the film at full resolution).
    With ``controls`` (see ``overlay_controls``) the viewer draws the overlay controls
    under the film and, when the reader changes one, calls ``on_controls`` with all of
    them before the next run: the page keeps their values, the viewer only shows them.
    """
    values = config(ctx, **settings)
    key = f"viewer-{values['viewKey']}"

    def _wants_full() -> None:
        st.session_state[full_key] = True

    def _controls_changed() -> None:
        sent = (st.session_state.get(key) or {}).get(CONTROLS)
        if on_controls is not None and isinstance(sent, Mapping):
            on_controls(sent)

    _component()(
        data=values,
        key=key,
        height=values["height"] + 4 + values["controlsHeight"],
        on_full_change=_wants_full,
        on_controls_change=_controls_changed,
    )


def overlay_controls(
    ctx: PageContext,
    *,
    turn_count: int,
    turn: int,
    layers: Sequence[tuple[str, str]],
    shown_layers: Sequence[str],
    anchors: Sequence[tuple[str, str]],
    highlight: str,
    zoom: bool,
    can_zoom: bool,
    seen: int = 0,
) -> dict[str, Any]:
    """The overlay controls the viewer draws under the film, with their words.

    ``layers`` and ``anchors`` are (value, words) pairs; the anchors' first is "none".
    ``seen`` is the number of the reader's last change this run applied: the viewer keeps
    the reader's later changes shown rather than the older values a run answers with.
    Drawn by the viewer, not as Streamlit widgets: in a new tab each Streamlit element is
    one more to render and lay out before the page is ready (docs/benchmarks.md).
    """
    return {
        "turnCount": turn_count,
        "turn": turn,
        "layers": [list(pair) for pair in layers],
        "shownLayers": list(shown_layers),
        "anchors": [list(pair) for pair in anchors],
        "highlight": highlight,
        "zoom": zoom,
        "canZoom": can_zoom,
        "seen": seen,
        "text": {
            "turn": ctx.t("case.after_turn"),
            "turn_one": ctx.t("case.after_turn_one"),
            "layers": ctx.t("case.layers"),
            "anchor": ctx.t("case.selected_anchor"),
            "zoom": ctx.t("case.zoom"),
            "zoom_help": ctx.t("case.zoom_help"),
        },
    }
