"""The frame around every page: language, identity, the disclaimer and the message area."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import streamlit as st
from PIL import Image, ImageDraw

from dashboard import feedback
from dashboard.components import elements
from dashboard.components import identity as identity_widgets
from dashboard.state import SessionKey, language
from kernel import Language
from services import access, i18n
from services.access import AccessDenied, Identity, PageId, Right

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
IMAGE_SIDES = {"S": 440, "M": 520, "L": 600}
"""Image height (viewer) and canvas long side in pixels. Each fits a 1600 x 1000 screen
with the chat beside it: the largest leaves the page header, title and conversation
picker above it on a 1000 px high window."""


@dataclass(frozen=True, slots=True)
class PageContext:
    """What a page needs from the frame: who is here and in which language."""

    identity: Identity
    lang: Language
    page: PageId

    def t(self, key: str, **values: Any) -> str:
        """Return an interface string in the session's language."""
        return i18n.text(key, self.lang, **values)

    def can(self, right: Right) -> bool:
        """Whether the person may do ``right``."""
        return self.identity.can(right)

    @property
    def image_side(self) -> int:
        """The long side of the radiograph canvas the reader chose."""
        return IMAGE_SIDES.get(
            str(st.session_state.get(SessionKey.IMAGE_SIZE.value, "M")),
            IMAGE_SIDES["M"],
        )

    @property
    def columns(self) -> list[int]:
        """Width ratio of image and conversation columns for the chosen image size."""
        return {440: [1, 1], 520: [3, 2], 600: [2, 1]}.get(self.image_side, [3, 2])

    @property
    def actor(self) -> str:
        """The name the audit log records for this person's writes."""
        return self.identity.actor


def _language_switch() -> None:
    requested = st.query_params.get("lang")
    if (
        requested in LANGUAGE_NAMES
        and SessionKey.LANGUAGE.value not in st.session_state
    ):
        st.session_state[SessionKey.LANGUAGE.value] = requested
    st.sidebar.segmented_control(
        "Language / 语言",
        list(LANGUAGE_NAMES),
        format_func=LANGUAGE_NAMES.__getitem__,
        default=language(),
        required=True,
        key=SessionKey.LANGUAGE.value,
        label_visibility="collapsed",
    )


def common() -> Identity | None:
    """Draw what every page shares in the sidebar; return who is here (None: not signed in).

    ``app.py`` calls it before ``st.navigation``: Streamlit keeps the state of widgets drawn
    by the entry script across pages, and resets widgets drawn by a page when another page
    opens, so the language, role and image size must be drawn here.
    """
    _language_switch()
    lang = language()
    try:
        person = identity_widgets.current()
    except AccessDenied as exc:
        feedback.area()
        feedback.report(exc)
        st.stop()
    if person is not None:
        identity_widgets.sidebar(person)
        st.sidebar.segmented_control(
            i18n.text("frame.image_size", lang),
            list(IMAGE_SIDES),
            default="M",
            required=True,
            key=SessionKey.IMAGE_SIZE.value,
            help=i18n.text("frame.image_size_help", lang),
        )
    st.sidebar.divider()
    st.sidebar.caption(i18n.text("app.disclaimer", lang))
    return person


@functools.cache
def favicon() -> Image.Image:
    """The browser-tab icon: two lung fields on a dark film, drawn here (no download)."""
    icon = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((2, 2, 61, 61), radius=12, fill=(28, 36, 48, 255))
    draw.ellipse((10, 12, 30, 54), fill=(200, 215, 230, 255))
    draw.ellipse((34, 12, 54, 54), fill=(200, 215, 230, 255))
    draw.rectangle((29, 8, 35, 50), fill=(28, 36, 48, 255))
    return icon


def open_page(page: PageId) -> PageContext:
    """Open a page: its message area, and a stop when the person may not be here."""
    feedback.area()
    try:
        person = identity_widgets.current()
    except AccessDenied as exc:
        feedback.report(exc)
        st.stop()
    if person is None:
        identity_widgets.sign_in_page()
        st.stop()
    context = PageContext(identity=person, lang=language(), page=page)
    if not person.may_open(page):
        openers = access.roles_that_open(page)
        allowed = ", ".join(context.t(f"role.{role.value}") for role in openers)
        message = context.t(
            "access.page_denied", roles=person.role_names, allowed=allowed
        )
        if person.mode is access.AuthMode.LOCAL and set(openers) & set(
            identity_widgets.local_role_choices()
        ):
            message += " " + context.t("access.switch_role")
        st.warning(message, icon=":material/lock:")
        st.stop()
    return context


PAGE_STYLE_KEY = "casebook-page-style"


def compact() -> None:
    """Tighten the page's top margin (the case page fits image and chat on one screen).

    The rule comes with an element of ours (``page_style_assets/``), whose code the case
    page loads anyway, not with ``st.html``: a new tab would fetch the HTML element's
    code (and its sanitiser) for this one rule.
    """
    elements.define("casebook_page_style", "page_style", isolate_styles=False)(
        key=PAGE_STYLE_KEY
    )


def disclaimer(context: PageContext) -> None:
    """The visible note that the output is decision support, not a diagnosis."""
    st.caption(f":material/info: {context.t('app.disclaimer')}")
