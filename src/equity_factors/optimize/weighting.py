"""Weighting methods: turn a window of factor returns into one weight per factor.

Every method is a pure function ``f(window, *, covariance=None, ...) -> Series`` over a window of
factor returns (DataFrame of shape (n_dates, n_factors)); it returns a Series of shape
(n_factors,) indexed by factor. Allocation weights are long-only and sum to 1, except ``sharpe``
and ``momentum`` with ``long_only=False``, which are signed with ``sum |w| = 1``.

Factor orientation (:func:`compute_weights` with ``long_only=False``, the optimizer's default)
---------------------------------------------------------------------------------------------
A statistical factor's sign is arbitrary (it is oriented so its portfolio weights sum to a
positive number), so a long-only risk-based weight would hold a factor that lost money in the
window as readily as one that made it. Before a risk-based method (``equal``, ``risk_parity``,
``min_variance``, ``max_diversification``, ``pca``) weights the factors, each factor i is
oriented by the sign of its mean return on the window, ``s_i = sign(mean_i)`` (``+1`` for a
zero mean): the method weights the oriented returns ``s_i R_i`` (covariance ``S Σ S``), and the
weights returned are ``s_i w_i``: a losing factor is shorted. The weights keep the method's
budget in absolute value (``sum |w| = 1``). ``long_only=True`` (``--long-only``) skips the
orientation. ``sharpe`` and ``momentum`` are signed by their own score instead.

Definitions
-----------
``equal``
    ``w_i = 1 / n``.
``sharpe``
    ``w_i ∝ max(SR_i, 0)`` with ``SR_i`` the factor's Sharpe ratio on the window
    (:func:`equity_factors.metrics.sharpe_ratio`). When no factor has a positive Sharpe ratio the
    weights fall back to ``equal`` (there is nothing to prefer). ``long_only=False``:
    ``w_i = SR_i / sum |SR|`` (shorts the factors with negative Sharpe; equal if all are zero).
``momentum``
    Same rule on the trailing compounded return of the last ``lookback`` rows of the window
    (``None``, the default, means the whole window: in walk-forward that is the train window).
``risk_parity``
    Equal risk contribution (Maillard, Roncalli, Teiletche 2010): ``w_i (Σw)_i`` equal for all i.
    Solved as the convex problem ``min ½ yᵀΣy - (1/n) Σ ln y_i`` (scipy ``trust-exact``), then
    ``w = y / Σy``. Not inverse volatility (that is only ERC under constant correlation).
``min_variance``
    ``argmin wᵀΣw`` s.t. ``Σw = 1, w >= 0`` (scipy SLSQP). ``long_only=False`` gives the
    closed form ``Σ⁻¹1 / 1ᵀΣ⁻¹1`` (may be negative; sums to 1).
``max_diversification``
    Most diversified portfolio (Choueifaty & Coignard 2008): ``argmax wᵀσ / sqrt(wᵀΣw)`` s.t.
    ``Σw = 1, w >= 0``, solved as ``min yᵀΣy`` s.t. ``σᵀy = 1, y >= 0``, ``w = y / Σy``.
``pca``
    Eigenvalue-weighted: with the eigen-decomposition ``Σ = Σ_j λ_j v_j v_jᵀ``,
    ``w_i ∝ Σ_j λ_j |v_ij|``, i.e. each principal direction votes for the factors it loads on,
    in proportion to the variance it explains. For uncorrelated factors (e.g. PCA factors)
    this is ``w_i ∝ var_i``, the factor's share of the variance explained.

The covariance ``Σ`` is the Ledoit-Wolf shrunk covariance of the window
(:class:`sklearn.covariance.LedoitWolf`) unless ``covariance=`` is given (tests pass exact
matrices through it). Rows with a NaN in any factor are dropped first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeAlias

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from equity_factors.errors import UserError
from equity_factors.metrics import sharpe_ratio
from equity_factors.types import WeightingMethod

__all__ = [
    "WEIGHTING_METHODS",
    "WeightingMethod",
    "compute_weights",
    "equal_weights",
    "factor_orientation",
    "ledoit_wolf_covariance",
    "max_diversification_weights",
    "min_variance_weights",
    "momentum_weights",
    "pca_weights",
    "resolve_method",
    "risk_contributions",
    "risk_parity_weights",
    "sharpe_weights",
]


Covariance: TypeAlias = "pd.DataFrame | np.ndarray | None"


# ------------------------------------------------------------------------------------- helpers


def _clean_window(window: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(window, pd.DataFrame):
        raise TypeError("window must be a DataFrame of shape (n_dates, n_factors)")
    if window.shape[1] == 0:
        raise UserError("no factors to weight: the factor-returns window has no columns")
    return window.astype(float).dropna(how="any")


def ledoit_wolf_covariance(window: pd.DataFrame) -> pd.DataFrame:
    """Ledoit-Wolf shrunk covariance of a returns window.

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors)
        Rows with any NaN are dropped; at least two rows must remain.

    Returns
    -------
    DataFrame of shape (n_factors, n_factors), per-period units.
    """
    clean = _clean_window(window)
    if len(clean) < 2:
        raise UserError(
            f"need at least 2 complete rows of factor returns to estimate a covariance, got "
            f"{len(clean)}; use a longer window"
        )
    from sklearn.covariance import LedoitWolf  # here: scikit-learn takes 1.6 s to import

    cov = LedoitWolf().fit(clean.to_numpy()).covariance_
    return pd.DataFrame(cov, index=clean.columns, columns=clean.columns)


def _covariance(window: pd.DataFrame | None, covariance: Covariance) -> tuple[np.ndarray, pd.Index]:
    if covariance is not None:
        if isinstance(covariance, pd.DataFrame):
            labels = covariance.columns
            cov = covariance.to_numpy(dtype=float)
        else:
            cov = np.asarray(covariance, dtype=float)
            labels = window.columns if window is not None else pd.RangeIndex(cov.shape[0])
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] != len(labels):
            raise ValueError("covariance must be a square matrix with one row per factor")
        return 0.5 * (cov + cov.T), pd.Index(labels)
    if window is None:
        raise ValueError("pass a window of factor returns or a covariance matrix")
    cov = ledoit_wolf_covariance(window)
    return cov.to_numpy(), cov.columns


def _labels(window: pd.DataFrame | None, covariance: Covariance) -> pd.Index:
    if window is not None:
        return pd.Index(window.columns)
    if isinstance(covariance, pd.DataFrame):
        return pd.Index(covariance.columns)
    if covariance is not None:
        return pd.RangeIndex(np.asarray(covariance).shape[0])
    raise ValueError("pass a window of factor returns or a covariance matrix")


def _series(values: np.ndarray, labels: pd.Index) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=labels, name="weight")


def _proportional(scores: np.ndarray, long_only: bool) -> np.ndarray:
    """Weights proportional to scores: positive part (long-only) or signed with sum |w| = 1."""
    s = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
    n = s.size
    if long_only:
        s = np.maximum(s, 0.0)
        total = s.sum()
        return s / total if total > 0 else np.full(n, 1.0 / n)
    gross = np.abs(s).sum()
    return s / gross if gross > 0 else np.full(n, 1.0 / n)


def risk_contributions(weights: np.ndarray | pd.Series, covariance: np.ndarray) -> np.ndarray:
    """Risk contributions ``RC_i = w_i (Σw)_i / σ_p``; they sum to ``σ_p`` (Euler).

    Parameters
    ----------
    weights : array of shape (n,)
    covariance : array of shape (n, n)

    Returns
    -------
    ndarray of shape (n,)
    """
    w = np.asarray(weights, dtype=float)
    cov = np.asarray(covariance, dtype=float)
    sw = cov @ w
    return w * sw / np.sqrt(w @ sw)


# ------------------------------------------------------------------------------------- methods


def equal_weights(window: pd.DataFrame | None, *, covariance: Covariance = None) -> pd.Series:
    """Equal weights ``1/n``.

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors) or None (then ``covariance`` gives labels)
    covariance : ignored except for its labels when ``window`` is None

    Returns
    -------
    Series of shape (n_factors,)
    """
    labels = _labels(window, covariance)
    return _series(np.full(len(labels), 1.0 / len(labels)), labels)


def sharpe_weights(
    window: pd.DataFrame, *, covariance: Covariance = None, long_only: bool = True
) -> pd.Series:
    """Weights proportional to each factor's positive Sharpe ratio on the window.

    Falls back to equal weights when no Sharpe ratio is positive. With ``long_only=False``
    the weights are ``SR_i / sum |SR|`` (negative for negative Sharpe ratios).

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors)
    covariance : ignored (accepted so every method has the same signature)
    long_only : bool, default True

    Returns
    -------
    Series of shape (n_factors,)
    """
    clean = _clean_window(window)
    sr = (np.asarray(sharpe_ratio(clean), dtype=float) if len(clean) >= 2
          else np.zeros(clean.shape[1]))
    return _series(_proportional(sr, long_only), clean.columns)


def momentum_weights(
    window: pd.DataFrame,
    *,
    covariance: Covariance = None,
    long_only: bool = True,
    lookback: int | None = None,
) -> pd.Series:
    """Weights proportional to each factor's positive trailing compounded return.

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors)
    covariance : ignored
    long_only : bool, default True
        False: ``w_i = m_i / sum |m|`` (shorts factors with negative momentum).
    lookback : int or None, default None
        Number of most recent rows used; None uses the whole window.

    Returns
    -------
    Series of shape (n_factors,)
    """
    clean = _clean_window(window)
    if lookback is not None:
        if lookback < 1:
            raise UserError(f"momentum lookback must be at least 1 day, got {lookback}")
        clean = clean.iloc[-lookback:]
    mom = np.prod(1.0 + clean.to_numpy(), axis=0) - 1.0
    return _series(_proportional(mom, long_only), clean.columns)


def _erc(cov: np.ndarray) -> np.ndarray:
    n = cov.shape[0]
    vol = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    y0 = 1.0 / vol
    y0 = y0 / np.sqrt(y0 @ cov @ y0)

    def fun(y: np.ndarray) -> tuple[float, np.ndarray]:
        if np.any(y <= 0):
            return np.inf, np.zeros_like(y)
        sy = cov @ y
        return 0.5 * y @ sy - np.log(y).sum() / n, sy - 1.0 / (n * y)

    def hess(y: np.ndarray) -> np.ndarray:
        return cov + np.diag(1.0 / (n * y * y))

    res = minimize(fun, y0, jac=True, hess=hess, method="trust-exact", options={"gtol": 1e-13})
    y = res.x if np.all(res.x > 0) and np.all(np.isfinite(res.x)) else y0
    return y / y.sum()


def risk_parity_weights(
    window: pd.DataFrame | None, *, covariance: Covariance = None
) -> pd.Series:
    """Equal-risk-contribution (risk parity) long-only weights.

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors) or None when ``covariance`` is given
    covariance : array or DataFrame of shape (n_factors, n_factors), optional
        Defaults to the Ledoit-Wolf covariance of ``window``.

    Returns
    -------
    Series of shape (n_factors,), positive, summing to 1, with equal risk contributions.
    """
    cov, labels = _covariance(None if window is None else _clean_window(window), covariance)
    return _series(_erc(cov), labels)


def _min_variance_long_only(cov: np.ndarray) -> np.ndarray:
    n = cov.shape[0]
    scale = np.trace(cov) / n
    c = cov / scale  # well-scaled objective for SLSQP's tolerances
    res = minimize(
        lambda w: (w @ c @ w, 2.0 * c @ w),
        np.full(n, 1.0 / n),
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(n)}],
        options={"ftol": 1e-16, "maxiter": 1000},
    )
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


def min_variance_weights(
    window: pd.DataFrame | None, *, covariance: Covariance = None, long_only: bool = True
) -> pd.Series:
    """Minimum-variance weights.

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors) or None when ``covariance`` is given
    covariance : array or DataFrame of shape (n_factors, n_factors), optional
    long_only : bool, default True
        False: the budget-only closed form ``Σ⁻¹1 / (1ᵀΣ⁻¹1)`` (weights may be negative).

    Returns
    -------
    Series of shape (n_factors,) summing to 1.
    """
    cov, labels = _covariance(None if window is None else _clean_window(window), covariance)
    if long_only:
        return _series(_min_variance_long_only(cov), labels)
    x = np.linalg.solve(cov, np.ones(cov.shape[0]))
    return _series(x / x.sum(), labels)


def max_diversification_weights(
    window: pd.DataFrame | None, *, covariance: Covariance = None
) -> pd.Series:
    """Most-diversified-portfolio weights (long-only, sum to 1).

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors) or None when ``covariance`` is given
    covariance : array or DataFrame of shape (n_factors, n_factors), optional

    Returns
    -------
    Series of shape (n_factors,)
    """
    cov, labels = _covariance(None if window is None else _clean_window(window), covariance)
    n = cov.shape[0]
    vol = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    c = cov / (np.trace(cov) / n)
    sig = vol / vol.mean()
    res = minimize(
        lambda y: (y @ c @ y, 2.0 * c @ y),
        np.full(n, 1.0 / sig.sum()),
        jac=True,
        method="SLSQP",
        bounds=[(0.0, None)] * n,
        constraints=[{"type": "eq", "fun": lambda y: sig @ y - 1.0, "jac": lambda y: sig}],
        options={"ftol": 1e-16, "maxiter": 1000},
    )
    y = np.clip(res.x, 0.0, None)
    if not np.isfinite(y).all() or y.sum() <= 0:
        y = 1.0 / vol
    return _series(y / y.sum(), labels)


def pca_weights(window: pd.DataFrame | None, *, covariance: Covariance = None) -> pd.Series:
    """Eigenvalue-weighted weights ``w_i ∝ Σ_j λ_j |v_ij|`` of the (shrunk) covariance.

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors) or None when ``covariance`` is given
    covariance : array or DataFrame of shape (n_factors, n_factors), optional

    Returns
    -------
    Series of shape (n_factors,), non-negative, summing to 1.
    """
    cov, labels = _covariance(None if window is None else _clean_window(window), covariance)
    lam, vec = np.linalg.eigh(cov)
    score = np.abs(vec) @ np.clip(lam, 0.0, None)
    return _series(_proportional(score, long_only=True), labels)


# ------------------------------------------------------------------------------------- dispatch

WEIGHTING_METHODS: Mapping[str, Callable[..., pd.Series]] = MappingProxyType(
    {
        "equal": equal_weights,
        "sharpe": sharpe_weights,
        "momentum": momentum_weights,
        "risk_parity": risk_parity_weights,
        "min_variance": min_variance_weights,
        "max_diversification": max_diversification_weights,
        "pca": pca_weights,
    }
)

#: Methods whose weights become signed (sum |w| = 1) when ``long_only=False``.
SIGNED_METHODS = frozenset({"sharpe", "momentum"})


def resolve_method(method: str) -> str:
    """Normalize a user-typed method name (case-insensitive, ``-`` same as ``_``).

    Raises
    ------
    UserError
        If the name is not one of :data:`WEIGHTING_METHODS`.
    """
    key = str(method).strip().lower().replace("-", "_")
    if key not in WEIGHTING_METHODS:
        valid = ", ".join(WEIGHTING_METHODS)
        raise UserError(f"unknown weighting method {method!r}; choose from: {valid}")
    return key


def compute_weights(
    method: str,
    window: pd.DataFrame | None,
    *,
    covariance: Covariance = None,
    long_only: bool = True,
    **options: object,
) -> pd.Series:
    """Weights of one weighting method on a window of factor returns.

    Parameters
    ----------
    method : str
        One of :data:`WEIGHTING_METHODS` (case-insensitive).
    window : DataFrame of shape (n_dates, n_factors)
    covariance : array or DataFrame of shape (n_factors, n_factors), optional
        Replaces the Ledoit-Wolf estimate for the covariance-based methods.
    long_only : bool, default True
        Passed to the methods that have a signed variant (``sharpe``, ``momentum``). With
        ``False`` the risk-based methods weight the factors oriented by the sign of their mean
        on the window (see "Factor orientation" above): a losing factor gets a negative weight.
        (Call :func:`min_variance_weights` directly for the budget-only closed form.)
    **options
        Extra keyword arguments of the method (e.g. ``lookback`` for momentum).

    Returns
    -------
    Series of shape (n_factors,)
    """
    key = resolve_method(method)
    func = WEIGHTING_METHODS[key]
    if key in SIGNED_METHODS:
        return func(window, covariance=covariance, long_only=long_only, **options)
    if long_only or window is None:
        return func(window, covariance=covariance, **options)
    signs = factor_orientation(window)
    oriented_cov = covariance
    if covariance is not None:
        s = signs.to_numpy()
        oriented_cov = (covariance * np.outer(s, s) if isinstance(covariance, pd.DataFrame)
                        else np.asarray(covariance, dtype=float) * np.outer(s, s))
    weights = func(window * signs, covariance=oriented_cov, **options)
    return weights * signs.reindex(weights.index).to_numpy()


def factor_orientation(window: pd.DataFrame) -> pd.Series:
    """``sign`` of each factor's mean return on the window's complete rows (+1 for a zero mean).

    Parameters
    ----------
    window : DataFrame of shape (n_dates, n_factors)

    Returns
    -------
    Series of shape (n_factors,) of +1.0 / -1.0
    """
    clean = _clean_window(window)
    mean = clean.mean(axis=0) if len(clean) else pd.Series(0.0, index=window.columns)
    return pd.Series(np.where(mean.to_numpy() < 0, -1.0, 1.0), index=window.columns)
