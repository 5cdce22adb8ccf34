"""The chat transcript of a conversation, and asking the next question with a streamed answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

import cases
from dashboard import feedback, resources
from dashboard.components.frame import PageContext
from dashboard.components.text import answer_markdown, escape, escape_lines, plain
from engine.dialogue import TurnResult
from services import workflows
from services.overlay import DrawnBox


@dataclass(frozen=True, slots=True)
class Asked:
    """What asking did: the conversation it went to and the turn, if one was stored."""

    conversation_id: int | None
    result: TurnResult | None


def _titles(answer_json: Mapping[str, object]) -> list[str]:
    sections = answer_json.get("sections")
    if not isinstance(sections, list):
        return []
    return [str(s.get("title", "")) for s in sections if isinstance(s, dict)]


def _events_text(ctx: PageContext, events: Sequence[cases.AnchorEvent]) -> str:
    return ", ".join(
        f"{e.anchor_id} {ctx.t(f'status.{e.status.value}')}" for e in events
    )


def render_turn(
    ctx: PageContext,
    turn: cases.Turn,
    events: Sequence[cases.AnchorEvent],
    *,
    hide_answer: bool = False,
) -> None:
    """Show one stored turn: the question, then the answer with its provenance."""
    number = turn.index
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
        st.markdown(answer_markdown(turn.answer_text, _titles(turn.answer_json)))
        answer = turn.answer_json
        model = " ".join(
            str(answer.get(k, "")) for k in ("backend", "model_version")
        ).strip()
        parts = [
            ctx.t("chat.turn", number=number),
            escape(model),
            f"{turn.latency_ms:.0f} ms",
        ]
        if events:
            parts.append(escape(_events_text(ctx, events)))
        st.caption(" · ".join(p for p in parts if p))
        warnings = answer.get("warnings")
        if isinstance(warnings, list):
            for warning in warnings:
                st.caption(f":material/warning: {escape(str(warning))}")


def render_transcript(
    ctx: PageContext, turns: Sequence[cases.Turn], events: Sequence[cases.AnchorEvent]
) -> None:
    """Show every stored turn of a conversation."""
    by_turn: dict[int, list[cases.AnchorEvent]] = {}
    for event in events:
        by_turn.setdefault(event.turn_index, []).append(event)
    for turn in turns:
        render_turn(ctx, turn, by_turn.get(turn.index, []))


def ask(
    ctx: PageContext,
    store: cases.CaseStore,
    *,
    case_id: str,
    image: cases.Image,
    conversation_id: int | None,
    backend_name: str,
    question: str,
    drawn: DrawnBox | None,
    seed_from: int | None = None,
) -> Asked:
    """Ask in a conversation (a new one when ``conversation_id`` is None) and stream the answer.

    ``seed_from`` names a read-only conversation whose questions a new conversation asks
    again first.

    Errors show in the page's message area; a conversation that was opened before the
    error is still returned so that the next question goes to it.
    """
    registry = resources.sessions()
    with st.chat_message("user"):
        plain(question)
        if drawn is not None:
            b = drawn.box
            st.caption(
                ctx.t(
                    "chat.about_box",
                    label=escape(drawn.label or "—"),
                    box=f"[{b.x0:.0f}, {b.y0:.0f}, {b.x1:.0f}, {b.y1:.0f}]",
                )
            )
    session: workflows.Session | None = None
    with st.chat_message("assistant"):
        placeholder = st.empty()
        pieces: list[str] = []

        def on_text(piece: str) -> None:
            pieces.append(piece)
            placeholder.markdown(escape_lines("".join(pieces)))

        try:
            with st.spinner(ctx.t("chat.thinking")):
                session = registry.find(conversation_id) if conversation_id else None
                if session is None:
                    backend = resources.backend(backend_name)
                    if conversation_id is None:
                        session = workflows.start_session(
                            store,
                            case_id,
                            backend=backend,
                            actor=ctx.actor,
                            image_id=image.image_id,
                            cache=resources.analysis_cache(),
                            title=None
                            if seed_from is None
                            else ctx.t("owner.title", source=seed_from),
                        )
                        if seed_from is not None:
                            workflows.seed_session(
                                store, session, seed_from, actor=ctx.actor
                            )
                    else:
                        session = workflows.resume_session(
                            store,
                            conversation_id,
                            backend=backend,
                            cache=resources.analysis_cache(),
                            actor=ctx.actor,
                        )
                    session = registry.put(session)
                result = workflows.ask(
                    store,
                    session,
                    question,
                    actor=ctx.actor,
                    drawn_box=None if drawn is None else drawn.box,
                    drawn_label=None if drawn is None else (drawn.label or None),
                    on_text=on_text,
                )
        except (*feedback.EXPECTED, ValueError) as exc:
            placeholder.caption(ctx.t("chat.failed"))
            if session is not None:
                # The engine may be a step ahead of the store; rebuild it from the store next time.
                registry.forget(session.record.conversation_id)
            feedback.report(exc)
            return Asked(
                conversation_id=None
                if session is None
                else session.record.conversation_id,
                result=None,
            )
        placeholder.markdown(
            answer_markdown(result.answer_text, [s.title for s in result.sections])
        )
        st.caption(
            " · ".join(
                [
                    ctx.t("chat.turn", number=result.index),
                    escape(f"{result.backend} {result.model_version}"),
                    f"{result.latency_ms:.0f} ms",
                ]
            )
        )
    return Asked(conversation_id=session.record.conversation_id, result=result)
