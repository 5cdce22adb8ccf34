"""CXR Casebook dashboard: ``streamlit run dashboard/app.py`` from the repository root."""

import streamlit as st

from dashboard.components import frame, navigation

st.set_page_config(page_title="CXR Casebook", page_icon=":material/radiology:", layout="wide")
# The shared sidebar is drawn here, not by the pages, so its widgets keep their state
# from page to page.
person = frame.common()
st.navigation(navigation.pages(person), position="sidebar").run()
