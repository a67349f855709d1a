"""Seeded simulated panels shared by the factor tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest


@dataclass(frozen=True)
class Planted:
    """A planted linear factor model r = f L' + e (returns in plain daily units)."""

    returns: pd.DataFrame  # (T, n)
    loadings: np.ndarray  # (n, k)
    factors: np.ndarray  # (T, k)


def simulate_planted(n_stocks: int = 300, n_days: int = 1000, n_factors: int = 6,
                     seed: int = 0, factor_vol: tuple[float, ...] | None = None,
                     idio_vol: float = 0.015, factor_df: float = 4.0) -> Planted:
    """Market-like first factor (loadings 1 +- 0.3) plus k-1 long/short factors N(0, 1).

    Factor returns are Student-t (``factor_df``) so ICA can identify them; noise is
    Student-t(5); all shocks scaled to the given daily volatilities.
    """
    rng = np.random.default_rng(seed)
    k = n_factors
    vols = np.asarray(factor_vol if factor_vol is not None
                      else (0.010, *np.linspace(0.007, 0.004, k - 1)))
    loadings = rng.normal(size=(n_stocks, k))
    loadings[:, 0] = 1.0 + 0.3 * rng.normal(size=n_stocks)
    t_scale = np.sqrt(factor_df / (factor_df - 2))
    factors = rng.standard_t(factor_df, size=(n_days, k)) / t_scale * vols
    noise = rng.standard_t(5, size=(n_days, n_stocks)) / np.sqrt(5 / 3) * idio_vol
    returns = factors @ loadings.T + noise
    frame = pd.DataFrame(returns, index=pd.bdate_range("2012-01-02", periods=n_days),
                         columns=pd.Index([f"S{i:04d}" for i in range(n_stocks)], name="symbol"))
    return Planted(frame, loadings, factors)


@pytest.fixture(scope="session")
def make_planted() -> Callable[..., Planted]:
    return simulate_planted


@pytest.fixture(scope="session")
def planted() -> Planted:
    """6 factors, 300 stocks, 1000 days (the recovery tests' model)."""
    return simulate_planted()


@pytest.fixture(scope="session")
def small_panel() -> pd.DataFrame:
    """60 stocks x 260 days, 3 factors, with late listings, a delisting and missing days."""
    p = simulate_planted(n_stocks=60, n_days=260, n_factors=3, seed=7)
    r = p.returns.copy()
    r.iloc[:90, 0] = np.nan  # lists late
    r.iloc[150:, 1] = np.nan  # delists
    rng = np.random.default_rng(3)
    holes = rng.random(r.shape) < 0.02  # sporadic missing days
    return r.mask(holes)
