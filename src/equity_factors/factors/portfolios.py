"""Factor-mimicking portfolios (unit gross exposure) and factor identity across refits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def unit_gross(loadings: np.ndarray) -> np.ndarray:
    """w_k = B[:, k] / sum_i |B[i, k]| for each column of ``loadings`` (n_assets, k).

    A column without a non-zero entry gives zero weights (that factor's return is 0).
    """
    gross = np.abs(loadings).sum(axis=0)
    safe = np.where(gross > 0, gross, 1.0)
    return np.where(gross > 0, loadings / safe, 0.0)


def mimicking_weights(loadings: pd.DataFrame) -> pd.DataFrame:
    """Factor-mimicking portfolio weights of DESIGN.md section 6.

    Parameters
    ----------
    loadings : DataFrame of shape (n_assets, n_factors)
        B, from any estimator (the scale of a column does not matter).

    Returns
    -------
    DataFrame of shape (n_assets, n_factors)
        w_k = B[:, k] / sum_i |B[i, k]|: each column has unit gross exposure (sum of |w| = 1),
        so a factor's daily return is that of a real long/short (or long-only) portfolio.
    """
    return pd.DataFrame(unit_gross(loadings.to_numpy(dtype=np.float64)), index=loadings.index,
                        columns=loadings.columns)


def portfolio_returns(returns: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """f_k(t) = sum_i w_k,i r_i(t) on plain returns.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
        Plain (not standardized) simple returns.
    weights : DataFrame of shape (n_held, n_factors)
        Index = symbols held. A held stock with a missing return on day t (NaN, or absent
        from ``returns``) earns 0 that day: the position is treated as cash for the day
        (a halt or a delisting without a recorded final return).

    Returns
    -------
    DataFrame of shape (n_dates, n_factors)
    """
    r = returns.reindex(columns=weights.index).to_numpy(dtype=np.float64, na_value=np.nan)
    r = np.where(np.isnan(r), 0.0, r)
    return pd.DataFrame(r @ weights.to_numpy(dtype=np.float64), index=returns.index,
                        columns=weights.columns)


def cosine_matrix(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """|cos|-ready cosine similarities (k_prev, k_cur) of columns over the same rows.

    A column that is zero over the rows gives 0 similarity with everything.
    """
    pn = np.linalg.norm(previous, axis=0)
    cn = np.linalg.norm(current, axis=0)
    num = previous.T @ current
    den = np.outer(pn, cn)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def match_factors(previous: np.ndarray, current: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match the current fit's factors to the previous fit's.

    Parameters
    ----------
    previous, current : ndarray of shape (n_common, k)
        Portfolio weights of the two fits on the stocks they share (same row order).

    Returns
    -------
    order : ndarray of int, shape (k,)
        ``current[:, order[j]]`` is the new factor j (the match of previous factor j);
        found by assignment (scipy's linear_sum_assignment) maximizing the total |cos|.
    signs : ndarray of +-1, shape (k,)
        Multiply the reordered columns by these so each has a non-negative cosine with its
        predecessor.
    stability : ndarray of shape (k,)
        |cos| of each factor with its predecessor (NaN when the fits share no stock).
    """
    k = previous.shape[1]
    if previous.shape[0] == 0:
        return np.arange(k), np.ones(k), np.full(k, np.nan)
    cos = cosine_matrix(previous, current)
    rows, cols = linear_sum_assignment(-np.abs(cos))
    order = np.empty(k, dtype=np.int64)
    order[rows] = cols
    matched = cos[np.arange(k), order]
    signs = np.where(matched < 0, -1.0, 1.0)
    return order, signs, np.abs(matched)
