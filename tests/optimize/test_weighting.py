"""Weighting methods against closed forms and naive solvers (docs/weighting.md)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import LedoitWolf

from equity_factors.errors import UserError
from equity_factors.metrics import sharpe_ratio
from equity_factors.optimize import weighting as wt

VOLS = np.array([0.10, 0.20, 0.30, 0.40])
RHO = np.array([[1, 0.8, 0, 0], [0.8, 1, -0.5, 0], [0, -0.5, 1, 0.5], [0, 0, 0.5, 1]])
COV = np.outer(VOLS, VOLS) * RHO  # the four-factor matrix of docs/weighting.md
RHO_CONST = np.full((4, 4), 0.5) + 0.5 * np.eye(4)
COV_CONST = np.outer(VOLS, VOLS) * RHO_CONST


def _vol(w, cov):
    w = np.asarray(w)
    return float(np.sqrt(w @ cov @ w))


@pytest.fixture(scope="module")
def window():
    rng = np.random.default_rng(42)
    mix = rng.normal(size=(5, 5)) * 0.3 + np.eye(5)
    data = rng.normal(0.0002, 0.01, (120, 5)) @ mix
    data[:, 0] += 0.001
    return pd.DataFrame(data, index=pd.bdate_range("2022-01-03", periods=120),
                        columns=list("abcde"))


def test_erc_fixture_equal_risk_contributions():
    w = wt.risk_parity_weights(None, covariance=COV).to_numpy()
    # [computed] docs/weighting.md (risk_parity): ERC w = (0.394640, 0.288576, 0.204872, 0.111912)
    np.testing.assert_allclose(w, [0.394640, 0.288576, 0.204872, 0.111912], atol=1e-6)
    rc = wt.risk_contributions(w, COV)
    np.testing.assert_allclose(rc / rc.sum(), 0.25, atol=1e-8)  # MRT 2010: RC_i = sigma_p / n
    assert _vol(w, COV) == pytest.approx(0.1162678, abs=1e-7)
    assert rc[0] == pytest.approx(0.029067, abs=1e-6)
    # MRT invariant: sigma_MV <= sigma_ERC <= sigma_EW
    mv = wt.min_variance_weights(None, covariance=COV)
    assert _vol(mv, COV) <= _vol(w, COV) <= _vol(np.full(4, 0.25), COV)


@pytest.mark.parametrize("rho", [-0.6, 0.0, 0.3, 0.9])
def test_erc_two_assets_closed_form(rho):
    s1, s2 = 0.15, 0.35
    cov = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
    w = wt.risk_parity_weights(None, covariance=cov).to_numpy()
    np.testing.assert_allclose(w, [s2 / (s1 + s2), s1 / (s1 + s2)], atol=1e-10)


def test_erc_and_mdp_constant_correlation():
    # Constant correlation: ERC = MDP = 1/sigma weights = 48/24/16/12 %, DR = sqrt(n/(1+(n-1)rho))
    erc = wt.risk_parity_weights(None, covariance=COV_CONST).to_numpy()
    mdp = wt.max_diversification_weights(None, covariance=COV_CONST).to_numpy()
    np.testing.assert_allclose(erc, [0.48, 0.24, 0.16, 0.12], atol=1e-8)
    np.testing.assert_allclose(mdp, [0.48, 0.24, 0.16, 0.12], atol=1e-6)
    assert _vol(erc, COV_CONST) == pytest.approx(0.1517893, abs=1e-7)
    dr = VOLS @ mdp / _vol(mdp, COV_CONST)
    assert dr == pytest.approx(1.2649111, abs=1e-7)


def test_mdp_beats_a_simplex_grid():
    # Naive oracle: the diversification ratio on a 2%-step grid of the simplex never beats the MDP.
    mdp = wt.max_diversification_weights(None, covariance=COV).to_numpy()
    best = VOLS @ mdp / _vol(mdp, COV)
    steps = np.arange(0, 51)
    grid = np.array([c for c in itertools.product(steps, repeat=3) if sum(c) <= 50])
    w = np.column_stack([grid, 50 - grid.sum(axis=1)]) / 50.0
    dr = (w @ VOLS) / np.sqrt(np.einsum("ij,jk,ik->i", w, COV, w))
    assert dr.max() <= best + 1e-9
    assert dr.max() >= best - 0.01
    # FRAPO identity DR = 1 / sqrt(rho_w (1 - CR) + CR) at the solution.
    x = mdp * VOLS
    cr = np.sum(x**2) / np.sum(x) ** 2
    off = np.outer(x, x) * RHO
    rho_w = (off.sum() - np.trace(off)) / (np.sum(x) ** 2 - np.sum(x**2))
    assert best == pytest.approx(1 / np.sqrt(rho_w * (1 - cr) + cr), rel=1e-9)


def test_min_variance_two_assets_closed_form():
    # sigma = (.1, .2), rho = .3 -> (17/19, 2/19), long-only bound inactive.
    cov = np.array([[0.01, 0.3 * 0.02], [0.3 * 0.02, 0.04]])
    expected = [17 / 19, 2 / 19]
    np.testing.assert_allclose(wt.min_variance_weights(None, covariance=cov), expected, atol=1e-8)
    np.testing.assert_allclose(
        wt.min_variance_weights(None, covariance=cov, long_only=False), expected, atol=1e-12
    )


def test_min_variance_four_asset_fixture():
    lo = wt.min_variance_weights(None, covariance=COV).to_numpy()
    np.testing.assert_allclose(lo, [0.892562, 0.0, 0.082645, 0.024793], atol=1e-6)
    assert _vol(lo, COV) == pytest.approx(0.09448, abs=1e-5)
    budget = wt.min_variance_weights(None, covariance=COV, long_only=False).to_numpy()
    np.testing.assert_allclose(budget, [2.786, -1.443, -0.597, 0.254], atol=1e-3)


def test_pca_weights_definition():
    # Uncorrelated factors: eigenvectors are the unit vectors, so w_i = var_i / sum(var).
    var = np.array([4.0, 1.0, 3.0])
    np.testing.assert_allclose(
        wt.pca_weights(None, covariance=np.diag(var)), var / var.sum(), atol=1e-12
    )
    # General case against a naive sum over eigenpairs.
    lam, vec = np.linalg.eigh(COV)
    naive = np.array([sum(lam[j] * abs(vec[i, j]) for j in range(4)) for i in range(4)])
    np.testing.assert_allclose(wt.pca_weights(None, covariance=COV), naive / naive.sum())


def test_sharpe_and_momentum_weights(window):
    sr = sharpe_ratio(window).to_numpy()
    pos = np.maximum(sr, 0)
    np.testing.assert_allclose(wt.sharpe_weights(window), pos / pos.sum())
    np.testing.assert_allclose(
        wt.sharpe_weights(window, long_only=False), sr / np.abs(sr).sum()
    )
    losers = -window.abs()
    np.testing.assert_allclose(wt.sharpe_weights(losers), 0.2)  # none positive -> equal
    tail = window.iloc[-20:]
    mom = np.array([np.prod(1 + tail[c].to_numpy()) - 1 for c in window])
    got = wt.momentum_weights(window, lookback=20, long_only=False)
    np.testing.assert_allclose(got, mom / np.abs(mom).sum())


def test_ledoit_wolf_is_the_default_covariance(window):
    lw = LedoitWolf().fit(window.to_numpy()).covariance_
    for name in ("risk_parity", "min_variance", "max_diversification", "pca"):
        a = wt.compute_weights(name, window)
        b = wt.compute_weights(name, window, covariance=lw)
        np.testing.assert_allclose(a, b, atol=1e-9)
        assert list(a.index) == list("abcde")


def test_dispatcher_names():
    assert wt.resolve_method("Risk-Parity") == "risk_parity"
    assert wt.resolve_method("MIN_VARIANCE") == "min_variance"
    with pytest.raises(UserError, match="equal, sharpe, momentum, risk_parity"):
        wt.compute_weights("kelly", None, covariance=COV)


def test_permuting_factors_permutes_weights(window):
    perm = ["c", "a", "e", "b", "d"]
    for name in wt.WEIGHTING_METHODS:
        a = wt.compute_weights(name, window)
        b = wt.compute_weights(name, window[perm])
        np.testing.assert_allclose(a[perm].to_numpy(), b.to_numpy(), atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 6), st.integers(0, 10_000), st.booleans())
def test_weights_sum_to_one(k, seed, long_only):
    rng = np.random.default_rng(seed)
    data = rng.normal(rng.normal(0, 0.001, k), rng.uniform(0.005, 0.03, k), (40, k))
    frame = pd.DataFrame(data, columns=[f"f{i}" for i in range(k)])
    for name in wt.WEIGHTING_METHODS:
        w = wt.compute_weights(name, frame, long_only=long_only).to_numpy()
        assert np.isfinite(w).all()
        assert np.abs(w).sum() == pytest.approx(1.0, abs=1e-9)
        if long_only:
            assert (w >= -1e-12).all()
            assert w.sum() == pytest.approx(1.0, abs=1e-9)
        elif name not in wt.SIGNED_METHODS:
            # risk-based: oriented by the sign of each factor's mean on the window
            signs = np.where(frame.mean().to_numpy() < 0, -1.0, 1.0)
            assert (w * signs >= -1e-12).all()


def test_risk_based_methods_short_a_losing_factor():
    """A factor that lost money in the window gets a negative weight unless long-only; the
    weights are the method's weights on the oriented returns, signed back (naive oracle)."""
    rng = np.random.default_rng(3)
    data = rng.normal(0.0005, 0.01, (250, 4))
    data[:, 2] = rng.normal(-0.0008, 0.01, 250)  # in-sample Sharpe about -1.3
    frame = pd.DataFrame(data, columns=list("abcd"))
    flipped = frame.assign(c=-frame["c"])
    for name in ("equal", "risk_parity", "min_variance", "max_diversification", "pca"):
        w = wt.compute_weights(name, frame, long_only=False)
        assert w["c"] < 0 and (w.drop("c") > 0).all(), name
        oracle = wt.compute_weights(name, flipped, long_only=True)
        np.testing.assert_allclose(w.to_numpy(), oracle.to_numpy() * [1, 1, -1, 1], atol=1e-9)
        assert (wt.compute_weights(name, frame, long_only=True) >= -1e-12).all()
    # with an exact covariance the oriented covariance is S Σ S
    cov = frame.cov()
    w = wt.compute_weights("risk_parity", frame, covariance=cov, long_only=False)
    rc = wt.risk_contributions(w.to_numpy(), cov.to_numpy())
    np.testing.assert_allclose(rc, rc.mean(), rtol=1e-6)
