"""Tampering directly in DuckDB is detected and named, through the API and the CLI."""

from __future__ import annotations

import json

import duckdb
import pytest

from cases import AuditProblemKind, open_store
from cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tamper(db, *statements):
    connection = duckdb.connect(str(db))
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


def test_verify_passes_on_an_untouched_database(seed_copy, capsys):
    code, out, err = run(capsys, "audit", "verify", "--db", str(seed_copy))
    assert code == 0, err
    assert out.startswith("audit chain OK: checked 9 audit records")
    code, out, _ = run(capsys, "audit", "verify", "--json", "--db", str(seed_copy))
    report = json.loads(out)
    assert code == 0
    assert report["ok"] is True and report["problems"] == []
    # case, image, its de-identification report, analysis, conversation, 4 turns
    assert report["records_checked"] == 9
    assert report["entities_checked"] == 9
    assert len(report["head_hash"]) == 64 and report["head_seq"] == 9


def test_the_head_hash_can_be_checked_later(seed_copy, capsys):
    _, out, _ = run(capsys, "audit", "verify", "--json", "--db", str(seed_copy))
    head = json.loads(out)["head_hash"]
    assert (
        run(capsys, "audit", "verify", "--expect-head", head, "--db", str(seed_copy))[0]
        == 0
    )
    code, out, _ = run(
        capsys, "audit", "verify", "--expect-head", "f" * 64, "--db", str(seed_copy)
    )
    assert code == 1
    assert f"the expected head {'f' * 64} is not in the log" in out


def test_deleting_the_newest_records_is_only_caught_with_a_published_head(
    seed_copy, capsys
):
    """docs/trust.md: tail truncation leaves a valid chain; --expect-head catches it."""
    _, out, _ = run(capsys, "audit", "verify", "--json", "--db", str(seed_copy))
    published = json.loads(out)["head_hash"]
    tamper(
        seed_copy,
        *(
            f"DELETE FROM {table} WHERE turn_index = 4"
            for table in (
                "sign_matches",
                "measurements",
                "turn_anchor_events",
                "anchors",
                "turns",
            )
        ),
        "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)",
    )
    # Left alone, the case list's summary still counts the deleted turn.
    code, out, _ = run(capsys, "audit", "verify", "--db", str(seed_copy))
    assert code == 1 and "case list summary of case" in out
    # A careful forger rewrites the summary too: the chain is then valid.
    tamper(
        seed_copy,
        "UPDATE case_summaries SET turn_count = turn_count - 1, "
        "last_turn_at = (SELECT max(created_at) FROM turns)",
    )
    code, out, _ = run(capsys, "audit", "verify", "--db", str(seed_copy))
    assert code == 0 and out.startswith("audit chain OK: checked 8 audit records")
    code, out, _ = run(
        capsys, "audit", "verify", "--expect-head", published, "--db", str(seed_copy)
    )
    assert code == 1
    assert f"the expected head {published} is not in the log" in out


# Each case: statements run directly in DuckDB, the problem kind, the entity and words
# that name what changed.
TAMPERING = {
    "changed turn answer": (
        ["UPDATE turns SET answer_text = 'No abnormality.' WHERE turn_index = 2"],
        AuditProblemKind.ENTITY_CHANGED,
        ("turn", "1/2"),
        "turn 2 of conversation 1: answer_text changed since audit record 7",
    ),
    "changed anchor geometry and style": (
        [
            """UPDATE anchors SET geometry = '{"type":"box","x0":1,"y0":1,"x1":9,"y1":9}',
                      style = 'region'
               WHERE anchor_id = 'A1' AND turn_index = 2"""
        ],
        AuditProblemKind.ENTITY_CHANGED,
        ("turn", "1/2"),
        "turn 2 of conversation 1: anchor A1 geometry and style changed since audit record 7",
    ),
    "changed measurement": (
        ["UPDATE measurements SET value_mm = 30.0 WHERE measurement_index = 0"],
        AuditProblemKind.ENTITY_CHANGED,
        ("turn", "1/3"),
        "turn 3 of conversation 1: measurement 0 value_mm changed since audit record 8",
    ),
    "changed scorecard item": (
        ["UPDATE sign_matches SET status = 'met' WHERE status = 'not_met'"],
        AuditProblemKind.ENTITY_CHANGED,
        ("turn", "1/4"),
        "sign match 0 status changed",
    ),
    "deleted turn": (
        [
            f"DELETE FROM {table} WHERE turn_index = 4"
            for table in (
                "sign_matches",
                "measurements",
                "turn_anchor_events",
                "anchors",
                "turns",
            )
        ],
        AuditProblemKind.ENTITY_MISSING,
        ("turn", "1/4"),
        "turn 4 of conversation 1 missing (recorded by audit record 9)",
    ),
    "reordered turns": (
        [
            """UPDATE turns SET question = CASE turn_index
                   WHEN 1 THEN (SELECT question FROM turns WHERE turn_index = 2)
                   ELSE (SELECT question FROM turns WHERE turn_index = 1) END
               WHERE turn_index IN (1, 2)"""
        ],
        AuditProblemKind.ENTITY_CHANGED,
        ("turn", "1/1"),
        "turn 1 of conversation 1: question changed since audit record 6",
    ),
    "reordered audit records": (
        [
            "UPDATE audit_log SET seq = 100 WHERE seq = 6",
            "UPDATE audit_log SET seq = 6 WHERE seq = 7",
            "UPDATE audit_log SET seq = 7 WHERE seq = 100",
        ],
        AuditProblemKind.RECORDS_OUT_OF_ORDER,
        ("turn", "1/2"),
        "audit records out of order: record 6 (turn.append, turn 1/2) was written after record 7, not after record 5",
    ),
    "deleted audit record": (
        ["DELETE FROM audit_log WHERE seq = 7"],
        AuditProblemKind.RECORD_MISSING,
        ("turn", "1/3"),
        "audit record 7 missing (chain jumps to record 8)",
    ),
    "forged actor": (
        ["UPDATE audit_log SET actor = 'someone@else' WHERE seq = 6"],
        AuditProblemKind.RECORD_HASH_MISMATCH,
        ("turn", "1/1"),
        "audit record 6 hash mismatch: the record was edited",
    ),
}


@pytest.mark.parametrize("case", TAMPERING, ids=list(TAMPERING))
def test_tampering_is_detected_and_named(seed_copy, capsys, case):
    statements, kind, entity, words = TAMPERING[case]
    tamper(seed_copy, *statements)

    with open_store(seed_copy) as store:
        report = store.verify_audit()
    assert not report.ok
    assert report.problem.kind is kind, report.problem
    assert (report.problem.entity_type, report.problem.entity_id) == entity
    assert words in report.problem.message, report.problem.message

    code, out, _ = run(capsys, "audit", "verify", "--db", str(seed_copy))
    assert code == 1
    assert out.startswith("audit chain BROKEN")
    assert f"entity {entity[0]} {entity[1]}; {kind.value}" in out
    assert words in out

    code, out, _ = run(capsys, "audit", "verify", "--json", "--db", str(seed_copy))
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert data["first_problem"]["kind"] == kind.value
    assert data["first_problem"]["entity_id"] == entity[1]
    assert any(words in p["message"] for p in data["problems"])


def test_every_tampered_entity_is_listed_not_only_the_first(seed_copy, capsys):
    tamper(
        seed_copy,
        "UPDATE turns SET answer_text = 'x' WHERE turn_index = 1",
        "UPDATE measurements SET value_mm = 1.0",
    )
    code, out, _ = run(capsys, "audit", "verify", "--json", "--db", str(seed_copy))
    messages = [p["message"] for p in json.loads(out)["problems"]]
    assert code == 1
    assert [m.split(":")[0] for m in messages] == [
        "turn 1 of conversation 1",
        "turn 3 of conversation 1",
    ]


def test_log_lists_every_write_with_its_actor(seed_copy, capsys):
    code, out, _ = run(capsys, "audit", "log", "--json", "--db", str(seed_copy))
    records = json.loads(out)
    assert code == 0
    assert [(r["action"], r["actor"]) for r in records] == [
        ("case.create", "importer@example.org"),
        ("image.import", "importer@example.org"),
        ("image.deid_report", "importer@example.org"),
        ("analysis.put", "reader@example.org"),
        ("conversation.start", "reader@example.org"),
        *[("turn.append", "reader@example.org")] * 4,
    ]
    turn = records[5]
    assert turn["entity_id"] == "1/1"
    assert [a["anchor_id"] for a in turn["payload"]["anchors"]] == ["A1"]

    code, out, _ = run(
        capsys,
        "audit",
        "log",
        "--limit",
        "2",
        "--action",
        "turn",
        "--db",
        str(seed_copy),
    )
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3  # header and two records
    assert "turn 1/3" in lines[1] and "turn 1/4" in lines[2]

    code, out, _ = run(
        capsys,
        "audit",
        "log",
        "--entity",
        "conversation:1",
        "--json",
        "--db",
        str(seed_copy),
    )
    assert [r["action"] for r in json.loads(out)] == ["conversation.start"]


def test_log_refuses_a_bad_limit(seed_copy, capsys):
    code, _, err = run(capsys, "audit", "log", "--limit", "0", "--db", str(seed_copy))
    assert code == 1 and "--limit must be at least 1" in err
