"""The demo, built with the shipped engine, reads as a radiologist would accept.

Every demo conversation is read for what would make a radiologist close the tool: a
cardiothoracic ratio no adult PA film can have, a "not found" answer on a film shown for
its finding, a scorecard with nothing met or not met, a finding outside the lungs. A
phantom the engine does not read sensibly is left out of the demo, and says why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cases import open_store
from engine.dialogue.facts import CTR_PLAUSIBLE
from services import demo

# The cardiothoracic ratio as the answers state it (ontology/data/dialogue/answers.toml).
CTR = re.compile(r"(?:Cardiothoracic ratio [a-z ]*?|心胸比[^0-9]{0,4})(\d\.\d+)")
NOT_FOUND = ("Not found", "【未找到】", "未找到")
OUTSIDE_LUNG = ("outside the lung", "肺野边缘外", "肺野外")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoReport]:
    db = tmp_path_factory.mktemp("real-demo") / "demo.duckdb"
    with open_store(db) as store:
        report = demo.build(store)  # the shipped models, the embedded backend
    return db, report


def _turns(built: tuple[Path, demo.DemoReport]) -> list[tuple[str, str]]:
    db, report = built
    with open_store(db) as store:
        return [
            (f"{c.title} / turn {t.index}: {t.question}", t.answer_text)
            for c in report.conversations
            for t in store.list_turns(c.conversation_id)
        ]


def test_the_demo_opens_on_the_real_film(built):
    if demo.find_pydicom_chest() is None:
        pytest.skip("pydicom-data is not installed: the demo has no real film")
    _, report = built
    # The worklist lists the newest case first, and a case page opens on its newest
    # conversation: the real film, on its Chinese seed scenario.
    assert report.films[-1].key == "pydicom-cr"
    assert report.conversations[-1].key == "pydicom-cr"
    assert _turns(built), "the demo holds no conversation"


def test_no_demo_answer_states_an_impossible_cardiothoracic_ratio(built):
    low, high = CTR_PLAUSIBLE
    for where, text in _turns(built):
        for value in CTR.findall(text):
            assert low <= float(value) <= high, f"{where}: CTR {value}\n{text}"


def test_no_demo_answer_says_not_found_or_points_outside_the_lungs(built):
    for where, text in _turns(built):
        assert not any(words in text for words in NOT_FOUND), f"{where}\n{text}"
        assert not any(words in text for words in OUTSIDE_LUNG), f"{where}\n{text}"


def test_no_demo_scorecard_is_empty(built):
    db, report = built
    with open_store(db) as store:
        for c in report.conversations:
            by_turn: dict[int, list[str]] = {}
            for m in store.list_sign_matches(c.conversation_id):
                by_turn.setdefault(m.turn_index, []).append(m.status.value)
            for turn, statuses in by_turn.items():
                judged = [s for s in statuses if s != "not_assessable"]
                assert judged, f"{c.title} turn {turn}: 0 / 0 / {len(statuses)}"


def test_a_phantom_left_out_says_why_and_leaves_nothing_behind(built):
    db, report = built
    kept = {f.key for f in report.films}
    for left in report.left_out:
        assert left.key not in kept and left.problems
    with open_store(db) as store:
        assert store.stats().cases == len({f.case_id for f in report.films})
