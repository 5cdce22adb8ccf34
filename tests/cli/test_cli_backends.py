"""`casebook backends`: the list of backends as text and as JSON."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from engine.backends import medgemma


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in (
        "CASEBOOK_MODEL_PATH",
        "CASEBOOK_DEVICE",
        "CASEBOOK_OPENAI_BASE_URL",
        "CASEBOOK_OPENAI_MODEL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(medgemma, "_cached_snapshot", lambda _repo_id: None)


def test_json_lists_every_backend(capsys):
    assert main(["backends", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in listed] == ["embedded", "medgemma", "openai"]
    assert all(set(b) == {"name", "available", "reason"} for b in listed)
    assert listed[0]["available"] is True
    assert listed[2]["available"] is False
    assert "CASEBOOK_OPENAI_BASE_URL" in listed[2]["reason"]


def test_model_path_option_is_named_in_the_reason(capsys, tmp_path):
    missing = tmp_path / "no-such-medgemma"
    assert main(["backends", "--json", "--model-path", str(missing)]) == 0
    medgemma_info = json.loads(capsys.readouterr().out)[1]
    assert medgemma_info["available"] is False
    assert str(missing) in medgemma_info["reason"]


def test_text_output_has_one_line_per_backend(capsys):
    assert main(["backends", "--base-url", "http://127.0.0.1:9/v1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["embedded", "medgemma", "openai"]
    assert lines[0].split()[1] == "available"
    assert "no server answers at http://127.0.0.1:9/v1" in lines[2]
