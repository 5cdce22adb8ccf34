"""``casebook import``, ``casebook list`` and ``casebook show``: the case database commands."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.main import (
    EXIT_OK,
    CommandError,
    Progress,
    db_path,
    default_actor,
    os_reason,
    print_json,
    require_existing_db,
    to_jsonable,
)

if TYPE_CHECKING:
    from cases import (
        Calibration,
        CaseDetail,
        CasePage,
        DeidReport,
        Image,
        ImportOutcome,
    )

# In a folder, files with these suffixes (or a DICOM/PNG/JPEG signature) are imported;
# anything else (notes, spreadsheets, DICOMDIR) is skipped instead of reported as a failure.
IMAGE_SUFFIXES = {".dcm", ".dicom", ".dic", ".png", ".jpg", ".jpeg"}
SKIPPED_NAMES = {"DICOMDIR"}


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add the import, list and show subcommands."""
    importer = subparsers.add_parser(
        "import",
        parents=[common],
        help="import DICOM, PNG or JPEG radiographs (files or folders, recursively)",
        description="Import radiographs into the case database. Each file is decoded, "
        "de-identified and stored in its own transaction; files that fail are reported "
        "and the others are still imported.",
    )
    importer.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    importer.add_argument(
        "--spacing-mm",
        type=float,
        metavar="MM",
        help="pixel size in mm of PNG/JPEG files (DICOM files keep their own calibration)",
    )
    importer.add_argument(
        "--actor",
        help="who the audit log names (default: $CASEBOOK_ACTOR or cli:<user>)",
    )
    importer.add_argument(
        "--max-pixels",
        type=int,
        metavar="N",
        help="refuse images with more pixels (default: $CASEBOOK_MAX_PIXELS or 60000000)",
    )
    importer.add_argument(
        "--max-mb",
        type=float,
        metavar="MB",
        help="refuse files larger than this (default: $CASEBOOK_MAX_BYTES or 512 MiB)",
    )
    burned_in = importer.add_mutually_exclusive_group()
    burned_in.add_argument(
        "--blank-burned-in",
        dest="burned_in",
        action="store_const",
        const="always",
        help="look for burned-in text (names, dates, markers) near the border of every "
        "image and blank it to the background; by default only images whose DICOM "
        "header says Burned In Annotation YES are searched",
    )
    burned_in.add_argument(
        "--keep-burned-in",
        dest="burned_in",
        action="store_const",
        const="off",
        help="never change pixels, even when the header says Burned In Annotation YES "
        "(the image still carries a warning)",
    )
    importer.set_defaults(handler=run_import, burned_in="auto")

    lister = subparsers.add_parser(
        "list", parents=[common], help="list cases, 50 per page"
    )
    lister.add_argument(
        "--search",
        metavar="TEXT",
        help="case id, question/answer text, finding or sign code",
    )
    lister.add_argument(
        "--finding",
        metavar="LABEL",
        help="cases with an anchor whose label contains LABEL",
    )
    lister.add_argument(
        "--sign", metavar="CODE", help="cases where the sign CODE was met"
    )
    lister.add_argument(
        "--backend", metavar="NAME", help="cases with a conversation by this backend"
    )
    lister.add_argument(
        "--warnings",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only cases with (or without) intake warnings",
    )
    lister.add_argument(
        "--conversations",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only cases with (or without) conversations",
    )
    lister.add_argument(
        "--verdict",
        choices=["agree", "disagree", "uncertain"],
        help="cases where a reviewer gave this verdict",
    )
    lister.add_argument(
        "--from",
        dest="created_from",
        type=_date,
        metavar="YYYY-MM-DD",
        help="cases created in the casebook on or after this day (UTC)",
    )
    lister.add_argument(
        "--to",
        dest="created_to",
        type=_date,
        metavar="YYYY-MM-DD",
        help="cases created on or before this day (UTC)",
    )
    lister.add_argument(
        "--sort",
        default="newest",
        choices=["newest", "oldest", "case_id", "most_turns", "last_activity"],
    )
    lister.add_argument("--page", type=int, default=1, metavar="N")
    lister.add_argument("--page-size", type=int, default=50, metavar="N")
    lister.set_defaults(handler=run_list)

    shower = subparsers.add_parser(
        "show", parents=[common], help="show one case with its images and warnings"
    )
    shower.add_argument("case_id", metavar="CASE")
    shower.set_defaults(handler=run_show)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


# ---------------------------------------------------------------------- import


def _looks_like_image(path: Path) -> bool:
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    from cases.intake import sniff_format

    try:
        with path.open("rb") as handle:
            head = handle.read(132)
    except OSError:
        return False
    return sniff_format(head) is not None


def collect_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Return (files to import, files skipped in folders), in a stable order.

    Files named explicitly are always imported (and fail loudly when they are not
    images); files found in folders are imported when they look like images.

    Raises:
        CommandError: a path does not exist.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if path.is_dir():
            for found in _walk(path):
                (files if _looks_like_image(found) else skipped).append(found)
        elif path.exists():
            files.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files)), skipped


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if path.is_file() and not hidden and path.name not in SKIPPED_NAMES:
            yield path


def _issue_summary(image: Image) -> str:
    warnings = [issue.message for issue in image.warnings]
    return f"  warnings: {'; '.join(warnings)}" if warnings else ""


def _spacing(calibration: Calibration) -> str:
    if not calibration.is_calibrated:
        return "no spacing"
    return (
        f"{calibration.row_mm:.3f}x{calibration.col_mm:.3f} mm ({calibration.source})"
    )


def _outcome_line(path: Path, outcome: ImportOutcome) -> str:
    image = outcome.image
    status = "imported" if outcome.status == "imported" else "existing"
    line = f"{status:9} {outcome.case_id}  {path}  [{image.columns}x{image.rows}, {_spacing(image.calibration)}]{_issue_summary(image)}"
    if outcome.ignored_calibration is not None:
        line += (
            f"  note: these pixels are already stored with {_spacing(image.calibration)}; "
            f"this import's {_spacing(outcome.ignored_calibration)} was not applied (a stored "
            "image's spacing never changes)"
        )
    return line


def run_import(args: argparse.Namespace) -> int:
    """Import files and folders; exit 1 when any file failed."""
    from cases import BurnedInPolicy, CasesError, IntakeLimits, open_store
    from cases.intake import check_spacing

    try:
        check_spacing(args.spacing_mm)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    limits = IntakeLimits.from_env()
    if args.max_pixels is not None or args.max_mb is not None:
        limits = IntakeLimits(
            max_pixels=args.max_pixels or limits.max_pixels,
            max_bytes=int(args.max_mb * 2**20) if args.max_mb else limits.max_bytes,
        )
    files, skipped = collect_files(args.paths)
    if not files:
        raise CommandError("no image files found in " + ", ".join(map(str, args.paths)))
    actor = args.actor or default_actor()
    results: list[dict[str, Any]] = []
    progress = Progress(len(files), "importing")
    with open_store(db_path(args)) as store:
        for path in files:
            try:
                outcome = store.import_file(
                    path,
                    actor=actor,
                    spacing_mm=args.spacing_mm,
                    limits=limits,
                    burned_in=BurnedInPolicy(args.burned_in),
                )
            except (CasesError, OSError) as exc:
                # One file's failure (a refused image, a store folder blocked by a
                # file) is reported on its line; the batch goes on.
                reason = (
                    str(exc) if isinstance(exc, CasesError) else os_reason(path, exc)
                )
                if not reason.startswith(str(path)):
                    reason = f"{path}: {reason}"
                results.append({"path": str(path), "status": "failed", "error": reason})
                if not args.json:
                    progress.write(f"{'failed':9} {reason}")
            else:
                results.append({"path": str(path), **to_jsonable(outcome)})
                if not args.json:
                    progress.write(_outcome_line(path, outcome))
            progress.advance()
    progress.close()
    return _report_import(args, results, skipped)


def _report_import(
    args: argparse.Namespace, results: list[dict[str, Any]], skipped: list[Path]
) -> int:
    counts = {
        status: sum(r["status"] == status for r in results)
        for status in ("imported", "existing", "failed")
    }
    if args.json:
        print_json(
            {
                "database": str(db_path(args)),
                **counts,
                "skipped": [str(p) for p in skipped],
                "results": results,
            }
        )
    else:
        extra = f", {len(skipped)} non-image files skipped" if skipped else ""
        print(
            f"{counts['imported']} imported, {counts['existing']} already stored, {counts['failed']} failed{extra} ({db_path(args)})"
        )
    if counts["failed"]:
        raise CommandError(
            f"{counts['failed']} of {len(results)} files could not be imported (see the lines above)"
        )
    return EXIT_OK


# ---------------------------------------------------------------------- list


def run_list(args: argparse.Namespace) -> int:
    """Print one page of the case list."""
    from cases import CaseQuery, CaseSort, InvalidRecord, Verdict, open_store

    try:
        query = CaseQuery(
            text=args.search,
            finding=args.finding,
            sign_code=args.sign,
            backend=args.backend,
            has_warnings=args.warnings,
            has_conversations=args.conversations,
            verdict=Verdict(args.verdict) if args.verdict else None,
            created_from=args.created_from,
            created_to=args.created_to,
            sort=CaseSort(args.sort),
            page=args.page,
            page_size=args.page_size,
        )
    except InvalidRecord as exc:
        raise CommandError(str(exc)) from exc
    with open_store(require_existing_db(args)) as store:
        page = store.list_cases(query)
    if args.json:
        print_json({**to_jsonable(page), "page_count": page.page_count})
    else:
        _print_page(page)
    return EXIT_OK


def _print_page(page: CasePage) -> None:
    header = f"{'case':8} {'created':16} {'img':>3} {'modality/view':13} {'calibration':24} {'warn':>4} {'conv':>4} {'turns':>5}"
    print(header)
    for item in page.items:
        view = "/".join(v for v in (item.modality, item.view_position) if v) or "-"
        calibration = item.calibration_source.value if item.calibration_source else "-"
        created = item.created_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{item.case_id:8} {created:16} {item.image_count:>3} {view:13} {calibration:24} "
            f"{item.warning_count:>4} {item.conversation_count:>4} {item.turn_count:>5}"
        )
    print(f"page {page.page} of {page.page_count} ({page.total} cases)")


# ---------------------------------------------------------------------- show


def run_show(args: argparse.Namespace) -> int:
    """Print one case with its images, calibration and warnings."""
    from cases import open_store

    with open_store(require_existing_db(args)) as store:
        detail = store.get_case_detail(args.case_id)
        reports: dict[str, DeidReport | None] = {
            i.image_id: store.find_deid_report(i.image_id) for i in detail.images
        }
    if args.json:
        print_json(
            {
                **to_jsonable(detail),
                "deid_reports": {
                    image_id: None if r is None else to_jsonable(r.summary)
                    for image_id, r in reports.items()
                },
            }
        )
    else:
        _print_detail(detail, reports)
    return EXIT_OK


def _print_deid_report(report: DeidReport | None) -> None:
    if report is None:
        print("    de-identification report: none (imported before reports existed)")
        return
    summary = report.summary
    parts = [
        (f"removed {len(summary.removed)}", summary.removed),
        (f"replaced {len(summary.replaced)}", summary.replaced),
        (f"emptied {len(summary.emptied)}", summary.emptied),
        (
            f"free text dropped from {len(summary.dropped_values)}",
            summary.dropped_values,
        ),
    ]
    print("    de-identification report (attribute names only, never values):")
    for label, names in parts:
        if names:
            print(f"      {label}: {', '.join(names)}")
    flag = {True: "YES", False: "NO", None: "absent"}[summary.burned_in_annotation]
    if not summary.pixels_searched:
        print(
            f"      pixels: not searched for burned-in text (policy {summary.pixel_policy}, "
            f"Burned In Annotation {flag})"
        )
        return
    boxes = "; ".join(
        f"x {b.x0}-{b.x1} y {b.y0}-{b.y1} filled with {b.fill:g}"
        for b in summary.blanked
    )
    print(
        f"      pixels: searched by {summary.detector} (policy {summary.pixel_policy}, "
        f"Burned In Annotation {flag}); "
        + (
            f"{len(summary.blanked)} region(s) blanked: {boxes}"
            if boxes
            else "no text found"
        )
    )


def _print_detail(
    detail: CaseDetail, reports: Mapping[str, DeidReport | None] | None = None
) -> None:
    case = detail.case
    print(
        f"case {case.case_id}  created {case.created_at:%Y-%m-%d %H:%M} UTC by {case.created_by}"
    )
    print(f"  conversations: {detail.conversation_count} ({detail.turn_count} turns)")
    for image in detail.images:
        print(
            f"  image {image.image_id[:16]}  {image.source_format}  {image.columns}x{image.rows}  {image.dtype}"
        )
        described = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("modality", image.modality),
                ("view", image.view_position),
                ("body part", image.body_part),
            )
            if v
        )
        if described:
            print(f"    {described}")
        calibration = image.calibration
        if calibration.is_calibrated:
            print(
                f"    spacing {calibration.row_mm:.4f} x {calibration.col_mm:.4f} mm (row x column) from {calibration.source}"
            )
        else:
            print(
                "    spacing unknown (calibration none): distances in pixels, estimates labelled as such"
            )
        display = image.display
        window = (
            f", window {display.window_center:g}/{display.window_width:g}"
            if display.window_center is not None and display.window_width is not None
            else ""
        )
        print(
            f"    {display.photometric_interpretation}, {display.bits_stored} bits stored, VOI {display.voi}{window}"
        )
        print(f"    de-identification: {image.deid_method}")
        if reports is not None:
            _print_deid_report(reports.get(image.image_id))
        for issue in image.issues:
            print(f"    {issue.severity}: {issue.message}")
