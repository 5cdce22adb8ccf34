"""In real Chromium: the case page's transcript is one element of ours that shows every
stored turn as text, never as markup, readable in light and dark, scrolled to the newest.

The answers come from a backend that writes HTML, script and Markdown, as a model could,
and the questions carry the same: the element must show every character and create no
node from them (an ``<img onerror>`` would run script on the page).
"""

from __future__ import annotations

import re
from pathlib import Path

from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from engine.backends.base import BackendReply
from services import workflows
from tests.dashboard.test_e2e import (
    BROWSER_MARKS,
    CHROME_ARGS,
    CHROMIUM,
    settle,
    start_dashboard,
    stop,
)

pytestmark = BROWSER_MARKS

QUESTION = (
    "<b>bold?</b> ![t](http://127.0.0.1:9/p.png) "
    "<script>window.__pwned = 'question'</script> **x**"
)
ANSWER = (
    "Findings\n"
    "- <img src=x onerror=\"window.__pwned = 'answer'\"> **not bold**\n"
    "- [link](javascript:window.__pwned='link') `code`\n"
    "\n"
    "<i>still text</i> # not a heading"
)
WARNING = "<img src=y onerror=\"window.__pwned = 'warning'\"> check this"
# What the element itself creates; anything else came from the text.
OWN_TAGS = {"div", "p", "ul", "li", "strong", "span", "svg", "path"}

SHOWN_JS = """() => {
    const root = document.querySelector('[data-testid=transcript-root]');
    const tags = [...new Set([...root.querySelectorAll('*')].map(e => e.localName))];
    const range = document.createRange();
    range.selectNodeContents(root);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    const selected = selection.toString();
    selection.removeAllRanges();
    const text = root.querySelector('[data-testid=transcript-question] p');
    let box = root.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight + 1
                    && getComputedStyle(box).overflowY !== 'visible')) {
        box = box.parentElement;
    }
    return {
        tags, selected, text: root.innerText, pwned: window.__pwned || null,
        turns: root.querySelectorAll('[data-testid=transcript-turn]').length,
        footers: [...root.querySelectorAll('[data-testid=transcript-footer]')]
            .map(e => e.textContent),
        warnings: root.querySelectorAll('[data-testid=transcript-warning]').length,
        colour: getComputedStyle(text).color,
        fromBottom: box ? box.scrollHeight - box.clientHeight - box.scrollTop : null,
    };
}"""


class HostileBackend:
    """Writes what a careless or attacked model could: HTML, script and Markdown."""

    name, model_id, model_version = "embedded", "hostile", "<b>v1</b>"

    def __init__(self) -> None:
        self.parameters: dict = {}

    def compose(self, context, on_text=None):
        return BackendReply(text=ANSWER, raw_output=ANSWER, warnings=(WARNING,))


def _database(tmp_path: Path) -> tuple[Path, str, int]:
    db = tmp_path / "transcript.duckdb"
    phantom = make_phantom(seed_scenario_spec(rows=512, columns=512, spacing_mm=0.7))
    with open_store(db) as store:
        case_id = store.import_bytes(
            phantom_dicom_bytes(phantom, DicomOptions(uid_seed="transcript")),
            name="phantom.dcm",
            actor="t",
        ).case_id
        session = workflows.start_session(
            store, case_id, backend=HostileBackend(), actor="local:<i>mallory</i>"
        )
        for _ in range(4):  # enough turns to scroll
            workflows.ask(store, session, QUESTION, actor="local:<i>mallory</i>")
        return db, case_id, session.record.conversation_id


def _luminance(colour: str) -> float:
    red, green, blue = (float(v) for v in re.findall(r"[\d.]+", colour)[:3])
    return (0.299 * red + 0.587 * green + 0.114 * blue) / 255


def _shown(url: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROME_ARGS
        )
        page = browser.new_page(
            locale="en-US", viewport={"width": 1600, "height": 1000}
        )
        page.goto(url)
        page.wait_for_selector(
            "[data-testid=transcript-root][data-ready=true]", timeout=180_000
        )
        page.wait_for_selector("[data-testid=viewer-root][data-ready=true]")
        settle(page, timeout=120_000)
        page.wait_for_timeout(500)  # the container's autoscroll follows the content
        shown = page.evaluate(SHOWN_JS)
        browser.close()
    return shown


def test_the_transcript_element_shows_hostile_turns_as_text_in_both_themes(tmp_path):
    db, case_id, conversation = _database(tmp_path)
    themes = {}
    for theme in ("light", "dark"):  # the project's theme, and the one a reader picks
        url, process = start_dashboard(db, tmp_path, extra=[f"--theme.base={theme}"])
        try:
            themes[theme] = _shown(
                f"{url}/case?id={case_id}&conversation={conversation}"
            )
        finally:
            stop(process)
    for shown in themes.values():
        assert shown["turns"] == 4
        assert shown["pwned"] is None
        assert set(shown["tags"]) <= OWN_TAGS, shown["tags"]
        text = shown["text"]
        for fragment in (
            QUESTION,
            "<img src=x onerror=\"window.__pwned = 'answer'\"> **not bold**",
            "[link](javascript:window.__pwned='link') `code`",
            "<i>still text</i> # not a heading",
            WARNING,
            "local:<i>mallory</i> · ",
        ):
            assert fragment in text, (fragment, text)
        assert QUESTION in shown["selected"]  # selectable and copyable as text
        assert shown["footers"][-1].startswith("Turn 4 · embedded <b>v1</b> · ")
        assert shown["warnings"] == 4
        assert shown["fromBottom"] is not None and shown["fromBottom"] <= 2, shown
    light, dark = themes["light"]["colour"], themes["dark"]["colour"]
    assert _luminance(light) < 0.4 < 0.6 < _luminance(dark), (light, dark)
