"""The cross-section of stocks: sectors and fake company names."""

from __future__ import annotations

import numpy as np

from equity_factors.data.synthetic.constants import SECTORS

# Relative sector sizes used when assigning sectors (roughly the S&P 500 mix), normalized.
_SECTOR_WEIGHTS = np.array([0.05, 0.11, 0.07, 0.05, 0.13, 0.12, 0.13, 0.14, 0.05, 0.06, 0.06])


def _assign_sectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random sectors, every sector at least twice when n >= 22."""
    p = _SECTOR_WEIGHTS / _SECTOR_WEIGHTS.sum()
    k = len(SECTORS)
    if n >= 2 * k:
        base = np.repeat(np.arange(k), 2)
        extra = rng.choice(k, size=n - 2 * k, p=p)
        return rng.permutation(np.concatenate([base, extra]))
    return rng.choice(k, size=n, p=p)


_NAME_HEADS = ("Al", "Bel", "Cor", "Dyn", "El", "Fen", "Gal", "Hal", "Ion", "Jor", "Kel", "Lum",
               "Mar", "Nor", "Ob", "Pax", "Quin", "Ros", "Sol", "Tor", "Ul", "Ver", "Wes", "Xan",
               "Yor", "Zen")
_NAME_MIDS = ("a", "e", "i", "o", "u", "ar", "en", "on", "il", "or")
_NAME_TAILS = ("tek", "dex", "vale", "corp", "ex", "ia", "ium", "on", "ar", "is", "ica", "gen")
_NAME_SECTOR = ("Media", "Brands", "Foods", "Energy", "Financial", "Health", "Industries",
                "Systems", "Materials", "Properties", "Power")
_NAME_SUFFIX = ("Inc.", "Corp.", "Holdings", "Group", "plc")


def _fake_names(rng: np.random.Generator, sector_idx: np.ndarray) -> list[str]:
    """Deterministic fake company names, e.g. ``"Norentek Systems Inc."``."""
    n = len(sector_idx)
    h = rng.integers(0, len(_NAME_HEADS), n)
    m = rng.integers(0, len(_NAME_MIDS), n)
    t = rng.integers(0, len(_NAME_TAILS), n)
    s = rng.integers(0, len(_NAME_SUFFIX), n)
    return [
        f"{_NAME_HEADS[h[i]]}{_NAME_MIDS[m[i]]}{_NAME_TAILS[t[i]]} "
        f"{_NAME_SECTOR[sector_idx[i]]} {_NAME_SUFFIX[s[i]]}"
        for i in range(n)
    ]
