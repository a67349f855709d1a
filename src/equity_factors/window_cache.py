"""Point-in-time results cached per window: the protocol the computation packages accept.

A fit on a window depends only on that window's data and the method's parameters (point in
time), so its result can be kept under a key made of both and reused by every later request
whose window holds the same data. The computation packages take an optional ``window_cache``
object with :meth:`WindowCache.get` / :meth:`WindowCache.put` of plain numpy arrays; they never
touch a disk themselves. :class:`MemoryWindowCache` keeps entries in a dict (tests, one process);
``equity_factors.data.window_store.DiskWindowCache`` keeps them in the data directory.

Keys are ``<kind>-<hex>`` where ``kind`` names the computation (``factors``, ``regime``,
``optimize``) and the hex digest covers the parameters and :func:`digest_block` digests of the
data the window used (float64 bytes, index and column labels), so a changed price changes the key
of exactly the windows that contain it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
import pandas as pd

__all__ = ["CACHE_SCHEMA", "Arrays", "CacheStats", "MemoryWindowCache", "RangeHasher",
           "WindowCache", "digest_block", "digest_chain", "get_many", "window_key"]

#: Bumped when the layout of a cached entry changes; part of every key.
CACHE_SCHEMA = 1

Arrays = dict[str, np.ndarray]


@runtime_checkable
class WindowCache(Protocol):
    """What a computation needs from a cache: arrays by key.

    ``get`` returns the arrays stored under ``key`` or None (a miss, including an entry found
    damaged: the implementation drops and reports it). ``put`` stores them; a put of a key that
    exists may be ignored (both writers computed the same thing). Implementations count hits
    and misses per kind in ``stats``.
    """

    stats: CacheStats

    def get(self, key: str) -> Arrays | None: ...

    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> None: ...


@dataclass
class CacheStats:
    """Hits, misses and puts per kind (the part of a key before the first ``-``)."""

    hits: Counter[str] = field(default_factory=Counter)
    misses: Counter[str] = field(default_factory=Counter)
    puts: Counter[str] = field(default_factory=Counter)
    dropped: int = 0

    @staticmethod
    def kind(key: str) -> str:
        return key.split("-", 1)[0]

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{kind: {"hits": h, "misses": m}}`` for every kind seen (for run records)."""
        kinds = sorted(set(self.hits) | set(self.misses))
        return {k: {"hits": int(self.hits[k]), "misses": int(self.misses[k])} for k in kinds}


def _update(h: Any, array: np.ndarray) -> None:
    a = np.ascontiguousarray(array)
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.view(np.uint8).reshape(-1) if a.size else b"")


def _labels_bytes(labels: Iterable[Any]) -> bytes:
    return "\x1f".join(map(str, labels)).encode()


def digest_block(values: np.ndarray, index: pd.Index | np.ndarray | None = None,
                 columns: Iterable[Any] | None = None) -> str:
    """A digest of a block of data: its float64 bytes, shape, index and column labels.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_cols)
        Converted to float64 (NaN positions count: they are part of the bytes).
    index : DatetimeIndex or array, optional
        Row labels (dates are hashed as int64 nanoseconds).
    columns : iterable, optional
        Column labels (hashed as their strings).

    Returns
    -------
    str of 32 hex digits
    """
    h = hashlib.blake2b(digest_size=16)
    _update(h, np.asarray(values, dtype=np.float64))
    if index is not None:
        idx = index.asi8 if isinstance(index, pd.DatetimeIndex) else np.asarray(index)
        if idx.dtype == object:
            h.update(_labels_bytes(idx))
        else:
            _update(h, idx)
    if columns is not None:
        h.update(b"|cols|" + _labels_bytes(columns))
    return h.hexdigest()


def digest_chain(previous: str, block_digest: str) -> str:
    """The digest of ``previous`` data followed by a block (expanding windows)."""
    return hashlib.blake2b(f"{previous}+{block_digest}".encode(), digest_size=16).hexdigest()


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SALTS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD1B54A32D192ED03),
          np.uint64(0x8CB92BA72F3D8DD7), np.uint64(0xA0761D6478BD642F))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on uint64 (a bijection that spreads every input bit)."""
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


class RangeHasher:
    """128-bit digests of each column over row ranges [a, b) of one matrix, in one pass.

    Overlapping windows (a rolling fit of 252 days refitted every 21 sees each day twelve
    times) would hash every value many times with :func:`digest_block`. Here each column's
    digest over rows [a, b) is, per 64-bit lane, ``sum_t m(t) * mix(bits(x_t) ^ salt)`` mod
    2^64: ``mix`` is a bijection, the row multiplier ``m(t)`` is odd and derived from row t's
    stamp (a date), so changing any one value or date always changes the digest (an odd
    multiplier is invertible mod 2^64), and the sums are differences of prefix sums kept at
    the given breakpoints only. Two lanes with independent salts make the digest 128 bits;
    several simultaneous changes collide with probability about 2^-64 per lane (these are
    cache keys of our own data, not a defence against crafted input).

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_cols)
        Hashed as float64 bits (NaN positions count).
    stamps : ndarray of int64, shape (n_rows,)
        Row labels (dates as nanoseconds).
    breakpoints : iterable of int
        Every row index used as a range end (0..n_rows); prefix sums are kept only there.
    """

    def __init__(self, values: np.ndarray, stamps: np.ndarray, breakpoints: Iterable[int]):
        bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
        n, m = bits.shape
        stamps_u = np.ascontiguousarray(stamps, dtype=np.int64).view(np.uint64)
        self._stamps = stamps_u
        cuts = sorted({0, *(int(b) for b in breakpoints)})
        if cuts[-1] > n or cuts[0] < 0:
            raise ValueError("breakpoints must lie in 0..n_rows")
        self._pos = {c: i for i, c in enumerate(cuts)}
        prefix = np.zeros((len(cuts), 2, m), dtype=np.uint64)
        lanes = [(_mix(stamps_u ^ _SALTS[0]) | np.uint64(1), _SALTS[1]),
                 (_mix(stamps_u ^ _SALTS[2]) | np.uint64(1), _SALTS[3])]
        acc = np.zeros((2, m), dtype=np.uint64)
        for i in range(1, len(cuts)):
            lo, hi = cuts[i - 1], cuts[i]
            block = bits[lo:hi]
            for lane, (mult, salt) in enumerate(lanes):
                acc[lane] += (_mix(block ^ salt) * mult[lo:hi, None]).sum(axis=0,
                                                                           dtype=np.uint64)
            prefix[i] = acc
        self._prefix = prefix

    def digest(self, a: int, b: int, columns: np.ndarray, labels: Iterable[Any]) -> str:
        """The digest of rows [a, b) of ``columns`` (positions), with their labels and stamps
        (``a`` and ``b`` must be breakpoints)."""
        cols = np.asarray(columns, dtype=np.int64)
        sums = self._prefix[self._pos[b]][:, cols] - self._prefix[self._pos[a]][:, cols]
        h = hashlib.blake2b(digest_size=16)
        h.update(f"range|{b - a}|{cols.size}|".encode())
        h.update(self._stamps[a:b].tobytes())
        h.update(np.ascontiguousarray(sums).tobytes())
        h.update(b"|cols|" + _labels_bytes(labels))
        return h.hexdigest()


def get_many(cache: WindowCache, keys: Iterable[str]) -> dict[str, Arrays]:
    """The entries of ``keys`` that ``cache`` holds, in one lookup where it can (a disk cache
    answers a batch in one query); counts hits and misses like :meth:`WindowCache.get`."""
    keys = list(dict.fromkeys(keys))
    batch = getattr(cache, "get_many", None)
    if batch is not None:
        return cast(dict[str, Arrays], batch(keys))
    out = {}
    for key in keys:
        hit = cache.get(key)
        if hit is not None:
            out[key] = hit
    return out


def window_key(kind: str, params: Mapping[str, Any], *digests: str) -> str:
    """``<kind>-<hex>``: the key of a window's result from its parameters and data digests."""
    text = json.dumps({"schema": CACHE_SCHEMA, "params": dict(params), "data": list(digests)},
                      sort_keys=True, default=str)
    return f"{kind}-{hashlib.blake2b(text.encode(), digest_size=20).hexdigest()}"


class MemoryWindowCache:
    """A :class:`WindowCache` in a dict (copies in and out, so callers cannot alter entries)."""

    def __init__(self) -> None:
        self.entries: dict[str, Arrays] = {}
        self.stats = CacheStats()

    def get(self, key: str) -> Arrays | None:
        kind = CacheStats.kind(key)
        entry = self.entries.get(key)
        if entry is None:
            self.stats.misses[kind] += 1
            return None
        self.stats.hits[kind] += 1
        return {k: v.copy() for k, v in entry.items()}

    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        self.stats.puts[CacheStats.kind(key)] += 1
        self.entries.setdefault(key, {k: np.array(v, copy=True) for k, v in arrays.items()})
