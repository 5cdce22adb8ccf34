"""`casebook ask` and `casebook evaluate`: the grounded dialogue and the vision metrics."""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.backends import add_backend_options, backend_settings
from cli.main import (
    CommandError,
    Progress,
    default_actor,
    print_json,
    require_existing_db,
)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    ask = subparsers.add_parser(
        "ask",
        parents=[common],
        help="ask questions about an image file or a stored case",
        description="Run one conversation. An image path runs without a database; a case id "
        "stores the conversation in --db. Answers follow the question's language.",
    )
    ask.add_argument(
        "target",
        metavar="IMAGE_OR_CASE",
        help="a PNG/JPEG/DICOM file, or a case id in --db",
    )
    ask.add_argument(
        "-q",
        "--question",
        action="append",
        required=True,
        metavar="QUESTION",
        help="a question; repeat for follow-up turns",
    )
    ask.add_argument(
        "--spacing-mm",
        type=float,
        metavar="MM",
        help="pixel spacing of a PNG/JPEG file (DICOM files carry their own)",
    )
    ask.add_argument(
        "--view", choices=["PA", "AP"], help="view position of a PNG/JPEG file"
    )
    ask.add_argument(
        "--backend", default="embedded", help="model backend (see `casebook backends`)"
    )
    add_backend_options(ask)
    ask.set_defaults(handler=run_ask)

    evaluate = subparsers.add_parser(
        "evaluate",
        parents=[common],
        help="evaluate the vision engine on a ground-truth manifest",
        description="Per-image rows and an aggregate: lung and heart Dice, nodule FROC, top-1 and box "
        "hit rates, laterality errors and analysis latency.",
    )
    evaluate.add_argument("manifest", type=Path, metavar="MANIFEST.csv")
    evaluate.set_defaults(handler=run_evaluate)


def _backend(args: argparse.Namespace) -> Any:
    from engine.backends.registry import create_backend

    return create_backend(args.backend, backend_settings(args))


def load_radiograph(
    path: Path,
    spacing_mm: float | None,
    view: str | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> Any:
    """Read an image file into an engine Radiograph without storing anything.

    ``warn`` receives each intake warning (an implausible spacing, a small image, ...),
    which an import would store with the image.
    """
    from cases import read_image_file
    from cases.display import decoded_display
    from engine.model import Radiograph

    # A throwaway salt: UIDs are remapped but nothing is kept.
    decoded = read_image_file(path, salt=secrets.token_bytes(16), spacing_mm=spacing_mm)
    if warn is not None:
        for issue in decoded.issues:
            warn(issue.message)
    return Radiograph(
        pixels=decoded_display(decoded),
        calibration=decoded.calibration,
        key=decoded.image_id,
        view_position=decoded.view_position or view,
    )


def run_ask(args: argparse.Namespace) -> int:
    from engine.dialogue import Conversation

    empty = [n for n, q in enumerate(args.question, start=1) if not q.strip()]
    if empty:
        raise CommandError(
            f"question {empty[0]} is empty; give each -q a question about the image"
        )
    target = Path(args.target)
    if not target.exists() and (
        target.suffix or "/" in args.target or "\\" in args.target
    ):
        # A case id has no suffix or slash: this was meant as a file.
        raise CommandError(
            f"no image file at {target}; give an existing PNG/JPEG/DICOM file or a case id"
        )
    backend = _backend(args)
    turns = []
    if target.exists():
        from services.workflows import analysis_cache

        radiograph = load_radiograph(
            target,
            args.spacing_mm,
            args.view,
            warn=lambda message: print(f"warning: {message}", file=sys.stderr),
        )
        started = time.perf_counter()
        analysis = analysis_cache().get(radiograph)
        conversation = Conversation(
            analysis,
            backend,
            image=radiograph.pixels if backend.name != "embedded" else None,
            analysis_ms=(time.perf_counter() - started) * 1000,
        )
        for question in args.question:
            turns.append(conversation.ask(question))
    else:
        if args.spacing_mm is not None:
            raise CommandError(
                "--spacing-mm applies to image files; a stored case keeps its calibration"
            )
        from cases import open_store
        from services import workflows

        store = open_store(require_existing_db(args))
        try:
            if store.find_case(args.target) is None:
                raise CommandError(
                    f"{args.target} is neither an image file nor a case in {require_existing_db(args)}; "
                    "see `casebook list`"
                )
            session = workflows.start_session(
                store, args.target, backend=backend, actor=default_actor()
            )
            for question in args.question:
                turns.append(
                    workflows.ask(store, session, question, actor=default_actor())
                )
        finally:
            store.close()
    if args.json:
        print_json([t.to_json() for t in turns])
    else:
        _print_turns(turns)
    return 0


def _print_turns(turns: list[Any]) -> None:
    for t in turns:
        print(f"--- turn {t.index} ({t.intent.value}, {t.latency_ms:.0f} ms) ---")
        print(f"Q: {t.question}")
        print(t.answer_text)
        refs = ", ".join(
            f"{b.phrase} -> {b.anchor_id} ({b.rule.value})"
            for b in t.resolved_references
        )
        if refs:
            print(f"bindings: {refs}")
        for line in _measurement_lines(t):
            print(line)
        for w in t.warnings:
            print(f"warning: {w}", file=sys.stderr)


def _measurement_lines(turn: Any) -> list[str]:
    """'measurement center_to_hilum A2 -> A3: ≈ 52.6 mm (estimated ±15 %)' per measurement."""
    from services.quantities import length_text

    return [
        f"measurement {m.kind} {m.from_anchor}"
        + (f" -> {m.to_anchor}" if m.to_anchor else "")
        + ": "
        + length_text(
            m.value_mm,
            m.value_px,
            m.calibration,
            turn.language,
            relative_error=m.relative_error,
        )
        for m in turn.measurements
    ]


def run_evaluate(args: argparse.Namespace) -> int:
    from engine.analysis import default_analyzer
    from engine.evaluation import evaluate

    if not args.manifest.is_file():
        raise CommandError(f"no manifest at {args.manifest}")
    analyzer = default_analyzer()
    progress = Progress(0, "evaluating")

    def step(i: int, total: int, case_id: str) -> None:
        progress.total = total
        progress.label = f"evaluating {case_id}"
        progress.advance()

    try:
        result = evaluate(
            args.manifest, analyzer, lambda p, s: load_radiograph(p, s), progress=step
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        progress.close()
    if args.json:
        print_json(result)
        return 0
    print("case_id\tlung_dice\theart_dice\tnodule_rank\tbox_hit\tlatency_ms")
    for row in result["images"]:
        print(
            "\t".join(
                str(row[k])
                for k in (
                    "case_id",
                    "lung_dice",
                    "heart_dice",
                    "nodule_hit_rank",
                    "box_hit",
                    "latency_ms",
                )
            )
        )
    summary = {k: v for k, v in result.items() if k != "images"}
    print_json(summary)
    return 0
