"""Sections of a ``regime detect`` run: the market with its regimes shaded, regime
probabilities, state statistics and spell lengths, the forecast and the allocation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from equity_factors.report.blocks import Chart, RunFiles, Section, Table, Text
from equity_factors.report.plots import (
    dated,
    go,
    growth_axis,
    layout,
    regime_colours,
    values,
)

_DAY_MS = 86_400_000


def _labels(summary: pd.DataFrame | None, current: dict[str, Any]) -> dict[int, str]:
    if summary is not None and {"regime", "label"} <= set(summary.columns):
        return {int(r): str(lbl) for r, lbl in zip(summary["regime"], summary["label"])}
    return {int(k): str(v) for k, v in (current.get("labels") or {}).items()}


def market_chart(path: pd.DataFrame, labels: dict[int, str]) -> Chart:
    """The market level with a full-height band per day in its regime's colour."""
    g = go()
    data = dated(path)
    codes = pd.to_numeric(data["regime"], errors="coerce")
    n = max(int(codes.max()) + 1 if codes.notna().any() else 0, len(labels), 2)
    colours = regime_colours(n)
    fig = g.Figure()
    if "market_return" not in data:  # an older run: the probabilities, stacked
        for k in range(n):
            col = f"p_regime_{k}"
            if col in data:
                fig.add_trace(g.Scatter(x=data.index, y=values(data[col], 4), stackgroup="p",
                                        name=f"{k}: {labels.get(k, f'regime {k}')}",
                                        line=dict(width=0, color=colours[k])))
        layout(fig, "Regime probabilities", height=420, y_title="filtered probability")
        return Chart("Regime probabilities", fig, "Forward-filtered probability of each regime "
                     "(point in time); this run did not save the market return to shade.")
    for k in range(n):
        days = data.index[codes.to_numpy() == k]
        if not len(days):
            continue
        fig.add_trace(g.Bar(x=days, y=np.ones(len(days)), width=_DAY_MS, yaxis="y2",
                            marker=dict(color=colours[k], line=dict(width=0)), opacity=0.35,
                            name=f"{k}: {labels.get(k, f'regime {k}')}", hoverinfo="skip"))
    level = (1.0 + data["market_return"].fillna(0.0)).cumprod()
    fig.add_trace(g.Scatter(x=data.index, y=values(level), name="market (growth of 1)",
                            line=dict(color="black", width=1.2)))
    fig.update_layout(yaxis2=dict(overlaying="y", range=[0, 1], visible=False),
                      barmode="overlay", bargap=0)
    layout(fig, "Market with regimes", height=460)
    growth_axis(fig, [level])
    fig.update_layout(hovermode="x")
    return Chart("Market with regimes", fig, "The universe's equal-weighted market (growth of "
                 "1), each day shaded by its point-in-time (forward-filtered) regime; states are "
                 "numbered calm to volatile (green, orange, red...). Unshaded days come before "
                 "the first fit.")


def spells_chart(summary: pd.DataFrame, labels: dict[int, str]) -> Chart | None:
    if not {"expected_duration", "mean_spell_days"} <= set(summary.columns):
        return None
    g = go()
    x = [f"{r}: {labels.get(int(r), r)}" for r in summary["regime"]]
    fig = g.Figure([g.Bar(x=x, y=values(summary["expected_duration"]),
                          name="expected spell 1/(1 - A_ii)", marker_color="#1f77b4"),
                    g.Bar(x=x, y=values(summary["mean_spell_days"]),
                          name="mean spell on the path", marker_color="#ff7f0e")])
    layout(fig, "Spell lengths", height=340, y_title="days")
    fig.update_layout(barmode="group", hovermode="closest")
    return Chart("Spell lengths", fig, "How long a regime lasts: expected from the transition "
                 "matrix, and measured on the point-in-time path.")


def forecast_chart(forecast: pd.DataFrame, labels: dict[int, str]) -> Chart:
    g = go()
    h = forecast.columns[0]
    cols = [c for c in forecast.columns if c != h]
    colours = regime_colours(max(len(cols), 2))
    fig = g.Figure([g.Scatter(x=forecast[h], y=values(forecast[c]), mode="lines+markers",
                              name=f"{c}: {labels.get(int(c), c)}", line=dict(color=colours[i]))
                    for i, c in enumerate(cols)])
    layout(fig, "Regime forecast", height=340, y_title="probability", x_title="days ahead")
    fig.update_yaxes(range=[0, 1.02])
    return Chart("Regime forecast", fig, "Probability of each regime 1..N days ahead from "
                 "today's filtered probabilities and the transition matrix.")


def allocation_chart(allocation: pd.DataFrame, labels: dict[int, str]) -> Chart:
    g = go()
    reg = allocation.columns[0]
    factors = [c for c in allocation.columns if c != reg]
    x = [f"{r}: {labels.get(int(r), r)}" for r in allocation[reg]]
    fig = g.Figure([g.Bar(x=x, y=values(allocation[f]), name=str(f)) for f in factors])
    layout(fig, "Factor allocation per regime", height=360, y_title="weight")
    fig.update_layout(barmode="stack", hovermode="closest")
    return Chart("Factor allocation per regime", fig, "Weights proportional to each factor's "
                 "positive Sharpe within the regime (a regime where no factor earned is cash).")


def sections(files: RunFiles) -> list[Section]:
    path = files.table("regime_path.csv")
    summary = files.table("regime_summary.csv")
    forecast = files.table("regime_forecast.csv")
    allocation = files.table("regime_allocation.csv")
    stats = files.table("regime_factor_stats.csv")
    current = files.document("regime_current.json") or {}
    labels = _labels(summary, current)
    out: list[Section] = []
    blocks: list = []
    if current:
        blocks.append(Text(f"Current regime on {current.get('date')}: {current.get('regime')} "
                           f"{current.get('label')}", kind="verdict"))
    if path is not None and len(path):
        blocks.append(market_chart(path, labels))
    out.append(Section("Regimes", tuple(blocks) or (Text("no regime path saved"),)))
    blocks = []
    if summary is not None:
        blocks.append(Table("State statistics", summary, "Annualized mean and volatility of the "
                            "market in each state, persistence, spells and share of days."))
        chart = spells_chart(summary, labels)
        if chart is not None:
            blocks.append(chart)
    if stats is not None:
        blocks.append(Table("Factors per regime", stats, "Each factor's annualized return and "
                            "Sharpe in each regime (a day counted in the regime known the day "
                            "before)."))
    if blocks:
        out.append(Section("States and spells", tuple(blocks)))
    blocks = []
    if forecast is not None and len(forecast):
        blocks.append(forecast_chart(forecast, labels))
    if current.get("transition_matrix"):
        matrix = pd.DataFrame(current["transition_matrix"])
        matrix.index.name = "from \\ to"
        blocks.append(Table("Transition matrix", matrix, "P(regime tomorrow | regime today).",
                            index=True))
    if allocation is not None and len(allocation):
        blocks.append(allocation_chart(allocation, labels))
    if blocks:
        out.append(Section("Forecast and allocation", tuple(blocks)))
    return out
