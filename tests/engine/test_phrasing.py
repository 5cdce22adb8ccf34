"""The phrasing corpus: the dev file at >= 95 % per group, the held-out file measured.

Runs each corpus file of tests/engine/phrasing/ (dev.jsonl, and heldout.jsonl once it
exists) through the question reader and the dialogue state, and prints per-group
accuracy (`pytest -s` shows it; bench/bench_phrasing.py prints the same table). Misses
are listed for the dev file only: the held-out file's lines stay unseen by whoever
tunes the parser.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.dialogue.phrasing import CorpusError, evaluate, load_corpus

CORPUS = Path(__file__).parent / "phrasing"
TARGET = 0.95


def test_the_dev_corpus_is_read_at_the_target_accuracy(capsys):
    report = evaluate(CORPUS / "dev.jsonl")
    with capsys.disabled():
        print(f"\ndev.jsonl (tuned on: not a measure)\n{report.table()}")
    low = {g: (ok, n) for g, (ok, n) in report.by_group().items() if ok / n < TARGET}
    shown = report.failures()
    assert not low, f"groups under {TARGET:.0%}: {low}\n" + "\n".join(shown)
    assert report.help_answers_to_named == 0, "\n".join(shown)


# The held-out file is the measure (docs/benchmarks.md quotes it), so it is reported, not
# tuned to: this test prints its table and holds only what must never regress, naming no
# line. Raising these floors is a release decision, never a reaction to a held-out miss.
HELDOUT_FLOOR = 0.75


@pytest.mark.parametrize("name", [f"heldout{n}.jsonl" for n in ("", 2, 3, 4, 5)])
def test_the_heldout_corpus_is_measured_and_does_not_regress(capsys, name):
    report = evaluate(CORPUS / name)
    with capsys.disabled():
        print(f"\n{name} (the measure)\n{report.table()}")
    correct = sum(ok for ok, _ in report.by_group().values())
    total = sum(n for _, n in report.by_group().values())
    assert correct / total >= HELDOUT_FLOOR, f"held-out accuracy {correct}/{total}"
    assert report.help_answers_to_named == 0, "a named utterance got the help menu"


def test_the_dev_corpus_covers_every_group_in_both_languages():
    items = load_corpus(CORPUS / "dev.jsonl")
    assert len(items) >= 400
    groups = {i.group for i in items}
    for group in groups:
        langs = {i.lang for i in items if i.group == group}
        assert {"zh", "en"} <= langs, group
    assert len(groups) == 11


def test_a_malformed_line_is_named(tmp_path):
    bad = tmp_path / "bad.jsonl"
    line = {"id": "x", "group": "nonsense", "lang": "en", "text": "hi", "expect": {}}
    bad.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="line 1: unknown group 'nonsense'"):
        load_corpus(bad)
