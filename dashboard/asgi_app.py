"""The dashboard as served: ``streamlit run dashboard/asgi_app.py`` runs ``app.py`` through it.

One thing differs from ``streamlit run dashboard/app.py``: a page opened by its own URL
(``/case?id=...``, a link from an e-mail or the worklist in a new tab) tells Streamlit's
frontend where the server is. Without that, the frontend guesses from the URL: it first
asks ``/case/_stcore/health``, gets a 404, waits 100 ms and only then asks
``/_stcore/health`` (``getPossibleBaseUris`` and ``doInitPings`` in Streamlit's frontend),
so every new tab on a page's URL paid a failed request and a retry delay before the
websocket opened (docs/benchmarks.md). The page's HTML now carries a one-line script
that sets ``window.__streamlit.BACKEND_BASE_URL`` (Streamlit's documented setting for
hosts) to the URL without the page's name, which is where the frontend connects after
its retry anyway. Every other request passes through unchanged.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from dashboard.base_url import GiveBaseUrl

app = st.App(
    str(Path(__file__).resolve().parent / "app.py"),
    middleware=[Middleware(GiveBaseUrl)],
)
