"""The one place that turns errors and intake issues into messages on the page.

Pages run risky work inside ``guard()``; an expected error (``CasesError``,
``EngineError``, ``OntologyError``, ``AccessDenied``, and ``ValueError`` where the input came
from a person) becomes one plain ``st.error`` in the page's message area, at the top of the
main column, with what to do next. Unknown exceptions propagate: ``config.toml`` sets
``showErrorDetails = "none"``, so people see a generic error and the log keeps the trace.

Callbacks (button ``on_click``) run before the page is drawn; ``defer`` keeps their
messages for the message area of the run that follows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import streamlit as st

from cases import (
    CasesError,
    DatabaseLocked,
    ImportIssue,
    RecordNotFound,
    Severity,
    WriteConflict,
)
from dashboard.components.text import escape
from dashboard.state import SessionKey, language
from engine.errors import (
    BackendFailed,
    BackendUnavailable,
    EngineError,
    ModelFileMissing,
)
from kernel import Language
from ontology import OntologyError
from services import i18n
from services.access import AccessDenied

logger = logging.getLogger(__name__)

EXPECTED: tuple[type[BaseException], ...] = (
    CasesError,
    EngineError,
    OntologyError,
    AccessDenied,
)
# What a block that checks something a person typed or drew may also raise.
USER_INPUT_ERRORS: tuple[type[BaseException], ...] = (*EXPECTED, ValueError)
# The message area of the script run on this thread (each session runs on its own thread).
_RUN = threading.local()


@dataclass(frozen=True, slots=True)
class Message:
    """A message waiting for the message area."""

    level: str
    """``error``, ``warning``, ``success`` or ``info``."""
    text: str


def message_for(exc: BaseException, lang: Language | None = None) -> str:
    """Return the plain-language message for an expected error (plain text, not Markdown)."""
    lang = lang or language()
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, DatabaseLocked):
        return i18n.text("error.locked", lang, detail=detail)
    if isinstance(exc, ModelFileMissing):
        return i18n.text("error.model_missing", lang, detail=detail)
    if isinstance(exc, BackendUnavailable):
        return i18n.text("error.backend_unavailable", lang, detail=detail)
    if isinstance(exc, BackendFailed):
        return i18n.text("error.backend_failed", lang, detail=detail)
    if isinstance(exc, WriteConflict):
        return i18n.text("error.conflict", lang, detail=detail)
    if isinstance(exc, RecordNotFound):
        return i18n.text("error.not_found", lang, detail=detail)
    if isinstance(exc, AccessDenied):
        return i18n.text("error.access", lang, detail=detail)
    return detail


def area() -> None:
    """Open this run's message area (the frame calls it once, at the top of the page)."""
    _RUN.area = st.container(key="feedback_area")
    for message in st.session_state.pop(SessionKey.DEFERRED.value, []):
        _show(message)


def _container() -> Any:
    return getattr(_RUN, "area", None) or st


def _show(message: Message) -> None:
    show = {"error": "error", "warning": "warning", "success": "success"}.get(
        message.level, "info"
    )
    getattr(_container(), show)(message.text)


def report(exc: BaseException) -> None:
    """Show an expected error in the message area."""
    logger.info("shown to the user: %s: %s", type(exc).__name__, exc)
    _show(Message("error", escape(message_for(exc))))


def notify(text: str, level: str = "info") -> None:
    """Show a Markdown message (``success``, ``info``, ``warning``, ``error``); escape what people wrote."""
    _show(Message(level, text))


def defer(text: str, level: str = "info") -> None:
    """Keep a message for the next run's message area (for use in callbacks)."""
    pending = st.session_state.setdefault(SessionKey.DEFERRED.value, [])
    pending.append(Message(level, text))


@contextmanager
def guard(*, user_input: bool = False, stop: bool = False) -> Iterator[None]:
    """Show expected errors raised inside the block instead of a traceback.

    Args:
        user_input: also catch ``ValueError`` (the block checks something a person typed
            or drew, such as an empty question or a box outside the image).
        stop: stop the page after showing the error (the rest depends on the block).
    """
    expected = USER_INPUT_ERRORS if user_input else EXPECTED
    try:
        yield
    except expected as exc:
        report(exc)
        if stop:
            st.stop()


def show_issues(issues: Sequence[ImportIssue], *, where: Any = None) -> None:
    """Show an image's intake issues: warnings as warnings, the rest as captions."""
    target = where or st
    lang = language()
    for issue in issues:
        text = escape(
            i18n.text(
                "intake.issue", lang, code=issue.code.value, message=issue.message
            )
        )
        if issue.severity is Severity.WARNING:
            target.warning(text, icon=":material/warning:")
        else:
            target.caption(text)
