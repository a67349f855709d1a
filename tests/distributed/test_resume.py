"""The default storage: Optuna in memory, finished folds kept in the data directory's trial
cache, so a rerun of an interrupted walk-forward resumes at its first unfinished fold with the
same result, bit for bit, as an uninterrupted run."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from _dist_support import KW, assert_same_walk

from equity_factors.data.paths import resolve_data_dir
from equity_factors.data.trial_cache import TrialCache
from equity_factors.optimize import walk_forward

# one xdist worker runs every distributed test: one PostgreSQL, Ray and Dask per run
pytestmark = pytest.mark.xdist_group("distributed")


def test_a_rerun_replays_finished_folds_and_redoes_the_rest(tmp_path, factor_returns, serial):
    cache = TrialCache.of(resolve_data_dir(tmp_path / "data"))
    first = walk_forward(factor_returns, 90, 30, checkpoint=cache, **KW)
    assert_same_walk(serial, first)  # the cache changes nothing
    files = sorted(cache.folder.glob("*/meta.json"))
    assert len(files) == len(serial.folds)
    for f in files[::2]:  # as if the run had been killed before these folds finished
        shutil.rmtree(f.parent)
    files[1].write_text("{cut off")  # a damaged entry is recomputed, not trusted
    again = walk_forward(factor_returns, 90, 30, checkpoint=cache, **KW)
    assert_same_walk(serial, again)
    assert len(list(cache.folder.glob("*/meta.json"))) == len(serial.folds)
    assert cache.load(files[1].parent.name) is not None  # ... and repaired
    assert not [p for p in cache.folder.iterdir() if p.name.startswith(".")]


def test_the_key_covers_the_data_and_the_settings(tmp_path, factor_returns):
    cache = TrialCache.of(resolve_data_dir(tmp_path / "data"))
    walk_forward(factor_returns, 90, 30, checkpoint=cache, **KW)
    n = len(list(cache.folder.glob("*/meta.json")))
    changed = factor_returns.copy()
    changed.iloc[5, 0] += 1e-9  # one number of the first fold's train window
    walk_forward(changed, 90, 30, checkpoint=cache, **KW)
    assert len(list(cache.folder.glob("*/meta.json"))) == n + 1  # only that fold is new
    walk_forward(factor_returns, 90, 30, checkpoint=cache, **{**KW, "random_state": 12})
    assert len(list(cache.folder.glob("*/meta.json"))) == 2 * n + 1


def test_saved_parameters_round_trip_exactly(tmp_path):
    cache = TrialCache(tmp_path / "t")
    params = np.random.default_rng(0).random((7, 3)) / 3.0
    cache.save("abc123", ["a", "b", "c"], params)
    assert np.array_equal(cache.load("abc123"), params)
    assert cache.load("missing0") is None
