"""Tell Streamlit's frontend where the server is when a page is opened by its own URL.

An ASGI middleware (``dashboard/asgi_app.py`` installs it): the HTML that Streamlit serves
for a page path such as ``/case`` gets one script that sets
``window.__streamlit.BACKEND_BASE_URL`` to the URL without the page's name before
Streamlit's bundle runs. Streamlit's frontend otherwise probes ``/case/_stcore/health``
first, gets a 404 and retries at the server's root 100 ms later (see ``asgi_app.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from services.access import PageId

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_PATHS = frozenset({page.value for page in PageId} | {"login", "home"})
"""The last URL segment of every page ``dashboard/components/navigation.py`` registers."""

# The URL without its last segment (the page's name): the server's base, also behind a
# proxy that serves the dashboard under a prefix. Set before Streamlit's bundle reads it.
SCRIPT = (
    b"<script>window.__streamlit = Object.assign({}, window.__streamlit, "
    b'{BACKEND_BASE_URL: location.origin + location.pathname.replace(/[^/]+\\/?$/, "")});'
    b"</script>"
)


def is_page_path(path: str) -> bool:
    """Whether ``path`` names one of the dashboard's pages (``/case``, ``/x/cases/``)."""
    return path.rstrip("/").rsplit("/", 1)[-1] in PAGE_PATHS


def with_script(html: bytes) -> bytes:
    """The page's HTML with the base-URL script first in its head (unchanged if none)."""
    return html.replace(b"<head>", b"<head>" + SCRIPT, 1)


class GiveBaseUrl:
    """ASGI middleware: add ``SCRIPT`` to the HTML served for a page path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or not is_page_path(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        # The page is about 2 KB of HTML: ask for it uncompressed and as body messages
        # (no file-sending extension), so it can be edited.
        headers = [
            (k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"
        ]
        extensions = {
            k: v
            for k, v in (scope.get("extensions") or {}).items()
            if k not in ("http.response.pathsend", "http.response.zerocopysend")
        }
        inner = {**scope, "headers": headers, "extensions": extensions}
        await self.app(inner, receive, _Rewriter(send))


class _Rewriter:
    """Hold the response until its body is complete, then send it with the script."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if self.start is None:
            await self.send(message)
            return
        if message["type"] != "http.response.body":  # not expected: passed on as it is
            start, self.start = self.start, None
            await self.send(start)
            await self.send(message)
            return
        self.body.append(message.get("body", b""))
        if message.get("more_body"):
            return
        payload = b"".join(self.body)
        headers = list(self.start.get("headers", []))
        content_type = next(
            (v for k, v in headers if k.lower() == b"content-type"), b""
        )
        if self.start.get("status") == 200 and content_type.startswith(b"text/html"):
            payload = with_script(payload)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(payload)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": payload})
