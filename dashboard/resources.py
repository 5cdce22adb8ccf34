"""Every cached resource of the dashboard process: the store, engines, sessions, images.

One DuckDB store per server process and database path (``CaseStore`` opens a cursor per
call, so the session threads share it safely); one engine backend per backend
configuration, behind a lock when it is not the deterministic embedded one; one engine
conversation per stored conversation, shared by every browser session that asks in it,
so two people in the same conversation take turns instead of racing.

The database path comes from ``CASEBOOK_DB``, else ``[casebook] db`` in the secrets, else
``./data/casebook.duckdb`` (as for the command line). Settings an administrator changes
live in ``<database>.settings.json`` and every change is audited.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import streamlit as st

import cases
from engine.analysis import AnalysisCache
from engine.backends.base import BackendReply, ModelBackend, TurnContext
from engine.backends.registry import BackendSettings, create_backend, list_backends
from ontology import Vocabulary, load_vocabulary
from services import workflows
from services.overlay import DisplayImage, display_copy
from services.serving import STATUS_ENV, serve_paths

VIEWER_MAX_SIDE = 3072
"""Longest side sent to the image viewer: the full film for most CR/DX detectors."""
VIEWER_PREVIEW_SIDE = 1024
"""The first copy the viewer gets: enough for the whole film on screen."""

logger = logging.getLogger(__name__)

DB_ENV = "CASEBOOK_DB"
DEFAULT_DB = Path("data") / "casebook.duckdb"


def _secret_section(name: str) -> dict[str, Any]:
    try:
        section = st.secrets.get(name)
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}
    return dict(section) if section else {}


def db_path() -> Path:
    """The case database this server shows."""
    configured = (
        os.environ.get(DB_ENV) or _secret_section("casebook").get("db") or DEFAULT_DB
    )
    return Path(str(configured)).expanduser().resolve()


@st.cache_resource(show_spinner=False, max_entries=4)
def _open_store(path: str) -> cases.CaseStore:
    logger.info("opening case database %s", path)
    return cases.open_store(path)


def store() -> cases.CaseStore:
    """The case database (opened once per process).

    Raises:
        DatabaseLocked: another process holds the file.
    """
    path = str(db_path())
    _start_heartbeat(path)
    return _open_store(path)


@st.cache_resource(show_spinner=False)
def vocabulary() -> Vocabulary:
    """The bundled sign vocabulary and scorecard profiles."""
    return load_vocabulary()


def analysis_cache() -> AnalysisCache:
    """The process-wide image analysis cache (shared with the workflows)."""
    return workflows.analysis_cache()


# --------------------------------------------------------------------------- backends


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """A backend and whether it can answer here."""

    name: str
    available: bool
    reason: str


@st.cache_data(ttl=60, show_spinner=False)
def backend_statuses() -> list[BackendStatus]:
    """Every backend with whether it can run here (rechecked once a minute)."""
    return [
        BackendStatus(b.name, b.available, b.reason)
        for b in list_backends(BackendSettings.from_env())
    ]


def available_backends() -> list[str]:
    """Names of the backends that can answer here."""
    return [b.name for b in backend_statuses() if b.available]


class LockedBackend:
    """A backend whose ``compose`` runs one call at a time.

    Model backends hold one model (and a KV prefix cache) that concurrent generation
    would corrupt; the embedded backend is pure and is not wrapped.
    """

    def __init__(self, inner: ModelBackend) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.name = inner.name
        self.model_id = inner.model_id
        self.model_version = inner.model_version

    @property
    def parameters(self) -> dict[str, Any]:
        return self._inner.parameters

    def compose(
        self, context: TurnContext, on_text: Callable[[str], None] | None = None
    ) -> BackendReply:
        with self._lock:
            return self._inner.compose(context, on_text)


@st.cache_resource(show_spinner=False, max_entries=8)
def _backend(name: str, settings: tuple[tuple[str, Any], ...]) -> ModelBackend:
    backend = create_backend(name, BackendSettings(**dict(settings)))
    return backend if name == "embedded" else LockedBackend(backend)


def backend(name: str) -> ModelBackend:
    """The backend ``name`` for the current configuration (one per configuration).

    Raises:
        BackendUnavailable: it cannot run here; the message says what is missing.
    """
    settings = BackendSettings.from_env()
    key = tuple((f.name, getattr(settings, f.name)) for f in fields(settings))
    return _backend(name, key)


# --------------------------------------------------------------------------- conversations


class SessionRegistry:
    """Engine conversations by stored conversation id, shared by all browser sessions."""

    def __init__(self, maxsize: int = 64) -> None:
        self._items: OrderedDict[int, workflows.Session] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def find(self, conversation_id: int) -> workflows.Session | None:
        with self._lock:
            session = self._items.get(conversation_id)
            if session is not None:
                self._items.move_to_end(conversation_id)
            return session

    def put(self, session: workflows.Session) -> workflows.Session:
        with self._lock:
            existing = self._items.get(session.record.conversation_id)
            if existing is not None:
                return existing
            self._items[session.record.conversation_id] = session
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
            return session

    def forget(self, conversation_id: int) -> None:
        """Drop a conversation so that the next question rebuilds it from the store."""
        with self._lock:
            self._items.pop(conversation_id, None)


@st.cache_resource(show_spinner=False)
def _sessions(path: str) -> SessionRegistry:
    return SessionRegistry()


def sessions() -> SessionRegistry:
    """The conversation registry of this database."""
    return _sessions(str(db_path()))


# --------------------------------------------------------------------------- images


@st.cache_resource(show_spinner="Preparing the image… / 正在准备影像……", max_entries=4)
def _presentation(path: str, image_id: str) -> Any:
    case_store = _open_store(path)
    return case_store.load_display(case_store.get_image(image_id))


@st.cache_data(show_spinner=False, max_entries=96)
def _display_image(
    path: str, image_id: str, long_side: int, region: tuple[int, int, int, int] | None
) -> DisplayImage:
    # Decoding a large DICOM takes a moment; zooming in and out reuses the decoded pixels.
    return display_copy(
        _presentation(path, image_id), long_side=long_side, region=region
    )


def display_image(
    image_id: str, long_side: int, region: tuple[int, int, int, int] | None = None
) -> DisplayImage:
    """The JPEG copy of an image (or of a region of it) for a canvas with this long side.

    Raises:
        RecordNotFound, StoreCorrupted: the image or its pixel file is missing.
    """
    return _display_image(str(db_path()), image_id, long_side, region)


@st.cache_data(show_spinner=False, max_entries=8)
def _viewer_image(path: str, image_id: str, long_side: int) -> DisplayImage:
    return display_copy(
        _presentation(path, image_id), long_side=long_side, max_bytes=6_000_000
    )


def viewer_image(image_id: str, *, full: bool) -> DisplayImage:
    """The image for the viewer: a light copy, or the film at full resolution.

    The light copy (``VIEWER_PREVIEW_SIDE``) fills the viewer on screen; the full one
    (up to ``VIEWER_MAX_SIDE``) is sent once the reader zooms past it.

    Raises:
        RecordNotFound, StoreCorrupted: the image or its pixel file is missing.
    """
    side = VIEWER_MAX_SIDE if full else VIEWER_PREVIEW_SIDE
    return _viewer_image(str(db_path()), image_id, side)


@st.cache_data(show_spinner=False, max_entries=2048)
def _thumbnail_url(path: str, image_id: str) -> str | None:
    case_store = _open_store(path)
    image = case_store.find_image(image_id)
    if image is None:
        return None
    data = case_store.thumbnail_png(image)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def thumbnail_url(image_id: str) -> str | None:
    """A worklist thumbnail as a ``data:`` URL (made once, kept in the store folder)."""
    try:
        return _thumbnail_url(str(db_path()), image_id)
    except cases.CasesError:  # a missing pixel file shows as an empty cell
        return None


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Application settings an administrator may change (audited)."""

    default_backend: str = "embedded"
    quiz_iou_threshold: float = 0.5
    case_page_size: int = 50

    def validated(self) -> Settings:
        """Return the settings with out-of-range values replaced by defaults."""
        default = Settings()
        return replace(
            self,
            quiz_iou_threshold=self.quiz_iou_threshold
            if 0.05 <= self.quiz_iou_threshold <= 1.0
            else default.quiz_iou_threshold,
            case_page_size=self.case_page_size
            if 10 <= self.case_page_size <= 200
            else default.case_page_size,
        )


def settings_path() -> Path:
    """Where this database's settings live."""
    path = db_path()
    return path.with_name(path.name + ".settings.json")


def load_settings() -> Settings:
    """The current settings (defaults where the file is missing or unreadable)."""
    path = settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable settings file %s: %s", path, exc)
        return Settings()
    known = {f.name for f in fields(Settings)}
    try:
        return Settings(**{k: v for k, v in raw.items() if k in known}).validated()
    except TypeError:
        return Settings()


def save_setting(name: str, value: Any, *, actor: str) -> Settings:
    """Change one setting, audit the change and write the settings file atomically.

    Raises:
        ValueError: unknown setting.
    """
    current = load_settings()
    if name not in {f.name for f in fields(Settings)}:
        raise ValueError(f"unknown setting {name!r}")
    old = getattr(current, name)
    if old == value:
        return current
    updated = replace(current, **{name: value}).validated()
    store().record_settings_change(
        actor=actor, key=name, old=old, new=getattr(updated, name)
    )
    path = settings_path()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(updated), indent=2), encoding="utf-8")
    tmp.replace(path)
    return updated


# --------------------------------------------------------------------------- server status


@st.cache_resource(show_spinner=False)
def _heartbeat(path: str, status_file: str) -> threading.Thread:
    def beat() -> None:
        while True:
            try:
                stats = _open_store(path).stats()
                body = {
                    "pid": os.getpid(),
                    "db": path,
                    "written_at": time.time(),
                    "stats": asdict(stats),
                }
                tmp = Path(status_file + ".tmp")
                tmp.write_text(json.dumps(body), encoding="utf-8")
                tmp.replace(status_file)
            except (
                Exception
            ):  # the status file is informative; never stop serving over it
                logger.exception(
                    "could not write the server status file %s", status_file
                )
            time.sleep(15)

    thread = threading.Thread(target=beat, name="casebook-status", daemon=True)
    thread.start()
    return thread


def _start_heartbeat(path: str) -> None:
    """Under ``casebook serve``, keep a status file that ``casebook status`` reads.

    The server holds the DuckDB lock, so ``casebook status`` cannot count cases itself.
    """
    if os.environ.get(STATUS_ENV) == str(serve_paths(Path(path)).status):
        _heartbeat(path, os.environ[STATUS_ENV])
