"""Factor estimators: oracles, planted-model recovery, names, convergence warnings, torch."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import subspace_angles
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import PCA

from equity_factors.errors import ConvergenceWarning, UserError
from equity_factors.factors import (
    FACTOR_METHODS,
    FactorAnalysisFactors,
    ICAFactors,
    NMFFactors,
    PCAFactors,
    SparsePCAFactors,
    make_estimator,
    standardize,
)
from equity_factors.factors.autoencoder import TORCH_MISSING


def _z_loadings(planted) -> np.ndarray:
    """Planted loadings in the space the estimators work in (returns divided by their std)."""
    return planted.loadings / planted.returns.std(ddof=1).to_numpy()[:, None]


def _largest_angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(subspace_angles(a, b)).max())


# --------------------------------------------------------------------------- standardize
def test_standardize_matches_pandas_zscore_with_nan_to_zero() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0.001, 0.02, size=(50, 6))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, 4] = 0.0  # constant column
    x[:, 5] = np.nan
    x[3, 5] = 0.01  # a single observation: no standard deviation
    z, keep = standardize(x)
    frame = pd.DataFrame(x[:, :4])
    oracle = ((frame - frame.mean()) / frame.std(ddof=1)).fillna(0.0).to_numpy()
    assert keep.tolist() == [True, True, True, True, False, False]
    np.testing.assert_allclose(z, oracle, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- PCA oracle
def test_pca_matches_scikit_learn_on_standardized_returns(planted) -> None:
    returns = planted.returns.iloc[:252, :120]  # T > n: the covariance path
    est = PCAFactors(n_factors=4).fit(returns)
    z = ((returns - returns.mean()) / returns.std(ddof=1)).to_numpy()
    ref = PCA(n_components=4, svd_solver="full").fit(z)  # scikit-learn as the oracle
    ours = est.loadings_.to_numpy()
    for j in range(4):  # equal up to sign
        sign = np.sign(ours[:, j] @ ref.components_[j])
        np.testing.assert_allclose(ours[:, j], sign * ref.components_[j], atol=1e-8)
        assert ours[:, j].sum() > 0  # deterministic orientation
    np.testing.assert_allclose(est.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=1e-8)
    # T < n: the Gram-matrix path gives the same thing
    wide = planted.returns.iloc[:100, :250]
    est_w = PCAFactors(n_factors=3).fit(wide)
    zw = ((wide - wide.mean()) / wide.std(ddof=1)).to_numpy()
    ref_w = PCA(n_components=3, svd_solver="full").fit(zw)
    cos = np.abs(np.sum(est_w.loadings_.to_numpy() * ref_w.components_.T, axis=0))
    np.testing.assert_allclose(cos, 1.0, atol=1e-8)
    np.testing.assert_allclose(est_w.explained_variance_ratio_, ref_w.explained_variance_ratio_,
                               rtol=1e-8)


# --------------------------------------------------------------------------- recovery
def test_pca_recovers_planted_subspace(planted) -> None:
    est = PCAFactors(n_factors=6).fit(planted.returns)
    assert _largest_angle(est.loadings_.to_numpy(), _z_loadings(planted)) < 15.0


def test_factor_analysis_recovers_planted_subspace(planted) -> None:
    # Documented bound: same as PCA, the largest principal angle under 15 degrees.
    est = FactorAnalysisFactors(n_factors=6, random_state=0).fit(planted.returns)
    assert est.converged_
    assert _largest_angle(est.loadings_.to_numpy(), _z_loadings(planted)) < 15.0
    evr = est.explained_variance_ratio_
    assert np.all(np.diff(evr) <= 1e-12) and 0 < evr.sum() < 1


def test_ica_recovers_each_planted_factor(planted) -> None:
    # Documented bound: the span within 15 degrees, and each planted factor (independent,
    # Student-t(4) returns) matched one-to-one (assignment on |cos|) with |cos| >= 0.9.
    est = ICAFactors(n_factors=6, random_state=0).fit(planted.returns)
    ica = est.loadings_.to_numpy()
    truth = _z_loadings(planted)
    assert _largest_angle(ica, truth) < 15.0
    cos = (truth / np.linalg.norm(truth, axis=0)).T @ (ica / np.linalg.norm(ica, axis=0))
    rows, cols = linear_sum_assignment(-np.abs(cos))
    assert np.abs(cos[rows, cols]).min() >= 0.9
    # PCA, by contrast, mixes the planted long/short factors (its columns are orthogonal)
    pca = PCAFactors(n_factors=6).fit(planted.returns).loadings_.to_numpy()
    cos_p = (truth / np.linalg.norm(truth, axis=0)).T @ pca
    r2, c2 = linear_sum_assignment(-np.abs(cos_p))
    assert np.abs(cos_p[r2, c2]).min() < np.abs(cos[rows, cols]).min()


def test_nmf_loadings_non_negative_and_model_reconstructs(planted) -> None:
    est = NMFFactors(n_factors=6, random_state=0).fit(planted.returns.iloc[:500, :100])
    b = est.loadings_.to_numpy()
    assert (b >= 0).all() and (b.sum(axis=0) > 0).all()
    assert est.explained_variance_ratio_ is None
    # (W+ - W-) H explains a real share of the standardized returns
    assert 0.2 < est.reconstruction_r2_ < 1.0


def test_sparse_pca_solves_scikit_learns_problem(planted) -> None:
    # scikit-learn's SparsePCA (coordinate descent) as the oracle: same components, same zeros
    from sklearn.decomposition import SparsePCA

    returns = planted.returns.iloc[:300, :80]
    z, _ = standardize(returns.to_numpy())
    ours = SparsePCAFactors(n_factors=3, alpha=2.0, tol=1e-8, max_iter=500).fit(returns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SparsePCA(n_components=3, alpha=2.0, method="cd", tol=1e-8, max_iter=500).fit(z)
    mine = ours.loadings_.to_numpy()
    cos = np.abs(ref.components_ @ mine)  # both unit-norm
    rows, cols = linear_sum_assignment(-cos)
    np.testing.assert_allclose(cos[rows, cols], 1.0, atol=1e-6)
    np.testing.assert_array_equal(ref.components_[rows] == 0, mine[:, cols].T == 0)
    assert 0.2 < (mine == 0).mean() < 0.8 and ours.explained_variance_ratio_ is None


# --------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("method", ["pca", "ica", "factor"])
def test_permuting_stocks_permutes_loadings(planted, method: str) -> None:
    returns = planted.returns.iloc[:400, :80]
    perm = np.random.default_rng(5).permutation(returns.shape[1])
    # factor analysis' default randomized SVD draws its projection per stock position, so
    # the exact-LAPACK solver is used to check the invariance itself
    params = {"svd_method": "lapack"} if method == "factor" else {}
    a = make_estimator(method, 4, random_state=0, **params).fit(returns).loadings_
    b = make_estimator(method, 4, random_state=0, **params).fit(returns.iloc[:, perm]).loadings_
    assert list(b.index) == list(returns.columns[perm])
    np.testing.assert_allclose(b.loc[a.index].to_numpy(), a.to_numpy(), atol=1e-6)


def test_zero_variance_column_is_dropped(planted) -> None:
    returns = planted.returns.iloc[:200, :30].copy()
    returns["FLAT"] = 0.0
    est = PCAFactors(n_factors=3).fit(returns)
    assert est.dropped_ == ("FLAT",)
    assert "FLAT" not in est.loadings_.index and len(est.loadings_) == 30


def test_k_at_least_number_of_stocks_is_a_user_error(planted) -> None:
    with pytest.raises(UserError, match=r"needs more than 5 usable stocks.*has 5.*lower n_factors"):
        PCAFactors(n_factors=5).fit(planted.returns.iloc[:100, :5])


def test_same_seed_same_output(planted) -> None:
    r = planted.returns.iloc[:300, :50]
    a = ICAFactors(n_factors=4, random_state=3).fit(r).loadings_
    b = ICAFactors(n_factors=4, random_state=3).fit(r).loadings_
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- names, params
def test_method_names_are_case_insensitive() -> None:
    assert type(make_estimator("PCA", 3)) is PCAFactors
    assert type(make_estimator("Ica", 3)) is ICAFactors
    assert type(make_estimator("Sparse-PCA", 3)) is SparsePCAFactors
    assert type(make_estimator("FACTOR", 3)) is FactorAnalysisFactors
    assert len(FACTOR_METHODS) == 7


def test_unknown_method_lists_valid_names() -> None:
    with pytest.raises(UserError) as info:
        make_estimator("pcaa", 3)
    message = str(info.value)
    assert "pcaa" in message and "\n" not in message
    for name in FACTOR_METHODS:
        assert name in message


def test_unknown_parameter_lists_valid_ones() -> None:
    with pytest.raises(UserError, match=r"max_iterations.*valid: max_iter, tol, fun"):
        make_estimator("ica", 3, max_iterations=10)
    assert make_estimator("ica", 3, max_iter=50).max_iter == 50


def test_init_does_no_work_and_get_params_round_trips() -> None:
    est = make_estimator("nmf", 4, random_state=1, max_iter=10)
    assert est.get_params()["max_iter"] == 10 and est.get_params()["n_factors"] == 4
    assert not hasattr(est, "loadings_")


# --------------------------------------------------------------------------- convergence
@pytest.mark.parametrize(("cls", "hint"), [
    (ICAFactors, "ICA did not converge in 2 iterations; raise max_iter"),
    (NMFFactors, "NMF did not converge in 2 iterations; raise max_iter"),
    (FactorAnalysisFactors, "factor analysis did not converge in 2 iterations; raise max_iter"),
])
def test_non_convergence_warns_and_still_fits(planted, cls, hint: str) -> None:
    kwargs = {"tol": 1e-12} if cls is not ICAFactors else {"tol": 1e-12}
    est = cls(n_factors=4, max_iter=2, random_state=0, **kwargs)
    with pytest.warns(ConvergenceWarning, match=hint) as record:
        est.fit(planted.returns.iloc[:300, :60])
    assert "lower -k" in str(record[0].message)
    assert est.converged_ is False and est.n_iter_ == 2
    assert est.loadings_.shape == (60, 4) and np.isfinite(est.loadings_.to_numpy()).all()


def test_converged_fit_raises_no_warning(planted) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ICAFactors(n_factors=3, random_state=0).fit(planted.returns.iloc[:500, :60])
    assert est.converged_ and est.n_iter_ < est.max_iter


# --------------------------------------------------------------------------- autoencoder
def test_autoencoder_without_torch_says_how_to_install(monkeypatch, planted) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(UserError) as info:
        make_estimator("autoencoder", 3, random_state=0).fit(planted.returns.iloc[:100, :20])
    assert str(info.value) == TORCH_MISSING
    assert "pip install 'equity-factors[deep]'" in TORCH_MISSING


def test_autoencoder_recovers_planted_subspace(planted) -> None:
    pytest.importorskip("torch")
    returns = planted.returns.iloc[:500, :100]
    truth = _z_loadings(planted)[:100]
    pca = PCAFactors(n_factors=6).fit(returns).loadings_.to_numpy()
    est = make_estimator("autoencoder", 6, random_state=0, max_epochs=100).fit(returns)
    assert est.loadings_.shape == (100, 6) and est.explained_variance_ratio_ is None
    # default tanh codes from the PCA start; documented bound: within 20 degrees of the
    # planted span (PCA: about 12 here), and training did move it away from PCA
    assert _largest_angle(est.loadings_.to_numpy(), truth) < 20.0
    assert _largest_angle(est.loadings_.to_numpy(), pca) > 0.5
    again = make_estimator("autoencoder", 6, random_state=0, max_epochs=100).fit(returns)
    pd.testing.assert_frame_equal(est.loadings_, again.loadings_)  # seeded, deterministic
    # a linear autoencoder's optimum is the principal subspace: it stays there
    linear = make_estimator("autoencoder", 6, random_state=0, activation="linear").fit(returns)
    assert linear.converged_
    assert _largest_angle(linear.loadings_.to_numpy(), pca) < 1.0
    # from a random start it finds the planted subspace too (a looser bound)
    rand = make_estimator("autoencoder", 6, random_state=0, init="random",
                          learning_rate=1e-2).fit(returns)
    assert _largest_angle(rand.loadings_.to_numpy(), truth) < 25.0
