"""Statistical factor estimators (PCA, ICA, NMF, sparse PCA, factor analysis) and their factory."""

from __future__ import annotations

import inspect
from typing import Literal

import numpy as np

from equity_factors.errors import UserError
from equity_factors.factors._base import (
    RawFit,
    normalize_method,
    run_recording_convergence,
    top_eigen,
)
from equity_factors.factors._estimator import FactorEstimator


class PCAFactors(FactorEstimator):
    """Principal components of standardized returns (the correlation matrix).

    Solved exactly through the smaller of the T x T Gram matrix and the n x n covariance, so a
    window of 252 days and 3000 stocks costs a 252 x 252 eigen-decomposition.

    Parameters
    ----------
    n_factors : int
        Number of components k.
    random_state : int, Generator or None
        Unused (PCA is deterministic); accepted so every method has the same signature.

    Attributes
    ----------
    loadings_ : DataFrame of shape (n_assets, n_factors)
        Unit-norm eigenvectors, largest variance first, each summing to a positive number.
    explained_variance_ratio_ : ndarray of shape (n_factors,)
    """

    method_name = "pca"

    def __init__(self, n_factors: int = 5, *, random_state: object = None) -> None:
        self.n_factors = n_factors
        self.random_state = random_state

    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> RawFit:
        k = int(self.n_factors)
        _, s, v = top_eigen(z, k)
        total = float(np.einsum("ij,ij->", z, z))
        return RawFit(loadings=v, explained_variance_ratio=s**2 / total, converged=True,
                      n_iter=None)


class ICAFactors(FactorEstimator):
    """Independent components (scikit-learn FastICA) of standardized returns.

    The returns are first reduced to their top-k principal components and whitened (computed
    via the T x T Gram matrix, much cheaper than FastICA's own whitening for thousands of
    stocks); FastICA then finds the rotation of that subspace whose daily series are most
    non-Gaussian. The loadings are the mixing matrix: the regression coefficients of each
    stock's standardized returns on the unit-variance independent sources. Factors are ordered
    by the variance they explain.

    Parameters
    ----------
    n_factors : int
    max_iter, tol, fun : passed to :class:`sklearn.decomposition.FastICA`.
    random_state : int, Generator or None
        Seed of FastICA's initial unmixing matrix.

    Attributes
    ----------
    loadings_ : DataFrame of shape (n_assets, n_factors)
    explained_variance_ratio_ : ndarray of shape (n_factors,)
        Variance of the standardized returns explained by each source (the sources are
        uncorrelated, so these add up to PCA's total for the same k).
    converged_, n_iter_ : FastICA's convergence flag and iteration count.
    """

    method_name = "ica"
    convergence_hint = ("ICA did not converge in {n_iter} iterations; raise max_iter (or tol) "
                        "or lower -k")

    def __init__(self, n_factors: int = 5, *, max_iter: int = 500, tol: float = 1e-4,
                 fun: Literal["logcosh", "exp", "cube"] = "logcosh",
                 random_state: object = None) -> None:
        self.n_factors = n_factors
        self.max_iter = max_iter
        self.tol = tol
        self.fun = fun
        self.random_state = random_state

    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> RawFit:
        from sklearn.decomposition import FastICA

        k = int(self.n_factors)
        t = z.shape[0]
        u, s, v = top_eigen(z, k)
        white = u * np.sqrt(t)  # unit variance, uncorrelated columns (mean 0: z is centred)
        ica = FastICA(n_components=None, whiten=False, fun=self.fun, max_iter=self.max_iter,
                      tol=self.tol, random_state=seed)
        _, converged = run_recording_convergence(lambda: ica.fit(white))
        rot = ica.components_  # (k, k), orthogonal for whitened input
        # sources = white @ rot.T; loadings = z' sources / t = v diag(s) rot' / sqrt(t)
        loadings = (v * s) @ rot.T / np.sqrt(t)
        total = float(np.einsum("ij,ij->", z, z))
        evr = t * (loadings**2).sum(axis=0) / total
        order = np.argsort(-evr, kind="stable")
        if not converged:
            self._warn_not_converged(int(ica.n_iter_))
        return RawFit(loadings=loadings[:, order], explained_variance_ratio=evr[order],
                      converged=converged, n_iter=int(ica.n_iter_))


class NMFFactors(FactorEstimator):
    """Non-negative matrix factorization (scikit-learn NMF) of split standardized returns.

    NMF needs a non-negative matrix, and returns are signed. The standardized returns Z
    (T x n) are split into their positive and negative parts, Z+ = max(Z, 0) and
    Z- = max(-Z, 0), which are stacked *over time* into one (2T x n) non-negative matrix
    [Z+; Z-] ~ [W+; W-] H. Then Z = Z+ - Z- ~ (W+ - W-) H: a proper linear factor model whose
    daily factor series W+ - W- is signed and whose loadings H (k x n) are shared by up and
    down days. Why this split: stacking the parts side by side instead ([Z+, Z-] ~ W [H+, H-])
    needs two components for every signed factor (one for up days, one for down days) and
    returns mirror-image duplicates; stacking over time keeps one component per factor.

    Consequence: the loadings are non-negative, so every NMF factor portfolio is long-only (a
    basket of stocks that move together, e.g. a sector); NMF factors are therefore strongly
    correlated with the market. Factors are ordered by the energy of their part of the
    reconstruction.

    Parameters
    ----------
    n_factors : int
    max_iter, tol, init, alpha_W, l1_ratio : passed to :class:`sklearn.decomposition.NMF`.
    random_state : int, Generator or None

    Attributes
    ----------
    loadings_ : DataFrame of shape (n_assets, n_factors), non-negative
    explained_variance_ratio_ : None
        NMF components are not orthogonal, so a per-factor share is not defined.
    reconstruction_r2_ : float
        1 - ||Z - (W+ - W-) H||^2 / ||Z||^2 of the last fit.
    """

    method_name = "nmf"
    convergence_hint = ("NMF did not converge in {n_iter} iterations; raise max_iter (or tol) "
                        "or lower -k")

    def __init__(self, n_factors: int = 5, *, max_iter: int = 400, tol: float = 1e-4,
                 init: str = "nndsvda", alpha_W: float = 0.0, l1_ratio: float = 0.0,
                 random_state: object = None) -> None:
        self.n_factors = n_factors
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.alpha_W = alpha_W
        self.l1_ratio = l1_ratio
        self.random_state = random_state

    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> RawFit:
        from sklearn.decomposition import NMF

        k = int(self.n_factors)
        t = z.shape[0]
        stacked = np.vstack([np.maximum(z, 0.0), np.maximum(-z, 0.0)])
        nmf = NMF(n_components=k, init=self.init, solver="cd", max_iter=self.max_iter,
                  tol=self.tol, alpha_W=self.alpha_W, l1_ratio=self.l1_ratio,
                  random_state=seed)
        w, converged = run_recording_convergence(lambda: nmf.fit_transform(stacked))
        h = nmf.components_  # (k, n)
        f = w[:t] - w[t:]  # signed daily factor activity
        energy = (f**2).sum(axis=0) * (h**2).sum(axis=1)
        order = np.argsort(-energy, kind="stable")
        total = float(np.einsum("ij,ij->", z, z))
        resid = z - f @ h
        self.reconstruction_r2_ = 1.0 - float(np.einsum("ij,ij->", resid, resid)) / total
        if not converged:
            self._warn_not_converged(int(nmf.n_iter_))
        return RawFit(loadings=h.T[:, order], explained_variance_ratio=None,
                      converged=converged, n_iter=int(nmf.n_iter_))


def sparse_pca(z: np.ndarray, k: int, alpha: float, max_iter: int = 100, tol: float = 1e-4,
               cd_sweeps: int = 10) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Sparse PCA of ``z`` (T x n) by dictionary learning, as scikit-learn's SparsePCA.

    Minimizes 0.5 ||z - D C'||^2 + alpha ||C||_1 over atoms D (T x k, column norms <= 1) and
    sparse loadings C (n x k), alternating a lasso step for C and a block-coordinate step for
    D (scikit-learn's ``_update_dict``), from the SVD, until the cost falls by less than
    ``tol`` (relative). The lasso step runs coordinate descent for all stocks at once (the
    k x k Gram matrix is shared), where scikit-learn loops over stocks in Python: a fit on
    3000 stocks takes a fraction of a second instead of minutes. Each lasso step makes at
    most ``cd_sweeps`` sweeps from the previous solution (warm start): the outer loop
    finishes the job, and the result matches scikit-learn's to 1e-6.

    Returns
    -------
    loadings : ndarray (n, k), atoms : ndarray (T, k), n_iter : int, converged : bool
    """
    _, s, v = top_eigen(z, k)
    atoms = (z @ v) / np.where(s > 0, s, 1.0)  # left singular vectors, unit norm
    code = v * s
    cost_prev = np.inf
    converged = False
    n_iter = 0
    sq_total = float(np.einsum("ij,ij->", z, z))
    for iteration in range(1, max_iter + 1):
        n_iter = iteration
        gram = atoms.T @ atoms
        proj = z.T @ atoms  # (n, k)
        for _ in range(cd_sweeps):
            delta = 0.0
            for j in range(k):
                gjj = gram[j, j]
                if gjj <= 1e-12:
                    code[:, j] = 0.0
                    continue
                rho = proj[:, j] - code @ gram[:, j] + code[:, j] * gjj
                new = np.sign(rho) * np.maximum(np.abs(rho) - alpha, 0.0) / gjj
                delta = max(delta, float(np.abs(new - code[:, j]).max(initial=0.0)))
                code[:, j] = new
            if delta <= 1e-7 * max(float(np.abs(code).max(initial=0.0)), 1e-12):
                break
        cc = code.T @ code
        zc = z @ code  # (T, k)
        for j in range(k):
            if cc[j, j] > 1e-12:
                atoms[:, j] += (zc[:, j] - atoms @ cc[:, j]) / cc[j, j]
                atoms[:, j] /= max(float(np.linalg.norm(atoms[:, j])), 1.0)
        fit = sq_total - 2.0 * float(np.sum(atoms * zc)) + float(np.sum((atoms.T @ atoms) * cc))
        cost = 0.5 * fit + alpha * float(np.abs(code).sum())
        if cost_prev - cost < tol * cost:
            converged = True
            break
        cost_prev = cost
    return code, atoms, n_iter, converged


class SparsePCAFactors(FactorEstimator):
    """Sparse principal components: loadings with many exact zeros.

    The objective of :class:`sklearn.decomposition.SparsePCA` (see :func:`sparse_pca`; the
    tests check it against scikit-learn), solved with a vectorized coordinate descent that
    scales to thousands of stocks.

    Parameters
    ----------
    n_factors : int
    alpha : float
        L1 penalty; larger gives sparser loadings (too large gives all-zero factors).
    max_iter, tol : int, float
        Outer iterations and relative cost decrease at which to stop.
    random_state : ignored (the start is the SVD); accepted for a uniform signature.

    Attributes
    ----------
    loadings_ : DataFrame of shape (n_assets, n_factors), unit-norm sparse columns
        Ordered by the variance of each component's projection.
    explained_variance_ratio_ : None
        Sparse components are not orthogonal, so a per-factor share is not defined.
    """

    method_name = "sparse_pca"
    convergence_hint = ("sparse PCA did not converge in {n_iter} iterations; raise max_iter, "
                        "raise alpha or lower -k")

    def __init__(self, n_factors: int = 5, *, alpha: float = 1.0, max_iter: int = 100,
                 tol: float = 1e-4, random_state: object = None) -> None:
        self.n_factors = n_factors
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> RawFit:
        k = int(self.n_factors)
        code, _, n_iter, converged = sparse_pca(z, k, float(self.alpha), int(self.max_iter),
                                                float(self.tol))
        norms = np.linalg.norm(code, axis=0)
        loadings = code / np.where(norms > 0, norms, 1.0)
        order = np.argsort(-((z @ loadings) ** 2).sum(axis=0), kind="stable")
        if not converged:
            self._warn_not_converged(n_iter)
        return RawFit(loadings=loadings[:, order], explained_variance_ratio=None,
                      converged=converged, n_iter=n_iter)


class FactorAnalysisFactors(FactorEstimator):
    """Maximum-likelihood factor analysis (scikit-learn FactorAnalysis) of standardized returns.

    Each stock's return is common factors plus its own noise with its own variance, which PCA
    does not model; with heterogeneous idiosyncratic risk this is the better estimate.

    Parameters
    ----------
    n_factors : int
    max_iter, tol, rotation, svd_method : passed to
        :class:`sklearn.decomposition.FactorAnalysis`.
    random_state : int, Generator or None
        Seed of the randomized SVD.

    Attributes
    ----------
    loadings_ : DataFrame of shape (n_assets, n_factors)
    explained_variance_ratio_ : ndarray of shape (n_factors,)
        Sum of squared loadings of each factor over the total variance ("proportion of
        variance" of the factor-analysis literature), largest first.
    noise_variance_ : ndarray of shape (n_assets,)
    """

    method_name = "factor"
    convergence_hint = ("factor analysis did not converge in {n_iter} iterations; raise "
                        "max_iter (or tol) or lower -k")

    def __init__(self, n_factors: int = 5, *, max_iter: int = 1000, tol: float = 1e-2,
                 rotation: Literal["varimax", "quartimax"] | None = None,
                 svd_method: Literal["randomized", "lapack"] = "randomized",
                 random_state: object = None) -> None:
        self.n_factors = n_factors
        self.max_iter = max_iter
        self.tol = tol
        self.rotation = rotation
        self.svd_method = svd_method
        self.random_state = random_state

    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> RawFit:
        from sklearn.decomposition import FactorAnalysis

        k = int(self.n_factors)
        fa = FactorAnalysis(n_components=k, max_iter=self.max_iter, tol=self.tol,
                            rotation=self.rotation, svd_method=self.svd_method,
                            random_state=0 if seed is None else seed)
        _, converged = run_recording_convergence(lambda: fa.fit(z))
        loadings = fa.components_.T
        total = float(z.var(axis=0).sum())
        evr = (loadings**2).sum(axis=0) / total
        order = np.argsort(-evr, kind="stable")
        self.noise_variance_ = fa.noise_variance_
        if not converged:
            self._warn_not_converged(int(fa.n_iter_))
        return RawFit(loadings=loadings[:, order], explained_variance_ratio=evr[order],
                      converged=converged, n_iter=int(fa.n_iter_))


def _registry() -> dict[str, type[FactorEstimator]]:
    from equity_factors.factors.autoencoder import AutoencoderFactors
    from equity_factors.factors.fundamental import FundamentalFactors

    return {"pca": PCAFactors, "ica": ICAFactors, "nmf": NMFFactors,
            "sparse_pca": SparsePCAFactors, "factor": FactorAnalysisFactors,
            "autoencoder": AutoencoderFactors, "fundamental": FundamentalFactors}


def make_estimator(method: str, n_factors: int | None, random_state: object = None,
                   **params: object) -> FactorEstimator:
    """Build the estimator of ``method`` (case-insensitive) with ``n_factors`` and ``params``.

    Parameters
    ----------
    method : str
        One of :data:`FACTOR_METHODS` (``"PCA"``, ``"sparse-pca"`` are accepted too).
    n_factors : int or None
        Number of factors k (None only for ``fundamental``: every style it is given).
    random_state : int, Generator or None
    **params
        Method hyperparameters (e.g. ``max_iter=1000`` for ICA); an unknown name raises a
        UserError listing the valid ones.
    """
    name = normalize_method(method)
    cls = _registry()[name]
    valid = [p for p in inspect.signature(cls.__init__).parameters
             if p not in ("self", "n_factors", "random_state")]
    bad = sorted(set(params) - set(valid))
    if bad:
        raise UserError(f"unknown parameter(s) {', '.join(bad)} for the {name} method; valid: "
                        f"{', '.join(valid) or 'none'}")
    return cls(n_factors=n_factors, random_state=random_state, **params)
