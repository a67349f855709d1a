"""Alpha Vantage as a data provider: daily bars (premium adjusted, or free + own adjustment),
ETF holdings, company overview, earnings, balance sheets and listing status.

Entitlements are detected from response bodies, never assumed: the first price call tries
TIME_SERIES_DAILY_ADJUSTED (premium); a premium notice switches this key to the free route
TIME_SERIES_DAILY + SPLITS + DIVIDENDS with our own CRSP adjustment (:mod:`.adjust`), and a
refused ``outputsize=full`` switches to ``compact`` (the latest 100 days). What was learnt is
remembered in the store under the key's salted hash and probed again after
:data:`REPROBE_DAYS` days (Alpha Vantage has moved endpoints between tiers before). While an
entitlement is unknown, one thread probes and the others wait, so no call is wasted.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from equity_factors.data import clock
from equity_factors.data.providers.alphavantage.adjust import adjusted_close
from equity_factors.data.providers.alphavantage.client import AlphaVantageClient
from equity_factors.data.providers.alphavantage.errors import PremiumRequired, SymbolNotFound
from equity_factors.data.providers.alphavantage.parse import (
    LISTING_HEADER,
    SERIES_KEY,
    Overview,
    align_events,
    parse_balance_sheet,
    parse_daily,
    parse_earnings,
    parse_etf_profile,
    parse_events,
    parse_listing_status,
    parse_overview,
)
from equity_factors.data.providers.alphavantage.state import ProviderState
from equity_factors.data.providers.alphavantage.symbols import api_symbol, canonical_symbol
from equity_factors.data.providers.base import BARS_COLUMNS, FUNDAMENTALS_COLUMNS

REPROBE_DAYS = 7


@dataclass(frozen=True)
class PriceResult:
    """Daily bars of one symbol as fetched.

    Attributes
    ----------
    frame : DataFrame of shape (n_days, 8)
        Ascending ``date`` index; open, high, low, close, adj_close, volume, dividend, split.
    last_refreshed : Timestamp or None
        The provider's latest date.
    full : bool
        Whether this is the full history (False: the latest 100 days).
    method : str
        "alphavantage" (premium adjusted close) or "crsp" (our adjustment of raw prices).
    dropped_partial : bool
        Whether a still-trading day's bar was left out.
    """

    frame: pd.DataFrame
    last_refreshed: pd.Timestamp | None
    full: bool
    method: str
    dropped_partial: bool = False


class AlphaVantageProvider:
    """The Alpha Vantage provider
    (implements :class:`~equity_factors.data.providers.base.Provider`).

    Parameters
    ----------
    client : AlphaVantageClient
    state : ProviderState, optional
        Where entitlements are remembered (None: this object only).
    key_id : str
        Salted hash of the key, to file the entitlements under.
    """

    name = "alphavantage"

    def __init__(self, client: AlphaVantageClient, state: ProviderState | None = None,
                 key_id: str = "local") -> None:
        self.client = client
        self.state = state
        self.key_id = key_id
        self._probe = threading.RLock()
        self.adjusted: bool | None = None  # premium TIME_SERIES_DAILY_ADJUSTED works
        self.full: bool | None = None  # outputsize=full works
        self._load_entitlements()

    # ------------------------------------------------------------------ entitlements
    def _load_entitlements(self) -> None:
        if self.state is None:
            return
        found = self.state.get(f"entitlements:{self.key_id}")
        if found is None:
            return
        value, updated = found
        age = datetime.fromtimestamp(clock.time(), UTC) - datetime.fromisoformat(updated)
        if age > timedelta(days=REPROBE_DAYS):
            return
        known = json.loads(value)
        self.adjusted, self.full = known.get("adjusted"), known.get("full")

    def _remember(self, **changes: bool) -> None:
        changed = False
        for name, value in changes.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed and self.state is not None:
            self.state.set(f"entitlements:{self.key_id}",
                           json.dumps({"adjusted": self.adjusted, "full": self.full}))

    @property
    def tier(self) -> str:
        """What was learnt about the key, for messages."""
        if self.adjusted:
            return "premium"
        if self.adjusted is False:
            return "free (own adjustment" + (", latest 100 days)" if self.full is False else ")")
        return "unknown"

    # ------------------------------------------------------------------ prices
    def daily_bars(self, symbol: str, full: bool = True) -> PriceResult:
        """Daily bars of ``symbol`` (canonical name), adjusted for splits and dividends.

        Raises
        ------
        SymbolNotFound, DailyLimitReached, Throttled, TransientFailure, InvalidApiKey
        """
        api = api_symbol(symbol)
        if self.adjusted is not False:
            result = self._premium(api, full)
            if result is not None:
                return result
        return self._free(api, full)

    def _series(self, function: str, api: str, full: bool) -> tuple[dict, bool]:
        """One time-series call; a refused ``outputsize=full`` is retried as compact."""
        probing = full and self.full is None
        if probing:
            self._probe.acquire()
        try:
            size = "full" if full and self.full is not False else "compact"
            try:
                payload = self.client.call(function, {"symbol": api, "outputsize": size},
                                           expect=(SERIES_KEY,))
            except PremiumRequired as exc:
                if size != "full" or not exc.parameter:
                    raise
                self._remember(full=False)
                size = "compact"
                payload = self.client.call(function, {"symbol": api, "outputsize": size},
                                           expect=(SERIES_KEY,))
            if size == "full":
                self._remember(full=True)
            return payload, size == "full"
        finally:
            if probing:
                self._probe.release()

    def _premium(self, api: str, full: bool) -> PriceResult | None:
        probing = self.adjusted is None
        if probing:
            self._probe.acquire()
        try:
            if self.adjusted is False:
                return None
            try:
                payload, got_full = self._series("TIME_SERIES_DAILY_ADJUSTED", api, full)
            except PremiumRequired as exc:
                if exc.parameter:
                    raise
                self._remember(adjusted=False)
                return None
            self._remember(adjusted=True)
        finally:
            if probing:
                self._probe.release()
        series = parse_daily(payload, adjusted=True)
        if series.frame.empty:
            raise SymbolNotFound("no daily prices in the answer", api)
        return PriceResult(series.frame, series.last_refreshed, got_full, "alphavantage",
                           series.dropped_partial)

    def _free(self, api: str, full: bool) -> PriceResult:
        payload, got_full = self._series("TIME_SERIES_DAILY", api, full)
        series = parse_daily(payload, adjusted=False)
        frame = series.frame
        if frame.empty:
            raise SymbolNotFound("no daily prices in the answer", api)
        last = frame.index.max()
        splits = self._events("SPLITS", api, "effective_date", "split_factor", last)
        if _unexplained_jump(frame["close"], align_events(frame.index, splits, "prod")):
            # raw prices jump like a split the (reused) answer does not list: ask again
            splits = self._events("SPLITS", api, "effective_date", "split_factor", last,
                                  cached=False)
        dividends = self._events("DIVIDENDS", api, "ex_dividend_date", "amount", last)
        frame["split"] = align_events(frame.index, splits, "prod")
        frame["dividend"] = align_events(frame.index, dividends, "sum")
        frame["adj_close"] = adjusted_close(frame)
        return PriceResult(frame, series.last_refreshed, got_full, "crsp",
                           series.dropped_partial)

    def _events(self, function: str, api: str, date_key: str, value_key: str,
                data_day: pd.Timestamp | None = None, cached: bool = True) -> pd.Series:
        try:
            payload = self.client.call(function, {"symbol": api}, expect=("data",),
                                       data_day=data_day, cached=cached)
        except SymbolNotFound:
            return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
        return parse_events(payload, date_key, value_key)

    # ------------------------------------------------------------------ holdings, fundamentals
    def etf_holdings(self, etf: str) -> pd.DataFrame | None:
        """ETF_PROFILE holdings (symbol, weight, description) or None when ``etf`` is no ETF.

        Raises
        ------
        PremiumRequired
            When ETF_PROFILE is refused for this key.
        """
        try:
            payload = self.client.call("ETF_PROFILE", {"symbol": api_symbol(etf)},
                                       expect=("holdings",))
        except SymbolNotFound:
            return None
        holdings = parse_etf_profile(payload)
        return None if holdings.empty else holdings

    def overview(self, symbol: str, fetched_on: pd.Timestamp) -> Overview | None:
        """OVERVIEW metadata and snapshot fundamentals (None when unknown)."""
        try:
            payload = self.client.call("OVERVIEW", {"symbol": api_symbol(symbol)},
                                       expect=("Symbol",))
        except SymbolNotFound:
            return None
        return parse_overview(payload, symbol, fetched_on)

    def earnings(self, symbol: str) -> pd.DataFrame:
        """EARNINGS quarterly, point in time (empty when unknown)."""
        try:
            payload = self.client.call("EARNINGS", {"symbol": api_symbol(symbol)},
                                       expect=("quarterlyEarnings", "annualEarnings"))
        except SymbolNotFound:
            return parse_earnings({}, symbol)
        return parse_earnings(payload, symbol)

    def balance_sheet(self, symbol: str) -> pd.DataFrame:
        """BALANCE_SHEET quarterly, point in time with the documented lag (empty when unknown)."""
        try:
            payload = self.client.call("BALANCE_SHEET", {"symbol": api_symbol(symbol)},
                                       expect=("quarterlyReports", "annualReports"))
        except SymbolNotFound:
            return parse_balance_sheet({}, symbol)
        return parse_balance_sheet(payload, symbol)

    def listing_status(self, state: str = "active", date: str | None = None) -> pd.DataFrame:
        """LISTING_STATUS (CSV) for ``state`` "active" or "delisted", optionally as of ``date``."""
        if state not in ("active", "delisted"):
            raise ValueError("state must be 'active' or 'delisted'")
        params = {"state": state}
        if date:
            params["date"] = pd.Timestamp(date).strftime("%Y-%m-%d")
        text = self.client.call("LISTING_STATUS", params, csv_header=LISTING_HEADER[:3])
        return parse_listing_status(text)

    # ------------------------------------------------------------------ Provider protocol
    def prices(self, symbols: list[str], start: str | None = None,
               end: str | None = None) -> pd.DataFrame:
        """Long bars (:data:`BARS_COLUMNS`) of ``symbols`` in [start, end]; unknown symbols are
        skipped. Not incremental: the fetch workflow is."""
        parts = []
        for raw in symbols:
            symbol = canonical_symbol(raw)
            try:
                frame = self.daily_bars(symbol, full=True).frame
            except SymbolNotFound:
                continue
            frame = frame.loc[start:end] if (start or end) else frame
            part = frame.reset_index()
            part.insert(1, "symbol", symbol)
            parts.append(part)
        if not parts:
            return pd.DataFrame(columns=list(BARS_COLUMNS))
        return pd.concat(parts, ignore_index=True)[list(BARS_COLUMNS)]

    def holdings(self, etf: str) -> pd.DataFrame:
        """Holdings (symbol, weight, as_of = today UTC) of ``etf``; empty when it is no ETF."""
        found = self.etf_holdings(etf)
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        if found is None:
            return pd.DataFrame(columns=["symbol", "weight", "as_of"])
        return found.assign(as_of=today)[["symbol", "weight", "as_of"]]

    def fundamentals(self, symbols: list[str]) -> pd.DataFrame:
        """OVERVIEW snapshot + EARNINGS + BALANCE_SHEET rows of ``symbols`` (point in time)."""
        today = pd.Timestamp(datetime.now(UTC).date())
        parts = []
        for raw in symbols:
            symbol = canonical_symbol(raw)
            ov = self.overview(symbol, today)
            if ov is not None:
                parts.append(ov.fundamentals)
            parts.append(self.earnings(symbol))
            parts.append(self.balance_sheet(symbol))
        parts = [p for p in parts if not p.empty]
        if not parts:
            return pd.DataFrame(columns=list(FUNDAMENTALS_COLUMNS))
        return pd.concat(parts, ignore_index=True)[list(FUNDAMENTALS_COLUMNS)]


def _unexplained_jump(close: pd.Series, split: pd.Series) -> bool:
    """Whether raw closes move by a split-like factor (x0.75 or x1.33 and beyond: a 3-for-2
    split is x0.67) on a day with no split listed: the sign that a reused SPLITS answer misses a
    new split. A false alarm costs one call."""
    ratio = (close / close.shift(1)).to_numpy(dtype=float)[1:]
    listed = np.asarray(split, dtype=float)[1:] != 1.0
    odd = ((ratio < 0.75) | (ratio > 1.0 / 0.75)) & ~listed
    return bool(odd.any())
