"""The case page's question box: its value is the page's questions not yet acknowledged.

A Streamlit components-v2 element whose HTML, CSS and JavaScript are static files in
``composer_assets/`` (no network, no build step), like the viewer. Streamlit's own chat
input sends each question as a *trigger*, and when two sends from one page wait for the
same run Streamlit keeps only the newer (``_coalesce_widget_states`` in
``streamlit/runtime/scriptrunner_utils/script_requests.py``): the older question was lost.
This element sends *state* instead, the numbered list of every question the page sent
that the server has not acknowledged (``services.question_queue.SentQuestions``), so the
newest value holds them all. The server queues each number once
(``question_queue.Delivered``) and sends back, in the element's data, the highest number
it took, which the page then drops from its list.

On a read-only conversation the element also shows why (``notice``) and the switch that
seeds the new conversation from its questions, drawn by the element rather than as a
Streamlit info box and pill: in a new tab each Streamlit element is one more to render
before the page is ready (docs/benchmarks.md). The page keeps the switch's value; a
press sends the ``seed`` trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.components import elements
from dashboard.components.frame import PageContext
from dashboard.state import SessionKey
from services.question_queue import MAX_QUESTION_CHARS

KEY = SessionKey.COMPOSER.value
COMPONENT = "casebook_composer"
STATE = "questions"
"""The element's one state value (its change callback is ``on_questions_change``)."""
SEED = "seed"
"""The element's trigger: the seed switch pressed, with its new value (True or False)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """Why the conversation is read-only, and the seed switch (None: not offered)."""

    text: str
    seed_label: str | None = None
    seed_help: str = ""
    seed_on: bool = False


def _component() -> Any:
    return elements.define(COMPONENT, "composer")


def sent_value() -> object:
    """The composer's state as the browser last sent it (None before any question)."""
    value = st.session_state.get(KEY)
    return value.get(STATE) if isinstance(value, Mapping) else None


def config(
    ctx: PageContext,
    *,
    placeholder: str,
    disabled: bool,
    acknowledged: Mapping[str, int],
    notice: Notice | None = None,
) -> dict[str, Any]:
    """What the element needs: its words, whether it may send, and what was taken."""
    return {
        "notice": None
        if notice is None
        else {
            "text": notice.text,
            "seed": None
            if notice.seed_label is None
            else {
                "label": notice.seed_label,
                "help": notice.seed_help,
                "on": notice.seed_on,
            },
        },
        "placeholder": placeholder,
        "disabled": disabled,
        "maxChars": MAX_QUESTION_CHARS,
        "acked": dict(acknowledged),
        "text": {
            "label": ctx.t("chat.label"),
            "send": ctx.t("chat.send"),
            "sending": ctx.t("chat.sending"),
            "too_long": ctx.t("chat.too_long"),
        },
    }


def question_box(
    ctx: PageContext,
    *,
    placeholder: str,
    disabled: bool,
    acknowledged: Mapping[str, int],
    on_send: Callable[[], object],
    notice: Notice | None = None,
    on_seed: Callable[[bool], None] | None = None,
) -> None:
    """Draw the question box, with the read-only ``notice`` when there is one.

    ``on_send`` runs before the next run when questions arrive, ``on_seed`` with the
    seed switch's new value when the reader presses it. The key never changes, so the element stays mounted across reruns: the text being
    typed, the focus and the unacknowledged questions stay where they are.
    """

    def _seed_pressed() -> None:
        value = st.session_state.get(KEY)
        pressed = value.get(SEED) if isinstance(value, Mapping) else None
        if on_seed is not None and isinstance(pressed, bool):
            on_seed(pressed)

    _component()(
        key=KEY,
        data=config(
            ctx,
            placeholder=placeholder,
            disabled=disabled,
            acknowledged=acknowledged,
            notice=notice,
        ),
        on_questions_change=on_send,
        on_seed_change=_seed_pressed,
    )
