"""Factor weight optimization: weighting methods, search techniques, overfitting statistics (pure).

- :mod:`~equity_factors.optimize.weighting`: ``equal, sharpe, momentum, risk_parity,
  min_variance, max_diversification, pca`` weights of a factor-returns window.
- :mod:`~equity_factors.optimize.techniques`: ``optimize_weights`` searches a blend of those
  methods and/or direct factor weights with ``bayesian`` (Optuna TPE), ``differential`` (scipy DE)
  or ``gradient`` (analytic-gradient ascent), maximizing Sharpe, Sortino or Calmar.
- :mod:`~equity_factors.optimize.walkforward`: ``walk_forward`` and ``single_fit``.
- :mod:`~equity_factors.optimize.overfitting`: PSR, DSR, MinTRL, MinBTL, PBO (CSCV) and the
  overfitting report with its one-line verdict.
"""

from __future__ import annotations

from equity_factors.optimize.overfitting import (
    OverfittingReport,
    PBOResult,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_backtest_length,
    min_track_record_length,
    noise_sharpe,
    overfitting_report,
    pbo_cscv,
    prob_beats_noise,
    probabilistic_sharpe_ratio,
    sharpe_moments,
)
from equity_factors.optimize.techniques import (
    DEFAULT_METHODS,
    OBJECTIVES,
    SEARCHES,
    TECHNIQUES,
    Objective,
    OptimizationResult,
    Search,
    Technique,
    optimize_weights,
)
from equity_factors.optimize.walkforward import (
    FoldResult,
    WalkForwardResult,
    single_fit,
    walk_forward,
)
from equity_factors.optimize.weighting import (
    WEIGHTING_METHODS,
    WeightingMethod,
    compute_weights,
)

__all__ = [
    "DEFAULT_METHODS",
    "OBJECTIVES",
    "SEARCHES",
    "TECHNIQUES",
    "WEIGHTING_METHODS",
    "FoldResult",
    "Objective",
    "OptimizationResult",
    "OverfittingReport",
    "PBOResult",
    "Search",
    "Technique",
    "WalkForwardResult",
    "WeightingMethod",
    "compute_weights",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "min_backtest_length",
    "min_track_record_length",
    "noise_sharpe",
    "optimize_weights",
    "overfitting_report",
    "pbo_cscv",
    "prob_beats_noise",
    "probabilistic_sharpe_ratio",
    "sharpe_moments",
    "single_fit",
    "walk_forward",
]
