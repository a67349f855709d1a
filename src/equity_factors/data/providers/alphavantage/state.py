"""What the provider remembers in the store: salt, entitlements, per-symbol outcomes.

Everything goes through :class:`~equity_factors.data.store.Store` connections (one short
transaction per operation). The API key is never written: entitlements are remembered under a
salted HMAC of it, with a random salt kept in the store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from equity_factors.data.store import Store, utc_now

PROVIDER = "alphavantage"
_CHUNK = 900


@dataclass(frozen=True)
class SymbolState:
    """The last recorded outcome of one symbol."""

    symbol: str
    status: str
    reason: str | None
    checked_at: pd.Timestamp | None
    fetched_at: pd.Timestamp | None
    last_refreshed: pd.Timestamp | None
    history_start: pd.Timestamp | None
    fundamentals_at: pd.Timestamp | None


def _ts(value: object) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp.tz_localize("UTC")


class ProviderState:
    """Provider state in ``store`` (tables ``provider_state`` and ``provider_symbols``)."""

    def __init__(self, store: Store, provider: str = PROVIDER) -> None:
        self.store = store
        self.provider = provider
        self._salt: bytes | None = None

    # ------------------------------------------------------------------ key-value
    def get(self, name: str) -> tuple[str, str] | None:
        """(value, updated_at) of ``name`` or None."""
        with self.store.connect() as conn:
            row = conn.execute("SELECT value, updated_at FROM provider_state WHERE provider = ? "
                               "AND name = ?", (self.provider, name)).fetchone()
        return None if row is None else (row[0], row[1])

    def set(self, name: str, value: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO provider_state "
                         "(provider, name, value, updated_at) "
                         "VALUES (?, ?, ?, ?)", (self.provider, name, value, utc_now()))

    def salt(self) -> bytes:
        """A random salt created once per store."""
        if self._salt is None:
            with self.store.transaction() as conn:
                conn.execute("INSERT OR IGNORE INTO provider_state (provider, name, value, "
                             "updated_at) VALUES (?, 'salt', ?, ?)",
                             (self.provider, secrets.token_hex(16), utc_now()))
                row = conn.execute("SELECT value FROM provider_state WHERE provider = ? AND "
                                   "name = 'salt'", (self.provider,)).fetchone()
            self._salt = bytes.fromhex(row[0])
        return self._salt

    def key_id(self, key: str) -> str:
        """Salted HMAC-SHA256 of the key (32 hex characters): what the store records."""
        return key_id(key, self.salt())

    # ------------------------------------------------------------------ symbols
    def symbols(self, symbols: Sequence[str]) -> dict[str, SymbolState]:
        out: dict[str, SymbolState] = {}
        symbols = list(dict.fromkeys(symbols))
        with self.store.connect() as conn:
            for i in range(0, len(symbols), _CHUNK):
                chunk = symbols[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(
                    "SELECT symbol, status, reason, checked_at, fetched_at, last_refreshed, "
                    "history_start, fundamentals_at FROM provider_symbols WHERE provider = ? "
                    f"AND symbol IN ({marks})", [self.provider, *chunk]
                ):
                    out[row[0]] = SymbolState(
                        row[0], row[1], row[2], _ts(row[3]), _ts(row[4]),
                        pd.Timestamp(row[5]) if row[5] else None,
                        pd.Timestamp(row[6]) if row[6] else None, _ts(row[7]))
        return out

    def mark(self, symbol: str, status: str, reason: str | None = None, *,
             api_symbol: str | None = None, fetched: bool = False,
             last_refreshed: pd.Timestamp | None = None,
             history_start: pd.Timestamp | None = None, fundamentals: bool = False) -> None:
        """Record an outcome; fields not given keep their stored value."""
        now = utc_now()

        def day(v: pd.Timestamp | None) -> str | None:
            return None if v is None else pd.Timestamp(v).strftime("%Y-%m-%d")

        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO provider_symbols (provider, symbol, api_symbol, status, reason, "
                "checked_at, fetched_at, last_refreshed, history_start, fundamentals_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(provider, symbol) DO UPDATE SET "
                "api_symbol = COALESCE(excluded.api_symbol, api_symbol), "
                "status = excluded.status, reason = excluded.reason, "
                "checked_at = excluded.checked_at, "
                "fetched_at = COALESCE(excluded.fetched_at, fetched_at), "
                "last_refreshed = COALESCE(excluded.last_refreshed, last_refreshed), "
                "history_start = COALESCE(excluded.history_start, history_start), "
                "fundamentals_at = COALESCE(excluded.fundamentals_at, fundamentals_at)",
                (self.provider, symbol, api_symbol, status, reason, now,
                 now if fetched else None, day(last_refreshed), day(history_start),
                 now if fundamentals else None))


def key_id(key: str, salt: bytes) -> str:
    """Salted HMAC-SHA256 of ``key`` (hex, 32 characters)."""
    return hmac.new(salt, key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
