"""Sections of a ``basket`` run: positions by side and sector, factor exposures of the basket
against the optimized weights, and the trade diff."""

from __future__ import annotations

from typing import Any

import pandas as pd

from equity_factors.report.blocks import Chart, RunFiles, Section, Table, Text
from equity_factors.report.plots import SIDE_COLOURS, go, layout, values


def positions_chart(positions: pd.DataFrame) -> Chart:
    g = go()
    frame = positions.copy()
    sign = frame["side"].astype(str).str.upper().map({"LONG": 1.0, "SHORT": -1.0}).fillna(1.0)
    frame["signed"] = sign * frame["position_dollars"].abs()
    frame = frame.sort_values("signed")
    fig = g.Figure()
    for side, colour in SIDE_COLOURS.items():
        part = frame[frame["side"].astype(str).str.upper() == side]
        fig.add_trace(g.Bar(y=part["ticker"].astype(str), x=values(part["signed"], 2),
                            orientation="h", name=side.lower(), marker_color=colour,
                            customdata=part.get("sector"),
                            hovertemplate="%{y}: $%{x:,.0f} (%{customdata})<extra></extra>"))
    layout(fig, "Positions by side", height=max(320, 18 * len(frame) + 120),
           x_title="position ($, short negative)")
    fig.update_layout(hovermode="closest", barmode="relative")
    return Chart("Positions by side", fig, "Dollar position of each stock in whole shares at the "
                 "last close (long positive, short negative), with its sector on hover.")


def sector_chart(summary: dict[str, Any]) -> Chart | None:
    sectors = summary.get("sector_net") or {}
    if not sectors:
        return None
    g = go()
    s = pd.Series(sectors, dtype=float).sort_values()
    fig = g.Figure(g.Bar(x=values(s, 2), y=list(s.index), orientation="h",
                         marker_color=["#2ca02c" if v >= 0 else "#d62728" for v in s]))
    layout(fig, "Net exposure by sector", height=max(300, 26 * len(s) + 120),
           x_title="net dollars", legend=False)
    fig.update_layout(hovermode="closest")
    return Chart("Net exposure by sector", fig, "Long minus short dollars in each sector.")


def exposure_chart(summary: dict[str, Any]) -> Chart | None:
    exposure = summary.get("factor_exposure") or {}
    if not exposure:
        return None
    g = go()
    theta = summary.get("theta") or {}
    factors = list(exposure)
    fig = g.Figure([g.Bar(x=factors, y=[exposure[f] for f in factors], name="basket exposure",
                          marker_color="#1f77b4")])
    if theta:
        fig.add_trace(g.Bar(x=factors, y=[theta.get(f) for f in factors], yaxis="y2",
                            name="optimized weight (right axis)", marker_color="#ff7f0e"))
        fig.update_layout(yaxis2=dict(overlaying="y", side="right", showgrid=False,
                                      title="optimized weight"), barmode="group")
    layout(fig, "Factor exposures of the basket", height=360, y_title="basket exposure")
    fig.update_layout(hovermode="closest")
    return Chart("Factor exposures of the basket", fig, "The basket's exposure to each factor "
                 "portfolio beside the optimized blend weight: their signs should agree.")


def sections(files: RunFiles) -> list[Section]:
    positions = next((t for n, t in files.tables.items() if "ticker" in t.columns
                      and "position_dollars" in t.columns), None)
    summary = next((d for n, d in files.documents.items() if n.endswith("summary.json")
                    and isinstance(d, dict)), {})
    trades = files.table("basket_trades.csv")
    out: list[Section] = []
    blocks: list = []
    if summary.get("theta_note"):
        blocks.append(Text(str(summary["theta_note"])))
    if positions is not None and len(positions):
        blocks.append(positions_chart(positions))
    chart = sector_chart(summary)
    if chart is not None:
        blocks.append(chart)
    if positions is not None:
        blocks.append(Table("Basket", positions, "Positions in whole shares (target weight, "
                            "dollars, last price, sector, the factors behind each score)."))
    out.append(Section("Positions", tuple(blocks) or (Text("no basket saved"),)))
    numbers = {k: v for k, v in summary.items() if isinstance(v, (int, float))}
    blocks = []
    chart = exposure_chart(summary)
    if chart is not None:
        blocks.append(chart)
    if numbers:
        blocks.append(Table("Books", pd.DataFrame({"figure": list(numbers),
                                                   "value": list(numbers.values())}),
                            "Long, short, gross and net dollars, counts and residual cash."))
    for note in summary.get("notes") or []:
        blocks.append(Text(str(note)))
    if blocks:
        out.append(Section("Exposures", tuple(blocks)))
    if trades is not None:
        out.append(Section("Trade diff", (Table("Trades to reach this basket", trades,
                                                "Shares to buy (+) and sell (-) from the "
                                                "earlier basket given with --diff."),)))
    else:
        out.append(Section("Trade diff", (Text("No earlier basket was given (--diff), so there "
                                               "is no trade diff."),)))
    return out
