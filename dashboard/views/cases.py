"""Cases: search, filter and page through the case list; upload radiographs."""

from dataclasses import replace

import streamlit as st

from dashboard import feedback, resources, state
from dashboard.components import case_table, frame, upload
from dashboard.state import SessionKey
from services.access import PageId, Right

ctx = frame.open_page(PageId.CASES)
st.title(ctx.t("cases.title"))
frame.disclaimer(ctx)

with feedback.guard(stop=True):
    store = resources.store()
settings = resources.load_settings()
query = case_table.filters(ctx, settings.case_page_size, resources.vocabulary())
with feedback.guard(stop=True):
    page = store.list_worklist(query)
    if (
        page.page > page.page_count
    ):  # the filters shrank the list under the current page
        state.put(SessionKey.CASE_PAGE, page.page_count)
        page = store.list_worklist(
            replace(query, cases=replace(query.cases, page=page.page_count))
        )

selected = case_table.table(ctx, page, resources.thumbnail_url)
case_table.pager(ctx, page)
if selected:
    st.switch_page("views/case.py", query_params={"id": selected})

if ctx.can(Right.IMPORT):
    upload.panel(ctx, store)
