"""The page list for ``st.navigation``: stable URL paths, filtered by the person's rights."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from dashboard.components import identity as identity_widgets
from dashboard.state import language
from services import i18n
from services.access import Identity, PageId

PAGES_DIR = Path(__file__).resolve().parents[1] / "views"

# (page, file, icon); the URL path is the PageId value: /cases, /case?id=..., /replay?conversation=...
PAGES: tuple[tuple[PageId, str, str], ...] = (
    (PageId.CASES, "cases.py", ":material/folder_open:"),
    (PageId.CASE, "case.py", ":material/radiology:"),
    (PageId.REPLAY, "replay.py", ":material/replay:"),
    (PageId.COMPARE, "compare.py", ":material/compare:"),
    (PageId.AUDIT, "audit.py", ":material/verified_user:"),
    (PageId.ONTOLOGY, "ontology.py", ":material/menu_book:"),
    (PageId.SETTINGS, "settings.py", ":material/settings:"),
)


def pages(person: Identity | None) -> list[st.Page]:
    """The pages this person may open (a sign-in page while an OIDC user is signed out)."""
    lang = language()
    if person is None:
        # Every page path shows the sign-in page, so a link opens no "page not found".
        title = i18n.text("login.title", lang)
        sign_in = [
            st.Page(
                identity_widgets.sign_in_page,
                title=title,
                url_path="login",
                default=True,
            )
        ]
        return sign_in + [
            st.Page(
                functools.partial(identity_widgets.sign_in_page),
                title=title,
                url_path=page.value,
                visibility="hidden",
            )
            for page, _, _ in PAGES
        ]
    # A page the person may not open stays registered but hidden, so that a link to it
    # (an e-mailed /audit, say) explains which roles open it instead of "page not found".
    pages = [
        st.Page(
            str(PAGES_DIR / file),
            title=i18n.text(f"nav.{page.value}", lang),
            icon=icon,
            url_path=page.value,
            visibility="visible" if person.may_open(page) else "hidden",
        )
        for page, file, icon in PAGES
    ]
    # Streamlit serves the default page at "/" only, so the case list gets its own
    # /cases path and "/" is a hidden page that forwards to it.
    start = next(
        p for p, (page, _, _) in zip(pages, PAGES, strict=True) if person.may_open(page)
    )
    home = st.Page(
        lambda: st.switch_page(start, query_params=st.query_params.to_dict()),
        title=start.title,
        url_path="home",
        default=True,
        visibility="hidden",
    )
    return [home, *pages]
