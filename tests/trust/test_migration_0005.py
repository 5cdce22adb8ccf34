"""A database written while turns counted from 0 opens, renumbers and still verifies."""

from __future__ import annotations

import duckdb

from cases import AnnotationWrite, Box, Geometry, Verdict, open_store
from cli.main import main
from tests.cases.old_databases import write_as_before_0005


def _verify(capsys, db):
    code = main(["audit", "verify", "--db", str(db)])
    return code, capsys.readouterr().out


def _annotate(db):
    with open_store(db) as store:
        image = store.list_images("C000001")[0]
        store.add_annotation(
            AnnotationWrite(
                case_id="C000001",
                image_id=image.image_id,
                author="attending@example.org",
                geometry=Geometry.from_box(Box(x0=100, y0=200, x1=140, y1=240)),
                label="nodule",
                verdict=Verdict.AGREE,
                conversation_id=1,
                turn_index=2,
                anchor_id="A2",
            )
        )


def _old_numbers(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        turns = [
            r[0]
            for r in con.execute("SELECT turn_index FROM turns ORDER BY 1").fetchall()
        ]
        (note,) = con.execute("SELECT turn_index FROM annotations").fetchone()
        (has_0005,) = con.execute(
            "SELECT count(*) FROM schema_version WHERE version = 5"
        ).fetchone()
        ids = [
            r[0]
            for r in con.execute(
                "SELECT entity_id FROM audit_log WHERE entity_type = 'turn' ORDER BY seq"
            ).fetchall()
        ]
    finally:
        con.close()
    return turns, note, has_0005, ids


def test_a_zero_based_database_migrates_and_verifies(seed_copy, capsys):
    _annotate(seed_copy)
    write_as_before_0005(seed_copy)
    assert _old_numbers(seed_copy) == ([0, 1, 2, 3], 1, 0, ["1/0", "1/1", "1/2", "1/3"])

    code, out = _verify(capsys, seed_copy)  # opening the store migrates it

    assert code == 0, out
    assert out.startswith("audit chain OK")
    with open_store(seed_copy) as store:
        assert [t.index for t in store.list_turns(1)] == [1, 2, 3, 4]
        assert store.list_annotations("C000001")[0].turn_index == 2
        assert {e.turn_index for e in store.list_anchor_events(1)} == {1, 2, 3, 4}
        assert store.zero_based_audit_until() > 0
        # The copies moved into typed columns: the anchors' detail, the answer's card.
        anchors = store.list_anchors(1)
        assert all(a.style for a in anchors)
        assert {a.label_zh for a in anchors} != {None}
        signs = store.list_sign_matches(1)
        assert signs and all(s.item_group and s.name_zh for s in signs)
        assert all(s.reason_zh for s in signs)
        assert not any(t.answer_json.get("scorecard") for t in store.list_turns(1))


def test_tampering_before_the_migration_is_still_named(seed_copy, capsys):
    write_as_before_0005(seed_copy)
    con = duckdb.connect(str(seed_copy))
    con.execute("UPDATE turns SET answer_text = 'x' WHERE turn_index = 1")
    con.close()

    code, out = _verify(capsys, seed_copy)

    assert code == 1
    assert "turn 2 of conversation 1: answer_text changed" in out


def test_records_after_the_migration_use_the_new_numbers(seed_copy, capsys):
    write_as_before_0005(seed_copy)
    assert _verify(capsys, seed_copy)[0] == 0
    _annotate(seed_copy)  # written after 0005: hashed with turn 2 as stored
    code, out = _verify(capsys, seed_copy)
    assert code == 0, out
    with open_store(seed_copy) as store:
        assert store.list_audit()[-1].payload["turn_index"] == 2
