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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
) -> dict[str, Any]:
    """What the element needs: its words, whether it may send, and what was taken."""
    return {
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
) -> None:
    """Draw the question box; ``on_send`` runs before the next run when questions arrive.

    The key never changes, so the element stays mounted across reruns: the text being
    typed, the focus and the unacknowledged questions stay where they are.
    """
    _component()(
        key=KEY,
        data=config(
            ctx, placeholder=placeholder, disabled=disabled, acknowledged=acknowledged
        ),
        on_questions_change=on_send,
    )
