"""``casebook export conversation|sr|teaching``: a stored conversation for others to read.

Every export is written whole or not at all, and appended to the audit log with the
SHA-256 of each file it wrote (see ``services/exports.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli.main import (
    EXIT_OK,
    CommandError,
    default_actor,
    print_json,
    require_existing_db,
    to_jsonable,
)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``export conversation``, ``export sr`` and ``export teaching``."""
    export = subparsers.add_parser(
        "export",
        parents=[common],
        help="export a conversation: bundle, DICOM SR or teaching file",
        description="Exports hold de-identified data only and are recorded in the audit log.",
    )
    kinds = export.add_subparsers(dest="export_kind", metavar="KIND")

    bundle = kinds.add_parser(
        "conversation",
        parents=[common],
        help="JSON, an overlay PNG per turn and a Markdown report",
    )
    _common(bundle, "DIR", "a new or empty folder")
    bundle.add_argument(
        "--long-side",
        type=int,
        default=1024,
        metavar="PX",
        help="size of the overlay images' longer side (default 1024)",
    )
    bundle.set_defaults(handler=run_bundle)

    sr = kinds.add_parser(
        "sr", parents=[common], help="DICOM Structured Report (TID 1500)"
    )
    _common(sr, "FILE.dcm", "the SR file to write")
    sr.add_argument("--force", action="store_true", help="replace an existing file")
    sr.set_defaults(handler=run_sr)

    teaching = kinds.add_parser(
        "teaching",
        parents=[common],
        help="teaching file: image, chosen turns with overlays, teaching points",
    )
    _common(teaching, "DIR", "a new or empty folder")
    teaching.add_argument(
        "--turns",
        type=_turn_numbers,
        default=[],
        metavar="N,N,...",
        help="turn numbers to include, from 1 (default: every turn)",
    )
    teaching.add_argument(
        "--points",
        action="append",
        default=[],
        metavar="TEXT",
        help="a teaching point; repeat for more (lines of one value are separate points)",
    )
    teaching.add_argument(
        "--points-file",
        type=Path,
        metavar="FILE",
        help="teaching points, one per line (UTF-8)",
    )
    teaching.add_argument("--title", help="title of the teaching file")
    teaching.add_argument("--long-side", type=int, default=1024, metavar="PX")
    teaching.set_defaults(handler=run_teaching)
    export.set_defaults(handler=lambda args: _usage(export))


def _common(parser: argparse.ArgumentParser, metavar: str, what: str) -> None:
    parser.add_argument(
        "conversation_id", type=int, metavar="ID", help="conversation id"
    )
    parser.add_argument("--out", required=True, type=Path, metavar=metavar, help=what)
    parser.add_argument(
        "--actor",
        help="who the audit log names (default: $CASEBOOK_ACTOR or cli:<user>)",
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _turn_numbers(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--turns takes turn numbers like 1,2,4, got {text!r}"
        ) from exc
    if any(n < 1 for n in numbers):
        raise argparse.ArgumentTypeError(f"turn numbers start at 1, got {text!r}")
    return numbers


def _report(args: argparse.Namespace, result: Any) -> int:
    if args.json:
        print_json(to_jsonable(result))
        return EXIT_OK
    print(f"exported {result.kind} to {result.path}")
    for item in result.files:
        print(f"  {item.name}  {item.size} bytes  sha256 {item.sha256[:16]}")
    print(f"audit record {result.audit_seq} ({result.audit_hash[:16]})")
    return EXIT_OK


def _run(args: argparse.Namespace, export: Any, **options: Any) -> int:
    from cases import open_store
    from services.exports import ExportError

    with open_store(require_existing_db(args)) as store:
        try:
            result = export(
                store,
                args.conversation_id,
                args.out,
                actor=args.actor or default_actor(),
                **options,
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
    return _report(args, result)


def run_bundle(args: argparse.Namespace) -> int:
    """Write the conversation bundle."""
    from services.exports import export_conversation

    return _run(args, export_conversation, long_side=args.long_side)


def run_sr(args: argparse.Namespace) -> int:
    """Write the DICOM SR."""
    from services.exports import export_structured_report

    return _run(args, export_structured_report, overwrite=args.force)


def run_teaching(args: argparse.Namespace) -> int:
    """Write the teaching file."""
    from services.exports import export_teaching_file

    points = [line.strip() for value in args.points for line in value.splitlines()]
    if args.points_file is not None:
        try:
            text = args.points_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"{args.points_file}: cannot read teaching points ({exc})"
            ) from exc
        points += [line.strip() for line in text.splitlines()]
    return _run(
        args,
        export_teaching_file,
        turns=args.turns,
        points=[p for p in points if p],
        title=args.title,
        long_side=args.long_side,
    )
