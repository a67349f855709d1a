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
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

__all__ = ["CACHE_SCHEMA", "Arrays", "CacheStats", "MemoryWindowCache", "WindowCache",
           "digest_block", "digest_chain", "window_key"]

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
