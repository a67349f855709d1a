"""Regime HMM: planted-path recovery, forward filter oracle, point in time, regime statistics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.stats import multivariate_normal

from equity_factors.errors import UserError
from equity_factors.regime.hmm import (
    RegimeFactorStats,
    RegimeHMM,
    detect_regimes,
    forward_filter,
    predict_regime_probabilities,
    regime_allocation,
    regime_factor_stats,
    regime_features,
    regime_labels,
)

# planted 3-state Markov-switching market: daily vol 0.8% x (1, 1.7, 3), persistent states
TRANSITION = np.array([[0.995, 0.004, 0.001],
                       [0.006, 0.990, 0.004],
                       [0.004, 0.011, 0.985]])
VOL = 0.008 * np.array([1.0, 1.7, 3.0])
MEAN = np.array([0.0005, -0.0002, -0.001])


def simulate(seed: int, n: int) -> tuple[pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    states = np.empty(n, dtype=int)
    states[0] = 0
    u = rng.random(n)
    cum = TRANSITION.cumsum(axis=1)
    for t in range(1, n):
        states[t] = int(np.searchsorted(cum[states[t - 1]], u[t]))
    r = MEAN[states] + VOL[states] * rng.standard_normal(n)
    return pd.Series(r, index=pd.bdate_range("2010-01-01", periods=n), name="market"), states


def agreement(detected: pd.Series, truth: np.ndarray) -> float:
    """Share of labelled days on which the detected state equals the planted one after the
    label permutation that maximizes agreement (Hungarian assignment)."""
    ok = detected.notna().to_numpy()
    d = detected[ok].astype(int).to_numpy()
    t = np.asarray(truth)[ok]
    k = max(d.max(), t.max()) + 1
    counts = np.zeros((k, k))
    np.add.at(counts, (d, t), 1)
    rows, cols = linear_sum_assignment(-counts)
    return counts[rows, cols].sum() / len(d)


@pytest.fixture(scope="module")
def planted():
    returns, states = simulate(seed=7, n=3000)
    # precondition: every regime is present in the first training window
    assert (np.bincount(states[:750], minlength=3) / 750 > 0.1).all()
    features = regime_features(returns)
    result = detect_regimes(features, n_regimes=3, refit_every=750, min_train=750,
                            n_restarts=3, random_state=0)
    return returns, states, features, result


def test_recovers_planted_path(planted):
    _, states, features, result = planted
    assert result.regimes.iloc[:750].isna().all() and result.regimes.iloc[750:].notna().all()
    assert agreement(result.regimes, states) >= 0.80
    model = result.model
    assert list(model.labels_) == ["Low-vol bull", "High-vol bear", "Crisis"]
    spells = result.summary()["mean_spell_days"]
    assert (spells > 5).all()  # the planted states persist
    assert np.all(np.diff(model.state_vol_) > 0)
    ratio = model.state_vol_ / model.state_vol_[0]
    np.testing.assert_allclose(ratio, [1.0, 1.7, 3.0], rtol=0.25)
    np.testing.assert_allclose(result.probabilities.iloc[750:].sum(axis=1), 1.0, atol=1e-12)
    assert [f.n_train for f in result.fits] == [750, 1500, 2250]


def test_forward_filter_matches_naive_loop_and_hmmlearn(planted):
    from hmmlearn.hmm import GaussianHMM

    _, _, features, result = planted
    model = result.model
    z = (features.to_numpy() - model.center_) / model.scale_
    z = z[:400]
    # naive forward recursion in probability space, densities from scipy
    dens = np.column_stack([multivariate_normal(m, c).pdf(z).reshape(-1)
                            for m, c in zip(model.means_, model.covars_)])
    alpha = model.startprob_ * dens[0]
    loglik = math.log(alpha.sum())
    naive = [alpha / alpha.sum()]
    for t in range(1, len(z)):
        alpha = (naive[-1] @ model.transmat_) * dens[t]
        loglik += math.log(alpha.sum())
        naive.append(alpha / alpha.sum())
    got = model.filter(features.iloc[:400]).to_numpy()
    np.testing.assert_allclose(got, np.array(naive), atol=1e-10, rtol=0)
    log_b = model.log_emission(features.iloc[:400])
    np.testing.assert_allclose(forward_filter(log_b, model.startprob_, model.transmat_), got,
                               atol=0)
    # the normalizers sum to the log-likelihood hmmlearn's own forward pass gives
    ref = GaussianHMM(n_components=3, covariance_type="full")
    ref.n_features = z.shape[1]
    ref.startprob_, ref.transmat_ = model.startprob_, model.transmat_
    ref.means_, ref.covars_ = model.means_, model.covars_
    assert loglik == pytest.approx(ref.score(z), rel=1e-10)


def test_filter_does_not_look_ahead(planted):
    _, _, features, result = planted
    full = result.model.filter(features)
    part = result.model.filter(features.iloc[:1000])
    pd.testing.assert_frame_equal(full.iloc[:1000], part)


def test_predict_ahead(planted):
    result = planted[3]
    ahead = result.predict(5)
    assert list(ahead.index) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(ahead.sum(axis=1), 1.0, atol=1e-12)
    p = result.current_probabilities.to_numpy()
    a = result.model.transmat_
    np.testing.assert_allclose(ahead.loc[5].to_numpy(), p @ np.linalg.matrix_power(a, 5),
                               atol=1e-12)
    assert result.current_label == result.labels.iloc[-1]
    assert result.current_regime == int(np.argmax(p))
    with pytest.raises(UserError, match="horizon"):
        result.predict(0)


@pytest.fixture(scope="module")
def small():
    returns, _ = simulate(seed=1, n=900)
    features = regime_features(returns, include_vol=True, vol_window=10)
    kwargs = dict(n_regimes=3, refit_every=200, min_train=300, n_restarts=2, random_state=5)
    return returns, kwargs, detect_regimes(features, **kwargs)


@settings(max_examples=5, deadline=None)
@given(cut=st.integers(300, 880), seed=st.integers(0, 1000))
def test_point_in_time(small, cut, seed):
    returns, kwargs, base = small
    rng = np.random.default_rng(seed)
    altered = returns.copy()
    altered.iloc[cut + 1:] = rng.standard_normal(len(returns) - cut - 1) * 0.03
    features = regime_features(altered, include_vol=True, vol_window=10)
    other = detect_regimes(features, **kwargs)
    pd.testing.assert_frame_equal(other.probabilities.loc[: returns.index[cut]],
                                  base.probabilities.loc[: returns.index[cut]])
    pd.testing.assert_series_equal(other.labels.loc[: returns.index[cut]],
                                   base.labels.loc[: returns.index[cut]])


def test_same_seed_same_fit(small):
    returns, _, _ = small
    features = regime_features(returns)
    a = RegimeHMM(2, n_restarts=2, random_state=3).fit(features)
    b = RegimeHMM(2, n_restarts=2, random_state=3).fit(features)
    np.testing.assert_array_equal(a.transmat_, b.transmat_)
    assert a.labels_ == b.labels_ and a.labels_[0].startswith("Low-vol")
    assert list(a.summary().columns) == ["label", "ann_mean", "ann_vol", "persistence",
                                         "expected_duration"]


def test_synthetic_market_recovery():
    synthetic = pytest.importorskip("equity_factors.data.synthetic")
    truth = synthetic.simulate_market(synthetic.SyntheticConfig(n_stocks=100)).truth
    market = truth.returns.mean(axis=1).fillna(0.0)  # equal-weighted market
    # market-only filtering cannot reach 0.8 here even with the true parameters (spells of
    # 14-67 days, Student-t shocks: about 0.75); the 15 non-market factors carry the same
    # regime volatility and make the regime visible day by day
    factors = truth.factor_returns.drop(columns="market")
    features = regime_features(market, factors)
    result = detect_regimes(features, n_regimes=3, refit_every=1000, min_train=1000,
                            n_restarts=2, random_state=0, covariance_type="diag")
    planted = truth.regimes.reindex(features.index).map(
        {name: i for i, name in enumerate(synthetic.REGIMES)}).to_numpy()
    assert agreement(result.regimes, planted) >= 0.80
    # the regime scales factor shocks by 1 / 1.7 / 3 (idiosyncratic ones by their square root)
    ratio = result.model.state_vol_ / result.model.state_vol_[0]
    assert 1.3 < ratio[1] < 2.2 and 2.3 < ratio[2] < 4.0


def test_regime_features():
    idx = pd.bdate_range("2020-01-01", periods=30)
    r = pd.Series(np.sin(np.arange(30.0)) / 100, index=idx)
    f = pd.DataFrame({"value": np.cos(np.arange(30.0)) / 100}, index=idx)
    f.iloc[:3] = np.nan  # later-starting factor
    out = regime_features(r, f, vol_window=5, include_vol=True)
    assert list(out.columns) == ["market_return", "value_return", "market_vol", "value_vol"]
    assert out.index[0] == idx[7]  # value has 5 returns from row 7 on
    t = 12
    expected = math.log(np.std(r.iloc[t - 4:t + 1], ddof=1) * math.sqrt(252))
    assert out.loc[idx[t], "market_vol"] == pytest.approx(expected)
    assert list(regime_features(r).columns) == ["market_return"]
    gap = r.copy()
    gap.iloc[10] = np.nan
    with pytest.raises(UserError, match="missing"):
        regime_features(gap)


def test_labels_rule():
    assert regime_labels(np.array([0.1, -0.1]), np.array([0.1, 0.3])) == (
        "Low-vol bull", "High-vol bear")
    assert regime_labels(np.array([0.1, 0.05, -0.5]), np.array([0.1, 0.2, 0.5])) == (
        "Low-vol bull", "High-vol bull", "Crisis")
    assert regime_labels(np.full(5, -0.01), np.arange(1.0, 6.0)) == (
        "Low-vol bear", "Mid-vol 1 bear", "Mid-vol 2 bear", "High-vol bear", "Crisis")
    # a rising state is never a crisis, however volatile (SAMPLE's +24.7 %/yr "Crisis")
    assert regime_labels(np.array([0.1, 0.05, 0.247]), np.array([0.1, 0.2, 0.5]))[-1] == (
        "Extreme-vol bull")
    # nor a falling one barely more volatile than the calmest, nor one of 2-day spells
    assert regime_labels(np.array([0.1, 0.05, -0.2]), np.array([0.1, 0.11, 0.12]))[-1] == (
        "Extreme-vol bear")
    assert regime_labels(np.array([0.1, 0.05, -0.5]), np.array([0.1, 0.2, 0.5]),
                         np.array([40.0, 20.0, 2.2])) == (
        "Low-vol bull", "High-vol bull", "Extreme-vol bear (transient)")


def test_spell_lengths():
    from equity_factors.regime.hmm import spell_lengths

    path = pd.Series([pd.NA, 0, 0, 1, 1, 1, 0, pd.NA, 0, 2], dtype="Int64")
    assert spell_lengths(path) == {0: [2, 1, 1], 1: [3], 2: [1]}


def test_factor_stats_and_allocation():
    idx = pd.bdate_range("2021-01-01", periods=8)
    regimes = pd.Series(pd.array([0, 0, 0, 0, 1, 1, 1, 1], dtype="Int64"), index=idx)
    fr = pd.DataFrame({"a": [9.0, 0.01, 0.03, 0.02, -0.01, -0.02, -0.03, 0.0],
                       "b": [9.0, -0.01, -0.01, 0.02, -0.02, 0.02, 0.01, 0.0]}, index=idx)
    stats = regime_factor_stats(fr, regimes, lag=1)
    # lag 1: the return of day t counts for the regime of day t-1 -> regime 0 gets rows 1..4
    a0 = np.array([0.01, 0.03, 0.02, -0.01])
    assert stats.n_days.tolist() == [4, 3]
    assert stats.ann_return.loc[0, "a"] == pytest.approx(np.prod(1 + a0) ** (252 / 4) - 1)
    assert stats.sharpe.loc[0, "a"] == pytest.approx(a0.mean() / a0.std(ddof=1) * math.sqrt(252))
    same_day = regime_factor_stats(fr, regimes, lag=0)
    assert same_day.n_days.tolist() == [4, 4]
    weights = regime_allocation(stats, min_days=3)
    sa, sb = stats.sharpe.loc[0, "a"], stats.sharpe.loc[0, "b"]
    assert sa > 0 and sb < 0
    np.testing.assert_allclose(weights.loc[0].to_numpy(), [1.0, 0.0])
    np.testing.assert_allclose(weights.loc[1].to_numpy(), [0.0, 1.0])  # a loses, b gains
    assert (regime_allocation(stats, min_days=5).to_numpy() == 0).all()  # too few days: cash
    neg = RegimeFactorStats(ann_return=stats.ann_return, sharpe=-stats.sharpe.abs(),
                            n_days=stats.n_days, lag=1)
    assert (regime_allocation(neg, min_days=1).to_numpy() == 0).all()
    mixed = RegimeFactorStats(ann_return=stats.ann_return,
                              sharpe=pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, -1.0]}),
                              n_days=stats.n_days, lag=1)
    np.testing.assert_allclose(regime_allocation(mixed, 1).to_numpy(), [[0.25, 0.75], [1, 0]])


def test_bad_input(small):
    returns, _, _ = small
    features = regime_features(returns)
    with pytest.raises(UserError, match="regimes must be an integer >= 2"):
        detect_regimes(features, n_regimes=1)
    with pytest.raises(UserError, match="first fit needs 504"):
        detect_regimes(features.iloc[:504])
    with pytest.raises(UserError, match="too few"):
        RegimeHMM(3).fit(features.iloc[:50])
    with pytest.raises(UserError, match="constant"):
        RegimeHMM(2).fit(pd.DataFrame({"market_return": np.full(600, 0.001)}))
    with pytest.raises(UserError, match="valid: full, diag"):
        RegimeHMM(2, covariance_type="spherical").fit(features)
    with pytest.raises(UserError, match="not fitted"):
        RegimeHMM(2).filter(features)
    with pytest.raises(UserError, match="horizon"):
        predict_regime_probabilities([0.5, 0.5], np.eye(2), 0)


def test_callback_reports_each_refit_and_changes_nothing(small):
    returns, kwargs, base = small
    features = regime_features(returns, include_vol=True, vol_window=10)
    calls = []
    result = detect_regimes(features, **kwargs, callback=lambda i, n: calls.append((i, n)))
    n_refits = len(range(kwargs["min_train"], len(features), kwargs["refit_every"]))
    assert n_refits == len(result.fits) == 3
    assert calls == [(i, n_refits) for i in range(1, n_refits + 1)]
    pd.testing.assert_frame_equal(result.probabilities, base.probabilities)


def test_abandoned_restarts_stop_at_their_check_and_never_beat_the_best(small):
    from equity_factors.regime._em import em_fit, energy_init

    features = regime_features(small[0], include_vol=True, vol_window=10)
    z = features.to_numpy()
    z = (z - z.mean(axis=0)) / z.std(axis=0, ddof=1)
    start = energy_init(z, 3, np.random.default_rng(0), True)
    full = em_fit(z, start, 100, 1e-3)
    # a floor above anything reachable stops the run right after iteration 5, unscored
    params, score, converged, done = em_fit(z, start, 100, 1e-3, abandon=(5, np.inf))
    assert (score, converged, done) == (-np.inf, False, 5)
    # a floor below the trajectory changes nothing: the same fit, bit for bit
    same = em_fit(z, start, 100, 1e-3, abandon=(5, -np.inf))
    assert same[1] == full[1] and same[3] == full[3]
    np.testing.assert_array_equal(same[0].means, full[0].means)


def test_warm_fits_count_their_iterations_and_abandoned_restarts(small):
    small = regime_features(small[0], include_vol=True, vol_window=10)
    first = RegimeHMM(3, random_state=0).fit(small.iloc[:600])
    assert first.n_abandoned_ == 0 and first.em_iterations_ > 0  # no warm start: no abandoning
    eager = RegimeHMM(3, random_state=0, abandon_after=1, abandon_margin=-1e9)
    eager.fit(small.iloc[:700], init=first)  # every scratch restart fails its check
    assert eager.n_abandoned_ == eager.n_restarts_run_ >= 1
    off = RegimeHMM(3, random_state=0, abandon_after=0).fit(small.iloc[:700], init=first)
    assert off.n_abandoned_ == 0
    # the warm start alone is the best fit of the eager one
    warm_only = RegimeHMM(3, random_state=0, n_restarts=1, abandon_after=1,
                          abandon_margin=-1e9).fit(small.iloc[:700], init=first)
    assert eager.log_likelihood_ == warm_only.log_likelihood_
