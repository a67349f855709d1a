"""Overfitting statistics and the overfitting report of an optimization.

- :mod:`.sharpe`: PSR, DSR, MinTRL, MinBTL, the expected maximum Sharpe of N trials and the
  noise benchmark of a search over k factors (:func:`prob_beats_noise`, :func:`noise_sharpe`).
- :mod:`.pbo`: the probability of backtest overfitting by CSCV (:func:`pbo_cscv`).
- :mod:`.report`: :func:`overfitting_report` pools the folds of an optimization into an
  :class:`OverfittingReport`.
- :mod:`.verdict`: the report's ``status`` and one-line ``verdict`` (every word it prints).

Definitions, reference values and the tests that check them: ``docs/metrics.md``.
"""

from __future__ import annotations

from equity_factors.optimize.overfitting.pbo import PBOResult, default_partitions, pbo_cscv
from equity_factors.optimize.overfitting.report import OverfittingReport, overfitting_report
from equity_factors.optimize.overfitting.sharpe import (
    EULER_GAMMA,
    SharpeMoments,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_backtest_length,
    min_track_record_length,
    noise_sharpe,
    prob_beats_noise,
    probabilistic_sharpe_ratio,
    sharpe_moments,
)

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
    "noise_sharpe",
    "overfitting_report",
    "pbo_cscv",
    "prob_beats_noise",
    "probabilistic_sharpe_ratio",
    "sharpe_moments",
]
