"""Dashboard page: stored universes and their sources, coverage, last fetches, runs."""

from equity_factors.dashboard.ui import context, st
from equity_factors.workflows.data import status
from equity_factors.workflows.report import runs

s = st()
s.title("Data")
ctx = context()
s.caption(f"data directory {ctx.data_dir.root}")
info = status(ctx)
s.header("Universes")
if len(info.universes):
    s.dataframe(info.universes, hide_index=True)
else:
    s.info("No universe stored yet: `eqf data fetch --universe SAMPLE` stores the bundled one.")
s.header("Coverage")
s.dataframe(info.coverage, hide_index=True)
s.header("Last fetches")
s.dataframe(info.fetches, hide_index=True)
s.header("Recorded runs")
listed = runs(ctx)
s.metric("runs with a report", len(listed))
s.dataframe(listed.drop(columns=["headline"]), hide_index=True)
