"""Keep the API key out of every text: URLs, notices, exception messages and log records.

The client never lets the key reach an ``httpx.Request`` it can see (a transport adds it on the
way out), so httpx's own log lines and exceptions carry URLs without it. As a second line of
defence, :func:`redact` masks ``apikey=...`` and every registered key in any text, and a logging
filter does the same for httpx/httpcore records.
"""

from __future__ import annotations

import logging
import re
import threading

_APIKEY_RE = re.compile(r"(apikey=)[^&\s\"'<>]*", re.IGNORECASE)
_KEYS: set[str] = set()
_LOCK = threading.Lock()
_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2",
            "httpcore.proxy")
MASK = "***"


def register_secret(key: str | None) -> None:
    """Remember ``key`` so that :func:`redact` masks it wherever it shows up."""
    if key and len(key) >= 4 and key != "demo":  # the public demo key is no secret
        with _LOCK:
            _KEYS.add(key)
    _install_log_filter()


def redact(text: object, *keys: str | None) -> str:
    """``text`` with ``apikey=...`` values and every known key replaced by ``***``."""
    out = _APIKEY_RE.sub(r"\1" + MASK, str(text))
    with _LOCK:
        secrets = [*_KEYS, *(k for k in keys if k)]
    for key in sorted(secrets, key=len, reverse=True):
        if len(key) >= 4:
            out = out.replace(key, MASK)
    return out


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact` (arguments merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is left to logging itself
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()


def _install_log_filter() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
