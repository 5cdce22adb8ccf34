"""Reviewer actions on the image: save a drawn box as an annotation, give a verdict on an anchor."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

import cases
from dashboard import feedback
from dashboard.components import canvas
from dashboard.components.frame import PageContext
from dashboard.components.text import escape
from engine.anchors import Anchor
from services import access
from services.access import Right
from services.overlay import DrawnBox


def _box_geometry(box: DrawnBox) -> cases.Geometry:
    # Corners to 0.1 px, kept as they are (an edge at the image border stays an int),
    # as the store has always written a drawn box.
    b = box.box
    return cases.Geometry(
        "box", ((round(b.x0, 1), round(b.y0, 1)), (round(b.x1, 1), round(b.y1, 1)))
    )


def box_size_text(ctx: PageContext, box: DrawnBox, image: cases.Image) -> str:
    """The drawn box in image pixels, and in mm when the image is calibrated."""
    b = box.box
    text = f"[{b.x0:.0f}, {b.y0:.0f}, {b.x1:.0f}, {b.y1:.0f}] px"
    c = image.calibration
    if c.is_calibrated and c.row_mm and c.col_mm:
        text += f" · {b.width * c.col_mm:.1f} × {b.height * c.row_mm:.1f} mm"
    return text


def box_panel(
    ctx: PageContext,
    store: cases.CaseStore,
    *,
    canvas_prefix: str,
    image: cases.Image,
    conversation_id: int | None,
    shown_turn: int | None,
    box: DrawnBox,
    anchors: Sequence[Anchor],
    selected: str | None,
) -> None:
    """What to do with the box just drawn: save it as an annotation, or discard it."""
    with st.container(border=True):
        st.markdown(
            f"**{ctx.t('box.title')}** · {escape(box.label or '—')} · {escape(box_size_text(ctx, box, image))}"
        )
        if ctx.can(Right.ASK):
            st.caption(ctx.t("box.ask_hint"))
        if ctx.can(Right.ANNOTATE):
            with st.form(key=f"{canvas_prefix}-annotate", border=False):
                ids = [""] + [a.id for a in anchors]
                c1, c2 = st.columns(2)
                about = c1.selectbox(
                    ctx.t("box.about_anchor"),
                    ids,
                    index=ids.index(selected) if selected in ids else 0,
                    format_func=lambda v: v or ctx.t("box.no_anchor"),
                )
                verdict = c2.selectbox(
                    ctx.t("box.verdict"),
                    ["", *(v.value for v in cases.Verdict)],
                    format_func=lambda v: (
                        ctx.t(f"verdict.{v}") if v else ctx.t("box.no_verdict")
                    ),
                )
                note = st.text_input(ctx.t("box.note"))
                if st.form_submit_button(ctx.t("box.save"), type="primary"):
                    with feedback.guard(user_input=True):
                        access.require(ctx.identity, Right.ANNOTATE)
                        saved = store.add_annotation(
                            cases.AnnotationWrite(
                                case_id=image.case_id,
                                image_id=image.image_id,
                                author=ctx.actor,
                                geometry=_box_geometry(box),
                                label=box.label or ctx.t("box.default_label"),
                                verdict=cases.Verdict(verdict) if verdict else None,
                                note=note.strip() or None,
                                conversation_id=cases.ConversationId(conversation_id)
                                if conversation_id
                                else None,
                                turn_index=None
                                if not conversation_id or not shown_turn
                                else shown_turn,
                                anchor_id=cases.AnchorId(about)
                                if about and conversation_id
                                else None,
                            )
                        )
                        canvas.consume(canvas_prefix)
                        feedback.defer(
                            ctx.t("box.saved", tag=f"R{saved.annotation_id}"), "success"
                        )
                        st.rerun()
        else:
            st.caption(ctx.t("box.no_annotate_right"))
        if st.button(ctx.t("box.discard"), key=f"{canvas_prefix}-discard"):
            canvas.consume(canvas_prefix)
            st.rerun()


def verdict_buttons(
    ctx: PageContext,
    store: cases.CaseStore,
    *,
    image: cases.Image,
    conversation_id: int,
    shown_turn: int,
    anchor: Anchor,
) -> None:
    """A reviewer's agree / disagree / uncertain on an AI anchor (no drawing needed)."""
    if not ctx.can(Right.ANNOTATE):
        return
    st.caption(ctx.t("verdict.prompt", anchor=anchor.id))
    cols = st.columns(3)
    for col, verdict in zip(cols, cases.Verdict, strict=True):
        if col.button(
            ctx.t(f"verdict.{verdict.value}"),
            key=f"verdict-{conversation_id}-{anchor.id}-{verdict.value}",
            width="stretch",
        ):
            with feedback.guard(user_input=True):
                access.require(ctx.identity, Right.ANNOTATE)
                saved = store.add_annotation(
                    cases.AnnotationWrite(
                        case_id=image.case_id,
                        image_id=image.image_id,
                        author=ctx.actor,
                        geometry=None,
                        label=anchor.label_en,
                        verdict=verdict,
                        conversation_id=cases.ConversationId(conversation_id),
                        turn_index=shown_turn,
                        anchor_id=cases.AnchorId(anchor.id),
                    )
                )
                feedback.notify(
                    ctx.t(
                        "verdict.saved",
                        tag=f"R{saved.annotation_id}",
                        verdict=ctx.t(f"verdict.{verdict.value}"),
                        anchor=anchor.id,
                    ),
                    "success",
                )
