"""Send questions through the case page's composer under AppTest, as a browser does.

AppTest cannot type into a components-v2 element, but it can send the element's state:
the numbered list of questions the page has not seen acknowledged
(``dashboard/components/composer.py``). These helpers build that state by hand, as
``tests/trust/test_stale_page.py`` builds a stale page's widget values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from streamlit.components.v2.bidi_component.constants import EVENT_DELIM
from streamlit.proto.WidgetStates_pb2 import (
    WidgetState,
    WidgetStates,
)
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX

from dashboard.components import composer

PAGE = "apptest-page"
"""The page id a browser's composer would make at random when it mounts."""


def element(at) -> Any:
    """The composer element of the last run."""
    (found,) = [
        c
        for c in at.get("bidi_component")
        if composer.COMPONENT in c.proto.component_name
    ]
    return found


def data(at) -> dict[str, Any]:
    """What the composer was given: placeholder, disabled, acknowledged numbers, words."""
    return json.loads(element(at).proto.json)


def acknowledged(at, page: str = PAGE) -> int:
    """The highest number of ``page`` that the server took, as the page is told."""
    return int(data(at)["acked"].get(page, 0))


def state(
    at, questions: Sequence[str], *, page: str = PAGE, first: int | None = None
) -> WidgetState:
    """The composer's state holding ``questions``, numbered from ``first``.

    By default they follow the last number the server acknowledged, as a browser
    numbers the questions it has not seen acknowledged.
    """
    start = acknowledged(at, page) + 1 if first is None else first
    value = {
        "page": page,
        "questions": [{"n": start + i, "text": q} for i, q in enumerate(questions)],
    }
    sent = WidgetState()
    sent.id = element(at).proto.id
    sent.json_value = json.dumps({composer.STATE: value})
    return sent


def send(
    at,
    *questions: str,
    page: str = PAGE,
    first: int | None = None,
    browser: WidgetStates | None = None,
) -> None:
    """Send ``questions`` in one composer state and run the page once.

    ``browser`` holds the values of the other widgets the browser shows (a page drawn
    before the last run, say); by default those of the last run.
    """
    sent_state = state(at, questions, page=page, first=first)
    widgets = browser if browser is not None else at._tree.get_widget_states()
    sent = WidgetStates()
    sent.widgets.extend(w for w in widgets.widgets if w.id != sent_state.id)
    sent.widgets.append(sent_state)
    at._run(widget_state=sent)
    assert not at.exception, [e.value for e in at.exception]


def notice(at) -> dict[str, Any] | None:
    """The read-only notice the composer shows above the box, with its seed switch."""
    shown = data(at)["notice"]
    return None if shown is None else dict(shown)


def press_seed(at, on: bool) -> None:
    """Press the seed switch of the read-only notice, as a browser does: the composer
    sends its "seed" trigger with the switch's new value, and the page runs once."""
    sent = WidgetState()
    sent.id = (
        f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element(at).proto.id}{EVENT_DELIM}events"
    )
    sent.json_trigger_value = json.dumps([{"event": composer.SEED, "value": on}])
    widgets = WidgetStates()
    widgets.widgets.extend(at._tree.get_widget_states().widgets)
    widgets.widgets.append(sent)
    at._run(widget_state=widgets)
    assert not at.exception, [e.value for e in at.exception]


def ask(at, question: str) -> None:
    """Type one question and send it (the box holds nothing unacknowledged)."""
    send(at, question)
