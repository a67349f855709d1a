"""Walk-forward folds through a window cache: bit-identical, new rows reuse every fold, a
changed factor return reruns exactly the folds that trained on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.optimize import walk_forward
from equity_factors.optimize.walkforward import fold_grid
from equity_factors.window_cache import MemoryWindowCache

TRAIN, TEST = 40, 15
KW = dict(technique="bayesian", n_trials=12, random_state=3)


@pytest.fixture(scope="module")
def factor_returns():
    rng = np.random.default_rng(2)
    data = rng.normal(0.0004, 0.01, size=(160, 3))
    return pd.DataFrame(data, index=pd.bdate_range("2019-01-01", periods=160, name="date"),
                        columns=pd.Index(["F1", "F2", "F3"], name="factor"))


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.weights, b.weights, check_exact=True)
    pd.testing.assert_series_equal(a.out_of_sample_returns, b.out_of_sample_returns,
                                   check_exact=True)
    pd.testing.assert_frame_equal(a.fold_table(), b.fold_table(), check_exact=True)
    pd.testing.assert_series_equal(a.summary(), b.summary(), check_exact=True)
    for x, y in zip(a.folds, b.folds):
        pd.testing.assert_frame_equal(x.optimization.trial_returns,
                                      y.optimization.trial_returns, check_exact=True)
        pd.testing.assert_series_equal(x.method_blend, y.method_blend, check_exact=True)
        pd.testing.assert_series_equal(x.weights, y.weights, check_exact=True)
        pd.testing.assert_frame_equal(x.optimization.method_weights,
                                      y.optimization.method_weights, check_exact=True)
        pd.testing.assert_series_equal(x.optimization.in_sample_returns,
                                       y.optimization.in_sample_returns, check_exact=True)
        np.testing.assert_array_equal(x.optimization.trial_objectives,
                                      y.optimization.trial_objectives)
        pd.testing.assert_frame_equal(x.optimization.trial_params,
                                      y.optimization.trial_params, check_exact=True)
    pd.testing.assert_frame_equal(a.trial_table(), b.trial_table(), check_exact=True)


@pytest.mark.parametrize("technique", ["bayesian", "differential"])
def test_warm_folds_equal_cold(factor_returns, technique):
    kw = {**KW, "technique": technique}
    cache = MemoryWindowCache()
    cold = walk_forward(factor_returns.iloc[:-5], TRAIN, TEST, **kw)
    first = walk_forward(factor_returns.iloc[:-5], TRAIN, TEST, window_cache=cache, **kw)
    n_folds = len(first.folds)
    assert cache.stats.misses["optimize"] == n_folds
    assert_same(first, cold)
    assert_same(walk_forward(factor_returns.iloc[:-5], TRAIN, TEST, window_cache=cache, **kw),
                cold)
    assert cache.stats.hits["optimize"] == n_folds
    cache.stats.misses.clear()
    cache.stats.hits.clear()
    longer = walk_forward(factor_returns, TRAIN, TEST, window_cache=cache, **kw)
    assert_same(longer, walk_forward(factor_returns, TRAIN, TEST, **kw))
    # five more rows: folds whose train window is unchanged are reused
    assert cache.stats.hits["optimize"] == n_folds
    assert cache.stats.misses["optimize"] == len(longer.folds) - n_folds


def test_changed_return_reruns_exactly_its_folds(factor_returns):
    cache = MemoryWindowCache()
    walk_forward(factor_returns, TRAIN, TEST, window_cache=cache, **KW)
    row = 70
    changed = factor_returns.copy()
    changed.iloc[row, 1] += 0.05
    cache.stats.misses.clear()
    warm = walk_forward(changed, TRAIN, TEST, window_cache=cache, **KW)
    grid = fold_grid(len(changed), TRAIN, TEST)
    assert cache.stats.misses["optimize"] == sum(
        1 for _, train, _, _ in grid if train.start <= row < train.stop)
    assert_same(warm, walk_forward(changed, TRAIN, TEST, **KW))


def test_parallel_trials_are_not_cached(factor_returns):
    cache = MemoryWindowCache()
    walk_forward(factor_returns, TRAIN, TEST, window_cache=cache, n_jobs=2, **KW)
    # racing trials make no fold result; each fold's PBO is keyed by the trials it got
    assert cache.entries and all(k.startswith("pbo-") for k in cache.entries)


def test_folds_run_by_an_executor_cache_only_their_pbo(factor_returns):
    """Folds run through a map (an executor) bring no fold result into the driver's cache; the
    driver's overfitting report still caches each fold's PBO and reads it on a rerun, with the
    same report as without the cache."""
    cache = MemoryWindowCache()

    def mapper(fn, tasks):
        return map(fn, tasks)

    first = walk_forward(factor_returns, TRAIN, TEST, window_cache=cache, map_fn=mapper, **KW)
    assert cache.entries and all(k.startswith("pbo-") for k in cache.entries)
    again = walk_forward(factor_returns, TRAIN, TEST, window_cache=cache, map_fn=mapper, **KW)
    assert cache.stats.hits["pbo"] == len(cache.entries) and not cache.stats.hits["optimize"]
    assert_same(first, again)
    assert_same(first, walk_forward(factor_returns, TRAIN, TEST, map_fn=mapper, **KW))
