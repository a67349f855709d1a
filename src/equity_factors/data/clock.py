"""The data layer's clock: real time, or a pretended time from ``EQF_NOW``.

``EQF_NOW=2024-06-08T10:00:00Z`` makes every eqf process start at that instant (time then runs
on as usual). It serves tests and reproductions of "the same trading day" or "a later day":
the fetch planner, the response cache's trading day, the call ledger and the store's timestamps
all read this clock. Unset, it is the wall clock. Computation never reads it (DESIGN §3).
"""

from __future__ import annotations

import os
import threading
import time as _time

import pandas as pd

from equity_factors.errors import UserError

ENV_NOW = "EQF_NOW"
_lock = threading.Lock()
_cache: tuple[str, float] | None = None  # (EQF_NOW value, offset in seconds)


def offset_seconds() -> float:
    """Seconds to add to the wall clock (0 when ``EQF_NOW`` is unset)."""
    global _cache
    raw = os.environ.get(ENV_NOW, "").strip()
    if not raw:
        return 0.0
    with _lock:
        if _cache is None or _cache[0] != raw:
            try:
                stamp = pd.Timestamp(raw)
            except (ValueError, TypeError):
                raise UserError(f"{ENV_NOW}={raw!r} is not a time; use ISO format, e.g. "
                                f"{ENV_NOW}=2024-06-08T10:00:00Z, or unset it") from None
            if stamp.tzinfo is None:
                stamp = stamp.tz_localize("UTC")
            _cache = (raw, stamp.timestamp() - _time.time())
        return _cache[1]


def time() -> float:
    """Seconds since the epoch, like :func:`time.time`."""
    return _time.time() + offset_seconds()


def now() -> pd.Timestamp:
    """The current time as a UTC Timestamp."""
    return pd.Timestamp(time(), unit="s", tz="UTC")
