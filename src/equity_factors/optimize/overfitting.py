"""Overfitting statistics: PSR, DSR, MinTRL, MinBTL, PBO by CSCV, and the overfitting report.

Sharpe ratios fed to PSR/DSR/MinTRL are **per period** (not annualized); ``kurtosis`` is the
non-excess kurtosis (3 for a normal). Moments from returns use scipy's biased estimators
(``skew``, ``kurtosis(fisher=False)``) and the per-period Sharpe ``mean / std(ddof=1)``
(see ``reference/metrics.md`` sections 2-4).

Verdict of :func:`overfitting_report` (``status`` and the one-line ``verdict``)
-----------------------------------------------------------------------------------
Signs of overfitting (the verdict lists the ones present):

- PBO >= 0.5 (the in-sample best trial lands at or below the out-of-sample median at least half
  the time);
- DSR < 0.5 (the best in-sample Sharpe is more likely than not explained by the number of trials);
- the probability that the in-sample Sharpe beats the best combination of the same number of
  zero-skill factors (:func:`prob_beats_noise`, averaged over folds) is < 0.5. The DSR only
  sees the spread of the trials, which is small when every trial blends the same in-sample-fitted
  method vectors; this test accounts for the search over the factors themselves;
- walk-forward only: the out-of-sample Sharpe is <= 0 while the in-sample one is > 0, or it keeps
  less than half of the in-sample Sharpe (the customary 50% Sharpe haircut).

What the status says then depends on the out-of-sample evidence (walk-forward only): when the
stitched out-of-sample Sharpe is positive with PSR >= 0.95 the status is ``"overstated"`` (the
in-sample Sharpe is inflated but an out-of-sample edge remains: plan on the out-of-sample number),
otherwise ``"likely_overfit"``. A single fit with any of the signs above is ``"likely_overfit"``.

Without those signs: a single fit is ``"in_sample_only"`` (nothing was tested out of sample); a
walk-forward whose out-of-sample PSR is below 0.95 is ``"not_significant"``; else
``"no_sign_of_overfit"``.

Note on PBO: CSCV asks whether picking the in-sample best of the trials beats picking a typical
one. An optimizer's trials crowd around one optimum of the whole window, so their differences are
mostly noise and the PBO of an optimizer is high even when every trial holds a real edge; read it
as "the fine-tuning is overfit" and look at ``prob_oos_loss`` and the out-of-sample Sharpe for
whether the edge itself survives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from equity_factors.errors import UserError
from equity_factors.metrics import _sharpe_array, sharpe_ratio

__all__ = [
    "EULER_GAMMA",
    "OverfittingReport",
    "PBOResult",
    "SharpeMoments",
    "default_partitions",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "min_backtest_length",
    "min_track_record_length",
    "overfitting_report",
    "noise_sharpe",
    "pbo_cscv",
    "prob_beats_noise",
    "probabilistic_sharpe_ratio",
    "sharpe_moments",
]

EULER_GAMMA = 0.5772156649015329

Status = Literal[
    "likely_overfit", "overstated", "not_significant", "in_sample_only", "no_sign_of_overfit"
]


# ------------------------------------------------------------------------------------- moments


@dataclass(frozen=True)
class SharpeMoments:
    """Per-period Sharpe ratio and the return moments PSR needs.

    Attributes
    ----------
    sharpe : float
        ``mean / std(ddof=1)``, per period (not annualized).
    n_obs : int
        Number of non-NaN returns.
    skewness : float
        Biased sample skewness (``scipy.stats.skew``).
    kurtosis : float
        Biased, non-excess sample kurtosis (``scipy.stats.kurtosis(fisher=False)``).
    """

    sharpe: float
    n_obs: int
    skewness: float
    kurtosis: float


def sharpe_moments(returns: pd.Series | np.ndarray) -> SharpeMoments:
    """Per-period Sharpe ratio, count, skewness and (non-excess) kurtosis of a return series.

    Parameters
    ----------
    returns : Series or array of shape (n_periods,)
        NaN values are dropped.

    Returns
    -------
    SharpeMoments
    """
    x = np.asarray(returns, dtype=float).ravel()
    x = x[~np.isnan(x)]
    if x.size < 3 or np.std(x) == 0:
        return SharpeMoments(np.nan, int(x.size), np.nan, np.nan)
    sr = float(_sharpe_array(x.reshape(-1, 1), 0.0, 1)[0])
    return SharpeMoments(
        sr, int(x.size), float(stats.skew(x)), float(stats.kurtosis(x, fisher=False))
    )


# ------------------------------------------------------------------------------------- PSR/DSR


def probabilistic_sharpe_ratio(
    sharpe: float,
    n_obs: int,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
    sharpe_benchmark: float = 0.0,
) -> float:
    """Probabilistic Sharpe ratio (Bailey & López de Prado 2012).

    ``PSR = Φ((SR - SR*) sqrt(T - 1) / sqrt(1 - γ3 SR + (γ4 - 1)/4 SR²))``: the probability that
    the true Sharpe ratio exceeds ``sharpe_benchmark`` given the observed one.

    Parameters
    ----------
    sharpe : float
        Observed Sharpe ratio, **per period**.
    n_obs : int
        Number of returns ``T``.
    skewness : float, default 0.0
    kurtosis : float, default 3.0
        Non-excess kurtosis ``γ4`` (3 for normal returns).
    sharpe_benchmark : float, default 0.0
        ``SR*``, per period.

    Returns
    -------
    float in [0, 1]; NaN when the variance term is not positive or inputs are NaN.
    """
    var = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not np.isfinite(var) or var <= 0 or n_obs < 2:
        return float("nan")
    z = (sharpe - sharpe_benchmark) * math.sqrt(n_obs - 1) / math.sqrt(var)
    return float(stats.norm.cdf(z))


def expected_max_sharpe(n_trials: int, variance: float = 1.0, mean: float = 0.0) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` independent zero-skill trials.

    ``SR0 = mean + sqrt(V) ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))`` with γ the
    Euler-Mascheroni constant (Bailey & López de Prado 2014). The paper's null has ``mean = 0``.
    ``N = 1`` gives ``mean`` (nothing was selected).

    Parameters
    ----------
    n_trials : int
        Number of (effectively independent) trials ``N >= 1``.
    variance : float, default 1.0
        Variance of the trials' Sharpe ratios, in the same units as the result.
    mean : float, default 0.0

    Returns
    -------
    float
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    if n_trials == 1:
        return float(mean)
    bracket = (1.0 - EULER_GAMMA) * stats.norm.ppf(1.0 - 1.0 / n_trials) + EULER_GAMMA * (
        stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    )
    return float(mean + math.sqrt(variance) * bracket)


def deflated_sharpe_ratio(
    sharpe: float,
    n_obs: int,
    n_trials: int,
    trials_sharpe_variance: float,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
) -> float:
    """Deflated Sharpe ratio (Bailey & López de Prado 2014): ``PSR(SR0)``.

    ``SR0`` is :func:`expected_max_sharpe` of ``n_trials`` trials whose Sharpe ratios have
    variance ``trials_sharpe_variance``.

    Parameters
    ----------
    sharpe : float
        The selected (best) trial's Sharpe ratio, **per period**.
    n_obs : int
        Number of returns of that trial.
    n_trials : int
        Number of trials tried.
    trials_sharpe_variance : float
        Variance (ddof=1) of the trials' **per-period** Sharpe ratios (annual variance / ppy).
    skewness, kurtosis : float
        Of the selected trial's returns; kurtosis non-excess.

    Returns
    -------
    float in [0, 1]
    """
    if n_trials > 1 and not np.isfinite(trials_sharpe_variance):
        return float("nan")
    sr0 = expected_max_sharpe(n_trials, max(trials_sharpe_variance, 0.0) if n_trials > 1 else 1.0)
    return probabilistic_sharpe_ratio(sharpe, n_obs, skewness, kurtosis, sr0)


def min_track_record_length(
    sharpe: float,
    sharpe_benchmark: float = 0.0,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
    probability: float = 0.95,
) -> float:
    """Minimum track record length (in observations) for ``PSR(SR*) >= probability``.

    ``MinTRL = 1 + (1 - γ3 SR + (γ4 - 1)/4 SR²) (Φ⁻¹(p) / (SR - SR*))²``. Divide by the
    periods per year for years. Infinite when ``sharpe <= sharpe_benchmark``.

    Parameters
    ----------
    sharpe, sharpe_benchmark : float
        Per period.
    skewness : float, default 0.0
    kurtosis : float, default 3.0
        Non-excess.
    probability : float, default 0.95

    Returns
    -------
    float
    """
    if sharpe <= sharpe_benchmark:
        return float("inf")
    var = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    return float(1.0 + var * (stats.norm.ppf(probability) / (sharpe - sharpe_benchmark)) ** 2)


def min_backtest_length(n_trials: int, sharpe: float) -> float:
    """Minimum backtest length in years (Bailey, Borwein, López de Prado, Zhu 2014).

    ``MinBTL = (E[max_N] / SR)²`` with ``E[max_N]`` = :func:`expected_max_sharpe` at unit
    variance: the number of years of data below which ``n_trials`` zero-skill configurations
    are expected to produce an in-sample annualized Sharpe of ``sharpe``. Upper bound
    ``2 ln N / SR²``.

    Parameters
    ----------
    n_trials : int
    sharpe : float
        Annualized in-sample Sharpe ratio.

    Returns
    -------
    float, years
    """
    return float((expected_max_sharpe(n_trials, 1.0) / sharpe) ** 2)


def prob_beats_noise(sharpe: float, n_obs: int, n_factors: int) -> float:
    """Probability that ``sharpe`` beats the best in-sample Sharpe of ``n_factors`` noise factors.

    Under the null that no factor has skill (i.i.d. Gaussian returns, zero means), the largest
    Sharpe ratio any weighting of ``k`` factors reaches in sample is ``sqrt(T²/T)`` with the
    one-sample Hotelling statistic ``T² ~ k (T-1)/(T-k) F(k, T-k)``. This returns the null CDF
    at the observed Sharpe: ``F_cdf(T SR² (T-k) / ((T-1) k); k, T-k)`` (0 for ``SR <= 0``).
    The selected weights' Sharpe is at most the maximal one and long-only searches reach less,
    so the test is conservative. For ``k = 1`` it is the two-sided t-test
    ``2 t_cdf(SR sqrt(T)) - 1``.

    Parameters
    ----------
    sharpe : float
        In-sample Sharpe ratio, **per period** (std with ddof=1).
    n_obs : int
        Number of returns ``T`` (must exceed ``n_factors``).
    n_factors : int
        Number of factors searched over ``k``.

    Returns
    -------
    float in [0, 1]; NaN when ``T <= k`` or inputs are NaN.
    """
    t, k = int(n_obs), int(n_factors)
    if k < 1 or t <= k or not np.isfinite(sharpe):
        return float("nan")
    if sharpe <= 0:
        return 0.0
    f = t * sharpe**2 * (t - k) / ((t - 1) * k)
    return float(stats.f.cdf(f, k, t - k))


def noise_sharpe(n_obs: int, n_factors: int, quantile: float = 0.5) -> float:
    """Quantile of the best in-sample Sharpe (per period) of ``n_factors`` zero-skill factors.

    The inverse of :func:`prob_beats_noise`: what searching over ``k`` factors for ``T`` periods
    reaches on pure noise (median by default). Annualize with ``sqrt(ppy)``.
    """
    t, k = int(n_obs), int(n_factors)
    if k < 1 or t <= k:
        return float("nan")
    f = stats.f.ppf(quantile, k, t - k)
    return float(math.sqrt(f * (t - 1) * k / ((t - k) * t)))


# ------------------------------------------------------------------------------------- PBO


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


# ------------------------------------------------------------------------------------- report


@dataclass(frozen=True, eq=False)
class OverfittingReport:
    """How much of an optimized in-sample Sharpe ratio can be trusted.

    Attributes
    ----------
    folds : DataFrame of shape (n_folds, 9)
        Per fold: ``in_sample_sharpe, out_of_sample_sharpe`` (annualized), ``n_trials``,
        ``expected_max_sharpe`` (annualized SR0 of the DSR), ``dsr``, ``noise_sharpe``
        (annualized median best Sharpe of as many noise factors), ``p_beats_noise``, ``pbo``,
        ``pbo_splits``.
    in_sample_sharpe : float
        Mean over folds of the selected weights' annualized in-sample Sharpe ratio.
    out_of_sample_sharpe : float
        Annualized Sharpe ratio of the stitched out-of-sample returns (NaN for a single fit).
    sharpe_correlation : float
        Pearson correlation of in-sample and out-of-sample Sharpe across folds (NaN under 3 folds).
    n_trials : int
        Every objective evaluation in every fold.
    psr : float
        PSR(0) of the stitched out-of-sample returns (walk-forward) or of the in-sample returns
        (single fit): probability the true Sharpe ratio is positive.
    dsr : float
        Mean over folds of the deflated Sharpe ratio of the selected in-sample trial.
    p_beats_noise : float
        Mean over folds of :func:`prob_beats_noise` (NaN without ``n_factors``).
    pbo : float
        Share of all folds' CSCV splits (pooled) whose in-sample best trial lands at or below
        the out-of-sample median.
    prob_oos_loss, degradation_slope : float
        Pooled over the same CSCV splits (per-period Sharpe units).
    pbo_splits : int
    out_of_sample : bool
        True for walk-forward, False for a single in-sample fit.
    status : {"likely_overfit", "overstated", "not_significant", "in_sample_only", \
"no_sign_of_overfit"}
    verdict : str
        One line for the terminal and the results file.
    periods_per_year : int
    """

    folds: pd.DataFrame
    in_sample_sharpe: float
    out_of_sample_sharpe: float
    sharpe_correlation: float
    n_trials: int
    psr: float
    dsr: float
    p_beats_noise: float
    pbo: float
    prob_oos_loss: float
    degradation_slope: float
    pbo_splits: int
    out_of_sample: bool
    status: Status
    verdict: str
    periods_per_year: int = field(default=252)

    def summary(self) -> pd.Series:
        """The headline numbers as a Series (for tables and JSON)."""
        return pd.Series(
            {
                "in_sample_sharpe": self.in_sample_sharpe,
                "out_of_sample_sharpe": self.out_of_sample_sharpe,
                "sharpe_correlation": self.sharpe_correlation,
                "n_trials": self.n_trials,
                "psr": self.psr,
                "dsr": self.dsr,
                "p_beats_noise": self.p_beats_noise,
                "pbo": self.pbo,
                "prob_oos_loss": self.prob_oos_loss,
                "degradation_slope": self.degradation_slope,
                "status": self.status,
                "verdict": self.verdict,
            },
            dtype=object,
        )


def _fmt(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def overfitting_report(
    in_sample_returns: Sequence[pd.Series],
    trial_returns: Sequence[pd.DataFrame],
    n_trials: Sequence[int],
    out_of_sample_returns: Sequence[pd.Series] | None = None,
    periods_per_year: int = 252,
    n_partitions: int | None = None,
    n_factors: int | None = None,
) -> OverfittingReport:
    """Build the overfitting report from the folds of an optimization.

    Parameters
    ----------
    in_sample_returns : sequence of Series, one per fold, shape (n_train,)
        Returns of the selected weights on each fold's train window.
    trial_returns : sequence of DataFrame, one per fold, shape (n_train, n_kept_trials)
        Returns of the (distinct) trials tried in each fold, for DSR's variance and PBO.
    n_trials : sequence of int, one per fold
        Number of objective evaluations in each fold (all of them, not only the kept ones).
    out_of_sample_returns : sequence of Series, optional
        Returns of the selected weights on each fold's test window (walk-forward). None for a
        single in-sample fit.
    periods_per_year : int, default 252
    n_partitions : int, optional
        CSCV blocks per fold; default :func:`default_partitions` of the train length.
    n_factors : int, optional
        Number of factors the weights were searched over (for :func:`prob_beats_noise`).

    Returns
    -------
    OverfittingReport
    """
    n_folds = len(in_sample_returns)
    if n_folds == 0 or len(trial_returns) != n_folds or len(n_trials) != n_folds:
        raise ValueError("in_sample_returns, trial_returns and n_trials need one entry per fold")
    oos = list(out_of_sample_returns) if out_of_sample_returns is not None else None
    if oos is not None and len(oos) != n_folds:
        raise ValueError("out_of_sample_returns needs one entry per fold")
    ppy = periods_per_year
    root = math.sqrt(ppy)

    rows = []
    logits, is_best, oos_best = [], [], []
    for i in range(n_folds):
        ins = in_sample_returns[i].dropna()
        mom = sharpe_moments(ins)
        trials = trial_returns[i]
        trial_sr = _sharpe_array(trials.to_numpy(dtype=float), 0.0, 1) if trials.shape[1] else []
        trial_sr = np.asarray(trial_sr)[np.isfinite(trial_sr)]
        var = float(np.var(trial_sr, ddof=1)) if trial_sr.size >= 2 else np.nan
        n_i = int(n_trials[i])
        sr0 = expected_max_sharpe(n_i, var) if n_i > 1 and np.isfinite(var) else 0.0
        dsr = deflated_sharpe_ratio(
            mom.sharpe, mom.n_obs, max(n_i, 1), var, mom.skewness, mom.kurtosis
        )
        s = n_partitions or default_partitions(len(trials))
        pbo = pbo_cscv(trials, s) if s is not None else _empty_pbo(0)
        logits.append(pbo.logits)
        is_best.append(pbo.in_sample_best)
        oos_best.append(pbo.out_of_sample_best)
        rows.append(
            {
                "in_sample_sharpe": mom.sharpe * root,
                "out_of_sample_sharpe": (
                    float(sharpe_ratio(oos[i], periods_per_year=ppy)) if oos is not None
                    else np.nan
                ),
                "n_trials": n_i,
                "expected_max_sharpe": sr0 * root,
                "dsr": dsr,
                "noise_sharpe": (
                    noise_sharpe(mom.n_obs, n_factors) * root if n_factors else np.nan
                ),
                "p_beats_noise": (
                    prob_beats_noise(mom.sharpe, mom.n_obs, n_factors) if n_factors else np.nan
                ),
                "pbo": pbo.pbo,
                "pbo_splits": pbo.n_splits,
            }
        )
    folds = pd.DataFrame(rows, index=pd.RangeIndex(n_folds, name="fold"))

    all_logits = np.concatenate(logits) if logits else np.empty(0)
    all_is, all_oos = np.concatenate(is_best), np.concatenate(oos_best)
    pbo = float(np.mean(all_logits <= 0)) if all_logits.size else np.nan
    prob_loss = float(np.mean(all_oos < 0)) if all_oos.size else np.nan
    slope = _slope(all_is, all_oos)

    is_sr = float(folds["in_sample_sharpe"].mean())
    dsr = float(folds["dsr"].mean()) if folds["dsr"].notna().any() else np.nan
    p_noise = (
        float(folds["p_beats_noise"].mean()) if folds["p_beats_noise"].notna().any() else np.nan
    )
    if oos is not None:
        stitched = pd.concat([o for o in oos if len(o)]) if any(len(o) for o in oos) else None
        oos_sr = (
            float(sharpe_ratio(stitched, periods_per_year=ppy)) if stitched is not None else np.nan
        )
        m = sharpe_moments(stitched) if stitched is not None else SharpeMoments(np.nan, 0, 0, 3)
        pair = folds[["in_sample_sharpe", "out_of_sample_sharpe"]].dropna()
        corr = (
            float(pair.corr().iloc[0, 1])
            if len(pair) >= 3 and pair.std().gt(0).all()
            else np.nan
        )
    else:
        oos_sr, corr = np.nan, np.nan
        # A single fit: the only evidence is in sample.
        m = sharpe_moments(pd.concat(list(in_sample_returns)))
    psr = probabilistic_sharpe_ratio(m.sharpe, m.n_obs, m.skewness, m.kurtosis, 0.0)

    status, verdict = _verdict(is_sr, oos_sr, psr, dsr, p_noise, pbo, oos is not None)
    return OverfittingReport(
        folds=folds,
        in_sample_sharpe=is_sr,
        out_of_sample_sharpe=oos_sr,
        sharpe_correlation=corr,
        n_trials=int(folds["n_trials"].sum()),
        psr=psr,
        dsr=dsr,
        p_beats_noise=p_noise,
        pbo=pbo,
        prob_oos_loss=prob_loss,
        degradation_slope=slope,
        pbo_splits=int(all_logits.size),
        out_of_sample=oos is not None,
        status=status,
        verdict=verdict,
        periods_per_year=ppy,
    )


def _verdict(
    is_sr: float,
    oos_sr: float,
    psr: float,
    dsr: float,
    p_noise: float,
    pbo: float,
    walk_forward: bool,
) -> tuple[Status, str]:
    reasons = []
    if walk_forward and np.isfinite(oos_sr) and np.isfinite(is_sr) and is_sr > 0:
        if oos_sr <= 0:
            reasons.append("no out-of-sample edge")
        elif oos_sr < 0.5 * is_sr:
            reasons.append(f"only {oos_sr / is_sr:.0%} of the in-sample Sharpe survives")
    if np.isfinite(pbo) and pbo >= 0.5:
        reasons.append("PBO >= 0.5")
    if np.isfinite(dsr) and dsr < 0.5:
        reasons.append("DSR < 0.5")
    if np.isfinite(p_noise) and p_noise < 0.5:
        reasons.append("in-sample Sharpe no better than noise")
    nums = f"DSR {_fmt(dsr)}, P(beats noise) {_fmt(p_noise)}, PBO {_fmt(pbo)}"
    if walk_forward:
        head = f"in-sample Sharpe {_fmt(is_sr)}, out-of-sample {_fmt(oos_sr)} (PSR {_fmt(psr)}), "
    else:
        head = f"in-sample Sharpe {_fmt(is_sr)}, "
    oos_holds = walk_forward and np.isfinite(psr) and psr >= 0.95 and oos_sr > 0
    if reasons and oos_holds:
        return "overstated", (
            f"in-sample Sharpe overstated ({'; '.join(reasons)}), but an out-of-sample edge "
            f"remains: {head}{nums} — plan on the out-of-sample Sharpe"
        )
    if reasons:
        return "likely_overfit", (
            f"likely overfit ({'; '.join(reasons)}): {head}{nums}"
            " — do not trust the in-sample Sharpe"
        )
    if not walk_forward:
        return "in_sample_only", (
            f"in-sample only: {head}{nums} — validate with --walk-forward before trusting it"
        )
    if not oos_holds:
        return "not_significant", (
            f"not significant: {head}{nums} — the out-of-sample edge may be noise"
        )
    return "no_sign_of_overfit", f"no sign of overfitting: {head}{nums}"
