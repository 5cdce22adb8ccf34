"""In real Chromium: the role picker is offered only to a browser that reached the server
directly; through a proxy or tunnel (proxy headers) the role is fixed and the sidebar warns.
"""

from __future__ import annotations

from cases import open_store
from tests.dashboard.test_e2e import (
    BROWSER_MARKS,
    CHROME_ARGS,
    CHROMIUM,
    settle,
    start_dashboard,
    stop,
)

pytestmark = BROWSER_MARKS

PICKER = "Acting as"
WARNING = "reached through a proxy or tunnel"


def _sidebar(browser, url: str, headers: dict[str, str], expect: str) -> str:
    context = browser.new_context(locale="en-US", extra_http_headers=headers)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("[data-testid=stSidebar]", timeout=120_000)
    settle(page, timeout=120_000)
    # The role picker is an element of ours, drawn once its code has run.
    page.get_by_test_id("stSidebar").get_by_text(expect).first.wait_for(timeout=60_000)
    text = page.get_by_test_id("stSidebar").inner_text()
    context.close()
    return text


def test_a_proxied_browser_gets_no_role_picker_and_a_warning(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "access.duckdb"
    open_store(db).close()
    url, process = start_dashboard(db, tmp_path)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROME_ARGS
            )
            direct = _sidebar(browser, url, {}, PICKER)
            proxied = _sidebar(
                browser, url, {"X-Forwarded-For": "203.0.113.7"}, WARNING
            )
            browser.close()
    finally:
        stop(process)
    assert PICKER in direct and WARNING not in direct
    assert PICKER not in proxied and WARNING in proxied, proxied
