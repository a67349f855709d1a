"""Shared pieces of the factor estimators without scikit-learn: validation, standardization,
sign orientation, method names (the estimator base class is in :mod:`._estimator`)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from equity_factors._random import check_random_state
from equity_factors.errors import ParameterError, UserError
from equity_factors.types import FACTOR_METHODS, FactorMethod

# A column whose standard deviation is below this fraction of its mean absolute level (or
# exactly zero) carries no information: halted stocks, stale prices, a constant filler.
_CONSTANT_RTOL = 1e-9


def factor_labels(n_factors: int) -> list[str]:
    """Neutral factor labels ``["F1", ..., "Fk"]``."""
    return [f"F{j + 1}" for j in range(n_factors)]


def validate_returns(returns: object, *, name: str = "returns") -> pd.DataFrame:
    """Check a wide returns frame and return it as float64 without all-NaN rows.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
        Plain daily simple returns; rows a strictly increasing DatetimeIndex, columns unique
        symbols, NaN where a stock has no return (not listed, halted).

    Returns
    -------
    DataFrame of shape (n_trading_dates, n_assets)
        A float64 copy. Dates on which no stock has a return are not trading days and are
        removed.
    """
    if not isinstance(returns, pd.DataFrame):
        raise UserError(f"{name} must be a pandas DataFrame of dates x symbols, "
                        f"not {type(returns).__name__}")
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise UserError(f"{name} must have a DatetimeIndex of dates; convert the index with "
                        "pd.to_datetime")
    if not returns.index.is_monotonic_increasing or returns.index.has_duplicates:
        raise UserError(f"{name} dates must be unique and ascending; sort the frame and drop "
                        "duplicate dates")
    if returns.columns.has_duplicates:
        dup = returns.columns[returns.columns.duplicated()].unique()[:5].tolist()
        raise UserError(f"{name} has duplicate symbols {dup}; keep one column per symbol")
    try:
        values = returns.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be numeric; found non-numeric values") from None
    if np.isinf(values).any():
        raise UserError(f"{name} contain infinite values; replace them with NaN or fix the "
                        "prices they came from")
    keep = ~np.isnan(values).all(axis=1)
    return pd.DataFrame(values[keep], index=returns.index[keep], columns=returns.columns)


def standardize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Z-score each column over its observed values; NaN -> 0 afterwards; drop constant columns.

    Parameters
    ----------
    values : ndarray of shape (n_dates, n_assets)
        Returns of one fit window, NaN where missing.

    Returns
    -------
    z : ndarray of shape (n_dates, n_kept)
        Standardized returns (mean 0, sample standard deviation 1 over the observed days;
        missing days are 0, the column mean, so they add no co-movement).
    keep : ndarray of bool, shape (n_assets,)
        Columns kept: at least two observations and a non-zero standard deviation.
    """
    observed = ~np.isnan(values)
    count = observed.sum(axis=0)
    filled = np.where(observed, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / count
        dev = np.where(observed, values - mean, 0.0)
        std = np.sqrt((dev * dev).sum(axis=0) / (count - 1))
    keep = (count >= 2) & np.isfinite(std) & (std > _CONSTANT_RTOL * np.abs(mean)) & (std > 0)
    z = dev[:, keep] / std[keep]
    return z, keep


def check_n_factors(n_factors: object, n_usable: int, n_days: int, *, method: str,
                    where: str = "") -> int:
    """Validate ``n_factors`` against the usable stocks and days of a fit window."""
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)) \
            or n_factors < 1:
        raise ParameterError(f"n_factors must be a positive integer, not {n_factors!r}",
                             "n_factors", scope="factors")
    k = int(n_factors)
    if k >= n_usable:
        place = where or "the data"
        raise ParameterError(
            f"{method} with k={k} factors needs more than {k} usable stocks, but {place} has "
            f"{n_usable}; lower n_factors or add symbols (or lower min_coverage)",
            "n_factors", "min_coverage", scope="factors")
    if k >= n_days - 1:
        raise ParameterError(
            f"{method} with k={k} factors needs more than {k + 1} days of returns, but "
            f"{where or 'the data'} has {n_days}; lower n_factors or lengthen lookback",
            "n_factors", "lookback", scope="factors")
    return k


def sklearn_seed(random_state: object) -> int | None:
    """Resolve ``random_state`` (int, Generator or None) to the int (or None) scikit-learn takes."""
    if random_state is None:
        return None
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) % (2**32)
    rng = check_random_state(random_state)  # type: ignore[arg-type]
    return int(rng.integers(0, 2**31 - 1))


def run_recording_convergence(fn: Callable[[], Any]) -> tuple[Any, bool]:
    """Call ``fn`` with scikit-learn's ConvergenceWarning silenced; return (result, converged)."""
    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SklearnConvergenceWarning)
        out = fn()
    converged = True
    for w in caught:
        if issubclass(w.category, SklearnConvergenceWarning):
            converged = False
        else:  # anything else goes on to the caller as it came
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out, converged


def orient_columns(loadings: np.ndarray) -> np.ndarray:
    """Signs (+1/-1) that make each column sum to a positive number (ties: largest |entry| > 0)."""
    sums = loadings.sum(axis=0)
    signs = np.sign(sums)
    for j in np.flatnonzero(np.abs(sums) <= 1e-12 * np.abs(loadings).sum(axis=0).clip(1e-300)):
        col = loadings[:, j]
        signs[j] = np.sign(col[np.argmax(np.abs(col))]) if col.size else 1.0
    signs[signs == 0] = 1.0
    return signs


def top_eigen(z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top ``k`` singular triplets of ``z`` through the smaller Gram matrix.

    For a window of T days and n stocks the cost is O(T n min(T, n)): with T < n the T x T
    matrix ``z z'`` is decomposed instead of the n x n covariance, so the cost grows linearly
    in the number of stocks.

    Returns
    -------
    u : ndarray (n_dates, k), s : ndarray (k,), v : ndarray (n_assets, k)
        ``z ~ u diag(s) v'`` with orthonormal columns in ``u`` and ``v``; s descending; each
        column of ``v`` sums to a positive number.
    """
    from scipy.linalg import eigh

    t, n = z.shape
    small = min(t, n)
    if t <= n:
        gram = z @ z.T
        w, u = eigh(gram, subset_by_index=[small - k, small - 1], check_finite=False)
        w, u = w[::-1], u[:, ::-1]
        s = np.sqrt(np.clip(w, 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            v = (z.T @ u) / np.where(s > 0, s, np.inf)
    else:
        cov = z.T @ z
        w, v = eigh(cov, subset_by_index=[small - k, small - 1], check_finite=False)
        w, v = w[::-1], v[:, ::-1]
        s = np.sqrt(np.clip(w, 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (z @ v) / np.where(s > 0, s, np.inf)
    # eigh's signs are arbitrary; fix them so that reordering the stocks changes nothing
    signs = orient_columns(v)
    return u * signs, s, v * signs


@dataclass(frozen=True)
class RawFit:
    """What one estimator learns from one standardized window (before sign orientation)."""

    loadings: np.ndarray  # (n_assets, k)
    explained_variance_ratio: np.ndarray | None  # (k,) or None where undefined
    converged: bool
    n_iter: int | None


def normalize_method(method: object) -> FactorMethod:
    """Canonical method name (case-insensitive, ``-`` = ``_``); UserError listing valid names."""
    name = str(method).strip().lower().replace("-", "_") if isinstance(method, str) else ""
    if name not in FACTOR_METHODS:
        raise UserError(f"unknown factor method {method!r}; choose one of: "
                        f"{', '.join(FACTOR_METHODS)}")
    return cast(FactorMethod, name)
