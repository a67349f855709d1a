"""The Streamlit dashboard: renders run records; computes nothing of its own."""
