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
