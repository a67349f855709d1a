"""Performance metrics: one definition each, used by every result object in the package.

Conventions (binding; see ``docs/metrics.md``)
----------------------------------------------
- ``returns`` are *simple* per-period returns ``r_t = P_t / P_{t-1} - 1``: a Series (one asset or
  portfolio, the metric is a float) or a wide DataFrame (rows = dates, columns = assets; the metric
  is a Series indexed by column). Portfolios combine simple returns across assets; wealth compounds
  them over time, ``W_t = prod(1 + r_s)``.
- ``periods_per_year`` (ppy) annualizes: 252 for daily data (52 weekly, 12 monthly).
- **Annualized return** is geometric (CAGR): ``W_n ** (ppy / n) - 1`` with ``n = len(returns)``
  *including* NaN rows, which count as zero returns (empyrical ``annual_return``). A total loss
  (``W_n <= 0``) gives -1.
- **Annualized volatility** is ``std(r, ddof=1) * sqrt(ppy)``, NaN rows dropped.
- **Sharpe ratio** is ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(ppy)`` with NaN rows dropped.
  ``risk_free`` is an *annual* rate, converted to a per-period rate geometrically:
  ``rf = (1 + risk_free) ** (1 / ppy) - 1``.
- **Sortino ratio** is ``mean(r - T) * ppy / DD`` with downside risk
  ``DD = sqrt(mean(min(r - T, 0) ** 2)) * sqrt(ppy)``, the mean taken over *all* non-NaN rows
  (zeros where ``r >= T``), as empyrical. ``target`` is annual and converted like ``risk_free``.
  ``DD = 0`` gives +inf when the mean excess is positive.
- **Drawdown** is measured on compounded wealth with the starting capital as the first peak:
  ``W_0 = 1``, ``DD_t = W_t / max(W_0..W_t) - 1``. Max drawdown is ``min DD_t`` (<= 0). NaN rows
  count as zero returns.
- **Calmar ratio** is ``CAGR / |MDD|`` over the same window; NaN when there is no drawdown.
- **Turnover** is one-way, against drifted weights (see :func:`turnover`).
- **Information coefficient** is the cross-sectional Spearman correlation per date
  (see :func:`information_coefficient`).
- **Beta and alpha** against a benchmark are the OLS slope and intercept of ``r - rf`` on
  ``b - rf`` over the dates where both are present; alpha is annualized *arithmetically*,
  ``intercept * ppy`` (empyrical compounds it instead: ``(1 + intercept) ** ppy - 1``).
- **Tracking error** is ``std(r - b, ddof=1) * sqrt(ppy)``; the **information ratio** is
  ``mean(r - b) / std(r - b, ddof=1) * sqrt(ppy)``.
- **Hit rate** is the share of periods with ``r > 0`` among the periods with ``r != 0``
  (flat periods, e.g. days with no position, are not counted), NaN rows dropped.

A metric that cannot be computed (fewer than two observations, zero volatility) is NaN.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import pandas as pd

__all__ = [
    "alpha",
    "annualized_return",
    "annualized_volatility",
    "beta",
    "calmar_ratio",
    "downside_risk",
    "drawdown_series",
    "hit_rate",
    "information_coefficient",
    "information_coefficient_summary",
    "information_ratio",
    "max_drawdown",
    "per_period_rate",
    "performance_summary",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "tracking_error",
    "turnover",
]

DEFAULT_PERIODS_PER_YEAR = 252

#: A Series (one return stream, metrics are floats) or a wide DataFrame (metrics per column).
Returns: TypeAlias = pd.Series | pd.DataFrame


# --------------------------------------------------------------------------------------------
# Array kernels. Each works column-wise on a 2-D float array of shape (n_periods, n_columns)
# and returns a 1-D array of shape (n_columns,). They are the single definitions: the public
# functions below and the optimizers' hot paths both call them.
# --------------------------------------------------------------------------------------------


def per_period_rate(annual_rate: float, periods_per_year: int = DEFAULT_PERIODS_PER_YEAR) -> float:
    """Convert an annual rate to a per-period one geometrically: ``(1 + a) ** (1 / ppy) - 1``."""
    if annual_rate == 0.0:
        return 0.0
    return float((1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0)


def _total_return_array(x: np.ndarray) -> np.ndarray:
    return np.prod(1.0 + np.nan_to_num(x, nan=0.0), axis=0) - 1.0


def _cagr_array(x: np.ndarray, periods_per_year: int) -> np.ndarray:
    n = x.shape[0]
    if n == 0:
        return np.full(x.shape[1], np.nan)
    wealth = np.prod(1.0 + np.nan_to_num(x, nan=0.0), axis=0)
    out = np.full(x.shape[1], -1.0)
    pos = wealth > 0
    out[pos] = wealth[pos] ** (periods_per_year / n) - 1.0
    return out


def _mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column mean, std (ddof=1) and count, NaN rows dropped per column."""
    if np.isnan(x).any():
        count = np.sum(~np.isnan(x), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(x, axis=0) / count
            dev = np.where(np.isnan(x), 0.0, x - mean)
            var = np.sum(dev * dev, axis=0) / (count - 1)
    else:
        count = np.full(x.shape[1], x.shape[0])
        mean = x.mean(axis=0)
        dev = x - mean
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.sum(dev * dev, axis=0) / (x.shape[0] - 1)
    var = np.where(count >= 2, var, np.nan)
    return mean, np.sqrt(var), count


def _volatility_array(x: np.ndarray, periods_per_year: int) -> np.ndarray:
    return _mean_std(x)[1] * np.sqrt(periods_per_year)


def _sharpe_array(x: np.ndarray, rf_per_period: float, periods_per_year: int) -> np.ndarray:
    mean, std, _ = _mean_std(x - rf_per_period if rf_per_period else x)
    # A standard deviation at rounding-error level is zero volatility (a constant series).
    tiny = std <= 1e-14 * np.maximum(np.abs(mean), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = mean / std * np.sqrt(periods_per_year)
    return np.where(tiny | (std == 0), np.nan, out)


def _downside_array(x: np.ndarray, target_per_period: float, periods_per_year: int) -> np.ndarray:
    y = x - target_per_period if target_per_period else x
    low = np.minimum(y, 0.0)
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.nanmean(low * low, axis=0)) * np.sqrt(periods_per_year)


def _sortino_array(x: np.ndarray, target_per_period: float, periods_per_year: int) -> np.ndarray:
    y = x - target_per_period if target_per_period else x
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(y, axis=0) if np.isnan(y).any() else y.mean(axis=0)
    dd = _downside_array(x, target_per_period, periods_per_year)
    count = (~np.isnan(y)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = mean * periods_per_year / dd
    out = np.where(dd == 0, np.where(mean > 0, np.inf, np.nan), out)
    return np.where(count >= 2, out, np.nan)  # one observation is no evidence (module rule)


def _drawdown_array(x: np.ndarray) -> np.ndarray:
    wealth = np.cumprod(1.0 + np.nan_to_num(x, nan=0.0), axis=0)
    peak = np.maximum.accumulate(np.maximum(wealth, 1.0), axis=0)  # W_0 = 1 is the first peak
    return wealth / peak - 1.0


def _max_drawdown_array(x: np.ndarray) -> np.ndarray:
    if x.shape[0] == 0:
        return np.full(x.shape[1], np.nan)
    return np.minimum(_drawdown_array(x).min(axis=0), 0.0)


def _calmar_array(x: np.ndarray, periods_per_year: int) -> np.ndarray:
    mdd = _max_drawdown_array(x)
    cagr = _cagr_array(x, periods_per_year)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cagr / np.abs(mdd)
    return np.where(mdd < 0, out, np.nan)


# --------------------------------------------------------------------------------------------
# Public wrappers: Series -> float, DataFrame -> Series per column.
# --------------------------------------------------------------------------------------------


def _to_array(returns: pd.Series | pd.DataFrame | np.ndarray) -> tuple[np.ndarray, object]:
    if isinstance(returns, pd.DataFrame):
        return returns.to_numpy(dtype=float, na_value=np.nan), returns.columns
    if isinstance(returns, pd.Series):
        return returns.to_numpy(dtype=float, na_value=np.nan).reshape(-1, 1), None
    arr = np.asarray(returns, dtype=float)
    if arr.ndim == 1:
        return arr.reshape(-1, 1), None
    if arr.ndim == 2:
        return arr, pd.RangeIndex(arr.shape[1])
    raise ValueError(f"returns must be 1-D or 2-D, got an array with {arr.ndim} dimensions")


def _wrap(values: np.ndarray, columns: object, name: str) -> float | pd.Series:
    if columns is None:
        return float(values[0])
    return pd.Series(values, index=columns, name=name, dtype=float)


def total_return(returns: Returns) -> float | pd.Series:
    """Compounded return over the whole window, ``prod(1 + r) - 1`` (NaN rows count as 0).

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    return _wrap(_total_return_array(x), cols, "total_return")


def annualized_return(
    returns: Returns, periods_per_year: int = DEFAULT_PERIODS_PER_YEAR
) -> float | pd.Series:
    """Geometric annualized return (CAGR), ``prod(1 + r) ** (ppy / n) - 1``.

    ``n = len(returns)`` including NaN rows, which count as zero returns (empyrical
    ``annual_return``). A compounded total loss gives -1; an empty input gives NaN.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
        Simple per-period returns.
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    return _wrap(_cagr_array(x, periods_per_year), cols, "annualized_return")


def annualized_volatility(
    returns: Returns, periods_per_year: int = DEFAULT_PERIODS_PER_YEAR
) -> float | pd.Series:
    """Annualized volatility, ``std(r, ddof=1) * sqrt(ppy)``, NaN rows dropped.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    return _wrap(_volatility_array(x, periods_per_year), cols, "annualized_volatility")


def sharpe_ratio(
    returns: Returns,
    risk_free: float = 0.0,
    periods_per_year: int = DEFAULT_PERIODS_PER_YEAR,
) -> float | pd.Series:
    """Annualized Sharpe ratio, ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(ppy)``.

    NaN rows are dropped (empyrical style; quantstats fills them with 0 instead: call
    ``sharpe_ratio(returns.fillna(0))`` for that). NaN with fewer than two observations or zero
    volatility.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
        Simple per-period returns.
    risk_free : float, default 0.0
        *Annual* risk-free rate, converted per period as ``(1 + risk_free) ** (1 / ppy) - 1``.
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    rf = per_period_rate(risk_free, periods_per_year)
    return _wrap(_sharpe_array(x, rf, periods_per_year), cols, "sharpe_ratio")


def downside_risk(
    returns: Returns, target: float = 0.0, periods_per_year: int = DEFAULT_PERIODS_PER_YEAR
) -> float | pd.Series:
    """Annualized downside deviation, ``sqrt(mean(min(r - T, 0) ** 2)) * sqrt(ppy)``.

    The mean runs over all non-NaN rows (zeros where ``r >= T``), not only the losing ones.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    target : float, default 0.0
        *Annual* minimum acceptable return, converted per period geometrically.
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    t = per_period_rate(target, periods_per_year)
    return _wrap(_downside_array(x, t, periods_per_year), cols, "downside_risk")


def sortino_ratio(
    returns: Returns, target: float = 0.0, periods_per_year: int = DEFAULT_PERIODS_PER_YEAR
) -> float | pd.Series:
    """Annualized Sortino ratio, ``mean(r - T) * ppy / downside_risk``.

    NaN rows dropped; the downside deviation is :func:`downside_risk` (mean over all rows).
    Zero downside risk gives +inf when the mean excess return is positive, NaN otherwise;
    fewer than two observations give NaN.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    target : float, default 0.0
        *Annual* minimum acceptable return, converted per period geometrically.
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    t = per_period_rate(target, periods_per_year)
    return _wrap(_sortino_array(x, t, periods_per_year), cols, "sortino_ratio")


def drawdown_series(returns: Returns) -> pd.Series | pd.DataFrame:
    """Drawdown from the running peak of compounded wealth, ``W_t / max(W_0..W_t) - 1``.

    Wealth starts at ``W_0 = 1``, which is the first peak, so a loss on the first period is a
    drawdown. NaN rows count as zero returns.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)

    Returns
    -------
    Series or DataFrame of the same shape as ``returns``, values in [-1, 0].
    """
    x, cols = _to_array(returns)
    dd = _drawdown_array(x)
    if isinstance(returns, pd.DataFrame):
        return pd.DataFrame(dd, index=returns.index, columns=returns.columns)
    if isinstance(returns, pd.Series):
        return pd.Series(dd[:, 0], index=returns.index, name="drawdown")
    return dd[:, 0] if cols is None else dd


def max_drawdown(returns: Returns) -> float | pd.Series:
    """Maximum drawdown of compounded wealth (a number <= 0), see :func:`drawdown_series`.

    ``[+10%, -10%, +10%]`` gives -0.10. Empty input gives NaN.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    return _wrap(_max_drawdown_array(x), cols, "max_drawdown")


def calmar_ratio(
    returns: Returns, periods_per_year: int = DEFAULT_PERIODS_PER_YEAR
) -> float | pd.Series:
    """Calmar ratio, ``annualized_return / |max_drawdown|`` over the same window.

    NaN when there is no drawdown (empyrical convention).

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    return _wrap(_calmar_array(x, periods_per_year), cols, "calmar_ratio")


def _paired(returns: Returns, benchmark: pd.Series
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, object]:
    """Returns (n, c) and benchmark (n, 1) on common dates, with the mask of complete pairs."""
    if not isinstance(benchmark, pd.Series):
        raise TypeError("benchmark must be a Series of shape (n_periods,)")
    if isinstance(returns, pd.Series | pd.DataFrame):
        r_al, b_al = returns.align(benchmark, join="inner", axis=0)
        x, cols = _to_array(r_al)
        b = b_al.to_numpy(dtype=float, na_value=np.nan).reshape(-1, 1)
    else:
        x, cols = _to_array(returns)
        b = benchmark.to_numpy(dtype=float, na_value=np.nan).reshape(-1, 1)
    both = ~(np.isnan(x) | np.isnan(b))
    return x, np.broadcast_to(b, x.shape), both, cols


def _beta_alpha_arrays(x: np.ndarray, b: np.ndarray, both: np.ndarray, rf: float,
                       periods_per_year: int) -> tuple[np.ndarray, np.ndarray]:
    count = both.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xe = np.where(both, x - rf, 0.0)
        be = np.where(both, b - rf, 0.0)
        mx = xe.sum(axis=0) / count
        mb = be.sum(axis=0) / count
        dx = np.where(both, xe - mx, 0.0)
        db = np.where(both, be - mb, 0.0)
        var_b = (db * db).sum(axis=0)
        beta_ = (dx * db).sum(axis=0) / var_b
        alpha_ = (mx - beta_ * mb) * periods_per_year
    ok = (count >= 2) & (var_b > 1e-300)
    return np.where(ok, beta_, np.nan), np.where(ok, alpha_, np.nan)


def beta(returns: Returns, benchmark: pd.Series, risk_free: float = 0.0,
         periods_per_year: int = DEFAULT_PERIODS_PER_YEAR) -> float | pd.Series:
    """OLS slope of ``r - rf`` on ``b - rf``: ``cov(r, b) / var(b)``.

    Dates are aligned (inner join) and a date counts only when both values are present.
    NaN with fewer than two such dates or a constant benchmark.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    benchmark : Series of shape (n_periods,)
        Benchmark simple returns on the same dates.
    risk_free : float, default 0.0
        *Annual* rate, converted per period geometrically (it cancels in the slope).
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, b, both, cols = _paired(returns, benchmark)
    rf = per_period_rate(risk_free, periods_per_year)
    return _wrap(_beta_alpha_arrays(x, b, both, rf, periods_per_year)[0], cols, "beta")


def alpha(returns: Returns, benchmark: pd.Series, risk_free: float = 0.0,
          periods_per_year: int = DEFAULT_PERIODS_PER_YEAR) -> float | pd.Series:
    """Annualized OLS intercept of ``r - rf`` on ``b - rf``, ``intercept * ppy`` (arithmetic).

    ``intercept = mean(r - rf) - beta * mean(b - rf)`` over the dates where both are present.
    empyrical's ``alpha`` compounds the intercept instead, ``(1 + intercept) ** ppy - 1``.
    NaN where :func:`beta` is NaN.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    benchmark : Series of shape (n_periods,)
    risk_free : float, default 0.0
        *Annual* rate, converted per period geometrically.
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, b, both, cols = _paired(returns, benchmark)
    rf = per_period_rate(risk_free, periods_per_year)
    return _wrap(_beta_alpha_arrays(x, b, both, rf, periods_per_year)[1], cols, "alpha")


def _active_arrays(returns: Returns, benchmark: pd.Series
                   ) -> tuple[np.ndarray, np.ndarray, object]:
    x, b, both, cols = _paired(returns, benchmark)
    active = np.where(both, x - b, np.nan)
    mean, std, _ = _mean_std(active)
    return mean, std, cols


def tracking_error(returns: Returns, benchmark: pd.Series,
                   periods_per_year: int = DEFAULT_PERIODS_PER_YEAR) -> float | pd.Series:
    """Annualized tracking error, ``std(r - b, ddof=1) * sqrt(ppy)``.

    Over the dates where both are present; NaN with fewer than two.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    benchmark : Series of shape (n_periods,)
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    _, std, cols = _active_arrays(returns, benchmark)
    return _wrap(std * np.sqrt(periods_per_year), cols, "tracking_error")


def information_ratio(returns: Returns, benchmark: pd.Series,
                      periods_per_year: int = DEFAULT_PERIODS_PER_YEAR) -> float | pd.Series:
    """Annualized information ratio, ``mean(r - b) / std(r - b, ddof=1) * sqrt(ppy)``.

    Over the dates where both are present; NaN with fewer than two or zero tracking error
    (a standard deviation at rounding level counts as zero, as for :func:`sharpe_ratio`).

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    benchmark : Series of shape (n_periods,)
    periods_per_year : int, default 252

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    mean, std, cols = _active_arrays(returns, benchmark)
    tiny = std <= 1e-14 * np.maximum(np.abs(mean), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = mean / std * np.sqrt(periods_per_year)
    return _wrap(np.where(tiny | (std == 0), np.nan, out), cols, "information_ratio")


def hit_rate(returns: Returns) -> float | pd.Series:
    """Share of periods with a positive return among the periods with a non-zero return.

    Flat periods (``r == 0``, e.g. days with no position) and NaN rows are not counted.
    NaN when no period has a non-zero return.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)

    Returns
    -------
    float or Series of shape (n_assets,)
    """
    x, cols = _to_array(returns)
    with np.errstate(invalid="ignore"):
        up = np.sum(x > 0, axis=0)
        moved = np.sum((x != 0) & ~np.isnan(x), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(moved > 0, up / np.maximum(moved, 1), np.nan)
    return _wrap(out, cols, "hit_rate")


def turnover(weights: pd.DataFrame, returns: pd.DataFrame) -> pd.Series:
    """One-way turnover per rebalance against drifted weights.

    ``tau_t = 1/2 * sum_i |w_{i,t} - w~_{i,t}|`` with the drifted pre-trade weight
    ``w~_{i,t} = w_{i,t-1} (1 + r_{i,t}) / (1 + r_{p,t})`` and
    ``r_{p,t} = sum_i w_{i,t-1} r_{i,t}``.
    Swapping the whole book is 1.0 (two-way turnover is ``2 * tau``). The drift formula assumes a
    net-long book (``sum w = 1``); for other books it is the usual approximation.

    Parameters
    ----------
    weights : DataFrame of shape (n_dates, n_assets)
        Post-trade weights set at the close of each date; they earn the *next* row's returns.
        NaN means 0.
    returns : DataFrame of shape (n_periods, n_assets)
        Simple returns; row t is the return from close t-1 to close t. Aligned to ``weights``
        by date and column; missing values count as 0.

    Returns
    -------
    Series of shape (n_dates,)
        One-way turnover at each date of ``weights``; the first date is NaN (no previous book).
        Annualize with ``tau.sum() / years``.
    """
    w = weights.astype(float).fillna(0.0)
    r = returns.reindex(index=w.index, columns=w.columns).astype(float).fillna(0.0)
    wv, rv = w.to_numpy(), r.to_numpy()
    out = np.full(len(w), np.nan)
    if len(w) > 1:
        prev = wv[:-1]
        growth = 1.0 + rv[1:]
        rp = np.sum(prev * rv[1:], axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            drifted = prev * growth / (1.0 + rp)
        out[1:] = 0.5 * np.abs(wv[1:] - drifted).sum(axis=1)
    return pd.Series(out, index=w.index, name="turnover")


def information_coefficient(scores: pd.DataFrame, forward_returns: pd.DataFrame) -> pd.Series:
    """Cross-sectional rank information coefficient per date.

    ``IC_t = Spearman rho(scores_t, forward_returns_t)`` across the assets that have both values,
    average ranks for ties (as alphalens with ``scipy.stats.spearmanr``). The caller aligns
    ``forward_returns`` so that row t holds the return *after* t (``r_{t -> t+h}``).

    Parameters
    ----------
    scores : DataFrame of shape (n_dates, n_assets)
        Factor values known at date t.
    forward_returns : DataFrame of shape (n_dates, n_assets)
        Returns from t to t+h, aligned on the same dates and columns (outer join, missing = NaN).

    Returns
    -------
    Series of shape (n_dates,)
        NaN for dates with fewer than two complete pairs or a constant cross-section.
    """
    s, f = scores.align(forward_returns, join="outer")
    sv = s.to_numpy(dtype=float, na_value=np.nan)
    fv = f.to_numpy(dtype=float, na_value=np.nan)
    both = ~(np.isnan(sv) | np.isnan(fv))
    sr = pd.DataFrame(np.where(both, sv, np.nan)).rank(axis=1, method="average").to_numpy()
    fr = pd.DataFrame(np.where(both, fv, np.nan)).rank(axis=1, method="average").to_numpy()
    n = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sc = sr - np.nanmean(sr, axis=1, keepdims=True)
        fc = fr - np.nanmean(fr, axis=1, keepdims=True)
        num = np.nansum(sc * fc, axis=1)
        den = np.sqrt(np.nansum(sc * sc, axis=1) * np.nansum(fc * fc, axis=1))
        ic = num / den
    ic = np.where((n >= 2) & (den > 0), ic, np.nan)
    return pd.Series(ic, index=s.index, name="ic")


def information_coefficient_summary(ic: pd.Series) -> pd.Series:
    """Mean IC, its std (ddof=1), ``ICIR = mean / std`` and ``t = ICIR * sqrt(n_dates)``.

    With overlapping horizons (h > 1 on daily dates) the t-statistic is inflated: pass
    non-overlapping dates.

    Parameters
    ----------
    ic : Series of shape (n_dates,)
        Output of :func:`information_coefficient`; NaN dates are dropped.

    Returns
    -------
    Series with index ``mean, std, icir, t_stat, n_dates``.
    """
    v = ic.dropna().to_numpy(dtype=float)
    n = v.size
    mean = float(v.mean()) if n else np.nan
    std = float(v.std(ddof=1)) if n > 1 else np.nan
    icir = mean / std if n > 1 and std > 0 else np.nan
    return pd.Series(
        {"mean": mean, "std": std, "icir": icir, "t_stat": icir * np.sqrt(n), "n_dates": float(n)}
    )


def performance_summary(
    returns: Returns,
    risk_free: float = 0.0,
    periods_per_year: int = DEFAULT_PERIODS_PER_YEAR,
) -> pd.Series | pd.DataFrame:
    """The headline metrics every result object reports, all from the functions above.

    Parameters
    ----------
    returns : Series of shape (n_periods,) or DataFrame of shape (n_periods, n_assets)
    risk_free : float, default 0.0
        Annual risk-free rate (Sharpe only).
    periods_per_year : int, default 252

    Returns
    -------
    Series (for a Series) indexed by metric name, or DataFrame of shape (n_assets, n_metrics)
    (for a DataFrame). Metrics: ``total_return, annualized_return, annualized_volatility,
    sharpe_ratio, sortino_ratio, max_drawdown, calmar_ratio, n_periods``.
    """
    x, cols = _to_array(returns)
    ppy = periods_per_year
    rf = per_period_rate(risk_free, ppy)
    table = {
        "total_return": _total_return_array(x),
        "annualized_return": _cagr_array(x, ppy),
        "annualized_volatility": _volatility_array(x, ppy),
        "sharpe_ratio": _sharpe_array(x, rf, ppy),
        "sortino_ratio": _sortino_array(x, 0.0, ppy),
        "max_drawdown": _max_drawdown_array(x),
        "calmar_ratio": _calmar_array(x, ppy),
        "n_periods": np.sum(~np.isnan(x), axis=0).astype(float),
    }
    if cols is None:
        name = returns.name if isinstance(returns, pd.Series) else None
        return pd.Series({k: float(v[0]) for k, v in table.items()}, name=name)
    return pd.DataFrame(table, index=cols)
