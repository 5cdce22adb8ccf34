"""The answers a page follows: none goes missing between the transcript and the queue."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page(drawn: list[tuple[int, int]]) -> None:
    """A transcript drew ``drawn``; the queue holds turn 2 of conversation 7, answered
    after the page read its turns, and turn 3, still answering."""
    from types import SimpleNamespace

    from dashboard.components import chat
    from dashboard.components.frame import PageContext
    from kernel import Language
    from services.access import AuthMode, Identity, PageId, Role
    from services.question_queue import PendingQuestion, QuestionStatus

    def answered(number: int, index: int, status: QuestionStatus) -> PendingQuestion:
        item = PendingQuestion(
            number=number,
            question=f"question {index}",
            conversation_id=7,
            new_conversation="",
            status=status,
            answered_in=7,
        )
        item.result = SimpleNamespace(  # type: ignore[assignment]
            index=index,
            answer_text=f"answer {index}",
            sections=(),
            backend="embedded",
            model_version="1",
            latency_ms=3.0,
            events=(),
            warnings=(),
        )
        return item

    items = [
        answered(1, 2, QuestionStatus.DONE),
        answered(2, 3, QuestionStatus.ANSWERING),
    ]

    class Queue:
        def items(self) -> list[PendingQuestion]:
            return items

        def wait_idle(self, timeout: float) -> bool:
            items[1].status = QuestionStatus.DONE
            return True

        def clear_finished(self) -> list[PendingQuestion]:
            return items

    ctx = PageContext(
        identity=Identity(
            actor="local:t",
            display_name="t",
            roles=frozenset({Role.READER}),
            mode=AuthMode.LOCAL,
        ),
        lang=Language.EN,
        page=PageId.CASE,
    )
    chat.follow(ctx, Queue(), set(drawn))  # type: ignore[arg-type]


def _questions(drawn: list[tuple[int, int]]) -> list[str]:
    at = AppTest.from_function(_page, args=(drawn,)).run()
    assert not at.exception, [e.value for e in at.exception]
    return [str(m.markdown[0].value) for m in at.chat_message if m.name == "user"]


def test_an_answer_that_arrived_after_the_transcript_was_read_is_shown():
    # The transcript drew turn 1 only: turn 2 was answered after it read the turns.
    assert _questions([(7, 1)]) == ["question 2", "question 3"]


def test_an_answer_the_transcript_drew_is_not_shown_twice():
    assert _questions([(7, 1), (7, 2)]) == ["question 3"]
