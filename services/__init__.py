"""Application services shared by the Streamlit UI and the command line (no Streamlit here)."""
