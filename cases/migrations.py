"""Create and upgrade the database schema from the numbered SQL files in ``migrations/``.

Each file ``NNNN_name.sql`` runs once, in order, in its own transaction together with
the ``schema_version`` row that records it, so a failed upgrade leaves the previous
version intact. Numbers are reserved per change and may land out of order (0007 before
0005), so a migration runs when its own version is not recorded yet, not merely when it
is above the highest recorded one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from cases.errors import SchemaTooNew
from cases.model import utc_now

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


def load_migrations() -> tuple[Migration, ...]:
    """Return the bundled migrations in version order."""
    found = []
    for entry in (resources.files("cases") / "migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(
                Migration(
                    version=int(match.group(1)),
                    name=match.group(2),
                    sql=entry.read_text(encoding="utf-8"),
                )
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions) or not versions or versions[0] != 1:
        raise RuntimeError(
            f"migrations must be numbered 0001, 0002, ... once each, found {versions}"
        )
    return tuple(found)


def applied_versions(cursor: duckdb.DuckDBPyConnection) -> set[int]:
    """Return the migration versions recorded in the open database."""
    if current_version(cursor) == 0:
        return set()
    rows = cursor.execute("SELECT version FROM schema_version").fetchall()
    return {int(r[0]) for r in rows}


def current_version(cursor: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of the open database (0 for an empty file)."""
    exists = cursor.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = cursor.execute(
        "SELECT coalesce(max(version), 0) FROM schema_version"
    ).fetchone()
    return int(row[0]) if row else 0


def migrate(connection: duckdb.DuckDBPyConnection, *, label: str) -> int:
    """Apply the migrations the database lacks; return the resulting version.

    Args:
        connection: an open read-write connection.
        label: how to name the database in messages (its path).

    Raises:
        SchemaTooNew: the database was written by a newer casebook.
    """
    migrations = load_migrations()
    latest = migrations[-1].version
    cursor = connection.cursor()
    try:
        version = current_version(cursor)
        if version > latest:
            raise SchemaTooNew(
                f"database {label} has schema version {version}, this casebook knows up to "
                f"{latest}; upgrade casebook or use another --db"
            )
        applied = applied_versions(cursor)
        for migration in (m for m in migrations if m.version not in applied):
            cursor.execute("BEGIN TRANSACTION")
            try:
                cursor.execute(migration.sql)
                cursor.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    [migration.version, migration.name, utc_now().replace(tzinfo=None)],
                )
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        return latest
    finally:
        cursor.close()
