"""CXR Casebook dashboard: ``streamlit run dashboard/app.py`` from the repository root."""

import streamlit as st

from dashboard.components import frame, navigation

# A drawn icon, not a Material one: Streamlit fetches a Material favicon from Google's
# font servers, and a clinical dashboard makes no requests outside the hospital.
st.set_page_config(page_title="CXR Casebook", page_icon=frame.favicon(), layout="wide")
# The shared sidebar is drawn here, not by the pages, so its widgets keep their state
# from page to page.
person = frame.common()
st.navigation(navigation.pages(person), position="sidebar").run()
