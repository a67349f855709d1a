"""The window-cache protocol: digests see every byte, label and date; keys are stable."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.window_cache import (
    MemoryWindowCache,
    WindowCache,
    digest_block,
    digest_chain,
    window_key,
)


def _block(seed: int = 0) -> tuple[np.ndarray, pd.DatetimeIndex, list[str]]:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(30, 4))
    values[3, 1] = np.nan
    return values, pd.bdate_range("2020-01-01", periods=30), ["A", "B", "C", "D"]


@settings(max_examples=25, deadline=None)
@given(row=st.integers(0, 29), col=st.integers(0, 3), eps=st.sampled_from([1e-15, 1e-8, 1.0]))
def test_digest_changes_with_any_value(row, col, eps):
    values, index, cols = _block()
    base = digest_block(values, index, cols)
    changed = values.copy()
    changed[row, col] = (0.0 if np.isnan(changed[row, col]) else changed[row, col]) + eps
    assert digest_block(changed, index, cols) != base
    assert digest_block(values.copy(), index.copy(), list(cols)) == base  # same data, same key


def test_digest_sees_labels_dates_and_shape():
    values, index, cols = _block()
    base = digest_block(values, index, cols)
    assert digest_block(values, index.shift(1), cols) != base
    assert digest_block(values, index, ["A", "B", "C", "E"]) != base
    assert digest_block(values[:, [1, 0, 2, 3]], index, ["B", "A", "C", "D"]) != base
    assert digest_block(values.reshape(60, 2)) != digest_block(values)
    assert digest_block(values.astype(np.float32)) == digest_block(
        values.astype(np.float32).astype(np.float64))  # hashed as float64
    assert digest_chain("a", "b") != digest_chain("b", "a")


def test_keys_and_memory_cache():
    k1 = window_key("factors", {"method": "pca", "k": 3}, "d1")
    assert k1.startswith("factors-") and k1 == window_key("factors", {"k": 3, "method": "pca"},
                                                          "d1")
    assert k1 != window_key("factors", {"method": "pca", "k": 4}, "d1")
    assert k1 != window_key("factors", {"method": "pca", "k": 3}, "d2")
    cache = MemoryWindowCache()
    assert isinstance(cache, WindowCache)
    assert cache.get(k1) is None
    arrays = {"x": np.arange(3.0)}
    cache.put(k1, arrays)
    arrays["x"][0] = 99.0  # the entry is a copy
    got = cache.get(k1)
    assert got is not None and got["x"][0] == 0.0
    got["x"][1] = 99.0
    assert cache.get(k1)["x"][1] == 1.0
    assert cache.stats.as_dict() == {"factors": {"hits": 2, "misses": 1}}


def _hasher_digest(values, index, cols, a, b, held=None):
    from equity_factors.window_cache import RangeHasher

    held = np.arange(values.shape[1]) if held is None else np.asarray(held)
    hasher = RangeHasher(values, index.asi8, [a, b])
    return hasher.digest(a, b, held, [cols[i] for i in held])


@settings(max_examples=40, deadline=None)
@given(row=st.integers(0, 29), col=st.integers(0, 3),
       eps=st.sampled_from([1e-300, 1e-15, 1e-8, 1.0, -0.0]))
def test_range_digest_changes_with_any_value_inside_and_none_outside(row, col, eps):
    values, index, cols = _block()
    a, b = 5, 25
    base = _hasher_digest(values, index, cols, a, b)
    changed = values.copy()
    old = changed[row, col]
    changed[row, col] = (0.0 if np.isnan(old) else old) + eps if eps != -0.0 else -old
    moved = _hasher_digest(changed, index, cols, a, b)
    bits_changed = changed[row, col].tobytes() != values[row, col].tobytes()
    assert (moved != base) == (a <= row < b and bits_changed)


def test_range_digest_sees_dates_labels_columns_and_agrees_across_breakpoints():
    from equity_factors.window_cache import RangeHasher

    values, index, cols = _block()
    base = _hasher_digest(values, index, cols, 5, 25)
    assert _hasher_digest(values, index.shift(1), cols, 5, 25) != base
    assert _hasher_digest(values, index, ["A", "B", "C", "E"], 5, 25) != base
    assert _hasher_digest(values, index, cols, 5, 25, held=[0, 1, 2]) != base
    assert _hasher_digest(values, index, cols, 5, 24) != base
    # swapped columns with swapped labels are another window
    assert _hasher_digest(values[:, [1, 0, 2, 3]], index, ["B", "A", "C", "D"], 5, 25) != base
    # the same rows give the same digest whatever other breakpoints, rows or columns the
    # hasher was built with (a longer history, one more day, another window grid)
    wider = np.c_[values, np.ones(30)]
    hasher = RangeHasher(np.r_[wider, wider[:3]], np.r_[index.asi8, index.asi8[:3] + 10**15],
                         [0, 3, 5, 11, 25, 29, 33])
    assert hasher.digest(5, 25, np.arange(4), cols) == base
    # a value changed after the window does not move it: one more day reuses every window
    later = values.copy()
    later[27, 2] += 1.0
    assert _hasher_digest(later, index, cols, 5, 25) == base


def test_get_many_counts_like_get_and_batches_a_disk_cache(tmp_path):
    from equity_factors.data.paths import DataDir
    from equity_factors.data.window_store import DiskWindowCache
    from equity_factors.window_cache import get_many

    for cache in (MemoryWindowCache(), DiskWindowCache(DataDir(tmp_path))):
        keys = [window_key("factors", {"i": i}, "d") for i in range(1200)]
        for i, key in enumerate(keys[:700]):
            cache.put(key, {"x": np.array([float(i)])})
        if hasattr(cache, "flush"):
            cache.flush()
            cache.put(keys[700], {"x": np.array([700.0])})  # still pending: found too
        got = get_many(cache, keys + keys[:3])  # duplicates asked once
        n = 701 if hasattr(cache, "flush") else 700
        assert sorted(got) == sorted(keys[:n])
        assert all(got[k]["x"][0] == float(i) for i, k in enumerate(keys[:n]))
        assert cache.stats.as_dict() == {"factors": {"hits": n, "misses": 1200 - n}}
