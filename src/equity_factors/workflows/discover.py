"""``eqf discover``: fit factors on a universe and write returns, loadings, names, summary,
chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from equity_factors.data.outputs import csv_bytes, figure_bytes
from equity_factors.data.runs import Run
from equity_factors.metrics import performance_summary
from equity_factors.report.figures import cumulative_returns_figure
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorFit, FactorRequest, fit_factors
from equity_factors.workflows.naming import Namer, names_for
from equity_factors.workflows.requests import Request

OUTPUT_FILES = ("factor_returns.csv", "factor_loadings.csv", "factor_names.csv",
                "factor_summary.csv", "cumulative_factor_returns.png")


@dataclass(frozen=True)
class DiscoverOutcome:
    fit: FactorFit
    summary: pd.DataFrame
    names: pd.DataFrame
    run: Run
    files: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class DiscoverRequest(Request):
    """The flags of ``eqf discover``: the factor model and how to name its factors
    (``namer`` None = neutral F1..Fk labels; ``--name-factors`` sets it to ``--namer``)."""

    factors: FactorRequest
    namer: Namer | None = None


def factor_summary(fit: FactorFit) -> pd.DataFrame:
    """Per factor: annualized return, volatility, Sharpe, max drawdown (metrics.py), explained
    variance, stability and the top/bottom 5 holdings of the latest weights."""
    perf = performance_summary(fit.result.factor_returns)
    perf = perf[["annualized_return", "annualized_volatility", "sharpe_ratio", "max_drawdown"]]
    perf["daily_volatility"] = fit.result.factor_returns.std()
    structure = fit.result.summary(n_holdings=5)
    out = perf.join(structure[["explained_variance_ratio", "mean_stability", "min_stability",
                               "n_long", "n_short", "gross", "top", "bottom"]])
    out.index.name = "factor"
    return out


def discover(ctx: Context, request: DiscoverRequest | FactorRequest, *, argv: list[str],
             output_dir: str | Path | None = None) -> DiscoverOutcome:
    """Run discovery and write its outputs (into the run folder, and ``output_dir`` if given).

    A bare :class:`FactorRequest` is discovery without naming. The factor names table has
    columns factor, name, description, confidence, namer, ... (see ``workflows.naming``).
    """
    if isinstance(request, FactorRequest):
        request = DiscoverRequest(request)
    run = Run(ctx.data_dir, "discover", argv, {})
    fit = fit_factors(ctx, request.factors)
    run.lap("fit")
    req = fit.request
    run.params.update({**req.to_dict(), "namer": request.namer})
    summary = factor_summary(fit)
    names = names_for(ctx, fit, request.namer)
    run.lap("summary")
    labels = dict(zip(names["factor"], names["name"]))
    fig = cumulative_returns_figure(
        fit.result.factor_returns,
        labels, title=f"{fit.universe.label}: {req.method} factors ({req.mode})")
    payloads = {
        "factor_returns.csv": csv_bytes(fit.result.factor_returns, float_format="%.8g"),
        "factor_loadings.csv": csv_bytes(fit.result.loadings, float_format="%.8g"),
        "factor_names.csv": csv_bytes(names, index=False),
        "factor_summary.csv": csv_bytes(summary, float_format="%.6g"),
        "cumulative_factor_returns.png": figure_bytes(fig),
    }
    files = {}
    for name, data in payloads.items():
        target = Path(output_dir) / name if output_dir else None
        files[name] = run.add(name, data, target)
    run.lap("write")
    headline = {
        "universe": fit.universe.label, "n_stocks": len(fit.panel.symbols),
        "n_dropped": len(fit.panel.dropped), "method": req.method, "mode": req.mode,
        "n_factors": fit.result.n_factors, "cached": fit.cached,
        "first_date": str(fit.result.factor_returns.index[0].date()),
        "last_date": str(fit.result.factor_returns.index[-1].date()),
        "mean_daily_volatility": float(summary["daily_volatility"].mean()),
        "warnings": list(fit.result.warnings) + list(fit.notes),
    }
    run.finish(fingerprint=fit.panel.fingerprint, seed=req.seed, headline=headline)
    return DiscoverOutcome(fit, summary, names, run, files)
