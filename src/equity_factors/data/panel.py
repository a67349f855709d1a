"""The returns panel: dates x symbols of simple returns from adjusted closes, built once per
request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_factors.data.store import Store, align_series, day_bounds, window_span
from equity_factors.data.universe import ResolvedUniverse
from equity_factors.errors import UserError

MIN_HISTORY = 63  # a stock's returns count from its 63rd return on (seasoning)
STALE_RUN = 5  # from the 5th zero return in a row on, a stock counts as not trading


@dataclass(frozen=True)
class Panel:
    """Prices and returns of a universe over a period.

    Attributes
    ----------
    prices : DataFrame of shape (n_dates, n_symbols)
        Adjusted closes, NaN where a symbol has no bar that day.
    returns : DataFrame of shape (n_dates, n_symbols)
        Simple returns, ``r_t = P_t / P_prev - 1`` where ``P_prev`` is the symbol's previous
        available price (a missing day does not lose the move; it lands on the next bar).
        The first row is NaN.
    dropped : dict symbol -> reason
        Symbols of the universe left out, and why.
    fingerprint : str
        Hash of the symbols' stored contents and the period: same data, same fingerprint.
    extra : dict field -> DataFrame
        Other stored fields asked for (close, volume, ...), same shape.
    notes : tuple of str
        What the panel did that a user should know (a trailing stretch cut, see
        :func:`trailing_cut`).
    """

    universe: str
    prices: pd.DataFrame
    returns: pd.DataFrame
    dropped: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def symbols(self) -> list[str]:
        return [str(c) for c in self.returns.columns]


def returns_from_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Simple returns of each column over its own previous available price.

    Parameters
    ----------
    prices : DataFrame of shape (n_dates, n_symbols)

    Returns
    -------
    DataFrame of the same shape; NaN where the price is NaN or there is no earlier price.
    """
    values = prices.to_numpy(dtype=float)
    prev = pd.DataFrame(values).ffill().shift(1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = values / prev - 1.0
    return pd.DataFrame(out, index=prices.index, columns=prices.columns)


def seasoned_returns(returns: np.ndarray, min_history: int = MIN_HISTORY,
                     stale_run: int = STALE_RUN) -> np.ndarray:
    """One symbol's returns with the days it does not count set to NaN, point in time.

    The decision for each day uses that day's data and earlier only, so it never depends on how
    much history follows:

    - seasoning: the j-th return of the symbol's stored series counts only when
      ``j >= min_history`` (a new listing joins after ``min_history`` returns);
    - staleness: a zero return that is the ``stale_run``-th (or later) in a run of zero returns
      does not count (a halted or dead stock whose price is carried forward is not trading).

    Parameters
    ----------
    returns : ndarray of shape (n_bars,)
        Returns over the symbol's own stored bars, ``returns[0]`` NaN (no earlier price).

    Returns
    -------
    ndarray of shape (n_bars,)
    """
    out = returns.copy()
    out[: max(min_history, 1)] = np.nan
    zero = returns == 0.0
    if stale_run > 0 and zero.any():
        # length of the run of zeros ending at each bar
        idx = np.arange(len(returns))
        last_nonzero = np.maximum.accumulate(np.where(zero, -1, idx))
        run = idx - last_nonzero
        out[zero & (run >= stale_run)] = np.nan
    return out


def load_panel(store: Store, universe: ResolvedUniverse, start: str | None = None,
               end: str | None = None, min_history: int = MIN_HISTORY,
               extra_fields: tuple[str, ...] = ()) -> Panel:
    """Build the panel of ``universe`` over [start, end] from the store.

    Returns are computed on each symbol's own stored series (so the first day of the window
    uses the last stored price before it), with the same rule as :func:`returns_from_prices`,
    then masked point in time by :func:`seasoned_returns`: a stock counts on day t only by
    data up to t (its first ``min_history - 1`` returns and stale zero runs are NaN), so a
    command's output for dates up to D is the same with ``end=D`` as with data going on.
    A symbol is dropped (with its reason) when it has no bar in the period or not one return
    that counts there; an all-NaN column could not move any number, so dropping it is point in
    time too. Raises :class:`UserError` when nothing is left.
    """
    fields = ("adj_close", *[f for f in extra_fields if f != "adj_close"])
    days, values, digests = store.read_series(list(universe.symbols), fields)
    dropped = {s: "no bars in the period" for s in universe.symbols if s not in days}
    keep, day_arrays, rets = [], [], []
    bounds = day_bounds(start, end)
    for s in days:
        d, price = days[s], values[s]["adj_close"]
        a, b = window_span(d, bounds=bounds)
        r = np.empty(len(price))
        r[0] = np.nan
        np.divide(price[1:], price[:-1], out=r[1:])
        r[1:] -= 1.0
        counted = seasoned_returns(r, min_history)
        # Stored prices are never NaN, so r[max(a, 1):b] are all valid returns.
        window = r[max(a, 1):b]
        if b <= a:
            dropped[s] = "no bars in the period"
        elif np.isnan(counted[a:b]).all():
            if len(window) and np.all(window == 0.0):
                dropped[s] = "constant price (zero variance)"
            else:
                dropped[s] = f"only {b - 1} returns (< {min_history})"
        else:
            keep.append(s)
            day_arrays.append(d)
            rets.append(counted)
    if not keep:
        raise UserError(
            f"no symbol of {universe.label} has {min_history}+ returns between {start or 'start'} "
            f"and {end or 'end'}; widen --start/--end or fetch more history")
    arrays = {f: [values[s][f] for s in keep] for f in fields}
    arrays["returns"] = rets
    frames = align_series(day_arrays, arrays, keep, start, end)
    notes: list[str] = []
    stop = trailing_cut(frames["adj_close"])
    if stop < len(frames["adj_close"]):
        index = frames["adj_close"].index
        runners = frames["adj_close"].iloc[stop:].notna().any()
        names = ", ".join(str(c) for c in runners[runners].index[:5])
        notes.append(f"the panel ends {index[stop - 1]:%Y-%m-%d}: after it only "
                     f"{names}{' ...' if runners.sum() > 5 else ''} trade (bars to "
                     f"{index[-1]:%Y-%m-%d}); fetch the others' newer bars or pass --end")
        frames = {k: v.iloc[:stop] for k, v in frames.items()}
    h = hashlib.sha256()
    h.update(f"{start}|{end}|{min_history}".encode())
    for s in keep:
        h.update(f"{s}:{digests[s]};".encode())
    extra = {f: frames[f] for f in fields if f != "adj_close"}
    return Panel(universe.label, frames["adj_close"], frames["returns"], dropped,
                 h.hexdigest()[:16], extra, tuple(notes))


#: The panel's last day is the last one on which at least this share of its usual number of
#: symbols has a price (see :func:`trailing_cut`).
MIN_TRAILING_SHARE = 0.5


def trailing_cut(prices: pd.DataFrame, share: float = MIN_TRAILING_SHARE) -> int:
    """Rows to keep: the panel stops at the last day on which at least ``share`` of its median
    daily count of priced symbols trades.

    One symbol whose bars run past the others' (imported or fetched later) would otherwise add
    days on which nobody else trades, and every fit window there would hold one stock. Only
    trailing days are cut, so no number dated before the cut changes.
    """
    counts = prices.notna().sum(axis=1).to_numpy()
    if counts.size == 0:
        return 0
    need = max(1.0, share * float(np.median(counts)))
    ok = np.flatnonzero(counts >= need)
    return int(ok[-1]) + 1 if ok.size else len(counts)
