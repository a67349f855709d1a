"""A fake Alpha Vantage server: the reference's response shapes, synthetic data, switchable faults.

Run it for manual work against the real client::

    python -m equity_factors.testing.fake_alphavantage --port 8765
    ALPHAVANTAGE_BASE_URL=http://127.0.0.1:8765/query ALPHAVANTAGE_API_KEY=anything \\
        eqf --data-dir /tmp/eqf-fake data fetch --universe SPY

or in a test::

    with FakeAlphaVantage(n_stocks=40) as fake:
        fake.configure(premium=False, daily_cap=10)
        fake.push("burst", "drop:TIME_SERIES_DAILY")
        ... ALPHAVANTAGE_BASE_URL = fake.url ...
        fake.requests()  # what arrived: time, function, symbol, outcome (never the key)

What it serves (``GET /query``, HTTP 200, 4-space-indented JSON with string values, newest first;
CSV with CRLF line ends): TIME_SERIES_DAILY, TIME_SERIES_DAILY_ADJUSTED (``outputsize`` compact =
latest 100 days, or full; ``datatype=csv`` too), SPLITS, DIVIDENDS (with a declared future
dividend), OVERVIEW ("None" and "-" placeholders), EARNINGS, BALANCE_SHEET, ETF_PROFILE (weights
as fractions, a "n/a" cash line, ``BRK.B`` spelled with a dot) and LISTING_STATUS (CSV, active or
delisted, quoted names with commas). Data come from :func:`simulate_market` with more frequent
splits; tickers are ``BRK-B`` and three-letter codes, plus the ETFs ``SPY`` (every listed stock,
cap-weighted) and ``QQQ`` (the ten largest). Raw prices and dividends are rounded to 4 decimals;
the premium adjusted close is computed from those rounded values by the CRSP rule with a plain
loop (independent of the client's vectorised code) and printed with 8 decimals, so that a 1e-6
comparison tests the adjustment, not the rounding. ``as_of`` (default: the last simulated day)
moves "today" to simulate time passing; symbols not listed on that day answer like unknown ones.

Faults (constructor arguments, :meth:`configure`, or ``POST /control`` with a JSON object):
``premium`` (False: DAILY_ADJUSTED and ``outputsize=full`` refused with the premium texts),
``free_full`` (a free key may still use ``outputsize=full``, as until 2024), ``etf_premium``,
``valid_keys``, ``daily_cap`` (the 2024 daily notice, quoting the key, after N data answers),
``per_minute`` (the premium ``premium@`` notice above N calls in 60 s), ``burst_interval`` (the
free "spreading out" notice when calls come closer than that), ``unknown_symbols`` and
``unknown_style`` ("error": ``Invalid API call``; "empty": ``{}``), ``slow_seconds`` and
``partial_bar`` (a still-trading bar with an intraday Last Refreshed). One-shot faults are queued
with :meth:`push` (``POST /control/script``), optionally for one function (``"drop:SPLITS"``):
burst, minute, burst_pattern, note, daily, daily_early, premium, premium_full, demo, invalid_key,
invalid_call, empty, unknown_function, csv_notice, http503, slow, drop (connection closed
mid-body), garbage (cut-off JSON). ``GET /control/requests`` returns the request log and
``POST /control/reset`` clears it with the counters.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd

from equity_factors.data.synthetic import EventParams, SyntheticConfig, simulate_market
from equity_factors.testing._server import BackgroundServer

DOC = "https://www.alphavantage.co/documentation/"
PREMIUM = "https://www.alphavantage.co/premium/"
TEXTS: dict[str, str] = {
    "burst": ("Thank you for using Alpha Vantage! Please consider spreading out your free API "
              "requests more sparingly (1 request per second). You may subscribe to any of the "
              f"premium plans at {PREMIUM} to lift the free key rate limit (25 requests per day), "
              "raise the per-second burst limit, and instantly unlock all premium endpoints."),
    "minute": ("Thank you for using Alpha Vantage! Please contact premium@alphavantage.co if you "
               "are targeting a higher API call volume."),
    "burst_pattern": ("Burst pattern detected. Please consider spreading out your API requests "
                      "more evenly across a 1-minute window and query no more than 20 requests "
                      "per second."),
    "note": ("Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per "
             "minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if "
             "you would like to target a higher API call frequency."),
    "daily": ("We have detected your API key as {key} and our standard API rate limit is 25 "
              f"requests per day. Please subscribe to any of the premium plans at {PREMIUM} to "
              "instantly remove all daily rate limits."),
    "daily_early": ("Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests "
                    f"per day. Please subscribe to any of the premium plans at {PREMIUM} to "
                    "instantly remove all daily rate limits."),
    "premium": ("Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe "
                f"to any of the premium plans at {PREMIUM} to instantly unlock all premium "
                "endpoints"),
    "premium_full": ("Thank you for using Alpha Vantage! The outputsize=full parameter value is a "
                     "premium feature for the {function} endpoint. You may subscribe to any of the "
                     f"premium plans at {PREMIUM} to instantly unlock all premium features"),
    "demo": ("The **demo** API key is for demo purposes only. Please claim your free API key at "
             "(https://www.alphavantage.co/support/#api-key) to explore our full API offerings. "
             "It takes fewer than 20 seconds."),
    "invalid_key": ("the parameter apikey is invalid or missing. Please claim your free API key on "
                    "(https://www.alphavantage.co/support/#api-key). It should take less than 20 "
                    "seconds."),
    "invalid_call": f"Invalid API call. Please retry or visit the documentation ({DOC}) for "
                    "{function}.",
    "unknown_function": "This API function ({function}) does not exist.",
}
NOTICE_KEY = {"burst": "Information", "minute": "Information", "burst_pattern": "Information",
              "note": "Note", "daily": "Information", "daily_early": "Information",
              "premium": "Information", "premium_full": "Information", "demo": "Information",
              "invalid_key": "Error Message", "invalid_call": "Error Message",
              "unknown_function": "Error Message"}
SERIES_FUNCTIONS = ("TIME_SERIES_DAILY", "TIME_SERIES_DAILY_ADJUSTED")
SYMBOL_FUNCTIONS = (*SERIES_FUNCTIONS, "SPLITS", "DIVIDENDS", "OVERVIEW", "EARNINGS",
                    "BALANCE_SHEET", "ETF_PROFILE")
LISTING_HEADER = "symbol,name,exchange,assetType,ipoDate,delistingDate,status"
ETFS = ("SPY", "QQQ")
COMPACT = 100
CASH_WEIGHT = 0.0018


@dataclass
class FakeSettings:
    """The switchable behaviour (see the module docstring)."""

    premium: bool = True
    free_full: bool = False
    etf_premium: bool = False
    valid_keys: frozenset[str] | None = None
    daily_cap: int | None = None
    per_minute: int | None = None
    burst_interval: float | None = None
    unknown_symbols: frozenset[str] = frozenset()
    unknown_style: str = "error"
    slow_seconds: float = 1.0
    partial_bar: bool = False
    as_of: str | None = None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    drop: bool = False
    delay: float = 0.0
    outcome: str = "ok"


@dataclass
class _Ticker:
    symbol: str
    name: str
    sector: str
    first: int
    last: int
    short_format: bool
    beta: float
    is_etf: bool = False
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def _ticker_code(i: int) -> str:
    """0 -> 'BRK-B'; then 'BAA', 'BAB', ... (three letters)."""
    if i == 0:
        return "BRK-B"
    k = i + 675  # 3-letter codes from "BAA"
    letters = ""
    while k:
        k, r = divmod(k, 26)
        letters = chr(65 + r) + letters
    return letters.rjust(3, "A")


def crsp_adjusted_close(close: np.ndarray, dividend: np.ndarray, split: np.ndarray) -> np.ndarray:
    """CRSP backward adjustment with a plain loop (the fake's own code, an oracle for tests)."""
    n = len(close)
    out = np.empty(n)
    factor = 1.0
    for i in range(n - 1, -1, -1):
        out[i] = close[i] * factor
        if i > 0:
            step = 1.0 / split[i]
            if dividend[i] > 0 and dividend[i] < close[i - 1]:
                step *= 1.0 - dividend[i] / close[i - 1]
            factor *= step
    return out


def _fmt(value: float, short: bool = False, places: int = 4) -> str:
    text = f"{value:.{places}f}"
    if short:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    return text


class FakeMarketData:
    """The data behind the fake: synthetic prices per ticker, rounded as served."""

    def __init__(self, n_stocks: int = 40, n_days: int = 400, seed: int = 11,
                 split_rate: float = 0.6) -> None:
        market = simulate_market(SyntheticConfig(
            n_stocks=max(20, n_stocks), n_days=n_days, seed=seed, start="2022-01-03",
            events=replace(EventParams(), random_split_rate=split_rate,
                           random_split_min_price=20.0)))
        self.dates = pd.DatetimeIndex(market.prices["close"].index)
        close = market.prices["close"]
        self.tickers: dict[str, _Ticker] = {}
        fundamentals = market.fundamentals
        self._fund: dict[str, pd.DataFrame] = {}
        securities = market.securities.set_index("symbol")
        betas = market.truth.static_loadings["market"]
        for i, sym in enumerate(close.columns):
            valid = np.flatnonzero(close[sym].notna().to_numpy())
            code = _ticker_code(i)
            name = str(securities.at[sym, "name"])
            if i % 5 == 2 and name.endswith(" Inc."):
                name = name[: -len(" Inc.")] + ", Inc."
            t = _Ticker(code, name, str(securities.at[sym, "sector"]), int(valid[0]),
                        int(valid[-1]), i % 3 == 1, float(betas[sym]))
            for f in ("open", "high", "low", "close", "dividend"):
                t.arrays[f] = np.round(market.prices[f][sym].to_numpy(float), 4)
            t.arrays["split"] = market.prices["split"][sym].to_numpy(float)
            t.arrays["volume"] = np.nan_to_num(market.prices["volume"][sym].to_numpy(float))
            t.arrays["dividend"] = np.nan_to_num(t.arrays["dividend"])
            t.arrays["split"] = np.where(np.isnan(t.arrays["split"]), 1.0, t.arrays["split"])
            self.tickers[code] = t
            self._fund[code] = fundamentals[fundamentals["symbol"] == sym]
        # ETF prices: an equal-weighted index of the listed stocks.
        rets = market.prices["adj_close"].pct_change(fill_method=None).mean(axis=1).fillna(0.0)
        level = np.round(400.0 * np.cumprod(1.0 + rets.to_numpy()), 4)
        for k, etf in enumerate(ETFS):
            t = _Ticker(etf, f"{etf} ETF TRUST", "", 0, len(self.dates) - 1, False, 1.0, True)
            scale = 1.0 if k == 0 else 0.9
            t.arrays = {"open": level * scale, "high": level * scale, "low": level * scale,
                        "close": level * scale, "volume": np.full(len(level), 5e7),
                        "dividend": np.zeros(len(level)), "split": np.ones(len(level))}
            self.tickers[etf] = t
        self._adjusted: dict[tuple[str, int], np.ndarray] = {}

    # ------------------------------------------------------------------ queries
    def as_of_index(self, as_of: str | None) -> int:
        if as_of is None:
            return len(self.dates) - 1
        pos = int(self.dates.searchsorted(pd.Timestamp(as_of), side="right")) - 1
        return max(pos, 0)

    def alive(self, symbol: str, t: int) -> bool:
        tk = self.tickers.get(symbol)
        return tk is not None and tk.first <= t and tk.last >= t

    def stocks(self, t: int) -> list[str]:
        """Stock tickers listed on day ``t``."""
        return [s for s, tk in self.tickers.items() if not tk.is_etf and self.alive(s, t)]

    def adjusted(self, symbol: str, t: int) -> np.ndarray:
        key = (symbol, t)
        if key not in self._adjusted:
            tk = self.tickers[symbol]
            a = tk.arrays
            sl = slice(tk.first, t + 1)
            self._adjusted[key] = crsp_adjusted_close(a["close"][sl], a["dividend"][sl],
                                                      a["split"][sl])
        return self._adjusted[key]

    def series(self, symbol: str, as_of: str | None = None) -> pd.DataFrame:
        """What the fake serves for ``symbol`` as of ``as_of`` (ascending; rounded values and the
        premium adjusted close), for tests to compare the store with."""
        t = self.as_of_index(as_of)
        tk = self.tickers[symbol]
        sl = slice(tk.first, t + 1)
        out = pd.DataFrame({f: tk.arrays[f][sl] for f in ("open", "high", "low", "close",
                                                          "volume", "dividend", "split")},
                           index=pd.DatetimeIndex(self.dates[sl], name="date"))
        out["adj_close"] = self.adjusted(symbol, t)
        return out

    def cap(self, symbol: str, t: int) -> float:
        shares = self.shares(symbol, t)
        return shares * self.tickers[symbol].arrays["close"][t]

    def fundamentals(self, symbol: str, t: int) -> pd.DataFrame:
        frame = self._fund.get(symbol)
        if frame is None or frame.empty:
            return pd.DataFrame(columns=["field", "period_end", "reported_date", "value"])
        return frame[frame["reported_date"] <= self.dates[t]]

    def shares(self, symbol: str, t: int) -> float:
        frame = self._fund.get(symbol)
        if frame is None or frame.empty:
            return 1e7
        known = self.fundamentals(symbol, t)
        rows = known[known["field"] == "shares_outstanding"]
        if rows.empty:
            rows = frame[frame["field"] == "shares_outstanding"]
        return float(rows["value"].iloc[-1])

    def holdings(self, etf: str, t: int) -> list[tuple[str, float, str]]:
        stocks = self.stocks(t)
        caps = {s: self.cap(s, t) for s in stocks}
        chosen = sorted(stocks, key=lambda s: -caps[s])
        if etf == "QQQ":
            chosen = chosen[:10]
        total = sum(caps[s] for s in chosen)
        return [(s, caps[s] / total * (1.0 - CASH_WEIGHT), self.tickers[s].name)
                for s in chosen]


class FakeAlphaVantage(BackgroundServer):
    """The fake server (threads; port 0 picks a free port). See the module docstring.

    Parameters
    ----------
    n_stocks, n_days, seed : int
        Size of the synthetic market (ignored when ``data`` is given).
    data : FakeMarketData, optional
        Share one market between servers.
    host, port : where to listen (127.0.0.1, 0 = a free port).
    **settings
        Initial :class:`FakeSettings` values.
    """

    thread_name = "fake-alphavantage"

    def __init__(self, n_stocks: int = 40, n_days: int = 400, seed: int = 11, *,
                 data: FakeMarketData | None = None, host: str = "127.0.0.1", port: int = 0,
                 **settings: Any) -> None:
        self.data = data or FakeMarketData(n_stocks, n_days, seed)
        self.settings = FakeSettings()
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._script: deque[tuple[str, str | None]] = deque()
        self._served = 0
        self._recent: deque[float] = deque()
        self._last_time = 0.0
        self.configure(**settings)
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to put in ALPHAVANTAGE_BASE_URL."""
        return f"http://{self._server.server_address[0]}:{self.port}/query"

    # ------------------------------------------------------------------ control
    def configure(self, **changes: Any) -> None:
        """Change settings (names of :class:`FakeSettings`)."""
        known = {f.name for f in fields(FakeSettings)}
        bad = set(changes) - known
        if bad:
            raise ValueError(f"unknown fake settings {sorted(bad)}; valid: {sorted(known)}")
        for name in ("valid_keys", "unknown_symbols"):
            if changes.get(name) is not None:
                changes[name] = frozenset(changes[name])
        with self._lock:
            self.settings = replace(self.settings, **changes)

    def push(self, *faults: str) -> None:
        """Queue one-shot faults, ``"name"`` or ``"name:FUNCTION"``, applied in order."""
        with self._lock:
            for item in faults:
                name, _, function = item.partition(":")
                self._script.append((name, function or None))

    def reset(self) -> None:
        """Clear the request log, the one-shot queue and the call counters."""
        with self._lock:
            self._log.clear()
            self._script.clear()
            self._served = 0
            self._recent.clear()
            self._last_time = 0.0

    def calls(self, outcome: str | None = "ok") -> dict[tuple[str, str, str], int]:
        """Calls per (function, symbol, outputsize), counting only ``outcome`` ("ok": data
        answers; None: every request)."""
        counts: dict[tuple[str, str, str], int] = {}
        for r in self.requests():
            if outcome is None or r["outcome"] == outcome:
                key = (r["function"], r["symbol"], r["outputsize"])
                counts[key] = counts.get(key, 0) + 1
        return counts

    def requests(self) -> list[dict[str, Any]]:
        """The request log: t (arrival, epoch seconds), function, symbol, outputsize, outcome."""
        with self._lock:
            return [dict(r) for r in self._log]

    # ------------------------------------------------------------------ dispatch
    def handle_query(self, params: dict[str, str]) -> _Reply:
        now = time.time()
        function = params.get("function", "").upper()
        symbol = params.get("symbol", "")
        key = params.get("apikey", "")
        with self._lock:
            s = self.settings
            entry = {"t": now, "function": function, "symbol": symbol,
                     "outputsize": params.get("outputsize", ""), "state": params.get("state", ""),
                     "outcome": "ok"}
            self._log.append(entry)
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - 60.0:
                self._recent.popleft()
            gap = now - self._last_time
            self._last_time = now
            fault = None
            for i, (name, only) in enumerate(self._script):
                if only is None or only == function:
                    fault = name
                    del self._script[i]
                    break
            slow_or_drop = fault if fault in ("slow", "drop") else None
            reply = self._gate(s, function, key, None if slow_or_drop else fault, gap)
            if reply is None:
                reply = self._dispatch(s, function, symbol, params)
                if reply.outcome == "ok":
                    self._served += 1
                if slow_or_drop is not None:  # the right body, late or cut off
                    reply = replace(reply, drop=slow_or_drop == "drop", outcome=slow_or_drop,
                                    delay=s.slow_seconds if slow_or_drop == "slow" else 0.0)
            entry["outcome"] = reply.outcome
        return reply

    def _gate(self, s: FakeSettings, function: str, key: str, fault: str | None,
              gap: float) -> _Reply | None:
        if not key or (s.valid_keys is not None and key not in s.valid_keys and key != "demo"):
            return self._notice("invalid_key", function)
        if key == "demo":
            return self._notice("demo", function)
        if fault is not None:
            return self._fault(fault, function, key)
        if s.daily_cap is not None and self._served >= s.daily_cap:
            return self._notice("daily", function, key)
        if s.per_minute is not None and len(self._recent) > s.per_minute:
            return self._notice("minute", function)
        if s.burst_interval is not None and gap < s.burst_interval:
            return self._notice("burst", function)
        return None

    def _notice(self, name: str, function: str, key: str = "") -> _Reply:
        text = TEXTS[name].format(function=function or "?", key=key)
        return _Reply(200, _json({NOTICE_KEY[name]: text}), outcome=name)

    def _fault(self, name: str, function: str, key: str) -> _Reply:
        if name in TEXTS:
            return self._notice(name, function, key)
        if name == "empty":
            return _Reply(200, _json({}), outcome="empty")
        if name == "csv_notice":
            header = LISTING_HEADER.split(",")
            letters = ",".join(list("Information")[: len(header)])
            return _Reply(200, f"{LISTING_HEADER}\r\n{letters}\r\n".encode(), "text/csv",
                          outcome="csv_notice")
        if name == "http503":
            return _Reply(503, b"<html><body>503 Service Unavailable</body></html>",
                          "text/html", outcome="http503")
        if name == "garbage":
            return _Reply(200, b'{\n    "Meta Data": {\n        "1. Inform', outcome="garbage")
        raise ValueError(f"unknown fault {name!r}")

    def _dispatch(self, s: FakeSettings, function: str, symbol: str,
                  params: dict[str, str]) -> _Reply:
        t = self.data.as_of_index(s.as_of)
        if function == "LISTING_STATUS":
            return self._listing(params, s)
        if function not in SYMBOL_FUNCTIONS:
            return self._notice("unknown_function", function)
        sym = symbol.upper()
        known = self.data.alive(sym, t) and sym not in s.unknown_symbols
        if function in SERIES_FUNCTIONS:
            size = params.get("outputsize", "compact").lower()
            if not s.premium and function == "TIME_SERIES_DAILY_ADJUSTED":
                return self._notice("premium", function)
            if not s.premium and size == "full" and not s.free_full:
                return self._notice("premium_full", function)
            if not known:
                if s.unknown_style == "empty":
                    return _Reply(200, _json({}), outcome="not_found")
                return replace(self._notice("invalid_call", function), outcome="not_found")
            body = self._series(sym, function.endswith("ADJUSTED"), size, s)
            if params.get("datatype", "json").lower() == "csv":
                return _Reply(200, _series_csv(body), "text/csv")
            return _Reply(200, _json(body))
        if function == "ETF_PROFILE" and s.etf_premium and not s.premium:
            return self._notice("premium", function)
        if not known or (function == "ETF_PROFILE") != self.data.tickers[sym].is_etf:
            if function in ("SPLITS", "DIVIDENDS") and known:
                return _Reply(200, _json({"symbol": sym, "data": []}))
            return _Reply(200, _json({}), outcome="not_found")
        build = {"SPLITS": self._splits, "DIVIDENDS": self._dividends,
                 "OVERVIEW": self._overview, "EARNINGS": self._earnings,
                 "BALANCE_SHEET": self._balance_sheet, "ETF_PROFILE": self._etf}[function]
        return _Reply(200, _json(build(sym, t)))

    # ------------------------------------------------------------------ bodies
    def _series(self, sym: str, adjusted: bool, size: str, s: FakeSettings) -> dict[str, Any]:
        t = self.data.as_of_index(s.as_of)
        tk = self.data.tickers[sym]
        a = tk.arrays
        adj = self.data.adjusted(sym, t)
        days = list(range(tk.first, t + 1))
        if size != "full":
            days = days[-COMPACT:]
        rows: dict[str, dict[str, str]] = {}
        short = tk.short_format
        last_refreshed = self.data.dates[t].strftime("%Y-%m-%d")
        if s.partial_bar and t + 1 < len(self.data.dates):
            day = self.data.dates[t + 1]
            price = _fmt(a["close"][t] * 1.01, short)
            bar = {"1. open": price, "2. high": price, "3. low": price, "4. close": price}
            if adjusted:
                bar.update({"5. adjusted close": price, "6. volume": "1000",
                            "7. dividend amount": "0.0000", "8. split coefficient": "1.0"})
            else:
                bar["5. volume"] = "1000"
            rows[day.strftime("%Y-%m-%d")] = bar
            last_refreshed = day.strftime("%Y-%m-%d") + " 11:31:07"
        for i in reversed(days):
            bar = {"1. open": _fmt(a["open"][i], short), "2. high": _fmt(a["high"][i], short),
                   "3. low": _fmt(a["low"][i], short), "4. close": _fmt(a["close"][i], short)}
            if adjusted:
                bar["5. adjusted close"] = _fmt(adj[i - tk.first], places=8)
                bar["6. volume"] = str(int(a["volume"][i]))
                bar["7. dividend amount"] = _fmt(a["dividend"][i], short)
                bar["8. split coefficient"] = _fmt(a["split"][i], short)
            else:
                bar["5. volume"] = str(int(a["volume"][i]))
            rows[self.data.dates[i].strftime("%Y-%m-%d")] = bar
        info = ("Daily Time Series with Splits and Dividend Events" if adjusted
                else "Daily Prices (open, high, low, close) and Volumes")
        return {"Meta Data": {"1. Information": info, "2. Symbol": sym,
                              "3. Last Refreshed": last_refreshed,
                              "4. Output Size": "Full size" if size == "full" else "Compact",
                              "5. Time Zone": "US/Eastern"},
                "Time Series (Daily)": rows}

    def _splits(self, sym: str, t: int) -> dict[str, Any]:
        tk = self.data.tickers[sym]
        rows = [{"effective_date": self.data.dates[i].strftime("%Y-%m-%d"),
                 "split_factor": _fmt(tk.arrays["split"][i])}
                for i in range(t, tk.first - 1, -1) if tk.arrays["split"][i] != 1.0]
        return {"symbol": sym, "data": rows}

    def _dividends(self, sym: str, t: int) -> dict[str, Any]:
        tk = self.data.tickers[sym]
        days = [i for i in range(t, tk.first - 1, -1) if tk.arrays["dividend"][i] > 0]
        rows = []
        # Dividends are declared weeks ahead: those of the next 15 trading days are listed
        # (newest first) as the real service lists declared ones.
        ahead = [i for i in range(min(t + 15, len(self.data.dates) - 1), t, -1)
                 if tk.arrays["dividend"][i] > 0]
        for i in ahead:
            rows.append(_dividend_row(self.data.dates[i], tk.arrays["dividend"][i], declared=True))
        if days and not ahead:  # a declared dividend with a future ex-date
            future = self.data.dates[t] + pd.offsets.BDay(15)
            rows.append(_dividend_row(future, tk.arrays["dividend"][days[0]], declared=True))
        for i in days:
            old = t - i > 200
            rows.append(_dividend_row(self.data.dates[i], tk.arrays["dividend"][i],
                                      declared=not old))
        return {"symbol": sym, "data": rows}

    def _overview(self, sym: str, t: int) -> dict[str, Any]:
        tk = self.data.tickers[sym]
        price = tk.arrays["close"][t]
        known = self.data.fundamentals(sym, t)
        latest = known[known["period_end"] == known["period_end"].max()] if len(known) else known
        values = dict(zip(latest["field"], latest["value"], strict=False))
        shares = self.data.shares(sym, t)
        cap = shares * price
        bm = values.get("book_to_market")
        ey = values.get("earnings_yield")
        eps = ey * price if ey is not None else None
        book = bm * cap / shares if bm is not None else None
        loss = eps is not None and eps <= 0
        div = tk.arrays["dividend"][max(tk.first, t - 70): t + 1].sum()

        def num(v: float | None, places: int = 2) -> str:
            return "None" if v is None or not np.isfinite(v) else f"{v:.{places}f}"

        return {
            "Symbol": sym, "AssetType": "Common Stock", "Name": tk.name,
            "Description": f"{tk.name} is a synthetic company.", "CIK": str(100000 + len(sym)),
            "Exchange": "NYSE", "Currency": "USD", "Country": "USA",
            "Sector": tk.sector.upper(), "Industry": f"{tk.sector} services".upper(),
            "Address": "1 MAIN ST, SPRINGFIELD, USA", "OfficialSite": "None",
            "FiscalYearEnd": "December",
            "LatestQuarter": (latest["period_end"].iloc[0].strftime("%Y-%m-%d") if len(latest)
                              else "None"),
            "MarketCapitalization": str(int(cap)), "EBITDA": "None",
            "PERatio": "None" if eps is None or loss else num(price / eps),
            "PEGRatio": "None", "BookValue": num(book), "DividendPerShare": num(div, 4),
            "DividendYield": num(div / price, 4) if div > 0 else "0",
            "EPS": num(eps), "RevenuePerShareTTM": "None", "ProfitMargin": "None",
            "OperatingMarginTTM": "None", "ReturnOnAssetsTTM": "None",
            "ReturnOnEquityTTM": "None" if book in (None, 0) or eps is None else num(eps / book, 4),
            "RevenueTTM": "None", "GrossProfitTTM": "None", "DilutedEPSTTM": num(eps),
            "QuarterlyEarningsGrowthYOY": "None", "QuarterlyRevenueGrowthYOY": "None",
            "AnalystTargetPrice": "None", "AnalystRatingStrongBuy": "-" if loss else "3",
            "AnalystRatingBuy": "-" if loss else "5", "AnalystRatingHold": "-" if loss else "4",
            "AnalystRatingSell": "-" if loss else "1",
            "AnalystRatingStrongSell": "-" if loss else "0",
            "TrailingPE": "-" if eps is None or loss else num(price / eps),
            "ForwardPE": "-", "PriceToSalesRatioTTM": "None",
            "PriceToBookRatio": "None" if not bm else num(1.0 / bm, 3),
            "EVToRevenue": "-", "EVToEBITDA": "-", "Beta": num(tk.beta, 3),
            "52WeekHigh": num(tk.arrays["high"][max(tk.first, t - 251): t + 1].max()),
            "52WeekLow": num(tk.arrays["low"][max(tk.first, t - 251): t + 1].min()),
            "50DayMovingAverage": num(tk.arrays["close"][max(tk.first, t - 49): t + 1].mean()),
            "200DayMovingAverage": num(tk.arrays["close"][max(tk.first, t - 199): t + 1].mean()),
            "SharesOutstanding": str(int(shares)), "SharesFloat": "None",
            "PercentInsiders": "None", "PercentInstitutions": "None",
            "DividendDate": "None", "ExDividendDate": "None",
        }

    def _quarters(self, sym: str, t: int) -> list[tuple[pd.Timestamp, pd.Timestamp, dict]]:
        known = self.data.fundamentals(sym, t)
        out = []
        for (period, reported), group in known.groupby(["period_end", "reported_date"]):
            out.append((pd.Timestamp(period), pd.Timestamp(reported),
                        dict(zip(group["field"], group["value"], strict=False))))
        return sorted(out, key=lambda q: q[0], reverse=True)

    def _price_at(self, sym: str, day: pd.Timestamp) -> float:
        tk = self.data.tickers[sym]
        pos = int(self.data.dates.searchsorted(day, side="right")) - 1
        pos = min(max(pos, tk.first), tk.last)
        return float(tk.arrays["close"][pos])

    def _earnings(self, sym: str, t: int) -> dict[str, Any]:
        quarterly: list[dict[str, Any]] = []
        annual: dict[str, Any] = {}
        for k, (period, reported, v) in enumerate(self._quarters(sym, t)):
            eps = v.get("earnings_yield", 0.0) * self._price_at(sym, period) / 4.0
            estimate = None if k % 5 == 3 else round(eps * 0.98, 2)
            quarterly.append({
                "fiscalDateEnding": period.strftime("%Y-%m-%d"),
                "reportedDate": reported.strftime("%Y-%m-%d"),
                "reportedEPS": f"{eps:.2f}",
                "estimatedEPS": "None" if estimate is None else f"{estimate:.2f}",
                "surprise": "None" if estimate is None else f"{round(eps, 2) - estimate:.2f}",
                "surprisePercentage": ("None" if estimate in (None, 0) else
                                       f"{(round(eps, 2) - estimate) / abs(estimate) * 100:.4f}"),
                "reportTime": "post-market" if k % 2 == 0 else "pre-market",
            })
            annual.setdefault(period.year, 0.0)
            annual[period.year] += round(eps, 2)
        return {"symbol": sym,
                "annualEarnings": [{"fiscalDateEnding": f"{y}-12-31", "reportedEPS": f"{e:.2f}"}
                                   for y, e in sorted(annual.items(), reverse=True)],
                "quarterlyEarnings": quarterly}

    def _balance_sheet(self, sym: str, t: int) -> dict[str, Any]:
        reports = []
        for k, (period, _, v) in enumerate(self._quarters(sym, t)):
            equity = v.get("book_to_market", 0.5) * v.get("market_cap", 0.0)
            reports.append({
                "fiscalDateEnding": period.strftime("%Y-%m-%d"), "reportedCurrency": "USD",
                "totalAssets": str(int(2.5 * equity)),
                "totalCurrentAssets": str(int(0.8 * equity)),
                "cashAndCashEquivalentsAtCarryingValue": "None" if k % 4 == 1 else
                str(int(0.2 * equity)),
                "inventory": "None", "goodwill": "None",
                "totalLiabilities": str(int(1.5 * equity)),
                "totalCurrentLiabilities": str(int(0.6 * equity)),
                "longTermDebt": str(int(0.7 * equity)), "shortTermDebt": "None",
                "retainedEarnings": str(int(0.4 * equity)),
                "totalShareholderEquity": str(int(equity)),
                "commonStockSharesOutstanding": str(int(v.get("shares_outstanding", 0.0))),
            })
        return {"symbol": sym, "annualReports": [r for r in reports
                                                 if r["fiscalDateEnding"].endswith("12-31")],
                "quarterlyReports": reports}

    def _etf(self, sym: str, t: int) -> dict[str, Any]:
        holdings = []
        for k, (s, w, name) in enumerate(self.data.holdings(sym, t)):
            holdings.append({"symbol": s.replace("-", ".") if s == "BRK-B" else s,
                             "description": "n/a" if k % 7 == 6 else name.upper(),
                             "weight": f"{w:.6f}"})
        holdings.append({"symbol": "n/a", "description": "CASH", "weight": f"{CASH_WEIGHT:.4f}"})
        return {"net_assets": "385800000000", "net_expense_ratio": "0.0009",
                "portfolio_turnover": "0.02", "dividend_yield": "0.0121",
                "inception_date": "1993-01-22", "leveraged": "NO",
                "sectors": [{"sector": "INFORMATION TECHNOLOGY", "weight": "0.31"}],
                "holdings": holdings}

    def _listing(self, params: dict[str, str], s: FakeSettings) -> _Reply:
        state = params.get("state", "active").lower()
        t = self.data.as_of_index(params.get("date") or s.as_of)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(LISTING_HEADER.split(","))
        for sym in sorted(self.data.tickers):
            tk = self.data.tickers[sym]
            if tk.first > t:
                continue
            delisted = tk.last < t
            if (state == "delisted") != delisted:
                continue
            writer.writerow([sym, tk.name, "NYSE ARCA" if tk.is_etf else "NYSE",
                             "ETF" if tk.is_etf else "Stock",
                             self.data.dates[tk.first].strftime("%Y-%m-%d"),
                             self.data.dates[tk.last].strftime("%Y-%m-%d") if delisted else "null",
                             "Delisted" if delisted else "Active"])
        return _Reply(200, out.getvalue().encode(), "text/csv")


def _dividend_row(day: pd.Timestamp, amount: float, declared: bool) -> dict[str, str]:
    def d(offset: int) -> str:
        return (day + pd.Timedelta(days=offset)).strftime("%Y-%m-%d") if declared else "None"

    return {"ex_dividend_date": day.strftime("%Y-%m-%d"), "declaration_date": d(-20),
            "record_date": d(0), "payment_date": d(30), "amount": _fmt(amount)}


def _json(obj: Any) -> bytes:
    return json.dumps(obj, indent=4).encode()


def _series_csv(body: dict[str, Any]) -> bytes:
    rows = body["Time Series (Daily)"]
    first: dict[str, Any] = next(iter(rows.values()), {})
    names = [k.split(". ", 1)[1].replace(" ", "_") for k in first]
    lines = [",".join(["timestamp", *names])]
    lines += [",".join([day, *bar.values()]) for day, bar in rows.items()]
    return ("\r\n".join(lines) + "\r\n").encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: no stderr noise
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - never log URLs (keys)
        pass

    @property
    def fake(self) -> FakeAlphaVantage:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        url = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if url.path == "/query":
                self._send(self.fake.handle_query(params))
            elif url.path == "/control/requests":
                self._send(_Reply(200, _json(self.fake.requests())))
            elif url.path == "/control":
                self._send(_Reply(200, _json(_settings_json(self.fake.settings))))
            else:
                self._send(_Reply(404, b"not found", "text/plain"))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        try:
            if url.path == "/control":
                self.fake.configure(**payload)
            elif url.path == "/control/script":
                self.fake.push(*payload.get("faults", []))
            elif url.path == "/control/reset":
                self.fake.reset()
            else:
                self._send(_Reply(404, b"not found", "text/plain"))
                return
            self._send(_Reply(200, _json({"ok": True})))
        except ValueError as exc:
            self._send(_Reply(400, _json({"error": str(exc)})))

    def _send(self, reply: _Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.drop:
            self.wfile.write(reply.body[: max(1, len(reply.body) // 3)])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(reply.body)


def _settings_json(settings: FakeSettings) -> dict[str, Any]:
    out = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name == "valid_keys":
            value = None if value is None else len(value)  # how many, never which
        elif isinstance(value, frozenset):
            value = sorted(value)
        out[f.name] = value
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m equity_factors.testing.fake_alphavantage``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m equity_factors.testing.fake_alphavantage",
                                     description="A fake Alpha Vantage server on 127.0.0.1 for "
                                                 "running eqf without a key or network.")
    parser.add_argument("--port", type=int, default=8765, help="port (0: a free one)")
    parser.add_argument("--stocks", type=int, default=60, help="synthetic stocks (>= 20)")
    parser.add_argument("--days", type=int, default=500, help="business days of history")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--free", action="store_true",
                        help="behave as for a free key (no DAILY_ADJUSTED, no outputsize=full)")
    parser.add_argument("--daily-cap", type=int, default=None, help="daily notice after N calls")
    parser.add_argument("--per-minute", type=int, default=None,
                        help="per-minute notice above N calls in 60 s")
    parser.add_argument("--burst-interval", type=float, default=None,
                        help="burst notice when calls come closer than this many seconds")
    args = parser.parse_args(argv)
    fake = FakeAlphaVantage(args.stocks, args.days, args.seed, port=args.port,
                            premium=not args.free, daily_cap=args.daily_cap,
                            per_minute=args.per_minute, burst_interval=args.burst_interval)
    fake.start()
    print(f"fake Alpha Vantage serving {len(fake.data.tickers)} symbols on {fake.url}")
    print(f"  export ALPHAVANTAGE_BASE_URL={fake.url} ALPHAVANTAGE_API_KEY=anything")
    print("  eqf --data-dir /tmp/eqf-fake data fetch --universe SPY      (Ctrl-C stops the server)",
          flush=True)
    fake.serve_until_interrupted()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
