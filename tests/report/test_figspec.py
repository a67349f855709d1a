"""The report's plain-dict figures against plotly itself (the oracle): every chart of every demo
report is a valid plotly figure, and the grid, guide lines and magic underscores give the
layout plotly.py gives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from equity_factors.report import figspec
from equity_factors.workflows.context import Context
from equity_factors.workflows.report import document, runs

go = pytest.importorskip("plotly.graph_objects")
plotly_subplots = pytest.importorskip("plotly.subplots")


def _plotly_layout(fig) -> dict:
    layout = json.loads(fig.to_json())["layout"]
    layout.pop("template", None)
    return layout


def _ours(fig: figspec.Figure) -> dict:
    return json.loads(figspec.to_json(fig.layout))


def _rounded(value):
    """Floats to 9 decimals, throughout (grid domains are sums of floats)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 9) if isinstance(value, float) else value


def test_every_demo_chart_is_a_valid_plotly_figure(demo_home):
    ctx = Context.create(str(demo_home))
    n = 0
    for run_id in runs(ctx)["run_id"]:
        for chart in document(ctx, run_id).charts:
            checked = go.Figure(chart.figure)  # plotly validates every property (ValueError)
            assert len(checked.data) == len(chart.figure["data"]), chart.title
            n += 1
    assert n >= 25


@pytest.mark.parametrize("rows, spacing, heights", [(2, 0.08, None), (4, 0.04,
                                                                    [0.34, 0.22, 0.22, 0.22])])
def test_subplots_and_guides_are_laid_out_as_plotly_does(rows, spacing, heights):
    titles = [f"panel {i}" for i in range(rows)]
    theirs = plotly_subplots.make_subplots(rows=rows, cols=1, shared_xaxes=True,
                                           vertical_spacing=spacing, subplot_titles=titles,
                                           row_heights=heights)
    ours = figspec.make_subplots(rows=rows, cols=1, shared_xaxes=True,
                                 vertical_spacing=spacing, subplot_titles=titles,
                                 row_heights=heights)
    for fig, g in ((theirs, go), (ours, figspec)):
        for row in range(1, rows + 1):
            fig.add_trace(g.Scatter(x=[1, 2], y=[3, row], line=dict(width=1)), row=row, col=1)
        fig.add_hline(y=0.5, line=dict(color="grey", dash="dot"), row=2, col=1)
        fig.update_yaxes(tickformat=".0%", row=rows, col=1)
        fig.update_xaxes(gridcolor="#ebebeb")
        fig.update_layout(yaxis=dict(title_text="level", type="log"), barmode="relative",
                          margin=dict(l=60, t=40))
    assert _rounded(_ours(ours)) == _rounded(_plotly_layout(theirs))
    assert ours.data[-1]["xaxis"] == f"x{rows}" and ours.data[-1]["yaxis"] == f"y{rows}"


def test_lines_annotations_and_traces_match_plotly():
    dates = pd.bdate_range("2024-01-01", periods=5)
    y = np.array([1.0, np.nan, 2.0, 3.0, 4.0])
    theirs, ours = go.Figure(), figspec.Figure()
    for fig, g in ((theirs, go), (ours, figspec)):
        fig.add_trace(g.Bar(x=dates, y=y, name="n", marker_color="#123456"))
        fig.add_hline(y=0.0, line=dict(color="grey", width=1))
        fig.add_vline(x=3.0, line=dict(color="red", dash="dash"), annotation_text="be")
        fig.update_layout(yaxis2=dict(overlaying="y", side="right", title="trials"))
    assert _ours(ours) == _plotly_layout(theirs)
    trace = json.loads(figspec.to_json(ours.data[0]))
    assert trace == {"type": "bar", "x": [f"2024-01-0{d}" for d in (1, 2, 3, 4, 5)],
                     "y": [1.0, None, 2.0, 3.0, 4.0], "name": "n",
                     "marker": {"color": "#123456"}}
    assert ours.data[0].name == "n" and ours.data[0].missing is None


def test_json_is_safe_inside_a_script_tag():
    text = figspec.to_json({"name": "</script><!--x"})
    assert "<" not in text
    assert json.loads(text) == {"name": "</script><!--x"}
