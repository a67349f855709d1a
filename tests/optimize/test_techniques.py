"""Search techniques: trial accounting, one metric definition, seeds, gradient correctness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors import metrics
from equity_factors.errors import UserError
from equity_factors.optimize.techniques import objective_gradient, optimize_weights


@pytest.fixture(scope="module")
def window():
    rng = np.random.default_rng(2024)
    k, t = 5, 160
    data = rng.normal(0, 0.01, (t, k)) @ (np.eye(k) + 0.2 * rng.normal(size=(k, k)))
    data[:, 1] += 0.0007
    return pd.DataFrame(
        data, index=pd.bdate_range("2021-01-04", periods=t), columns=[f"F{i}" for i in range(k)]
    )


@pytest.mark.parametrize("technique", ["bayesian", "differential", "gradient"])
@pytest.mark.parametrize("search", ["blend", "direct", "both"])
def test_trials_are_counted_and_scored_by_metrics(window, technique, search):
    calls = []
    res = optimize_weights(
        window, technique, n_trials=40, random_state=0, search=search,
        callback=lambda i, n: calls.append((i, n)),
    )
    assert res.n_trials == len(res.trial_objectives) > 0
    assert res.n_trials <= 45
    assert calls and calls[-1][0] == res.n_trials and calls[-1][1] == 40
    assert np.abs(res.weights).sum() == pytest.approx(1.0, abs=1e-12)
    # The objective is the one Sharpe definition of equity_factors.metrics.
    assert res.objective_value == pytest.approx(np.nanmax(res.trial_objectives))
    assert res.objective_value == pytest.approx(metrics.sharpe_ratio(window @ res.weights))
    assert res.in_sample_returns.index.equals(window.index)
    # Kept trials are distinct and include the best one.
    kept = res.trial_returns
    assert kept.shape[0] == len(window) and kept.shape[1] <= res.n_trials
    best = int(np.nanargmax(res.trial_objectives))
    assert best in kept.columns
    np.testing.assert_allclose(kept[best], res.in_sample_returns)
    if search == "blend":
        assert res.method_blend.sum() == pytest.approx(1.0)
        assert list(res.method_blend.index) == ["sharpe", "momentum", "risk_parity"]
        np.testing.assert_allclose(
            res.weights, res.method_weights @ res.method_blend
            / np.abs(res.method_weights @ res.method_blend).sum(), atol=1e-12,
        )
    if search == "direct":
        assert res.method_blend.empty


@pytest.mark.parametrize("technique, search", [("bayesian", "blend"), ("differential", "direct"),
                                               ("gradient", "both")])
def test_trial_params_rebuild_every_trial(window, technique, search):
    """Each trial's recorded parameters give its objective, through the module docstring's
    formulas written out naively (blend a / sum a, direct d, both M a + d; w = raw / sum|raw|)
    and metrics.sharpe_ratio."""
    res = optimize_weights(window, technique, n_trials=30, random_state=5, search=search)
    params = res.trial_params
    assert params.shape[0] == res.n_trials and params.index.name == "trial"
    methods = [f"method:{m}" for m in res.method_weights.columns]
    factors = [f"factor:{f}" for f in window.columns]
    assert list(params.columns) == {"blend": methods, "direct": factors,
                                    "both": methods + factors}[search]
    for i, row in params.iterrows():
        a = row[methods].to_numpy() if methods and search != "direct" else np.zeros(0)
        if search == "blend":
            a = a / a.sum() if a.sum() > 0 else np.full(len(a), 1 / len(a))
        raw = res.method_weights.to_numpy() @ a if len(a) else np.zeros(window.shape[1])
        if search != "blend":
            raw = raw + row[factors].to_numpy()
        w = raw / np.abs(raw).sum()
        expected = metrics.sharpe_ratio(window @ w)
        assert res.trial_objectives[i] == pytest.approx(expected, rel=1e-9, abs=1e-12), i


@pytest.mark.parametrize("technique", ["bayesian", "differential", "gradient"])
def test_seeded_runs_are_identical(window, technique):
    a = optimize_weights(window, technique, n_trials=30, random_state=11, search="both")
    b = optimize_weights(window, technique, n_trials=30, random_state=11, search="both")
    pd.testing.assert_series_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.trial_objectives, b.trial_objectives)


@pytest.mark.parametrize("technique", ["bayesian", "differential", "gradient"])
def test_long_only_has_no_short_factor(window, technique):
    res = optimize_weights(
        window, technique, n_trials=30, random_state=1, search="both", long_only=True
    )
    assert (res.weights >= 0).all()
    assert res.weights.sum() == pytest.approx(1.0)


def test_gradient_finds_the_tangency_portfolio(window):
    # Independent oracle: the maximum-Sharpe weights are proportional to C^-1 mu.
    x = window.to_numpy()
    w = np.linalg.solve(np.cov(x, rowvar=False), x.mean(axis=0))
    w = w / np.abs(w).sum()
    res = optimize_weights(window, "gradient", n_trials=400, random_state=0, search="direct")
    np.testing.assert_allclose(res.weights.to_numpy(), w, atol=2e-3)
    assert res.objective_value == pytest.approx(metrics.sharpe_ratio(window @ w), abs=1e-5)


@pytest.mark.parametrize("objective", ["sharpe", "sortino", "calmar"])
def test_objective_gradient_matches_finite_differences(window, objective):
    x = window.to_numpy()
    w = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    value, grad = objective_gradient(x, w, objective)
    ref = {"sharpe": metrics.sharpe_ratio, "sortino": metrics.sortino_ratio,
           "calmar": metrics.calmar_ratio}[objective](pd.Series(x @ w))
    assert value == pytest.approx(ref, rel=1e-12)
    h = 1e-7
    fd = np.array(
        [(objective_gradient(x, w + h * e, objective)[0]
          - objective_gradient(x, w - h * e, objective)[0]) / (2 * h) for e in np.eye(5)]
    )
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-4 * np.abs(fd).max())


@pytest.mark.parametrize("objective", ["sortino", "calmar"])
def test_other_objectives_use_metrics(window, objective):
    res = optimize_weights(window, "differential", objective=objective, n_trials=40,
                           random_state=2)
    func = metrics.sortino_ratio if objective == "sortino" else metrics.calmar_ratio
    assert res.objective_value == pytest.approx(func(res.in_sample_returns))
    assert res.objective == objective


def test_options_are_case_insensitive_and_validated(window):
    res = optimize_weights(window, "Gradient", methods=["Sharpe", "RISK_PARITY"],
                           objective="SHARPE", n_trials=10, random_state=0)
    assert res.technique == "gradient"
    assert list(res.method_blend.index) == ["sharpe", "risk_parity"]
    with pytest.raises(UserError, match="bayesian, differential, gradient"):
        optimize_weights(window, "annealing", n_trials=5)
    with pytest.raises(UserError, match="sharpe, sortino, calmar"):
        optimize_weights(window, objective="omega", n_trials=5)
    with pytest.raises(UserError, match="blend, direct, both"):
        optimize_weights(window, search="all", n_trials=5)
    with pytest.raises(UserError, match="at least 10"):
        optimize_weights(window.iloc[:5], n_trials=5)


def test_shared_optuna_storage_counts_every_trial(window, tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = optimize_weights(window, "bayesian", n_trials=6, random_state=0, storage=url,
                             study_name="shared")
    second = optimize_weights(window, "bayesian", n_trials=6, random_state=1, storage=url,
                              study_name="shared")
    assert first.n_trials == 6
    assert second.n_trials == 12  # the second process sees the first one's trials
    assert second.objective_value >= first.objective_value - 1e-12


def test_threaded_bayesian_counts_every_trial(window):
    res = optimize_weights(window, "bayesian", n_trials=8, random_state=0, n_jobs=2)
    assert res.n_trials == 8
    assert np.abs(res.weights).sum() == pytest.approx(1.0)
