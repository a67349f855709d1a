"""The LLM namer's network side: OpenAI-compatible endpoint, retries, names cached in the store.

Configuration (the environment wins over a ``.env`` file):

==========================  ==============================================================
``OPENAI_API_KEY``          the key; when set, ``--namer auto`` uses the LLM
``OPENAI_BASE_URL``         another endpoint (Ollama ``http://localhost:11434/v1``, vLLM,
                            llama.cpp ``http://localhost:8080/v1``); default OpenAI's
``OPENAI_MODEL``            model name, default ``gpt-4o-mini`` (cheap, supports JSON output)
``EQF_LLM_TIMEOUT``         seconds per request, default 20
``EQF_LLM_ATTEMPTS``        attempts per factor (first try + retries), default 3
==========================  ==============================================================

Every request asks for a JSON object (``response_format={"type": "json_object"}``,
temperature 0). A malformed or invalid answer, a refusal, HTTP 429 / 5xx, a timeout or a
dropped connection is retried (``EQF_LLM_ATTEMPTS`` in all, with a short back-off); after that
the factor keeps its offline name and the namer column says ``offline (llm failed: <reason>)``.
A timeout, connection, rate-limit or authentication failure that survives the retries stops
the LLM for the remaining factors of the run (they fall back at once, saying so) instead of
waiting for each. Valid names are cached in the store's ``llm_names`` table by (hash of the
exact messages, model), so a rerun on the same evidence makes no call.

The key goes to the ``openai`` client only (which sends it as a Bearer header); it is never
logged, stored, written to a file or put into an error message.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from equity_factors.data.store import Store, utc_now
from equity_factors.errors import UserError

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT = 20.0
DEFAULT_ATTEMPTS = 3
ENV_KEY = "OPENAI_API_KEY"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_MODEL = "OPENAI_MODEL"
ENV_TIMEOUT = "EQF_LLM_TIMEOUT"
ENV_ATTEMPTS = "EQF_LLM_ATTEMPTS"
#: Sent when a local server (OPENAI_BASE_URL) needs no key; the openai client insists on one.
LOCAL_PLACEHOLDER_KEY = "no-key"
MAX_TOKENS = 300


@dataclass(frozen=True)
class LLMConfig:
    """Endpoint, model and patience. ``repr`` never shows the key.

    Attributes
    ----------
    api_key : str or None
    base_url : str or None
        None = the OpenAI API.
    model : str
    timeout : float
        Seconds per request (connect and read).
    max_attempts : int
        Requests per factor at most (1 = no retry).
    backoff, max_backoff : float
        Seconds before retry n: ``min(max_backoff, backoff * 2**(n-1))``, or the server's
        ``Retry-After`` when it sends one (capped at ``max_backoff``).
    """

    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout: float = DEFAULT_TIMEOUT
    max_attempts: int = DEFAULT_ATTEMPTS
    backoff: float = 1.0
    max_backoff: float = 8.0

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)

    @property
    def usable(self) -> bool:
        """A key, or a custom endpoint (local servers often need none)."""
        return self.has_key or bool(self.base_url)


def _dotenv(path: str | os.PathLike[str] | None | bool) -> dict[str, str]:
    if path is False:
        return {}
    from dotenv import dotenv_values, find_dotenv
    where = find_dotenv(usecwd=True) if path in (None, True) else str(path)
    if not where or not Path(where).is_file():
        return {}
    return {k: v for k, v in dotenv_values(where).items() if v is not None}


def load_llm_config(environ: Mapping[str, str] | None = None,
                    dotenv_path: str | os.PathLike[str] | None | bool = None) -> LLMConfig:
    """Read :class:`LLMConfig` from the environment (and ``.env``).

    Raises
    ------
    UserError
        A malformed value (one line naming the variable; never quoting the key).
    """
    values = _dotenv(dotenv_path)
    source = os.environ if environ is None else environ
    values.update({k: v for k, v in source.items()
                   if k in (ENV_KEY, ENV_BASE_URL, ENV_MODEL, ENV_TIMEOUT, ENV_ATTEMPTS)})
    key = (values.get(ENV_KEY) or "").strip() or None
    if key is not None and (any(ch.isspace() for ch in key) or not key.isprintable()):
        raise UserError(f"{ENV_KEY} contains spaces or control characters; set it to the key "
                        "alone")
    base_url = (values.get(ENV_BASE_URL) or "").strip() or None
    if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
        raise UserError(f"{ENV_BASE_URL} must be an http(s) URL such as "
                        "http://localhost:11434/v1")
    model = (values.get(ENV_MODEL) or "").strip() or DEFAULT_MODEL
    raw = (values.get(ENV_TIMEOUT) or "").strip()
    timeout = DEFAULT_TIMEOUT
    if raw:
        try:
            timeout = float(raw)
        except ValueError:
            timeout = float("nan")
        if not math.isfinite(timeout) or not 0 < timeout <= 600:
            raise UserError(f"{ENV_TIMEOUT} must be a number of seconds in (0, 600], not {raw!r}")
    raw = (values.get(ENV_ATTEMPTS) or "").strip()
    attempts = DEFAULT_ATTEMPTS
    if raw:
        try:
            attempts = int(raw)
        except ValueError:
            attempts = 0
        if not 1 <= attempts <= 10:
            raise UserError(f"{ENV_ATTEMPTS} must be a whole number from 1 to 10, not {raw!r}")
    return LLMConfig(key, base_url, model, timeout, attempts)


# --------------------------------------------------------------------------- cache
def cached_name(store: Store, evidence_hash: str, model: str) -> tuple[str, str, float] | None:
    """The cached (name, description, confidence) for (evidence hash, model), or None."""
    with store.connect() as conn:
        row = conn.execute(
            "SELECT name, description, confidence FROM llm_names WHERE evidence_hash = ? "
            "AND model = ?", (evidence_hash, model)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]), float(row[2]))


def save_name(store: Store, evidence_hash: str, model: str, name: str, description: str,
              confidence: float) -> None:
    """Cache a validated name (replacing an older one of the same key)."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO llm_names (evidence_hash, model, name, description, "
            "confidence, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (evidence_hash, model, name, description, float(confidence), utc_now()))


# --------------------------------------------------------------------------- the client
class LLMFailure(Exception):
    """A request that failed (after retries when ``retry``): ``reason`` never holds the key.

    ``fatal`` failures (timeouts, connection, rate limit, authentication, unknown model) stop
    the client for the rest of the run.
    """

    def __init__(self, reason: str, retry: bool = True, fatal: bool = False,
                 wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.fatal = fatal
        self.wait = wait


def _retry_after(headers: Any) -> float | None:
    try:
        raw = headers.get("retry-after") if headers is not None else None
        return None if raw is None else max(0.0, float(raw))
    except (TypeError, ValueError):
        return None


@dataclass
class LLMStats:
    """What the client did in one run: requests sent and failed attempts' reasons."""

    requests: int = 0
    failures: list[str] = field(default_factory=list)


class LLMClient:
    """Asks an OpenAI-compatible chat endpoint for JSON answers, with bounded retries.

    Parameters
    ----------
    config : LLMConfig
    sleep : callable
        Used for the back-off (tests pass a no-op).
    client : object, optional
        An ``openai.OpenAI``-like client (default: built from ``config``, with the openai
        client's own retries off: this class retries).

    Raises
    ------
    UserError
        When ``config`` has neither a key nor a custom endpoint.
    """

    def __init__(self, config: LLMConfig, *, sleep: Callable[[float], None] = time.sleep,
                 client: Any = None) -> None:
        if not config.usable:
            raise UserError(f"--namer llm needs {ENV_KEY} (or {ENV_BASE_URL} for a local "
                            "server); set it or use --namer offline")
        self.config = config
        self.sleep = sleep
        self._client = client
        self.stopped: str | None = None
        self.stats = LLMStats()

    @property
    def model(self) -> str:
        return self.config.model

    def _get_client(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self.config.api_key or LOCAL_PLACEHOLDER_KEY,
                base_url=self.config.base_url, timeout=self.config.timeout, max_retries=0)
        return self._client

    def redact(self, text: str) -> str:
        """``text`` with the key masked (a second line of defence: reasons never quote it)."""
        key = self.config.api_key
        return text.replace(key, "***") if key and len(key) >= 4 else text

    def _attempt(self, messages: list[dict[str, str]],
                 validate: Callable[[str | None, str | None], T]) -> T:
        import openai

        client = self._get_client()
        self.stats.requests += 1
        try:
            response = client.chat.completions.create(
                model=self.config.model, messages=messages, temperature=0,
                max_tokens=MAX_TOKENS, response_format={"type": "json_object"})
        except openai.APITimeoutError:
            raise LLMFailure(f"timeout after {self.config.timeout:g}s", fatal=True) from None
        except openai.APIConnectionError:
            raise LLMFailure("connection failed", fatal=True) from None
        except openai.RateLimitError as exc:
            raise LLMFailure("HTTP 429 rate limited", fatal=True,
                             wait=_retry_after(getattr(exc.response, "headers", None))) from None
        except openai.AuthenticationError:
            raise LLMFailure(f"HTTP 401 unauthorized (check {ENV_KEY})", retry=False,
                             fatal=True) from None
        except openai.PermissionDeniedError:
            raise LLMFailure("HTTP 403 forbidden", retry=False, fatal=True) from None
        except openai.NotFoundError:
            raise LLMFailure(f"HTTP 404 not found (check {ENV_MODEL} and {ENV_BASE_URL})",
                             retry=False, fatal=True) from None
        except openai.APIStatusError as exc:
            code = int(getattr(exc, "status_code", 0) or 0)
            if code >= 500:
                raise LLMFailure(f"HTTP {code} server error") from None
            raise LLMFailure(f"HTTP {code} rejected the request", retry=False,
                             fatal=True) from None
        except openai.OpenAIError:
            raise LLMFailure("unexpected response") from None
        try:
            message = response.choices[0].message
            content = message.content
            refusal = getattr(message, "refusal", None)
        except (AttributeError, IndexError, TypeError):
            raise LLMFailure("unexpected response") from None
        try:
            return validate(content, refusal)
        except ValueError as exc:
            raise LLMFailure(str(getattr(exc, "reason", "invalid answer"))) from None

    def ask(self, messages: list[dict[str, str]],
            validate: Callable[[str | None, str | None], T], label: str = "") -> T:
        """Send ``messages``; return ``validate(content, refusal)`` of the first good answer.

        ``validate`` raises ValueError (with a ``reason`` attribute) for an unusable answer,
        which is retried like a transport failure.

        Raises
        ------
        LLMFailure
            After ``max_attempts`` failed attempts (or a failure not worth retrying), or at
            once when an earlier fatal failure stopped the client.
        """
        if self.stopped is not None:
            raise LLMFailure(f"{self.stopped}; skipped after an earlier failure", retry=False)
        last: LLMFailure | None = None
        attempts = max(1, int(self.config.max_attempts))
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(messages, validate)
            except LLMFailure as failure:
                failure.reason = self.redact(failure.reason)
                last = failure
                self.stats.failures.append(failure.reason)
                log.info("LLM request %s attempt %d of %d failed: %s", label, attempt, attempts,
                         failure.reason)
                if not failure.retry or attempt >= attempts:
                    break
                wait = failure.wait if failure.wait is not None else \
                    self.config.backoff * 2 ** (attempt - 1)
                self.sleep(min(self.config.max_backoff, wait))
        assert last is not None
        if last.fatal:
            self.stopped = last.reason
        raise last


__all__ = ["DEFAULT_MODEL", "ENV_ATTEMPTS", "ENV_BASE_URL", "ENV_KEY", "ENV_MODEL",
           "ENV_TIMEOUT", "LLMClient", "LLMConfig", "LLMFailure", "LLMStats", "cached_name",
           "load_llm_config", "save_name"]
