"""What a turn left on the image: the scorecard, the anchor list and details, measurements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import cases
from dashboard.components import scorecard_table
from dashboard.components.frame import PageContext
from dashboard.components.text import escape
from engine.anchors import Anchor
from kernel import Language
from ontology import Vocabulary
from services import quantities
from services.overlay import Badge, OverlayItem

STATUS_ICON = scorecard_table.STATUS_ICON


# --------------------------------------------------------------------------- scorecard


@dataclass(frozen=True, slots=True)
class ScorecardItemView:
    """One scorecard line as the page shows it."""

    code: str
    name: str
    group: str
    status: str
    evidence: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class ScorecardView:
    """The scorecard in force after a turn (the latest one written up to it)."""

    profile_id: str
    profile_version: str
    name: str
    turn_number: int
    items: tuple[ScorecardItemView, ...]

    def count(self, status: str) -> int:
        """How many items have a status."""
        return sum(item.status == status for item in self.items)

    def badge(self, ctx: PageContext) -> Badge:
        """The badge the overlay shows for this scorecard."""
        return Badge(
            title=f"{self.name} (v{self.profile_version})",
            met=self.count("met"),
            not_met=self.count("not_met"),
            not_assessable=self.count("not_assessable"),
            labels=(
                ctx.t("score.met"),
                ctx.t("score.not_met"),
                ctx.t("score.not_assessable"),
            ),
        )


def scorecard_view(
    matches: Sequence[cases.SignMatch],
    shown_turn: int,
    vocabulary: Vocabulary,
    lang: Language,
) -> ScorecardView | None:
    """The scorecard after turn ``shown_turn``, from the stored sign matches."""
    written = [m for m in matches if m.turn_index <= shown_turn]
    if not written:
        return None
    last_turn = max(m.turn_index for m in written)
    items = [m for m in written if m.turn_index == last_turn]
    profile = vocabulary.find_profile(items[0].profile_id)
    views = []
    for m in items:
        sign = vocabulary.find_sign(m.sign_code)
        # Rows written before 0005 hold the reason in the answer's language only.
        reason = m.reason_zh if lang == "zh" and m.reason_zh else m.reason
        views.append(
            ScorecardItemView(
                code=m.sign_code,
                name=sign.name(lang) if sign else m.sign_code,
                group=m.item_group or "",
                status=m.status.value,
                evidence=tuple(m.evidence_anchor_ids),
                reason=reason or "",
            )
        )
    return ScorecardView(
        profile_id=items[0].profile_id,
        profile_version=items[0].profile_version,
        name=profile.name(lang) if profile else items[0].profile_id,
        turn_number=last_turn,
        items=tuple(views),
    )


def scorecard(
    ctx: PageContext,
    view: ScorecardView | None,
    *,
    on_evidence: Callable[[str], None] | None = None,
    key: str = "scorecard",
) -> None:
    """Show the scorecard: honest counts, each item with its status, reason and evidence."""
    if view is None:
        st.info(ctx.t("score.none"))
        return
    # One element of ours, not Markdown paragraphs and a Markdown table: a new tab draws
    # it without Streamlit's Markdown renderer per cell (components/scorecard_table.py).
    scorecard_table.render(ctx, view, key=f"{key}-table")
    links = [(i.code, a) for i in view.items for a in i.evidence]
    if links and on_evidence is not None:
        # Pills, not buttons: their code is loaded already (the sidebar uses it).
        picked_key = f"{key}-evidence"

        def _picked() -> None:
            picked = st.session_state.get(picked_key)
            if picked is not None:
                on_evidence(picked[1])

        st.pills(
            ctx.t("score.evidence_hint"),
            links,
            selection_mode="single",
            format_func=lambda link: f"{link[0]} → {link[1]}",
            key=picked_key,
            on_change=_picked,
        )


# --------------------------------------------------------------------------- anchors


def location_text(ctx: PageContext, anchor: Anchor, vocabulary: Vocabulary) -> str:
    """Where an anchor lies, in words (side, zone, band; region or lobe names)."""
    parts: list[str] = []
    if anchor.side is not None and (anchor.zone or anchor.band):
        parts.append(ctx.t(f"side.{anchor.side.value}"))
    if anchor.zone:
        parts.append(ctx.t(f"zone.{anchor.zone}"))
    if anchor.band:
        parts.append(ctx.t(f"band.{anchor.band}"))
    for region_id in (anchor.region, anchor.lobe):
        term = vocabulary.find_anatomy(region_id) if region_id else None
        if term is not None:
            parts.append(
                term.name(ctx.lang)
                + (ctx.t("location.approximate") if term.approximate else "")
            )
    return " · ".join(parts)


def size_text(ctx: PageContext, anchor: Anchor) -> str:
    """An anchor's size in mm, or its measured value for a line (an estimate said as one)."""
    return quantities.anchor_size_text(anchor, ctx.lang)


def anchor_frame(
    ctx: PageContext, items: Sequence[OverlayItem], vocabulary: Vocabulary
) -> pd.DataFrame:
    """The anchor list as a table."""
    rows = [
        {
            "id": i.anchor.id,
            "label": i.anchor.label(ctx.lang),
            "kind": ctx.t(f"kind.{i.anchor.kind.value}"),
            "location": location_text(ctx, i.anchor, vocabulary),
            "size": size_text(ctx, i.anchor),
            "status": ctx.t(f"status.{i.status}") if i.status else "",
            "turn": i.anchor.turn_index,
            "parents": ", ".join(i.anchor.parent_ids),
            "confidence": i.anchor.confidence,
        }
        for i in items
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "label",
            "kind",
            "location",
            "size",
            "status",
            "turn",
            "parents",
            "confidence",
        ],
    )


def anchor_table(
    ctx: PageContext,
    items: Sequence[OverlayItem],
    vocabulary: Vocabulary,
    *,
    key: str,
    on_select: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Show the anchor list; selecting a row selects the anchor."""
    df = anchor_frame(ctx, items, vocabulary)
    if df.empty:
        st.info(ctx.t("anchors.none"))
        return df
    st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        key=key,
        on_select=on_select or "ignore",
        selection_mode="single-row",
        column_config={
            "id": st.column_config.TextColumn(ctx.t("col.anchor"), width="small"),
            "label": st.column_config.TextColumn(ctx.t("col.label")),
            "kind": st.column_config.TextColumn(ctx.t("col.kind"), width="small"),
            "location": st.column_config.TextColumn(ctx.t("col.location")),
            "size": st.column_config.TextColumn(ctx.t("col.size"), width="small"),
            "status": st.column_config.TextColumn(
                ctx.t("col.status_in_turn"), width="small"
            ),
            "turn": st.column_config.NumberColumn(
                ctx.t("col.made_in_turn"), width="small"
            ),
            "parents": st.column_config.TextColumn(ctx.t("col.parents"), width="small"),
            "confidence": st.column_config.NumberColumn(
                ctx.t("col.confidence"), format="%.2f", width="small"
            ),
        },
    )
    return df


def anchor_details(
    ctx: PageContext,
    item: OverlayItem,
    measurements: Sequence[cases.Measurement],
    vocabulary: Vocabulary,
) -> None:
    """Show one anchor: id, label, location, geometry and the measurements it takes part in."""
    a = item.anchor
    box = a.bbox
    cx, cy = a.center
    st.markdown(f"**{escape(a.id)} · {escape(a.label(ctx.lang))}**")
    facts = [
        (ctx.t("col.kind"), ctx.t(f"kind.{a.kind.value}")),
        (ctx.t("col.location"), location_text(ctx, a, vocabulary) or "—"),
        (ctx.t("anchor.centre"), f"({cx:.0f}, {cy:.0f}) px"),
        (
            ctx.t("anchor.box"),
            f"[{box.x0:.0f}, {box.y0:.0f}, {box.x1:.0f}, {box.y1:.0f}] px",
        ),
        (ctx.t("col.size"), size_text(ctx, a) or "—"),
        (ctx.t("col.made_in_turn"), str(a.turn_index)),
        (
            ctx.t("col.status_in_turn"),
            ctx.t(f"status.{item.status}") if item.status else "—",
        ),
        (ctx.t("col.parents"), ", ".join(a.parent_ids) or "—"),
        (
            ctx.t("col.confidence"),
            "—" if a.confidence is None else f"{a.confidence:.2f}",
        ),
    ]
    notches = a.attributes.get("notches") or []
    if notches:
        facts.append(
            (ctx.t("anchor.notches"), ", ".join(f"{n['clock']}h" for n in notches))
        )
    spicules = a.attributes.get("spicules") or []
    if spicules:
        facts.append(
            (
                ctx.t("anchor.spicules"),
                ", ".join(
                    f"{s['clock']}h {float(s['length_mm']):.1f} mm"
                    if s.get("length_mm") is not None
                    else f"{s['clock']}h"
                    for s in spicules
                ),
            )
        )
    st.markdown("\n".join(f"- {escape(k)}: {escape(v)}" for k, v in facts))
    related = [m for m in measurements if a.id in (m.from_anchor, m.to_anchor)]
    if related:
        st.caption(ctx.t("anchor.measurements"))
        st.markdown("\n".join(f"- {escape(measurement_text(ctx, m))}" for m in related))


# --------------------------------------------------------------------------- measurements


def value_text(ctx: PageContext, m: cases.Measurement) -> str:
    """A measurement's value: mm when calibrated, a labelled estimate, or pixels."""
    return quantities.measurement_text(m, ctx.lang)


def measurement_text(ctx: PageContext, m: cases.Measurement) -> str:
    """One line: kind, ends and value."""
    ends = " → ".join(a for a in (m.from_anchor, m.to_anchor) if a)
    return f"{ctx.t(f'measure.{m.kind}')} ({ends}): {value_text(ctx, m)}"


def measurement_table(
    ctx: PageContext, measurements: Sequence[cases.Measurement]
) -> None:
    """Show the measurements made up to the shown turn."""
    if not measurements:
        st.info(ctx.t("measure.none"))
        return
    df = pd.DataFrame(
        [
            {
                "turn": m.turn_index,
                "kind": ctx.t(f"measure.{m.kind}"),
                "from": m.from_anchor or "",
                "to": m.to_anchor or "",
                "value": value_text(ctx, m),
                "px": m.value_px,
                "calibration": ctx.t(f"calibration.{m.calibration.value}"),
                "error": m.detail.get("relative_error"),
            }
            for m in measurements
        ]
    )
    st.dataframe(
        df,
        hide_index=True,
        width="stretch",
        column_config={
            "turn": st.column_config.NumberColumn(ctx.t("col.turn"), width="small"),
            "kind": st.column_config.TextColumn(ctx.t("col.kind")),
            "from": st.column_config.TextColumn(ctx.t("col.from"), width="small"),
            "to": st.column_config.TextColumn(ctx.t("col.to"), width="small"),
            "value": st.column_config.TextColumn(ctx.t("col.value")),
            "px": st.column_config.NumberColumn(ctx.t("col.pixels"), format="%.1f"),
            "calibration": st.column_config.TextColumn(ctx.t("col.calibration")),
            "error": st.column_config.NumberColumn(
                ctx.t("col.relative_error"), format="%.2f"
            ),
        },
    )
    st.caption(ctx.t("measure.note"))


# --------------------------------------------------------------------------- annotations


def annotation_table(ctx: PageContext, annotations: Sequence[cases.Annotation]) -> None:
    """Show the reviewer annotations of an image."""
    if not annotations:
        st.info(ctx.t("annotations.none"))
        return
    rows = []
    for a in annotations:
        box = (
            a.geometry.bounding_box()
            if a.geometry is not None and a.geometry.kind == "box"
            else None
        )
        rows.append(
            {
                "tag": f"R{a.annotation_id}",
                "author": a.author,
                "time": a.created_at.astimezone().replace(tzinfo=None),
                "label": a.label,
                "verdict": ctx.t(f"verdict.{a.verdict.value}") if a.verdict else "",
                "anchor": a.anchor_id or "",
                "conversation": a.conversation_id,
                "turn": a.turn_index,
                "box": ""
                if box is None
                else f"[{box.x0:.0f}, {box.y0:.0f}, {box.x1:.0f}, {box.y1:.0f}]",
                "note": a.note or "",
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "tag": st.column_config.TextColumn(ctx.t("col.tag"), width="small"),
            "author": st.column_config.TextColumn(ctx.t("col.author")),
            "time": st.column_config.DatetimeColumn(
                ctx.t("col.time"), format="YYYY-MM-DD HH:mm"
            ),
            "label": st.column_config.TextColumn(ctx.t("col.label")),
            "verdict": st.column_config.TextColumn(ctx.t("col.verdict"), width="small"),
            "anchor": st.column_config.TextColumn(ctx.t("col.anchor"), width="small"),
            "conversation": st.column_config.NumberColumn(
                ctx.t("col.conversation"), width="small"
            ),
            "turn": st.column_config.NumberColumn(ctx.t("col.turn"), width="small"),
            "box": st.column_config.TextColumn(ctx.t("col.box")),
            "note": st.column_config.TextColumn(ctx.t("col.note")),
        },
    )
