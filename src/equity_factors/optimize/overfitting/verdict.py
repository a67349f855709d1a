"""The words of the overfitting report: its ``status`` and one-line ``verdict``.

All the text the report prints (labels of the numbers in the verdict line, the reasons, the
advice) is written here and nowhere else; :mod:`~equity_factors.optimize.overfitting.report`
only computes the numbers it is given.

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
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["Status", "overfitting_verdict"]

Status = Literal[
    "likely_overfit", "overstated", "not_significant", "in_sample_only", "no_sign_of_overfit"
]


def _fmt(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def overfitting_verdict(
    is_sr: float,
    oos_sr: float,
    psr: float,
    dsr: float,
    p_noise: float,
    pbo: float,
    walk_forward: bool,
) -> tuple[Status, str]:
    """Status and one-line verdict of an overfitting report.

    Parameters
    ----------
    is_sr : float
        Mean over folds of the selected weights' annualized in-sample Sharpe ratio.
    oos_sr : float
        Annualized Sharpe ratio of the stitched out-of-sample returns (NaN for a single fit).
    psr : float
        PSR(0) of the stitched out-of-sample returns (walk-forward) or of the in-sample returns
        (single fit).
    dsr : float
        Mean over folds of the deflated Sharpe ratio of the trial selected **in sample**.
    p_noise : float
        Mean over folds of the probability that the in-sample Sharpe beats as many noise factors.
    pbo : float
        Pooled PBO over all folds' CSCV splits.
    walk_forward : bool
        True when there are out-of-sample returns.

    Returns
    -------
    (status, verdict) : tuple of Status and str
    """
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
    # DSR and P(beats noise) judge the trial selected in sample, not the out-of-sample run:
    # say so, since they stand next to the out-of-sample Sharpe.
    nums = (f"in-sample selected trial: DSR {_fmt(dsr)}, P(beats noise) {_fmt(p_noise)}; "
            f"PBO {_fmt(pbo)}")
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
