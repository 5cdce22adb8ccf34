"""Use cases shared by the command line and the dashboard pages (no Streamlit here).

Orchestration only: load a stored image as an engine `Radiograph`, keep analyses in the
store, start and resume conversations, write each turn (with its anchors, measurements
and scorecard) in one transaction, and rebuild the overlay of any turn. How an engine
result becomes store records and back is `services/records.py`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cases
from engine.analysis import AnalysisCache, ImageAnalysis, default_analyzer
from engine.anchors import Anchor, AnchorEvent
from engine.backends.base import HistoryTurn, ModelBackend
from engine.dialogue import Conversation, TurnResult
from engine.geometry import Box
from engine.model import Radiograph
from services.records import engine_anchor, turn_write

# The pixel hash is the analysis key; the engine version keeps old analyses apart.
_SHARED_CACHE: AnalysisCache | None = None
_CACHE_LOCK = threading.Lock()


def analysis_cache() -> AnalysisCache:
    """The process-wide analysis cache (one per server process or CLI run)."""
    global _SHARED_CACHE
    with _CACHE_LOCK:
        if _SHARED_CACHE is None:
            _SHARED_CACHE = AnalysisCache(default_analyzer)
        return _SHARED_CACHE


def radiograph_for(store: cases.CaseStore, image: cases.Image) -> Radiograph:
    """The stored image as the engine sees it: display values and calibration."""
    return Radiograph(
        pixels=store.load_display(image),
        calibration=image.calibration,
        key=image.image_id,
        view_position=image.view_position,
    )


def analyse_image(
    store: cases.CaseStore,
    image: cases.Image,
    cache: AnalysisCache | None = None,
    *,
    actor: str = "engine",
) -> ImageAnalysis:
    """The image's analysis: from memory, else from the store, else computed and kept."""
    cache = cache or analysis_cache()
    return cache.get(
        radiograph_for(store, image),
        load=lambda key, version: store.find_analysis(key, version),
        save=lambda key, version, payload: store.put_analysis(
            key, version, payload, actor=actor
        ),
    )


@dataclass
class Session:
    """A stored conversation and the engine conversation that continues it."""

    record: cases.Conversation
    image: cases.Image
    conversation: Conversation
    lock: threading.Lock


def start_session(
    store: cases.CaseStore,
    case_id: str,
    *,
    backend: ModelBackend,
    actor: str,
    image_id: str | None = None,
    title: str | None = None,
    cache: AnalysisCache | None = None,
) -> Session:
    """Open a new conversation about a case's image (its first image by default)."""
    image = store.get_image(image_id) if image_id else _first_image(store, case_id)
    started = time.perf_counter()
    analysis = analyse_image(store, image, cache, actor=actor)
    analysis_ms = (time.perf_counter() - started) * 1000
    record = store.start_conversation(
        case_id=case_id,
        image_id=image.image_id,
        backend=backend.name,
        model_id=backend.model_id,
        model_version=backend.model_version,
        parameters={**backend.parameters, "engine_version": analysis.engine_version},
        actor=actor,
        title=title,
    )
    image_pixels = (
        radiograph_for(store, image).pixels if backend.name != "embedded" else None
    )
    return Session(
        record=record,
        image=image,
        conversation=Conversation(
            analysis, backend, image=image_pixels, analysis_ms=analysis_ms
        ),
        lock=threading.Lock(),
    )


def resume_session(
    store: cases.CaseStore,
    conversation_id: int,
    *,
    backend: ModelBackend,
    cache: AnalysisCache | None = None,
    actor: str = "engine",
) -> Session:
    """Continue a stored conversation: anchors keep their ids, turns their numbers."""
    record = store.get_conversation(conversation_id)
    image = store.get_image(record.image_id)
    analysis = analyse_image(store, image, cache, actor=actor)
    turns = store.list_turns(conversation_id)
    anchors = [
        engine_anchor(a) for a in _latest_versions(store.list_anchors(conversation_id))
    ]
    events = [
        AnchorEvent(e.turn_index, e.anchor_id, e.status)
        for e in store.list_anchor_events(conversation_id)
    ]
    history = [HistoryTurn(question=_asked(t), answer=t.answer_text) for t in turns]
    image_pixels = (
        radiograph_for(store, image).pixels if backend.name != "embedded" else None
    )
    conversation = Conversation.restore(
        analysis,
        history=history,
        anchors=anchors,
        events=events,
        backend=backend,
        image=image_pixels,
    )
    return Session(
        record=record, image=image, conversation=conversation, lock=threading.Lock()
    )


def _asked(turn: cases.Turn) -> str:
    """The question as a model was given it: without an instruction it carried."""
    ignored = turn.answer_json.get("ignored_instruction")
    if isinstance(ignored, dict) and isinstance(ignored.get("question_to_model"), str):
        return ignored["question_to_model"]
    return turn.question


def ask(
    store: cases.CaseStore,
    session: Session,
    question: str,
    *,
    actor: str,
    drawn_box: Box | None = None,
    drawn_label: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> TurnResult:
    """Answer a question and store the turn in one transaction.

    Two browser sessions can share a conversation; the lock keeps their turns in order
    (the store rejects a second write of the same turn index as a conflict).

    Raises:
        ConversationReadOnly: the conversation is someone else's, or kept for teaching
            or QA; nothing is asked or stored.
    """
    refusal = read_only_reason(store, session.record, actor)
    if refusal is not None:
        raise ConversationReadOnly(refusal)
    with session.lock:
        result = session.conversation.ask(
            question, drawn_box=drawn_box, drawn_label=drawn_label, on_text=on_text
        )
        store.append_turn(turn_write(result, session.record.conversation_id, actor))
    return result


class ConversationReadOnly(cases.CasesError, ValueError):
    """A question was sent to a conversation the asker may read but not continue."""


def read_only_reason(
    store: cases.CaseStore, record: cases.Conversation, actor: str
) -> str | None:
    """Why ``actor`` may not add turns to a saved conversation, or None when they may.

    A conversation belongs to whoever started it; one marked for teaching or QA is kept
    as it is for everyone, so that what learners and auditors read never changes.
    """
    mark = store.find_conversation_mark(record.conversation_id)
    if mark is not None:
        return (
            f"conversation #{record.conversation_id} is kept for {mark.value} and is "
            "read-only; ask in a new conversation"
        )
    if record.created_by != actor:
        return (
            f"conversation #{record.conversation_id} belongs to {record.created_by} and is "
            "read-only for you; ask in a new conversation"
        )
    return None


def seed_session(
    store: cases.CaseStore,
    session: Session,
    source_id: int,
    *,
    actor: str,
) -> int:
    """Ask a source conversation's questions again in ``session``; return how many.

    A new conversation started from a read-only one begins where that one ended, with
    its own turns (the engine answers again, so anchors and numbers are its own).
    """
    drawn = {
        a.turn_index: a
        for a in store.list_anchors(source_id)
        if a.kind is cases.AnchorKind.USER_DRAWN
    }
    turns = store.list_turns(source_id)
    for turn in turns:
        box = drawn.get(turn.index)
        ask(
            store,
            session,
            turn.question,
            actor=actor,
            drawn_box=None if box is None else box.geometry.bounding_box(),
            drawn_label=None if box is None else box.label,
        )
    return len(turns)


def _latest_versions(anchors: tuple[cases.Anchor, ...]) -> list[cases.Anchor]:
    latest: dict[str, cases.Anchor] = {}
    for a in sorted(anchors, key=lambda a: a.turn_index):
        latest[a.anchor_id] = a
    return sorted(latest.values(), key=lambda a: int(a.anchor_id.lstrip("A") or 0))


def replay_state(
    store: cases.CaseStore, conversation_id: int, turn_number: int
) -> list[tuple[Anchor, str | None]]:
    """The overlay exactly as it was after turn `turn_number` (1-based), from stored anchors.

    Returns each anchor with what that turn did to it (created / refined / referenced)
    or None when the turn left it alone.
    """
    states = store.anchors_after_turn(conversation_id, turn_number)
    return [
        (
            engine_anchor(s.anchor),
            None if s.status_in_turn is None else s.status_in_turn.value,
        )
        for s in states
    ]


def _first_image(store: cases.CaseStore, case_id: str) -> cases.Image:
    images = store.list_images(case_id)
    if not images:
        raise cases.RecordNotFound(
            f"case {case_id} has no image; import one with `casebook import`"
        )
    return images[0]
