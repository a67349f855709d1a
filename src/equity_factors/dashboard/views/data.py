"""Dashboard page: stored universes and their sources, coverage, last fetches, runs.

The sections are laid out first (empty containers, in reading order) and filled cheapest
first: the run list (run records only) goes out before the store is queried, so the browser
loads its table component while the server reads the store."""

from equity_factors.dashboard.ui import context, st
from equity_factors.workflows.data import status
from equity_factors.workflows.report import runs

s = st()
s.title("Data")
ctx = context()
s.caption(f"data directory {ctx.data_dir.root}")
stored, covered, fetched, recorded = (s.container() for _ in range(4))
with recorded:
    s.header("Recorded runs")
    listed = runs(ctx)
    s.metric("runs with a report", len(listed))
    s.dataframe(listed.drop(columns=["headline"]), hide_index=True)
info = status(ctx)
with stored:
    s.header("Universes")
    if len(info.universes):
        s.dataframe(info.universes, hide_index=True)
    else:
        s.info("No universe stored yet: `eqf data fetch --universe SAMPLE` stores the bundled "
               "one.")
with covered:
    s.header("Coverage")
    s.dataframe(info.coverage, hide_index=True)
with fetched:
    s.header("Last fetches")
    s.dataframe(info.fetches, hide_index=True)
