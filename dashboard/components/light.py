"""Controls drawn with the element types the case page loads anyway, for a fast first paint.

In a new browser tab Streamlit's frontend fetches the code of an element type (and what it
imports, one level at a time) only when the first element of that type arrives, and the
page is revealed once the last of them has arrived (docs/benchmarks.md, "Dashboard"). The
sidebar already brings the button group (``st.segmented_control``) and the select box, so
an on/off switch or a choice of turn drawn with them costs no fetch, where ``st.toggle``
(checkbox code) and ``st.select_slider`` (slider code with moment.js and numbro) each add
a wave of files.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

MAX_TURN_BUTTONS = 12
"""Up to this many turns the turn choice is a row of buttons; beyond, a slider."""


def switch(
    label: str,
    *,
    key: str,
    help: str | None = None,
    disabled: bool = False,
    where: DeltaGenerator | None = None,
) -> bool:
    """An on/off switch: one pill that stays pressed (``st.session_state[key]`` is True or None)."""
    chosen = (where or st).pills(
        label,
        [True],
        selection_mode="single",
        format_func=lambda _: label,
        key=key,
        help=help,
        disabled=disabled,
        label_visibility="collapsed",
    )
    return bool(chosen)


def turn_choice(
    label: str, turn_count: int, *, key: str, where: DeltaGenerator | None = None
) -> int:
    """Which turn's overlay to show: buttons for a short conversation, a slider for a long one."""
    area = where or st
    options = list(range(1, turn_count + 1))
    if turn_count > MAX_TURN_BUTTONS:
        return int(area.select_slider(label, options=options, key=key))
    chosen = area.segmented_control(
        label, options, selection_mode="single", required=True, key=key
    )
    return int(chosen or turn_count)


def action(label: str, *, key: str, icon: str = "") -> bool:
    """A one-off action drawn as a pill (a page link or button would fetch its own code).

    True on the run after the pill is pressed; the pill is released at once, so it never
    stays selected.
    """
    fired = f"{key}-fired"

    def _pressed() -> None:
        st.session_state[fired] = st.session_state.get(key) is not None
        st.session_state[key] = None

    st.pills(
        label,
        [label],
        selection_mode="single",
        format_func=lambda text: f"{icon} {text}".strip(),
        key=key,
        on_change=_pressed,
        label_visibility="collapsed",
    )
    return bool(st.session_state.pop(fired, False))
