"""Choose on the dashboard's own select elements under AppTest, as a browser does.

A choice (``dashboard/components/choice.py``) is a components-v2 element: AppTest cannot
pick an option in it, but it can send the element's "chosen" trigger with the option's
token, which is what the browser sends when the reader picks one.
"""

from __future__ import annotations

import json
from typing import Any

from streamlit.components.v2.bidi_component.constants import EVENT_DELIM
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.state.session_state import STREAMLIT_INTERNAL_KEY_PREFIX

from dashboard.components import choice


def element(at, key: str) -> Any:
    """The choice element of the last run that keeps its value under ``key``."""
    (found,) = [
        c
        for c in at.get("bidi_component")
        if choice.NAME in c.proto.component_name
        and json.loads(c.proto.json)["key"] == key
    ]
    return found


def data(at, key: str) -> dict[str, Any]:
    """What the choice under ``key`` was given: label, options (token, words), value."""
    return json.loads(element(at, key).proto.json)


def shown(at, key: str) -> str:
    """The token of the option the choice under ``key`` shows."""
    return str(data(at, key)["value"])


def trigger(at, key: str, option: object) -> WidgetState:
    """The trigger a browser sends when the reader picks ``option`` on that choice."""
    token = str(option)
    assert token in [t for t, _ in data(at, key)["options"]], (token, key)
    sent = WidgetState()
    sent.id = f"{STREAMLIT_INTERNAL_KEY_PREFIX}_{element(at, key).proto.id}{EVENT_DELIM}events"
    sent.json_trigger_value = json.dumps([{"event": choice.CHOSEN, "value": token}])
    return sent


def choose(at, key: str, option: object, browser: WidgetStates | None = None) -> None:
    """Pick ``option`` on the choice under ``key`` and run the page once.

    ``browser`` holds the values of the other widgets the browser shows (a page drawn
    before the last run, say); by default those of the last run.
    """
    sent_trigger = trigger(at, key, option)
    widgets = browser if browser is not None else at._tree.get_widget_states()
    sent = WidgetStates()
    sent.widgets.extend(w for w in widgets.widgets if w.id != sent_trigger.id)
    sent.widgets.append(sent_trigger)
    at._run(widget_state=sent)
    assert not at.exception, [e.value for e in at.exception]
