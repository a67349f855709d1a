"""The ``sample`` provider: real daily prices bundled inside skfolio's datasets (offline).

Universe ``SAMPLE``: 20 S&P 500 stocks, 1990-01-02 to 2022-12-28 (skfolio ``load_sp500_dataset``).
Reference series stored beside them: the S&P 500 index as ``SP500`` and the factor ETFs MTUM, QUAL,
SIZE, USMV and VLUE (2014-2022, ``load_factors_dataset``). The files hold one price per day (already
adjusted), so open/high/low/volume are unknown (NaN) and ``close`` = ``adj_close``.
"""

from __future__ import annotations

import pandas as pd

from equity_factors.data.providers.base import BARS_COLUMNS, FUNDAMENTALS_COLUMNS, HOLDINGS_COLUMNS

SAMPLE_UNIVERSE = "SAMPLE"
INDEX_SYMBOL = "SP500"
FACTOR_ETFS = ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")

# GICS sectors of the 20 bundled stocks (public classification, as of 2022).
SECTORS = {
    "AAPL": "Information Technology", "AMD": "Information Technology",
    "MSFT": "Information Technology", "BAC": "Financials", "JPM": "Financials",
    "BBY": "Consumer Discretionary", "HD": "Consumer Discretionary", "CVX": "Energy",
    "XOM": "Energy", "RRC": "Energy", "GE": "Industrials", "JNJ": "Health Care",
    "LLY": "Health Care", "MRK": "Health Care", "PFE": "Health Care", "UNH": "Health Care",
    "KO": "Consumer Staples", "PEP": "Consumer Staples", "PG": "Consumer Staples",
    "WMT": "Consumer Staples",
}
NAMES = {
    "AAPL": "Apple Inc", "AMD": "Advanced Micro Devices", "MSFT": "Microsoft Corp",
    "BAC": "Bank of America Corp", "JPM": "JPMorgan Chase & Co", "BBY": "Best Buy Co",
    "HD": "Home Depot Inc", "CVX": "Chevron Corp", "XOM": "Exxon Mobil Corp",
    "RRC": "Range Resources Corp", "GE": "General Electric Co", "JNJ": "Johnson & Johnson",
    "LLY": "Eli Lilly & Co", "MRK": "Merck & Co", "PFE": "Pfizer Inc",
    "UNH": "UnitedHealth Group", "KO": "Coca-Cola Co", "PEP": "PepsiCo Inc",
    "PG": "Procter & Gamble Co", "WMT": "Walmart Inc",
}


class SampleProvider:
    """Reads the bundled real prices; no network, no key."""

    name = "sample"

    def _wide(self) -> pd.DataFrame:
        from skfolio.datasets import load_factors_dataset, load_sp500_dataset, load_sp500_index

        stocks = load_sp500_dataset()
        index = load_sp500_index().rename(columns={"SP500": INDEX_SYMBOL})
        etfs = load_factors_dataset()
        wide = pd.concat([stocks, index, etfs], axis=1)
        wide.index = pd.DatetimeIndex(wide.index).normalize()
        wide.index.name = "date"
        return wide

    def stock_symbols(self) -> list[str]:
        from skfolio.datasets import load_sp500_dataset

        return [str(c) for c in load_sp500_dataset().columns]

    def reference_symbols(self) -> list[str]:
        return [INDEX_SYMBOL, *FACTOR_ETFS]

    def security_info(self) -> pd.DataFrame:
        stocks = [{"symbol": s, "name": NAMES.get(s), "sector": SECTORS.get(s),
                   "asset_type": "Stock"} for s in self.stock_symbols()]
        refs = [{"symbol": INDEX_SYMBOL, "name": "S&P 500 index", "asset_type": "Index"}]
        refs += [{"symbol": e, "name": f"iShares MSCI USA {e} factor ETF", "asset_type": "ETF"}
                 for e in FACTOR_ETFS]
        return pd.DataFrame(stocks + refs)

    def prices(self, symbols: list[str] | None = None, start: str | None = None,
               end: str | None = None) -> pd.DataFrame:
        wide = self._wide()
        if symbols is not None:
            wide = wide[[s for s in symbols if s in wide.columns]]
        wide = wide.loc[start:end]
        long = wide.stack().rename("adj_close").reset_index()
        long.columns = ["date", "symbol", "adj_close"]
        long = long.dropna(subset=["adj_close"])
        long["close"] = long["adj_close"]
        for col in BARS_COLUMNS:
            if col not in long.columns:
                long[col] = float("nan")
        return long[list(BARS_COLUMNS)]

    def holdings(self, etf: str) -> pd.DataFrame:
        return pd.DataFrame(columns=list(HOLDINGS_COLUMNS))

    def fundamentals(self, symbols: list[str]) -> pd.DataFrame:
        return pd.DataFrame(columns=list(FUNDAMENTALS_COLUMNS))
