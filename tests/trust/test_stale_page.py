"""A follow-up sent from a page drawn before the conversation existed joins that conversation.

A browser sends each question with the value of every widget it shows. The page it
shows may be a run behind: the run that opened a conversation for the first question
(and moved the picker onto it) may not have reached it when the next question is sent.
AppTest replays exactly that: the widget values of the page as it was before the first
answer, with the next question in its chat box.
"""

from __future__ import annotations

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetStates  # noqa: TID251 (a browser message)

from cases import open_store
from dashboard.components import pickers
from dashboard.state import SessionKey
from tests.dashboard import choices, composer
from tests.dashboard.conftest import app_env
from tests.dashboard.test_pages import SEED_CASE, SEED_EN, open_page
from tests.demo_fixtures import demo_db, demo_template, fake_cache

# Fixtures used here, imported so pytest finds them.
__all__ = ["app_env", "demo_db", "demo_template", "fake_cache"]

QUESTIONS = ("Is there anything abnormal in the lungs?", "How large is this lesion?")


def _picker_base(db) -> str:
    with open_store(db) as store:
        (image,) = store.list_images(SEED_CASE)
    return f"{SessionKey.CONVERSATION.value}-{image.image_id}"


def _ask_from(browser: WidgetStates, at, question: str) -> None:
    """Send ``question`` from a browser whose widgets hold ``browser``, maybe a run behind."""
    composer.send(at, question, browser=browser)


def _new_conversations(db, before: set[int]) -> dict[int, list[str]]:
    with open_store(db) as store:
        return {
            c.conversation_id: [t.question for t in store.list_turns(c.conversation_id)]
            for c in store.list_conversations(SEED_CASE)
            if c.conversation_id not in before
        }


@pytest.mark.parametrize("origin", ["new", "read-only"])
def test_a_follow_up_from_the_page_before_the_first_answer_joins_its_conversation(
    app_env, demo_db, origin
):
    base = _picker_base(demo_db)
    with open_store(demo_db) as store:
        before = {c.conversation_id for c in store.list_conversations(SEED_CASE)}
    at = open_page(app_env(demo_db), "case", id=SEED_CASE, conversation=SEED_EN)
    if origin == "new":
        choices.choose(at, base, pickers.NEW)
    # SEED_EN is demo:resident's, read-only for this reader: a question opens a new one.
    # The widget values of the page the browser keeps showing.
    stale = at._tree.get_widget_states()
    _ask_from(stale, at, QUESTIONS[0])
    (opened,) = _new_conversations(demo_db, before)
    assert choices.shown(at, f"{base}-1") == str(opened)  # moved onto it
    # That browser reruns the page (any widget) as it still shows it: the page stays.
    at._run(widget_state=stale)
    assert at.query_params["conversation"] == str(opened)
    # The browser has not drawn that run: it still shows "new conversation" (or the
    # read-only conversation) and sends the old picker's value with the follow-up.
    _ask_from(stale, at, QUESTIONS[1])
    assert _new_conversations(demo_db, before) == {opened: list(QUESTIONS)}
    assert at.query_params["conversation"] == str(opened)


def test_a_new_conversation_chosen_on_the_redrawn_picker_is_a_new_one(app_env, demo_db):
    base = _picker_base(demo_db)
    with open_store(demo_db) as store:
        before = {c.conversation_id for c in store.list_conversations(SEED_CASE)}
    at = open_page(app_env(demo_db), "case", id=SEED_CASE)
    choices.choose(at, base, pickers.NEW)
    composer.ask(at, QUESTIONS[0])
    (first,) = _new_conversations(demo_db, before)
    # The reader has seen the picker on the new conversation and chooses "new" again.
    choices.choose(at, f"{base}-1", pickers.NEW)
    composer.ask(at, QUESTIONS[1])
    assert not at.exception, [e.value for e in at.exception]
    stored = _new_conversations(demo_db, before)
    assert len(stored) == 2 and stored[first] == [QUESTIONS[0]]
    assert [QUESTIONS[1]] in stored.values()


def test_a_conversation_picked_on_the_older_picker_takes_the_next_question(
    app_env, demo_db
):
    """The reader picks their own conversation while the page still shows the picker
    from before the first answer, then asks: the question goes where they picked."""
    from tests.dashboard.test_pages import _own_conversation

    base = _picker_base(demo_db)
    own = _own_conversation(demo_db, "local:tester", QUESTIONS[:1])
    with open_store(demo_db) as store:
        before = {c.conversation_id for c in store.list_conversations(SEED_CASE)}
    at = open_page(app_env(demo_db), "case", id=SEED_CASE)
    choices.choose(at, base, pickers.NEW)
    stale = at._tree.get_widget_states()
    picked = choices.trigger(at, base, own)  # made on the picker as drawn, not sent yet
    _ask_from(stale, at, QUESTIONS[0])
    (opened,) = _new_conversations(demo_db, before)
    # The choice on the older picker arrives once, with the next question; the picker
    # has moved on a generation since it was drawn.
    changed = WidgetStates()
    changed.widgets.extend(stale.widgets)
    changed.widgets.append(picked)
    _ask_from(changed, at, QUESTIONS[1])
    _ask_from(stale, at, "Is its margin regular?")
    with open_store(demo_db) as store:
        in_own = [t.question for t in store.list_turns(own)]
    assert _new_conversations(demo_db, before) == {opened: [QUESTIONS[0]]}
    assert in_own == [QUESTIONS[0], QUESTIONS[1], "Is its margin regular?"]
    assert at.query_params["conversation"] == str(own)
