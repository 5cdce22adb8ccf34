"""Back up and restore a case database: the DuckDB file, the store folder and the salt.

A backup folder holds::

    manifest.json              format, time, actor, schema version, record counts, the
                               audit head at backup time, and every file's SHA-256
    <db name>                  the database file, checkpointed
    <db stem>.store/...        pixels, headers, analyses and ``deid_salt``

The snapshot is consistent: ``CaseStore.quiesced`` appends the ``backup.create`` audit
record, checkpoints, and holds the store's write lock while the files are copied (DuckDB
allows one writer process, so the casebook that holds the database is the only writer).
The backup carries the de-identification salt, which links remapped UIDs across
imports: keep backups as protected as the database.

Restore verifies every checksum before it touches the target, copies into a staging
folder beside it, refuses to replace an existing database unless ``force`` is given (and
then moves the old files aside, never deletes them), moves the copy into place, checks
the audit chain of what it restored and appends a ``backup.restore`` record.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from cases.content_store import SALT_FILE, store_dir_for
from cases.errors import BackupError, DatabaseLocked
from cases.migrations import current_version
from cases.model import AuditReport
from cases.store import CaseStore, open_store

MANIFEST = "manifest.json"
FORMAT = "cxr-casebook/backup"
FORMAT_VERSION = 1
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupFile:
    """One file of a backup, relative to the backup folder (POSIX separators)."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupManifest:
    """What a backup holds and how to check it."""

    backup_id: str
    created_at: str
    created_by: str
    source: str
    """The database file that was backed up (for the record)."""
    database: str
    """Name of the database file in the backup folder."""
    store: str
    """Name of the store folder in the backup folder."""
    schema_version: int
    counts: dict[str, int]
    audit_head_seq: int
    audit_head_hash: str
    files: tuple[BackupFile, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the manifest as written to ``manifest.json``."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "backup_id": self.backup_id,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "source": self.source,
            "database": self.database,
            "store": self.store,
            "schema_version": self.schema_version,
            "counts": self.counts,
            "audit_head": {"seq": self.audit_head_seq, "hash": self.audit_head_hash},
            "files": [
                {"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], label: str) -> BackupManifest:
        """Read a manifest, refusing one that is not a casebook backup.

        Raises:
            BackupError: wrong format or missing fields.
        """
        if data.get("format") != FORMAT:
            raise BackupError(f"{label} is not a casebook backup manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"{label} has backup format {data.get('format_version')}, this casebook "
                f"reads format {FORMAT_VERSION}; restore it with the casebook that wrote it"
            )
        try:
            return cls(
                backup_id=str(data["backup_id"]),
                created_at=str(data["created_at"]),
                created_by=str(data["created_by"]),
                source=str(data["source"]),
                database=str(data["database"]),
                store=str(data["store"]),
                schema_version=int(data["schema_version"]),
                counts={str(k): int(v) for k, v in data["counts"].items()},
                audit_head_seq=int(data["audit_head"]["seq"]),
                audit_head_hash=str(data["audit_head"]["hash"]),
                files=tuple(
                    BackupFile(
                        path=str(f["path"]),
                        sha256=str(f["sha256"]),
                        size=int(f["size"]),
                    )
                    for f in data["files"]
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BackupError(
                f"{label} is damaged ({exc!r}); use another backup"
            ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupResult:
    """A written backup."""

    path: Path
    manifest: BackupManifest


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreResult:
    """A restored database, what was moved aside, and the audit check of the result."""

    db_path: Path
    manifest: BackupManifest
    moved_aside: Path | None
    audit: AuditReport
    restore_seq: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _empty_or_missing(folder: Path) -> bool:
    return not folder.exists() or (folder.is_dir() and not any(folder.iterdir()))


def _counts(store: CaseStore) -> dict[str, int]:
    stats = store.stats()
    return {
        "cases": stats.cases,
        "images": stats.images,
        "conversations": stats.conversations,
        "turns": stats.turns,
        "anchors": stats.anchors,
        "annotations": stats.annotations,
        "audit_records": stats.audit_records,
    }


def _copy_store(source: Path, target: Path, orphans: set[str]) -> None:
    """Copy the store folder, leaving out half-written temporaries and orphan files.

    ``orphans`` (relative paths) are files no row references: left by an interrupted
    import, they hold no record, and a backup would carry them on forever.
    """
    skipped = {(source / relative).resolve() for relative in orphans}

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder).resolve()
        return {
            name
            for name in names
            if name.startswith(".tmp-") or (here / name) in skipped
        }

    shutil.copytree(source, target, ignore=ignore, copy_function=shutil.copy2)


def _listing(root: Path) -> tuple[BackupFile, ...]:
    return tuple(
        BackupFile(
            path=path.relative_to(root).as_posix(),
            sha256=_sha256(path),
            size=path.stat().st_size,
        )
        for path in sorted(p for p in root.rglob("*") if p.is_file())
    )


def backup_store(store: CaseStore, target: Path, *, actor: str) -> BackupResult:
    """Write a consistent backup of an open store into ``target`` (new or empty).

    Raises:
        BackupError: the store is in memory, or ``target`` is not empty.
    """
    if store.db_path is None:
        raise BackupError(
            "an in-memory database cannot be backed up; use a database file"
        )
    target = Path(target).expanduser().resolve()
    if not _empty_or_missing(target):
        raise BackupError(f"{target} is not empty; back up into a new or empty folder")
    if target == store.db_path.parent or target.is_relative_to(store.content.root):
        raise BackupError(
            f"{target} is the database's own folder; choose another folder"
        )
    backup_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.partial-{secrets.token_hex(4)}"
    staging.mkdir()
    db_name = store.db_path.name
    store_name = store.content.root.name
    try:
        with store.quiesced(
            actor=actor,
            action="backup.create",
            entity_type="backup",
            entity_id=backup_id,
            detail={"target": str(target)},
        ) as record:
            counts = _counts(store)
            shutil.copy2(store.db_path, staging / db_name)
            wal = store.db_path.with_name(store.db_path.name + ".wal")
            if wal.exists() and wal.stat().st_size > 0:
                shutil.copy2(wal, staging / wal.name)
            # Holding the file, no other process can commit rows for a file written
            # before: every unreferenced file is an orphan, whatever its age.
            orphans = set(store.orphan_files(grace_s=0.0))
            _copy_store(store.content.root, staging / store_name, orphans)
            schema = _schema_version(staging / db_name)
        manifest = BackupManifest(
            backup_id=backup_id,
            created_at=record.recorded_at.isoformat(),
            created_by=actor,
            source=str(store.db_path),
            database=db_name,
            store=store_name,
            schema_version=schema,
            counts=counts,
            audit_head_seq=record.seq,
            audit_head_hash=record.hash,
            files=_listing(staging),
        )
        (staging / MANIFEST).write_text(
            json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8"
        )
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BackupResult(path=target, manifest=manifest)


def _check_not_in_use(db_path: Path) -> None:
    """Refuse to replace a database another process has open (it would keep writing)."""
    try:
        duckdb.connect(str(db_path), read_only=True).close()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLocked.from_duckdb_message(db_path, str(exc)) from exc
        raise BackupError(
            f"{db_path} cannot be opened ({exc}); check the --db path"
        ) from exc


def _schema_version(db_file: Path) -> int:
    connection = duckdb.connect(str(db_file), read_only=True)
    try:
        return current_version(connection.cursor())
    finally:
        connection.close()


def read_manifest(source: Path) -> BackupManifest:
    """Read and check a backup folder: the manifest, and every file against it.

    Raises:
        BackupError: no manifest, a missing, changed or extra file, or a path that
            leaves the folder.
    """
    source = Path(source).expanduser()
    path = source / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(
            f"{source} has no {MANIFEST}; it is not a casebook backup"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is unreadable ({exc}); use another backup") from exc
    manifest = BackupManifest.from_json(data, str(path))
    listed = set()
    for item in manifest.files:
        relative = PurePosixPath(item.path)
        if relative.is_absolute() or ".." in relative.parts:
            raise BackupError(f"{path} lists {item.path!r}, outside the backup folder")
        listed.add(relative.as_posix())
        file = source / relative
        if not file.is_file():
            raise BackupError(f"backup file {item.path} is missing from {source}")
        if file.stat().st_size != item.size or _sha256(file) != item.sha256:
            raise BackupError(
                f"backup file {item.path} does not match its checksum in {MANIFEST}: "
                "the backup is damaged or was changed; use another backup"
            )
    if manifest.database not in listed:
        raise BackupError(f"{path} does not list the database file {manifest.database}")
    if f"{manifest.store}/{SALT_FILE}" not in listed:
        raise BackupError(
            f"{path} does not list the de-identification salt; the backup is incomplete"
        )
    return manifest


def restore_backup(
    source: Path, db_path: Path, *, actor: str, force: bool = False
) -> RestoreResult:
    """Restore a backup folder as the database at ``db_path`` (and its store folder).

    Raises:
        BackupError: the backup does not check out, or the target exists and ``force``
            is not given.
        DatabaseLocked: another process holds the target database.
    """
    source = Path(source).expanduser().resolve()
    manifest = read_manifest(source)
    db_path = Path(db_path).expanduser().resolve()
    store_dir = store_dir_for(db_path)
    wal = db_path.with_name(db_path.name + ".wal")
    occupied = [p for p in (db_path, wal) if p.exists()]
    if not _empty_or_missing(store_dir):
        occupied.append(store_dir)
    if occupied and not force:
        raise BackupError(
            f"{db_path} already holds a database; restore to another --db, or pass "
            "--force to replace it (the current files are moved aside, not deleted)"
        )
    if db_path.exists():
        _check_not_in_use(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = db_path.parent / f".{db_path.name}.restore-{secrets.token_hex(4)}"
    staging.mkdir()
    moved_aside: Path | None = None
    try:
        shutil.copy2(source / manifest.database, staging / db_path.name)
        if (source / (manifest.database + ".wal")).exists():
            shutil.copy2(source / (manifest.database + ".wal"), staging / wal.name)
        _copy_store(source / manifest.store, staging / store_dir.name, set())
        _check_copy(staging, manifest, db_path.name, store_dir.name)
        if occupied:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            moved_aside = db_path.parent / f"{db_path.name}.before-restore-{stamp}"
            moved_aside.mkdir()
            for path in occupied:
                path.rename(moved_aside / path.name)
        for item in sorted(staging.iterdir()):
            item.rename(db_path.parent / item.name)
        staging.rmdir()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with open_store(db_path) as store:
        report = store.verify_audit()
        record = store.record_event(
            actor=actor,
            action="backup.restore",
            entity_type="backup",
            entity_id=manifest.backup_id,
            detail={
                "source": str(source),
                "backup_audit_head": manifest.audit_head_hash,
                "verified": report.ok,
                "moved_aside": None if moved_aside is None else str(moved_aside),
            },
        )
    return RestoreResult(
        db_path=db_path,
        manifest=manifest,
        moved_aside=moved_aside,
        audit=report,
        restore_seq=record.seq,
    )


def _check_copy(
    staging: Path, manifest: BackupManifest, db_name: str, store_name: str
) -> None:
    """Check the staged copy against the manifest (a disk can fail during the copy)."""
    for item in manifest.files:
        first, _, rest = item.path.partition("/")
        if item.path == manifest.database:
            relative = db_name
        elif item.path == manifest.database + ".wal":
            relative = db_name + ".wal"
        elif first == manifest.store:
            relative = f"{store_name}/{rest}"
        else:
            continue  # not part of the database (a note left in the folder)
        copied = staging / relative
        if not copied.is_file() or _sha256(copied) != item.sha256:
            raise BackupError(f"restoring {item.path} failed: the copy does not match")
