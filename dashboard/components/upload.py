"""Upload of DICOM, PNG and JPEG radiographs with a progress bar and per-file intake issues."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

import cases
from dashboard import feedback, state
from dashboard.components.frame import PageContext
from dashboard.components.text import escape
from dashboard.state import SessionKey
from services import access
from services.access import Right

UPLOAD_TYPES = ["dcm", "dicom", "dic", "png", "jpg", "jpeg"]


@dataclass(frozen=True, slots=True)
class FileResult:
    """What importing one uploaded file did."""

    name: str
    status: str
    """``imported``, ``existing`` or ``refused``."""
    case_id: str | None
    issues: tuple[cases.ImportIssue, ...]
    message: str = ""
    ignored_spacing: tuple[str, str] | None = None
    """For stored pixels uploaded with another spacing: (the stored one, the one not applied)."""


def import_files(
    store: cases.CaseStore,
    files: list[tuple[str, bytes]],
    *,
    identity: access.Identity,
    spacing_mm: float | None,
    progress: object,
) -> list[FileResult]:
    """Import files one by one (each in its own transaction); a refused file stops nothing.

    Raises:
        PermissionDenied: the person may not import (checked here, on the server).
    """
    access.require(identity, Right.IMPORT)
    actor = identity.actor
    results: list[FileResult] = []
    total = len(files)
    for number, (name, data) in enumerate(files, start=1):
        try:
            outcome = store.import_bytes(
                data, name=name, actor=actor, spacing_mm=spacing_mm
            )
            # The worklist finds a case by the name of the file it came from.
            store.record_source_name(outcome.image.image_id, name, actor=actor)
        except cases.CasesError as exc:
            results.append(
                FileResult(
                    name=name,
                    status="refused",
                    case_id=None,
                    issues=(),
                    message=feedback.message_for(exc),
                )
            )
        else:
            # Stored pixels keep their stored spacing: say so when this upload asked for another.
            ignored = outcome.ignored_calibration
            results.append(
                FileResult(
                    name=name,
                    status=outcome.status.value,
                    case_id=outcome.case_id,
                    issues=outcome.image.issues,
                    ignored_spacing=None
                    if ignored is None
                    else (_spacing(outcome.image.calibration), _spacing(ignored)),
                )
            )
        progress.progress(number / total, text=f"{number}/{total} · {name}")  # type: ignore[attr-defined]
    return results


def _spacing(c: cases.Calibration) -> str:
    return (
        f"{c.row_mm:.3f} mm ({c.source.value})"
        if c.is_calibrated and c.row_mm is not None
        else "—"
    )


def panel(ctx: PageContext, store: cases.CaseStore) -> None:
    """The import panel of the case list."""
    generation = int(state.get(SessionKey.UPLOAD_FILES, 0))
    results: list[FileResult] = state.get(SessionKey.UPLOAD_RESULTS, [])
    with st.expander(ctx.t("upload.title"), expanded=bool(results)):
        st.caption(ctx.t("upload.hint"))
        files = st.file_uploader(
            ctx.t("upload.files"),
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key=f"uploader-{generation}",
        )
        spacing = st.number_input(
            ctx.t("upload.spacing"),
            min_value=0.0,
            max_value=5.0,
            value=0.0,
            step=0.01,
            format="%.3f",
            help=ctx.t("upload.spacing_help"),
            key=SessionKey.UPLOAD_SPACING.value,
        )
        if st.button(
            ctx.t("upload.button"), type="primary", disabled=not files, key="upload_go"
        ):
            with feedback.guard(user_input=True, stop=True):
                access.require(
                    ctx.identity, Right.IMPORT
                )  # server side, not the widget
            bar = st.progress(0.0, text=ctx.t("upload.progress"))
            done = import_files(
                store,
                [(f.name, f.getvalue()) for f in files or []],
                identity=ctx.identity,
                spacing_mm=spacing or None,
                progress=bar,
            )
            state.put(SessionKey.UPLOAD_RESULTS, done)
            state.put(
                SessionKey.UPLOAD_FILES, generation + 1
            )  # a fresh, empty uploader
            st.rerun()
        if results:
            _show_results(ctx, results)


def _show_results(ctx: PageContext, results: list[FileResult]) -> None:
    imported = sum(r.status == "imported" for r in results)
    existing = sum(r.status == "existing" for r in results)
    refused = sum(r.status == "refused" for r in results)
    st.markdown(
        ctx.t("upload.summary", imported=imported, existing=existing, refused=refused)
    )
    table = pd.DataFrame(
        [
            {
                "file": r.name,
                "status": ctx.t(f"upload.status.{r.status}"),
                "case": f"./case?id={r.case_id}" if r.case_id else None,
                "warnings": sum(i.severity is cases.Severity.WARNING for i in r.issues),
                "message": r.message,
            }
            for r in results
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "file": st.column_config.TextColumn(ctx.t("col.file")),
            "status": st.column_config.TextColumn(ctx.t("col.status")),
            "case": st.column_config.LinkColumn(
                ctx.t("col.case"), display_text=r"\./case\?id=(.*)"
            ),
            "warnings": st.column_config.NumberColumn(ctx.t("col.warnings")),
            "message": st.column_config.TextColumn(ctx.t("col.message")),
        },
    )
    for r in results:
        if r.ignored_spacing is not None:
            stored, asked = r.ignored_spacing
            feedback.notify(
                f"{escape(r.name)}: {escape(ctx.t('upload.spacing_ignored', stored=stored, asked=asked))}",
                "warning",
            )
        if r.status == "refused":
            feedback.notify(f"{escape(r.name)}: {escape(r.message)}", "error")
        elif r.issues:
            st.markdown(f"**{ctx.t('upload.issues_for', name=escape(r.name))}**")
            feedback.show_issues(r.issues)
    if st.button(ctx.t("upload.clear"), key="upload_clear"):
        state.drop(SessionKey.UPLOAD_RESULTS)
        st.rerun()
