"""The engine against vectorbt on target weights with proportional fees (only if installed).

The main oracle is the naive loop of ``test_engine.py``; this checks that an independent,
widely used backtester gives the same equity path. vectorbt books a trade's fees on the
execution bar and the engine on the next row (the first day the positions are held), so
vectorbt's value plus that bar's fees (its value before the bar's trading costs) must equal the
engine's equity every day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.backtest import CostModel, run_engine

vbt = pytest.importorskip("vectorbt", reason="vectorbt is not installed (optional oracle; "
                          "the naive loop is the main one)")


def _market(seed: int, n_days: int, n: int, step: int):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n_days)
    cols = [f"S{i}" for i in range(n)]
    prices = pd.DataFrame(50 * np.cumprod(1 + rng.normal(0.0003, 0.02, (n_days, n)), axis=0),
                          index=dates, columns=cols)
    rows = np.arange(1, n_days, step)
    # long 70 %, short 50 % (vectorbt fills a buy only up to its cash: no margin on longs)
    w = np.abs(rng.normal(0, 1, (rows.size, n)))
    short = np.arange(n) % 2 == 1
    w[:, ~short] *= 0.7 / w[:, ~short].sum(axis=1, keepdims=True)
    w[:, short] *= -0.5 / w[:, short].sum(axis=1, keepdims=True)
    return prices, pd.DataFrame(w, index=dates[rows], columns=cols)


@pytest.mark.slow
@pytest.mark.parametrize("step", [1, 5, 21])
def test_same_equity_path_as_vectorbt(step):
    prices, targets = _market(step, 90, 8, step)
    fee_bps = 10.0
    res = run_engine(prices.pct_change(), targets,
                     CostModel(commission_bps=fee_bps, half_spread_bps=0, impact=0,
                               borrow_rate=0), capital=1e6)
    size = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    size.iloc[prices.index.get_indexer(targets.index) - 1] = targets.to_numpy()
    pf = vbt.Portfolio.from_orders(prices, size, size_type="targetpercent", direction="both",
                                   fees=fee_bps / 1e4, group_by=True, cash_sharing=True,
                                   call_seq="auto", init_cash=1e6, freq="1D")
    rec = pf.orders.records
    assert len(rec) == len(res.trades)
    pre_fee = pf.value().to_numpy() + np.bincount(rec["idx"], weights=rec["fees"],
                                                  minlength=len(prices))
    start = prices.index.get_loc(res.returns.index[0])
    np.testing.assert_allclose(res.returns["equity"].to_numpy(), pre_fee[start:], rtol=1e-10)
    vb_net = pre_fee[start:] / np.concatenate([[pre_fee[start - 1]], pre_fee[start:-1]]) - 1
    np.testing.assert_allclose(res.returns["net"].to_numpy(), vb_net, rtol=0, atol=1e-10)
    np.testing.assert_allclose(rec["fees"].sum(), res.trades["cost"].sum(), rtol=1e-10)
