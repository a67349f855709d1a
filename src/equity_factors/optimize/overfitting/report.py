"""The overfitting report of an optimization: per-fold statistics pooled into one verdict.

:func:`overfitting_report` computes the numbers (from :mod:`.sharpe` and :mod:`.pbo`); the
status and the verdict line come from :func:`~equity_factors.optimize.overfitting.verdict.\
overfitting_verdict`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_factors.metrics import _sharpe_array, sharpe_ratio
from equity_factors.optimize.overfitting.pbo import (
    PBOResult,
    _empty_pbo,
    _slope,
    default_partitions,
    pbo_cscv,
)
from equity_factors.optimize.overfitting.sharpe import (
    SharpeMoments,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    noise_sharpe,
    prob_beats_noise,
    probabilistic_sharpe_ratio,
    sharpe_moments,
)
from equity_factors.optimize.overfitting.verdict import Status, overfitting_verdict
from equity_factors.window_cache import Arrays, WindowCache, digest_block, get_many, window_key

__all__ = ["OverfittingReport", "overfitting_report"]


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


def _fold_pbos(trial_returns: Sequence[pd.DataFrame], n_partitions: int | None,
               window_cache: WindowCache | None) -> list[PBOResult]:
    """Each fold's CSCV result, from ``window_cache`` where it holds the same trials."""
    from equity_factors import __version__

    parts = [n_partitions or default_partitions(len(trials)) for trials in trial_returns]
    keys: list[str | None] = [None] * len(parts)
    hits: dict[str, Arrays] = {}
    if window_cache is not None:
        for i, (trials, s) in enumerate(zip(trial_returns, parts)):
            if s is not None:
                keys[i] = window_key("pbo", {"s": s, "metric": "sharpe",
                                             "version": __version__},
                                     digest_block(trials.to_numpy(dtype=float)))
        hits = get_many(window_cache, [k for k in keys if k is not None])
    out = []
    for trials, s, key in zip(trial_returns, parts, keys):
        if s is None:
            out.append(_empty_pbo(0))
        elif key is not None and key in hits:
            out.append(PBOResult.from_arrays(hits[key]))
        else:
            result = pbo_cscv(trials, s)
            if window_cache is not None and key is not None:
                window_cache.put(key, result.to_arrays())
            out.append(result)
    return out


def overfitting_report(
    in_sample_returns: Sequence[pd.Series],
    trial_returns: Sequence[pd.DataFrame],
    n_trials: Sequence[int],
    out_of_sample_returns: Sequence[pd.Series] | None = None,
    periods_per_year: int = 252,
    n_partitions: int | None = None,
    n_factors: int | None = None,
    window_cache: WindowCache | None = None,
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
    window_cache : WindowCache, optional
        Where each fold's PBO is looked up and stored, keyed by the digest of its trial
        returns and ``S``: CSCV over ``C(16, 8)`` splits is most of the report's time, and a
        walk-forward rerun (or one more day) has the same trials in every earlier fold.

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

    fold_pbos = _fold_pbos(trial_returns, n_partitions, window_cache)
    rows = []
    logits, is_best, oos_best = [], [], []
    for i in range(n_folds):
        ins = in_sample_returns[i].dropna()
        mom = sharpe_moments(ins)
        trials = trial_returns[i]
        trial_sr = (
            _sharpe_array(trials.to_numpy(dtype=float), 0.0, 1) if trials.shape[1]
            else np.empty(0)
        )
        trial_sr = np.asarray(trial_sr)[np.isfinite(trial_sr)]
        var = float(np.var(trial_sr, ddof=1)) if trial_sr.size >= 2 else np.nan
        n_i = int(n_trials[i])
        sr0 = expected_max_sharpe(n_i, var) if n_i > 1 and np.isfinite(var) else 0.0
        dsr = deflated_sharpe_ratio(
            mom.sharpe, mom.n_obs, max(n_i, 1), var, mom.skewness, mom.kurtosis
        )
        fold_pbo = fold_pbos[i]
        logits.append(fold_pbo.logits)
        is_best.append(fold_pbo.in_sample_best)
        oos_best.append(fold_pbo.out_of_sample_best)
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
                "pbo": fold_pbo.pbo,
                "pbo_splits": fold_pbo.n_splits,
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

    status, verdict = overfitting_verdict(is_sr, oos_sr, psr, dsr, p_noise, pbo, oos is not None)
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
