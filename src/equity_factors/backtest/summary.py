"""Tear-sheet statistics of a backtest: every number from one definition in ``metrics``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from equity_factors import metrics

__all__ = ["DEFAULT_SWEEP_BPS", "TEAR_SHEET_KEYS", "break_even_bps", "cost_sweep", "tear_sheet"]

#: Costs of the sweep, in bps of traded notional.
DEFAULT_SWEEP_BPS: tuple[float, ...] = (0, 5, 10, 20, 30, 40, 50)

#: Keys of :func:`tear_sheet`, in order.
TEAR_SHEET_KEYS = ("annual_return", "annual_volatility", "sharpe", "sortino", "calmar",
                   "max_drawdown", "annual_turnover", "hit_rate", "beta", "alpha",
                   "information_ratio", "tracking_error", "n_days")


def tear_sheet(returns: pd.Series, benchmark: pd.Series | None = None,
               turnover: pd.Series | None = None, periods_per_year: int = 252,
               risk_free: float = 0.0) -> dict[str, float]:
    """The headline statistics of a daily return stream (net or gross).

    Every value comes from :mod:`equity_factors.metrics` (see ``docs/metrics.md``):
    ``annual_return`` (CAGR), ``annual_volatility``, ``sharpe`` (annual ``risk_free``),
    ``sortino``, ``calmar``, ``max_drawdown``, ``hit_rate`` (share of days with ``r > 0``
    among the days with ``r != 0``), and against ``benchmark``: ``beta``, ``alpha``
    (annualized OLS intercept, arithmetic), ``information_ratio`` and ``tracking_error``.
    ``annual_turnover`` is the sum of the one-way rebalance turnovers divided by the years
    covered, ``len(returns) / periods_per_year``.

    Parameters
    ----------
    returns : Series of shape (n_days,)
        Daily simple returns.
    benchmark : Series of shape (n_days,), optional
        Benchmark returns; without it the relative statistics are NaN.
    turnover : Series, optional
        One-way turnover per rebalance (e.g. ``EngineResult.turnover``); NaN without it.
    periods_per_year : int, default 252
    risk_free : float, default 0.0
        Annual risk-free rate (Sharpe, beta and alpha).

    Returns
    -------
    dict
        :data:`TEAR_SHEET_KEYS` -> float (NaN where not computable).
    """
    ppy = periods_per_year
    out: dict[str, float] = {
        "annual_return": float(metrics.annualized_return(returns, ppy)),
        "annual_volatility": float(metrics.annualized_volatility(returns, ppy)),
        "sharpe": float(metrics.sharpe_ratio(returns, risk_free, ppy)),
        "sortino": float(metrics.sortino_ratio(returns, 0.0, ppy)),
        "calmar": float(metrics.calmar_ratio(returns, ppy)),
        "max_drawdown": float(metrics.max_drawdown(returns)),
        "annual_turnover": math.nan,
        "hit_rate": float(metrics.hit_rate(returns)),
        "beta": math.nan,
        "alpha": math.nan,
        "information_ratio": math.nan,
        "tracking_error": math.nan,
        "n_days": float(len(returns)),
    }
    years = len(returns) / ppy
    if turnover is not None and years > 0:
        out["annual_turnover"] = float(np.nansum(turnover.to_numpy(dtype=float)) / years)
    if benchmark is not None:
        out["beta"] = float(metrics.beta(returns, benchmark, risk_free, ppy))
        out["alpha"] = float(metrics.alpha(returns, benchmark, risk_free, ppy))
        out["information_ratio"] = float(metrics.information_ratio(returns, benchmark, ppy))
        out["tracking_error"] = float(metrics.tracking_error(returns, benchmark, ppy))
    return out


def _daily_traded(gross: pd.Series, traded: pd.Series) -> np.ndarray:
    return traded.reindex(gross.index).fillna(0.0).to_numpy(dtype=float)


def break_even_bps(gross: pd.Series, traded: pd.Series) -> float:
    """The cost per unit traded, in bps, at which the mean net return is zero.

    ``mean(gross) / mean(traded) * 1e4``, with ``traded`` the daily traded notional as a
    fraction of equity (two-way: ``2 * EngineResult.returns["turnover"]``), read on the dates
    of ``gross`` (missing dates count as no trade). +inf when nothing is traded and the mean
    gross return is positive; NaN when nothing is traded otherwise.

    Parameters
    ----------
    gross : Series of shape (n_days,)
        Daily gross returns.
    traded : Series
        Daily traded fraction, indexed by date.

    Returns
    -------
    float
    """
    g = gross.to_numpy(dtype=float)
    if g.size == 0:
        return math.nan
    mean_gross = float(np.nanmean(g))
    mean_traded = float(_daily_traded(gross, traded).mean())
    if mean_traded <= 0:
        return math.inf if mean_gross > 0 else math.nan
    return mean_gross / mean_traded * 1e4


def cost_sweep(gross: pd.Series, traded: pd.Series,
               bps: Sequence[float] = DEFAULT_SWEEP_BPS, periods_per_year: int = 252,
               risk_free: float = 0.0) -> pd.DataFrame:
    """Net Sharpe ratio and annual return when each unit traded costs ``c`` bps.

    ``net_t = gross_t - c / 1e4 * traded_t`` for each ``c`` in ``bps``, with ``traded`` the
    daily traded fraction on the dates of ``gross`` (as in :func:`break_even_bps`). The
    statistics are :func:`metrics.sharpe_ratio` and :func:`metrics.annualized_return`.

    Parameters
    ----------
    gross : Series of shape (n_days,)
    traded : Series
    bps : sequence of float, default (0, 5, 10, 20, 30, 40, 50)
    periods_per_year : int, default 252
    risk_free : float, default 0.0

    Returns
    -------
    DataFrame indexed by ``bps`` with columns ``sharpe`` and ``annual_return``.
    """
    g = gross.to_numpy(dtype=float).reshape(-1, 1)
    tr = _daily_traded(gross, traded).reshape(-1, 1)
    c = np.asarray(list(bps), dtype=float).reshape(1, -1)
    net = pd.DataFrame(g - c / 1e4 * tr, index=gross.index)
    return pd.DataFrame({
        "sharpe": np.asarray(metrics.sharpe_ratio(net, risk_free, periods_per_year), dtype=float),
        "annual_return": np.asarray(metrics.annualized_return(net, periods_per_year),
                                    dtype=float),
    }, index=pd.Index(c.ravel(), name="bps"))
