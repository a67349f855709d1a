"""Classify an Alpha Vantage body: data, or which notice or error it is.

Alpha Vantage answers HTTP 200 to everything; the body says what happened. A body is data only
when it holds the key the caller expects (``Time Series (Daily)``, ``holdings``...), so a notice
can never be mistaken for data. ``Information`` and ``Note`` are treated alike and told apart by
their text (the reference, section 5 item 2), in this order:

=====================================================  ==========  ================================
phrase                                                 kind        what the client does
=====================================================  ==========  ================================
"burst pattern" (checked first)                        minute      pause all workers for the
                                                                   next window, retry
"spreading out", "1 request per second"                burst       sleep 1-2 s, retry
"premium@", "call frequency",                          minute      pause all workers for the
"per minute"                                                       next window, retry
"requests per day", "calls per day", "rate limit is"   daily       stop cleanly
"premium endpoint", "premium feature", "premium"       premium     free fallback or clear failure
"demo"                                                 invalid_key stop (UserError)
=====================================================  ==========  ================================

``Error Message`` mentioning the apikey -> invalid_key; "does not exist" (unknown function) ->
bad_request; anything else (``Invalid API call``: unknown symbol, bad parameter) -> not_found, as
is ``{}``. A CSV body whose first row spells ``I,n,f,o,r,m,a`` one letter per column is a notice
that lost its text ("CSV-ified"): csv_notice.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(str, Enum):
    """What a body is."""

    OK = "ok"
    BURST = "burst"
    MINUTE = "minute"
    DAILY = "daily"
    PREMIUM = "premium"
    INVALID_KEY = "invalid_key"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    NOTICE = "notice"
    CSV_NOTICE = "csv_notice"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Classified:
    """A classified body: ``payload`` is the parsed JSON (dict) or CSV text when ``kind`` is OK."""

    kind: Kind
    payload: Any = None
    message: str = ""


_BURST = ("spreading out", "1 request per second")
_MINUTE = ("burst pattern", "premium@alphavantage.co", "higher api call volume", "call frequency",
           "per minute")
_DAILY = ("requests per day", "calls per day", "rate limit is", "daily rate limit")
_PREMIUM = ("premium endpoint", "premium feature", "premium function", "premium plan",
            "premium data")
_NOTICE_KEYS = ("Information", "Note", "information", "note")
_CSV_WORDS = ("Information", "Note", "Error Message")


def classify_notice(text: str) -> Kind:
    """The kind of an ``Information``/``Note`` text (see the module table)."""
    low = text.lower()
    if "burst pattern" in low:  # the premium burst text also says "spreading out"
        return Kind.MINUTE
    if any(p in low for p in _BURST):
        return Kind.BURST
    if any(p in low for p in _MINUTE):
        return Kind.MINUTE
    if any(p in low for p in _DAILY):
        return Kind.DAILY
    if "demo" in low and "api key" in low:
        return Kind.INVALID_KEY
    if any(p in low for p in _PREMIUM):
        return Kind.PREMIUM
    if "apikey" in low and ("invalid" in low or "missing" in low):
        return Kind.INVALID_KEY
    return Kind.NOTICE


def classify_error_message(text: str) -> Kind:
    """The kind of an ``Error Message`` text."""
    low = text.lower()
    if "apikey" in low or "api key" in low:
        return Kind.INVALID_KEY
    if "does not exist" in low:
        return Kind.BAD_REQUEST
    return Kind.NOT_FOUND


def classify_json(text: str, expected: tuple[str, ...]) -> Classified:
    """Classify a JSON body; OK only when one of the ``expected`` keys is present."""
    try:
        payload = json.loads(text)
    except (ValueError, TypeError):
        return Classified(Kind.MALFORMED, message="the body is not valid JSON (cut off?)")
    if not isinstance(payload, dict):
        return Classified(Kind.MALFORMED, message="the body is not a JSON object")
    if any(key in payload for key in expected):
        return Classified(Kind.OK, payload)
    if "Error Message" in payload:
        message = str(payload["Error Message"])
        return Classified(classify_error_message(message), message=message)
    for key in _NOTICE_KEYS:
        if key in payload:
            message = str(payload[key])
            return Classified(classify_notice(message), message=message)
    if not payload:
        return Classified(Kind.NOT_FOUND, message="no data ({})")
    return Classified(Kind.MALFORMED,
                      message=f"unexpected keys {sorted(payload)[:5]} (expected {list(expected)})")


def classify_csv(text: str, header: tuple[str, ...]) -> Classified:
    """Classify a CSV body whose header starts with ``header``."""
    body = text.lstrip("\ufeff")
    if body.lstrip().startswith("{"):
        found = classify_json(body, ())
        return found if found.kind is not Kind.MALFORMED else Classified(
            Kind.MALFORMED, message="a JSON body where CSV was expected")
    rows = list(csv.reader(io.StringIO(body)))
    if not rows:
        return Classified(Kind.MALFORMED, message="an empty CSV body")
    head = [c.strip() for c in rows[0]]
    if [h.lower() for h in head[: len(header)]] != [h.lower() for h in header]:
        return Classified(Kind.MALFORMED, message=f"unexpected CSV header {head[:4]}")
    if len(rows) > 1 and rows[1] and all(len(c) <= 1 for c in rows[1]):
        letters = "".join(rows[1])
        for word in _CSV_WORDS:
            if len(letters) >= 3 and word.startswith(letters):
                kind = Kind.BAD_REQUEST if word == "Error Message" else Kind.CSV_NOTICE
                return Classified(kind, message=f"a notice squeezed into CSV ({letters}...)")
    return Classified(Kind.OK, body)
