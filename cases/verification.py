"""Re-hash what the audit chain covers, for ``CaseStore.verify_audit``.

Reads every audited table once, rebuilds each entity's payload exactly as it was hashed at
write time, and compares it with the latest audit record for that entity.

The audited rows name files in the content store (``cases/content_store.py``); those are
checked too, against the hash their row records:

* a pixel file is loaded as the store loads it and hashed as the intake hashed it
  (``pixel_sha256``), which must give the image id, because the image id *is* that hash;
* an analysis file's SHA-256 must equal ``analyses.payload_sha256``;
* a header file's SHA-256 must equal its name (headers are stored under their own hash,
  which the audited image row holds) or, for images imported before that, the hash
  recorded in ``file_hashes`` when the database was first opened after migration 0007;
* the de-identification salt must have the fingerprint recorded in ``file_hashes``;
* no file in the store may be unreferenced (an orphan left by an interrupted import),
  unless it is younger than ``ORPHAN_GRACE_S`` (an import still in flight).

The case-list summaries are derived data, not audited, but they are recomputed from the
audited tables and compared, so an edit to them is reported too. A row that cannot even
be read as its record type is reported by table and key, and the walk goes on.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from cases import audit, case_list
from cases.content_store import (
    ContentStore,
    pixel_sha256,
    salt_fingerprint,
    store_dir_for,
)
from cases.errors import CasesError, StoreCorrupted
from cases.legacy import as_before_0005
from cases.model import (
    Anchor,
    AnchorEvent,
    Annotation,
    AuditProblem,
    AuditProblemKind,
    AuditRecord,
    Case,
    Conversation,
    DeidReport,
    Image,
    JsonObject,
    Measurement,
    SignMatch,
    Turn,
    TurnDetail,
    payload,
)
from cases.tables import TABLES, columns_sql
from cases.turns import turn_entity_id, turn_payload


def analysis_payload(
    image_id: str, engine_version: str, digest: str, store_path: str, size: int
) -> JsonObject:
    return {
        "image_id": image_id,
        "engine_version": engine_version,
        "payload_sha256": digest,
        "store_path": store_path,
        "size_bytes": size,
    }


SALT_KEY = "deid_salt"
ORPHAN_GRACE_S = 300.0
"""A store file younger than this may belong to an import that has not committed yet."""
# What a row that cannot be read raises while it is turned into its record.
_ROW_ERRORS = (ValueError, TypeError, KeyError, LookupError, CasesError)


def _fetch(
    cursor: duckdb.DuckDBPyConnection,
    record_type: type[Any],
    order: str,
    malformed: list[AuditProblem] | None = None,
) -> list[Any]:
    """Return the table's records; rows that cannot be read go to ``malformed``."""
    table = TABLES[record_type]
    rows = cursor.execute(
        f"SELECT {columns_sql(record_type)} FROM {table} ORDER BY {order}"
    ).fetchall()
    records = []
    for row in rows:
        try:
            records.append(record_type.from_row(row))
        except _ROW_ERRORS as exc:
            if malformed is None:
                raise
            malformed.append(malformed_row(table, row, exc))
    return records


fetch_records = _fetch


def malformed_row(table: str, row: Any, exc: BaseException) -> AuditProblem:
    """Return the problem naming a row that cannot be read (its key, never its data)."""
    key = "/".join(str(v) for v in row[:2]) if table in _TWO_PART_KEYS else str(row[0])
    reason = " ".join(str(exc).split())[:160] or type(exc).__name__
    return AuditProblem(
        kind=AuditProblemKind.ROW_MALFORMED,
        seq=None,
        entity_type=table,
        entity_id=key,
        message=f"{table} row {key} cannot be read ({reason}): it was edited outside "
        "the casebook; restore the database from a backup",
    )


_TWO_PART_KEYS = {
    "turns",
    "anchors",
    "turn_anchor_events",
    "measurements",
    "sign_matches",
}


RESTORE_HINT = "restore the store folder from a backup (`casebook restore`)"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileFault:
    """A content-store file that is missing or no longer matches its row."""

    entity_type: str  # "image" or "analysis"
    entity_id: str
    missing: bool
    message: str  # without the entity label


class StoredState(dict[str, dict[str, JsonObject]]):
    """Every audited entity's payload as stored now, by entity type and id.

    ``file_faults`` lists the content-store files of those entities that are missing or
    altered (empty when the store folder is unknown, see ``current_payloads``);
    ``zero_based_until`` is the last audit record written while turns counted from 0
    (migration 0005), 0 when there is none.
    """

    def __init__(
        self,
        payloads: dict[str, dict[str, JsonObject]],
        file_faults: tuple[FileFault, ...] = (),
        zero_based_until: int = 0,
        other_problems: tuple[AuditProblem, ...] = (),
    ) -> None:
        super().__init__(payloads)
        self.file_faults = file_faults
        self.zero_based_until = zero_based_until
        self.other_problems = other_problems


# Entities whose payloads name a turn number; before migration 0005 it counted from 0.
_NUMBERED = frozenset({"turn", "annotation"})


def zero_based_until(cursor: duckdb.DuckDBPyConnection) -> int:
    """Return the last audit record written while turns counted from 0 (0 if none)."""
    row = cursor.execute(
        "SELECT coalesce(max(last_seq), 0) FROM audit_numbering WHERE first_turn = 0"
    ).fetchone()
    return int(row[0]) if row else 0


def current_entity_id(record: AuditRecord, zero_based_until: int) -> str:
    """Return the id the record's entity has now (turn ids before 0005 count from 0)."""
    if record.entity_type != "turn" or record.seq > zero_based_until:
        return record.entity_id
    conversation, _, index = record.entity_id.partition("/")
    return turn_entity_id(int(conversation), int(index) + 1)


def current_payloads(
    cursor: duckdb.DuckDBPyConnection, content: ContentStore | None = None
) -> StoredState:
    """Return every audited entity's payload as stored now, and its files' faults.

    Args:
        cursor: a cursor on the case database.
        content: the store folder of this database; by default ``<db stem>.store``
            beside the database file, as ``open_store`` chooses it. An in-memory
            database has no file to find it from, so its files are only checked when
            ``content`` is given.
    """
    bad: list[AuditProblem] = []
    current: dict[str, dict[str, JsonObject]] = {
        "case": {c.case_id: payload(c) for c in _fetch(cursor, Case, "case_id", bad)},
        "image": {
            i.image_id: payload(i) for i in _fetch(cursor, Image, "image_id", bad)
        },
        "deid_report": {
            r.image_id: payload(r) for r in _fetch(cursor, DeidReport, "image_id", bad)
        },
        "conversation": {
            str(c.conversation_id): payload(c)
            for c in _fetch(cursor, Conversation, "conversation_id", bad)
        },
        "annotation": {
            str(a.annotation_id): payload(a)
            for a in _fetch(cursor, Annotation, "annotation_id", bad)
        },
    }
    parts: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for record_type, section in (
        (Anchor, "anchors"),
        (AnchorEvent, "anchor_events"),
        (Measurement, "measurements"),
        (SignMatch, "sign_matches"),
    ):
        for item in _fetch(cursor, record_type, "conversation_id, turn_index", bad):
            parts[turn_entity_id(item.conversation_id, item.turn_index)][
                section
            ].append(item)
    turns: dict[str, JsonObject] = {}
    for turn in _fetch(cursor, Turn, "conversation_id, turn_index", bad):
        key = turn_entity_id(turn.conversation_id, turn.index)
        found = parts.pop(key, {})
        turns[key] = turn_payload(
            TurnDetail(
                turn=turn,
                anchors=tuple(found.get("anchors", ())),
                anchor_events=tuple(found.get("anchor_events", ())),
                measurements=tuple(found.get("measurements", ())),
                sign_matches=tuple(found.get("sign_matches", ())),
            )
        )
    for orphan_key, found in parts.items():  # rows of a turn whose turn row is gone
        turns.setdefault(
            orphan_key,
            {"turn": None, **{k: [payload(x) for x in v] for k, v in found.items()}},
        )
    current["turn"] = turns
    analyses = cursor.execute(
        "SELECT image_id, engine_version, payload_sha256, store_path, size_bytes FROM analyses"
    ).fetchall()
    current["analysis"] = {f"{r[0]}@{r[1]}": analysis_payload(*r) for r in analyses}
    content = content if content is not None else _default_content(cursor)
    faults = () if content is None else file_faults(cursor, content)
    others = [*bad, *summary_problems(cursor)]
    if content is not None:
        others += store_problems(cursor, content)
    return StoredState(current, faults, zero_based_until(cursor), tuple(others))


def _default_content(cursor: duckdb.DuckDBPyConnection) -> ContentStore | None:
    row = cursor.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        return None  # in memory
    root = store_dir_for(Path(row[0]))
    # open_store creates this folder; without it the store was opened with another one.
    return ContentStore(root) if root.is_dir() else None


def file_faults(
    cursor: duckdb.DuckDBPyConnection, content: ContentStore
) -> tuple[FileFault, ...]:
    """Check every pixel, header and analysis file the database names (see module docs).

    Reads every pixel and analysis file in full: about as long as copying the store.
    """
    faults: list[FileFault] = []
    for image_id, pixels, header in cursor.execute(
        "SELECT image_id, store_path, header_path FROM images ORDER BY image_id"
    ).fetchall():
        for problem in (
            _pixel_problem(content, image_id, pixels),
            None
            if header is None
            else _header_problem(
                content, header, expected_header_sha256(cursor, image_id, header)
            ),
        ):
            if problem is not None:
                faults.append(
                    FileFault(
                        entity_type="image",
                        entity_id=image_id,
                        missing=problem[0],
                        message=problem[1],
                    )
                )
    for image_id, version, digest, relative in cursor.execute(
        "SELECT image_id, engine_version, payload_sha256, store_path FROM analyses "
        "ORDER BY image_id, engine_version"
    ).fetchall():
        problem = _analysis_problem(content, digest, relative)
        if problem is not None:
            faults.append(
                FileFault(
                    entity_type="analysis",
                    entity_id=f"{image_id}@{version}",
                    missing=problem[0],
                    message=problem[1],
                )
            )
    return tuple(faults)


_Problem = tuple[bool, str]  # (the file is missing, what is wrong and what to do)


def _pixel_problem(
    content: ContentStore, image_id: str, relative: str
) -> _Problem | None:
    path = content.root / relative
    if not path.is_file():
        return True, f"pixel file {path} is missing; {RESTORE_HINT}"
    try:
        digest = pixel_sha256(content.load_pixels(relative))
    except (StoreCorrupted, OSError) as exc:
        return False, f"pixel file {path} was altered: {exc}"
    if digest == image_id:
        return None
    return False, (
        f"pixel file {path} was altered: its pixels hash to {digest[:12]}..., not to "
        f"the image id; {RESTORE_HINT}"
    )


def _header_problem(
    content: ContentStore, relative: str, expected: str | None
) -> _Problem | None:
    path = content.root / relative
    if not path.is_file():
        return True, f"header file {path} is missing; {RESTORE_HINT}"
    if expected is None:
        return False, (
            f"header file {path} has no recorded hash (it could not be read when the "
            f"database was upgraded); {RESTORE_HINT}"
        )
    try:
        found = hashlib.sha256(content.read_bytes(relative)).hexdigest()
    except (StoreCorrupted, OSError) as exc:
        return False, f"header file {path} is unreadable ({exc}); {RESTORE_HINT}"
    if found == expected:
        return None
    return False, (
        f"header file {path} was altered: its SHA-256 is {found[:12]}..., the "
        f"database records {expected[:12]}...; {RESTORE_HINT}"
    )


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def expected_header_sha256(
    cursor: duckdb.DuckDBPyConnection, image_id: str, relative: str
) -> str | None:
    """Return the SHA-256 a header file must have, or None when none is recorded.

    Header files are named by their own SHA-256, a name the audited image row holds;
    those imported before migration 0007 were named after the pixels, and their hash
    is in ``file_hashes``.
    """
    stem = PurePosixPath(relative).stem
    if stem != image_id and _is_sha256(stem):
        return stem
    row = cursor.execute(
        "SELECT sha256 FROM file_hashes WHERE kind = 'header' AND key = ?", [image_id]
    ).fetchone()
    return str(row[0]) if row else None


@dataclass(frozen=True, slots=True)
class MissingHashes:
    """What ``CaseStore.record_file_hashes`` still has to record."""

    salt: bool
    headers: list[tuple[str, str]] = field(default_factory=list)
    """(image id, header path) of legacy headers without a recorded hash."""


def missing_file_hashes(cursor: duckdb.DuckDBPyConnection) -> MissingHashes:
    """Return the salt and legacy-header hashes the database has not recorded yet."""
    salt = cursor.execute(
        "SELECT count(*) FROM file_hashes WHERE kind = 'salt' AND key = ?", [SALT_KEY]
    ).fetchone()
    headers = cursor.execute(
        """SELECT i.image_id, i.header_path FROM images i
           LEFT JOIN file_hashes h ON h.kind = 'header' AND h.key = i.image_id
           WHERE i.header_path IS NOT NULL AND h.key IS NULL
             AND i.header_path LIKE '%' || i.image_id || '.dcm'"""
    ).fetchall()
    return MissingHashes(
        salt=not (salt and salt[0]), headers=[(str(r[0]), str(r[1])) for r in headers]
    )


def _store_problem(
    kind: AuditProblemKind, entity_type: str, entity_id: str, message: str
) -> AuditProblem:
    return AuditProblem(
        kind=kind,
        seq=None,
        entity_type=entity_type,
        entity_id=entity_id,
        message=message,
    )


def salt_problem(
    cursor: duckdb.DuckDBPyConnection, content: ContentStore
) -> AuditProblem | None:
    """Return a problem when the salt file is not the one the database recorded."""
    row = cursor.execute(
        "SELECT sha256 FROM file_hashes WHERE kind = 'salt' AND key = ?", [SALT_KEY]
    ).fetchone()
    path = content.root / SALT_KEY
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if row is None:
        return None  # recorded at the next read-write open
    if data and salt_fingerprint(data) == row[0]:
        return None
    state = "is missing" if not data else "was replaced"
    return _store_problem(
        AuditProblemKind.SALT_REPLACED,
        "salt",
        SALT_KEY,
        f"de-identification salt {path} {state}: UIDs remapped from now on would not "
        f"match the stored ones; {RESTORE_HINT}",
    )


def referenced_files(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    """Return every store file (relative path) that a row references."""
    rows = cursor.execute(
        """SELECT store_path FROM images UNION ALL
           SELECT header_path FROM images WHERE header_path IS NOT NULL UNION ALL
           SELECT store_path FROM analyses"""
    ).fetchall()
    return {str(r[0]) for r in rows}


def orphan_files(
    cursor: duckdb.DuckDBPyConnection,
    content: ContentStore,
    *,
    grace_s: float = ORPHAN_GRACE_S,
) -> list[str]:
    """Return the store files no row references, older than ``grace_s`` seconds."""
    referenced = referenced_files(cursor)
    cutoff = time.time() - grace_s
    orphans = []
    for relative in content.stored_files():
        if relative in referenced:
            continue
        try:
            if (content.root / relative).lstat().st_mtime > cutoff:
                continue  # an import may still be writing its rows
        except OSError:
            continue
        orphans.append(relative)
    return orphans


def store_problems(
    cursor: duckdb.DuckDBPyConnection, content: ContentStore
) -> list[AuditProblem]:
    """Return the salt and orphan-file problems of the store folder."""
    problems = [p for p in (salt_problem(cursor, content),) if p is not None]
    problems += [
        _store_problem(
            AuditProblemKind.FILE_ORPHANED,
            "store_file",
            relative,
            f"store file {content.root / relative} is referenced by no row (left by an "
            "interrupted import); remove orphans with `casebook audit orphans --remove`",
        )
        for relative in orphan_files(cursor, content)
    ]
    return problems


_EXPECTED_SUMMARIES = (
    case_list.REBUILD_SUMMARIES_SQL.strip()
    .removeprefix("INSERT INTO case_summaries")
    .rsplit("ORDER BY", 1)[0]
)


def summary_problems(cursor: duckdb.DuckDBPyConnection) -> list[AuditProblem]:
    """Return a problem for each case whose summary row differs from its base rows."""
    rows = cursor.execute(
        f"""WITH expected AS ({_EXPECTED_SUMMARIES}),
                stored AS (SELECT * FROM case_summaries)
            SELECT DISTINCT case_id FROM (
                (SELECT * FROM expected EXCEPT SELECT * FROM stored)
                UNION ALL
                (SELECT * FROM stored EXCEPT SELECT * FROM expected)
            ) ORDER BY case_id"""
    ).fetchall()
    return [
        _store_problem(
            AuditProblemKind.SUMMARY_CHANGED,
            "case_summary",
            str(r[0]),
            f"case list summary of case {r[0]} does not match the case's rows (edited "
            "outside the casebook); rebuild it with `casebook audit summaries --rebuild`",
        )
        for r in rows
    ]


def _analysis_problem(
    content: ContentStore, digest: str, relative: str
) -> _Problem | None:
    path = content.root / relative
    if not path.is_file():
        return True, f"analysis file {path} is missing; {RESTORE_HINT}"
    try:
        found = hashlib.sha256(content.read_bytes(relative)).hexdigest()
    except (StoreCorrupted, OSError) as exc:
        return False, f"analysis file {path} is unreadable ({exc}); {RESTORE_HINT}"
    if found == digest:
        return None
    return False, (
        f"analysis file {path} was altered: its SHA-256 is {found[:12]}..., the "
        f"database records {digest[:12]}...; {RESTORE_HINT}"
    )


_ENTITY_NAMES = {
    "case": "case",
    "image": "image",
    "conversation": "conversation",
    "annotation": "annotation",
    "analysis": "analysis",
}


def _entity_label(entity_type: str, entity_id: str) -> str:
    if entity_type == "turn":
        conversation, _, index = entity_id.partition("/")
        return f"turn {index} of conversation {conversation}"
    if entity_type == "image":
        return f"image {entity_id[:12]}"
    if entity_type == "deid_report":
        return f"de-identification report of image {entity_id[:12]}"
    return f"{_ENTITY_NAMES.get(entity_type, entity_type)} {entity_id}"


def entity_problems(
    records: list[AuditRecord], current: dict[str, dict[str, JsonObject]]
) -> list[AuditProblem]:
    """Compare each audited entity's latest recorded payload with what is stored now.

    Returns every changed, missing or unrecorded entity, and every missing or altered
    file of one (``StoredState.file_faults``), in audit order (unrecorded entities last).
    """
    last_zero_based = (
        current.zero_based_until if isinstance(current, StoredState) else 0
    )
    latest: dict[tuple[str, str], AuditRecord] = {}
    for record in records:
        if record.entity_type in current:
            latest[(record.entity_type, current_entity_id(record, last_zero_based))] = (
                record
            )
    problems: list[AuditProblem] = []
    for (entity_type, entity_id), record in sorted(
        latest.items(), key=lambda item: item[1].seq
    ):
        now = current[entity_type].get(entity_id)
        label = _entity_label(entity_type, entity_id)
        if now is None or (entity_type == "turn" and now.get("turn") is None):
            problems.append(
                AuditProblem(
                    kind=AuditProblemKind.ENTITY_MISSING,
                    seq=record.seq,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    message=f"{label} missing (recorded by audit record {record.seq})",
                )
            )
            continue
        if record.seq <= last_zero_based and entity_type in _NUMBERED:
            now = as_before_0005(entity_type, now)
        if audit.payload_sha256(now) != record.payload_sha256:
            change = audit.describe_change(entity_type, record.payload, now)
            problems.append(
                AuditProblem(
                    kind=AuditProblemKind.ENTITY_CHANGED,
                    seq=record.seq,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    message=f"{label}: {change} since audit record {record.seq}",
                )
            )
    faults = current.file_faults if isinstance(current, StoredState) else ()
    for fault in faults:
        recorded = latest.get((fault.entity_type, fault.entity_id))
        problems.append(
            AuditProblem(
                kind=AuditProblemKind.ENTITY_MISSING
                if fault.missing
                else AuditProblemKind.ENTITY_CHANGED,
                seq=recorded.seq if recorded else None,
                entity_type=fault.entity_type,
                entity_id=fault.entity_id,
                message=f"{_entity_label(fault.entity_type, fault.entity_id)}: {fault.message}",
            )
        )
    problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    for entity_type, entities in current.items():
        for entity_id in entities:
            if (entity_type, entity_id) not in latest:
                problems.append(
                    AuditProblem(
                        kind=AuditProblemKind.ENTITY_UNRECORDED,
                        seq=None,
                        entity_type=entity_type,
                        entity_id=entity_id,
                        message=f"{_entity_label(entity_type, entity_id)} has no audit record: it was written outside the casebook",
                    )
                )
    if isinstance(current, StoredState):
        # Derived data, salt and orphans last: the audited entities explain them.
        problems += current.other_problems
    return problems
