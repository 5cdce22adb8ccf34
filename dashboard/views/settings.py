"""Settings (administrators): defaults for new conversations, the quiz and the case list.

Every change is written to the audit log with the administrator's name.
"""

import streamlit as st

from dashboard import feedback, resources
from dashboard.components import frame
from dashboard.components.text import escape
from dashboard.state import SessionKey
from services import access
from services.access import PageId, Right

ctx = frame.open_page(PageId.SETTINGS)
with feedback.guard(stop=True):
    resources.store()
st.title(ctx.t("settings.title"))
st.caption(ctx.t("settings.intro", path=str(resources.settings_path())))
current = resources.load_settings()
statuses = resources.backend_statuses()
names = [b.name for b in statuses]

with st.form("settings"):
    backend = st.selectbox(
        ctx.t("settings.default_backend"),
        names,
        index=names.index(current.default_backend)
        if current.default_backend in names
        else 0,
        format_func=lambda n: (
            n
            + (
                ""
                if next(b for b in statuses if b.name == n).available
                else f" ({ctx.t('settings.unavailable')})"
            )
        ),
        key=SessionKey.SETTING_BACKEND.value,
    )
    threshold = st.slider(
        ctx.t("settings.quiz_iou"),
        0.05,
        1.0,
        value=float(current.quiz_iou_threshold),
        step=0.05,
        key=SessionKey.SETTING_QUIZ_IOU.value,
        help=ctx.t("settings.quiz_iou_help"),
    )
    page_size = st.number_input(
        ctx.t("settings.page_size"),
        10,
        200,
        value=int(current.case_page_size),
        step=10,
        key=SessionKey.SETTING_PAGE_SIZE.value,
    )
    if st.form_submit_button(ctx.t("settings.save"), type="primary"):
        with feedback.guard(user_input=True):
            access.require(ctx.identity, Right.SETTINGS)  # server side, not the page
            changed = 0
            for name, value in (
                ("default_backend", backend),
                ("quiz_iou_threshold", round(float(threshold), 2)),
                ("case_page_size", int(page_size)),
            ):
                if getattr(resources.load_settings(), name) != value:
                    resources.save_setting(name, value, actor=ctx.actor)
                    changed += 1
            feedback.notify(ctx.t("settings.saved", n=changed), "success")

st.subheader(ctx.t("settings.backends"))
for b in statuses:
    (st.success if b.available else st.info)(
        f"**{escape(b.name)}**: {escape(b.reason)}"
    )
