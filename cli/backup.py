"""``casebook backup DIR`` and ``casebook restore DIR``: the database, its store and salt.

A backup is a folder with the checkpointed database file, the store folder (pixels,
headers, analyses and the de-identification salt) and ``manifest.json`` with every
file's SHA-256. Restore checks every checksum first, never overwrites an existing
database unless ``--force`` (which moves the old files aside), and verifies the audit
chain of what it restored. Both are recorded in the audit log.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.main import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    db_path,
    default_actor,
    print_json,
    require_existing_db,
    to_jsonable,
)

if TYPE_CHECKING:
    from cases.backup import BackupManifest


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``backup`` and ``restore``."""
    backup = subparsers.add_parser(
        "backup",
        parents=[common],
        help="write a consistent backup of the database, its store and salt into DIR",
        description="Keep backups as protected as the database: they hold the "
        "de-identification salt.",
    )
    backup.add_argument(
        "target", type=Path, metavar="DIR", help="a new or empty folder"
    )
    backup.add_argument("--actor", help="who the audit log names")
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser(
        "restore",
        parents=[common],
        help="restore a backup folder as the database at --db",
    )
    restore.add_argument("source", type=Path, metavar="DIR", help="a backup folder")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace an existing database (its files are moved aside, not deleted)",
    )
    restore.add_argument("--actor", help="who the audit log names")
    restore.set_defaults(handler=run_restore)


def _summary(manifest: BackupManifest) -> str:
    counts = manifest.counts
    return (
        f"{counts.get('cases', 0)} cases, {counts.get('images', 0)} images, "
        f"{counts.get('conversations', 0)} conversations, {counts.get('turns', 0)} turns, "
        f"{len(manifest.files)} files"
    )


def run_backup(args: argparse.Namespace) -> int:
    """Back up the database at --db."""
    from cases import open_store
    from cases.backup import backup_store

    with open_store(require_existing_db(args)) as store:
        result = backup_store(store, args.target, actor=args.actor or default_actor())
    manifest = result.manifest
    if args.json:
        print_json({"path": str(result.path), "manifest": manifest.to_json()})
        return EXIT_OK
    print(f"backed up {manifest.source} to {result.path}: {_summary(manifest)}")
    print(
        f"audit head record {manifest.audit_head_seq}, hash {manifest.audit_head_hash}"
    )
    print(
        "the backup holds the de-identification salt: store it as securely as the database"
    )
    return EXIT_OK


def _refuse_while_served(db: Path) -> None:
    """Refuse to replace a database the dashboard serves.

    The dashboard holds the file only while it works (``cases.connection``), so the
    file lock alone cannot tell that it is still serving; its PID file can.

    Raises:
        CommandError: a dashboard serves the database.
    """
    from cli.serve import running_server
    from services.serving import serve_paths

    record = running_server(serve_paths(db))
    if record is not None:
        raise CommandError(
            f"the dashboard (PID {record['pid']}) serves {db}; stop it with "
            "`casebook stop` before restoring over it"
        )


def run_restore(args: argparse.Namespace) -> int:
    """Restore a backup as the database at --db; exit 1 when its audit chain is broken."""
    from cases.backup import restore_backup

    _refuse_while_served(db_path(args))
    result = restore_backup(
        args.source,
        db_path(args),
        actor=args.actor or default_actor(),
        force=args.force,
    )
    if args.json:
        print_json(
            {
                "database": str(result.db_path),
                "moved_aside": None
                if result.moved_aside is None
                else str(result.moved_aside),
                "backup": result.manifest.to_json(),
                "audit": to_jsonable(result.audit),
                "restore_record": result.restore_seq,
            }
        )
    else:
        print(
            f"restored {args.source} as {result.db_path}: {_summary(result.manifest)}"
        )
        if result.moved_aside is not None:
            print(f"the database it replaced was moved to {result.moved_aside}")
        if result.audit.ok:
            print(
                f"audit chain OK ({result.audit.records_checked} records); "
                f"restore recorded as audit record {result.restore_seq}"
            )
        else:
            print(
                f"audit chain BROKEN: {result.audit.problem.message if result.audit.problem else ''}"
            )
    return EXIT_OK if result.audit.ok else EXIT_FAILED
