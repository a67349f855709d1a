"""The returns panel: dates x symbols of simple returns from adjusted closes, built once per request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_factors.data.store import Store, align_series, window_span
from equity_factors.data.universe import ResolvedUniverse
from equity_factors.errors import UserError

MIN_HISTORY = 63  # a stock needs at least this many returns in the period to enter the panel


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
    """

    universe: str
    prices: pd.DataFrame
    returns: pd.DataFrame
    dropped: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

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


def load_panel(store: Store, universe: ResolvedUniverse, start: str | None = None,
               end: str | None = None, min_history: int = MIN_HISTORY,
               extra_fields: tuple[str, ...] = ()) -> Panel:
    """Build the panel of ``universe`` over [start, end] from the store.

    Returns are computed on each symbol's own stored series (so the first day of the window
    uses the last stored price before it), with the same rule as :func:`returns_from_prices`.
    A symbol is dropped when it has no bars in the period, fewer than ``min_history`` returns,
    or a constant price (zero variance). Raises :class:`UserError` when nothing is left.
    """
    fields = ("adj_close", *[f for f in extra_fields if f != "adj_close"])
    days, values, digests = store.read_series(list(universe.symbols), fields)
    dropped = {s: "no bars in the period" for s in universe.symbols if s not in days}
    keep, day_arrays, rets = [], [], []
    for s in days:
        d, price = days[s], values[s]["adj_close"]
        a, b = window_span(d, start, end)
        r = np.empty(len(price))
        r[0] = np.nan
        np.divide(price[1:], price[:-1], out=r[1:])
        r[1:] -= 1.0
        # Stored prices are never NaN, so the window's returns are r[max(a, 1):b], all valid.
        window = r[max(a, 1):b]
        count = len(window)
        if b <= a:
            dropped[s] = "no bars in the period"
        elif count < min_history:
            dropped[s] = f"only {count} returns (< {min_history})"
        elif np.ptp(window) == 0:
            dropped[s] = "constant price (zero variance)"
        else:
            keep.append(s)
            day_arrays.append(d)
            rets.append(r)
    if not keep:
        raise UserError(
            f"no symbol of {universe.label} has {min_history}+ returns between {start or 'start'} "
            f"and {end or 'end'}; widen --start/--end or fetch more history")
    arrays = {f: [values[s][f] for s in keep] for f in fields}
    arrays["returns"] = rets
    frames = align_series(day_arrays, arrays, keep, start, end)
    h = hashlib.sha256()
    h.update(f"{start}|{end}|{min_history}".encode())
    for s in keep:
        h.update(f"{s}:{digests[s]};".encode())
    extra = {f: frames[f] for f in fields if f != "adj_close"}
    return Panel(universe.label, frames["adj_close"], frames["returns"], dropped,
                 h.hexdigest()[:16], extra)
