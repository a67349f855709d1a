"""Sections of a ``backtest`` run: the tear sheet (equity against the benchmark, underwater,
monthly returns, rolling Sharpe and volatility, turnover and cost drag, cost sweep, factor and
sector attribution, walks, statistics of ``backtest_summary.json``).

Columns are read by name (extra columns are ignored). ``gross``, ``net``, the cost columns and
``benchmark`` in ``backtest_returns.csv`` are daily simple returns, ``equity`` the strategy's
level; a ``benchmark`` column that looks like a level (all positive, median above 0.2) is
taken as one.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.metrics import DEFAULT_PERIODS_PER_YEAR
from equity_factors.report.blocks import Chart, RunFiles, Section, Table, Text
from equity_factors.report.plots import (
    dated,
    go,
    growth_axis,
    layout,
    series_colours,
    subplots,
    values,
)

ROLLING_DAYS = 126
COSTS = ("commission", "slippage", "borrow")
#: Tear-sheet rows of backtest_summary.json's "net"/"gross" blocks, with how they are shown.
METRICS = (("annual_return", "annual return", "pct"), ("annual_volatility", "annual volatility",
                                                         "pct"),
           ("sharpe", "Sharpe", "num"), ("sortino", "Sortino", "num"), ("calmar", "Calmar", "num"),
           ("max_drawdown", "max drawdown", "pct"), ("annual_turnover", "annual turnover", "num"),
           ("hit_rate", "hit rate (days up)", "pct"), ("beta", "beta to benchmark", "num"),
           ("alpha", "alpha (annual)", "pct"), ("information_ratio", "information ratio", "num"),
           ("tracking_error", "tracking error", "pct"))


def benchmark_level(returns: pd.DataFrame) -> pd.Series | None:
    """The benchmark as a growth-of-1 level (from its daily returns, or its level rescaled)."""
    if "benchmark" not in returns:
        return None
    b = pd.to_numeric(returns["benchmark"], errors="coerce")
    if b.notna().sum() == 0:
        return None
    if (b.dropna() > 0).all() and b.median() > 0.2:
        return b / b.dropna().iloc[0]
    return (1.0 + b.fillna(0.0)).cumprod()


def equity_level(returns: pd.DataFrame) -> pd.Series:
    """The strategy as growth of 1 (``equity`` rescaled, else compounded ``net``)."""
    if "equity" in returns and returns["equity"].notna().any():
        e = pd.to_numeric(returns["equity"], errors="coerce")
        return e / e.dropna().iloc[0]
    return (1.0 + returns["net"].fillna(0.0)).cumprod()


def drawdown(level: pd.Series) -> pd.Series:
    """Fall from the running peak: ``level / cummax(level) - 1`` (0 at new highs)."""
    return level / level.cummax() - 1.0


def monthly_returns(net: pd.Series) -> pd.DataFrame:
    """Compounded net return of each calendar month: years x months (1..12), plus "year"."""
    r = net.fillna(0.0)
    monthly = (1.0 + r).groupby([r.index.year, r.index.month]).prod() - 1.0
    table = monthly.unstack(level=1).reindex(columns=range(1, 13))
    table.index.name = "year"
    table["year"] = (1.0 + r).groupby(r.index.year).prod() - 1.0
    return table


def rolling_sharpe_vol(net: pd.Series, window: int = ROLLING_DAYS,
                       periods_per_year: int = DEFAULT_PERIODS_PER_YEAR
                       ) -> tuple[pd.Series, pd.Series]:
    """Rolling annualized Sharpe (mean / std(ddof=1) * sqrt(ppy), as ``metrics.sharpe_ratio``
    on each window) and rolling annualized volatility over ``window`` days."""
    roll = net.rolling(window, min_periods=window)
    mean, std = roll.mean(), roll.std(ddof=1)
    sharpe = (mean / std.where(std > 0)) * np.sqrt(periods_per_year)
    return sharpe, std * np.sqrt(periods_per_year)


def cost_drag(returns: pd.DataFrame) -> pd.DataFrame:
    """Each cost column as a positive drag (a fraction of equity per day), whatever sign the
    file uses: the sign is the one that makes ``gross - sum(drag) ~ net``."""
    cols = [c for c in COSTS if c in returns]
    costs = returns[cols].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    if not cols:
        return costs
    total = costs.sum(axis=1)
    if {"gross", "net"} <= set(returns.columns):
        gap = (returns["gross"] - returns["net"]).fillna(0.0)
        if float((gap * total).sum()) < 0:
            costs = -costs
    elif float(total.sum()) < 0:
        costs = -costs
    return costs


def _pct(x: Any) -> str:
    return "" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.2%}"


def _num(x: Any) -> str:
    return "" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.3f}"


def equity_chart(returns: pd.DataFrame, strategy: str, benchmark: str) -> Chart:
    g = go()
    fig = g.Figure([g.Scatter(x=returns.index, y=values(equity_level(returns)),
                              name=f"{strategy} (net)", line=dict(color="#1f77b4", width=1.4))])
    if "gross" in returns:
        fig.add_trace(g.Scatter(x=returns.index, y=values((1 + returns["gross"].fillna(0))
                                                          .cumprod()),
                                name="gross of costs", line=dict(color="#aec7e8", width=1)))
    bench = benchmark_level(returns)
    if bench is not None:
        fig.add_trace(g.Scatter(x=returns.index, y=values(bench), name=benchmark,
                                line=dict(color="#7f7f7f", width=1.2)))
    layout(fig, "Equity curve against the benchmark", height=440)
    growth_axis(fig, [t.y for t in fig.data])
    return Chart("Equity curve", fig, "Growth of 1 of the strategy net of every cost, gross of "
                 "costs, and of the benchmark, on the same out-of-sample days.")


def underwater_chart(returns: pd.DataFrame, benchmark: str) -> Chart:
    g = go()
    dd = drawdown(equity_level(returns))
    fig = g.Figure([g.Scatter(x=returns.index, y=values(dd), fill="tozeroy", name="strategy",
                              line=dict(color="#d62728", width=1))])
    bench = benchmark_level(returns)
    if bench is not None:
        fig.add_trace(g.Scatter(x=returns.index, y=values(drawdown(bench)), name=benchmark,
                                line=dict(color="#7f7f7f", width=1, dash="dot")))
    layout(fig, "Underwater (drawdown from the running peak)", height=320, y_title="drawdown")
    fig.update_yaxes(tickformat=".0%")
    return Chart("Underwater", fig, "Net equity's fall from its running peak (0 at a new high); "
                 f"the deepest point is the max drawdown ({dd.min():.1%}).")


def monthly_chart(returns: pd.DataFrame) -> Chart:
    g = go()
    table = monthly_returns(returns["net"])
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec", "Year"]
    z = table.to_numpy(dtype=float)
    zmax = float(np.nanmax(np.abs(z[:, :12]))) if np.isfinite(z[:, :12]).any() else 0.01
    text = [[("" if not np.isfinite(v) else f"{v:.1%}") for v in row] for row in z]
    fig = g.Figure(g.Heatmap(z=np.round(z, 5), x=months, y=[str(y) for y in table.index],
                             text=text, texttemplate="%{text}", textfont=dict(size=9),
                             colorscale="RdYlGn", zmid=0.0, zmin=-zmax, zmax=zmax,
                             colorbar=dict(title="return", tickformat=".0%")))
    layout(fig, "Monthly net returns", height=max(320, 22 * len(table) + 120), legend=False)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(hovermode="closest")
    return Chart("Monthly returns", fig, "Compounded net return of each calendar month and "
                 "year (the year column's colours share the months' scale).")


def rolling_chart(returns: pd.DataFrame) -> Chart:
    g = go()
    sharpe, vol = rolling_sharpe_vol(returns["net"])
    fig = subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                   subplot_titles=(f"rolling Sharpe ({ROLLING_DAYS} days)",
                                   f"rolling volatility ({ROLLING_DAYS} days, annualized)"))
    fig.add_trace(g.Scatter(x=returns.index, y=values(sharpe), name="Sharpe",
                            line=dict(color="#1f77b4", width=1)), row=1, col=1)
    fig.add_hline(y=0.0, line=dict(color="grey", width=1), row=1, col=1)
    fig.add_trace(g.Scatter(x=returns.index, y=values(vol), name="volatility",
                            line=dict(color="#ff7f0e", width=1)), row=2, col=1)
    bench = benchmark_level(returns)
    if bench is not None:
        b = bench.pct_change()
        fig.add_trace(g.Scatter(x=returns.index, y=values(rolling_sharpe_vol(b)[1]),
                                name="benchmark volatility",
                                line=dict(color="#7f7f7f", width=1, dash="dot")), row=2, col=1)
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    layout(fig, "Rolling Sharpe and volatility", height=480)
    return Chart("Rolling Sharpe and volatility", fig, f"Annualized Sharpe (mean / std x "
                 f"sqrt(252), no risk-free rate) and volatility of net returns over the trailing "
                 f"{ROLLING_DAYS} days.")


def turnover_chart(returns: pd.DataFrame) -> Chart:
    g = go()
    fig = subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                   subplot_titles=("turnover per rebalance (one-way)",
                                   "cumulative cost drag (fraction of equity)"))
    if "turnover" in returns:
        t = pd.to_numeric(returns["turnover"], errors="coerce")
        t = t[t.fillna(0) > 0]
        fig.add_trace(g.Bar(x=t.index, y=values(t), name="turnover", marker_color="#8c564b"),
                      row=1, col=1)
    drag = cost_drag(returns).cumsum()
    for col, colour in zip(drag.columns, ("#1f77b4", "#ff7f0e", "#9467bd")):
        fig.add_trace(g.Scatter(x=drag.index, y=values(drag[col]), name=col, stackgroup="cost",
                                line=dict(width=0.5, color=colour)), row=2, col=1)
    fig.update_yaxes(tickformat=".1%", row=2, col=1)
    layout(fig, "Turnover and cost drag", height=480)
    return Chart("Turnover and cost drag", fig, "One-way turnover 0.5 x sum |w_new - w_drifted| "
                 "on each rebalance, and the running sum of each cost (commission, slippage, "
                 "short borrow) as a fraction of equity.")


def cost_sweep_chart(summary: dict[str, Any]) -> Chart | None:
    sweep = pd.DataFrame(summary.get("cost_sweep") or [])
    if not {"bps", "net_sharpe"} <= set(sweep.columns):
        return None
    g = go()
    fig = g.Figure(g.Scatter(x=sweep["bps"], y=values(sweep["net_sharpe"]),
                             mode="lines+markers", name="net Sharpe", line=dict(color="#1f77b4")))
    fig.add_hline(y=0.0, line=dict(color="grey", width=1))
    be = summary.get("break_even_bps")
    if be is not None and np.isfinite(be):
        fig.add_vline(x=float(be), line=dict(color="#d62728", dash="dash", width=1),
                      annotation_text=f"break-even {be:.1f} bps")
    layout(fig, "Cost sweep", height=340, y_title="net Sharpe",
           x_title="cost per unit traded (bps)")
    fig.update_layout(hovermode="closest")
    return Chart("Cost sweep", fig, "Net Sharpe if every trade cost this many bps of its "
                 "notional; break-even is where the net Sharpe reaches 0.")


def factor_attribution_chart(attribution: pd.DataFrame) -> Chart:
    g = go()
    parts = [c for c in attribution.columns if c != "total"
             and pd.api.types.is_numeric_dtype(attribution[c])]
    yearly = attribution[parts].groupby(attribution.index.year).sum()
    x = [str(y) for y in yearly.index]
    colours = series_colours(len(parts))
    fig = g.Figure()
    for col, colour in zip(parts, colours):
        colour = {"specific": "#7f7f7f", "costs": "#d62728"}.get(col, colour)
        fig.add_trace(g.Bar(x=x, y=values(yearly[col]), name=col, marker_color=colour))
    if "total" in attribution:
        total = attribution["total"].groupby(attribution.index.year).sum()
        fig.add_trace(g.Scatter(x=x, y=values(total), mode="markers", name="total",
                                marker=dict(color="black", size=8, symbol="diamond")))
    layout(fig, "Factor attribution by year", height=440, y_title="sum of daily contributions")
    fig.update_layout(barmode="relative", hovermode="closest")
    fig.update_yaxes(tickformat=".1%")
    return Chart("Factor attribution", fig, "Each year's net return split into the factors "
                 "(exposure known when positions were set x factor return), the specific rest "
                 "and costs; the parts add up to the total (sums of daily returns).")


def sector_attribution_chart(sectors: pd.DataFrame) -> Chart:
    g = go()
    frame = sectors.sort_values("total") if "total" in sectors else sectors
    y = frame["sector"].astype(str)
    fig = g.Figure()
    for col, colour in (("allocation", "#1f77b4"), ("selection", "#2ca02c"),
                        ("interaction", "#ff7f0e")):
        if col in frame:
            fig.add_trace(g.Bar(y=y, x=values(frame[col]), orientation="h", name=col,
                                marker_color=colour))
    if "total" in frame:
        fig.add_trace(g.Scatter(y=y, x=values(frame["total"]), mode="markers", name="total",
                                marker=dict(color="black", size=8, symbol="diamond")))
    layout(fig, "Sector attribution (Brinson-Fachler, Carino-linked)",
           height=max(320, 28 * len(frame) + 120), x_title="contribution over the period")
    fig.update_layout(barmode="relative", hovermode="closest")
    fig.update_xaxes(tickformat=".1%")
    return Chart("Sector attribution", fig, "Active return against the benchmark by sector: "
                 "allocation (over/underweighting the sector), selection (stocks within it) and "
                 "interaction, linked over the whole period with Carino's method.")


def exposure_chart(positions: pd.DataFrame) -> Chart | None:
    if not {"date", "weight"} <= set(positions.columns):
        return None
    g = go()
    w = pd.to_numeric(positions["weight"], errors="coerce")
    frame = pd.DataFrame({"date": pd.to_datetime(positions["date"]), "gross": w.abs(), "net": w})
    sums = frame.groupby("date")[["gross", "net"]].sum()
    gross, net = sums["gross"], sums["net"]
    fig = g.Figure([g.Scatter(x=gross.index, y=values(gross), name="gross (sum |w|)",
                              line=dict(color="#1f77b4", width=1.2, shape="hv")),
                    g.Scatter(x=net.index, y=values(net), name="net (sum w)",
                              line=dict(color="#ff7f0e", width=1.2, shape="hv"))])
    layout(fig, "Exposure of the positions", height=320, y_title="fraction of equity")
    return Chart("Exposure", fig, "Gross leverage and net exposure of the positions recorded "
                 "on each date.")


def walks_frame(walks: pd.DataFrame) -> pd.DataFrame:
    """The walks with their ``weights`` JSON expanded into ``w_<factor>`` columns."""
    out = walks.drop(columns=[c for c in ("weights",) if c in walks])
    if "weights" in walks:
        parsed = [json.loads(w) if isinstance(w, str) and w.strip() else {}
                  for w in walks["weights"]]
        weights = pd.DataFrame(parsed, index=walks.index).add_prefix("w_")
        out = pd.concat([out, weights], axis=1)
    return out


def walks_chart(walks: pd.DataFrame) -> Chart | None:
    if not {"train_sharpe", "test_sharpe"} <= set(walks.columns):
        return None
    g = go()
    x = [str(w) for w in walks["walk"]]
    fig = g.Figure([g.Bar(x=x, y=values(walks["train_sharpe"]), name="train Sharpe",
                          marker_color="#1f77b4"),
                    g.Bar(x=x, y=values(walks["test_sharpe"]), name="test Sharpe",
                          marker_color="#ff7f0e")])
    layout(fig, "Train vs test Sharpe per walk", height=340, y_title="annualized Sharpe",
           x_title="walk")
    fig.update_layout(barmode="group", hovermode="closest")
    return Chart("Walks", fig, "Sharpe of each walk's weights on its train window and on the "
                 "following test window (the backtest trades only the test windows).")


def tear_sheet(summary: dict[str, Any]) -> Table:
    rows = []
    net, gross = summary.get("net") or {}, summary.get("gross") or {}
    for key, label, kind in METRICS:
        if key in net or key in gross:
            fmt = _pct if kind == "pct" else _num
            rows.append((label, fmt(net.get(key)), fmt(gross.get(key))))
    extra: list[tuple[str, Any, Any]] = [("break-even cost (bps)",
                                          summary.get("break_even_bps"), _num)]
    oos = summary.get("oos_sharpe") or {}
    if oos:
        extra.append(("out-of-sample Sharpe [95% CI]",
                      f"{_num(oos.get('value'))} [{_num(oos.get('ci_low'))}, "
                      f"{_num(oos.get('ci_high'))}]", str))
    extra += [("deflated Sharpe ratio", summary.get("deflated_sharpe"), _num),
              ("PBO", summary.get("pbo"), _num)]
    for label, value, fmt in extra:
        rows.append((label, "n/a" if value is None else fmt(value), ""))
    return Table("Tear sheet", pd.DataFrame(rows, columns=["statistic", "net", "gross"]),
                 "From backtest_summary.json: net of every cost and gross of costs.")


def sections(files: RunFiles) -> list[Section]:
    summary = files.document("backtest_summary.json") or {}
    strategy = str(summary.get("strategy") or "strategy")
    benchmark = str(summary.get("benchmark") or "benchmark")
    raw = files.table("backtest_returns.csv")
    out: list[Section] = []
    blocks: list = []
    if summary.get("verdict"):
        blocks.append(Text(str(summary["verdict"]), kind="verdict"))
    surv = summary.get("survivorship") or {}
    if surv:
        kind = "warning" if surv.get("biased") else "note"
        blocks.append(Text(f"Survivorship: {surv.get('note', '')} (holdings snapshot as of "
                           f"{surv.get('snapshot_as_of') or 'n/a'})", kind=kind))
    if summary:
        blocks.append(tear_sheet(summary))
    for note in summary.get("notes") or []:
        blocks.append(Text(str(note)))
    out.append(Section("Tear sheet", tuple(blocks) or (Text("no backtest_summary.json"),)))
    if raw is not None and len(raw) and "net" in raw:
        returns = dated(raw)
        out.append(Section("Performance", (equity_chart(returns, strategy, benchmark),
                                           underwater_chart(returns, benchmark),
                                           monthly_chart(returns), rolling_chart(returns))))
        blocks = [turnover_chart(returns)]
        chart = cost_sweep_chart(summary)
        if chart is not None:
            blocks.append(chart)
        out.append(Section("Turnover and costs", tuple(blocks)))
    blocks = []
    attribution = files.table("backtest_attribution.csv")
    if attribution is not None and len(attribution):
        blocks.append(factor_attribution_chart(dated(attribution)))
    sectors = files.table("backtest_sector_attribution.csv")
    if sectors is not None and len(sectors) and "sector" in sectors:
        blocks.append(sector_attribution_chart(sectors))
        blocks.append(Table("Sector attribution", sectors, "Linked over the period (Carino)."))
    if blocks:
        out.append(Section("Attribution", tuple(blocks)))
    blocks = []
    positions = files.table("backtest_positions.csv")
    if positions is not None and len(positions):
        chart = exposure_chart(positions)
        if chart is not None:
            blocks.append(chart)
    walks = files.table("backtest_walks.csv")
    if walks is not None and len(walks):
        chart = walks_chart(walks)
        if chart is not None:
            blocks.append(chart)
        blocks.append(Table("Walks", walks_frame(walks), "Train and test windows of each walk, "
                            "its factor weights, Sharpe, turnover, cost drag and hit rate."))
    trades = files.table("backtest_trades.csv")
    if trades is not None and len(trades) and "notional" in trades:
        top = trades.reindex(trades["notional"].abs().sort_values(ascending=False).index[:20])
        blocks.append(Table("Largest trades", top, f"The 20 largest of {len(trades):,} trades "
                            "by notional."))
    if blocks:
        out.append(Section("Positions and walks", tuple(blocks)))
    return out
