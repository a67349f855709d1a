"""Volatility regimes: the calm / stressed / crisis Markov chain."""

from __future__ import annotations

import numpy as np


def _simulate_regimes(
    rng: np.random.Generator, transition: tuple[tuple[float, ...], ...], n_days: int
) -> np.ndarray:
    """Markov chain path starting calm, shape (n_days,) of regime indexes."""
    cum = np.cumsum(np.asarray(transition, dtype=float), axis=1)
    cum[:, -1] = 1.0
    u = rng.random(n_days)
    path = np.zeros(n_days, dtype=np.int64)
    state = 0
    for t in range(1, n_days):
        state = int(np.searchsorted(cum[state], u[t], side="right"))
        path[t] = state
    return path
