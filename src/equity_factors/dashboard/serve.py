"""``python -m equity_factors.dashboard.serve ARGS``: Streamlit's own command line (``ARGS`` as
for ``streamlit``), after warming what the first page needs, so that the first page a browser
opens pays for neither imports nor first calls (Streamlit runs the pages inside this process).

Warmed before the server starts (and so before it answers its health check): the modules of
every page (pandas, plotly, the workflow and report modules), one run of the data page's store
queries (their lazy imports, the store's pages in the OS cache), Streamlit's DataFrame to
Arrow conversion and plotly's validation of the trace types the report draws (plotly loads a
validator module per property on first use: the first chart of a page took seconds).
"""

from __future__ import annotations

import sys


def warm() -> None:
    """Do once, here, the first-call work of the first page and of the first chart."""
    import plotly.graph_objects as go
    import plotly.io as pio
    import plotly.tools
    from streamlit import dataframe_util

    from equity_factors.dashboard.ui import context
    from equity_factors.report.plots import go as figures
    from equity_factors.report.plots import layout, subplots
    from equity_factors.workflows.data import status
    from equity_factors.workflows.report import runs

    try:  # the page itself shows a broken store or runs folder; warming must not stop it
        ctx = context()
        info = status(ctx)
        listed = runs(ctx)
        for frame in (info.universes, info.coverage.head(50), info.fetches,
                      listed.drop(columns=["headline"])):
            dataframe_util.convert_anything_to_arrow_bytes(frame)
    except Exception:  # noqa: BLE001
        pass
    g = figures()
    fig = subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=("a", "b"))
    fig.add_trace(g.Scatter(x=["2024-01-02"], y=[1.0], name="s", line=dict(color="#1f77b4"),
                            fill="tozeroy", stackgroup="p"), row=1, col=1)
    fig.add_trace(g.Bar(x=["a"], y=[1.0], name="b", marker_color="#ff7f0e",
                        orientation="v"), row=2, col=1)
    fig.add_hline(y=0.0, line=dict(color="grey", dash="dot"), row=1, col=1)
    layout(fig, height=300, y_title="y", x_title="x")
    fig.update_layout(barmode="relative", hovermode="closest")
    heat = g.Figure(g.Heatmap(z=[[0.0, 1.0]], x=["a", "b"], y=["r"], text=[["0", "1"]],
                              texttemplate="%{text}", colorscale="RdYlGn", zmid=0.0,
                              colorbar=dict(title="c", tickformat=".0%")))
    layout(heat, height=300)
    for spec in (fig, heat):  # what st.plotly_chart does with a figure's dict
        pio.to_json(plotly.tools.return_figure_from_figure_or_data(spec, validate_figure=True),
                    validate=False)
    go.Figure()


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    warm()
    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
