"""Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).

Note on PBO: CSCV asks whether picking the in-sample best of the trials beats picking a typical
one. An optimizer's trials crowd around one optimum of the whole window, so their differences are
mostly noise and the PBO of an optimizer is high even when every trial holds a real edge; read it
as "the fine-tuning is overfit" and look at ``prob_oos_loss`` and the out-of-sample Sharpe for
whether the edge itself survives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from equity_factors.errors import UserError

__all__ = ["PBOResult", "default_partitions", "pbo_cscv"]


@dataclass(frozen=True, eq=False)
class PBOResult:
    """Probability of backtest overfitting by combinatorially symmetric cross-validation.

    Attributes
    ----------
    pbo : float
        Share of splits whose in-sample best lands at or below the out-of-sample median
        (logit <= 0). NaN when there were no splits.
    logits : ndarray of shape (n_splits,)
        ``ln(ω / (1 - ω))`` with ``ω = r / (N + 1)``, r the OOS rank (1 = worst) of the IS best.
    prob_oos_loss : float
        Share of splits where the IS best has a negative OOS metric.
    degradation_slope : float
        Slope of the OOS metric of the IS best regressed on its IS metric.
    in_sample_best : ndarray of shape (n_splits,)
        IS metric of the IS best per split (per-period units).
    out_of_sample_best : ndarray of shape (n_splits,)
        OOS metric of the same configuration.
    n_splits : int
    n_partitions : int
        ``S``, the number of contiguous blocks.
    """

    pbo: float
    logits: np.ndarray
    prob_oos_loss: float
    degradation_slope: float
    in_sample_best: np.ndarray
    out_of_sample_best: np.ndarray
    n_splits: int
    n_partitions: int

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The result as numeric arrays (a window-cache entry)."""
        return {"scalars": np.array([self.pbo, self.prob_oos_loss, self.degradation_slope,
                                     self.n_splits, self.n_partitions], dtype=np.float64),
                "logits": self.logits, "in_sample_best": self.in_sample_best,
                "out_of_sample_best": self.out_of_sample_best}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> PBOResult:
        pbo, loss, slope, n_splits, n_partitions = arrays["scalars"].tolist()
        return cls(pbo, arrays["logits"], loss, slope, arrays["in_sample_best"],
                   arrays["out_of_sample_best"], int(n_splits), int(n_partitions))


def default_partitions(n_obs: int) -> int | None:
    """Number of CSCV blocks for ``n_obs`` rows: even, 4..16, about 10+ rows per block.

    ``S = min(16, 2 * floor(T / 20))``, raised to 4 when ``T >= 20``; None when ``T < 20``.
    """
    if n_obs < 20:
        return None
    return max(4, min(16, 2 * (n_obs // 20)))


def _empty_pbo(n_partitions: int) -> PBOResult:
    empty = np.empty(0)
    return PBOResult(np.nan, empty, np.nan, np.nan, empty, empty, 0, n_partitions)


def pbo_cscv(
    performance: pd.DataFrame | np.ndarray,
    n_partitions: int = 16,
    metric: Literal["sharpe", "mean"] = "sharpe",
) -> PBOResult:
    """Probability of backtest overfitting via CSCV (Bailey, Borwein, López de Prado, Zhu).

    The rows (in time order) are cut into ``S`` contiguous blocks (the first ``T mod S`` rows
    are dropped, as pypbo). For each of the ``C(S, S/2)`` ways to pick half the blocks as the
    in-sample set, the configuration with the best in-sample metric is ranked out of sample;
    ranks use average ties and ``ω = r / (N + 1)`` (paper and pypbo, not the R package's r/N).

    Parameters
    ----------
    performance : DataFrame or array of shape (n_periods, n_configurations)
        Per-period returns of every trial configuration.
    n_partitions : int, default 16
        ``S``, even, >= 2.
    metric : {"sharpe", "mean"}, default "sharpe"
        Per-period Sharpe (``mean / std(ddof=1)``) or the mean of each column.

    Returns
    -------
    PBOResult
    """
    m = np.asarray(performance, dtype=float)
    if m.ndim != 2:
        raise ValueError("performance must be a 2-D matrix (n_periods, n_configurations)")
    if metric not in ("sharpe", "mean"):
        raise UserError(f"unknown PBO metric {metric!r}; choose from: sharpe, mean")
    s = int(n_partitions)
    if s < 2 or s % 2:
        raise UserError(f"the number of CSCV partitions must be even and >= 2, got {s}")
    t, n = m.shape
    block = t // s
    if n < 2 or block < (2 if metric == "sharpe" else 1):
        return _empty_pbo(s)
    m = np.nan_to_num(m[t - block * s :], nan=0.0).reshape(s, block, n)
    s1 = m.sum(axis=1)  # (S, N)
    s2 = (m * m).sum(axis=1)
    mask = np.zeros((math.comb(s, s // 2), s))
    for i, c in enumerate(combinations(range(s), s // 2)):
        mask[i, list(c)] = 1.0
    rows = block * (s // 2)

    def measure(sel: np.ndarray) -> np.ndarray:
        a1, a2 = sel @ s1, sel @ s2
        mean = a1 / rows
        if metric == "mean":
            return mean
        var = np.maximum(a2 - a1 * a1 / rows, 0.0) / (rows - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = mean / np.sqrt(var)
        return np.where(var > 0, out, np.nan)

    r_is = measure(mask)
    r_oos = measure(1.0 - mask)
    best = np.argmax(np.nan_to_num(r_is, nan=-np.inf), axis=1)
    idx = np.arange(len(best))
    # OOS rank of the IS best among all configurations, 1 = worst, average rank for ties.
    oos = np.nan_to_num(r_oos, nan=-np.inf)
    v = oos[idx, best][:, None]
    rank = np.sum(oos < v, axis=1) + (np.sum(oos == v, axis=1) + 1) / 2.0
    omega = rank / (n + 1.0)
    logits = np.log(omega / (1.0 - omega))
    is_best, oos_best = r_is[idx, best], r_oos[idx, best]
    return PBOResult(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        prob_oos_loss=float(np.mean(oos_best < 0)),
        degradation_slope=_slope(is_best, oos_best),
        in_sample_best=is_best,
        out_of_sample_best=oos_best,
        n_splits=len(logits),
        n_partitions=s,
    )


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2 or np.ptp(x) == 0:
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])
