"""In real Chromium: follow-ups sent 150 ms apart are all answered, in order, in one conversation.

Streamlit reruns the page on every send, which used to cancel the answer being computed
and open a new conversation for the follow-up. The dashboard runs the real engine on a
phantom film; the questions are typed and sent without waiting for any answer.
"""

from __future__ import annotations

import duckdb
import pytest

from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from tests.dashboard.test_e2e import (
    CHROME_ARGS,
    CHROMIUM,
    settle,
    start_dashboard,
    stop,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    ),
]

FOLLOW_UPS = (
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
)


def test_follow_ups_sent_150_ms_apart_are_all_answered_in_one_conversation(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "queue.duckdb"
    phantom = make_phantom(seed_scenario_spec(rows=512, columns=512, spacing_mm=0.7))
    with open_store(db) as store:
        case_id = store.import_bytes(
            phantom_dicom_bytes(phantom, DicomOptions(uid_seed="queue")),
            name="phantom.dcm",
            actor="t",
        ).case_id
    url, process = start_dashboard(db, tmp_path)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROME_ARGS
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1250})
            page.goto(f"{url}/case?id={case_id}")
            # The case page's image viewer has drawn the film.
            page.wait_for_selector(
                "[data-testid=viewer-root][data-ready=true]", timeout=120_000
            )
            settle(page)
            box = page.get_by_test_id("stChatInputTextArea")
            for question in FOLLOW_UPS:
                box.fill(question)
                box.press("Enter")
                page.wait_for_timeout(150)
            page.wait_for_function(
                "() => document.querySelectorAll("
                "'[data-testid=stChatMessageAvatarAssistant]').length >= 3",
                timeout=240_000,
            )
            settle(page, timeout=240_000)
            shown = page.get_by_test_id("stMain").inner_text()
            browser.close()
    finally:
        stop(process)
    connection = duckdb.connect(str(db), read_only=True)
    try:
        rows = connection.execute(
            "SELECT conversation_id, turn_index, question FROM turns "
            "ORDER BY conversation_id, turn_index"
        ).fetchall()
        conversations = connection.execute(
            "SELECT count(*) FROM conversations"
        ).fetchone()
    finally:
        connection.close()
    assert conversations == (1,), rows  # no empty or extra conversation
    assert [r[2] for r in rows] == list(FOLLOW_UPS)
    assert all(q in shown for q in FOLLOW_UPS)
