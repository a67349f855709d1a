"""Sections of the ``signals`` runs: extremes (alerts with hit rates, z-scores), momentum
(RSI, MACD, ADX of a factor) and cross-section (ranked stocks)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from equity_factors.report.blocks import Chart, RunFiles, Section, Table, Text
from equity_factors.report.plots import SIDE_COLOURS, dated, go, layout, subplots, values


def zscore_chart(zscores: pd.DataFrame, threshold: float | None) -> Chart:
    g = go()
    x = [str(f) for f in zscores.iloc[:, 0]]
    fig = g.Figure([g.Bar(x=x, y=values(zscores[c]), name=label) for c, label in
                    (("return_z", "latest return z"), ("level_z", "level deviation z"))
                    if c in zscores])
    if threshold:
        for y in (threshold, -threshold):
            fig.add_hline(y=y, line=dict(color="#d62728", dash="dash", width=1))
    layout(fig, "Factor z-scores on the last date", height=360, y_title="z-score")
    fig.update_layout(barmode="group", hovermode="closest")
    return Chart("Factor z-scores", fig, "z-score of each factor's latest daily return "
                 "(trailing 252 days) and of its cumulative level's deviation from the trailing "
                 "63-day mean; beyond the dashed threshold is an alert.")


def momentum_chart(ind: pd.DataFrame, factor: str) -> Chart:
    g = go()
    data = dated(ind)
    fig = subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.04,
                   row_heights=[0.34, 0.22, 0.22, 0.22],
                   subplot_titles=(f"{factor} level", "RSI(14)", "MACD(12, 26, 9)", "ADX(14)"))
    x = data.index
    fig.add_trace(g.Scatter(x=x, y=values(data["level"]), name="level",
                            line=dict(color="black", width=1.1)), row=1, col=1)
    if "rsi" in data:
        fig.add_trace(g.Scatter(x=x, y=values(data["rsi"]), name="RSI",
                                line=dict(color="#9467bd", width=1)), row=2, col=1)
        for y in (30, 70):
            fig.add_hline(y=y, line=dict(color="grey", dash="dash", width=1), row=2, col=1)
    if "macd" in data:
        fig.add_trace(g.Bar(x=x, y=values(data.get("macd_hist", data["macd"] * 0)),
                            name="histogram", marker_color="rgba(127,127,127,0.5)"), row=3, col=1)
        fig.add_trace(g.Scatter(x=x, y=values(data["macd"]), name="MACD",
                                line=dict(color="#1f77b4", width=1)), row=3, col=1)
        if "macd_signal" in data:
            fig.add_trace(g.Scatter(x=x, y=values(data["macd_signal"]), name="signal",
                                    line=dict(color="#ff7f0e", width=1)), row=3, col=1)
    for col, colour, name in (("adx", "black", "ADX"), ("plus_di", "#2ca02c", "+DI"),
                              ("minus_di", "#d62728", "-DI")):
        if col in data:
            fig.add_trace(g.Scatter(x=x, y=values(data[col]), name=name,
                                    line=dict(color=colour, width=1)), row=4, col=1)
    for y in (20, 25):
        fig.add_hline(y=y, line=dict(color="grey", dash="dot", width=1), row=4, col=1)
    layout(fig, f"Momentum indicators of {factor}", height=760)
    return Chart(f"Momentum indicators of {factor}", fig, "RSI (overbought > 70, oversold < 30), "
                 "MACD with its signal line and histogram, and ADX with +DI/-DI (trend strong "
                 "> 25, weak < 20), all on the factor's cumulative level, TA-Lib definitions.")


def ranking_chart(ranking: pd.DataFrame) -> Chart:
    g = go()
    frame = ranking.sort_values("score")
    name_col = frame.columns[0]
    colours = [SIDE_COLOURS.get(str(s).upper(), "#7f7f7f") for s in frame.get("side", [])]
    fig = g.Figure(g.Bar(x=values(frame["score"]), y=frame[name_col].astype(str),
                         orientation="h", marker_color=colours or None,
                         customdata=frame.get("sector"),
                         hovertemplate="%{y}: %{x:.3f} (%{customdata})<extra></extra>"))
    layout(fig, "Composite scores", height=max(320, 16 * len(frame) + 120),
           x_title="composite score", legend=False)
    fig.update_layout(hovermode="closest")
    return Chart("Composite scores", fig, "Each stock's composite score (green: long candidate, "
                 "red: short candidate, grey: neither).")


def _state_table(state: dict[str, Any]) -> Table:
    return Table("Indicator state on the last date", pd.DataFrame(
        {"indicator": list(state), "value": [str(v) for v in state.values()]}),
        "The latest value and state of each indicator and the combined signal.")


def sections(files: RunFiles) -> list[Section]:
    command = files.command
    params = files.record.get("params") or {}
    if command.endswith("extremes"):
        alerts = files.table("extreme_alerts.csv")
        zscores = files.table("factor_zscores.csv")
        blocks: list = []
        if zscores is not None and len(zscores):
            blocks.append(zscore_chart(zscores, params.get("threshold")))
        if alerts is not None and len(alerts):
            blocks.append(Table("Alerts", alerts, "Each alert with the historical hit rate of "
                                "mean reversion after similar events, the half-life and, with "
                                "--trade, a suggested trade."))
        else:
            blocks.append(Text(f"No factor is beyond |z| > {params.get('threshold', '?')} on "
                               "the last date: no alert."))
        if zscores is not None:
            blocks.append(Table("Z-scores", zscores, "Latest return and level z-scores, "
                                "AR(1) half-life of each factor."))
        return [Section("Extreme moves", tuple(blocks))]
    if command.endswith("momentum"):
        out = []
        for name, ind in files.tables.items():
            if not name.startswith("momentum_") or "level" not in ind:
                continue
            factor = name[len("momentum_"):-len(".csv")]
            blocks = [momentum_chart(ind, factor)]
            state = files.document(f"momentum_{factor}.json")
            if isinstance(state, dict):
                blocks.insert(0, Text(f"{factor}: {state.get('signal', '?')} (score "
                                      f"{state.get('score', float('nan')):.2f})",
                                      kind="verdict"))
                blocks.append(_state_table(state))
            out.append(Section(f"Momentum of {factor}", tuple(blocks)))
        return out or [Section("Momentum", (Text("no indicator table saved"),))]
    ranking = files.table("cross_section_rankings.csv")
    blocks = []
    basis = (files.record.get("headline") or {}).get("basis")
    if basis:
        blocks.append(Text(f"Scores: {basis}"))
    if ranking is not None and len(ranking):
        blocks.append(ranking_chart(ranking))
    for name, title in (("long_candidates.csv", "Long candidates"),
                        ("short_candidates.csv", "Short candidates")):
        table = files.table(name)
        if table is not None:
            blocks.append(Table(title, table, "Rank, percentile, side and sector."))
    return [Section("Cross-sectional ranking", tuple(blocks) or (Text("no ranking saved"),))]
