"""Exports of a stored conversation: bundle, DICOM SR and teaching file (no Streamlit).

Each export reads only de-identified data from the store, writes into a staging folder
beside its target and moves it into place when complete (a failure leaves no half
export), then appends an audit record (``export.<kind>``) naming the actor, the target
and the SHA-256 of every file written. Text typed by users or written by a model is
escaped wherever an export produces HTML or Markdown: it is shown, never interpreted.

* ``export_conversation``: ``conversation.json`` (turns, anchors with their full detail,
  measurements, scorecards with sign names and RadLex ids, annotations, the
  conversation's audit records), ``image.png``, ``overlays/turn-NN.png`` (the overlay
  exactly as it was after each turn) and ``report.md``.
* ``export_structured_report``: a TID 1500 DICOM SR (see ``cases.sr_export``).
* ``export_teaching_file``: chosen turns with their overlays, teaching points,
  ``index.html``, ``index.md`` and ``teaching.json``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import cases
from cases.audit import payload_sha256
from cases.model import payload
from cases.turns import turn_payload
from cases.verification import current_entity_id
from kernel import Language
from ontology import load_vocabulary
from services import quantities, workflows
from services.render import ReviewerBox, ScoreBadge, png_bytes, render_overlay, to_rgb

DISCLAIMER = (
    "Decision support for trained readers, not a diagnostic device: every finding, "
    "measurement and sign is a suggestion to be checked on the image."
)
BUNDLE_FORMAT = "cxr-casebook/conversation-bundle"
TEACHING_FORMAT = "cxr-casebook/teaching-file"
# 2: anchors carry their fields (style, attributes, label_zh, ...) as keys of their own
# instead of a "detail" copy of the engine's description (schema migration 0005).
FORMAT_VERSION = 2


class ExportError(Exception):
    """An export cannot be written (target not empty, unknown turn, ...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportedFile:
    """One file an export wrote, relative to its folder."""

    name: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    """What an export wrote and the audit record that proves it."""

    kind: str
    path: Path
    files: tuple[ExportedFile, ...]
    audit_seq: int
    audit_hash: str


def casebook_version() -> str:
    """Return the installed casebook version (for SR software versions and bundles)."""
    try:
        return metadata.version("cxr-casebook")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------- gathering


@dataclass(frozen=True, slots=True, kw_only=True)
class _Conversation:
    """Everything an export needs about one conversation, read once."""

    record: cases.Conversation
    case: cases.Case
    image: cases.Image
    turns: tuple[cases.TurnDetail, ...]
    annotations: tuple[cases.Annotation, ...]
    audit: tuple[cases.AuditRecord, ...]


def _gather(store: cases.CaseStore, conversation_id: int) -> _Conversation:
    record = store.get_conversation(conversation_id)
    turns = tuple(
        store.get_turn(conversation_id, t.index)
        for t in store.list_turns(conversation_id)
    )
    if not turns:
        raise ExportError(
            f"conversation {conversation_id} has no turns yet; ask a question before exporting"
        )
    annotations = tuple(
        a
        for a in store.list_annotations(record.case_id)
        if a.conversation_id == conversation_id
    )
    return _Conversation(
        record=record,
        case=store.get_case(record.case_id),
        image=store.get_image(record.image_id),
        turns=turns,
        annotations=annotations,
        audit=store.conversation_audit(conversation_id),
    )


def _sign_json(match: cases.SignMatch) -> dict[str, Any]:
    sign = load_vocabulary().find_sign(match.sign_code)
    return {
        **payload(match),
        "sign_name_en": sign.name_en if sign else None,
        "sign_name_zh": sign.name_zh if sign else None,
        "radlex": (sign.radlex or None) if sign else None,
    }


def _scorecard(matches: Sequence[cases.SignMatch]) -> dict[str, Any] | None:
    if not matches:
        return None
    profile_id = matches[0].profile_id
    profile = load_vocabulary().find_profile(profile_id)
    counts = {s.value: sum(m.status is s for m in matches) for s in cases.SignStatus}
    return {
        "profile_id": profile_id,
        "profile_version": matches[0].profile_version,
        "name_en": profile.name_en if profile else profile_id,
        "name_zh": profile.name_zh if profile else profile_id,
        **counts,
        "total": len(matches),
    }


def _image_json(image: cases.Image) -> dict[str, Any]:
    c = image.calibration
    return {
        "image_id": image.image_id,
        "rows": image.rows,
        "columns": image.columns,
        "modality": image.modality,
        "view_position": image.view_position,
        "calibration": {
            "source": c.source.value,
            "row_mm": c.row_mm,
            "col_mm": c.col_mm,
        },
        "deid_method": image.deid_method,
        "warnings": [i.message for i in image.warnings],
        "file": "image.png",
    }


# ---------------------------------------------------------------------- overlays


def _badge(detail: cases.TurnDetail) -> ScoreBadge | None:
    card = _scorecard(detail.sign_matches)
    if card is None:
        return None
    return ScoreBadge(
        title=str(card["name_en"]),
        met=int(card["met"]),
        not_met=int(card["not_met"]),
        not_assessable=int(card["not_assessable"]),
    )


def _reviewer_boxes(
    annotations: Sequence[cases.Annotation], turn_index: int
) -> list[ReviewerBox]:
    boxes = []
    for a in annotations:
        if (
            a.geometry is not None
            and a.geometry.kind == "box"
            and (a.turn_index is None or a.turn_index <= turn_index)
        ):
            verdict = f": {a.verdict.value}" if a.verdict else ""
            (x0, y0), (x1, y1) = a.geometry.points
            boxes.append(
                ReviewerBox(
                    x0=x0,
                    y0=y0,
                    x1=x1,
                    y1=y1,
                    caption=f"{a.author}{verdict}",
                )
            )
    return boxes


def _overlay(
    store: cases.CaseStore,
    data: _Conversation,
    display: npt.NDArray[np.float32],
    detail: cases.TurnDetail,
    long_side: int,
) -> bytes:
    number = detail.turn.index
    state = workflows.replay_state(store, data.record.conversation_id, number)
    image = render_overlay(
        display,
        state,
        badge=_badge(detail),
        reviewer_boxes=_reviewer_boxes(data.annotations, detail.turn.index),
        caption=f"conversation {data.record.conversation_id}, turn {number} of {len(data.turns)}",
        long_side=long_side,
    )
    return png_bytes(image)


# ---------------------------------------------------------------------- writing


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_folder(target: Path) -> Path:
    """Return the target folder, refusing one that holds anything (nothing is overwritten)."""
    target = target.expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ExportError(
            f"{target} exists and is not an empty folder; choose a new --out folder"
        )
    return target


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """Yield a staging folder that becomes ``target`` when the block completes."""
    target = _check_folder(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.partial-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        yield staging
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write(folder: Path, files: Mapping[str, bytes]) -> tuple[ExportedFile, ...]:
    written = []
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(ExportedFile(name=name, sha256=_sha256(data), size=len(data)))
    return tuple(written)


def _audit(
    store: cases.CaseStore,
    *,
    actor: str,
    kind: str,
    conversation_id: int,
    path: Path,
    files: Sequence[ExportedFile],
    extra: Mapping[str, Any] | None = None,
) -> cases.AuditRecord:
    return store.record_export(
        actor=actor,
        kind=kind,
        entity_type="conversation",
        entity_id=str(conversation_id),
        detail={
            "path": str(path),
            "files": [
                {"name": f.name, "sha256": f.sha256, "size": f.size} for f in files
            ],
            **(extra or {}),
        },
    )


def _json_bytes(value: Any) -> bytes:
    return (
        json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    ).encode("utf-8")


# ---------------------------------------------------------------------- text escaping


# Inline Markdown (emphasis, code, links and images, GFM tables and strikethrough) and
# autolinks; block markers (headings, lists, rules, setext underlines) only start a line.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\s*|\s*\d+)([#>+=-]|(?<=\d)[.)])", re.MULTILINE)


def md_text(text: str) -> str:
    """Escape user or model text for Markdown: shown as typed, never rendered.

    HTML becomes entities (``&lt;script&gt;``), and every character that would start
    Markdown (``**bold**``, ``![x](url)``, ``[link](url)``, a leading ``#`` or ``-``)
    gets a backslash, so a viewer shows the characters instead of formatting them.
    """
    escaped = _MD_INLINE.sub(r"\\\1", text)
    escaped = _MD_LINE_START.sub(r"\1\\\2", escaped)
    return html.escape(escaped, quote=False).replace("://", ":\\/\\/")


def md_cell(text: object) -> str:
    """Escape a value for one Markdown table cell."""
    return md_text(str(text)).replace("|", "\\|").replace("\n", " ")


# ---------------------------------------------------------------------- conversation bundle


def _turn_json(
    detail: cases.TurnDetail, record: cases.AuditRecord | None
) -> dict[str, Any]:
    number = detail.turn.index
    body = turn_payload(detail)
    return {
        "number": number,
        "turn": body["turn"],
        "anchors": body["anchors"],
        "anchor_events": body["anchor_events"],
        "measurements": body["measurements"],
        # The values as a reader reads them, an estimate with its label and interval; kept
        # apart from "measurements" so that the audited payload stays as it was stored.
        "measurement_texts": _measurement_texts(detail.measurements),
        "sign_matches": [_sign_json(s) for s in detail.sign_matches],
        "scorecard": _scorecard(detail.sign_matches),
        "overlay": f"overlays/turn-{number:02d}.png",
        # Equal to the audit record's payload_sha256 unless the stored turn was changed.
        "payload_sha256": payload_sha256(body),
        "audit_record": None
        if record is None
        else {
            "seq": record.seq,
            "hash": record.hash,
            "payload_sha256": record.payload_sha256,
        },
    }


def _measurement_texts(
    measurements: Sequence[cases.Measurement],
) -> list[dict[str, Any]]:
    return [
        {
            "kind": m.kind,
            "from_anchor": m.from_anchor,
            "to_anchor": m.to_anchor,
            "en": quantities.measurement_text(m, Language.EN),
            "zh": quantities.measurement_text(m, Language.ZH),
        }
        for m in sorted(measurements, key=lambda m: m.index)
    ]


def _measurement_lines(turn: Mapping[str, Any]) -> list[str]:
    """'centre to hilum (A2 → A3): ≈ 52.6 mm (estimated ±15 %)' per measurement of a turn."""
    lang = "zh" if turn["language"] == "zh" else "en"
    return [
        f"{m['kind'].replace('_', ' ')} ({' → '.join(a for a in (m['from_anchor'], m['to_anchor']) if a)}): {m[lang]}"
        for m in turn["measurements"]
    ]


def export_conversation(
    store: cases.CaseStore,
    conversation_id: int,
    out_dir: Path,
    *,
    actor: str,
    long_side: int = 1024,
    verify: bool = True,
) -> ExportResult:
    """Write the conversation bundle into ``out_dir`` (new or empty) and audit it.

    Raises:
        ExportError: ``out_dir`` is not empty, or the conversation has no turns.
        RecordNotFound: the conversation does not exist.
    """
    _check_folder(Path(out_dir))
    data = _gather(store, conversation_id)
    display = store.load_display(data.image)
    zero_based_until = store.zero_based_audit_until()
    turn_records = {
        current_entity_id(r, zero_based_until): r
        for r in data.audit
        if r.entity_type == "turn"
    }
    report = store.verify_audit() if verify else None
    now = datetime.now(UTC)
    bundle = {
        "format": BUNDLE_FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "exported_by": actor,
        "casebook_version": casebook_version(),
        "disclaimer": DISCLAIMER,
        "case": payload(data.case),
        "image": _image_json(data.image),
        "conversation": payload(data.record),
        "turns": [
            _turn_json(d, turn_records.get(f"{conversation_id}/{d.turn.index}"))
            for d in data.turns
        ],
        "annotations": [payload(a) for a in data.annotations],
        "audit": {
            "records": [r.to_json() for r in data.audit],
            "database_head": None
            if report is None
            else {"seq": report.head_seq, "hash": report.head_hash},
            "verified_at_export": None if report is None else report.ok,
            "problems": [] if report is None else [p.message for p in report.problems],
        },
    }
    files: dict[str, bytes] = {
        "conversation.json": _json_bytes(bundle),
        "image.png": png_bytes(to_rgb(display, long_side)),
    }
    for detail in data.turns:
        files[f"overlays/turn-{detail.turn.index:02d}.png"] = _overlay(
            store, data, display, detail, long_side
        )
    files["report.md"] = _report_markdown(data, bundle).encode("utf-8")
    target = Path(out_dir)
    with _staged(target) as staging:
        written = _write(staging, files)
    record = _audit(
        store,
        actor=actor,
        kind="bundle",
        conversation_id=conversation_id,
        path=target,
        files=written,
    )
    return ExportResult(
        kind="bundle",
        path=target,
        files=written,
        audit_seq=record.seq,
        audit_hash=record.hash,
    )


def _report_markdown(data: _Conversation, bundle: Mapping[str, Any]) -> str:
    record = data.record
    image = data.image
    c = image.calibration
    spacing = (
        f"{c.row_mm:.3f} x {c.col_mm:.3f} mm ({c.source.value})"
        if c.is_calibrated
        else "none (pixels; estimates labelled as such)"
    )
    lines = [
        f"# Conversation {record.conversation_id}, case {data.case.case_id}",
        "",
        f"> {DISCLAIMER}",
        "",
        f"- Image: `{image.image_id[:16]}` {image.columns} x {image.rows} px, "
        f"{md_text(image.modality or image.source_format.value)} {md_text(image.view_position or '')}",
        f"- Pixel spacing: {spacing}",
        f"- De-identification: {md_text(image.deid_method)}",
        f"- Engine: {md_text(record.backend)}, model {md_text(record.model_id)} {md_text(record.model_version)}",
        f"- Started by {md_text(record.created_by)} at {record.created_at:%Y-%m-%d %H:%M} UTC",
        f"- Exported by {md_text(str(bundle['exported_by']))} at {bundle['exported_at']}",
        "",
    ]
    for warning in image.warnings:
        lines.append(f"> Warning: {md_text(warning.message)}")
    for detail, turn_json in zip(data.turns, bundle["turns"], strict=True):
        lines += _turn_markdown(detail, turn_json)
    if data.annotations:
        lines += [
            "## Reviewer annotations",
            "",
            "| # | author | label | verdict | turn | anchor | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for a in data.annotations:
            lines.append(
                f"| {a.annotation_id} | {md_cell(a.author)} | {md_cell(a.label)} | "
                f"{a.verdict.value if a.verdict else ''} | "
                f"{'' if a.turn_index is None else a.turn_index} | {a.anchor_id or ''} | {md_cell(a.note or '')} |"
            )
        lines.append("")
    audit = bundle["audit"]
    lines += [
        "## Audit trail",
        "",
        "| seq | recorded (UTC) | actor | action | entity | hash |",
        "|---|---|---|---|---|---|",
    ]
    for r in data.audit:
        lines.append(
            f"| {r.seq} | {r.recorded_at:%Y-%m-%d %H:%M:%S} | {md_cell(r.actor)} | {r.action} | "
            f"{r.entity_type} {md_cell(r.entity_id)} | `{r.hash[:16]}` |"
        )
    if audit["verified_at_export"] is not None:
        state = "verified" if audit["verified_at_export"] else "BROKEN"
        head = audit["database_head"]
        lines += [
            "",
            f"Audit chain {state} at export; database head record {head['seq']}, hash `{head['hash']}`.",
        ]
        lines += [f"- problem: {md_text(p)}" for p in audit["problems"]]
    lines.append("")
    return "\n".join(lines)


def _turn_markdown(detail: cases.TurnDetail, turn_json: Mapping[str, Any]) -> list[str]:
    turn = detail.turn
    number = turn_json["number"]
    lines = [
        f"## Turn {number}",
        "",
        f"**Question** ({turn.language.value}, asked by {md_text(turn.actor)}):",
        "",
        *[f"> {md_text(line)}" for line in turn.question.splitlines() or [""]],
        "",
        f"**Answer** ({md_text(turn.intent)}, {turn.latency_ms:.0f} ms):",
        "",
        *[md_text(line) for line in turn.answer_text.splitlines()],
        "",
        f"![Overlay after turn {number}]({turn_json['overlay']})",
        "",
    ]
    if detail.anchors or detail.anchor_events:
        lines += [
            "| anchor | status | kind | label | location |",
            "|---|---|---|---|---|",
        ]
        written = {a.anchor_id: a for a in detail.anchors}
        for event in detail.anchor_events:
            anchor = written.get(event.anchor_id)
            lines.append(
                f"| {event.anchor_id} | {event.status.value} | {anchor.kind.value if anchor else ''} | "
                f"{md_cell(anchor.label) if anchor else ''} | {md_cell(anchor.location or '') if anchor else ''} |"
            )
        lines.append("")
    if detail.measurements:
        lines += [
            "| measurement | from | to | value | calibration |",
            "|---|---|---|---|---|",
        ]
        for m in detail.measurements:
            value = quantities.measurement_text(m, Language.EN)
            lines.append(
                f"| {md_cell(m.kind)} | {m.from_anchor or ''} | {m.to_anchor or ''} | {value} | {m.calibration.value} |"
            )
        lines.append("")
    card = turn_json["scorecard"]
    if card:
        lines += [
            f"**Scorecard** {md_text(str(card['name_en']))}: met {card['met']}, not met {card['not_met']}, "
            f"not assessable on a radiograph {card['not_assessable']} (of {card['total']}).",
            "",
            "| sign | name | RadLex | status | evidence |",
            "|---|---|---|---|---|",
        ]
        for s in turn_json["sign_matches"]:
            lines.append(
                f"| {s['sign_code']} | {md_cell(s['sign_name_en'] or '')} | {s['radlex'] or ''} | "
                f"{s['status']} | {', '.join(s['evidence_anchor_ids'])} |"
            )
        lines.append("")
    return lines


# ---------------------------------------------------------------------- DICOM SR


def export_structured_report(
    store: cases.CaseStore,
    conversation_id: int,
    out_file: Path,
    *,
    actor: str,
    overwrite: bool = False,
) -> ExportResult:
    """Write the conversation as a TID 1500 DICOM SR file and audit it.

    Raises:
        ExportError: ``out_file`` exists (and ``overwrite`` is False).
        RecordNotFound: the conversation does not exist.
    """
    from cases.sr_export import build_structured_report

    target = Path(out_file).expanduser()
    if target.exists() and not overwrite:
        raise ExportError(f"{target} exists; choose another --out file or pass --force")
    data = build_structured_report(
        store, conversation_id, software_version=casebook_version()
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.partial-{secrets.token_hex(4)}")
    try:
        staging.write_bytes(data)
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)
    written = (ExportedFile(name=target.name, sha256=_sha256(data), size=len(data)),)
    record = _audit(
        store,
        actor=actor,
        kind="sr",
        conversation_id=conversation_id,
        path=target,
        files=written,
    )
    return ExportResult(
        kind="sr",
        path=target,
        files=written,
        audit_seq=record.seq,
        audit_hash=record.hash,
    )


# ---------------------------------------------------------------------- teaching file


def export_teaching_file(
    store: cases.CaseStore,
    conversation_id: int,
    out_dir: Path,
    *,
    turns: Sequence[int],
    points: Sequence[str],
    actor: str,
    title: str | None = None,
    long_side: int = 1024,
) -> ExportResult:
    """Write a teaching file: the image, chosen turns (1-based) with overlays, points.

    Raises:
        ExportError: ``out_dir`` is not empty, a turn number does not exist, or no turn
            was chosen.
        RecordNotFound: the conversation does not exist.
    """
    _check_folder(Path(out_dir))
    data = _gather(store, conversation_id)
    known = {d.turn.index: d for d in data.turns}
    chosen = list(dict.fromkeys(turns)) or sorted(known)
    missing = [n for n in chosen if n not in known]
    if missing:
        raise ExportError(
            f"conversation {conversation_id} has turns 1-{len(known)}; there is no turn "
            f"{', '.join(map(str, missing))}"
        )
    display = store.load_display(data.image)
    title = title or f"Chest radiograph teaching case {data.case.case_id}"
    teaching = {
        "format": TEACHING_FORMAT,
        "format_version": FORMAT_VERSION,
        "title": title,
        "exported_at": datetime.now(UTC).isoformat(),
        "exported_by": actor,
        "disclaimer": DISCLAIMER,
        "case_id": data.case.case_id,
        "conversation_id": conversation_id,
        "image": _image_json(data.image),
        "teaching_points": list(points),
        "turns": [
            {
                "number": n,
                "question": known[n].turn.question,
                "language": known[n].turn.language.value,
                "answer_text": known[n].turn.answer_text,
                "anchors": [
                    {
                        "id": a.anchor_id,
                        "kind": a.kind.value,
                        "label": a.label,
                        "location": a.location,
                    }
                    for a in known[n].anchors
                ],
                "measurements": _measurement_texts(known[n].measurements),
                "scorecard": _scorecard(known[n].sign_matches),
                "overlay": f"turn-{n:02d}.png",
            }
            for n in chosen
        ],
    }
    files: dict[str, bytes] = {"image.png": png_bytes(to_rgb(display, long_side))}
    for n in chosen:
        files[f"turn-{n:02d}.png"] = _overlay(store, data, display, known[n], long_side)
    files["teaching.json"] = _json_bytes(teaching)
    files["index.md"] = _teaching_markdown(teaching).encode("utf-8")
    files["index.html"] = _teaching_html(teaching).encode("utf-8")
    target = Path(out_dir)
    with _staged(target) as staging:
        written = _write(staging, files)
    record = _audit(
        store,
        actor=actor,
        kind="teaching",
        conversation_id=conversation_id,
        path=target,
        files=written,
        extra={"turns": chosen, "teaching_points": len(points)},
    )
    return ExportResult(
        kind="teaching",
        path=target,
        files=written,
        audit_seq=record.seq,
        audit_hash=record.hash,
    )


def _teaching_markdown(t: Mapping[str, Any]) -> str:
    lines = [
        f"# {md_text(t['title'])}",
        "",
        f"> {DISCLAIMER}",
        "",
        "![Radiograph](image.png)",
        "",
    ]
    if t["teaching_points"]:
        lines += ["## Teaching points", ""]
        lines += [
            f"{i}. {md_text(p)}" for i, p in enumerate(t["teaching_points"], start=1)
        ]
        lines.append("")
    for turn in t["turns"]:
        lines += [
            f"## Turn {turn['number']}",
            "",
            *[f"> {md_text(line)}" for line in turn["question"].splitlines() or [""]],
            "",
            *[md_text(line) for line in turn["answer_text"].splitlines()],
            "",
            *[f"- {md_text(line)}" for line in _measurement_lines(turn)],
            "",
            f"![Overlay after turn {turn['number']}]({turn['overlay']})",
            "",
        ]
    return "\n".join(lines)


def _teaching_html(t: Mapping[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No scripts and no remote content: the file opens offline and runs nothing.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'\">",
        f"<title>{e(t['title'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5}"
        "img{max-width:100%}.q{background:#eef;padding:.5rem 1rem}.a{white-space:pre-wrap}"
        ".note{background:#fff4e0;padding:.5rem 1rem}</style></head><body>",
        f"<h1>{e(t['title'])}</h1>",
        f'<p class="note">{e(DISCLAIMER)}</p>',
        f"<p>Case {e(t['case_id'])}, conversation {t['conversation_id']}.</p>",
        '<img src="image.png" alt="Radiograph">',
    ]
    if t["teaching_points"]:
        parts.append("<h2>Teaching points</h2><ol>")
        parts += [f"<li>{e(p)}</li>" for p in t["teaching_points"]]
        parts.append("</ol>")
    for turn in t["turns"]:
        lang = "zh" if turn["language"] == "zh" else "en"
        parts += [
            f"<h2>Turn {turn['number']}</h2>",
            f'<p class="q" lang="{lang}">{e(turn["question"])}</p>',
            f'<div class="a" lang="{lang}">{e(turn["answer_text"])}</div>',
            *[
                f'<p class="m" lang="{lang}">{e(line)}</p>'
                for line in _measurement_lines(turn)
            ],
            f'<img src="{e(turn["overlay"])}" alt="Overlay after turn {turn["number"]}">',
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
