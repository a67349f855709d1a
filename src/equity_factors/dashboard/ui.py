"""What every dashboard page shares: the context, the run picker and the rendering of a
report's blocks with Streamlit widgets."""

from __future__ import annotations

from typing import Any

from equity_factors._optional import require
from equity_factors.report.blocks import Chart, ReportDocument, Table, Text
from equity_factors.workflows.context import Context

#: Page name -> (title, report kind shown), in the order of the navigation.
PAGES: dict[str, tuple[str, str | None]] = {
    "data": ("Data", None),
    "factors": ("Factors", "discover"),
    "optimization": ("Optimization", "optimize"),
    "basket": ("Basket", "basket"),
    "signals": ("Signals", "signals"),
    "regime": ("Regime", "regime"),
    "backtest": ("Backtest", "backtest"),
    "run": ("Run a workflow", None),
}


def st() -> Any:
    return require("streamlit")


def context(progress: Any = None) -> Context:
    """The data directory of ``$EQF_HOME`` (``eqf dashboard --data-dir`` sets it)."""
    return Context.create(None, progress)


def pick_run(ctx: Context, kind: str) -> str | None:
    """A select box of the runs of ``kind`` (newest first, the latest preselected); returns
    the picked run id, or None (with a message) when there is none."""
    from equity_factors.workflows.report import runs

    s = st()
    listed = runs(ctx, kind)
    if not len(listed):
        s.info(f"No {kind} run recorded in {ctx.data_dir.runs} yet. Start one on the "
               "'Run a workflow' page, or run `eqf demo`.")
        return None
    labels = {r.run_id: f"{r.started_at or ''}  {r.command}  ({r.universe or '-'})  {r.run_id}"
              for r in listed.itertuples()}
    return s.selectbox("Run", list(labels), index=0, format_func=labels.__getitem__,
                       key=f"run_{kind}")


def render_document(doc: ReportDocument, key: str = "doc") -> None:
    """A report's facts, then each section's charts, tables and texts."""
    s = st()
    import pandas as pd

    with s.expander("Run facts", expanded=False):
        s.dataframe(pd.DataFrame(doc.facts, columns=["fact", "value"]), hide_index=True)
    n = 0
    for section in doc.sections:
        s.header(section.title)
        for block in section.blocks:
            n += 1
            if isinstance(block, Chart):
                s.subheader(block.title)
                s.plotly_chart(block.figure, key=f"{key}-chart-{n}", theme=None,
                               config={"displaylogo": False})
                if block.caption:
                    s.caption(block.caption)
            elif isinstance(block, Table):
                s.subheader(block.title)
                s.dataframe(block.frame, hide_index=not block.index)
                if block.caption:
                    s.caption(block.caption)
            elif isinstance(block, Text):
                if block.kind == "verdict":
                    s.info(block.text)
                elif block.kind == "warning":
                    s.warning(block.text)
                else:
                    s.markdown(block.text)


def _document(ctx: Context, run_id: str) -> ReportDocument:
    """The report of a run, built once per server for a while: a finished run's files do not
    change, so going back to a page or picking a run again does not rebuild it. Kept by
    Streamlit as the object itself (``cache_resource``: nothing is pickled)."""
    from equity_factors.workflows.report import document

    @st().cache_resource(max_entries=32, ttl=600, show_spinner=False)
    def cached(root: str, run_id: str, _ctx: Context) -> ReportDocument:
        return document(_ctx, run_id)

    return cached(str(ctx.data_dir.root), run_id, ctx)


def report_page(name: str) -> None:
    """A page showing the report of the latest (or the picked) run of its kind."""
    s = st()
    title, kind = PAGES[name]
    s.title(title)
    assert kind is not None
    ctx = context()
    run_id = pick_run(ctx, kind)
    if run_id is None:
        return
    render_document(_document(ctx, run_id), key=run_id)


def progress_factory(bar: Any) -> Any:
    """A workflow progress factory (see ``workflows.context``) backed by one ``st.progress``."""
    def make(label: str, total: int | None) -> Any:
        state: dict[str, int] = {"done": 0, "total": total or 0}
        bar.progress(0.0, text=label)

        def advance(done: int | None = None, info: str = "", total: int | None = None) -> None:
            if total is not None:
                state["total"] = total
            state["done"] = state["done"] + 1 if done is None else done
            frac = min(state["done"] / state["total"], 1.0) if state["total"] else 0.0
            bar.progress(frac, text=f"{label} {info}".strip())

        return advance

    return make
