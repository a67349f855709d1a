"""Listings and delistings, dividends, splits and the backward-adjusted close."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_factors.data.synthetic._util import _cumprod_rows
from equity_factors.data.synthetic.params import EventParams


def _simulate_listings(
    rng: np.random.Generator, n: int, n_days: int, ep: EventParams
) -> tuple[np.ndarray, np.ndarray]:
    """First and last listed day index of each stock, shape (n,) each."""
    min_life = int(min(ep.min_life_days, n_days // 3))
    late = rng.random(n) < ep.late_listing_share
    dies = rng.random(n) < ep.delisting_share
    u_list = rng.random(n)
    u_delist = rng.random(n)
    # Late listing day in [1, n_days - 1 - min_life]; leaves room for a life of min_life days.
    hi_list = max(n_days - 1 - min_life, 1)
    list_idx = np.where(late, 1 + np.floor(u_list * hi_list).astype(np.int64), 0)
    list_idx = np.minimum(list_idx, hi_list)
    # Last listed day in [list + min_life, n_days - 2]; it ends before the last simulated day.
    lo = list_idx + min_life
    span = np.maximum(n_days - 1 - lo, 0)
    last_dead = lo + np.floor(u_delist * span).astype(np.int64)
    can_die = span >= 1
    last_idx = np.where(dies & can_die, last_dead, n_days - 1)
    return list_idx.astype(np.int64), last_idx.astype(np.int64)


def _dividend_schedule(
    rng: np.random.Generator,
    dates: pd.DatetimeIndex,
    list_idx: np.ndarray,
    last_idx: np.ndarray,
    ep: EventParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Ex-date mask, shape (n_days, n), and quarterly yield per stock, shape (n,) (0 = no payer)."""
    n, n_days = len(list_idx), len(dates)
    payer = rng.random(n) < ep.dividend_payer_share
    yld = np.where(payer, rng.uniform(*ep.dividend_yield_range, n), 0.0)
    phase = rng.integers(0, 3, n)
    dom = rng.integers(5, 26, n)
    cal = dates.to_numpy().astype("datetime64[D]")
    months = np.arange(
        cal[0].astype("datetime64[M]"), cal[-1].astype("datetime64[M]") + 1
    )
    month_no = months.astype(np.int64) % 12
    target = months.astype("datetime64[D]")[:, None] + (dom[None, :] - 1).astype("timedelta64[D]")
    ex_cal = np.busday_offset(target, 0, roll="forward")
    ex_idx = np.searchsorted(cal, ex_cal.ravel()).reshape(ex_cal.shape)
    ok = (
        payer[None, :]
        & (month_no[:, None] % 3 == phase[None, :])
        & (ex_idx < n_days)
        & (ex_idx > list_idx[None, :])
        & (ex_idx <= last_idx[None, :])
    )
    ok &= ex_idx < n_days
    mask = np.zeros((n_days, n), dtype=bool)
    mi, si = np.nonzero(ok)
    mask[ex_idx[mi, si], si] = True
    return mask, yld


def _simulate_splits(
    rng: np.random.Generator,
    pidx: np.ndarray,
    list_idx: np.ndarray,
    last_idx: np.ndarray,
    ep: EventParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Split coefficients and their running product, each shape (n_days, n).

    2 the day after a raw close above the threshold, 1.5 on rare random days whose previous close
    is above the minimum, else 1 (also on days the stock is not listed). Splits are rare, so each
    stock jumps from one split to the next instead of walking every day.
    """
    n_days, n = pidx.shape
    life_years = (last_idx - list_idx + 1) / 252.0
    n_random = rng.poisson(ep.random_split_rate * life_years)
    random_days: dict[int, np.ndarray] = {}
    for i in np.flatnonzero(n_random):
        days = rng.integers(list_idx[i] + 1, last_idx[i] + 1, size=n_random[i])
        random_days[int(i)] = np.unique(days)
    split = np.ones((n_days, n))
    peak = np.nanmax(np.where(np.isnan(pidx), -np.inf, pidx), axis=0)
    for i in np.flatnonzero((peak > ep.split_threshold) | (n_random > 0)):
        p = pidx[:, i]
        rand = random_days.get(int(i), np.empty(0, dtype=np.int64))
        running, t0, last = 1.0, int(list_idx[i]) + 1, int(last_idx[i])
        while t0 <= last:
            prev = p[t0 - 1 : last] / running  # previous raw closes of days t0..last
            above = np.flatnonzero(prev > ep.split_threshold)
            t_thr = t0 + int(above[0]) if len(above) else last + 1
            t_rand = last + 1
            for day in rand[rand >= t0]:
                if day >= t_thr:
                    break
                if prev[day - t0] > ep.random_split_min_price:
                    t_rand = int(day)
                    break
            t = min(t_thr, t_rand)
            if t > last:
                break
            coef = 2.0 if t == t_thr else 1.5
            split[t, i] = coef
            running = running * coef
            t0 = t + 1
    cum = _cumprod_rows(split, np.ones(n))
    return split, cum


def _adjusted_close(returns: np.ndarray, close: np.ndarray, last_idx: np.ndarray) -> np.ndarray:
    """Backward-adjusted close: equals close on the last listed day, pct_change = returns."""
    growth = 1.0 + returns
    growth[np.isnan(growth)] = 1.0
    wealth = _cumprod_rows(growth, np.ones(returns.shape[1]))
    del growth
    cols = np.arange(returns.shape[1])
    scale = close[last_idx, cols] / wealth[last_idx, cols]
    wealth *= scale[None, :]
    wealth[last_idx, cols] = close[last_idx, cols]  # exact, not just to rounding
    wealth[np.isnan(close)] = np.nan
    return wealth
