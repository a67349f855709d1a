"""Sections of a ``discover`` run: cumulative factor returns, loadings, names, summary,
stability across refits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_factors.report.blocks import Chart, RunFiles, Section, Table, Text
from equity_factors.report.plots import (
    dated,
    go,
    growth_axis,
    layout,
    series_colours,
    values,
)

#: Most stocks shown in the loadings heat map (the largest by max |loading|).
MAX_HEATMAP_STOCKS = 60


def factor_labels(names: pd.DataFrame | None) -> dict[str, str]:
    """factor id -> ``F1: name`` (the id alone when the run has no names)."""
    if names is None or not {"factor", "name"} <= set(names.columns):
        return {}
    return {str(f): (str(f) if str(n) == str(f) else f"{f}: {n}")
            for f, n in zip(names["factor"], names["name"])}


def cumulative_chart(returns: pd.DataFrame, labels: dict[str, str],
                     title: str = "Cumulative factor returns") -> Chart:
    """Growth of 1 of each factor-mimicking portfolio (log scale)."""
    g = go()
    data = dated(returns)
    wealth = (1.0 + data.fillna(0.0)).cumprod()
    fig = g.Figure()
    for col, colour in zip(wealth.columns, series_colours(len(wealth.columns))):
        fig.add_trace(g.Scatter(x=wealth.index, y=values(wealth[col]), mode="lines",
                                name=labels.get(str(col), str(col)),
                                line=dict(width=1.3, color=colour)))
    fig.add_hline(y=1.0, line=dict(color="grey", dash="dash", width=1))
    layout(fig, title, height=460)
    growth_axis(fig, [wealth[c] for c in wealth.columns])
    return Chart(title, fig, "Compounded daily returns of each factor's unit-gross portfolio, "
                 "out of sample in rolling mode (weights from fits on earlier days only).")


def loadings_chart(loadings: pd.DataFrame, labels: dict[str, str]) -> Chart:
    """Heat map of the latest fit's loadings (stocks x factors), diverging colours at 0."""
    g = go()
    frame = loadings.set_index(loadings.columns[0]) if not pd.api.types.is_numeric_dtype(
        loadings[loadings.columns[0]]) else loadings
    frame = frame.select_dtypes("number")
    shown = frame
    if len(frame) > MAX_HEATMAP_STOCKS:
        keep = frame.abs().max(axis=1).nlargest(MAX_HEATMAP_STOCKS).index
        shown = frame.loc[keep]
    order = shown.iloc[:, 0].sort_values().index if shown.shape[1] else shown.index
    shown = shown.loc[order]
    zmax = float(np.nanmax(np.abs(shown.to_numpy()))) if shown.size else 1.0
    fig = g.Figure(g.Heatmap(z=np.round(shown.to_numpy(), 4), x=[labels.get(c, c) for c in
                                                                 shown.columns],
                             y=[str(s) for s in shown.index], colorscale="RdBu", zmid=0.0,
                             zmin=-zmax, zmax=zmax, colorbar=dict(title="loading")))
    layout(fig, "Loadings of the latest fit", height=max(360, 14 * len(shown) + 120),
           legend=False)
    fig.update_layout(hovermode="closest")
    more = (f" The {MAX_HEATMAP_STOCKS} stocks with the largest loadings of {len(frame)} are "
            "shown." if len(frame) > MAX_HEATMAP_STOCKS else "")
    return Chart("Loadings of the latest fit", fig, "Each stock's loading on each factor in the "
                 "latest fit (blue long, red short), sorted by the first factor." + more)


def stability_chart(summary: pd.DataFrame, labels: dict[str, str]) -> Chart | None:
    """Mean and minimum |cosine| of each factor's weights with the previous refit."""
    if not {"mean_stability", "min_stability"} <= set(summary.columns):
        return None
    g = go()
    x = [labels.get(str(f), str(f)) for f in summary["factor"]]
    fig = g.Figure([g.Bar(x=x, y=values(summary["mean_stability"]), name="mean |cosine|",
                          marker_color="#1f77b4"),
                    g.Bar(x=x, y=values(summary["min_stability"]), name="min |cosine|",
                          marker_color="#aec7e8")])
    layout(fig, "Stability across refits", height=360, y_title="|cosine| with previous fit")
    fig.update_yaxes(range=[0, 1.05])
    fig.update_layout(hovermode="closest", barmode="group")
    return Chart("Stability across refits", fig, "How much each factor's weights agree with the "
                 "previous refit after matching (1 = identical portfolio); a low minimum marks "
                 "a refit where the factor changed identity.")


def sections(files: RunFiles) -> list[Section]:
    returns = files.table("factor_returns.csv")
    names = files.table("factor_names.csv")
    summary = files.table("factor_summary.csv")
    loadings = files.table("factor_loadings.csv")
    labels = factor_labels(names)
    out: list[Section] = []
    blocks: list = []
    if returns is not None and len(returns):
        blocks.append(cumulative_chart(returns, labels))
    if summary is not None:
        blocks.append(Table("Factor summary", summary, "Annualized return, volatility and "
                            "Sharpe of each factor portfolio (metrics.py definitions), max "
                            "drawdown, explained variance and stability."))
    out.append(Section("Factor returns", tuple(blocks) or (Text("no factor returns saved"),)))
    blocks = []
    if loadings is not None and len(loadings):
        blocks.append(loadings_chart(loadings, labels))
    if summary is not None and {"top", "bottom"} <= set(summary.columns):
        blocks.append(Table("Top and bottom holdings", summary[["factor", "top", "bottom"]],
                            "The five largest long and short weights of each factor's latest "
                            "portfolio."))
    if blocks:
        out.append(Section("Loadings and holdings", tuple(blocks)))
    if names is not None:
        cols = [c for c in ("factor", "name", "description", "confidence", "namer", "theme",
                            "best_reference", "best_reference_corr") if c in names.columns]
        out.append(Section("Factor names and evidence", (Table(
            "Names with their evidence", names[cols], "The name of each factor, the rules' "
            "verdict (theme), the confidence and the evidence it rests on."),)))
    if summary is not None:
        chart = stability_chart(summary, labels)
        if chart is not None:
            out.append(Section("Stability across refits", (chart,)))
    return out
