"""Questions travel as the composer's state: none is dropped, none is queued twice.

Streamlit keeps only the newest value of an element when two sends wait for one run, so
the composer's value is the page's whole list of questions not yet acknowledged. These
tests send that state as a browser would (``tests/dashboard/composer.py``), including
the one value that coalescing leaves of two sends, and the same value again.
"""

from __future__ import annotations

import pytest

from cases import open_store
from dashboard.components import pickers
from dashboard.state import SessionKey
from services.question_queue import (
    MAX_QUESTION_CHARS,
    Delivered,
    SentQuestion,
    SentQuestions,
)
from tests.dashboard import choices, composer
from tests.dashboard.conftest import app_env
from tests.dashboard.test_pages import SEED_CASE, open_page, shown_turns, texts
from tests.demo_fixtures import demo_db, demo_template, fake_cache

# Fixtures used here, imported so pytest finds them.
__all__ = ["app_env", "demo_db", "demo_template", "fake_cache"]

FIRST, SECOND = "Is there anything abnormal in the lungs?", "How large is this lesion?"


def _new_case_page(app_env, db):
    with open_store(db) as store:
        (image,) = store.list_images(SEED_CASE)
        before = {c.conversation_id for c in store.list_conversations(SEED_CASE)}
    at = open_page(app_env(db), "case", id=SEED_CASE)
    base = f"{SessionKey.CONVERSATION.value}-{image.image_id}"
    choices.choose(at, base, pickers.NEW)
    return at, before


def _new_conversations(db, before: set[int]) -> list[list[str]]:
    with open_store(db) as store:
        return [
            [t.question for t in store.list_turns(c.conversation_id)]
            for c in store.list_conversations(SEED_CASE)
            if c.conversation_id not in before
        ]


def test_two_questions_in_one_state_are_both_answered_in_order(app_env, demo_db):
    # The reader sent two questions before the server ran once: the value that
    # coalescing keeps is the second send's, which holds both.
    at, before = _new_case_page(app_env, demo_db)
    composer.send(at, FIRST, SECOND)
    assert _new_conversations(demo_db, before) == [[FIRST, SECOND]]
    assert composer.acknowledged(at) == 2  # the page drops both from its list
    shown = shown_turns(at)
    assert shown.count("user") == 2 and shown.count("assistant") == 2
    # The same value again (a rerun by another widget carries it): nothing is stored twice.
    composer.send(at, FIRST, SECOND, first=1)
    at.run()
    assert _new_conversations(demo_db, before) == [[FIRST, SECOND]]
    assert shown_turns(at).count("user") == 2  # shown once each


def test_a_question_sent_again_before_its_acknowledgement_is_queued_once(
    app_env, demo_db
):
    # The page has not yet drawn the run that took question 1, so its next send
    # carries 1 and 2.
    at, before = _new_case_page(app_env, demo_db)
    composer.send(at, FIRST)
    composer.send(at, FIRST, SECOND, first=1)
    assert _new_conversations(demo_db, before) == [[FIRST, SECOND]]
    assert composer.acknowledged(at) == 2


def test_questions_whose_callback_did_not_run_are_queued_by_the_next_run(
    app_env, demo_db
):
    # A newer send can stop the callback before it reads the list; the value stays in
    # the session and the page's own run takes it (set here without any callback).
    at, before = _new_case_page(app_env, demo_db)
    value = {"page": composer.PAGE, "questions": [{"n": 1, "text": FIRST}]}
    at.session_state[SessionKey.COMPOSER.value] = {"questions": value}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _new_conversations(demo_db, before) == [[FIRST]]
    composer.send(at, FIRST, SECOND, first=1)  # then the callback sees it: no repeat
    assert _new_conversations(demo_db, before) == [[FIRST, SECOND]]


def test_a_new_page_numbers_from_one_again(app_env, demo_db):
    at, before = _new_case_page(app_env, demo_db)
    composer.send(at, FIRST)
    composer.send(at, SECOND, page="reloaded-page")  # a remount makes a new page id
    assert _new_conversations(demo_db, before) == [[FIRST, SECOND]]
    assert composer.acknowledged(at, "reloaded-page") == 1


def test_an_overlong_or_unreadable_state_is_refused_saying_what_to_do(app_env, demo_db):
    at, before = _new_case_page(app_env, demo_db)
    composer.send(at, "x" * (MAX_QUESTION_CHARS + 1))
    assert f"{MAX_QUESTION_CHARS + 1} characters was not sent" in texts(at)
    assert composer.acknowledged(at) == 1  # taken, so the page stops sending it
    sent = composer.state(at, [FIRST])
    sent.json_value = '{"questions": {"page": "p", "questions": [{"n": 0}]}}'
    widgets = at._tree.get_widget_states()
    widgets.widgets.append(sent)
    at._run(widget_state=widgets)
    assert "reload the page and ask again" in texts(at)
    at.run()  # said once, not again by every run that finds the same value
    assert "reload the page and ask again" not in texts(at)
    assert _new_conversations(demo_db, before) == []


def test_a_reader_without_the_ask_right_cannot_send_a_forged_state(app_env, demo_db):
    at = open_page(app_env(demo_db, role="qa_auditor"), "case", id=SEED_CASE)
    with open_store(demo_db) as store:
        count = len(store.list_conversations(SEED_CASE))
    composer.send(at, FIRST)
    with open_store(demo_db) as store:
        assert len(store.list_conversations(SEED_CASE)) == count


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    "value",
    [
        "text",
        {"questions": []},
        {"page": "", "questions": []},
        {"page": "p", "questions": [{"n": 1}]},
        {"page": "p", "questions": [{"n": True, "text": "a"}]},
        {"page": "p", "questions": [{"n": 1, "text": "a"}, {"n": 1, "text": "b"}]},
    ],
)
def test_a_broken_composer_state_is_refused(value):
    with pytest.raises(ValueError, match=r"composer|question"):
        SentQuestions.from_state(value)


def test_delivered_takes_each_number_once_in_order():
    record = Delivered()
    sent = SentQuestions.from_state(
        {"page": "p", "questions": [{"n": 2, "text": "b"}, {"n": 1, "text": "a"}]}
    )
    assert sent is not None
    assert record.take(sent) == [
        SentQuestion(number=1, text="a"),
        SentQuestion(number=2, text="b"),
    ]
    assert record.take(sent) == []
    more = SentQuestions(
        page="p",
        questions=(SentQuestion(number=2, text="b"), SentQuestion(number=3, text="c")),
    )
    assert record.take(more) == [SentQuestion(number=3, text="c")]
    assert record.acknowledged() == {"p": 3}
