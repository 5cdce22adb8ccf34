"""The audit chain: every write is recorded, and verify names the first tampering."""

import itertools
from datetime import UTC, datetime

import duckdb
import pytest

from cases import AuditProblemKind, open_store
from cases.audit import GENESIS_HASH, check_chain, make_record, payload_sha256
from tests.cases.builders import first_turn, refining_turn


@pytest.fixture
def audited(tmp_path, dicom_bytes):
    """A closed database with an import, a two-turn conversation and an annotation."""
    from cases import AnnotationWrite, Box, Geometry, Verdict

    db = tmp_path / "casebook.duckdb"
    with open_store(db) as store:
        outcome = store.import_bytes(dicom_bytes, name="f.dcm", actor="importer")
        conversation = store.start_conversation(
            case_id=outcome.case_id,
            image_id=outcome.image.image_id,
            backend="embedded",
            model_id="m",
            model_version="1",
            parameters={"seed": 1},
            actor="reader",
        )
        store.append_turn(first_turn(conversation.conversation_id))
        store.append_turn(refining_turn(conversation.conversation_id))
        store.add_annotation(
            AnnotationWrite(
                case_id=outcome.case_id,
                image_id=outcome.image.image_id,
                author="attending",
                geometry=Geometry.from_box(Box(x0=1, y0=1, x1=5, y1=5)),
                label="nodule",
                verdict=Verdict.AGREE,
            )
        )
        report = store.verify_audit()
    assert report.ok, report.problem
    # case, image, its report, conversation, 2 turns, annotation
    assert report.records_checked == 7
    return db


def _tamper(db, *statements):
    connection = duckdb.connect(str(db))
    for statement in statements:
        connection.execute(statement)
    connection.close()


def _problem(db):
    with open_store(db) as store:
        report = store.verify_audit()
    assert not report.ok
    return report.problem


def test_every_write_is_recorded_in_order(audited):
    with open_store(audited) as store:
        records = store.list_audit()
    assert [r.action for r in records] == [
        "case.create", "image.import", "image.deid_report", "conversation.start", "turn.append",
        "turn.append", "annotation.add",
    ]  # fmt: skip
    assert [r.seq for r in records] == list(range(1, 8))
    assert records[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    assert records[4].actor == "reader@example.org" and records[0].actor == "importer"
    assert records[4].payload_sha256 == payload_sha256(records[4].payload)


def test_a_changed_turn_answer_is_named(audited):
    _tamper(audited, "UPDATE turns SET answer_text = 'no nodule' WHERE turn_index = 1")
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.ENTITY_CHANGED
    assert (
        problem.message
        == "turn 1 of conversation 1: answer_text changed since audit record 5"
    )
    assert (problem.entity_type, problem.entity_id, problem.seq) == ("turn", "1/1", 5)


def test_a_changed_anchor_geometry_is_named(audited):
    _tamper(
        audited,
        """UPDATE anchors SET geometry = '{"type":"box","x0":0,"x1":300,"y0":0,"y1":300}'
           WHERE anchor_id = 'A1' AND turn_index = 1""",
    )
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.ENTITY_CHANGED
    assert "turn 1 of conversation 1: anchor A1 geometry changed" in problem.message


def test_a_changed_measurement_is_named(audited):
    _tamper(audited, "UPDATE measurements SET value_mm = 12.0")
    assert "measurement 0 value_mm changed" in _problem(audited).message


def test_a_deleted_turn_is_named(audited):
    _tamper(
        audited,
        "DELETE FROM turn_anchor_events WHERE turn_index = 2",
        "DELETE FROM anchors WHERE turn_index = 2",
        "DELETE FROM turns WHERE turn_index = 2",
    )
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.ENTITY_MISSING
    assert (
        problem.message
        == "turn 2 of conversation 1 missing (recorded by audit record 6)"
    )


def test_a_deleted_anchor_of_a_kept_turn_is_named(audited):
    _tamper(
        audited,
        "DELETE FROM turn_anchor_events WHERE anchor_id = 'A3'",
        "DELETE FROM anchors WHERE anchor_id = 'A3'",
    )
    assert "turn 2 of conversation 1: anchor A3 missing" in _problem(audited).message


def test_a_deleted_audit_record_is_named(audited):
    _tamper(audited, "DELETE FROM audit_log WHERE seq = 3")
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.RECORD_MISSING
    assert problem.message.startswith("audit record 3 missing")


def test_reordered_audit_records_are_named(audited):
    _tamper(
        audited,
        "UPDATE audit_log SET seq = 100 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = 100",
    )
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.RECORDS_OUT_OF_ORDER
    assert problem.message.startswith("audit records out of order: record 4")


def test_an_edited_audit_record_is_named(audited):
    _tamper(audited, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 4")
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.RECORD_HASH_MISMATCH
    assert problem.message == "audit record 4 hash mismatch: the record was edited"


def test_an_edited_audit_payload_is_named(audited):
    _tamper(
        audited, """UPDATE audit_log SET payload = '{"forged":true}' WHERE seq = 2"""
    )
    assert _problem(audited).kind is AuditProblemKind.PAYLOAD_HASH_MISMATCH


def test_a_rewritten_record_breaks_the_link_to_the_next(audited):
    with open_store(audited) as store:
        records = list(store.list_audit())
    forged = make_record(
        records[2],
        recorded_at=records[3].recorded_at,
        actor="forger",
        action=records[3].action,
        entity_type=records[3].entity_type,
        entity_id=records[3].entity_id,
        payload=records[3].payload,
    )
    _tamper(
        audited,
        f"UPDATE audit_log SET actor = 'forger', hash = '{forged.hash}' WHERE seq = 4",
    )
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.CHAIN_BROKEN
    assert problem.seq == 5


def test_rows_written_behind_the_casebook_are_named(audited):
    _tamper(
        audited,
        """INSERT INTO turns SELECT conversation_id, 3, 'q', 'en', 'x', 'forged answer', '{}', NULL, 1.0, 'x', now()
           FROM turns WHERE turn_index = 1""",
    )
    problem = _problem(audited)
    assert problem.kind is AuditProblemKind.ENTITY_UNRECORDED
    assert (
        problem.message
        == "turn 3 of conversation 1 has no audit record: it was written outside the casebook"
    )


def test_changed_image_calibration_and_annotation_verdict_are_named(audited):
    _tamper(audited, "UPDATE images SET row_spacing_mm = 0.5")
    assert ": row_spacing_mm changed" in _problem(audited).message
    _tamper(
        audited,
        "UPDATE images SET row_spacing_mm = 1.4",
        "UPDATE annotations SET verdict = 'disagree'",
    )
    problem = _problem(audited)
    assert problem.message.startswith("annotation 1: verdict changed")


def test_check_chain_accepts_a_fresh_chain():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first = make_record(
        None,
        recorded_at=now,
        actor="a",
        action="x",
        entity_type="export",
        entity_id="1",
        payload={"k": "é"},
    )
    second = make_record(
        first,
        recorded_at=now,
        actor="a",
        action="x",
        entity_type="export",
        entity_id="2",
        payload={},
    )
    assert check_chain([first, second]) is None
    assert second.seq == 2 and second.prev_hash == first.hash
