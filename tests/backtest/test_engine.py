"""Tests for backtest.engine: an independent naive loop (the oracle) and accounting invariants.

The oracle ``naive_backtest`` below shares no code with the engine: a dict of dollars per ticker
and a cash balance, every day and every order handled one at a time, as ``docs/backtest.md``
states the rules (drift, rebalance, commission, half-spread, per-share fee with a minimum,
impact with a volume cap, borrow, cash interest, whole shares, fill at the close or next open).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_factors import metrics
from equity_factors.backtest.costs import CostModel
from equity_factors.backtest.engine import RETURN_COLUMNS, run_engine
from equity_factors.errors import ParameterError

HYP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _num(x) -> float:
    return float("nan") if x is None or pd.isna(x) else float(x)


def naive_backtest(returns: pd.DataFrame, targets: pd.DataFrame, costs, *, capital=1e6,
                   prices=None, volume=None, open_returns=None, fill="close",
                   whole_shares=False):
    """Return (rows, holdings, trades, turnover) as plain Python structures."""
    dates = list(returns.index)
    tickers = list(returns.columns)
    base = 1.0 if capital is None else float(capital)
    ppy = costs.periods_per_year
    cr, br = costs.cash_rate / ppy, costs.borrow_rate / ppy

    def ret(i, t):
        return _num(returns.iloc[i][t])

    first_valid = {}
    for t in tickers:
        first_valid[t] = next((i for i in range(len(dates)) if not math.isnan(ret(i, t))),
                              len(dates))

    def last_price(i, t):
        if prices is None or t not in prices.columns:
            return float("nan")
        for k in range(i, -1, -1):
            if dates[k] in prices.index:
                p = _num(prices.loc[dates[k], t])
                if not math.isnan(p) and p > 0:
                    return p
        return float("nan")

    def vol_at(i, t):
        if volume is None or t not in volume.columns or dates[i] not in volume.index:
            return float("nan")
        return _num(volume.loc[dates[i], t])

    target_rows = {d: targets.loc[d] for d in targets.index}
    start = dates.index(targets.index[0])
    pos = dict.fromkeys(tickers, 0.0)
    cash = base
    rows, holdings, trades, turnover = [], [], [], {}
    for i in range(start, len(dates)):
        day = dates[i]
        eq_prev = cash + sum(pos.values())
        commission = slippage = traded = overnight_pnl = 0.0
        rebalance = day in target_rows
        if rebalance:
            e = i - 1 if fill == "close" else i
            if fill == "next-open":
                for t in tickers:
                    r = ret(i, t)
                    on = _num(open_returns.loc[day, t]) if t in open_returns.columns else 0.0
                    on = 0.0 if math.isnan(r) or math.isnan(on) else on
                    overnight_pnl += pos[t] * on
                    pos[t] *= 1.0 + on
            eq_pre = cash + sum(pos.values())
            for t in tickers:
                w = _num(target_rows[day].get(t, 0.0))
                w = 0.0 if math.isnan(w) else w
                if i >= 1 and math.isnan(ret(i - 1, t)) and first_valid[t] < i - 1:
                    w = 0.0  # returns ended (delisted or halted): sold
                price = last_price(e, t)
                want = w * eq_pre
                if whole_shares and not math.isnan(price):
                    want = math.trunc(want / price) * price
                wanted = want - pos[t]
                if abs(wanted) <= 1e-9 * abs(eq_pre):
                    continue
                have_shares = capital is not None and prices is not None and not math.isnan(price)
                shares = wanted / price if have_shares else float("nan")
                notional = wanted
                vol = vol_at(e, t)
                if have_shares and not math.isnan(vol):
                    cap = costs.volume_cap * vol
                    if whole_shares:
                        cap = math.floor(cap)
                    if abs(shares) > cap:
                        shares = math.copysign(cap, shares)
                    notional = shares * price
                c = costs.commission_bps / 1e4 * abs(notional)
                s = costs.half_spread_bps / 1e4 * abs(notional)
                if have_shares and shares != 0:
                    if costs.per_share > 0:
                        c += max(costs.min_commission, costs.per_share * abs(shares))
                    if not math.isnan(vol) and vol > 0:
                        s += costs.impact * (abs(shares) / vol) ** 2 * abs(notional)
                commission += c
                slippage += s
                traded += abs(notional)
                pos[t] += notional
                cash -= notional
                trades.append({"date": dates[e], "ticker": t, "shares": shares,
                               "notional": notional, "cost": c + s,
                               "filled": notional / wanted})
            turnover[dates[e]] = 0.5 * traded / eq_pre
        holdings.append({t: pos[t] / eq_prev for t in tickers})
        interest = cr * cash
        borrow = br * sum(-p for p in pos.values() if p < 0)
        pnl = overnight_pnl
        for t in tickers:
            r = ret(i, t)
            r = 0.0 if math.isnan(r) else r
            if rebalance and fill == "next-open":
                on = _num(open_returns.loc[day, t]) if t in open_returns.columns else 0.0
                on = 0.0 if math.isnan(ret(i, t)) or math.isnan(on) else on
                r = (1.0 + r) / (1.0 + on) - 1.0
            pnl += pos[t] * r
            pos[t] *= 1.0 + r
        cash += interest - commission - slippage - borrow
        eq = cash + sum(pos.values())
        rows.append({"date": day, "gross": (pnl + interest) / eq_prev,
                     "commission": commission / eq_prev, "slippage": slippage / eq_prev,
                     "borrow": borrow / eq_prev, "net": eq / eq_prev - 1.0, "equity": eq,
                     "turnover": 0.5 * traded / eq_prev})
    return rows, holdings, trades, turnover


# --------------------------------------------------------------------------------------------
# Random markets
# --------------------------------------------------------------------------------------------


def _market(seed: int, n_days: int, n_assets: int, fill: str, with_prices: bool,
            with_volume: bool, long_only: bool):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n_days)
    tickers = [f"S{i}" for i in range(n_assets)]
    r = rng.normal(0.0005, 0.02, (n_days, n_assets))
    for j in range(n_assets):  # names entering and leaving, sporadic gaps
        kind = rng.integers(0, 4)
        if kind == 1:
            r[: rng.integers(1, max(2, n_days // 2)), j] = np.nan
        elif kind == 2:
            r[rng.integers(n_days // 2, n_days):, j] = np.nan
    r[rng.random((n_days, n_assets)) < 0.05] = np.nan
    returns = pd.DataFrame(r, index=dates, columns=tickers)
    lo = 1 if fill == "close" else 0
    n_reb = int(rng.integers(1, max(2, n_days // 2)))
    reb = np.sort(rng.choice(np.arange(lo, n_days), size=min(n_reb, n_days - lo), replace=False))
    w = rng.normal(0.0, 0.35, (reb.size, n_assets))
    w[rng.random(w.shape) < 0.2] = 0.0
    if long_only:
        w = np.abs(w)
        w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12) * rng.uniform(0.5, 1.0)
    w[rng.random(w.shape) < 0.05] = np.nan
    keep = [t for t in tickers if rng.random() < 0.9] or tickers[:1]
    targets = pd.DataFrame(w, index=dates[reb], columns=tickers)[keep]
    prices = volume = None
    if with_prices:
        level = 20.0 * np.cumprod(1.0 + np.nan_to_num(r), axis=0) * rng.uniform(0.5, 5, n_assets)
        level[rng.random(level.shape) < 0.05] = np.nan
        if n_assets > 1:
            level[: rng.integers(0, n_days), 0] = np.nan  # a name with no price for a while
        prices = pd.DataFrame(level, index=dates, columns=tickers)
    if with_volume:
        vol = rng.lognormal(np.log(2e5), 1.5, (n_days, n_assets)).round()
        vol[rng.random(vol.shape) < 0.05] = np.nan
        vol[rng.random(vol.shape) < 0.03] = 0.0
        volume = pd.DataFrame(vol, index=dates, columns=tickers)
    on = rng.normal(0.0, 0.01, (n_days, n_assets))
    on[rng.random(on.shape) < 0.05] = np.nan
    open_returns = pd.DataFrame(on, index=dates, columns=tickers) if fill == "next-open" else None
    return returns, targets, prices, volume, open_returns


def _costs(rng: np.random.Generator, per_share: bool) -> CostModel:
    return CostModel(commission_bps=float(rng.uniform(0, 10)),
                     half_spread_bps=float(rng.uniform(0, 10)),
                     per_share=0.005 if per_share else 0.0,
                     min_commission=float(rng.choice([0.0, 1.0, 50.0])),
                     impact=float(rng.uniform(0, 0.5)),
                     volume_cap=float(rng.choice([0.01, 0.025, 0.1, 1.0])),
                     borrow_rate=float(rng.uniform(0, 0.05)),
                     cash_rate=float(rng.choice([0.0, 0.03])))


def _compare(res, oracle, base: float, tol: float = 1e-10) -> None:
    rows, holdings, trades, turnover = oracle
    exp = pd.DataFrame(rows).set_index("date")
    got = res.returns
    assert list(got.columns) == list(RETURN_COLUMNS)
    assert list(got.index) == list(exp.index)
    for col in RETURN_COLUMNS:
        scale = base if col == "equity" else 1.0
        np.testing.assert_allclose(got[col].to_numpy() / scale, exp[col].to_numpy() / scale,
                                   rtol=0, atol=tol, err_msg=col)
    exp_h = pd.DataFrame(holdings, index=exp.index)[res.holdings.columns]
    np.testing.assert_allclose(res.holdings.to_numpy(), exp_h.to_numpy(), rtol=0, atol=tol)
    exp_t = pd.DataFrame(trades, columns=["date", "ticker", "shares", "notional", "cost",
                                          "filled"])
    got_t = res.trades.sort_values(["date", "ticker"]).reset_index(drop=True)
    exp_t = exp_t.sort_values(["date", "ticker"]).reset_index(drop=True)
    assert list(got_t["date"]) == list(exp_t["date"])
    assert list(got_t["ticker"]) == list(exp_t["ticker"])
    for col, scale in (("notional", base), ("cost", base), ("filled", 1.0)):
        np.testing.assert_allclose(got_t[col].to_numpy(dtype=float) / scale,
                                   exp_t[col].to_numpy(dtype=float) / scale, rtol=0, atol=tol,
                                   err_msg=col)
    np.testing.assert_allclose(got_t["shares"].to_numpy(dtype=float),
                               exp_t["shares"].to_numpy(dtype=float), rtol=1e-9, atol=1e-6,
                               equal_nan=True)
    exp_turn = pd.Series(turnover)
    assert list(res.turnover.index) == list(exp_turn.index)
    np.testing.assert_allclose(res.turnover.to_numpy(), exp_turn.to_numpy(), rtol=0, atol=tol)


# --------------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------------


@HYP
@given(seed=st.integers(0, 2**31 - 1), n_days=st.integers(3, 25), n_assets=st.integers(1, 6),
       fill=st.sampled_from(["close", "next-open"]), shares_mode=st.sampled_from(
           ["none", "prices", "volume", "per_share", "whole", "all"]),
       long_only=st.booleans())
def test_engine_matches_naive_loop(seed, n_days, n_assets, fill, shares_mode, long_only):
    with_prices = shares_mode != "none"
    with_volume = shares_mode in ("volume", "all")
    per_share = shares_mode in ("per_share", "all")
    whole = shares_mode in ("whole", "all")
    returns, targets, prices, volume, open_returns = _market(
        seed, n_days, n_assets, fill, with_prices, with_volume, long_only)
    costs = _costs(np.random.default_rng(seed + 1), per_share)
    capital = 1e6
    kwargs = dict(capital=capital, prices=prices, volume=volume, open_returns=open_returns,
                  fill=fill, whole_shares=whole)
    res = run_engine(returns, targets, costs, **kwargs)
    _compare(res, naive_backtest(returns, targets, costs, **kwargs), capital)


@HYP
@given(seed=st.integers(0, 2**31 - 1), fill=st.sampled_from(["close", "next-open"]))
def test_engine_without_capital_is_one_based(seed, fill):
    returns, targets, _, _, open_returns = _market(seed, 15, 4, fill, False, False, False)
    costs = _costs(np.random.default_rng(seed), False)
    kwargs = dict(capital=None, open_returns=open_returns, fill=fill)
    res = run_engine(returns, targets, costs, **kwargs)
    _compare(res, naive_backtest(returns, targets, costs, **kwargs), 1.0)
    assert res.trades["shares"].isna().all()
    np.testing.assert_allclose(res.returns["equity"].to_numpy(),
                               np.cumprod(1.0 + res.returns["net"].to_numpy()), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Hand examples
# --------------------------------------------------------------------------------------------


def _frame(values, dates, cols=("A", "B")):
    return pd.DataFrame(values, index=dates, columns=list(cols), dtype=float)


def test_hand_example_drift_rebalance_commission():
    # Capital 100, 10 bps commission only. Day 1: +10% / -10% on 50/50; day 2 flat;
    # rebalance back to 50/50 for day 3 at the close of day 2.
    d = pd.bdate_range("2021-01-04", periods=4)
    r = _frame([[0.0, 0.0], [0.10, -0.10], [0.0, 0.0], [0.0, 0.0]], d)
    t = _frame([[0.5, 0.5], [0.5, 0.5]], d[[1, 3]])
    costs = CostModel(commission_bps=10, half_spread_bps=0, impact=0, borrow_rate=0)
    res = run_engine(r, t, costs, capital=100.0)
    out = res.returns
    assert list(out.index) == list(d[1:])
    assert out.loc[d[1], "gross"] == pytest.approx(0.0, abs=1e-15)
    assert out.loc[d[1], "commission"] == pytest.approx(0.1 / 100)        # 100 traded
    assert out.loc[d[1], "equity"] == pytest.approx(99.9)
    # drifted to 55 / 45 dollars, equity 99.9 -> targets 49.95 each: 10 dollars traded
    assert res.turnover.iloc[1] == pytest.approx(0.5 * 10.0 / 99.9)
    assert out.loc[d[3], "commission"] == pytest.approx(0.01 / 99.9)
    assert res.holdings.loc[d[2]].tolist() == pytest.approx([55 / 99.9, 45 / 99.9])
    assert res.holdings.loc[d[3]].tolist() == pytest.approx([0.5, 0.5])
    assert list(res.turnover.index) == [d[0], d[2]]        # execution dates (close of t-1)
    assert res.trades["notional"].tolist() == pytest.approx([50, 50, -5.05, 4.95])


def test_hand_example_borrow_and_cash_interest():
    # Long 1, short 1 (dollar neutral, cash = 1): borrow 2.52 %/yr -> 1 bp a day on the short,
    # cash 5.04 %/yr -> 2 bp a day on the cash.
    d = pd.bdate_range("2021-01-04", periods=3)
    r = _frame([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], d)
    t = _frame([[1.0, -1.0]], d[[1]])
    costs = CostModel(commission_bps=0, half_spread_bps=0, impact=0, borrow_rate=0.0252,
                      cash_rate=0.0504)
    out = run_engine(r, t, costs).returns
    # day 2: the same short dollars over an equity of 1.0001 (of capital); the cash grew too
    np.testing.assert_allclose(out["borrow"], [1e-4, 1e-4 / 1.0001], rtol=1e-12)
    np.testing.assert_allclose(out["gross"], [2e-4, 2e-4], rtol=1e-12)
    np.testing.assert_allclose(out["net"], [1e-4, 2e-4 - 1e-4 / 1.0001], rtol=1e-12)


def test_per_share_minimum_impact_and_cap_hand_example():
    # One order of 10,000 shares at $10 ($100,000) into a bar of 100,000 shares:
    # cap 2.5% -> 2,500 shares filled ($25,000); per-share 0.005 -> $12.5 (minimum $20 wins);
    # impact 0.1 * (2500/100000)^2 * 25,000 = $1.5625; spread 5 bp -> $12.5; commission 1 bp $2.5.
    d = pd.bdate_range("2021-01-04", periods=2)
    r = _frame([[0.0], [0.0]], d, cols=["A"])
    t = _frame([[0.1]], d[[1]], cols=["A"])
    costs = CostModel(commission_bps=1, half_spread_bps=5, per_share=0.005, min_commission=20,
                      impact=0.1, volume_cap=0.025, borrow_rate=0)
    res = run_engine(r, t, costs, capital=1e6, prices=_frame([[10.0], [10.0]], d, ["A"]),
                     volume=_frame([[1e5], [1e5]], d, ["A"]))
    tr = res.trades.iloc[0]
    assert tr["shares"] == pytest.approx(2500)
    assert tr["notional"] == pytest.approx(25_000)
    assert tr["filled"] == pytest.approx(0.25)
    assert tr["cost"] == pytest.approx(2.5 + 20 + 12.5 + 1.5625)
    assert res.returns["commission"].iloc[0] == pytest.approx(22.5 / 1e6)
    assert res.returns["slippage"].iloc[0] == pytest.approx(14.0625 / 1e6)
    assert res.positions["weight"].iloc[0] == pytest.approx(0.025)
    assert any("capped" in n and "75.00%" in n for n in res.notes)


def test_whole_shares_round_toward_zero():
    d = pd.bdate_range("2021-01-04", periods=2)
    r = _frame([[0.0, 0.0], [0.0, 0.0]], d)
    t = _frame([[0.5, -0.5]], d[[1]])
    res = run_engine(r, t, CostModel.none(), capital=1000.0,
                     prices=_frame([[30.0, 70.0], [30.0, 70.0]], d), whole_shares=True)
    assert res.positions["shares"].tolist() == [16.0, -7.0]      # 500/30 = 16.7, -500/70 = -7.1
    assert res.holdings.iloc[0].tolist() == pytest.approx([0.48, -0.49])


def test_next_open_splits_the_day():
    # Old book 100% A earns A's overnight +2%; at the open it switches to 100% B, which earns
    # its intraday part (1 + 3%) / (1 - 1%) - 1.
    d = pd.bdate_range("2021-01-04", periods=3)
    r = _frame([[0.0, 0.0], [0.0, 0.0], [0.05, 0.03]], d)
    on = _frame([[0.0, 0.0], [0.0, 0.0], [0.02, -0.01]], d)
    t = _frame([[1.0, 0.0], [0.0, 1.0]], d[[1, 2]])
    res = run_engine(r, t, CostModel.none(), open_returns=on, fill="next-open")
    expected = 1.02 * (1.03 / 0.99) - 1.0
    assert res.returns.loc[d[2], "net"] == pytest.approx(expected, abs=1e-15)
    assert list(res.turnover.index) == [d[1], d[2]]        # execution dates (the open of t)


def test_delisted_name_is_sold_at_its_last_value():
    d = pd.bdate_range("2021-01-04", periods=6)
    r = _frame([[0, 0], [0.1, 0.0], [0.0, 0.0], [np.nan, 0.0], [np.nan, 0.0], [np.nan, 0.0]], d)
    t = _frame([[0.5, 0.5], [0.5, 0.5]], d[[1, 5]])
    res = run_engine(r, t, CostModel.none(), capital=100.0)
    last = res.trades[res.trades["date"] == d[4]].set_index("ticker")
    assert last.loc["A", "notional"] == pytest.approx(-55.0)     # sold at its frozen value
    assert res.holdings.loc[d[5], "A"] == 0.0
    assert res.holdings.loc[d[5], "B"] == pytest.approx(0.5)
    assert any("delisted" in n for n in res.notes)


# --------------------------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------------------------


@HYP
@given(seed=st.integers(0, 2**31 - 1), fill=st.sampled_from(["close", "next-open"]))
def test_no_costs_net_equals_gross_and_costs_only_lower_net(seed, fill):
    returns, targets, prices, volume, on = _market(seed, 30, 5, fill, True, True, False)
    kw = dict(prices=prices, volume=volume, open_returns=on, fill=fill)
    base = CostModel(cash_rate=0.02)
    none = run_engine(returns, targets, CostModel.none(), **kw).returns
    assert (none["net"] == none["gross"]).all()
    assert (none[["commission", "slippage", "borrow"]] == 0).all().all()
    costly = run_engine(returns, targets, base, **kw).returns
    assert (costly["net"] <= costly["gross"]).all()
    assert (costly[["commission", "slippage", "borrow"]] >= 0).all().all()


@HYP
@given(seed=st.integers(0, 2**31 - 1), factor=st.sampled_from([0.5, 2.0, 3.0]))
def test_scaled_costs_scale_the_cost_columns(seed, factor):
    # One rebalance: the trade and the positions do not depend on the costs, so the cost
    # dollars scale exactly. With later rebalances the costs change the equity and so the
    # later trades: then the scaling holds to first order only.
    returns, targets, prices, volume, _ = _market(seed, 20, 5, "close", True, True, False)
    kw = dict(prices=prices, volume=volume)
    costs = CostModel(per_share=0.005, min_commission=1.0, borrow_rate=0.03)
    one = targets.iloc[:1]
    a = run_engine(returns, one, costs, **kw).returns
    b = run_engine(returns, one, costs.scaled(factor), **kw).returns
    prev_a = a["equity"].shift(1).fillna(1e6)
    prev_b = b["equity"].shift(1).fillna(1e6)
    for col in ("commission", "slippage", "borrow"):
        np.testing.assert_allclose(b[col] * prev_b, factor * a[col] * prev_a, rtol=1e-12,
                                   atol=1e-9)
    many_a = run_engine(returns, targets, costs, **kw).returns
    many_b = run_engine(returns, targets, costs.scaled(factor), **kw).returns
    for col in ("commission", "slippage", "borrow"):
        np.testing.assert_allclose(many_b[col].sum(), factor * many_a[col].sum(), rtol=0.02)


@HYP
@given(seed=st.integers(0, 2**31 - 1))
def test_turnover_matches_metrics_turnover_on_daily_rebalancing(seed):
    rng = np.random.default_rng(seed)
    d = pd.bdate_range("2021-01-04", periods=12)
    cols = list("ABCD")
    r = pd.DataFrame(rng.normal(0, 0.02, (12, 4)), index=d, columns=cols)
    w = np.abs(rng.normal(0, 1, (11, 4)))
    t = pd.DataFrame(w / w.sum(axis=1, keepdims=True), index=d[1:], columns=cols)
    res = run_engine(r, t, CostModel.none())
    # metrics.turnover wants post-trade weights dated by the close they were set at
    weights = t.set_axis(d[:-1])
    ref = metrics.turnover(weights, r)
    np.testing.assert_allclose(res.turnover.iloc[1:].to_numpy(), ref.iloc[1:].to_numpy(),
                               rtol=0, atol=1e-12)
    assert res.turnover.iloc[0] == pytest.approx(0.5)          # from cash: 0.5 * sum |w|


@HYP
@given(seed=st.integers(0, 2**31 - 1))
def test_gross_is_holdings_times_returns_plus_cash_interest(seed):
    returns, targets, _, _, _ = _market(seed, 25, 5, "close", False, False, False)
    costs = CostModel(cash_rate=0.04)
    res = run_engine(returns, targets, costs)
    h = res.holdings.to_numpy()
    rv = returns.loc[res.returns.index].fillna(0.0).to_numpy()
    expected = (h * rv).sum(axis=1) + 0.04 / 252 * (1.0 - h.sum(axis=1))
    np.testing.assert_allclose(res.returns["gross"].to_numpy(), expected, rtol=0, atol=1e-12)
    shorts = np.where(h < 0, -h, 0.0).sum(axis=1)
    np.testing.assert_allclose(res.returns["borrow"].to_numpy(), 0.005 / 252 * shorts,
                               rtol=0, atol=1e-15)


@HYP
@given(seed=st.integers(0, 2**31 - 1), fill=st.sampled_from(["close", "next-open"]))
def test_point_in_time_later_data_changes_nothing_before(seed, fill):
    returns, targets, prices, volume, on = _market(seed, 24, 5, fill, True, True, False)
    kw = dict(prices=prices, volume=volume, open_returns=on, fill=fill)
    cut = returns.index[14]
    res = run_engine(returns, targets, CostModel(), **kw)
    rng = np.random.default_rng(seed + 7)

    def bump(f):
        if f is None:
            return None
        f = f.copy()
        later = f.index > cut
        f.loc[later] = f.loc[later] * rng.uniform(0.5, 1.5, f.loc[later].shape)
        return f

    other = run_engine(bump(returns), targets, CostModel(), prices=bump(prices),
                       volume=bump(volume), open_returns=bump(on), fill=fill)
    early = res.returns.index <= cut
    pd.testing.assert_frame_equal(res.returns[early], other.returns[early])
    pd.testing.assert_frame_equal(res.holdings[early], other.holdings[early])
    tr, to = res.trades, other.trades
    pd.testing.assert_frame_equal(tr[tr["date"] <= cut].reset_index(drop=True),
                                  to[to["date"] <= cut].reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# Bad input: one clear ParameterError each
# --------------------------------------------------------------------------------------------


def _tiny():
    d = pd.bdate_range("2021-01-04", periods=3)
    return _frame(np.zeros((3, 2)), d), _frame([[0.5, 0.5]], d[[1]]), d


@pytest.mark.parametrize("field,value", [("commission_bps", -1), ("borrow_rate", float("nan")),
                                         ("volume_cap", 0.0), ("volume_cap", 1.5),
                                         ("impact", "x"), ("periods_per_year", 0)])
def test_bad_cost_model_names_the_field(field, value):
    with pytest.raises(ParameterError, match=field):
        CostModel(**{field: value})
    with pytest.raises(ParameterError, match="factor"):
        CostModel().scaled(-1)


def test_cost_model_none_and_scaled():
    none = CostModel.none()
    assert none.is_zero and none.cash_rate == 0 and none.volume_cap == 0.025
    s = CostModel(cash_rate=0.03).scaled(2)
    assert (s.commission_bps, s.half_spread_bps, s.impact, s.borrow_rate) == (2, 10, 0.2, 0.01)
    assert s.cash_rate == 0.03 and s.volume_cap == 0.025


def test_bad_engine_input():
    r, t, d = _tiny()
    c = CostModel()
    cases = [
        (dict(targets=t.set_axis([pd.Timestamp("2030-01-01")])), "not a row of returns"),
        (dict(targets=t.rename(columns={"A": "Z"})), "tickers without returns"),
        (dict(targets=_frame([[0.5, 0.5]], d[[0]])), "no previous close"),
        (dict(fill="next-open"), "needs open_returns"),
        (dict(fill="market"), "fill"),
        (dict(whole_shares=True), "pass prices"),
        (dict(volume=r), "pass prices"),
        (dict(capital=-5.0), "capital"),
        (dict(prices=r + 10, whole_shares=True, capital=None), "pass capital"),
        (dict(targets=t * np.inf), "infinite"),
        (dict(returns=r.iloc[::-1]), "increasing order"),
    ]
    for kw, msg in cases:
        args = dict(returns=r, targets=t, costs=c)
        args.update(kw)
        returns, targets = args.pop("returns"), args.pop("targets")
        with pytest.raises(ParameterError, match=msg):
            run_engine(returns, targets, args.pop("costs"), **args)
