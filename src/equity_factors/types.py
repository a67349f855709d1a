"""Option names shared by the command line and the computation, importable without heavy deps.

The computation modules hold the authoritative lists (``factors.FACTOR_METHODS``,
``optimize.WEIGHTING_METHODS``); tests check these copies stay equal, so ``eqf --help`` can list
them without importing scikit-learn.
"""

from __future__ import annotations

FACTOR_METHODS: tuple[str, ...] = ("pca", "ica", "nmf", "sparse_pca", "factor", "autoencoder",
                                   "fundamental")
WEIGHTING_METHODS: tuple[str, ...] = ("equal", "sharpe", "momentum", "risk_parity",
                                      "min_variance", "max_diversification", "pca")
TECHNIQUES: tuple[str, ...] = ("bayesian", "differential", "gradient")
OBJECTIVES: tuple[str, ...] = ("sharpe", "sortino", "calmar")
