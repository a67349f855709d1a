"""The HTTP client: one ``GET /query`` per call, paced, classified, retried, never leaking the key.

:meth:`AlphaVantageClient.call` returns a body only when it holds the data key the caller
expects; every other body is turned into an exception or a retry (see :mod:`.classify`):

* burst notice -> sleep ``RetryPolicy.burst_wait`` (1-2 s), retry (bounded);
* per-minute notice -> pause every worker for ``RetryPolicy.minute_wait`` (60 s), retry
  (bounded);
* daily cap -> :class:`DailyLimitReached` (the caller stops cleanly);
* premium-only -> :class:`PremiumRequired` (the provider falls back to free endpoints);
* ``Error Message`` about the key, or the demo key -> :class:`InvalidApiKey` (a UserError);
* ``{}`` / ``Invalid API call`` -> :class:`SymbolNotFound`;
* HTTP 5xx/429, timeouts, dropped connections, cut-off bodies -> exponential back-off with full
  jitter, at most ``max_transient_retries`` retries, then :class:`TransientFailure`.

Every attempt (retries too) takes a slot from the rate limiter: Alpha Vantage counts them all.
The key is added to the URL by a transport wrapper, below httpx's logging and exception
machinery, so no ``httpx.Request`` or log line the program can see carries it; messages are
passed through :func:`redact` anyway.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import httpx

from equity_factors import __version__
from equity_factors.data.providers.alphavantage.classify import (
    Classified,
    Kind,
    classify_csv,
    classify_json,
)
from equity_factors.data.providers.alphavantage.config import AlphaVantageConfig
from equity_factors.data.providers.alphavantage.errors import (
    AlphaVantageError,
    DailyLimitReached,
    FetchStopped,
    InvalidApiKey,
    PremiumRequired,
    SymbolNotFound,
    Throttled,
    TransientFailure,
)
from equity_factors.data.providers.alphavantage.limiter import RateLimiter
from equity_factors.data.providers.alphavantage.redaction import redact, register_secret
from equity_factors.data.providers.alphavantage.responses import ResponseCache
from equity_factors.errors import UserError

DAILY_RESUME_HINT = ("when the key's daily limit resets (Alpha Vantage does not document the "
                     "time; free keys: try again tomorrow)")


class _KeyTransport(httpx.BaseTransport):
    """Adds ``apikey`` to the URL on the way out; the caller's Request never holds it."""

    def __init__(self, inner: httpx.BaseTransport, key: str) -> None:
        self._inner = inner
        self._key = key

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url.copy_add_param("apikey", self._key)
        outgoing = httpx.Request(request.method, url, headers=request.headers,
                                 stream=request.stream, extensions=request.extensions)
        return self._inner.handle_request(outgoing)

    def close(self) -> None:
        self._inner.close()


class AlphaVantageClient:
    """Calls Alpha Vantage functions under a shared rate limiter.

    Parameters
    ----------
    config : AlphaVantageConfig
        Key, base URL, limits and retry policy.
    limiter : RateLimiter, optional
        Shared limiter (default: an in-process one from the config's limits).
    stop : threading.Event, optional
        Set it to make every waiting or retrying call raise :class:`FetchStopped`.
    transport : httpx.BaseTransport, optional
        Replaces the network transport (tests).
    max_connections : int
        Connection pool size (one per worker thread is enough).
    rng : random.Random, optional
        Jitter source.
    """

    def __init__(self, config: AlphaVantageConfig, *, limiter: RateLimiter | None = None,
                 stop: threading.Event | None = None,
                 transport: httpx.BaseTransport | None = None, max_connections: int = 16,
                 rng: random.Random | None = None, responses: ResponseCache | None = None,
                 on_daily_notice: Callable[[float, str], None] | None = None) -> None:
        if not config.api_key:
            raise UserError("no Alpha Vantage key: set ALPHAVANTAGE_API_KEY (or put it in .env)")
        register_secret(config.api_key)
        self.config = config
        self.policy = config.retry
        self.limiter = limiter or RateLimiter(config.calls_per_minute, config.calls_per_day)
        self.stop = stop or threading.Event()
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        limits = httpx.Limits(max_connections=max_connections,
                              max_keepalive_connections=max_connections)
        inner = transport or httpx.HTTPTransport(limits=limits, retries=0)
        self._http = httpx.Client(
            transport=_KeyTransport(inner, config.api_key),
            timeout=httpx.Timeout(self.policy.timeout),
            headers={"User-Agent": f"equity-factors/{__version__}"},
            follow_redirects=False,  # a redirect must not carry the key to another host
        )
        self._count_lock = threading.Lock()
        self.attempts = 0
        self.responses = responses
        self.on_daily_notice = on_daily_notice

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AlphaVantageClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ calls
    def call(self, function: str, params: dict[str, str] | None = None, *,
             expect: tuple[str, ...] = (), csv_header: tuple[str, ...] | None = None,
             data_day: Any = None, cached: bool = True) -> Any:
        """Call ``function``; returns the JSON object (or CSV text when ``csv_header`` is given).

        Parameters
        ----------
        expect : tuple of str
            Keys, one of which a JSON data body holds (the series key, ``holdings``...).
        csv_header : tuple of str, optional
            The CSV columns the body starts with (CSV-only functions).
        data_day : date, optional
            The last date of the prices an events answer will adjust (see :mod:`.responses`).
        cached : bool
            Whether a stored answer may stand in for the call (False: ask again).
        """
        params = {"function": function, **(params or {})}
        what = f"{function}" + (f" {params['symbol']}" if "symbol" in params else "")
        if cached and self.responses is not None:
            text = self.responses.get(params, data_day)
            if text is not None:
                found = (classify_csv(text, csv_header) if csv_header is not None
                         else classify_json(text, expect))
                if found.kind is Kind.OK:
                    return found.payload
        transient = burst = minute = 0
        while True:
            self._check_stop()
            slot = self.limiter.acquire(self.stop)
            with self._count_lock:
                self.attempts += 1
            result = self._get(params)
            if isinstance(result, str):  # a transient transport failure, described
                transient += 1
                self._retry_or_raise(transient, f"{what}: {result}")
                continue
            found = (classify_csv(result.text, csv_header) if csv_header is not None
                     else classify_json(result.text, expect))
            if found.kind is Kind.OK:
                if self.responses is not None:
                    self.responses.put(params, result.text, data_day)  # paid for: keep it
                return found.payload
            message = redact(found.message)
            if found.kind is Kind.DAILY and self.on_daily_notice is not None:
                self.on_daily_notice(slot, message)
            if found.kind is Kind.MALFORMED:
                transient += 1
                self._retry_or_raise(transient, f"{what}: {message}")
            elif found.kind in (Kind.BURST, Kind.CSV_NOTICE):
                burst += 1
                if burst > self.policy.max_burst_retries:
                    raise Throttled(f"{what}: Alpha Vantage kept asking to slow down "
                                    f"({message}); lower ALPHAVANTAGE_CALLS_PER_MINUTE")
                self._sleep(self._uniform(*self.policy.burst_wait))
            elif found.kind is Kind.MINUTE:
                minute += 1
                if minute > self.policy.max_minute_waits:
                    raise Throttled(f"{what}: per-minute limit notices after {minute - 1} waits "
                                    f"({message}); lower ALPHAVANTAGE_CALLS_PER_MINUTE to your "
                                    "plan's rate")
                self.limiter.block_for(self.policy.minute_wait)
            else:
                raise self._permanent(found, function, params, message)

    # ------------------------------------------------------------------ helpers
    def _get(self, params: dict[str, str]) -> httpx.Response | str:
        """One GET; a response to classify, or a short description of a transient failure."""
        try:
            response = self._http.get(self.config.base_url, params=params)
        except httpx.TimeoutException as exc:
            return f"timed out after {self.policy.timeout:g} s ({type(exc).__name__})"
        except httpx.TransportError as exc:
            return f"connection failed ({type(exc).__name__}: {redact(exc)})"
        except httpx.HTTPError as exc:  # anything else httpx raises (bad URL, decoding)
            return f"HTTP error ({type(exc).__name__}: {redact(exc)})"
        if response.status_code == 429 or response.status_code >= 500:
            return f"HTTP {response.status_code}"
        if response.status_code >= 300:
            raise AlphaVantageError(
                f"Alpha Vantage answered HTTP {response.status_code} to {params['function']}; "
                f"check ALPHAVANTAGE_BASE_URL ({redact(self.config.base_url)})")
        return response

    def _permanent(self, found: Classified, function: str, params: dict[str, str],
                   message: str) -> Exception:
        symbol = params.get("symbol", "")
        if found.kind is Kind.DAILY:
            return DailyLimitReached(f"Alpha Vantage's daily limit is reached: {message}",
                                     resume_after=DAILY_RESUME_HINT)
        if found.kind is Kind.PREMIUM:
            parameter = "feature" in message.lower() or "parameter" in message.lower()
            return PremiumRequired(f"{function} needs a premium key ({message})", function,
                                   parameter)
        if found.kind is Kind.INVALID_KEY:
            return InvalidApiKey("Alpha Vantage rejected ALPHAVANTAGE_API_KEY (invalid, missing "
                                 "or the demo key); check the key in your environment or .env")
        if found.kind is Kind.NOT_FOUND:
            return SymbolNotFound(f"unknown to Alpha Vantage ({message})", symbol)
        if found.kind is Kind.BAD_REQUEST:
            return AlphaVantageError(f"{function} was refused: {message}")
        return AlphaVantageError(f"{function}: unexpected notice from Alpha Vantage: {message}")

    def _retry_or_raise(self, attempt: int, what: str) -> None:
        if attempt > self.policy.max_transient_retries:
            raise TransientFailure(f"{what} (gave up after {attempt} attempts)")
        cap = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempt - 1))
        self._sleep(self._uniform(0.0, cap))

    def _uniform(self, lo: float, hi: float) -> float:
        with self._rng_lock:
            return self._rng.uniform(lo, hi)

    def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.stop.wait(seconds):
            raise FetchStopped("stopped")

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise FetchStopped("stopped")
