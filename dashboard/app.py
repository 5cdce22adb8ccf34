"""CXR Casebook dashboard: ``streamlit run dashboard/app.py`` from the repository root."""

import streamlit as st

from dashboard.components import navigation

st.set_page_config(page_title="CXR Casebook", page_icon=":material/radiology:", layout="wide")
st.navigation(navigation.pages(), position="sidebar").run()
