"""``eqf basket``: the optimized factor weights turned into shares to buy and sell."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from equity_factors.data.outputs import csv_bytes, json_bytes, summary_name
from equity_factors.data.panel import load_panel
from equity_factors.data.results import load_results, read_basket
from equity_factors.data.runs import Run
from equity_factors.portfolio import (
    BASKET_COLUMNS,
    Basket,
    BasketSpec,
    BasketSummary,
    average_dollar_volume,
    build_basket,
    composite_scores,
    diff_baskets,
    last_close,
)
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import fit_factors, parse_as_of, resolve
from equity_factors.workflows.optimize import results_factor_request, weights_in_force
from equity_factors.workflows.requests import Request


@dataclass(frozen=True)
class BasketRequest(Request):
    """The flags of ``eqf basket``: where the weights come from, plus the sizing ``spec``
    (:class:`~equity_factors.portfolio.BasketSpec`, validated when built)."""

    results: str
    universe: str
    spec: BasketSpec = field(default_factory=BasketSpec)
    factor_method: str | None = None
    as_of: str | None = None
    diff: str | None = None


@dataclass(frozen=True)
class BasketOutcome:
    basket: Basket
    summary: BasketSummary
    theta: pd.Series
    theta_note: str
    trades: pd.DataFrame | None
    run: Run
    files: dict[str, Path] = field(default_factory=dict)


def basket(ctx: Context, request: BasketRequest, *, argv: list[str],
           output: str | Path | None = None,
           diff_output: str | Path | None = None) -> BasketOutcome:
    """Read the optimizer's results, refit its factor model on data up to ``as_of`` and size a
    long/short basket from the blended factor portfolio."""
    spec = request.spec
    data = load_results(request.results)
    universe = resolve(ctx, request.universe)
    as_of = parse_as_of(ctx, universe, request.as_of)
    factor_request = results_factor_request(data, request.universe, universe.label, as_of,
                                            str(request.results), request.factor_method,
                                            "--factor-method")
    run = Run(ctx.data_dir, "basket", argv, request.to_dict())
    panel = load_panel(ctx.store, universe, factor_request.start, as_of,
                       extra_fields=("close", "volume"))
    basket_date = panel.prices.index[-1]
    theta, theta_note = weights_in_force(data, basket_date, str(request.results))
    fit = fit_factors(ctx, factor_request, panel=panel, universe=universe)
    weights = fit.result.weights
    comp = composite_scores(weights, theta)
    close = panel.extra["close"].where(panel.extra["close"].notna(), panel.prices)
    price = last_close(close, None, max_stale_days=5)
    adv = average_dollar_volume(close, panel.extra["volume"])
    info = ctx.store.symbol_info(list(weights.index))
    sectors = info["sector"].reindex(weights.index) if "sector" in info else None
    built = build_basket(comp, spec, price.reindex(weights.index), adv.reindex(weights.index),
                         sectors, factor_weights=weights)
    summary = built.summary()
    positions = built.positions[list(BASKET_COLUMNS)]
    trades = None
    payloads = {"trade_basket.csv": csv_bytes(positions, index=False, float_format="%.10g")}
    if request.diff:
        previous = read_basket(request.diff)
        trades = diff_baskets(previous, built)
        payloads["basket_trades.csv"] = csv_bytes(trades, index=False, float_format="%.10g")
    payloads["basket_summary.json"] = json_bytes({
        "as_of": str(panel.prices.index[-1].date()), "results": str(request.results),
        "theta": theta.to_dict(), "theta_note": theta_note,
        **{k: v for k, v in summary.to_frame().set_index("metric")["value"].items()},
        "sector_net": summary.sector_net.to_dict(),
        "factor_exposure": None if summary.factor_exposure is None
        else summary.factor_exposure.to_dict(),
        "notes": list(built.notes), "excluded": built.excluded.to_dict()})
    files = {}
    for name, blob in payloads.items():
        target = None
        if name == "trade_basket.csv" and output:
            target = output
        elif name == "basket_trades.csv" and diff_output:
            target = diff_output
        elif output:
            target = Path(output).with_name(
                summary_name(output) if name == "basket_summary.json" else name)
        files[name] = run.add(name, blob, target)
    run.finish(fingerprint=fit.panel.fingerprint, seed=factor_request.seed,
               headline={"as_of": str(panel.prices.index[-1].date()), "n_long": summary.n_long,
                         "n_short": summary.n_short, "gross_dollars": summary.gross_dollars,
                         "net_dollars": summary.net_dollars})
    return BasketOutcome(built, summary, theta, theta_note, trades, run, files)
