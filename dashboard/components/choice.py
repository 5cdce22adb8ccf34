"""A choice of one option drawn by the browser's own ``<select>``, for a fast first paint.

Streamlit's select box brings about twenty files of element code (its menu, input and
text-field code) that a new tab fetches, compiles and runs before the page is ready,
and draws a heavy widget; on the case page in a new tab that type alone cost about a
tenth of a second (docs/benchmarks.md). This element uses the components-v2 code the
case page loads anyway (the viewer, transcript and question box).

The page keeps the value in ``st.session_state[key]`` as its own state, not a widget's:
it stays when the choice is not drawn, and the browser sends a choice once, as a
trigger, instead of the value with every run (so a page a run behind never sends an
old value back).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.components import elements

T = TypeVar("T")
NAME = "casebook_choice"
STORED = object()
"""``shown``'s default: the choice shows the value kept under its key."""
CHOSEN = "chosen"
"""The element's trigger: the token of the option the reader chose."""


def _component() -> Any:
    return elements.define(NAME, "choice", isolate_styles=False)


def element_key(key: str) -> str:
    """The element's own key for the choice kept under ``key``."""
    return f"choice-{key}"


def choice(
    label: str,
    options: Sequence[T],
    *,
    key: str,
    format_func: Callable[[T], str] = str,
    index: int = 0,
    on_change: Callable[..., object] | None = None,
    args: tuple[object, ...] = (),
    help: str | None = None,
    disabled: bool = False,
    where: DeltaGenerator | None = None,
    element: str | None = None,
    shown: Any = STORED,
) -> T:
    """Draw the choice and return the option chosen (``options[index]`` at first).

    ``on_change(*args)`` runs before the next run when the reader chooses another
    option. ``element`` names the element (default ``element_key(key)``): a choice whose
    ``key`` changes from run to run keeps one element, so a choice made on the element as
    last drawn reaches the key of the run that answers it. With ``shown`` the element
    shows that option and stores nothing until the reader chooses (the caller then pops
    ``key``): for a choice that mirrors a stored value, such as a conversation's mark.
    """
    if not options:
        raise ValueError("a choice needs at least one option")
    tokens = {str(option): option for option in options}
    if len(tokens) != len(options):
        raise ValueError("options must differ in their text form")
    current = st.session_state.get(key) if shown is STORED else shown
    if shown is not STORED and shown not in options:
        raise ValueError("the option shown must be one of the options")
    if shown is STORED and current not in options:
        current = options[index]
        st.session_state[key] = current
    name = element or element_key(key)

    def _chosen() -> None:
        sent = (st.session_state.get(name) or {}).get(CHOSEN)
        if isinstance(sent, str) and sent in tokens:
            before = st.session_state.get(key)
            st.session_state[key] = tokens[sent]
            if on_change is not None and tokens[sent] != before:
                on_change(*args)

    with where if where is not None else contextlib.nullcontext():
        _component()(
            key=name,
            data={
                "key": key,
                "label": label,
                "help": help or "",
                "disabled": disabled,
                "options": [[token, format_func(o)] for token, o in tokens.items()],
                "value": str(current),
            },
            on_chosen_change=_chosen,
        )
    return cast(T, current)
