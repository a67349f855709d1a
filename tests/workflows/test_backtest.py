"""The backtest workflow: recovery of a planted premium, noise, costs, survivorship.

Point in time is checked with every other stage in ``test_point_in_time.py``; the engine's
accounting against a naive loop in ``tests/backtest``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.backtest.costs import CostModel
from equity_factors.portfolio import BasketSpec
from equity_factors.workflows.backtest import BacktestRequest, backtest
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest

N_DAYS, N_STOCKS = 1300, 40


def _store(root, returns: pd.DataFrame) -> Context:
    ctx = Context.create(str(root))
    rng = np.random.default_rng(7)
    bars = {}
    for s in returns:
        r = returns[s].dropna()
        close = 50.0 * np.cumprod(1.0 + r.to_numpy())
        bars[s] = pd.DataFrame({"adj_close": close, "close": close,
                                "volume": rng.integers(300_000, 900_000, len(r)).astype(float)},
                               index=r.index)
    ctx.store.write_bars(bars, source="test")
    ctx.store.save_universe("MKT", list(returns.columns), source="test")
    return ctx


def _returns(premium: float, seed: int) -> pd.DataFrame:
    """A market factor plus a spread factor whose daily mean is ``premium`` (0 = pure noise
    around the market), loadings N(0, 1), t(5) noise."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2012-01-02", periods=N_DAYS)
    market = rng.normal(0.0003, 0.009, N_DAYS)
    spread = rng.normal(premium, 0.006, N_DAYS)
    beta = rng.uniform(0.7, 1.3, N_STOCKS)
    load = rng.normal(0.0, 1.0, N_STOCKS)
    noise = rng.standard_t(5, (N_DAYS, N_STOCKS)) * 0.007
    r = np.outer(market, beta) + np.outer(spread, load) + noise
    return pd.DataFrame(r, index=dates, columns=[f"S{i:02d}" for i in range(N_STOCKS)])


def _request(**kw) -> BacktestRequest:
    base = dict(factors=FactorRequest(universe="MKT", n_components=2, lookback=126, refit=21,
                                      seed=1),
                train_size=126, test_size=63, methods=("sharpe",),
                spec=BasketSpec(long_pct=0.25, short_pct=0.25, capital=1e6), seed=3)
    return BacktestRequest(**{**base, **kw})


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return _store(tmp_path_factory.mktemp("planted"), _returns(0.0012, 11))


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    return _store(tmp_path_factory.mktemp("noise"), _returns(0.0, 12))


def test_a_planted_premium_is_found_out_of_sample(planted):
    out = backtest(planted, _request(), argv=["test"])
    oos = out.summary["oos_sharpe"]
    assert oos["value"] > 1.0 and oos["ci_low"] > 0, oos
    assert out.summary["status"] == "significant"
    assert "significantly above zero" in out.summary["verdict"]
    # the walks tile the period: consecutive, no gap, no overlap
    starts = pd.to_datetime(out.walks["test_start"])
    ends = pd.to_datetime(out.walks["test_end"])
    days = out.returns.index
    for e, s in zip(ends[:-1], starts[1:]):
        assert days.get_loc(s) == days.get_loc(e) + 1
    assert days[0] == starts.iloc[0] and days[-1] == ends.iloc[-1]


def test_pure_noise_is_indistinguishable_from_zero(noise):
    out = backtest(noise, _request(), argv=["test"])
    oos = out.summary["oos_sharpe"]
    assert oos["ci_low"] < 0 < oos["ci_high"], oos
    assert out.summary["status"] == "not_significant"
    assert "indistinguishable from zero" in out.summary["verdict"]


def test_costs_none_default_and_doubled(planted):
    runs = {name: backtest(planted, _request(costs=c, walks=4), argv=["test"])
            for name, c in (("none", CostModel.none()), ("default", CostModel()),
                            ("double", CostModel().scaled(2.0)))}
    none, one, two = (runs[k].returns for k in ("none", "default", "double"))
    assert (none["net"] == none["gross"]).all()
    assert (none[["commission", "slippage", "borrow"]] == 0).all().all()
    assert (one["net"] <= one["gross"]).all() and (one["net"] < one["gross"]).any()
    # the same positions: gross moves only because costs paid lower the equity they are a
    # fraction of
    np.testing.assert_allclose(one["gross"], none["gross"], atol=2e-4)
    for col in ("commission", "slippage", "borrow"):
        assert one[col].sum() > 0
        np.testing.assert_allclose(two[col].sum(), 2 * one[col].sum(), rtol=1e-3)
    s = runs["default"].summary
    assert s["net"]["sharpe"] < s["gross"]["sharpe"]
    sweep = [r["net_sharpe"] for r in s["cost_sweep"]]
    assert sweep == sorted(sweep, reverse=True) and sweep[0] == pytest.approx(
        s["gross"]["sharpe"])


def test_attribution_sums_to_net_every_day(planted):
    out = backtest(planted, _request(walks=3), argv=["test"])
    att = out.attribution
    parts = att.drop(columns=["total"]).sum(axis=1)
    np.testing.assert_allclose(parts, out.returns["net"], atol=1e-10, rtol=0)
    np.testing.assert_allclose(att["total"], out.returns["net"], atol=1e-12, rtol=0)
    # most of a factor basket's gross return is explained by the factors
    factor_cols = [c for c in att.columns if c.startswith("F")]
    explained = att[factor_cols].sum(axis=1)
    assert np.corrcoef(explained, out.returns["gross"])[0, 1] > 0.5


def test_survivorship_point_in_time_membership_against_todays_holdings(tmp_path):
    ctx = Context.create(str(tmp_path))
    req = BacktestRequest(FactorRequest(universe="SYN60", n_components=3, lookback=252,
                                        refit=63, start="2016-01-01", seed=1),
                          train_size=252, test_size=252, rebalance="monthly",
                          spec=BasketSpec(long_pct=0.3, short_pct=0.3, capital=1e6),
                          methods=("sharpe",))
    pit = backtest(ctx, req, argv=["test"])
    latest = backtest(ctx, BacktestRequest(**{**req.__dict__, "membership": "latest"}),
                      argv=["test"])
    info = ctx.store.symbol_info()
    delisted = set(info.index[info["delist_date"].notna()].astype(str))
    assert delisted, "the synthetic market delists some stocks"
    held_pit = set(pit.positions["ticker"])
    held_latest = set(latest.positions["ticker"])
    assert held_pit & delisted, "point-in-time membership holds stocks that later delist"
    assert not held_latest & delisted, "today's holdings know nothing of the delisted"
    assert pit.summary["survivorship"]["biased"] is False
    assert latest.summary["survivorship"]["biased"] is True
    assert "survivorship" in latest.summary["survivorship"]["note"]
    # every position is in the holdings snapshot known at its date
    for date, group in pit.positions.groupby("date"):
        snap = ctx.store.holdings("SYN60", as_of=f"{pd.Timestamp(date):%Y-%m-%d}")
        assert set(group["ticker"]) <= set(snap["symbol"])
    # an ETF known only by today's holdings (as from Alpha Vantage): biased, said so, and the
    # stocks the symbol table knows delisted before that snapshot are counted in until then
    last = ctx.store.holdings("SYN60")
    ctx.store.write_holdings("LATE", last[["symbol", "weight"]], as_of=str(last["as_of"][0]),
                             source="test")
    late_req = BacktestRequest(**{**req.__dict__, "factors": FactorRequest(
        **{**req.factors.__dict__, "universe": "LATE"})})
    late = backtest(ctx, late_req, argv=["test"])
    s = late.summary["survivorship"]
    assert s["biased"] is True and s["snapshot_as_of"] == str(last["as_of"][0])
    added = set(s["delisted_added"])
    assert added and added <= delisted
    assert set(late.positions["ticker"]) & added
    gone = info["delist_date"].dropna()
    for date, group in late.positions.groupby("date"):
        for sym in set(group["ticker"]) & added:
            assert pd.Timestamp(date) < pd.Timestamp(gone[sym])  # never held after delisting


def test_membership_mask_is_the_day_by_day_membership():
    """``Membership.mask`` (one search for all days) equals asking :meth:`Membership.__call__`
    day by day (the oracle): the latest snapshot dated before the day, the earliest one before
    the first snapshot, and delisted names until their delisting date."""
    from equity_factors.workflows.backtest import Membership

    rng = np.random.default_rng(3)
    columns = pd.Index([f"S{i}" for i in range(12)])
    as_of = [pd.Timestamp("2020-03-02"), pd.Timestamp("2020-06-01"), pd.Timestamp("2020-06-02"),
             pd.Timestamp("2021-01-04")]
    members = [pd.Index(rng.choice(columns, 6, replace=False)) for _ in as_of]
    members.append(pd.Index(["S1", "NOT_A_COLUMN"]))
    as_of.append(pd.Timestamp("2021-06-01"))
    membership = Membership(as_of, members, {"S11": pd.Timestamp("2020-06-01"),
                                             "GONE": pd.Timestamp("2020-01-01")})
    days = pd.bdate_range("2020-01-01", "2021-12-31")
    got = membership.mask(days, columns)
    want = np.array([columns.isin(membership(d)) for d in days])
    assert got.shape == (len(days), len(columns))
    np.testing.assert_array_equal(got, want)
    assert got[:, columns.get_loc("S11")][days <= "2020-06-01"].all()
