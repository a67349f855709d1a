"""Sharpe-ratio statistics: PSR, DSR, MinTRL, MinBTL and the noise benchmark of a factor search.

Sharpe ratios fed to PSR/DSR/MinTRL are **per period** (not annualized); ``kurtosis`` is the
non-excess kurtosis (3 for a normal). Moments from returns use scipy's biased estimators
(``skew``, ``kurtosis(fisher=False)``) and the per-period Sharpe ``mean / std(ddof=1)``
(definitions, sources and the tests that check them: ``docs/metrics.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_factors.metrics import _sharpe_array

__all__ = [
    "EULER_GAMMA",
    "SharpeMoments",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "min_backtest_length",
    "min_track_record_length",
    "noise_sharpe",
    "prob_beats_noise",
    "probabilistic_sharpe_ratio",
    "sharpe_moments",
]

EULER_GAMMA = 0.5772156649015329


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
    from scipy import stats  # imported when used (with SciPy's distributions: 0.5 s)

    x = np.asarray(returns, dtype=float).ravel()
    x = x[~np.isnan(x)]
    if x.size < 3 or np.std(x) == 0:
        return SharpeMoments(np.nan, int(x.size), np.nan, np.nan)
    sr = float(_sharpe_array(x.reshape(-1, 1), 0.0, 1)[0])
    return SharpeMoments(
        sr, int(x.size), float(stats.skew(x)), float(stats.kurtosis(x, fisher=False))
    )


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
    from scipy import stats  # imported when used (with SciPy's distributions: 0.5 s)

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
    from scipy import stats  # imported when used (with SciPy's distributions: 0.5 s)

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
    from scipy import stats  # imported when used (with SciPy's distributions: 0.5 s)

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
    from scipy import stats  # imported when used (with SciPy's distributions: 0.5 s)

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
    from scipy import stats  # imported when used (with SciPy's distributions: 0.5 s)

    t, k = int(n_obs), int(n_factors)
    if k < 1 or t <= k:
        return float("nan")
    f = stats.f.ppf(quantile, k, t - k)
    return float(math.sqrt(f * (t - 1) * k / ((t - k) * t)))
