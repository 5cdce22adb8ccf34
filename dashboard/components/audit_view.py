"""The QA view of the audit trail: turns, annotations and agreement, read from the chain itself.

The tables are built from the audit records' payloads (what was hashed into the chain), not
from the live tables: the integrity check then vouches that the two still agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

import cases
from cases.geometry import geometry_from_json
from cases.legacy import renumber_turns
from dashboard import resources
from dashboard.components.frame import PageContext
from engine.anchors import Anchor, AnchorKind
from engine.geometry import Box

TURN_COLUMNS = [
    "seq", "time", "actor", "case", "conversation", "turn", "backend", "model_id", "model_version",
    "latency_ms", "waited_ms", "language", "intent", "question", "answer", "raw_output", "record_hash",
]  # fmt: skip
ANNOTATION_COLUMNS = [
    "seq",
    "time",
    "author",
    "case",
    "conversation",
    "turn",
    "anchor",
    "verdict",
    "label",
    "iou",
    "backend",
    "model_version",
]
MATCH_COLUMNS = [
    "seq",
    "time",
    "conversation",
    "turn",
    "backend",
    "model_version",
    "profile",
    "sign",
    "status",
]


@dataclass(frozen=True, slots=True)
class AuditTables:
    """Everything the audit page shows, from one pass over the audit records."""

    records: pd.DataFrame
    turns: pd.DataFrame
    annotations: pd.DataFrame
    sign_matches: pd.DataFrame
    first_seq: int | None
    last_seq: int | None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone().replace(tzinfo=None)


def _anchor_box(payload: dict[str, Any]) -> tuple[Box, AnchorKind] | None:
    detail = payload.get("detail")
    try:
        if detail:
            anchor = Anchor.from_json(detail)
            return anchor.bbox, anchor.kind
        geometry = geometry_from_json(payload["geometry"])
        return geometry.bounding_box(), AnchorKind(payload.get("kind", "region"))
    except (KeyError, ValueError, TypeError):
        return None


def build_tables(
    records: Sequence[cases.AuditRecord],
    conversations: dict[int, dict[str, Any]] | None = None,
    zero_based_until: int = 0,
) -> AuditTables:
    """Turn audit records into the page's tables.

    Args:
        records: audit records in sequence order.
        conversations: conversation payloads already known (for windows that start after
            a conversation was opened); found ones are added to it.
        zero_based_until: the last record written while turns counted from 0
            (``CaseStore.zero_based_audit_until``); its payloads are shown renumbered.
    """
    known = dict(conversations or {})
    anchors: dict[tuple[int, str], list[tuple[int, Box, AnchorKind]]] = {}
    record_rows, turn_rows, note_rows, match_rows = [], [], [], []
    for r in records:
        record_rows.append(
            {
                "seq": r.seq,
                "time": r.recorded_at.astimezone().replace(tzinfo=None),
                "actor": r.actor,
                "action": r.action,
                "entity": f"{r.entity_type}:{r.entity_id}",
                "hash": r.hash[:16],
                "prev_hash": r.prev_hash[:16],
            }
        )
        body = (
            renumber_turns(r.entity_type, r.payload, +1)
            if r.seq <= zero_based_until
            else r.payload
        )
        if r.action == "conversation.start":
            known[int(body["conversation_id"])] = body
        elif r.action == "turn.append":
            turn = body.get("turn", {})
            cid = int(turn.get("conversation_id", 0))
            conv = known.get(cid, {})
            answer = turn.get("answer_json") or {}
            turn_rows.append(
                {
                    "seq": r.seq,
                    "time": _time(turn.get("created_at"))
                    or r.recorded_at.astimezone().replace(tzinfo=None),
                    "actor": turn.get("actor", r.actor),
                    "case": conv.get("case_id", ""),
                    "conversation": cid,
                    "turn": int(turn.get("turn_index", 1)),
                    "backend": answer.get("backend") or conv.get("backend", ""),
                    "model_id": answer.get("model_id") or conv.get("model_id", ""),
                    "model_version": answer.get("model_version")
                    or conv.get("model_version", ""),
                    "latency_ms": turn.get("latency_ms"),
                    # What the reader waited: the image's analysis (when this turn
                    # computed it) plus the turn itself.
                    "waited_ms": (turn.get("latency_ms") or 0.0)
                    + float(answer.get("analysis_ms") or 0.0),
                    "language": turn.get("language", ""),
                    "intent": turn.get("intent", ""),
                    "question": turn.get("question", ""),
                    "answer": turn.get("answer_text", ""),
                    "raw_output": turn.get("raw_output") or "",
                    "record_hash": r.hash,
                }
            )
            for a in body.get("anchors", []):
                found = _anchor_box(a)
                if found is not None:
                    anchors.setdefault((cid, str(a.get("anchor_id"))), []).append(
                        (int(a.get("turn_index", 1)), found[0], found[1])
                    )
            for m in body.get("sign_matches", []):
                match_rows.append(
                    {
                        "seq": r.seq,
                        "time": r.recorded_at.astimezone().replace(tzinfo=None),
                        "conversation": cid,
                        "turn": int(m.get("turn_index", 1)),
                        "backend": conv.get("backend", ""),
                        "model_version": conv.get("model_version", ""),
                        "profile": m.get("profile_id", ""),
                        "sign": m.get("sign_code", ""),
                        "status": m.get("status", ""),
                    }
                )
        elif r.action == "annotation.add":
            note_rows.append(_annotation_row(r, body, known, anchors))
    return AuditTables(
        records=pd.DataFrame(
            record_rows,
            columns=["seq", "time", "actor", "action", "entity", "hash", "prev_hash"],
        ),
        turns=pd.DataFrame(turn_rows, columns=TURN_COLUMNS),
        annotations=pd.DataFrame(note_rows, columns=ANNOTATION_COLUMNS),
        sign_matches=pd.DataFrame(match_rows, columns=MATCH_COLUMNS),
        first_seq=records[0].seq if records else None,
        last_seq=records[-1].seq if records else None,
    )


def _annotation_row(
    r: cases.AuditRecord,
    body: dict[str, Any],
    known: dict[int, dict[str, Any]],
    anchors: dict[tuple[int, str], list[tuple[int, Box, AnchorKind]]],
) -> dict[str, Any]:
    cid = body.get("conversation_id")
    conv = known.get(int(cid), {}) if cid is not None else {}
    turn_index = body.get("turn_index")
    iou = None
    if body.get("geometry") and cid is not None:
        drawn = geometry_from_json(body["geometry"]).bounding_box()
        iou = agreement_iou(drawn, int(cid), body.get("anchor_id"), turn_index, anchors)
    return {
        "seq": r.seq,
        "time": _time(body.get("created_at")),
        "author": body.get("author", r.actor),
        "case": body.get("case_id", ""),
        "conversation": cid,
        "turn": None if turn_index is None else int(turn_index),
        "anchor": body.get("anchor_id") or "",
        "verdict": body.get("verdict") or "",
        "label": body.get("label", ""),
        "iou": iou,
        "backend": conv.get("backend", ""),
        "model_version": conv.get("model_version", ""),
    }


def agreement_iou(
    drawn: Box,
    conversation_id: int,
    anchor_id: str | None,
    turn_index: int | None,
    anchors: dict[tuple[int, str], list[tuple[int, Box, AnchorKind]]],
) -> float | None:
    """IoU of a reviewer's box with the AI anchor it is about.

    With an anchor id: that anchor as it stood at the annotated turn. Without one: the
    best-overlapping finding anchor of the conversation up to that turn.
    """
    limit = 10**9 if turn_index is None else int(turn_index)

    def version(key: tuple[int, str]) -> tuple[Box, AnchorKind] | None:
        versions = [v for v in anchors.get(key, []) if v[0] <= limit]
        return (versions[-1][1], versions[-1][2]) if versions else None

    if anchor_id:
        found = version((conversation_id, anchor_id))
        return None if found is None else round(drawn.iou(found[0]), 3)
    best = None
    for key in anchors:
        if key[0] != conversation_id:
            continue
        found = version(key)
        if found is not None and found[1] in (
            AnchorKind.FINDING,
            AnchorKind.USER_DRAWN,
        ):
            score = drawn.iou(found[0])
            best = score if best is None or score > best else best
    return None if best is None else round(best, 3)


@st.cache_data(show_spinner=False, max_entries=8)
def _load(path: str, record_count: int, window: int) -> AuditTables:
    store = resources.store()
    start = max(0, record_count - window)
    records: list[cases.AuditRecord] = []
    after = start
    while True:
        page = store.list_audit(after_seq=after, limit=5000)
        if not page:
            break
        records.extend(page)
        after = page[-1].seq
    return build_tables(records, zero_based_until=store.zero_based_audit_until())


def load(store: cases.CaseStore, window: int) -> AuditTables:
    """The audit tables of the newest ``window`` records (rebuilt when records are added)."""
    count = store.stats().audit_records
    return _load(str(resources.db_path()), count, window)


# --------------------------------------------------------------------------- integrity


@st.cache_data(show_spinner=False, ttl=120, max_entries=4)
def _verify(path: str, record_count: int, nonce: int) -> tuple[cases.AuditReport, str]:
    report = resources.store().verify_audit()
    return report, datetime.now().strftime("%H:%M:%S")


def integrity(
    ctx: PageContext, store: cases.CaseStore, nonce: int
) -> cases.AuditReport:
    """Run the audit chain check and show a plain pass or fail."""
    with st.spinner(ctx.t("audit.checking")):
        report, checked_at = _verify(
            str(resources.db_path()), store.stats().audit_records, nonce
        )
    if report.ok:
        st.success(
            ctx.t(
                "audit.pass",
                records=f"{report.records_checked:,}",
                entities=f"{report.entities_checked:,}",
                head=report.head_seq or 0,
                hash=(report.head_hash or "")[:16],
                time=checked_at,
            ),
            icon=":material/verified:",
        )
    else:
        problem = report.problem
        st.error(
            ctx.t(
                "audit.fail",
                message=problem.message if problem else "?",
                kind=problem.kind.value if problem else "?",
                time=checked_at,
            ),
            icon=":material/error:",
        )
    return report


# --------------------------------------------------------------------------- charts


def charts(
    ctx: PageContext,
    tables: AuditTables,
    turns: pd.DataFrame,
    profile_names: Mapping[str, str] | None = None,
) -> None:
    """Turns over time by backend, what readers waited, scorecard statuses, agreement.

    ``profile_names`` names the scorecard profiles in the interface language.
    """
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{ctx.t('audit.chart_turns')}**")
        if turns.empty:
            st.caption(ctx.t("audit.no_data"))
        else:
            fig = px.histogram(
                turns,
                x="time",
                color="backend",
                labels={"time": ctx.t("col.time"), "backend": "backend"},
            )
            fig.update_layout(
                bargap=0.1,
                height=320,
                margin={"l": 10, "r": 10, "t": 10, "b": 10},
                yaxis_title=ctx.t("audit.turn_count"),
            )
            st.plotly_chart(fig, key="chart-turns")
    with c2:
        st.markdown(f"**{ctx.t('audit.chart_latency')}**")
        if turns.empty:
            st.caption(ctx.t("audit.no_data"))
        else:
            fig = px.box(
                turns,
                x="backend",
                y="waited_ms",
                points="all",
                color="backend",
                labels={"waited_ms": ctx.t("audit.waited_ms")},
            )
            fig.update_layout(
                height=320,
                margin={"l": 10, "r": 10, "t": 10, "b": 10},
                showlegend=False,
            )
            st.plotly_chart(fig, key="chart-latency")
    c3, c4 = st.columns(2)
    with c3:
        st.markdown(f"**{ctx.t('audit.chart_status')}**")
        matches = tables.sign_matches[
            tables.sign_matches["conversation"].isin(turns["conversation"])
        ]
        if matches.empty:
            st.caption(ctx.t("audit.no_data"))
        else:
            counts = (
                matches.groupby(["profile", "status"]).size().reset_index(name="items")
            )
            colours = {
                ctx.t("score.met"): "#2e7d32",
                ctx.t("score.not_met"): "#c62828",
                ctx.t("score.not_assessable"): "#9e9e9e",
            }
            counts["status"] = counts["status"].map(lambda s: ctx.t(f"score.{s}"))
            names = profile_names or {}
            counts["profile"] = counts["profile"].map(lambda p: names.get(p, p))
            fig = px.bar(
                counts,
                x="profile",
                y="items",
                color="status",
                barmode="stack",
                color_discrete_map=colours,
            )
            fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10})
            st.plotly_chart(fig, key="chart-status")
    with c4:
        st.markdown(f"**{ctx.t('audit.chart_agreement')}**")
        notes = tables.annotations.dropna(subset=["iou"])
        notes = notes[notes["conversation"].isin(turns["conversation"])]
        if notes.empty:
            st.caption(ctx.t("audit.no_agreement"))
        else:
            notes = notes.assign(
                engine=notes["backend"].astype(str)
                + " "
                + notes["model_version"].astype(str)
            )
            fig = px.box(
                notes,
                x="engine",
                y="iou",
                points="all",
                color="engine",
                range_y=[0, 1],
                labels={"engine": ctx.t("audit.engine"), "iou": "IoU"},
            )
            fig.update_layout(
                height=320,
                margin={"l": 10, "r": 10, "t": 10, "b": 10},
                showlegend=False,
            )
            st.plotly_chart(fig, key="chart-agreement")
