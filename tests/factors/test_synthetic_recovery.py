"""Recovery on the project's synthetic market: the fundamental method finds the planted styles."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from equity_factors.data.synthetic import SyntheticConfig, simulate_market
from equity_factors.factors import asof_characteristics, fit_factor_model, technical_characteristics


@pytest.fixture(scope="module")
def market():
    return simulate_market(SyntheticConfig(n_stocks=500, n_days=1260, seed=42))


def test_fundamental_returns_correlate_with_planted_styles(market):
    returns = market.truth.returns
    asof = asof_characteristics(market.fundamentals, returns.index, list(returns.columns),
                                ["market_cap", "book_to_market", "earnings_yield"])
    chars = {"size": np.log(asof["market_cap"]), "value": np.log(asof["book_to_market"]),
             "earnings_yield": asof["earnings_yield"], **technical_characteristics(returns)}
    sectors = market.securities.set_index("symbol")["sector"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_factor_model(returns, "fundamental", None, mode="in-sample",
                               characteristics=chars, sectors=sectors)
    planted = market.truth.factor_returns
    joined = res.factor_returns.join(planted, rsuffix="_true").iloc[300:].dropna()
    pairs = {"size": "size_true", "value": "value_true", "momentum": "momentum_true",
             "low_volatility": "low_vol"}
    corr = {k: joined[k].corr(joined[v]) for k, v in pairs.items()}
    assert min(corr.values()) > 0.9, corr
