"""Backward split and dividend adjustment (the CRSP method) and merging new bars into old ones.

Adjusted close of day t = close_t x k_t with k_t = prod over events on days u > t of f_u,

    f_u = (1 - D_u / C_{u-1}) / s_u

where D_u is the cash dividend with ex-date u, C_{u-1} the raw close of the trading day before,
and s_u the split coefficient (new shares per old share: 2.0 for 2-for-1) effective on u. The
last day's adjusted close equals its close. Dividend and split factors are computed apart and
multiplied, as in the published CRSP example (a $0.08 dividend after a 24.96 close gives the
multiplier 1 - 0.08 / 24.96 = 0.9968). A dividend at or above the previous close (bad data)
adjusts nothing rather than make prices negative.

Point in time: the return implied by two adjusted closes, adj_t / adj_{t-1} = C_t s_t /
(C_{t-1} - D_t), uses only days t-1 and t; later events rescale every earlier day by the same
factor and leave those returns unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def event_factors(close: np.ndarray, dividend: np.ndarray, split: np.ndarray) -> np.ndarray:
    """f_u of every day (1 where nothing happens; f_0 = 1/s_0 for the first day)."""
    close = np.asarray(close, dtype=float)
    div = np.nan_to_num(np.asarray(dividend, dtype=float), nan=0.0)
    spl = np.asarray(split, dtype=float)
    spl = np.where(np.isfinite(spl) & (spl > 0), spl, 1.0)
    f = 1.0 / spl
    if len(close) > 1:
        prev = close[:-1]
        ok = np.isfinite(prev) & (prev > 0) & (div[1:] > 0) & (div[1:] < prev)
        ratio = np.ones(len(prev))
        ratio[ok] = 1.0 - div[1:][ok] / prev[ok]
        f[1:] *= ratio
    return f


def adjustment_factors(close: np.ndarray, dividend: np.ndarray, split: np.ndarray) -> np.ndarray:
    """k_t = prod_{u > t} f_u (1 on the last day)."""
    f = event_factors(close, dividend, split)
    k = np.ones(len(f))
    if len(f) > 1:
        # reverse cumulative product of f[1:], aligned so that k[t] multiplies f[t+1:].
        k[:-1] = np.cumprod(f[::-1][:-1])[::-1]
    return k


def adjusted_close(bars: pd.DataFrame) -> pd.Series:
    """CRSP backward-adjusted close of a bars frame (ascending dates; close, dividend, split)."""
    k = adjustment_factors(bars["close"].to_numpy(float), bars["dividend"].to_numpy(float),
                           bars["split"].to_numpy(float))
    return pd.Series(bars["close"].to_numpy(float) * k, index=bars.index, name="adj_close")


def merge_bars(old: pd.DataFrame | None, new: pd.DataFrame) -> tuple[pd.DataFrame, float | None]:
    """The rows to write so that stored bars = old days before ``new`` (rescaled) + ``new``.

    Events after the last common day change the adjustment of every earlier day by one common
    factor: ratio = new adj_close / old adj_close on the latest day both hold. Old days before
    ``new`` starts are multiplied by it; days ``new`` covers are taken from ``new``.

    Returns
    -------
    frame : DataFrame
        ``new`` alone when nothing needs rescaling (ratio 1 within 1e-9), else the rescaled old
        days before ``new`` plus ``new``.
    ratio : float or None
        The factor applied; None when old and new share no day (a gap: old days are kept as
        they were and the caller reports the gap).
    """
    if old is None or old.empty or new.empty:
        return new, 1.0
    common = old.index.intersection(new.index)
    if len(common) == 0:
        return new, None
    day = common.max()
    ratio = float(new.at[day, "adj_close"] / old.at[day, "adj_close"])
    if not np.isfinite(ratio) or ratio <= 0:
        return new, None
    if abs(ratio - 1.0) <= 1e-9:
        return new, 1.0
    before = old[old.index < new.index.min()].copy()
    before["adj_close"] = before["adj_close"] * ratio
    return pd.concat([before, new[before.columns.intersection(new.columns)]]).sort_index(), ratio
