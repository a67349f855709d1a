"""Tests for backtest.summary: the tear sheet against plain formulas, break-even and the sweep."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from equity_factors.backtest.summary import (
    TEAR_SHEET_KEYS,
    break_even_bps,
    cost_sweep,
    tear_sheet,
)


@pytest.fixture(scope="module")
def streams():
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2015-01-01", periods=600)
    b = pd.Series(rng.normal(0.0003, 0.01, 600), index=idx)
    r = pd.Series(0.0001 + 0.8 * b.to_numpy() + rng.normal(0, 0.006, 600), index=idx)
    r.iloc[:5] = 0.0          # flat days before the first position
    return r, b


def test_tear_sheet_matches_plain_formulas(streams):
    r, b = streams
    turn = pd.Series([0.4, 0.2, 0.3], index=r.index[[0, 200, 400]])
    ts = tear_sheet(r, b, turn, risk_free=0.02)
    assert tuple(ts) == TEAR_SHEET_KEYS
    x = r.to_numpy()
    n = x.size
    rf = 1.02 ** (1 / 252) - 1
    wealth = np.cumprod(1 + x)
    assert ts["annual_return"] == pytest.approx(wealth[-1] ** (252 / n) - 1, rel=1e-12)
    assert ts["annual_volatility"] == pytest.approx(x.std(ddof=1) * math.sqrt(252), rel=1e-12)
    assert ts["sharpe"] == pytest.approx((x - rf).mean() / (x - rf).std(ddof=1) * math.sqrt(252),
                                         rel=1e-12)
    dd = math.sqrt(np.mean(np.minimum(x, 0) ** 2)) * math.sqrt(252)
    assert ts["sortino"] == pytest.approx(x.mean() * 252 / dd, rel=1e-12)
    peak, mdd = 1.0, 0.0
    for w in wealth:                       # a plain loop over the wealth path
        peak = max(peak, w)
        mdd = min(mdd, w / peak - 1)
    assert ts["max_drawdown"] == pytest.approx(mdd, rel=1e-12)
    assert ts["calmar"] == pytest.approx(ts["annual_return"] / abs(mdd), rel=1e-12)
    assert ts["annual_turnover"] == pytest.approx(0.9 / (600 / 252), rel=1e-12)
    assert ts["hit_rate"] == pytest.approx(np.sum(x > 0) / np.sum(x != 0), rel=1e-12)
    slope, intercept = np.polyfit(b.to_numpy() - rf, x - rf, 1)
    assert ts["beta"] == pytest.approx(slope, rel=1e-10)
    assert ts["alpha"] == pytest.approx(intercept * 252, rel=1e-9)
    a = x - b.to_numpy()
    assert ts["tracking_error"] == pytest.approx(a.std(ddof=1) * math.sqrt(252), rel=1e-12)
    assert ts["information_ratio"] == pytest.approx(a.mean() / a.std(ddof=1) * math.sqrt(252),
                                                    rel=1e-12)


def test_tear_sheet_without_benchmark_or_turnover(streams):
    r, _ = streams
    ts = tear_sheet(r)
    for key in ("beta", "alpha", "information_ratio", "tracking_error", "annual_turnover"):
        assert math.isnan(ts[key])
    assert ts["n_days"] == 600


def test_break_even_and_sweep(streams):
    r, _ = streams
    traded = pd.Series(0.0, index=r.index)
    traded.iloc[::21] = 0.6                  # 30 % one-way turnover a month
    be = break_even_bps(r, traded)
    assert be == pytest.approx(r.mean() / traded.mean() * 1e4, rel=1e-12)
    # at the break-even cost the mean net return is zero
    assert (r - be / 1e4 * traded).mean() == pytest.approx(0.0, abs=1e-15)
    sweep = cost_sweep(r, traded)
    assert list(sweep.index) == [0, 5, 10, 20, 30, 40, 50]
    for c in sweep.index:
        net = (r - c / 1e4 * traded).to_numpy()
        assert sweep.loc[c, "sharpe"] == pytest.approx(net.mean() / net.std(ddof=1)
                                                       * math.sqrt(252), rel=1e-12)
    assert sweep["sharpe"].is_monotonic_decreasing
    # traded given on rebalance dates only: missing dates are days without a trade
    assert break_even_bps(r, traded[traded > 0]) == pytest.approx(be, rel=1e-12)
    assert break_even_bps(r, traded * 0) == math.inf
    assert math.isnan(break_even_bps(-r.abs(), traded * 0))


def test_engine_result_summary_is_the_tear_sheet_of_gross_and_net():
    from equity_factors.backtest import CostModel, run_engine

    rng = np.random.default_rng(4)
    idx = pd.bdate_range("2020-01-01", periods=80)
    r = pd.DataFrame(rng.normal(0, 0.01, (80, 3)), index=idx, columns=list("abc"))
    t = pd.DataFrame([[0.5, 0.3, -0.2]] * 4, index=idx[1::20], columns=list("abc"))
    res = run_engine(r, t, CostModel())
    table = res.summary()
    assert list(table.index) == ["gross", "net"]
    expected = pd.Series(tear_sheet(res.returns["net"], None, res.turnover), name="net")
    pd.testing.assert_series_equal(table.loc["net"], expected)
