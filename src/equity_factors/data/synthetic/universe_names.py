"""Synthetic universe names: ``SYN500`` is 500 stocks with seed 42, ``SYN500-S7`` seed 7."""

from __future__ import annotations

import re

from equity_factors.data.synthetic.constants import DEFAULT_SEED, MAX_STOCKS, MIN_STOCKS
from equity_factors.errors import UserError

__all__ = ["parse_synthetic_universe", "synthetic_universe_name"]

_UNIVERSE_RE = re.compile(r"^SYN(\d+)(?:-S(\d+))?$", re.IGNORECASE)
_SYN_PREFIX_RE = re.compile(r"^SYN\d", re.IGNORECASE)


def parse_synthetic_universe(name: str) -> tuple[int, int] | None:
    """Parse a synthetic universe name.

    ``"SYN500"`` -> ``(500, 42)``; ``"syn500-s7"`` -> ``(500, 7)`` (case-insensitive, surrounding
    blanks ignored). A name that is not synthetic (``"SPY"``, ``"SYNA"``) gives ``None``.

    Raises
    ------
    UserError
        If the name starts like a synthetic one (``SYN`` and a digit) but is malformed, or the
        number of stocks is outside [20, 5000].
    """
    text = str(name).strip()
    match = _UNIVERSE_RE.match(text)
    if match is None:
        if _SYN_PREFIX_RE.match(text):
            raise UserError(
                f"malformed synthetic universe {name!r}: use SYN<n> or SYN<n>-S<seed>, "
                "e.g. SYN500 or SYN500-S7"
            )
        return None
    n_stocks = int(match.group(1))
    seed = DEFAULT_SEED if match.group(2) is None else int(match.group(2))
    if not MIN_STOCKS <= n_stocks <= MAX_STOCKS:
        raise UserError(
            f"synthetic universe {name!r} has {n_stocks} stocks: use between {MIN_STOCKS} and "
            f"{MAX_STOCKS}, e.g. SYN500"
        )
    return n_stocks, seed


def synthetic_universe_name(n_stocks: int, seed: int) -> str:
    """Name of a synthetic universe: ``(500, 42)`` -> ``SYN500``, ``(500, 7)`` -> ``SYN500-S7``."""
    n_stocks, seed = int(n_stocks), int(seed)
    return f"SYN{n_stocks}" if seed == DEFAULT_SEED else f"SYN{n_stocks}-S{seed}"
