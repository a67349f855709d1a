"""A rate limiter shared by threads and, through the SQLite store, by processes.

Every call first reserves a time slot. Slots of one key are at least ``60 / calls_per_minute``
seconds apart, so no 60-second window ever holds more than ``calls_per_minute`` calls and the
plan is used evenly (no burst at the start of a minute, which Alpha Vantage punishes). As a
second guard, a slot is pushed back until the trailing window holds fewer than the per-minute
number of calls, and with ``calls_per_day`` set, a reservation that would make more than that
many calls in the trailing 24 hours raises :class:`DailyLimitReached` (rolling 24 h: Alpha
Vantage does not document when its day resets, so this is the conservative reading).

The ledger is the ``api_calls`` table: (key hash, slot time). Reserving is one short
``BEGIN IMMEDIATE`` transaction, so two processes on the same key and store queue for slots
instead of each spending the full budget. The limiter keeps one connection of its own (used
under its lock only) for these reservations: besides saving a connect per call, an open
connection spares every short store operation the WAL checkpoint SQLite runs when the last
connection to a database closes. A per-minute notice from the server pauses every
user of the key (``provider_state`` row ``blocked_until:<key hash>``). Slots are wall-clock
seconds, so processes agree on them.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from equity_factors.data.providers.alphavantage.errors import DailyLimitReached, FetchStopped
from equity_factors.data.store import Store, utc_now
from equity_factors.errors import StoreError

DAY = 86_400.0
_KEEP = DAY + 3_600.0  # ledger rows kept (a day and an hour)


def _fmt(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


class RateLimiter:
    """Paces calls of one API key.

    Parameters
    ----------
    calls_per_minute : float
        The plan's rate; slots are ``60 / calls_per_minute`` s apart.
    calls_per_day : int or None
        Cap over any trailing 24 hours (None: none).
    store : Store or None
        Share the budget with other processes through this store (None: this process only).
    key_id : str
        Salted hash of the key (never the key).
    window : float
        Length of the rate window in seconds (60; smaller only in tests).
    clock : callable
        Wall-clock seconds (``time.time``).
    """

    def __init__(self, calls_per_minute: float, calls_per_day: int | None = None, *,
                 store: Store | None = None, key_id: str = "local", window: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        if not calls_per_minute > 0:
            raise ValueError("calls_per_minute must be positive")
        self.calls_per_minute = float(calls_per_minute)
        self.calls_per_day = calls_per_day
        self.window = float(window)
        # 10 us more than 60/N: epoch floats (~0.2 us resolution) can never squeeze N + 1 calls
        # into a window.
        self.interval = 60.0 / self.calls_per_minute + 1e-5
        self.per_window = max(1, math.floor(self.calls_per_minute * self.window / 60.0 + 1e-9))
        self.store = store
        self.key_id = key_id
        self.clock = clock
        self.calls = 0
        self._lock = threading.Lock()
        self._memory: deque[float] = deque()
        self._blocked_until = 0.0
        self._pruned = 0.0
        self._conn: sqlite3.Connection | None = None

    # ------------------------------------------------------------------ public
    def acquire(self, stop: threading.Event | None = None) -> float:
        """Reserve the next slot and wait for it; returns the slot time.

        Raises
        ------
        DailyLimitReached
            ``calls_per_day`` calls were made in the trailing 24 hours.
        FetchStopped
            ``stop`` was set while waiting.
        """
        if stop is not None and stop.is_set():
            raise FetchStopped("stopped before the call")
        with self._lock:
            slot = self._reserve_store() if self.store is not None else self._reserve_memory()
            self.calls += 1
        while True:
            delay = slot - self.clock()
            if delay <= 0:
                return slot
            if stop is not None:
                if stop.wait(delay):
                    raise FetchStopped("stopped while waiting for a call slot")
            else:
                time.sleep(delay)

    def close(self) -> None:
        """Close the limiter's own store connection (it reopens when needed)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def block_for(self, seconds: float) -> None:
        """Pause every user of the key for ``seconds`` (after a per-minute notice)."""
        until = self.clock() + seconds
        with self._lock:
            self._blocked_until = max(self._blocked_until, until)
            if self.store is not None:
                with self._transaction() as conn:
                    conn.execute(
                        "INSERT INTO provider_state (provider, name, value, updated_at) "
                        "VALUES ('alphavantage', ?, ?, ?) ON CONFLICT(provider, name) DO UPDATE "
                        "SET value = MAX(CAST(value AS REAL), CAST(excluded.value AS REAL)), "
                        "updated_at = excluded.updated_at",
                        (f"blocked_until:{self.key_id}", repr(until), utc_now()))

    def calls_in_window(self, seconds: float | None = None) -> int:
        """Calls reserved in the trailing ``seconds`` (default: the window), all processes."""
        span = self.window if seconds is None else seconds
        now = self.clock()
        if self.store is None:
            return sum(1 for t in self._memory if now - span < t <= now + span)
        with self.store.connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM api_calls WHERE key_hash = ? AND t > ?",
                                (self.key_id, now - span)).fetchone()[0]

    # ------------------------------------------------------------------ slots
    def _place(self, now: float, last: float | None, blocked: float,
               in_window: list[float], day_count: int, day_oldest: list[float]) -> float:
        slot = max(now, blocked, self._blocked_until)
        if last is not None:
            slot = max(slot, last + self.interval)
        recent = [t for t in in_window if t > slot - self.window]
        if len(recent) >= self.per_window:
            slot = max(slot, recent[len(recent) - self.per_window] + self.window)
        if self.calls_per_day is not None and day_count >= self.calls_per_day:
            resume = day_oldest[day_count - self.calls_per_day] + DAY if day_oldest else now + DAY
            raise DailyLimitReached(
                f"ALPHAVANTAGE_CALLS_PER_DAY={self.calls_per_day} calls were made in the last "
                f"24 hours", resume_after=f"after {_fmt(resume)}")
        return slot

    def _reserve_memory(self) -> float:
        now = self.clock()
        while self._memory and self._memory[0] < now - _KEEP:
            self._memory.popleft()
        last = self._memory[-1] if self._memory else None
        window = [t for t in self._memory if t > now - self.window - 1]
        day = [t for t in self._memory if t > now - DAY]
        slot = self._place(now, last, 0.0, window, len(day), day)
        self._memory.append(slot)
        return slot

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT on the limiter's own connection (caller holds the lock)."""
        assert self.store is not None
        if self._conn is None:
            self.store.ensure_ready()
            self._conn = sqlite3.connect(self.store.path, timeout=self.store.timeout_ms / 1000.0,
                                         isolation_level=None, check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.store.timeout_ms)}")
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the store {self.store.path} stayed locked ({exc}); wait for the "
                             "other eqf process or raise SQLITE_BUSY_TIMEOUT_MS") from None
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _reserve_store(self) -> float:
        with self._transaction() as conn:
            now = self.clock()
            row = conn.execute("SELECT value FROM provider_state WHERE provider = 'alphavantage' "
                               "AND name = ?", (f"blocked_until:{self.key_id}",)).fetchone()
            blocked = float(row[0]) if row else 0.0
            last = conn.execute("SELECT MAX(t) FROM api_calls WHERE key_hash = ?",
                                (self.key_id,)).fetchone()[0]
            window = [r[0] for r in conn.execute(
                "SELECT t FROM api_calls WHERE key_hash = ? AND t > ? ORDER BY t",
                (self.key_id, max(now, last or now) - self.window))]
            day_count, day_oldest = 0, []
            if self.calls_per_day is not None:
                day_count = conn.execute(
                    "SELECT COUNT(*) FROM api_calls WHERE key_hash = ? AND t > ?",
                    (self.key_id, now - DAY)).fetchone()[0]
                if day_count >= self.calls_per_day:
                    day_oldest = [r[0] for r in conn.execute(
                        "SELECT t FROM api_calls WHERE key_hash = ? AND t > ? ORDER BY t",
                        (self.key_id, now - DAY))]
            slot = self._place(now, last, blocked, window, day_count, day_oldest)
            conn.execute("INSERT INTO api_calls (key_hash, t) VALUES (?, ?)", (self.key_id, slot))
            if now - self._pruned > 60.0:
                conn.execute("DELETE FROM api_calls WHERE t < ?", (now - _KEEP,))
                self._pruned = now
        return slot
