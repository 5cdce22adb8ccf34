"""The chat transcript of a conversation, and asking the next question with a streamed answer."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import streamlit as st

import cases
from dashboard import feedback, resources
from dashboard.components import canvas, composer, pickers, transcript
from dashboard.components.frame import PageContext
from dashboard.components.text import answer_markdown, escape, escape_lines, plain
from dashboard.state import SessionKey
from engine.analysis import AnalysisCache
from engine.anchors import AnchorEvent as EngineAnchorEvent
from engine.backends.base import ModelBackend
from services import access, workflows
from services.access import Right
from services.overlay import DrawnBox
from services.question_queue import (
    MAX_QUESTION_CHARS,
    Delivered,
    PendingQuestion,
    QuestionQueue,
    QuestionStatus,
    SentQuestions,
)


def _answer_footer(
    ctx: PageContext,
    number: int,
    model: str,
    latency_ms: float,
    events: Sequence[cases.AnchorEvent | EngineAnchorEvent],
    warnings: Sequence[object],
) -> None:
    """Turn, model, latency, what happened to anchors, then the answer's warnings.

    The same texts as the transcript element's footer for the stored turn, so the page
    reads the same whether or not another run redraws the transcript.
    """
    parts = transcript.footer_parts(ctx, number, model, latency_ms, events)
    st.caption(" · ".join(escape(p) for p in parts))
    for warning in warnings:
        st.caption(f":material/warning: {escape(str(warning))}")


def render_turn(
    ctx: PageContext,
    turn: cases.Turn,
    events: Sequence[cases.AnchorEvent],
    *,
    hide_answer: bool = False,
) -> None:
    """Show one stored turn as chat messages: the question, then the answer.

    The replay page's form, which may hide the answer for a quiz.
    """
    with st.chat_message("user"):
        plain(turn.question)
        st.caption(
            ctx.t(
                "chat.asked_by",
                actor=escape(turn.actor),
                time=turn.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            )
        )
    with st.chat_message("assistant"):
        if hide_answer:
            st.info(ctx.t("quiz.answer_hidden"))
            return
        shown = transcript.turn_data(ctx, turn, events)
        st.markdown(
            answer_markdown(turn.answer_text, transcript.titles(turn.answer_json))
        )
        st.caption(escape(shown["footer"]))
        for warning in shown["warnings"]:
            st.caption(f":material/warning: {escape(warning)}")


def render_transcript(
    ctx: PageContext, turns: Sequence[cases.Turn], events: Sequence[cases.AnchorEvent]
) -> None:
    """Show every stored turn of a conversation, as one element (components/transcript)."""
    transcript.render(ctx, turns, events, key="case-transcript")


# --------------------------------------------------------------------------- question queue
# A rerun (the reader sending a follow-up, clicking anything) stops this script; the
# questions live in a services.question_queue.QuestionQueue whose worker thread answers
# them whatever the script does. The script submits, then follows the queue until it is
# idle, so an interrupted follow costs nothing (see that module's docstring).

FOLLOW_INTERVAL_S = 0.05
"""Often enough that a send interrupts the follow loop before the next send arrives."""


def question_queue(
    ctx: PageContext,
    store: cases.CaseStore,
    *,
    case_id: str,
    image: cases.Image,
    backend_name: str,
    seed_from: int | None = None,
) -> QuestionQueue:
    """The question queue of this browser session and image (created on first use).

    ``seed_from`` names a read-only conversation: a conversation this queue opens asks
    its questions again first.
    """
    key = f"question-queue-{image.image_id}"
    holder = st.session_state.get(key)
    if not isinstance(holder, _QueueHolder):
        holder = _QueueHolder(store, ctx.actor, case_id, image.image_id)
        st.session_state[key] = holder
    # Streamlit resources are read here, in the script thread, for the worker to use.
    try:
        holder.backend = resources.backend(backend_name)
    except feedback.EXPECTED as exc:
        holder.backend = exc  # the worker fails the question with this reason
    holder.registry = resources.sessions()
    holder.cache = resources.analysis_cache()
    holder.seed_from = seed_from
    holder.seed_title = (
        None if seed_from is None else ctx.t("owner.title", source=seed_from)
    )
    return holder.queue


class _QueueHolder:
    """A queue and what its worker needs from Streamlit resources (refreshed per run)."""

    def __init__(
        self, store: cases.CaseStore, actor: str, case_id: str, image_id: str
    ) -> None:
        self.backend: ModelBackend | BaseException | None = None
        self.registry: resources.SessionRegistry | None = None
        self.cache: object = None
        self.seed_from: int | None = None
        self.seed_title: str | None = None
        self._store = store
        self._actor = actor
        self._case_id = case_id
        self._image_id = image_id
        self.queue = QuestionQueue(
            store, actor=actor, open_session=self._open, forget=self._forget
        )

    def _open(self, conversation_id: int | None) -> workflows.Session:
        registry = self.registry
        if registry is None:
            raise RuntimeError("the question queue was used before the page set it up")
        if conversation_id is not None:
            found = registry.find(conversation_id)
            if found is not None:
                return found
        backend = self.backend
        if isinstance(backend, BaseException):
            raise backend
        if backend is None:
            raise RuntimeError("the question queue has no backend yet")
        cache = self.cache if isinstance(self.cache, AnalysisCache) else None
        if conversation_id is None:
            seed_from, title = self.seed_from, self.seed_title
            session = workflows.start_session(
                self._store,
                self._case_id,
                backend=backend,
                actor=self._actor,
                image_id=self._image_id,
                cache=cache,
                title=title,
            )
            if seed_from is not None:
                workflows.seed_session(
                    self._store, session, seed_from, actor=self._actor
                )
        else:
            session = workflows.resume_session(
                self._store,
                conversation_id,
                backend=backend,
                cache=cache,
                actor=self._actor,
            )
        return registry.put(session)

    def _forget(self, conversation_id: int) -> None:
        if self.registry is not None:
            self.registry.forget(conversation_id)


def delivered() -> Delivered:
    """This browser session's record of the questions taken from its composers."""
    record = st.session_state.get(SessionKey.COMPOSER_DELIVERED.value)
    if not isinstance(record, Delivered):
        record = Delivered()
        st.session_state[SessionKey.COMPOSER_DELIVERED.value] = record
    return record


def deliver(
    ctx: PageContext,
    queue: QuestionQueue,
    conversation_base: str,
    working: DrawnBox | None,
    prefix: str,
    *,
    report_unreadable: bool = True,
) -> bool:
    """Queue each question the composer holds that was not taken before, in its order.

    Returns whether the drawn box went with a question (and left the canvas).

    The composer's change callback, run before the next script run; the page calls it
    again when it draws the composer, so a question whose callback a newer send stopped
    is queued by that run (what was taken is remembered per page and number, so nothing
    is queued twice). Questions are pinned to the conversation chosen on the picker the
    reader sees (``pickers.reader_choice``), or, from a page drawn before the question
    queue opened one, to the one it opened. Asked on "new conversation" or on a read-only
    conversation (someone else's, or kept for teaching/QA, which the queue checks), they
    go to the conversation ``pickers.new_conversation_name`` names. A drawn box goes
    with the first question that arrives with it. An unreadable value is reported by the
    callback, once (``report_unreadable``), not again by every run that finds it.

    A newer send stops this function at its next Streamlit call: everything is read
    from Streamlit first, then the questions are taken and queued in plain Python (no
    send can stop that halfway), and only then is anything written back.
    """
    value = composer.sent_value()
    record = delivered()
    generation, chosen = pickers.reader_choice(conversation_base)
    about_box = working is not None and bool(
        st.session_state.get(SessionKey.ASK_ABOUT_BOX.value, True)
    )
    try:
        sent = SentQuestions.from_state(value)
    except ValueError as exc:
        if report_unreadable:
            reason = str(exc)
            feedback.defer(escape(ctx.t("chat.refused_state", reason=reason)), "error")
        return False
    new = record.take(sent) if sent is not None else []
    if not new:
        return False
    try:
        access.require(ctx.identity, Right.ASK)
    except access.PermissionDenied as exc:
        feedback.defer(escape(feedback.message_for(exc)), "error")
        return False
    box = working if about_box else None
    refused = [len(q.text) for q in new if len(q.text) > MAX_QUESTION_CHARS]
    for question in new:
        if not question.text.strip() or len(question.text) > MAX_QUESTION_CHARS:
            continue
        queue.submit(
            question.text,
            conversation_id=None if chosen == pickers.NEW else chosen,
            new_conversation=pickers.new_conversation_name(
                conversation_base, generation, chosen
            ),
            drawn_box=box.box if box is not None else None,
            drawn_label=(box.label or None) if box is not None else None,
            actor=ctx.actor,
        )
        box = None  # asked about once
    pickers.settle(conversation_base, generation)  # a choice carried forward
    for count in refused:
        feedback.defer(
            escape(ctx.t("chat.refused_long", count=count, max=MAX_QUESTION_CHARS)),
            "error",
        )
    if about_box and box is None:
        canvas.consume(prefix)  # the box went with a question
        st.session_state.pop(SessionKey.ASK_ABOUT_BOX.value, None)
        return True
    return False


def adopt(
    queue: QuestionQueue, store: cases.CaseStore, base: str, shown: int | None
) -> cases.Conversation | None:
    """Show the conversation the queue opened for questions asked on ``shown``.

    ``shown`` is the picker's choice (``pickers.NEW`` or a read-only conversation).
    Returns that conversation, now selected on the picker's next generation, or None.
    """
    name = pickers.new_conversation_name(
        base,
        pickers.current_generation(base),
        pickers.NEW if shown is None else shown,
    )
    adopted = queue.opened(name)
    if adopted is None:
        return None
    pickers.select(base, adopted)
    return store.get_conversation(adopted)


def render_failed(ctx: PageContext, finished: Sequence[PendingQuestion]) -> None:
    """Keep each failed question in the transcript, saying that nothing was stored."""
    for item in finished:
        if item.status is QuestionStatus.FAILED:
            with st.chat_message("user"):
                plain(item.question)
            with st.chat_message("assistant"):
                st.caption(ctx.t("chat.failed"))


def report_finished(finished: Sequence[PendingQuestion]) -> None:
    """Show why each failed question was not answered (answered ones are turns now)."""
    for item in finished:
        if item.status is QuestionStatus.FAILED and item.error is not None:
            feedback.report(item.error)


def follow(
    ctx: PageContext,
    queue: QuestionQueue,
    shown: Collection[tuple[int, int]] = (),
) -> list[PendingQuestion]:
    """Show the questions the transcript does not, and stream answers until all are done.

    ``shown`` holds the (conversation, turn) pairs the transcript above drew. An answer
    that arrived after the page read its turns is not among them: it is shown here with
    the questions still waiting, so none is missing from the page while others wait.
    Each answer then stays where its question was, and the finished questions are
    returned (cleared from the queue) so that the page can reload its turns for the
    overlay and scorecard drawn after the transcript. A rerun that the reader starts
    meanwhile stops this loop, never the answers: the next run picks them up.
    """
    queued = queue.items()
    pending = [item for item in queued if not _drawn(item, shown)]
    if not pending:
        if queued:
            # Answered after the queue was read and drawn in the transcript: run again,
            # so the next run takes them from the queue with any answered meanwhile.
            st.rerun()
        return []
    slots = []
    for item in pending:
        with st.chat_message("user"):
            plain(item.question)
        with st.chat_message("assistant"):
            slots.append((item, st.empty()))
    while True:
        for item, slot in slots:
            _show_progress(ctx, item, slot)
        if queue.wait_idle(timeout=FOLLOW_INTERVAL_S):
            break
    for item, slot in slots:
        _show_progress(ctx, item, slot)
    return queue.clear_finished()


def _drawn(item: PendingQuestion, shown: Collection[tuple[int, int]]) -> bool:
    """Whether the transcript drew this question's stored turn."""
    result = item.result
    return (
        item.status is QuestionStatus.DONE
        and result is not None
        and (item.answered_in, result.index) in shown
    )


def _show_progress(ctx: PageContext, item: PendingQuestion, slot: Any) -> None:
    if item.status is QuestionStatus.QUEUED:
        slot.caption(ctx.t("chat.queued"))
    elif item.status is QuestionStatus.ANSWERING:
        if item.streamed:
            slot.markdown(escape_lines(item.streamed))
        else:
            slot.caption(ctx.t("chat.thinking"))
    elif item.status is QuestionStatus.FAILED:
        slot.caption(ctx.t("chat.failed"))
    elif item.result is not None:
        result = item.result
        with slot.container():
            st.markdown(
                answer_markdown(result.answer_text, [s.title for s in result.sections])
            )
            _answer_footer(
                ctx,
                result.index,
                f"{result.backend} {result.model_version}".strip(),
                result.latency_ms,
                [e for e in result.events if e.turn_index == result.index],
                result.warnings,
            )
