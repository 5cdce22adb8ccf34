"""CaseStore: conversations, immutable turns, annotations, analyses, transactions, locking."""

import io
import re
import subprocess
import sys
import textwrap
import threading
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pydicom
import pytest

from cases import (
    AnchorStatus,
    AnnotationWrite,
    Box,
    CalibrationSource,
    CaseQuery,
    CaseSort,
    DatabaseLocked,
    Geometry,
    InvalidDatabase,
    InvalidRecord,
    MeasurementWrite,
    RecordNotFound,
    SchemaTooNew,
    SignMatchWrite,
    SignStatus,
    StoreUnwritable,
    Verdict,
    WriteConflict,
    open_store,
)
from tests.cases.builders import first_turn, refining_turn
from tests.cases.old_databases import write_as_before_0005

CASES_SOURCE = Path(__file__).resolve().parents[2] / "cases"


@pytest.fixture
def case(store, dicom_bytes):
    return store.import_bytes(dicom_bytes, name="film.dcm", actor="test")


@pytest.fixture
def conversation(store, case):
    return store.start_conversation(
        case_id=case.case_id,
        image_id=case.image.image_id,
        backend="embedded",
        model_id="casebook-embedded",
        model_version="0.1.0",
        parameters={"temperature": 0.0},
        actor="reader@example.org",
    )


def test_a_turn_is_stored_with_everything_it_wrote(store, conversation):
    detail = store.append_turn(first_turn(conversation.conversation_id))

    again = store.get_turn(conversation.conversation_id, 1)
    assert again == detail
    assert again.turn.answer_json == {
        "sections": [{"title": "肺部表现", "anchors": ["A1"]}]
    }
    assert [a.anchor_id for a in again.anchors] == ["A1", "A2"]
    assert again.anchors[0].geometry == Geometry.from_box(Box(40, 100, 70, 130))
    assert again.measurements[0].value_mm == 47.3
    assert [s.status for s in again.sign_matches] == [
        SignStatus.MET,
        SignStatus.NOT_ASSESSABLE,
    ]
    assert store.list_turns(conversation.conversation_id) == (again.turn,)
    assert store.get_case_detail(conversation.case_id).turn_count == 1


def test_anchors_after_turn_replays_each_turn_without_updates(store, conversation):
    cid = conversation.conversation_id
    store.append_turn(first_turn(cid))
    store.append_turn(refining_turn(cid))

    after_first = {s.anchor.anchor_id: s for s in store.anchors_after_turn(cid, 1)}
    after_second = {s.anchor.anchor_id: s for s in store.anchors_after_turn(cid, 2)}

    assert set(after_first) == {"A1", "A2"}
    assert after_first["A1"].anchor.geometry.kind == "box"
    assert after_first["A1"].status_in_turn is AnchorStatus.CREATED
    assert set(after_second) == {"A1", "A2", "A3"}
    assert after_second["A1"].anchor.geometry.kind == "polygon"
    assert after_second["A1"].status_in_turn is AnchorStatus.REFINED
    assert after_second["A2"].status_in_turn is AnchorStatus.REFERENCED
    assert after_second["A2"].anchor.turn_index == 1
    assert after_second["A3"].anchor.parent_ids == ("A1",)
    assert len(store.list_anchors(cid)) == 4  # two versions of A1


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"index": 2}, InvalidRecord, "skips turn 1"),
        ({"referenced_anchor_ids": ("A9",)}, InvalidRecord, "references anchor A9"),
        (
            {
                "measurements": (
                    MeasurementWrite(
                        kind="distance",
                        from_anchor="A1",
                        to_anchor="A7",
                        value_mm=1.0,
                        value_px=1.0,
                        calibration=CalibrationSource.USER,
                    ),
                )
            },
            InvalidRecord,
            "unknown anchor A7",
        ),
        (
            {
                "sign_matches": (
                    SignMatchWrite(
                        profile_id="p",
                        profile_version="1",
                        sign_code="x",
                        status=SignStatus.MET,
                        evidence_anchor_ids=("A5",),
                    ),
                )
            },
            InvalidRecord,
            "cites unknown anchors A5",
        ),
        (
            {"answer_json": {"bad": float("nan")}},
            InvalidRecord,
            "answer_json must be JSON",
        ),
    ],
)
def test_inconsistent_turns_are_refused_and_nothing_is_written(
    store, conversation, table_counts, changes, error, message
):
    before = table_counts(store)
    with pytest.raises(error, match=message):
        store.append_turn(first_turn(conversation.conversation_id, **changes))
    assert table_counts(store) == before


def test_a_stored_turn_is_never_rewritten(store, conversation):
    store.append_turn(first_turn(conversation.conversation_id))
    with pytest.raises(
        WriteConflict, match=r"turn 1 of conversation .* already stored"
    ):
        store.append_turn(
            first_turn(conversation.conversation_id, answer_text="a correction")
        )
    assert store.get_turn(conversation.conversation_id, 1).turn.answer_text.startswith(
        "【肺部表现】"
    )


def test_creating_an_existing_anchor_id_is_refused(store, conversation):
    cid = conversation.conversation_id
    store.append_turn(first_turn(cid))
    duplicate = first_turn(cid, index=2, measurements=(), sign_matches=())
    with pytest.raises(InvalidRecord, match="creates anchor A1, which already exists"):
        store.append_turn(duplicate)


def test_a_failure_mid_turn_rolls_everything_back(
    store, conversation, table_counts, monkeypatch
):
    before = table_counts(store)
    original = store._insert
    calls = []

    def failing_insert(cursor, records):
        calls.append(type(records[0]).__name__ if records else None)
        if calls[-1] == "Measurement":  # after the turn, anchors and events are in
            raise RuntimeError("disk full (injected)")
        original(cursor, records)

    monkeypatch.setattr(store, "_insert", failing_insert)
    with pytest.raises(RuntimeError, match="injected"):
        store.append_turn(first_turn(conversation.conversation_id))

    assert calls[:4] == ["Turn", "Anchor", "AnchorEvent", "Measurement"]
    assert table_counts(store) == before
    monkeypatch.undo()
    store.append_turn(first_turn(conversation.conversation_id))
    assert store.verify_audit().ok


def test_a_failed_import_leaves_no_rows_and_no_new_files(
    store, dicom_bytes, table_counts, monkeypatch
):
    before = table_counts(store)

    def failing_audit(*args, **kwargs):
        raise RuntimeError("audit write failed (injected)")

    monkeypatch.setattr(store, "_append_audit", failing_audit)
    with pytest.raises(RuntimeError, match="injected"):
        store.import_bytes(dicom_bytes, name="f.dcm", actor="t")

    assert table_counts(store) == before
    assert not [
        p
        for p in store.content.root.rglob("*")
        if p.is_file() and p.name != "deid_salt"
    ]


def test_no_update_path_exists_for_immutable_records():
    immutable = (
        "turns",
        "anchors",
        "turn_anchor_events",
        "measurements",
        "sign_matches",
        "annotations",
        "audit_log",
    )
    pattern = re.compile(
        r"\b(UPDATE|DELETE\s+FROM|INSERT\s+OR\s+REPLACE)\s+(\w+)", re.IGNORECASE
    )
    offenders = []
    for path in sorted(CASES_SOURCE.rglob("*.py")) + sorted(
        CASES_SOURCE.rglob("*.sql")
    ):
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            if match.group(2).lower() in immutable:
                offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


def test_annotations_link_to_turns_and_anchors(store, conversation):
    store.append_turn(first_turn(conversation.conversation_id))
    annotation = store.add_annotation(
        AnnotationWrite(
            case_id=conversation.case_id,
            image_id=conversation.image_id,
            author="attending@example.org",
            geometry=Geometry.from_box(Box(x0=38, y0=98, x1=72, y1=133)),
            label="nodule",
            verdict=Verdict.AGREE,
            note="agree with A1",
            conversation_id=conversation.conversation_id,
            turn_index=1,
            anchor_id="A1",
        )
    )
    assert store.list_annotations(conversation.case_id) == (annotation,)
    with pytest.raises(InvalidRecord, match="anchor A8 does not exist"):
        store.add_annotation(
            AnnotationWrite(
                case_id=conversation.case_id,
                image_id=conversation.image_id,
                author="a",
                geometry=None,
                label="x",
                verdict=Verdict.DISAGREE,
                conversation_id=conversation.conversation_id,
                anchor_id="A8",
            )
        )


def test_analysis_cache_round_trips_and_is_audited(store, case):
    image_id = case.image.image_id
    assert store.find_analysis(image_id, "engine-1") is None
    store.put_analysis(image_id, "engine-1", b"\x00analysis bytes")
    store.put_analysis(
        image_id, "engine-1", b"\x00analysis bytes"
    )  # same payload: no-op

    assert store.find_analysis(image_id, "engine-1") == b"\x00analysis bytes"
    assert store.find_analysis(image_id, "engine-2") is None
    assert [r.action for r in store.list_audit()].count("analysis.put") == 1
    store.put_analysis(image_id, "engine-1", b"newer analysis")
    assert store.find_analysis(image_id, "engine-1") == b"newer analysis"
    assert store.verify_audit().ok


def test_records_of_exports_and_settings_join_the_chain(store):
    export = store.record_export(
        actor="qa@example.org",
        kind="sr",
        entity_type="conversation",
        entity_id="3",
        detail={"file": "sr.dcm"},
    )
    setting = store.record_settings_change(
        actor="admin", key="engine.backend", old="embedded", new="medgemma"
    )
    assert setting.prev_hash == export.hash
    assert store.verify_audit().ok


def _variant(make_dicom, i):
    """A distinct film (one pixel changed) in its own study."""
    dataset = pydicom.dcmread(io.BytesIO(make_dicom(uid_seed=f"list-{i}")))
    pixels = dataset.pixel_array.copy()
    pixels[0, 0] = i
    dataset.PixelData = pixels.tobytes()
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _seed_cases(store, make_dicom, count):
    return [
        store.import_bytes(_variant(make_dicom, i), name=f"{i}.dcm", actor="t")
        for i in range(count)
    ]


def test_case_list_filters_sorts_and_counts_turns(store, make_dicom):
    outcomes = _seed_cases(store, make_dicom, 3)
    talked = outcomes[1]
    conversation = store.start_conversation(
        case_id=talked.case_id,
        image_id=talked.image.image_id,
        backend="medgemma",
        model_id="m",
        model_version="1",
        parameters={},
        actor="t",
    )
    store.append_turn(first_turn(conversation.conversation_id))
    store.append_turn(refining_turn(conversation.conversation_id))

    everything = store.list_cases(CaseQuery())
    assert everything.total == 3
    assert [c.case_id for c in everything.items] == [
        o.case_id for o in reversed(outcomes)
    ]
    by_turns = store.list_cases(CaseQuery(sort=CaseSort.MOST_TURNS)).items[0]
    assert (by_turns.case_id, by_turns.turn_count, by_turns.conversation_count) == (
        talked.case_id,
        2,
        1,
    )

    def ids(**filters):
        return [c.case_id for c in store.list_cases(CaseQuery(**filters)).items]

    assert ids(has_conversations=True) == [talked.case_id]
    assert len(ids(has_conversations=False)) == 2
    assert ids(backend="medgemma") == [talked.case_id]
    assert ids(backend="embedded") == []
    assert ids(text="圆形结节") == [talked.case_id]  # answer text, Chinese
    assert ids(text="LOBULATED") == [talked.case_id]  # anchor label, any case
    assert ids(text=talked.case_id.lower()) == [talked.case_id]
    assert ids(finding="spicule") == [talked.case_id]
    assert ids(sign_code="spiculation") == [talked.case_id]
    assert ids(sign_code="air_bronchogram") == []  # not met
    assert ids(has_warnings=True) == []
    assert ids(verdict=Verdict.DISAGREE) == []
    store.add_annotation(
        AnnotationWrite(
            case_id=talked.case_id,
            image_id=talked.image.image_id,
            author="attending",
            geometry=None,
            label="overall",
            verdict=Verdict.DISAGREE,
        )
    )
    assert ids(verdict=Verdict.DISAGREE) == [talked.case_id]
    assert ids(verdict=Verdict.DISAGREE, text="圆形结节", backend="medgemma") == [
        talked.case_id
    ]
    today = date.today()
    assert (
        len(
            ids(
                created_from=today - timedelta(days=1),
                created_to=today + timedelta(days=1),
            )
        )
        == 3
    )
    assert ids(created_to=today - timedelta(days=2)) == []


def test_case_summaries_kept_by_the_writes_match_a_rebuild(store, make_dicom):
    outcomes = _seed_cases(store, make_dicom, 3)
    conversation = store.start_conversation(
        case_id=outcomes[0].case_id,
        image_id=outcomes[0].image.image_id,
        backend="embedded",
        model_id="m",
        model_version="1",
        parameters={},
        actor="t",
    )
    store.append_turn(first_turn(conversation.conversation_id))
    store.append_turn(refining_turn(conversation.conversation_id))
    kept = store.list_cases(CaseQuery(sort=CaseSort.CASE_ID))

    store.rebuild_case_summaries()

    assert store.list_cases(CaseQuery(sort=CaseSort.CASE_ID)) == kept
    assert kept.items[0].turn_count == 2 and kept.items[0].conversation_count == 1
    assert (
        kept.items[0].last_turn_at
        == store.list_turns(conversation.conversation_id)[-1].created_at
    )


def test_case_list_pages_hold_at_most_page_size(store, make_dicom):
    _seed_cases(store, make_dicom, 5)
    page = store.list_cases(CaseQuery(page=2, page_size=2, sort=CaseSort.CASE_ID))
    assert page.total == 5 and page.page_count == 3
    assert [c.case_id for c in page.items] == ["C000003", "C000004"]
    with pytest.raises(InvalidRecord, match="page must be >= 1"):
        CaseQuery(page=0)


def test_case_list_search_text_is_bound_not_interpolated(store, make_dicom):
    _seed_cases(store, make_dicom, 1)
    assert store.list_cases(CaseQuery(text="'; DROP TABLE cases; --")).total == 0
    assert store.list_cases(CaseQuery(text="%")).total == 0
    assert store.stats().cases == 1


def test_missing_records_raise_lookups(store):
    with pytest.raises(RecordNotFound, match="case C999999 does not exist"):
        store.get_case("C999999")
    assert store.find_case("C999999") is None
    with pytest.raises(RecordNotFound):
        store.get_conversation(42)
    with pytest.raises(RecordNotFound):
        store.get_turn(42, 0)


def test_concurrent_sessions_keep_the_chain_valid(store, make_dicom):
    outcomes = _seed_cases(store, make_dicom, 4)
    conversations = [
        store.start_conversation(
            case_id=o.case_id,
            image_id=o.image.image_id,
            backend="embedded",
            model_id="m",
            model_version="1",
            parameters={},
            actor="t",
        )
        for o in outcomes
    ]
    errors = []

    def session(conversation):
        try:
            store.append_turn(first_turn(conversation.conversation_id))
            store.append_turn(refining_turn(conversation.conversation_id))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(c,)) for c in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert store.stats().turns == 8
    assert store.verify_audit().ok


def test_stats_count_records_and_bytes(store, case):
    stats = store.stats()
    # case, image, its de-identification report
    assert (stats.cases, stats.images, stats.audit_records) == (1, 1, 3)
    assert stats.database_bytes > 0 and stats.store_bytes > 0


def test_schema_version_is_recorded_and_newer_databases_are_refused(tmp_path):
    db = tmp_path / "casebook.duckdb"
    open_store(db).close()
    connection = duckdb.connect(str(db))
    versions = connection.execute(
        "SELECT version, name FROM schema_version ORDER BY version"
    ).fetchall()
    assert versions == [
        (1, "initial"),
        (2, "case_summaries"),
        (3, "anchor_detail"),
        (4, "deid_reports"),
        (5, "turns_from_one"),
        (6, "worklist"),
        (7, "file_hashes"),
    ]
    connection.execute("INSERT INTO schema_version VALUES (99, 'future', now())")
    connection.close()

    with pytest.raises(SchemaTooNew, match=r"schema version 99.*upgrade casebook"):
        open_store(db)


def test_upgrading_a_version_1_database_fills_the_case_summaries(tmp_path, dicom_bytes):
    db = tmp_path / "casebook.duckdb"
    with open_store(db) as store:
        outcome = store.import_bytes(dicom_bytes, name="f.dcm", actor="t")
        conversation = store.start_conversation(
            case_id=outcome.case_id,
            image_id=outcome.image.image_id,
            backend="embedded",
            model_id="m",
            model_version="1",
            parameters={},
            actor="t",
        )
        store.append_turn(first_turn(conversation.conversation_id))
    write_as_before_0005(db)
    connection = duckdb.connect(str(db))
    # Turn the file back into a version-1 database.
    connection.execute("DROP TABLE case_summaries")
    connection.execute("ALTER TABLE anchors DROP COLUMN detail")
    connection.execute("DROP TABLE deid_reports")
    for table in ("case_labels", "image_sources", "conversation_marks"):
        connection.execute(f"DROP TABLE IF EXISTS {table}")
    connection.execute("DROP TABLE IF EXISTS file_hashes")
    connection.execute("DELETE FROM schema_version WHERE version >= 2")
    connection.close()

    with open_store(db) as store:
        summary = store.list_cases().items[0]

    assert (summary.image_count, summary.conversation_count, summary.turn_count) == (
        1,
        1,
        1,
    )
    assert summary.modality == "DX"


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n" * 100)
    with pytest.raises(InvalidDatabase, match="is not a DuckDB database"):
        open_store(path)


def test_a_database_held_by_another_process_is_reported_in_one_line(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CASEBOOK_LOCK_WAIT_S", "0.3")
    db = tmp_path / "casebook.duckdb"
    open_store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, duckdb
            connection = duckdb.connect({str(db)!r})
            print("holding", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(DatabaseLocked) as raised:
            open_store(db)
    finally:
        holder.communicate("", timeout=30)

    message = str(raised.value)
    assert str(db) in message and f"PID {holder.pid}" in message
    assert "another process" in message and "--db" in message
    assert "\n" not in message
    open_store(db).close()  # released again


def test_an_in_memory_database_keeps_its_files_in_the_given_folder(
    tmp_path, dicom_bytes
):
    with pytest.raises(ValueError, match="needs store_dir"):
        open_store(":memory:")
    with open_store(":memory:", store_dir=tmp_path / "files") as store:
        outcome = store.import_bytes(dicom_bytes, name="f.dcm", actor="t")
        assert store.load_pixels(outcome.image).shape == (
            outcome.image.rows,
            outcome.image.columns,
        )
        assert store.stats().database_bytes == 0
    assert list((tmp_path / "files" / "pixels").rglob("*.npy"))


def test_a_file_in_place_of_the_store_folder_is_a_one_line_error(tmp_path):
    (tmp_path / "casebook.store").write_text("not a folder")

    with pytest.raises(
        StoreUnwritable,
        match=r"store folder .*casebook\.store cannot be created \(File exists\): "
        r"a file is in the way at .*casebook\.store; move it aside or use another --db",
    ):
        open_store(tmp_path / "casebook.duckdb")


def test_a_blocked_pixel_folder_refuses_the_import_and_writes_nothing(
    store, dicom_bytes, table_counts
):
    (store.content.root / "pixels").write_text("in the way")
    before = table_counts(store)

    with pytest.raises(
        StoreUnwritable,
        match=r"cannot write .*\.npy \(Not a directory\): a file is in the way at "
        r".*pixels; move it aside",
    ):
        store.import_bytes(dicom_bytes, name="film.dcm", actor="test")

    assert table_counts(store) == before
