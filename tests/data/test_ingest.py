"""Storing bundled data: the synthetic market round-trips through the store and its truth files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.data.ingest import load_truth
from equity_factors.data.panel import load_panel
from equity_factors.data.paths import resolve_data_dir
from equity_factors.data.store import Store
from equity_factors.data.synthetic import SyntheticConfig, simulate_market
from equity_factors.data.universe import resolve_universe


def test_synthetic_store_round_trip(syn_home):
    dd = resolve_data_dir(syn_home)
    store = Store(dd.store_path)
    market = simulate_market(SyntheticConfig(n_stocks=50, seed=42))
    uni = resolve_universe(store, dd, "SYN50")
    assert uni.symbols == tuple(market.securities["symbol"])
    panel = load_panel(store, uni, min_history=1)
    # the stored adjusted closes give back the planted returns
    truth = market.truth.returns.reindex(index=panel.returns.index, columns=panel.returns.columns)
    both = (truth.notna() & panel.returns.notna()).to_numpy()
    assert both.sum() > 0.9 * truth.notna().to_numpy().sum()
    np.testing.assert_allclose(panel.returns.to_numpy()[both], truth.to_numpy()[both],
                               rtol=1e-9, atol=1e-14)
    # raw OHLCV, dividends and splits are stored too
    s = market.securities["symbol"].iloc[0]
    bars = store.read_bars(s)
    np.testing.assert_allclose(bars["close"], market.prices["close"][s].dropna())
    np.testing.assert_allclose(bars["volume"], market.prices["volume"][s].dropna())
    assert store.holdings("SYN50")["weight"].sum() == pytest.approx(1.0)
    assert set(store.fundamentals([s])["field"]) >= {"market_cap", "book_to_market"}
    assert (store.symbol_info([s]).loc[s, "sector"]
            == market.securities.set_index("symbol").loc[s, "sector"])


def test_truth_saved_and_read_back(syn_home):
    dd = resolve_data_dir(syn_home)
    truth = load_truth(dd, "SYN50")
    market = simulate_market(SyntheticConfig(n_stocks=50, seed=42))
    pd.testing.assert_frame_equal(truth.factor_returns, market.truth.factor_returns)
    assert (truth.regimes == market.truth.regimes).all()
