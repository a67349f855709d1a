"""The Streamlit dashboard: renders run records with the report's figures and starts workflows;
computes nothing of its own. ``eqf dashboard`` serves :mod:`equity_factors.dashboard.app`."""
