"""Reference returns that explain factors: equal-weighted market, point-in-time spreads, beta."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from equity_factors.errors import UserError

#: Prefix of the long-short reference built from a characteristic (``ls_momentum``, ...).
LS_PREFIX = "ls_"


def _sorted_values(returns: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Columns in symbol order and the float matrix in that order (order invariance)."""
    cols = sorted(str(c) for c in returns.columns)
    frame = returns.copy()
    frame.columns = pd.Index([str(c) for c in frame.columns])
    return cols, frame.reindex(columns=cols).to_numpy(dtype=np.float64, na_value=np.nan)


def _row_mean(values: np.ndarray) -> np.ndarray:
    """Mean of the non-NaN entries of each row (NaN for a row without any)."""
    count = (~np.isnan(values)).sum(axis=1)
    total = np.nansum(values, axis=1)
    return np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)


def equal_weight_market(returns: pd.DataFrame) -> pd.Series:
    """The universe's equal-weighted daily return.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
        Plain daily simple returns, NaN where a stock has none.

    Returns
    -------
    Series of shape (n_dates,), named ``market``
        Mean of the available returns each day (NaN on a day without any); summed in symbol
        order, so reordering the columns changes nothing.
    """
    _, values = _sorted_values(returns)
    return pd.Series(_row_mean(values), index=returns.index, name="market")


def rolling_beta(returns: pd.DataFrame, market: pd.Series, window: int = 252,
                 min_fraction: float = 0.5, at: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Trailing market beta of every stock: cov(r_i, m) / var(m) over the last ``window`` days.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
    market : Series of shape (n_dates,)
        The market's daily returns on the same dates (e.g. :func:`equal_weight_market`).
    window : int
        Trading days in each estimate.
    min_fraction : float in (0, 1]
        Share of the window on which the stock and the market must both have returns.
    at : DatetimeIndex, optional
        Only these dates (each must be in ``returns.index``); default every date. Naming needs
        a few dozen rows, which keeps memory small for large universes.

    Returns
    -------
    DataFrame of shape (n_rows, n_assets)
        Row t uses the days t-window+1..t on which both the stock and the market have returns,
        so it is known at the close of t. NaN with too few days or a flat market.
    """
    if window < 2:
        raise UserError(f"the beta window must be at least 2 days, not {window}")
    r = returns.to_numpy(dtype=np.float64, na_value=np.nan)
    m = market.reindex(returns.index).to_numpy(dtype=np.float64, na_value=np.nan)
    need = max(2, math.ceil(min_fraction * window))
    if at is None:
        positions = np.arange(len(returns.index))
    else:
        positions = pd.DatetimeIndex(returns.index).get_indexer(pd.DatetimeIndex(at))
        if (positions < 0).any():
            raise UserError("rolling_beta: every date in `at` must be a date of the returns")
    out = np.full((positions.size, r.shape[1]), np.nan)
    for row, p in enumerate(positions):
        lo = max(0, p - window + 1)
        rw, mw = r[lo:p + 1], m[lo:p + 1, None]
        valid = ~np.isnan(rw) & ~np.isnan(mw)
        n = valid.sum(axis=0).astype(np.float64)
        rv = np.where(valid, rw, 0.0)
        mv = np.where(valid, mw, 0.0)
        sr, sm = rv.sum(axis=0), mv.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = (rv * mv).sum(axis=0) - sr * sm / n
            var = (mv * mv).sum(axis=0) - sm * sm / n
            beta = cov / var
        out[row] = np.where((n >= need) & (var > 1e-16), beta, np.nan)
    index = returns.index[positions] if at is not None else returns.index
    return pd.DataFrame(out, index=index, columns=returns.columns)


def rebalance_positions(dates: pd.DatetimeIndex) -> np.ndarray:
    """Positions of the first trading day of each calendar month, after the first date."""
    if len(dates) < 2:
        return np.array([], dtype=np.int64)
    month = np.asarray(dates.year * 12 + dates.month)
    return np.flatnonzero(np.diff(month) != 0) + 1


def rebalance_dates(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The days the monthly spreads rank on: each the trading day before a rebalance."""
    return pd.DatetimeIndex(dates)[rebalance_positions(pd.DatetimeIndex(dates)) - 1]


def _long_short(r: np.ndarray, cols: list[str], dates: pd.DatetimeIndex,
                characteristic: pd.DataFrame, fraction: float, min_stocks: int) -> np.ndarray:
    n_dates = len(dates)
    out = np.full(n_dates, np.nan)
    starts = rebalance_positions(dates)
    if starts.size == 0:
        return out
    char = characteristic.copy()
    char.columns = pd.Index([str(c) for c in char.columns])
    x = char.reindex(index=dates[starts - 1], columns=cols).to_numpy(dtype=np.float64,
                                                                      na_value=np.nan)
    ends = np.append(starts[1:], n_dates)
    for row, (p, end) in enumerate(zip(starts, ends)):
        values = x[row]
        ranked = np.flatnonzero(~np.isnan(values))
        if ranked.size < max(min_stocks, 2):
            continue
        q = max(1, int(math.floor(ranked.size * fraction)))
        order = ranked[np.argsort(values[ranked], kind="stable")]  # ties: symbol order
        bottom, top = np.sort(order[:q]), np.sort(order[-q:])
        block = r[p:end]
        out[p:end] = _row_mean(block[:, top]) - _row_mean(block[:, bottom])
    return out


def long_short_returns(returns: pd.DataFrame, characteristic: pd.DataFrame,
                       fraction: float = 1 / 3, min_stocks: int = 6) -> pd.Series:
    """A Fama-French-style spread: top minus bottom ``fraction`` of a characteristic, monthly.

    On the first trading day tau of each calendar month the stocks are ranked by the
    characteristic's row for the trading day before tau (so only data up to the close of
    tau - 1 is used); the top ``fraction`` is held long and the bottom ``fraction`` short, each
    side equally weighted, until the next month's rebalance. The return on day t is
    ``mean(r_top(t)) - mean(r_bottom(t))`` over the held stocks that have a return on t.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
    characteristic : DataFrame
        Dates x symbols; a row is what was known at that date's close. Rows are looked up at
        the days before rebalances (a missing row or value = not ranked).
    fraction : float in (0, 0.5]
    min_stocks : int
        Fewest ranked stocks for a rebalance; months with fewer give NaN.

    Returns
    -------
    Series of shape (n_dates,)
        NaN before the first usable rebalance. Ties rank in symbol order and sums run in
        symbol order, so the result does not depend on the column order.
    """
    if not 0 < fraction <= 0.5:
        raise UserError(f"the long-short fraction must be in (0, 0.5], not {fraction}")
    cols, r = _sorted_values(returns)
    dates = pd.DatetimeIndex(returns.index)
    return pd.Series(_long_short(r, cols, dates, characteristic, fraction, min_stocks),
                     index=returns.index)


def style_references(returns: pd.DataFrame, characteristics: Mapping[str, pd.DataFrame],
                     fraction: float = 1 / 3, min_stocks: int = 6) -> pd.DataFrame:
    """The equal-weighted market and one long-short spread per characteristic.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
    characteristics : mapping name -> DataFrame (dates x symbols)
        Raw characteristics, higher = more of the named trait (size = log market cap,
        value = log book-to-market, momentum, low_volatility = minus volatility, beta).
    fraction, min_stocks :
        See :func:`long_short_returns`.

    Returns
    -------
    DataFrame of shape (n_dates, 1 + n_characteristics)
        Columns ``market`` and ``ls_<name>`` (high minus low of that characteristic).
    """
    if not 0 < fraction <= 0.5:
        raise UserError(f"the long-short fraction must be in (0, 0.5], not {fraction}")
    cols, r = _sorted_values(returns)
    dates = pd.DatetimeIndex(returns.index)
    out = {"market": _row_mean(r)}
    for name in sorted(characteristics):
        out[f"{LS_PREFIX}{name}"] = _long_short(r, cols, dates, characteristics[name],
                                                fraction, min_stocks)
    return pd.DataFrame(out, index=returns.index)


__all__ = ["LS_PREFIX", "equal_weight_market", "long_short_returns", "rebalance_dates",
           "rebalance_positions", "rolling_beta", "style_references"]
