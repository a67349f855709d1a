"""HMM refits: one EM step equals hmmlearn's, warm starts keep the planted regimes, and the
per-refit cache gives bit-identical paths with exact invalidation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_hmm import agreement, simulate  # the planted market of the HMM tests

from equity_factors.regime._em import HMMParams, em_step, energy_init
from equity_factors.regime.hmm import detect_regimes, regime_features
from equity_factors.window_cache import MemoryWindowCache


@pytest.mark.parametrize("cov", ["full", "diag"])
def test_em_step_matches_hmmlearn(cov):
    # oracle: hmmlearn's GaussianHMM, one EM iteration from the same start
    from hmmlearn.hmm import GaussianHMM

    returns, _ = simulate(seed=4, n=600)
    rng = np.random.default_rng(0)
    x = np.column_stack([returns.to_numpy(), rng.normal(size=600) * 0.01])
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    start = energy_init(z, 3, np.random.default_rng(1), True, diag=cov == "diag")
    ours, ll = em_step(z, start, diag=cov == "diag")
    ref = GaussianHMM(3, covariance_type=cov, n_iter=1, init_params="", tol=-np.inf,
                      implementation="scaling")
    ref.startprob_, ref.transmat_, ref.means_ = start.startprob, start.transmat, start.means
    ref.covars_ = start.covars if cov == "full" else np.array([np.diag(c) for c in start.covars])
    assert ll == pytest.approx(ref.score(z), rel=1e-10)
    ref.fit(z)
    np.testing.assert_allclose(ours.startprob, ref.startprob_, atol=1e-10)
    np.testing.assert_allclose(ours.transmat, ref.transmat_, atol=1e-10)
    np.testing.assert_allclose(ours.means, ref.means_, atol=1e-10)
    np.testing.assert_allclose(ours.covars, ref.covars_, atol=1e-10)
    assert isinstance(ours, HMMParams)


@pytest.fixture(scope="module")
def planted():
    returns, states = simulate(seed=7, n=2400)
    return regime_features(returns), states


KW = dict(n_regimes=3, refit_every=300, min_train=750, n_restarts=3, random_state=0)


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.probabilities, b.probabilities, check_exact=True)
    pd.testing.assert_series_equal(a.regimes, b.regimes)
    pd.testing.assert_series_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.model.transmat_, b.model.transmat_)
    assert a.fits == b.fits or all(
        (x.train_end, x.log_likelihood, x.labels) == (y.train_end, y.log_likelihood, y.labels)
        for x, y in zip(a.fits, b.fits))


def test_warm_start_keeps_planted_regimes_and_spends_fewer_restarts(planted):
    features, states = planted
    warm = detect_regimes(features, **KW)
    cold = detect_regimes(features, **KW, warm_start=False)
    assert agreement(warm.regimes, states) >= 0.80
    assert agreement(warm.regimes, states) >= agreement(cold.regimes, states) - 0.02
    spent = sum(f.n_restarts_run for f in warm.fits)
    assert spent < sum(f.n_restarts_run for f in cold.fits) == 3 * len(cold.fits)
    assert np.isnan(warm.fits[0].restart_gain)
    assert all(f.restart_gain >= -1e-6 for f in warm.fits[1:])  # restarts never lower the best
    # the warm-started fit is as good as the restarts from scratch (log-likelihood per row)
    for w, c in zip(warm.fits, cold.fits):
        assert w.log_likelihood >= c.log_likelihood - 0.01 * w.n_train


def test_cache_bit_identical_and_one_more_day(planted):
    features, _ = planted
    cache = MemoryWindowCache()
    short = features.iloc[:-1]
    cold = detect_regimes(short, **KW)
    first = detect_regimes(short, **KW, window_cache=cache)
    assert_same(first, cold)
    n_refits = len(first.fits)
    assert cache.stats.misses["regime"] == n_refits
    warm = detect_regimes(short, **KW, window_cache=cache)
    assert cache.stats.hits["regime"] == n_refits and cache.stats.hits["filter"] == n_refits
    assert_same(warm, cold)
    cache.stats.hits.clear()
    cache.stats.misses.clear()
    longer = detect_regimes(features, **KW, window_cache=cache)
    assert cache.stats.misses["regime"] == 0 and cache.stats.hits["regime"] == n_refits
    assert cache.stats.misses["filter"] == 1  # only the last block grew
    assert_same(longer, detect_regimes(features, **KW))


def test_changed_row_refits_exactly_the_models_trained_on_it(planted):
    features, _ = planted
    cache = MemoryWindowCache()
    base = detect_regimes(features, **KW, window_cache=cache)
    row = 1300
    changed = features.copy()
    changed.iloc[row, 0] += 0.02
    cache.stats.hits.clear()
    cache.stats.misses.clear()
    warm = detect_regimes(changed, **KW, window_cache=cache)
    refits = range(KW["min_train"], len(features), KW["refit_every"])
    assert cache.stats.misses["regime"] == sum(1 for p in refits if p > row)
    assert cache.stats.hits["regime"] == sum(1 for p in refits if p <= row)
    assert_same(warm, detect_regimes(changed, **KW))
    # point in time: nothing before the changed row moved
    pd.testing.assert_frame_equal(warm.probabilities.iloc[:row], base.probabilities.iloc[:row],
                                  check_exact=True)
