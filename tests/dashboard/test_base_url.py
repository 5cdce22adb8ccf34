"""The middleware that gives Streamlit's frontend the server's base URL on a page's URL."""

from __future__ import annotations

import asyncio

from dashboard.base_url import SCRIPT, GiveBaseUrl, is_page_path

PAGE = b"<!doctype html><html><head><title>x</title></head><body></body></html>"


def test_page_paths_are_the_dashboards_pages_and_nothing_else():
    assert is_page_path("/case")
    assert is_page_path("/casebook/cases/")  # behind a proxy's prefix
    assert is_page_path("/login")
    assert not is_page_path("/")
    assert not is_page_path("/_stcore/health")
    assert not is_page_path("/static/js/index.js")
    assert not is_page_path("/media/case.jpg")


def serve(path: str, body: bytes, content_type: bytes = b"text/html") -> tuple:
    """One GET through the middleware around an app that answers ``body``."""
    seen: dict[str, object] = {}

    async def inner(scope, receive, send):
        seen["headers"] = dict(scope["headers"])
        seen["extensions"] = scope.get("extensions", {})
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body[:10], "more_body": True})
        await send({"type": "http.response.body", "body": body[10:]})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": [(b"accept-encoding", b"gzip"), (b"host", b"x")],
        "extensions": {"http.response.pathsend": {}},
    }
    asyncio.run(GiveBaseUrl(inner)(scope, receive, send))
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    return {**seen["headers"], **seen["extensions"]}, dict(sent[0]["headers"]), payload


def test_a_page_gets_the_script_first_in_its_head_with_its_length():
    asked, headers, payload = serve("/case", PAGE)
    assert payload == PAGE.replace(b"<head>", b"<head>" + SCRIPT)
    assert payload.index(SCRIPT) < payload.index(b"<title>")
    assert int(headers[b"content-length"]) == len(payload)
    assert b"accept-encoding" not in asked  # asked uncompressed, so it can be edited
    assert "http.response.pathsend" not in asked  # and as body messages, not a file
    assert b"BACKEND_BASE_URL" in SCRIPT


def test_other_requests_pass_through_unchanged():
    for path, content_type in (
        ("/", b"text/html"),
        ("/static/js/index.js", b"text/javascript"),
        ("/case", b"application/json"),
    ):
        _asked, headers, payload = serve(path, PAGE, content_type)
        assert payload == PAGE, path
        assert int(headers[b"content-length"]) == len(PAGE)
