"""``casebook audit verify`` and ``casebook audit log``: prove what was written, by whom.

``verify`` walks the hash chain and re-hashes every entity it covers (cases, images and
their de-identification reports, conversations, turns with their anchors, measurements
and sign matches, annotations, analyses). It prints the first broken link (which audit
record, which entity, what changed) and every other problem it found, and exits 1 when
anything is broken, so a cron job or CI step can alert on it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cli.main import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    print_json,
    require_existing_db,
    to_jsonable,
)

if TYPE_CHECKING:
    from cases import AuditRecord, AuditReport

DEFAULT_LOG_LIMIT = 50


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``audit verify`` and ``audit log``."""
    audit = subparsers.add_parser(
        "audit",
        parents=[common],
        help="verify or list the tamper-evident audit log",
        description="The audit log records every write (imports, conversations, turns "
        "with their anchors and measurements, annotations, exports, settings, backups "
        "and restores) with its actor, in a SHA-256 hash chain.",
    )
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        parents=[common],
        help="walk the chain and re-hash what it covers; exit 1 when broken",
    )
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="a head hash published earlier: fail unless the chain still contains it "
        "(detects a rewrite of the whole chain)",
    )
    verify.set_defaults(handler=run_verify)

    orphans = actions.add_parser(
        "orphans",
        parents=[common],
        help="list store files that no row references (left by an interrupted import)",
    )
    orphans.add_argument(
        "--remove", action="store_true", help="remove them (they hold no record)"
    )
    orphans.set_defaults(handler=run_orphans)

    summaries = actions.add_parser(
        "summaries",
        parents=[common],
        help="rebuild the case list's summaries from the audited tables",
    )
    summaries.add_argument(
        "--rebuild",
        action="store_true",
        required=True,
        help="recompute every case's summary row (derived data, not audited)",
    )
    summaries.set_defaults(handler=run_summaries)

    log = actions.add_parser(
        "log", parents=[common], help="list the newest audit records"
    )
    log.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LOG_LIMIT,
        metavar="N",
        help=f"how many of the newest records to show (default {DEFAULT_LOG_LIMIT})",
    )
    log.add_argument("--actor", help="only records written by this actor")
    log.add_argument(
        "--action", help="only this action or action prefix (e.g. turn, export)"
    )
    log.add_argument(
        "--entity",
        metavar="TYPE[:ID]",
        help="only records about this entity type (and id), e.g. turn:1/0, case:C000001",
    )
    log.set_defaults(handler=run_log)
    audit.set_defaults(handler=lambda args: _usage(audit))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# ---------------------------------------------------------------------- verify


def run_verify(args: argparse.Namespace) -> int:
    """Verify the chain; exit 1 when any record or entity is broken."""
    from cases import open_store

    with open_store(require_existing_db(args)) as store:
        report = store.verify_audit()
        expected_found = (
            store.has_audit_hash(args.expect_head) if args.expect_head else True
        )
    ok = report.ok and expected_found
    if args.json:
        print_json(_verify_json(report, args.expect_head, expected_found))
    else:
        _print_verify(report, args.expect_head, expected_found)
    return EXIT_OK if ok else EXIT_FAILED


def _verify_json(
    report: AuditReport, expect_head: str | None, expected_found: bool
) -> dict[str, Any]:
    return {
        "ok": report.ok and expected_found,
        "records_checked": report.records_checked,
        "entities_checked": report.entities_checked,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "expected_head": expect_head,
        "expected_head_found": expected_found if expect_head else None,
        "first_problem": to_jsonable(report.problem),
        "problems": to_jsonable(report.problems),
    }


def _print_verify(
    report: AuditReport, expect_head: str | None, expected_found: bool
) -> None:
    checked = (
        f"{report.records_checked} audit records, {report.entities_checked} entities"
    )
    head = (
        f"head record {report.head_seq}, hash {report.head_hash}"
        if report.head_hash
        else "the log is empty"
    )
    if report.ok and expected_found:
        print(f"audit chain OK: checked {checked}; {head}")
        if expect_head:
            print(f"the chain still contains the expected head {expect_head}")
        return
    if report.problem is not None:
        problem = report.problem
        where = (
            f"audit record {problem.seq}" if problem.seq is not None else "no record"
        )
        entity = (
            f"{problem.entity_type} {problem.entity_id}" if problem.entity_type else "-"
        )
        print(f"audit chain BROKEN: {len(report.problems)} problem(s)")
        print(f"first broken link: {where}; entity {entity}; {problem.kind}")
        print(f"  {problem.message}")
        for other in report.problems[1:]:
            print(f"  also: {other.message}")
    if expect_head and not expected_found:
        print(
            f"audit chain BROKEN: the expected head {expect_head} is not in the log; "
            "the chain was rewritten or this is another database"
        )
    print(f"checked {checked}; {head}")


# ---------------------------------------------------------------------- orphans


def run_orphans(args: argparse.Namespace) -> int:
    """List (or remove) store files that no row references."""
    from cases import open_store

    with open_store(require_existing_db(args)) as store:
        files = store.remove_orphan_files() if args.remove else store.orphan_files()
        root = store.content.root
    if args.json:
        print_json({"removed": bool(args.remove), "files": files, "store": root})
        return EXIT_OK
    if not files:
        print(f"no orphan files in {root}")
        return EXIT_OK
    verb = "removed" if args.remove else "found"
    print(f"{verb} {len(files)} orphan file(s) in {root}:")
    for relative in files:
        print(f"  {relative}")
    if not args.remove:
        print("remove them with `casebook audit orphans --remove`")
    return EXIT_OK


def run_summaries(args: argparse.Namespace) -> int:
    """Rebuild the case list's per-case summaries from the base tables."""
    from cases import open_store

    with open_store(require_existing_db(args)) as store:
        store.rebuild_case_summaries()
    if args.json:
        print_json({"rebuilt": True})
    else:
        print("rebuilt the case list summaries from the audited tables")
    return EXIT_OK


# ---------------------------------------------------------------------- log


def run_log(args: argparse.Namespace) -> int:
    """Print the newest audit records (oldest of them first)."""
    from cases import open_store

    if args.limit < 1:
        raise CommandError(f"--limit must be at least 1, got {args.limit}")
    entity_type, entity_id = None, None
    if args.entity:
        entity_type, _, rest = args.entity.partition(":")
        entity_id = rest or None
    with open_store(require_existing_db(args)) as store:
        records = store.search_audit(
            limit=args.limit,
            actor=args.actor,
            action=args.action,
            entity_type=entity_type,
            entity_id=entity_id,
        )
    if args.json:
        print_json([r.to_json() for r in records])
        return EXIT_OK
    if not records:
        print("no audit records match")
        return EXIT_OK
    print(f"{'seq':>6}  {'recorded (UTC)':19}  {'actor':20}  {'action':18}  entity")
    for record in records:
        print(_record_line(record))
    return EXIT_OK


def _record_line(record: AuditRecord) -> str:
    entity = f"{record.entity_type} {record.entity_id}"
    if record.entity_type == "image":
        entity = f"image {record.entity_id[:12]}"
    return (
        f"{record.seq:>6}  {record.recorded_at:%Y-%m-%d %H:%M:%S}  "
        f"{record.actor[:20]:20}  {record.action[:18]:18}  {entity}  {record.hash[:12]}"
    )
