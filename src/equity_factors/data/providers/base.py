"""The provider protocol every data source implements, and the bars frame it speaks."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd

BARS_COLUMNS = ("date", "symbol", "open", "high", "low", "close", "adj_close", "volume",
                "dividend", "split")
HOLDINGS_COLUMNS = ("symbol", "weight", "as_of")
FUNDAMENTALS_COLUMNS = ("symbol", "field", "period_end", "reported_date", "value")


@runtime_checkable
class Provider(Protocol):
    """A source of daily bars, ETF holdings and point-in-time fundamentals.

    ``prices`` returns a long frame with :data:`BARS_COLUMNS` (one row per symbol and day, NaN
    where the source has no value; ``adj_close`` always present). ``holdings`` returns
    :data:`HOLDINGS_COLUMNS` with weights as fractions. ``fundamentals`` returns
    :data:`FUNDAMENTALS_COLUMNS`: a value counts from its ``reported_date``.
    """

    name: str

    def prices(self, symbols: list[str], start: str | None, end: str | None) -> pd.DataFrame: ...

    def holdings(self, etf: str) -> pd.DataFrame: ...

    def fundamentals(self, symbols: list[str]) -> pd.DataFrame: ...


def bars_by_symbol(long: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split a long bars frame into {symbol: frame indexed by date} for :meth:`Store.write_bars`."""
    out = {}
    for symbol, group in long.groupby("symbol", sort=False):
        frame = group.drop(columns="symbol").set_index("date").sort_index()
        frame.index = pd.DatetimeIndex(frame.index)
        out[str(symbol)] = frame
    return out
