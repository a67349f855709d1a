"""PSR, DSR, MinTRL, MinBTL, PBO and the report against published numbers (docs/metrics.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from equity_factors.errors import UserError
from equity_factors.optimize import overfitting as of


def test_psr_pypbo_example():
    # pypbo tests/test_pbo.py::test_psr ("The Sharpe Ratio Efficient Frontier" example) [C]
    psr = of.probabilistic_sharpe_ratio(1.585 / math.sqrt(12), 24, -2.448, 10.164, 0.0)
    assert psr == pytest.approx(0.91323430688486018, abs=1e-14)


def test_psr_mlfinlab_example():
    # mlfinlab tests/test_backtest_statistics.py [C]; the published value is truncated to 5 d.p.
    assert of.probabilistic_sharpe_ratio(1.14, 250, 0, 3, 1.0) == pytest.approx(0.95727, abs=1e-5)


@pytest.mark.parametrize(
    ("sr", "sr_star", "skew", "kurt", "ppy", "years"),
    [
        # pypbo "Figure 8" checks, p = .95 [C]
        (2.0, 1.0, 0.0, 3.0, 250, 2.7311878017),
        (2.0, 1.0, 0.0, 3.0, 52, 2.8288335869),
        (3.0, 2.5, -0.72, 5.78, 12, 27.3529201960),
    ],
)
def test_min_track_record_length_pypbo(sr, sr_star, skew, kurt, ppy, years):
    root = math.sqrt(ppy)
    n = of.min_track_record_length(sr / root, sr_star / root, skew, kurt, 0.95)
    assert n / ppy == pytest.approx(years, abs=1e-9)


def test_min_track_record_length_mlfinlab():
    assert of.min_track_record_length(1.14, 1.0, 0, 3, 0.95) == pytest.approx(228.73497, abs=1e-5)
    assert of.min_track_record_length(0.5, 1.0) == math.inf


def test_expected_max_sharpe_bracket():
    assert of.expected_max_sharpe(100) == pytest.approx(2.5306028932016846, abs=1e-14)  # pypbo
    assert of.expected_max_sharpe(10) == pytest.approx(1.574598, abs=1e-6)  # [computed]
    assert of.expected_max_sharpe(1000) == pytest.approx(3.255122, abs=1e-6)  # [computed]
    assert of.expected_max_sharpe(1, 4.0) == 0.0  # nothing selected


def test_dsr_paper_example():
    # Bailey & Lopez de Prado 2014: N = 100, V = 0.5 (annual), T = 1250, SR 2.5, skew -3,
    # kurt 10, annualized with 250. pypbo test_dsr asserts 0.90039683444939034 [C].
    ppy = 250
    sr0 = of.expected_max_sharpe(100, 0.5 / ppy)
    assert sr0 == pytest.approx(0.1131720, abs=1e-7)
    dsr = of.deflated_sharpe_ratio(2.5 / math.sqrt(ppy), 1250, 100, 0.5 / ppy, -3, 10)
    assert dsr == pytest.approx(0.90039683444939034, abs=1e-12)


def test_min_backtest_length_pypbo():
    # pypbo: N = 45, SR_IS = 1 -> 4.9980870044 years, below the bound 2 ln N / SR^2 = 7.6133.
    years = of.min_backtest_length(45, 1.0)
    assert years == pytest.approx(4.9980870044, abs=1e-9)
    assert years < 2 * math.log(45)


def test_sharpe_moments_are_biased_scipy_moments():
    x = np.random.default_rng(1).standard_t(5, 300) * 0.01
    mom = of.sharpe_moments(pd.Series(x))
    assert mom.sharpe == pytest.approx(x.mean() / x.std(ddof=1))
    assert mom.skewness == pytest.approx(stats.skew(x))
    assert mom.kurtosis == pytest.approx(stats.kurtosis(x, fisher=False))
    assert mom.n_obs == 300


# Toy oracle of docs/metrics.md (pbo_cscv) [computed]: metric = column mean, S = 4, N = 3.
TOY = np.array(
    [[2, -3, 5], [-1, 0, 0], [1, 1, 0], [5, 3, 3], [2, 1, -2], [5, 0, -3], [4, -4, 4], [1, -4, -5]],
    dtype=float,
)


def test_pbo_toy_oracle():
    res = of.pbo_cscv(TOY, n_partitions=4, metric="mean")
    assert res.n_splits == 6
    ranks = 4 / (1 + np.exp(-res.logits))  # omega * (N + 1)
    np.testing.assert_allclose(ranks, [2, 3, 3, 3, 3, 2], atol=1e-12)
    assert res.pbo == pytest.approx(1 / 3)


def test_pbo_drops_leading_rows_like_pypbo():
    extra = np.vstack([[100.0, -100.0, 0.0], TOY])  # T mod S = 1: the first row is dropped
    assert of.pbo_cscv(extra, 4, "mean").pbo == pytest.approx(1 / 3)


def test_pbo_iid_noise_is_about_one_half():
    # Null invariant (docs/metrics.md): OOS rank of the IS best is uniform -> E[PBO] = 0.5, even N.
    rng = np.random.default_rng(7)
    vals = [of.pbo_cscv(rng.normal(size=(160, 4)), 8).pbo for _ in range(80)]
    assert np.mean(vals) == pytest.approx(0.5, abs=0.08)


def test_pbo_real_skill_is_low():
    rng = np.random.default_rng(3)
    perf = rng.normal(0, 0.01, (200, 10))
    perf[:, 4] += 0.004  # one configuration with a real edge
    res = of.pbo_cscv(perf, 10)
    assert res.pbo < 0.1
    assert res.prob_oos_loss < 0.1


def test_pbo_rejects_odd_partitions():
    with pytest.raises(UserError, match="even"):
        of.pbo_cscv(TOY, 3)


def test_prob_beats_noise_one_factor_is_a_t_test():
    sr, t = 0.15, 120
    expected = 2 * stats.t.cdf(sr * math.sqrt(t), t - 1) - 1
    assert of.prob_beats_noise(sr, t, 1) == pytest.approx(expected, abs=1e-12)
    assert of.prob_beats_noise(-0.1, t, 3) == 0.0
    assert math.isnan(of.prob_beats_noise(0.1, 5, 5))


def test_prob_beats_noise_is_uniform_for_the_best_noise_combination():
    # Monte Carlo check of the Hotelling null: the tangency Sharpe of noise factors.
    rng = np.random.default_rng(11)
    ps = []
    for _ in range(150):
        x = rng.normal(size=(80, 4))
        mu, cov = x.mean(0), np.cov(x, rowvar=False)
        ps.append(of.prob_beats_noise(math.sqrt(mu @ np.linalg.solve(cov, mu)), 80, 4))
    assert np.mean(ps) == pytest.approx(0.5, abs=0.07)
    assert of.noise_sharpe(80, 4) > 0


def _fold(rng, mean, n=120, n_trials=30, spread=0.002):
    base = rng.normal(mean, 0.01, n)
    trials = pd.DataFrame(
        base[:, None] + rng.normal(0, spread, (n, n_trials)),
        index=pd.bdate_range("2020-01-01", periods=n),
    )
    return pd.Series(base, index=trials.index), trials


def test_report_says_overfit_when_out_of_sample_fails():
    rng = np.random.default_rng(5)
    folds = [_fold(rng, 0.003) for _ in range(4)]
    oos = [pd.Series(rng.normal(-0.0005, 0.01, 30)) for _ in range(4)]
    rep = of.overfitting_report(
        [f[0] for f in folds], [f[1] for f in folds], [30] * 4, oos, n_factors=3
    )
    assert rep.status == "likely_overfit"
    assert rep.verdict.startswith("likely overfit")
    assert "do not trust the in-sample Sharpe" in rep.verdict
    assert rep.n_trials == 120
    assert list(rep.folds.columns[:2]) == ["in_sample_sharpe", "out_of_sample_sharpe"]
    assert rep.out_of_sample_sharpe < 0 < rep.in_sample_sharpe


def test_report_passes_a_real_edge():
    rng = np.random.default_rng(6)
    folds = [_fold(rng, 0.002, n_trials=1, spread=0.0) for _ in range(5)]
    oos = [pd.Series(rng.normal(0.002, 0.01, 120)) for _ in range(5)]
    rep = of.overfitting_report(
        [f[0] for f in folds], [f[1] for f in folds], [1] * 5, oos, n_factors=1
    )
    assert rep.psr > 0.95
    assert rep.status in ("no_sign_of_overfit", "overstated")
    assert not rep.verdict.startswith("likely overfit")


def test_report_single_fit_is_in_sample_only():
    rng = np.random.default_rng(8)
    ins, trials = _fold(rng, 0.004, n=250)
    rep = of.overfitting_report([ins], [trials], [30], None, n_factors=1)
    assert not rep.out_of_sample
    assert math.isnan(rep.out_of_sample_sharpe)
    assert rep.status in ("in_sample_only", "likely_overfit")
    if rep.status == "in_sample_only":
        assert "--walk-forward" in rep.verdict
    summary = rep.summary()
    assert summary["n_trials"] == 30


def _same_report(a, b):
    pd.testing.assert_frame_equal(a.folds, b.folds)
    for name in ("pbo", "prob_oos_loss", "degradation_slope", "dsr", "status", "verdict"):
        x, y = getattr(a, name), getattr(b, name)
        assert x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)), name


def test_report_pbo_from_the_window_cache_is_the_computed_one():
    """Each fold's CSCV is cached under its trials' digest: a second report reads every fold
    (bit-identical report), and a changed trial return recomputes exactly its fold."""
    from equity_factors.window_cache import MemoryWindowCache

    rng = np.random.default_rng(11)
    folds = [_fold(rng, 0.002, n=160) for _ in range(4)]
    oos = [pd.Series(rng.normal(0.001, 0.01, 40)) for _ in range(4)]
    args = ([f[0] for f in folds], [f[1] for f in folds], [30] * 4, oos)
    plain = of.overfitting_report(*args, n_factors=3)
    cache = MemoryWindowCache()
    cold = of.overfitting_report(*args, n_factors=3, window_cache=cache)
    assert cache.stats.misses["pbo"] == 4 and len(cache.entries) == 4
    warm = of.overfitting_report(*args, n_factors=3, window_cache=cache)
    assert cache.stats.hits["pbo"] == 4
    _same_report(plain, cold)
    _same_report(plain, warm)
    changed = [t.copy() for t in args[1]]
    changed[2].iloc[5, 3] += 0.01
    cache.stats.misses.clear()
    again = of.overfitting_report(args[0], changed, args[2], oos, n_factors=3,
                                  window_cache=cache)
    assert cache.stats.misses["pbo"] == 1
    _same_report(again, of.overfitting_report(args[0], changed, args[2], oos, n_factors=3))
