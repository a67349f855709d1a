"""``eqf basket``: the optimized factor weights turned into shares to buy and sell."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from equity_factors.data.outputs import csv_bytes, json_bytes
from equity_factors.data.outputs import summary_name
from equity_factors.data.runs import Run
from equity_factors.errors import UserError
from equity_factors.factors import normalize_method
from equity_factors.portfolio import (
    BASKET_COLUMNS,
    BasketSpec,
    average_dollar_volume,
    build_basket,
    composite_scores,
    diff_baskets,
    last_close,
)
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest, fit_factors, resolve
from equity_factors.workflows.optimize import load_results


@dataclass(frozen=True)
class BasketRequest:
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
    basket: Any  # portfolio.Basket
    summary: Any  # portfolio.BasketSummary
    theta: pd.Series
    theta_note: str
    trades: pd.DataFrame | None
    run: Run
    files: dict[str, Path] = field(default_factory=dict)


def basket(ctx: Context, request: BasketRequest, *, argv: list[str],
           output: str | Path | None = None, diff_output: str | Path | None = None) -> BasketOutcome:
    """Read the optimizer's results, refit its factor model on data up to ``as_of`` and size a
    long/short basket from the blended factor portfolio."""
    spec = request.spec
    data = load_results(request.results)
    universe = resolve(ctx, request.universe)
    if universe.label.upper() != data["universe"]["label"].upper():
        raise UserError(
            f"{request.results} was optimized on universe {data['universe']['label']}, not "
            f"{universe.label}; pass --universe {data['universe']['label']} or rerun eqf optimize")
    model = data["factor_model"]
    if request.factor_method and normalize_method(request.factor_method) != model["method"]:
        raise UserError(
            f"{request.results} holds weights of {model['method']} factors, not "
            f"{normalize_method(request.factor_method)}; pass --factor-method {model['method']}")
    as_of = request.as_of
    if as_of is not None:
        try:
            as_of = str(pd.Timestamp(as_of).date())
        except (ValueError, TypeError):
            raise UserError(f"--as-of {request.as_of!r} is not a date; use YYYY-MM-DD") from None
    run = Run(ctx.data_dir, "basket", argv,
              {**{k: v for k, v in request.__dict__.items() if k != "spec"},
               **asdict(spec)})
    factor_request = FactorRequest(universe=request.universe, method=model["method"],
                                   n_components=model["n_components"], start=model.get("start"),
                                   end=as_of, lookback=model["lookback"], refit=model["refit"],
                                   mode=model["mode"], seed=model["seed"])
    from equity_factors.data.panel import load_panel

    panel = load_panel(ctx.store, universe, model.get("start"), as_of,
                       extra_fields=("close", "volume"))
    fit = fit_factors(ctx, factor_request, panel=panel, universe=universe)
    theta = pd.Series(data["weights"], dtype=float)
    theta_note = data.get("weights_note", "")
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
        previous = _read_previous(request.diff)
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
    run.finish(fingerprint=fit.panel.fingerprint, seed=model["seed"],
               headline={"as_of": str(panel.prices.index[-1].date()), "n_long": summary.n_long,
                         "n_short": summary.n_short, "gross_dollars": summary.gross_dollars,
                         "net_dollars": summary.net_dollars})
    return BasketOutcome(built, summary, theta, theta_note, trades, run, files)


def _read_previous(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise UserError(f"--diff {path}: no such file; give a trade_basket.csv from an earlier run")
    try:
        return pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise UserError(f"--diff {path} cannot be read as CSV ({exc})") from None
