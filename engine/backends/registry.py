"""Backends by name, imported lazily so a missing optional package never breaks the engine.

Each backend module exposes `availability(settings) -> (bool, reason)` and
`create(settings) -> ModelBackend`; the built-in embedded backend goes through the same
interface as the optional ones.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Any

from engine.backends.base import ModelBackend
from engine.errors import BackendUnavailable

BACKEND_MODULES: dict[str, str] = {
    "embedded": "engine.backends.embedded",
    "medgemma": "engine.backends.medgemma",
    "openai": "engine.backends.openai_compat",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendSettings:
    """Configuration shared by all backends; each reads what it needs.

    Environment variables give the defaults so that the dashboard and the command line
    agree: CASEBOOK_MODEL_PATH, CASEBOOK_OPENAI_BASE_URL, CASEBOOK_OPENAI_MODEL,
    CASEBOOK_OPENAI_API_KEY, CASEBOOK_DEVICE.
    """

    model_path: str | None = None  # local folder or hub id (MedGemma)
    base_url: str | None = (
        None  # OpenAI-compatible server, e.g. http://gpu-host:8000/v1
    )
    model_name: str | None = None  # model name on that server
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    max_retries: int = 2
    max_new_tokens: int = 512
    device: str | None = None  # "cuda", "cpu" or None for automatic

    @classmethod
    def from_env(cls, **overrides: Any) -> BackendSettings:
        values: dict[str, Any] = {
            "model_path": os.environ.get("CASEBOOK_MODEL_PATH"),
            "base_url": os.environ.get("CASEBOOK_OPENAI_BASE_URL"),
            "model_name": os.environ.get("CASEBOOK_OPENAI_MODEL"),
            "api_key": os.environ.get("CASEBOOK_OPENAI_API_KEY"),
            "device": os.environ.get("CASEBOOK_DEVICE"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendInfo:
    name: str
    available: bool
    reason: str


def _module(name: str) -> Any:
    if name not in BACKEND_MODULES:
        known = ", ".join(BACKEND_MODULES)
        raise BackendUnavailable(f"unknown backend {name!r}; choose one of: {known}")
    try:
        return importlib.import_module(BACKEND_MODULES[name])
    except ImportError as exc:
        raise BackendUnavailable(f"backend {name!r} cannot be imported: {exc}") from exc


def list_backends(settings: BackendSettings | None = None) -> list[BackendInfo]:
    """Every known backend with whether it can run here and why (not)."""
    settings = settings or BackendSettings.from_env()
    infos = []
    for name in BACKEND_MODULES:
        try:
            available, reason = _module(name).availability(settings)
        except BackendUnavailable as exc:
            available, reason = False, str(exc)
        infos.append(BackendInfo(name=name, available=available, reason=reason))
    return infos


def create_backend(name: str, settings: BackendSettings | None = None) -> ModelBackend:
    """Build a backend by name.

    Raises:
        BackendUnavailable: the name is unknown, or the backend cannot run here; the
            message says what to install, where to put weights or which server is down.
    """
    settings = settings or BackendSettings.from_env()
    module = _module(name)
    available, reason = module.availability(settings)
    if not available:
        raise BackendUnavailable(f"backend {name!r} is not available: {reason}")
    backend: ModelBackend = module.create(settings)
    return backend
