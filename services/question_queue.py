"""A reader's questions, answered and stored exactly once, in order, in their conversation.

Streamlit reruns the page script whenever the reader sends something, and a rerun stops
the script that was running: an answer computed inside the script is lost when the
reader sends a follow-up before it arrives (and the follow-up, seeing no conversation
yet, used to open a new one). So the script only *submits*: a ``QuestionQueue`` (one per
browser session and image) keeps the questions in submission order and one worker
thread, which reruns cannot stop, answers them one after another and stores each turn.
The page shows the queue's state on every rerun until it is empty.

The conversation is pinned when a question is submitted: a stored conversation's id, or
the name of a conversation this queue opens (``new_conversation``): every question
submitted under the same name goes to the one conversation the first of them opens. The
page names it after what the reader was looking at (``dashboard.components.pickers``),
so a follow-up sent from a page drawn before that conversation existed joins it, and a
new conversation chosen afterwards gets a new name.

The questions reach the server as *state*, not as events (``SentQuestions``): the page's
composer holds the numbered list of questions it sent and the server has not yet
acknowledged, and every message from the page carries that list whole. Streamlit keeps
only the newest of two pending values of one element, and the newest list holds every
question the older one held, so none is lost there. ``Delivered`` remembers which
(page, number) pairs were queued, so each is queued exactly once and in number order
however often the list arrives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import cases
from engine.dialogue import TurnResult
from engine.errors import EngineError
from engine.geometry import Box
from services import workflows

logger = logging.getLogger(__name__)

OpenSession = Callable[[int | None], workflows.Session]
"""Return the engine session of a stored conversation, or open a new one (None)."""


MAX_QUESTION_CHARS = 2000
"""The longest question the composer sends (the page says so before sending)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SentQuestion:
    """One question as the page's composer numbered it."""

    number: int
    """From 1 on each page (one mount of the composer), in the order typed."""
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SentQuestions:
    """The composer's state: its page and the questions not yet acknowledged."""

    page: str
    """Made at random when the composer mounts: numbers restart on a new page."""
    questions: tuple[SentQuestion, ...]

    @classmethod
    def from_state(cls, value: object) -> SentQuestions | None:
        """Read the composer's state as the browser sent it; None when it holds none.

        Raises:
            ValueError: the value is not a composer state (a forged or broken message).
        """
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ValueError(f"the composer sent {type(value).__name__}, not a mapping")
        page, items = value.get("page"), value.get("questions")
        if not isinstance(page, str) or not page or not isinstance(items, list):
            raise ValueError("the composer's state needs a page id and a question list")
        questions: list[SentQuestion] = []
        for item in items:
            number = item.get("n") if isinstance(item, Mapping) else None
            text = item.get("text") if isinstance(item, Mapping) else None
            if type(number) is not int or number < 1 or not isinstance(text, str):
                raise ValueError("each sent question needs a number from 1 and a text")
            if any(q.number == number for q in questions):
                raise ValueError(f"question number {number} was sent twice in one list")
            questions.append(SentQuestion(number=number, text=text))
        return cls(
            page=page, questions=tuple(sorted(questions, key=lambda q: q.number))
        )


class Delivered:
    """Which of each page's numbered questions were taken (queued or refused), per session.

    A page numbers its questions 1, 2, 3 ... and keeps sending each until it is
    acknowledged, so the highest number taken per page is the whole record.
    """

    def __init__(self) -> None:
        self._taken: dict[str, int] = {}  # page -> highest number taken, newest last

    def take(self, sent: SentQuestions) -> list[SentQuestion]:
        """The questions of ``sent`` not taken before, in number order, now taken."""
        last = self._taken.pop(sent.page, 0)
        new = [q for q in sent.questions if q.number > last]
        self._taken[sent.page] = new[-1].number if new else last
        return new

    def acknowledged(self, pages: int = 8) -> dict[str, int]:
        """The highest number taken on each of the latest ``pages`` pages.

        A page drops its questions up to that number, so its list stays short.
        """
        return dict(list(self._taken.items())[-pages:])


class QuestionStatus(StrEnum):
    """Where a submitted question stands."""

    QUEUED = "queued"
    ANSWERING = "answering"
    DONE = "done"
    FAILED = "failed"


@dataclass(eq=False)
class PendingQuestion:
    """One submitted question and what became of it (mutated by the worker only)."""

    number: int
    """Submission order within the queue, from 1."""
    question: str
    conversation_id: int | None
    """The conversation pinned at submit time; None, or one read-only for the reader:
    the one ``new_conversation`` opens."""
    new_conversation: str
    """The name of the conversation this queue opens for a None ``conversation_id``."""
    drawn_box: Box | None = None
    drawn_label: str | None = None
    status: QuestionStatus = QuestionStatus.QUEUED
    streamed: str = ""
    result: TurnResult | None = None
    error: BaseException | None = field(default=None, repr=False)
    answered_in: int | None = None
    """The conversation the turn was stored in (known once answering starts)."""

    @property
    def finished(self) -> bool:
        """Whether the question was answered or failed."""
        return self.status in (QuestionStatus.DONE, QuestionStatus.FAILED)


class QuestionQueue:
    """Questions in submission order, answered one at a time by a worker thread.

    Args:
        store: the case database the turns are stored in.
        actor: who the audit log names for the turns.
        open_session: builds the engine session for a conversation (see ``OpenSession``).
        forget: drops a conversation's cached engine session after a failed question,
            so the next question rebuilds it from the store.
    """

    def __init__(
        self,
        store: cases.CaseStore,
        *,
        actor: str,
        open_session: OpenSession,
        forget: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._actor = actor
        self._open_session = open_session
        self._forget = forget
        self._items: list[PendingQuestion] = []
        self._opened: dict[str, int] = {}  # new-conversation name -> conversation id
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None

    # ------------------------------------------------------------------ the page's side

    def submit(
        self,
        question: str,
        *,
        conversation_id: int | None,
        new_conversation: str = "",
        drawn_box: Box | None = None,
        drawn_label: str | None = None,
        actor: str | None = None,
    ) -> PendingQuestion:
        """Queue a question for the conversation pinned now; return its record.

        Without a ``conversation_id``, or with one the reader may not add to, it goes
        to the conversation named ``new_conversation``, which the first question under
        that name opens.
        """
        with self._cond:
            if actor:
                self._actor = actor
            item = PendingQuestion(
                number=len(self._items) + 1,
                question=question,
                conversation_id=conversation_id,
                new_conversation=new_conversation,
                drawn_box=drawn_box,
                drawn_label=drawn_label,
            )
            self._items.append(item)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="question-queue", daemon=True
                )
                self._worker.start()
            self._cond.notify_all()
        return item

    def items(self) -> tuple[PendingQuestion, ...]:
        """Every question submitted and not yet cleared, in submission order."""
        with self._cond:
            return tuple(self._items)

    def opened(self, new_conversation: str) -> int | None:
        """The conversation opened under the name ``new_conversation``, if any yet."""
        with self._cond:
            return self._opened.get(new_conversation)

    def clear_finished(self) -> list[PendingQuestion]:
        """Remove and return the finished questions at the head of the queue."""
        with self._cond:
            done: list[PendingQuestion] = []
            while self._items and self._items[0].finished:
                done.append(self._items.pop(0))
            return done

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted question is finished; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: all(item.finished for item in self._items), timeout
            )

    # ------------------------------------------------------------------ the worker

    def _next(self) -> PendingQuestion | None:
        with self._cond:
            item = next(
                (i for i in self._items if i.status is QuestionStatus.QUEUED), None
            )
            if item is None:
                self._worker = None
                return None
            item.status = QuestionStatus.ANSWERING
            return item

    def _run(self) -> None:
        while (item := self._next()) is not None:
            self._answer(item)
            with self._cond:
                self._cond.notify_all()

    def _target(self, item: PendingQuestion) -> int | None:
        """The conversation to answer in; None: open the one ``new_conversation`` names.

        A conversation that is read-only for the reader (someone else's, or kept for
        teaching or QA) is not added to: the question starts a new one instead.
        """
        pinned = item.conversation_id
        if pinned is not None:
            record = self._store.find_conversation(pinned)
            if record is None or not workflows.read_only_reason(
                self._store, record, self._actor
            ):
                return pinned  # a missing one fails the question, saying so
        with self._cond:
            return self._opened.get(item.new_conversation)

    def _answer(self, item: PendingQuestion) -> None:
        session: workflows.Session | None = None
        try:
            target = self._target(item)
            session = self._open_session(target)
            conversation_id = session.record.conversation_id
            if target is None:
                with self._cond:
                    self._opened[item.new_conversation] = conversation_id
            item.answered_in = conversation_id

            def on_text(piece: str) -> None:
                item.streamed += piece

            item.result = workflows.ask(
                self._store,
                session,
                item.question,
                actor=self._actor,
                drawn_box=item.drawn_box,
                drawn_label=item.drawn_label,
                on_text=on_text,
            )
            item.status = QuestionStatus.DONE
        except Exception as exc:  # one failed question must not stop the queue
            if isinstance(exc, cases.CasesError | EngineError | ValueError):
                logger.info("question %d not answered: %s", item.number, exc)
            else:
                logger.exception("question %d failed", item.number)
            item.error = exc
            item.status = QuestionStatus.FAILED
            if session is not None and self._forget is not None:
                # The engine may be a step ahead of the store; rebuild it next time.
                self._forget(session.record.conversation_id)
