"""Session state keys of the dashboard and typed access to them.

Widget keys live here too, so tests can drive widgets by ``SessionKey`` and the pages
never spell a key twice. The canvas keeps its own keys, derived from a prefix per page and
image (``components/canvas.py``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

import streamlit as st

from kernel import Language

T = TypeVar("T")


class SessionKey(StrEnum):
    """Every ``st.session_state`` key the dashboard uses."""

    # frame
    LANGUAGE = "lang"
    LOCAL_ROLE = "local_role"
    DEFERRED = "deferred_messages"
    IMAGE_SIZE = "image_size"
    # cases page
    CASE_SEARCH = "cases_search"
    CASE_FINDING = "cases_finding"
    CASE_SIGN = "cases_sign"
    CASE_DATES = "cases_dates"
    CASE_HAS_CONVERSATIONS = "cases_has_conversations"
    CASE_BACKEND = "cases_backend"
    CASE_VERDICT = "cases_verdict"
    CASE_WARNINGS = "cases_warnings"
    CASE_SORT = "cases_sort"
    CASE_PAGE = "cases_page"
    CASE_TABLE = "cases_table"
    CASE_STATUS = "cases_review_status"
    CASE_TAG = "cases_tag"
    UPLOAD_FILES = "upload_files"
    UPLOAD_SPACING = "upload_spacing"
    UPLOAD_RESULTS = "upload_results"
    # case page
    CONVERSATION = "case_conversation"
    NEW_BACKEND = "case_new_backend"
    SHOWN_TURN = "case_shown_turn"
    SHOWN_FOR = "case_shown_for"
    LAYERS = "case_layers"
    HIGHLIGHT = "case_highlight"
    ZOOM = "case_zoom"
    CONTROLS_SEEN = "case_controls_seen"
    DETAIL_SECTION = "case_detail_section"
    BOX_LABEL = "case_box_label"
    ASK_ABOUT_BOX = "case_ask_about_box"
    COMPOSER = "case_composer"
    COMPOSER_DELIVERED = "case_composer_delivered"
    IMAGE = "case_image"
    IMAGE_MODE = "case_image_mode"
    # replay page
    REPLAY_CASE = "replay_case"
    REPLAY_CONVERSATION = "replay_conversation"
    REPLAY_TURN = "replay_turn"
    REPLAY_FOR = "replay_for"
    QUIZ = "replay_quiz"
    REPLAY_SECTION = "replay_section"
    QUIZ_TARGET = "replay_quiz_target"
    QUIZ_RESULT = "replay_quiz_result"
    # compare page
    COMPARE_CASE = "compare_case"
    COMPARE_A = "compare_a"
    COMPARE_B = "compare_b"
    COMPARE_TURN_A = "compare_turn_a"
    COMPARE_TURN_B = "compare_turn_b"
    # audit page
    AUDIT_WINDOW = "audit_window"
    AUDIT_ACTOR = "audit_actor"
    AUDIT_BACKEND = "audit_backend"
    AUDIT_MODEL = "audit_model"
    AUDIT_CASE = "audit_case"
    AUDIT_TEXT = "audit_text"
    AUDIT_DATES = "audit_dates"
    AUDIT_RECHECK = "audit_recheck"
    # ontology page
    ONTOLOGY_SEARCH = "ontology_search"
    ONTOLOGY_CATEGORY = "ontology_category"
    ONTOLOGY_TABLE = "ontology_table"
    ONTOLOGY_PROFILE = "ontology_profile"
    # settings page
    SETTING_BACKEND = "setting_backend"
    SETTING_QUIZ_IOU = "setting_quiz_iou"
    SETTING_PAGE_SIZE = "setting_page_size"


def get(key: SessionKey, default: T) -> T:
    """Return a session value, or ``default`` when it is not set."""
    value = st.session_state.get(key.value, default)
    return default if value is None else value


def put(key: SessionKey, value: Any) -> None:
    """Set a session value."""
    st.session_state[key.value] = value


def drop(*keys: SessionKey) -> None:
    """Forget session values (missing ones are ignored)."""
    for key in keys:
        st.session_state.pop(key.value, None)


def language() -> Language:
    """The interface language: English unless Chinese was chosen."""
    lang = st.session_state.get(SessionKey.LANGUAGE.value, "en")
    return Language.ZH if lang == Language.ZH else Language.EN
