"""The application shell: the Streamlit dashboard and the `casebook` command line."""
