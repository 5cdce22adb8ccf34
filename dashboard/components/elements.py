"""Our own components-v2 elements, registered from static files shipped in the package.

Each element ``<stem>`` keeps its files in ``<stem>_assets/``: ``<stem>_body.html``,
``<stem>.css`` and ``<stem>.js`` (no network, no build step).
"""

from __future__ import annotations

import functools
from importlib import resources as package_files
from typing import Any

import streamlit as st


def _asset(stem: str, name: str) -> str:
    return (
        package_files.files("dashboard.components")
        .joinpath(f"{stem}_assets/{name}")
        .read_text(encoding="utf-8")
    )


@functools.cache
def define(name: str, stem: str, *, isolate_styles: bool = True) -> Any:
    """The element ``name`` built from ``<stem>_assets/`` (registered once per process).

    ``isolate_styles=False`` lets the element's markup take the page's theme styles
    (fonts, Markdown), for elements that stand in for Streamlit's own.
    """
    return st.components.v2.component(
        name,
        html=_asset(stem, f"{stem}_body.html"),
        css=_asset(stem, f"{stem}.css"),
        js=_asset(stem, f"{stem}.js"),
        isolate_styles=isolate_styles,
    )
