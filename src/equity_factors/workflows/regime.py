"""``eqf regime detect``: point-in-time HMM regimes, forecast, and per-regime factor allocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from equity_factors.data.outputs import csv_bytes, figure_bytes, json_bytes
from equity_factors.data.runs import Run
from equity_factors.errors import UserError
from equity_factors.regime.hmm import (
    RegimeFactorStats,
    RegimeResult,
    detect_regimes,
    regime_allocation,
    regime_factor_stats,
    regime_features,
)
from equity_factors.report.figures import regime_figure
from equity_factors.window_cache import WindowCache
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import (
    FactorFit,
    FactorRequest,
    fit_factors,
    open_window_cache,
)
from equity_factors.workflows.requests import Request


@dataclass(frozen=True)
class RegimeRequest(Request):
    """The flags of ``eqf regime detect``."""

    factors: FactorRequest
    n_regimes: int = 3
    predict: int = 5
    refit_every: int = 252
    min_train: int = 504
    restarts: int = 5

    @property
    def seed(self) -> int:
        return self.factors.seed


@dataclass(frozen=True)
class RegimeOutcome:
    result: RegimeResult
    forecast: pd.DataFrame
    stats: RegimeFactorStats
    allocation: pd.DataFrame
    current_label: str
    run: Run
    files: dict[str, Path] = field(default_factory=dict)
    #: the factor fit the features came from (a routine hands it to its next stages)
    fit: FactorFit | None = None


def detect(ctx: Context, request: RegimeRequest, *, argv: list[str],
           output_dir: str | Path | None = None) -> RegimeOutcome:
    """Fit the HMM point in time on the market and factor returns, write path, forecast, stats.

    Features: the universe's equal-weighted daily return (the market) and the out-of-sample
    returns of ``n_factors`` rolling factors (they carry the volatility information of the
    day). The regime of day t comes from forward-filtered probabilities of a model fitted on
    data before its refit date, so it never changes when later data changes.
    """
    if request.n_regimes < 2:
        raise UserError(f"--regimes must be at least 2, not {request.n_regimes}")
    if request.predict < 1:
        raise UserError(f"--predict must be at least 1 day, not {request.predict}")
    run = Run(ctx.data_dir, "regime detect", argv, request.to_dict())
    with open_window_cache(ctx) as cache:
        return _detect(ctx, request, run, cache, output_dir)


def _detect(ctx: Context, request: RegimeRequest, run: Run, cache: WindowCache,
            output_dir: str | Path | None) -> RegimeOutcome:
    fit = fit_factors(ctx, request.factors, window_cache=cache)
    returns = fit.panel.returns
    market = returns.mean(axis=1, skipna=True).rename("market")
    factors = fit.result.factor_returns.dropna(how="all")
    features = regime_features(market.loc[factors.index], factors)
    if len(features) < request.min_train + 21:
        raise UserError(
            f"{len(features)} days of features are too few for regime detection (it trains on "
            f"{request.min_train} days first); widen --start/--end or use a longer history")
    if float(features["market_return"].std()) == 0.0:
        raise UserError("the market return is constant; regimes need a series that moves")
    bar = ctx.progress("fitting regimes (HMM refits)", None)
    result = detect_regimes(features, request.n_regimes, refit_every=request.refit_every,
                            min_train=request.min_train, n_restarts=request.restarts,
                            random_state=request.seed, window_cache=cache,
                            callback=lambda i, n: bar(i, total=n))
    run.lap("fit")
    forecast = result.predict(request.predict)
    stats = regime_factor_stats(factors, result.regimes, request.n_regimes)
    allocation = regime_allocation(stats)
    labels = {int(i): str(lbl) for i, lbl in
              zip(result.model.summary().index, result.model.summary()["label"])} \
        if "label" in result.model.summary().columns else {}
    path = pd.concat([result.regimes.rename("regime"), result.labels.rename("label"),
                      result.probabilities.add_prefix("p_regime_"),
                      market.reindex(result.regimes.index).rename("market_return")], axis=1)
    level = (1.0 + market.fillna(0.0)).cumprod()
    fig = regime_figure(level, result.regimes.astype("float"), labels,
                        title=f"{fit.universe.label}: equal-weighted market with regimes "
                              "(point-in-time, forward-filtered)")
    current = {
        "date": str(result.probabilities.index[-1].date()),
        "regime": result.current_regime, "label": result.current_label,
        "probabilities": {str(k): float(v) for k, v in result.current_probabilities.items()},
        "forecast_horizon_days": request.predict,
        "forecast": {str(k): float(v) for k, v in forecast.iloc[-1].items()},
        "transition_matrix": np.asarray(result.model.transmat_).tolist(),
        "labels": labels,
    }
    payloads = {
        "regime_path.csv": csv_bytes(path, float_format="%.6g"),
        "regime_forecast.csv": csv_bytes(forecast, float_format="%.12g"),
        "regime_summary.csv": csv_bytes(result.summary(), float_format="%.6g"),
        "regime_factor_stats.csv": csv_bytes(stats.summary(), float_format="%.6g"),
        "regime_allocation.csv": csv_bytes(allocation, float_format="%.6g"),
        "regime_current.json": json_bytes(current),
        "regime.png": figure_bytes(fig),
    }
    files = {n: run.add(n, d, Path(output_dir) / n if output_dir else None)
             for n, d in payloads.items()}
    run.finish(fingerprint=fit.panel.fingerprint, seed=request.seed,
               headline={"current_regime": result.current_label, "date": current["date"]},
               cache=cache.stats.as_dict())
    return RegimeOutcome(result, forecast, stats, allocation, result.current_label, run, files,
                         fit)
