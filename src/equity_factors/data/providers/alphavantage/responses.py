"""The response cache: every answer that cost a call, kept in the store and reused.

A free key has 25 calls a day. A fetch stopped by the daily cap, a kill or a crash must not
throw away what it paid for: every data answer (never a notice) is stored in ``api_responses``
keyed by function, symbol, parameters and the **trading day** (the latest US close, see
:func:`trading_day`), before it is used. A rerun on the same trading day takes the answer from
the store instead of calling again.

On a later trading day a price series can have new bars, so it is asked again. Split and
dividend lists (``SPLITS``, ``DIVIDENDS``) change rarely and are announced ahead: an answer is
reused while the prices it adjusts are at most :data:`EVENTS_REUSE_BUSDAYS` trading days newer
than the prices it was used with (the provider asks again at once if the raw prices jump like an
unknown split). ``--refresh`` never reads the cache. Price-series bodies of a symbol are dropped
once its bars are stored (the bars are the record then); entries older than
:data:`KEEP_DAYS` are pruned.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from equity_factors.data.store import Store, utc_now

PROVIDER = "alphavantage"
EVENT_FUNCTIONS = ("SPLITS", "DIVIDENDS")
EVENTS_REUSE_BUSDAYS = 5
KEEP_DAYS = 10


def trading_day(now: pd.Timestamp) -> str:
    """The trading day an answer fetched at ``now`` belongs to: the date of the latest weekday
    22:00 UTC at or before ``now`` (an hour after the US close, for the provider's update)."""
    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    stamp = now.normalize() + pd.Timedelta(hours=22)
    if stamp > now:
        stamp -= pd.Timedelta(days=1)
    while stamp.weekday() >= 5:
        stamp -= pd.Timedelta(days=1)
    return stamp.strftime("%Y-%m-%d")


def _key(params: Mapping[str, str]) -> tuple[str, str, str]:
    rest = {k: str(v) for k, v in params.items() if k not in ("function", "symbol", "apikey")}
    return (str(params.get("function", "")), str(params.get("symbol", "")),
            json.dumps(rest, sort_keys=True))


class ResponseCache:
    """Answers in ``store`` for trading day ``day``.

    Parameters
    ----------
    store : Store
    day : str
        The current trading day (:func:`trading_day`).
    read : bool
        False: only record (``--refresh``).
    """

    def __init__(self, store: Store, day: str, read: bool = True) -> None:
        self.store = store
        self.day = day
        self.read = read
        self.hits = 0
        self.saved = 0

    def get(self, params: Mapping[str, str], data_day: pd.Timestamp | None = None) -> str | None:
        """The stored answer to ``params`` of this trading day; for events with ``data_day``
        (the last date of the prices they will adjust), also an older answer used with prices
        at most :data:`EVENTS_REUSE_BUSDAYS` trading days older."""
        if not self.read:
            return None
        function, symbol, rest = _key(params)
        with self.store.connect() as conn:
            row = conn.execute(
                "SELECT body FROM api_responses WHERE provider = ? AND function = ? AND symbol = ? "
                "AND params = ? AND trading_day = ?",
                (PROVIDER, function, symbol, rest, self.day)).fetchone()
            if row is None and function in EVENT_FUNCTIONS and data_day is not None:
                oldest = np.busday_offset(pd.Timestamp(data_day).date(), -EVENTS_REUSE_BUSDAYS,
                                          roll="backward")
                row = conn.execute(
                    "SELECT body FROM api_responses WHERE provider = ? AND function = ? AND "
                    "symbol = ? AND params = ? AND data_day >= ? AND data_day <= ? "
                    "ORDER BY trading_day DESC LIMIT 1",
                    (PROVIDER, function, symbol, rest, str(oldest),
                     pd.Timestamp(data_day).strftime("%Y-%m-%d"))).fetchone()
        if row is None:
            return None
        self.hits += 1
        return zlib.decompress(row[0]).decode("utf-8")

    def put(self, params: Mapping[str, str], text: str,
            data_day: pd.Timestamp | None = None) -> None:
        """Keep an answer (replacing one of the same key and day)."""
        function, symbol, rest = _key(params)
        day = None if data_day is None else pd.Timestamp(data_day).strftime("%Y-%m-%d")
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO api_responses (provider, function, symbol, params, "
                "trading_day, data_day, body, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (PROVIDER, function, symbol, rest, self.day, day,
                 zlib.compress(text.encode("utf-8"), 6), utc_now()))
        self.saved += 1

    def forget_series(self, symbol: str) -> None:
        """Drop the price-series answers of ``symbol`` (its bars are stored now)."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM api_responses WHERE provider = ? AND symbol = ? AND "
                         "function LIKE 'TIME_SERIES%'", (PROVIDER, symbol))

    def cached_functions(self, symbols: list[str]) -> dict[str, set[str]]:
        """Per symbol, the functions with an answer usable now (this day, or recent events)."""
        if not self.read or not symbols:
            return {}
        oldest = (pd.Timestamp(self.day) - pd.Timedelta(days=7)).strftime("%Y-%m-%d")
        out: dict[str, set[str]] = {}
        with self.store.connect() as conn:
            for i in range(0, len(symbols), 900):
                chunk = symbols[i : i + 900]
                for function, symbol, day in conn.execute(
                    "SELECT function, symbol, trading_day FROM api_responses WHERE provider = ? "
                    f"AND trading_day >= ? AND symbol IN ({','.join('?' * len(chunk))})",
                        [PROVIDER, oldest, *chunk]):
                    if day == self.day or function in EVENT_FUNCTIONS:
                        out.setdefault(symbol, set()).add(function)
        return out

    def prune(self) -> None:
        """Delete answers older than :data:`KEEP_DAYS` days."""
        oldest = (pd.Timestamp(self.day) - pd.Timedelta(days=KEEP_DAYS)).strftime("%Y-%m-%d")
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM api_responses WHERE provider = ? AND trading_day < ?",
                         (PROVIDER, oldest))
