"""Symbol hygiene: one canonical name per security, and the spelling Alpha Vantage expects.

Share classes are written with a dash (``BRK-B``), as in Alpha Vantage's LISTING_STATUS; a dot
is Alpha Vantage's exchange separator (``TSCO.LON``), so ``BRK.B`` would be read as exchange
"B". ``BRK.B``, ``BRK/B``, ``BRK B`` and ``brk-b`` all become ``BRK-B``, which is both the name
stored and the name sent. :data:`API_ALIASES` holds the few symbols whose API spelling differs
from the canonical one.
"""

from __future__ import annotations

import re

#: Exchange suffixes Alpha Vantage uses (``TSCO.LON``); a dot before one of these is kept.
EXCHANGE_SUFFIXES = frozenset({
    "LON", "TRT", "TRV", "DEX", "FRK", "BSE", "NSE", "SHH", "SHZ", "SAO", "AMS", "PAR", "STO",
    "MIL", "SWI", "HKG", "TYO", "ASX", "MEX", "NEO", "VIE", "BRU", "CPH", "HEL", "OSL", "LIS",
    "MCE", "DUB", "TAI", "KSC", "JKT",
})

#: Explicit canonical spellings for names the rules below do not cover.
CANONICAL_ALIASES: dict[str, str] = {
    "BRK.A": "BRK-A", "BRK.B": "BRK-B", "BF.A": "BF-A", "BF.B": "BF-B",
}

#: Canonical name -> the symbol sent to the API, where they differ.
API_ALIASES: dict[str, str] = {}

PLACEHOLDERS = frozenset({"", "N/A", "NA", "NONE", "NULL", "-", "--", "CASH", "USD"})

_CLASS_RE = re.compile(r"^([A-Z0-9]{1,10})[./ ]([A-Z])$")
_VALID_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,19}$")


def is_placeholder(raw: object) -> bool:
    """True for the "n/a" / cash / empty entries of ETF holdings."""
    return raw is None or str(raw).strip().upper() in PLACEHOLDERS


def canonical_symbol(raw: str) -> str:
    """The stored name of a symbol: upper case, share classes with a dash.

    >>> canonical_symbol("brk.b"), canonical_symbol("BRK/B"), canonical_symbol("TSCO.LON")
    ('BRK-B', 'BRK-B', 'TSCO.LON')
    """
    text = " ".join(str(raw).split()).upper()
    text = CANONICAL_ALIASES.get(text, text)
    match = _CLASS_RE.match(text)
    if match and match.group(2) not in EXCHANGE_SUFFIXES:
        text = f"{match.group(1)}-{match.group(2)}"
    return text


def api_symbol(canonical: str) -> str:
    """The symbol to send to Alpha Vantage for a canonical name."""
    return API_ALIASES.get(canonical, canonical)


def is_valid_symbol(canonical: str) -> bool:
    """Whether a canonical name can be sent at all (indices such as ``^GSPC`` cannot)."""
    return bool(_VALID_RE.match(canonical))
