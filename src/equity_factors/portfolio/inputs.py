"""Point-in-time basket inputs from price panels: last close and average daily dollar volume."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_factors.errors import ParameterError, UserError

__all__ = ["average_dollar_volume", "last_close"]


def _rows_up_to(frame: pd.DataFrame, as_of: pd.Timestamp | str | None, what: str) -> pd.DataFrame:
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise UserError(f"{what} must have a DatetimeIndex of dates; build it with the "
                        f"panel loader")
    if as_of is None:
        return frame
    ts = pd.Timestamp(as_of)
    if len(frame.index) and ts < frame.index.min():
        raise ParameterError(f"as_of {ts.date()} is before the first date of the data "
                             f"({frame.index.min().date()}); pick a later date", "as_of",
                             scope="basket")
    return frame.loc[frame.index <= ts]


def last_close(close: pd.DataFrame, as_of: pd.Timestamp | str | None = None,
               max_stale_days: int | None = None) -> pd.Series:
    """Each symbol's last known close on or before ``as_of``.

    Parameters
    ----------
    close : DataFrame of shape (n_dates, n_assets)
        Daily closes (unadjusted is what a trader pays; adjusted is fine for sizing).
    as_of : date, optional
        Basket date; rows after it are never read. Default: the last row.
    max_stale_days : int, optional
        A symbol whose last close is more than this many rows (trading days) before ``as_of``
        gets NaN (halted or delisted), so the basket treats its price as unknown.

    Returns
    -------
    Series of shape (n_assets,)
        NaN where no positive close is known.
    """
    rows = _rows_up_to(close, as_of, "close")
    values = rows.where(rows > 0)
    if max_stale_days is not None:
        values = values.tail(int(max_stale_days) + 1)
    return values.ffill().iloc[-1] if len(values) else pd.Series(np.nan, index=close.columns)


def average_dollar_volume(close: pd.DataFrame, volume: pd.DataFrame,
                          as_of: pd.Timestamp | str | None = None, window: int = 20,
                          min_periods: int = 5) -> pd.Series:
    """Average daily dollar volume (close * volume) over the last ``window`` rows up to ``as_of``.

    Parameters
    ----------
    close, volume : DataFrame of shape (n_dates, n_assets)
        Same orientation; volume may be NaN where unknown (e.g. a file without volume).
    as_of : date, optional
        Rows after it are never read. Default: the last row.
    window : int
        Trading days averaged (20 = about one month).
    min_periods : int
        Fewer known dollar volumes than this in the window gives NaN (unknown), which the
        basket's ``min_adv`` filter lets through rather than guessing.

    Returns
    -------
    Series of shape (n_assets,)
        Dollars per day; NaN where volume is unknown.
    """
    if window < 1:
        raise UserError(f"ADV window must be at least 1 day, got {window}")
    c = _rows_up_to(close, as_of, "close")
    v = _rows_up_to(volume, as_of, "volume").reindex(index=c.index, columns=c.columns)
    dollars = (c * v).tail(window)
    known = dollars.notna().sum()
    adv = dollars.mean()
    return adv.where(known >= min(min_periods, window))
