"""Backend selection: every backend is listed with whether it can run here and why."""

from __future__ import annotations

import pytest

from engine.backends import medgemma
from engine.backends.embedded import EmbeddedBackend
from engine.backends.registry import BackendSettings, create_backend, list_backends
from engine.errors import BackendUnavailable


def test_all_three_backends_are_listed_with_reasons(monkeypatch):
    monkeypatch.setattr(medgemma, "_cached_snapshot", lambda _repo_id: None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    infos = {info.name: info for info in list_backends(BackendSettings())}
    assert list(infos) == ["embedded", "medgemma", "openai"]
    assert infos["embedded"].available
    assert not infos["medgemma"].available
    assert "google/medgemma-1.5-4b-it" in infos["medgemma"].reason
    assert "HF_HUB_OFFLINE=1" in infos["medgemma"].reason
    assert not infos["openai"].available
    assert "CASEBOOK_OPENAI_BASE_URL" in infos["openai"].reason
    assert all(info.reason for info in infos.values())


def test_missing_model_folder_is_named():
    with pytest.raises(
        BackendUnavailable, match=r"backend 'medgemma' is not available: .*/nonexistent"
    ):
        create_backend("medgemma", BackendSettings(model_path="/nonexistent"))


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(
        BackendUnavailable, match="choose one of: embedded, medgemma, openai"
    ):
        create_backend("gpt", BackendSettings())


def test_embedded_backend_needs_nothing():
    assert isinstance(create_backend("embedded", BackendSettings()), EmbeddedBackend)


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("CASEBOOK_MODEL_PATH", "/models/medgemma")
    monkeypatch.setenv("CASEBOOK_DEVICE", "cpu")
    monkeypatch.setenv("CASEBOOK_OPENAI_BASE_URL", "http://gpu-host:8000/v1")
    settings = BackendSettings.from_env(model_name="google/medgemma-1.5-4b-it")
    assert settings.model_path == "/models/medgemma"
    assert settings.device == "cpu"
    assert settings.base_url == "http://gpu-host:8000/v1"
    assert settings.model_name == "google/medgemma-1.5-4b-it"
