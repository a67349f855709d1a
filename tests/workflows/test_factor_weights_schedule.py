"""The backtest's factor attribution pivots only the fits in force on the held days: the same
numbers, to the bit, as with every fit of the history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_factors.backtest.attribution import factor_attribution
from equity_factors.workflows.backtest import _FactorWeights


def _history(n_fits: int = 8, n_assets: int = 6, k: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    fit_dates = pd.bdate_range("2020-01-01", periods=n_fits, freq="21B")
    symbols = [f"S{i}" for i in range(n_assets)]
    rows = [(d, s, f"F{j + 1}", rng.normal()) for d in fit_dates for s in symbols
            for j in range(k)]
    frame = pd.DataFrame(rows, columns=["fit_date", "symbol", "factor", "weight"])
    frame["symbol"] = pd.Categorical(frame["symbol"], categories=symbols)
    frame["factor"] = pd.Categorical(frame["factor"])
    return frame


def test_only_the_fits_in_force_and_the_same_attribution():
    history = _history()
    fits = pd.DatetimeIndex(sorted(history["fit_date"].unique()))
    rng = np.random.default_rng(5)
    symbols = [f"S{i}" for i in range(6)]
    for days in (pd.bdate_range(fits[2] + pd.Timedelta(days=3), periods=50),  # mid history
                 pd.bdate_range(fits[0] - pd.Timedelta(days=10), periods=30),  # before the first
                 pd.bdate_range(fits[-1] + pd.Timedelta(days=1), periods=5)):  # after the last
        holdings = pd.DataFrame(rng.normal(0, 0.1, (len(days), 6)), index=days, columns=symbols)
        returns = pd.DataFrame(rng.normal(0, 0.01, (len(days), 6)), index=days,
                               columns=symbols)
        gross = pd.Series(rng.normal(0, 0.01, len(days)), index=days)
        net = gross - 1e-4
        weights = _FactorWeights(history, ["F1", "F2"])
        full = factor_attribution(holdings, returns, weights.sequence(), gross, net)
        some = weights.sequence(days)
        assert len(some) < len(fits)
        in_force = {fits[fits.searchsorted(d, side="right") - 1] for d in days if d >= fits[0]}
        assert {d for d, _ in some} == in_force or (not in_force and len(some) == 1)
        pd.testing.assert_frame_equal(
            factor_attribution(holdings, returns, some, gross, net), full, check_exact=True)
