"""Workflows: load data, run the computation, write outputs and the run record."""
