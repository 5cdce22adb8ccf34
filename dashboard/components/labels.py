"""A case's title, tags and review status: shown to everyone, edited by reviewers."""

from __future__ import annotations

import streamlit as st

import cases
from cases.worklist import ReviewStatus
from dashboard import feedback
from dashboard.components.frame import PageContext
from dashboard.components.text import escape
from services import access
from services.access import Right


def caption(ctx: PageContext, store: cases.CaseStore, case_id: str) -> None:
    """One line under the title: the case's title, tags and review status."""
    labels = store.find_case_labels(case_id)
    if labels is not None and (labels.title or labels.tags):
        st.caption(
            ctx.t(
                "labels.read",
                title=escape(labels.title or "—"),
                tags=escape(", ".join(labels.tags) or "—"),
                status=ctx.t(f"review.{labels.review_status.value}"),
            )
        )


def editor(ctx: PageContext, store: cases.CaseStore, case_id: str) -> None:
    """A reviewer edits the labels in a small form (each save is audited)."""
    if not ctx.can(Right.ANNOTATE):
        return
    labels = store.find_case_labels(case_id)
    status = labels.review_status if labels else ReviewStatus.UNREVIEWED
    with st.form(key=f"labels-{case_id}", border=False):
        title = st.text_input(
            ctx.t("labels.case_title"),
            value=labels.title or "" if labels else "",
            max_chars=200,
        )
        tags = st.text_input(
            ctx.t("labels.tags"),
            value=", ".join(labels.tags) if labels else "",
        )
        chosen = st.segmented_control(
            ctx.t("labels.status"),
            list(ReviewStatus),
            default=status,
            required=True,
            format_func=lambda s: ctx.t(f"review.{s.value}"),
        )
        if st.form_submit_button(ctx.t("labels.save")):
            with feedback.guard(user_input=True):
                access.require(
                    ctx.identity, Right.ANNOTATE
                )  # server side, not the page
                store.set_case_labels(
                    case_id,
                    title=title,
                    tags=tags.split(","),
                    review_status=ReviewStatus(chosen or status),
                    actor=ctx.actor,
                )
                st.success(ctx.t("labels.saved"), icon=":material/check:")
