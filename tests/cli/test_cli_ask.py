"""`casebook ask`: one conversation from the command line, as text or as the issue's JSON."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image as PILImage

from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from cli.main import main
from services import workflows

SEED_ZH = [
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
]
TURN_KEYS = {
    "index",
    "question",
    "language",
    "intent",
    "answer_text",
    "anchors",
    "resolved_references",
    "measurements",
    "scorecard",
    "latency_ms",
}
ANCHOR_KEYS = {
    "id",
    "kind",
    "label",
    "side",
    "zone",
    "band",
    "bbox_px",
    "center_px",
    "size_mm",
    "parent_ids",
    "status",
}


@pytest.fixture(autouse=True)
def fake_models(monkeypatch, fake_cache):
    """The seed phantom's own masks and nodule stand in for the learned models."""
    monkeypatch.setattr(workflows, "_SHARED_CACHE", fake_cache)
    monkeypatch.delenv("CASEBOOK_DB", raising=False)


@pytest.fixture
def seed_png(tmp_path):
    phantom = make_phantom(seed_scenario_spec())
    buffer = io.BytesIO()
    PILImage.fromarray(np.round(phantom.pixels * 255).astype(np.uint8), mode="L").save(
        buffer, format="PNG"
    )
    path = tmp_path / "seed.png"
    path.write_bytes(buffer.getvalue())
    return path, phantom


def _ask(capsys, *args):
    code = main(["ask", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_image_file_runs_the_seed_scenario_and_prints_the_issue_json(
    capsys, seed_png
):
    path, phantom = seed_png
    spacing = phantom.truth.spacing_mm
    questions = [arg for q in SEED_ZH for arg in ("-q", q)]
    code, out, _ = _ask(
        capsys, str(path), "--spacing-mm", str(spacing), *questions, "--json"
    )
    assert code == 0
    turns = json.loads(out)
    assert [t["index"] for t in turns] == [1, 2, 3, 4]
    assert all(set(t) >= TURN_KEYS for t in turns)
    assert all(set(a) >= ANCHOR_KEYS for t in turns for a in t["anchors"])
    assert [t["intent"] for t in turns] == [
        "screening",
        "describe_finding",
        "relation",
        "profile_check",
    ]
    assert {t["language"] for t in turns} == {"zh"}
    nodule = phantom.truth.nodules[0]
    found = [a for a in turns[0]["anchors"] if a["kind"] == "finding"]
    assert any(
        math.dist(a["center_px"], nodule.center_px) <= nodule.diameter_px / 2
        for a in found
    )
    assert turns[1]["resolved_references"][0]["rule"] == "anatomical_description"
    (distance,) = [
        m for m in turns[2]["measurements"] if m["kind"] == "center_to_hilum"
    ]
    assert distance["calibration"] == "user" and distance["value_mm"] > 0
    card = turns[3]["scorecard"]
    assert card["met"] + card["not_met"] + card["not_assessable"] == len(card["items"])


def test_a_case_id_stores_the_conversation(capsys, demo_db):
    with open_store(demo_db) as store:
        before = {c.conversation_id for c in store.list_conversations("C000001")}
    code, out, _ = _ask(
        capsys,
        "C000001",
        "--db",
        str(demo_db),
        "-q",
        SEED_ZH[0],
        "-q",
        "Is there a nodule in the left lung?",
    )
    assert code == 0 and "--- turn" in out
    with open_store(demo_db) as store:
        (new,) = [
            c
            for c in store.list_conversations("C000001")
            if c.conversation_id not in before
        ]
        turns = store.list_turns(new.conversation_id)
    assert [t.question for t in turns] == [
        SEED_ZH[0],
        "Is there a nodule in the left lung?",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-q", "  "], "question 1 is empty"),
        (["-q", "hi", "-q", ""], "question 2 is empty"),
    ],
)
def test_an_empty_question_is_one_line(capsys, seed_png, args, message):
    code, out, err = _ask(capsys, str(seed_png[0]), *args)
    assert code != 0 and out == ""
    assert err.strip().count("\n") == 0 and message in err and "Traceback" not in err


def test_a_missing_image_file_is_named_instead_of_a_missing_database(capsys, tmp_path):
    code, _, err = _ask(capsys, str(tmp_path / "film.png"), "-q", "hi")
    assert (
        code != 0
        and f"no image file at {tmp_path / 'film.png'}" in err
        and "database" not in err
    )


def test_an_estimated_distance_is_printed_with_its_label_and_interval(capsys, seed_png):
    path, _ = seed_png  # a PNG without pixel spacing: distances are estimates
    code, out, _ = _ask(
        capsys,
        str(path),
        "-q",
        "Is there anything abnormal in the lungs?",
        "-q",
        "这个病灶距离右肺门有多远?",
    )
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("measurement ")]
    assert lines and all("（估计值，±15 %）" in line for line in lines)
    assert "measurement center_to_hilum" in out
