"""``eqf signals {extremes,momentum,cross-section}``: timing and ranking from factor returns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import pandas as pd

from equity_factors.data.outputs import csv_bytes, figure_bytes, json_bytes
from equity_factors.data.runs import Run
from equity_factors.errors import UserError
from equity_factors.report.figures import indicator_figure
from equity_factors.signals.cross_section import CrossSectionResult, cs_composite_score, cs_rank
from equity_factors.signals.extremes import ExtremesResult, extreme_alerts
from equity_factors.signals.momentum import MomentumResult, momentum_signals, select_factor
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorFit, FactorRequest, fit_factors, fit_or_reuse
from equity_factors.workflows.naming import Namer, names_for
from equity_factors.workflows.requests import Request


@dataclass(frozen=True)
class ExtremesRequest(Request):
    """The flags of ``eqf signals extremes``."""

    factors: FactorRequest
    threshold: float = 2.0
    trade: bool = False


@dataclass(frozen=True)
class MomentumRequest(Request):
    """The flags of ``eqf signals momentum``: ``factor`` is an id (F1) or a name given by
    ``namer``."""

    factors: FactorRequest
    factor: str = "F1"
    namer: Namer | None = "offline"


@dataclass(frozen=True)
class CrossSectionRequest(Request):
    """The flags of ``eqf signals cross-section``. With ``results`` the factor model is the
    file's; ``check_method`` is a method the user typed, refused when the file's differs."""

    factors: FactorRequest
    top_pct: float = 0.1
    bottom_pct: float = 0.1
    results: str | None = None
    check_method: str | None = None


@dataclass(frozen=True)
class CrossSectionSignals:
    """A cross-section ranking and what it ranked by."""

    ranking: CrossSectionResult
    basis: str


R = TypeVar("R", ExtremesResult, MomentumResult, CrossSectionSignals)


@dataclass(frozen=True)
class SignalsOutcome(Generic[R]):
    """What a signals command produced: the factor fit, the result, the run and its files."""

    fit: FactorFit
    result: R
    run: Run
    files: dict[str, Path] = field(default_factory=dict)


def _write(run: Run, payloads: dict[str, bytes], output_dir: str | Path | None) -> dict[str, Path]:
    return {name: run.add(name, data, Path(output_dir) / name if output_dir else None)
            for name, data in payloads.items()}


def _finish(run: Run, fit: FactorFit, request: Request, headline: dict) -> None:
    """Record the request as it ran (its factor request normalized) and close the run."""
    run.params.update({**request.to_dict(), "factors": fit.request.to_dict()})
    run.finish(fingerprint=fit.panel.fingerprint, seed=fit.request.seed, headline=headline)


def extremes(ctx: Context, request: ExtremesRequest, *, argv: list[str],
             output_dir: str | Path | None = None,
             fit: FactorFit | None = None) -> SignalsOutcome[ExtremesResult]:
    """Factors whose latest return or cumulative level is beyond ``threshold`` z-scores
    (``fit``: the factor fit of ``request.factors`` when the caller holds it already)."""
    if request.threshold <= 0:
        raise UserError(f"--threshold must be positive, not {request.threshold}")
    run = Run(ctx.data_dir, "signals extremes", argv, {})
    fit = fit_or_reuse(ctx, request.factors, fit)
    returns = fit.result.factor_returns.dropna(how="all")
    result: ExtremesResult = extreme_alerts(returns, request.threshold, trade=request.trade)
    files = _write(run, {"extreme_alerts.csv": csv_bytes(result.alerts, index=False),
                         "factor_zscores.csv": csv_bytes(result.zscores)}, output_dir)
    _finish(run, fit, request, {"as_of": str(pd.Timestamp(result.as_of).date()),
                                "n_alerts": len(result.alerts)})
    return SignalsOutcome(fit, result, run, files)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "factor"


def momentum(ctx: Context, request: MomentumRequest, *, argv: list[str],
             output_dir: str | Path | None = None) -> SignalsOutcome[MomentumResult]:
    """RSI, MACD, ADX and z-score of one factor (by id, or by the name ``namer`` gives it),
    its state and a chart."""
    factor = request.factor
    run = Run(ctx.data_dir, "signals momentum", argv, {})
    fit = fit_factors(ctx, request.factors)
    returns = fit.result.factor_returns.dropna(how="all")
    name_map = None
    if request.namer is not None and factor not in returns.columns:
        names = names_for(ctx, fit, request.namer)
        name_map = dict(zip(names["factor"], names["name"]))
    series = select_factor(returns, factor, name_map)
    column = series.name
    result: MomentumResult = momentum_signals(series.fillna(0.0), name=str(column))
    ind = result.indicators
    fig = indicator_figure(
        ind["level"], {"RSI": ind["rsi"], "MACD": ind[["macd", "macd_signal", "macd_hist"]],
                       "ADX": ind[["adx", "plus_di", "minus_di"]], "z-score": ind["zscore"]},
        title=f"{fit.universe.label} {column}: momentum indicators (signal {result.signal})",
        guides={"RSI": (30, 70), "ADX": (20, 25), "z-score": (-2, 2)})
    slug = _slug(str(column))
    files = _write(run, {f"momentum_{slug}.csv": csv_bytes(ind, float_format="%.8g"),
                         f"momentum_{slug}.json": json_bytes(result.state),
                         f"momentum_{slug}.png": figure_bytes(fig)}, output_dir)
    _finish(run, fit, request, {"factor": str(column), "signal": result.signal,
                                "score": result.score})
    return SignalsOutcome(fit, result, run, files)


def cross_section(ctx: Context, request: CrossSectionRequest, *, argv: list[str],
                  output_dir: str | Path | None = None,
                  fit: FactorFit | None = None) -> SignalsOutcome[CrossSectionSignals]:
    """Stocks ranked by composite factor score: the optimized blend's composite when a results
    file is given, else an equal-weight blend of the factors' standardized weights.

    With a results file the factor model is the file's (refit on data up to ``request.end``),
    and the blend weights are those in force on the last date, exactly as ``eqf basket`` takes
    them; a results file of another universe, or ``check_method`` (a method the user typed)
    other than the file's, is refused. ``fit`` is reused when it is the fit this needs.
    """
    top_pct, bottom_pct, results_path = request.top_pct, request.bottom_pct, request.results
    factors = request.factors
    data = None
    if results_path is not None:
        from equity_factors.data.results import load_results
        from equity_factors.workflows.factors import resolve
        from equity_factors.workflows.optimize import results_factor_request

        data = load_results(results_path)
        universe = resolve(ctx, factors.universe)
        factors = results_factor_request(data, factors.universe, universe.label, factors.end,
                                         str(results_path), request.check_method)
    run = Run(ctx.data_dir, "signals cross-section", argv, {})
    fit = fit_or_reuse(ctx, factors, fit)
    weights = fit.result.weights
    if data is not None:
        from equity_factors.portfolio.basket import composite_scores
        from equity_factors.workflows.optimize import weights_in_force

        theta, note = weights_in_force(data, fit.panel.returns.index[-1], str(results_path))
        scores = composite_scores(weights, theta).scores
        basis = f"optimized composite (sum_k theta_k * w_k,i; {note})"
    else:
        scores = cs_composite_score(weights)
        basis = "equal-weight blend of standardized factor weights (no --results given)"
    info = ctx.store.symbol_info(list(scores.index))
    sectors = info["sector"].reindex(scores.index) if "sector" in info else None
    result: CrossSectionResult = cs_rank(scores.dropna(), top_pct, bottom_pct, sectors)
    files = _write(run, {"cross_section_rankings.csv": csv_bytes(result.ranking),
                         "long_candidates.csv": csv_bytes(result.long),
                         "short_candidates.csv": csv_bytes(result.short)}, output_dir)
    _finish(run, fit, request, {"basis": basis, "n_long": len(result.long),
                                "n_short": len(result.short)})
    return SignalsOutcome(fit, CrossSectionSignals(result, basis), run, files)


def run_all_signals(ctx: Context, request: FactorRequest, output_dir: Path) -> str:
    """The demo's signals stage: extremes with trades, momentum of F1, cross-section ranks."""
    argv = ["demo", "signals"]
    ex = extremes(ctx, ExtremesRequest(request, threshold=2.0, trade=True), argv=argv,
                  output_dir=output_dir)
    mo = momentum(ctx, MomentumRequest(request, factor="F1"), argv=argv, output_dir=output_dir)
    cs = cross_section(ctx, CrossSectionRequest(request, top_pct=0.2, bottom_pct=0.2), argv=argv,
                       output_dir=output_dir)
    ranking = cs.result.ranking
    return (f"{len(ex.result.alerts)} extreme alerts; F1 momentum signal {mo.result.signal}; "
            f"{len(ranking.long)} long / {len(ranking.short)} short candidates -> {output_dir}")
