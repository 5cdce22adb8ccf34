"""Streamlit widgets shared by the pages: frame, identity, canvas, chat, tables and charts."""
