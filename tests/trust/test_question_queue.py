"""A question is never lost: follow-ups sent before an answer arrives are queued, in order."""

from __future__ import annotations

import threading

from cases import open_store
from engine.backends.embedded import EmbeddedBackend
from services import workflows
from services.question_queue import QuestionQueue, QuestionStatus
from tests.trust.conftest import SEED_QUESTIONS


def _queue(store, seed_cache, actor="reader"):
    sessions: dict[int, workflows.Session] = {}

    def open_session(conversation_id):
        if conversation_id in sessions:
            return sessions[conversation_id]
        if conversation_id is None:
            session = workflows.start_session(
                store,
                "C000001",
                backend=EmbeddedBackend(),
                actor=actor,
                cache=seed_cache,
            )
        else:
            session = workflows.resume_session(
                store, conversation_id, backend=EmbeddedBackend(), cache=seed_cache
            )
        sessions[session.record.conversation_id] = session
        return session

    return QuestionQueue(
        store, actor=actor, open_session=open_session, forget=sessions.pop
    )


def test_follow_ups_sent_before_the_answer_join_the_same_conversation(
    seed_copy, seed_cache
):
    with open_store(seed_copy) as store:
        before = {c.conversation_id for c in store.list_conversations("C000001")}
        queue = _queue(store, seed_cache)
        items = [
            queue.submit(q, conversation_id=None, new_conversation="new")
            for q in SEED_QUESTIONS
        ]
        assert queue.wait_idle(timeout=300)
        new = [
            c
            for c in store.list_conversations("C000001")
            if c.conversation_id not in before
        ]
        assert len(new) == 1  # one conversation, not one per question
        turns = store.list_turns(new[0].conversation_id)
        distance = store.list_measurements(new[0].conversation_id, 3)
        assert store.verify_audit().ok
    assert [t.question for t in turns] == list(SEED_QUESTIONS)
    assert all(i.status is QuestionStatus.DONE for i in items)
    assert {i.answered_in for i in items} == {new[0].conversation_id}
    assert queue.opened("new") == new[0].conversation_id
    # "这个病灶" in turn 3 bound to the lesion of turn 2: the context was kept, and the
    # lesion-to-hilum distance was measured (a new conversation would ask "which one?").
    assert "center_to_hilum" in [m.kind for m in distance]


def test_a_question_pinned_to_a_conversation_stays_there(
    seed_copy, seed_db, seed_cache
):
    with open_store(seed_copy) as store:
        # Only a conversation's author may add to it: the author's queue.
        queue = _queue(store, seed_cache, actor="reader@example.org")
        queue.submit("右肺门在哪里?", conversation_id=seed_db.conversation_id)
        queue.submit("肺部是否有异常?", conversation_id=None, new_conversation="new")
        assert queue.wait_idle(timeout=300)
        pinned = store.list_turns(seed_db.conversation_id)
        conversations = store.list_conversations("C000001")
    assert pinned[-1].question == "右肺门在哪里?" and len(pinned) == 5
    assert len(conversations) == 2


def test_a_failed_question_is_reported_and_the_next_is_still_answered(
    seed_copy, seed_cache
):
    with open_store(seed_copy) as store:
        queue = _queue(store, seed_cache)
        bad = queue.submit("?", conversation_id=999)  # no such conversation
        good = queue.submit(
            "肺部是否有异常?", conversation_id=None, new_conversation="n"
        )
        assert queue.wait_idle(timeout=300)
    assert bad.status is QuestionStatus.FAILED and "999" in str(bad.error)
    assert good.status is QuestionStatus.DONE


def test_eight_sessions_of_five_questions_store_forty_turns(seed_copy, seed_cache):
    """Eight readers, each sending five questions without waiting: 40 of 40 stored."""
    questions = (*SEED_QUESTIONS, "这个病灶多大?")
    with open_store(seed_copy) as store:
        before = {c.conversation_id for c in store.list_conversations("C000001")}
        queues = [_queue(store, seed_cache, actor=f"reader{n}") for n in range(8)]

        def send(queue):
            for question in questions:
                queue.submit(question, conversation_id=None, new_conversation="new")

        threads = [threading.Thread(target=send, args=(q,)) for q in queues]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(q.wait_idle(timeout=600) for q in queues)
        new = [
            c.conversation_id
            for c in store.list_conversations("C000001")
            if c.conversation_id not in before
        ]
        stored = {c: store.list_turns(c) for c in new}
        assert store.verify_audit().ok
    total = sum(len(t) for t in stored.values())
    print(f"8 sessions x 5 questions: {total} of 40 turns stored")
    assert len(new) == 8 and total == 40
    for turns in stored.values():
        assert [t.question for t in turns] == list(questions)


def test_questions_under_two_names_open_two_conversations(seed_copy, seed_cache):
    """A new conversation chosen after the first one opened gets its own."""
    with open_store(seed_copy) as store:
        queue = _queue(store, seed_cache)
        first = queue.submit(
            "肺部是否有异常?", conversation_id=None, new_conversation="a"
        )
        again = queue.submit(
            "这个病灶多大?", conversation_id=None, new_conversation="a"
        )
        other = queue.submit(
            "肺部是否有异常?", conversation_id=None, new_conversation="b"
        )
        assert queue.wait_idle(timeout=300)
    assert first.answered_in == again.answered_in == queue.opened("a")
    assert other.answered_in == queue.opened("b") != queue.opened("a")
    assert queue.opened("c") is None


def test_a_question_pinned_to_a_read_only_conversation_starts_a_new_one(
    seed_copy, seed_db, seed_cache
):
    """Someone else's conversation is not added to, whatever the page pinned."""
    with open_store(seed_copy) as store:
        queue = _queue(store, seed_cache, actor="someone.else")
        items = [
            queue.submit(
                q, conversation_id=seed_db.conversation_id, new_conversation="n"
            )
            for q in ("这个病灶多大?", "右肺门在哪里?")
        ]
        assert queue.wait_idle(timeout=300)
        kept = store.list_turns(seed_db.conversation_id)
        opened = queue.opened("n")
        assert opened is not None
        asked = [t.question for t in store.list_turns(opened)]
    assert len(kept) == 4  # untouched
    assert {i.answered_in for i in items} == {opened}
    assert asked == ["这个病灶多大?", "右肺门在哪里?"]
