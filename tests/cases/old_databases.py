"""Turn a database written by this casebook into one written before migration 0005.

Before 0005 the store counted turns from 0, kept each anchor's fields in a ``detail`` copy
of the engine's description (with a box under 1 px widened in the geometry column), and
its audit records hashed those payloads under 0-based turn ids. ``write_as_before_0005``
rewrites the rows and re-signs the audit chain as that casebook wrote them, so tests can
migrate a real old database. (tests/services/test_workflows.py checks the rebuilt
``detail`` against the engine's own ``Anchor.to_json``.)
"""

from pathlib import Path

import duckdb

from cases import audit
from cases.legacy import as_before_0005
from cases.model import Anchor, AuditRecord, canonical_json, payload
from cases.tables import columns_sql
from cases.verification import current_payloads

# Children first: the turn rows are referenced by the others' foreign keys.
TURN_TABLES = ("sign_matches", "measurements", "turn_anchor_events", "anchors", "turns")


ANCHORS_0004 = """CREATE TABLE anchors (
    conversation_id  BIGINT NOT NULL,
    anchor_id        VARCHAR NOT NULL,
    turn_index       INTEGER NOT NULL,
    status           VARCHAR NOT NULL CHECK (status IN ('created', 'refined')),
    kind             VARCHAR NOT NULL,
    label            VARCHAR NOT NULL,
    geometry         JSON NOT NULL,
    location         VARCHAR,
    side             VARCHAR,
    zone             VARCHAR,
    band             VARCHAR,
    parent_ids       VARCHAR[] NOT NULL,
    confidence       DOUBLE,
    detail           JSON NOT NULL DEFAULT '{}',
    PRIMARY KEY (conversation_id, anchor_id, turn_index),
    FOREIGN KEY (conversation_id, turn_index) REFERENCES turns (conversation_id, turn_index)
)"""


SIGN_MATCHES_0004 = """CREATE TABLE sign_matches (
    conversation_id      BIGINT NOT NULL,
    turn_index           INTEGER NOT NULL,
    item_index           INTEGER NOT NULL,
    profile_id           VARCHAR NOT NULL,
    profile_version      VARCHAR NOT NULL,
    sign_code            VARCHAR NOT NULL,
    status               VARCHAR NOT NULL CHECK (status IN ('met', 'not_met', 'not_assessable')),
    evidence_anchor_ids  VARCHAR[] NOT NULL,
    reason               VARCHAR,
    PRIMARY KEY (conversation_id, turn_index, item_index),
    FOREIGN KEY (conversation_id, turn_index) REFERENCES turns (conversation_id, turn_index)
)"""
SIGN_COLUMNS_0004 = (
    "conversation_id, turn_index, item_index, profile_id, profile_version, sign_code, "
    "status, evidence_anchor_ids, reason"
)


def legacy(entity_type: str, body: dict) -> dict:
    """A payload as 0004 wrote it: every engine answer had a "scorecard" key, even null."""
    old = as_before_0005(entity_type, body)
    turn = old.get("turn") if entity_type == "turn" else None
    if isinstance(turn, dict) and "scorecard" not in turn["answer_json"]:
        turn["answer_json"] = {**turn["answer_json"], "scorecard": None}
    return old


def _ddl(con: duckdb.DuckDBPyConnection, table: str) -> str:
    if table == "anchors":
        return ANCHORS_0004
    if table == "sign_matches":
        return SIGN_MATCHES_0004
    (sql,) = con.execute(
        "SELECT sql FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchone()
    return sql.replace("(turn_index >= 1)", "(turn_index >= 0)")


def _anchors_0004(con: duckdb.DuckDBPyConnection) -> list[list[object]]:
    """Today's anchor rows in the 0004 shape (the payload form is the column form)."""
    rows = con.execute(f"SELECT {columns_sql(Anchor)} FROM anchors").fetchall()
    old = []
    for row in rows:
        turn = as_before_0005("turn", {"anchors": [payload(Anchor.from_row(row))]})
        anchor = turn["anchors"][0]
        for column in ("geometry", "detail"):
            anchor[column] = canonical_json(anchor[column])
        old.append(list(anchor.values()))
    return old


def _renumber_tables(con: duckdb.DuckDBPyConnection) -> None:
    tables = (*TURN_TABLES, "annotations")
    ddl = {t: _ddl(con, t) for t in tables}
    anchors = _anchors_0004(con)  # already renumbered
    answers = _answers_0004(con)
    for table in tables:
        columns = SIGN_COLUMNS_0004 if table == "sign_matches" else "*"
        if table != "anchors":
            con.execute(
                f"CREATE TEMP TABLE old_{table} AS SELECT * REPLACE "
                f"(turn_index - 1 AS turn_index) FROM (SELECT {columns} FROM {table})"
            )
    for table in ("annotations", *TURN_TABLES):
        con.execute(f"DROP TABLE {table}")
    for table in ("annotations", *reversed(TURN_TABLES)):
        con.execute(ddl[table])
        if table != "anchors":
            con.execute(f"INSERT INTO {table} SELECT * FROM old_{table}")
    for row in anchors:
        con.execute(f"INSERT INTO anchors VALUES ({', '.join('?' for _ in row)})", row)
    for key, answer in answers.items():
        con.execute(
            "UPDATE turns SET answer_json = ? WHERE conversation_id = ? AND turn_index = ?",
            [canonical_json(answer), *key],
        )
    con.execute("CREATE INDEX annotations_case_idx ON annotations (case_id)")


def _answers_0004(con: duckdb.DuckDBPyConnection) -> dict[tuple[int, int], object]:
    """Each turn's answer with the scorecard copy 0004 kept in it, by 0-based key."""
    answers = {}
    for key, body in current_payloads(con).get("turn", {}).items():
        old = legacy("turn", body)["turn"]
        conversation, _, index = key.partition("/")
        answers[(int(conversation), int(index) - 1)] = old["answer_json"]
    return answers


def _resign_audit(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        f"SELECT {columns_sql(AuditRecord)} FROM audit_log ORDER BY seq"
    ).fetchall()
    previous = None
    rewritten = []
    for record in map(AuditRecord.from_row, rows):
        entity_id = record.entity_id
        if record.entity_type == "turn":
            conversation, _, index = entity_id.partition("/")
            entity_id = f"{conversation}/{int(index) - 1}"
        previous = audit.make_record(
            previous,
            recorded_at=record.recorded_at,
            actor=record.actor,
            action=record.action,
            entity_type=record.entity_type,
            entity_id=entity_id,
            payload=legacy(record.entity_type, record.payload),
        )
        rewritten.append(previous)
    con.execute("DELETE FROM audit_log")
    for record in rewritten:
        row = record.to_row()
        con.execute(
            f"INSERT INTO audit_log ({columns_sql(AuditRecord)}) "
            f"VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )


def write_as_before_0005(db: Path) -> None:
    """Rewrite the database at ``db`` as casebook wrote it at schema version 4."""
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN TRANSACTION")
        _renumber_tables(con)
        _resign_audit(con)
        con.execute("DROP TABLE audit_numbering")
        # A version-4 database has none of the later migrations' tables either.
        for table in (
            "case_labels",
            "image_sources",
            "conversation_marks",
            "file_hashes",
        ):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("DELETE FROM schema_version WHERE version >= 5")
        con.execute("COMMIT")
    finally:
        con.close()
