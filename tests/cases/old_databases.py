"""Turn a database written by this casebook into one written before migration 0005.

Before 0005 the store counted turns from 0 and its audit records hashed 0-based payloads
under 0-based turn ids. ``write_as_before_0005`` rewrites the rows and re-signs the audit
chain exactly as that casebook wrote them, so tests can migrate a real old database.
"""

from pathlib import Path

import duckdb

from cases import audit
from cases.model import AuditRecord
from cases.tables import columns_sql
from cases.verification import renumber_turns

# Children first: the turn rows are referenced by the others' foreign keys.
TURN_TABLES = ("sign_matches", "measurements", "turn_anchor_events", "anchors", "turns")


def _ddl(con: duckdb.DuckDBPyConnection, table: str) -> str:
    (sql,) = con.execute(
        "SELECT sql FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchone()
    return sql.replace("(turn_index >= 1)", "(turn_index >= 0)")


def _renumber_tables(con: duckdb.DuckDBPyConnection) -> None:
    tables = (*TURN_TABLES, "annotations")
    ddl = {t: _ddl(con, t) for t in tables}
    for table in tables:
        con.execute(
            f"CREATE TEMP TABLE old_{table} AS "
            f"SELECT * REPLACE (turn_index - 1 AS turn_index) FROM {table}"
        )
    for table in ("annotations", *TURN_TABLES):
        con.execute(f"DROP TABLE {table}")
    for table in ("annotations", *reversed(TURN_TABLES)):
        con.execute(ddl[table])
        con.execute(f"INSERT INTO {table} SELECT * FROM old_{table}")
    con.execute("CREATE INDEX annotations_case_idx ON annotations (case_id)")


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
            payload=renumber_turns(record.entity_type, record.payload, -1),
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
        con.execute("DELETE FROM schema_version WHERE version >= 5")
        con.execute("COMMIT")
    finally:
        con.close()
