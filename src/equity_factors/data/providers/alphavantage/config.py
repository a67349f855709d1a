"""Configuration of the Alpha Vantage provider, read from the environment and a ``.env`` file.

========================================  =========================================================
``ALPHAVANTAGE_API_KEY``                  the key (none: the provider is off)
``ALPHAVANTAGE_BASE_URL``                 default ``https://www.alphavantage.co/query``
``ALPHAVANTAGE_CALLS_PER_MINUTE``         calls per minute of the plan, default 75
``ALPHAVANTAGE_CALLS_PER_DAY``            daily cap, default unlimited (25 for a free key)
========================================  =========================================================

The environment wins over ``.env`` (python-dotenv format, looked up from the current directory
upwards). A bad value stops with a one-line :class:`UserError` that never quotes the key.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from equity_factors.errors import UserError

DEFAULT_BASE_URL = "https://www.alphavantage.co/query"
DEFAULT_CALLS_PER_MINUTE = 75.0
ENV_KEY = "ALPHAVANTAGE_API_KEY"
ENV_BASE_URL = "ALPHAVANTAGE_BASE_URL"
ENV_PER_MINUTE = "ALPHAVANTAGE_CALLS_PER_MINUTE"
ENV_PER_DAY = "ALPHAVANTAGE_CALLS_PER_DAY"
_UNLIMITED = {"", "none", "unlimited", "inf", "infinity", "no", "off"}


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait and how often to retry (the defaults suit the real service).

    Attributes
    ----------
    timeout : float
        Seconds for connecting and for each read.
    max_transient_retries : int
        Retries after HTTP 5xx/429, timeouts, dropped connections and garbled bodies.
    backoff_base, backoff_cap : float
        Exponential back-off with full jitter: ``uniform(0, min(cap, base * 2**attempt))``.
    burst_wait : (float, float)
        Seconds (uniform range) to sleep after a "spreading out" burst notice.
    max_burst_retries : int
    minute_wait : float
        Seconds to pause every worker after a per-minute notice (the next window).
    max_minute_waits : int
    """

    timeout: float = 30.0
    max_transient_retries: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    burst_wait: tuple[float, float] = (1.0, 2.0)
    max_burst_retries: int = 5
    minute_wait: float = 60.0
    max_minute_waits: int = 3


@dataclass(frozen=True)
class AlphaVantageConfig:
    """Key, endpoint and plan limits. ``repr`` never shows the key."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    calls_per_minute: float = DEFAULT_CALLS_PER_MINUTE
    calls_per_day: int | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)


def _dotenv(path: str | os.PathLike[str] | None | bool) -> dict[str, str]:
    if path is False:
        return {}
    from dotenv import dotenv_values, find_dotenv

    where = find_dotenv(usecwd=True) if path in (None, True) else str(path)
    if not where or not Path(where).is_file():
        return {}
    return {k: v for k, v in dotenv_values(where).items() if v is not None}


def load_config(environ: Mapping[str, str] | None = None,
                dotenv_path: str | os.PathLike[str] | None | bool = None,
                retry: RetryPolicy | None = None) -> AlphaVantageConfig:
    """Read the configuration.

    Parameters
    ----------
    environ : mapping, optional
        Variables to read (default ``os.environ``); they override the ``.env`` file.
    dotenv_path : path, None or False
        The ``.env`` file; None looks for one from the current directory upwards; False skips it.
    retry : RetryPolicy, optional

    Raises
    ------
    UserError
        A malformed value (one line, naming the variable and a valid example).
    """
    values = _dotenv(dotenv_path)
    values.update({k: v for k, v in (os.environ if environ is None else environ).items()
                   if k.startswith("ALPHAVANTAGE_")})
    key = (values.get(ENV_KEY) or "").strip() or None
    if key is not None and (any(ch.isspace() for ch in key) or not key.isprintable()):
        raise UserError(f"{ENV_KEY} contains spaces or control characters; set it to the key "
                        "alone (e.g. in .env: ALPHAVANTAGE_API_KEY=YOURKEY)")
    base_url = (values.get(ENV_BASE_URL) or "").strip() or DEFAULT_BASE_URL
    if not base_url.lower().startswith(("http://", "https://")) or "?" in base_url:
        raise UserError(f"{ENV_BASE_URL} must be an http(s) URL without a query, e.g. "
                        f"{DEFAULT_BASE_URL}; got {base_url!r}")
    raw = (values.get(ENV_PER_MINUTE) or "").strip()
    per_minute = DEFAULT_CALLS_PER_MINUTE
    if raw:
        try:
            per_minute = float(raw)
        except ValueError:
            per_minute = float("nan")
        if not math.isfinite(per_minute) or not 0 < per_minute <= 100_000:
            raise UserError(f"{ENV_PER_MINUTE} must be a positive number of calls per minute "
                            f"(your plan: 75, 150, 300, 600 or 1200; free keys about 5), "
                            f"not {raw!r}")
    raw = (values.get(ENV_PER_DAY) or "").strip()
    per_day: int | None = None
    if raw.lower() not in _UNLIMITED:
        try:
            per_day = int(raw)
        except ValueError:
            per_day = 0
        if per_day <= 0:
            raise UserError(f"{ENV_PER_DAY} must be a positive whole number of calls per day "
                            f"(25 for a free key) or 'unlimited', not {raw!r}")
    return AlphaVantageConfig(key, base_url, per_minute, per_day, retry or RetryPolicy())
