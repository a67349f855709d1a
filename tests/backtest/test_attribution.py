"""Tests for backtest.attribution: factor/specific/costs identities, the one-factor book,
Brinson-Fachler against a hand-computed example, its sum identities and Carino linking."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_factors.backtest.attribution import (
    CASH,
    brinson_fachler,
    carino_factors,
    factor_attribution,
    factor_exposures,
    risk_attribution,
)
from equity_factors.backtest.costs import CostModel
from equity_factors.backtest.engine import run_engine

HYP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _market(seed: int, n_days: int = 60, n: int = 12, k: int = 3):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n_days)
    tickers = [f"T{i:02d}" for i in range(n)]
    r = pd.DataFrame(rng.normal(0, 0.02, (n_days, n)), index=dates, columns=tickers)
    r.iloc[rng.random((n_days, n)) < 0.03] = np.nan
    schedule = []
    for start in dates[[0, n_days // 3, 2 * n_days // 3]]:
        b = rng.normal(0, 1, (n, k))
        schedule.append((start, pd.DataFrame(b / np.abs(b).sum(axis=0), index=tickers,
                                             columns=[f"F{j}" for j in range(k)])))
    return r, schedule


# --------------------------------------------------------------------------------------------
# Factor attribution
# --------------------------------------------------------------------------------------------


@HYP
@given(seed=st.integers(0, 2**31 - 1))
def test_parts_add_up_to_net_every_day(seed):
    r, schedule = _market(seed)
    rng = np.random.default_rng(seed)
    targets = pd.DataFrame(rng.normal(0, 0.2, (6, r.shape[1])), index=r.index[1::10],
                           columns=r.columns)
    res = run_engine(r, targets, CostModel(cash_rate=0.02))
    att = factor_attribution(res.holdings, r, schedule, res.returns["gross"],
                             res.returns["net"])
    assert list(att.columns) == ["F0", "F1", "F2", "specific", "costs", "total"]
    total = att.drop(columns="total").sum(axis=1)
    np.testing.assert_allclose(total.to_numpy(), res.returns["net"].to_numpy(), rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(att["costs"], res.returns["net"] - res.returns["gross"],
                               rtol=0, atol=1e-15)


def test_exposures_are_least_squares_per_day():
    r, schedule = _market(3)
    rng = np.random.default_rng(3)
    h = pd.DataFrame(rng.normal(0, 0.1, r.shape), index=r.index, columns=r.columns)
    x = factor_exposures(h, schedule)
    starts = [s for s, _ in schedule]
    for i in (0, 5, 25, 45, 59):                   # a naive per-day lstsq
        day = r.index[i]
        w = schedule[max(j for j, s in enumerate(starts) if s <= day)][1]
        ref = np.linalg.lstsq(w.to_numpy(), h.loc[day].to_numpy(), rcond=None)[0]
        np.testing.assert_allclose(x.loc[day].to_numpy(), ref, rtol=1e-10, atol=1e-13)


def test_a_book_equal_to_one_factor_portfolio_is_all_that_factor():
    # Rebalanced daily to exactly 2 x factor portfolio F1 (no costs, no cash interest), so the
    # held weights are 2 * W[:, F1] every day: everything gross is F1's, specific ~ 0.
    r, schedule = _market(5)
    starts = [s for s, _ in schedule]
    rows = []
    for day in r.index[1:]:
        w = schedule[max(j for j, s in enumerate(starts) if s <= day)][1]
        rows.append(2.0 * w["F1"].rename(day))
    targets = pd.DataFrame(rows)
    r0 = r.fillna(0.0)                 # no name ends: the targets stay exactly as given
    res = run_engine(r0, targets, CostModel.none())
    att = factor_attribution(res.holdings, r0, schedule, res.returns["gross"],
                             res.returns["net"])
    np.testing.assert_allclose(att["F1"], res.returns["gross"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(att[["F0", "F2", "specific", "costs"]], 0.0, atol=1e-14)
    x = factor_exposures(res.holdings, schedule)
    np.testing.assert_allclose(x.to_numpy(), np.tile([0.0, 2.0, 0.0], (len(x), 1)), atol=1e-12)


def test_callable_and_schedule_agree_and_days_before_are_specific():
    r, schedule = _market(8)
    late = [(r.index[10], schedule[0][1]), (r.index[30], schedule[1][1])]
    starts = [s for s, _ in late]

    def in_force(day):
        ok = [j for j, s in enumerate(starts) if s <= day]
        return late[max(ok)][1] if ok else None

    rng = np.random.default_rng(8)
    h = pd.DataFrame(rng.normal(0, 0.1, r.shape), index=r.index, columns=r.columns)
    gross = (h * r.fillna(0)).sum(axis=1)
    a = factor_attribution(h, r, late, gross, gross)
    b = factor_attribution(h, r, in_force, gross, gross)
    pd.testing.assert_frame_equal(a, b)
    assert (a.iloc[:10][["F0", "F1", "F2"]] == 0).all().all()
    np.testing.assert_allclose(a["specific"].iloc[:10], gross.iloc[:10], atol=0)


def test_risk_attribution_contributions_add_up_to_total_volatility():
    r, schedule = _market(9)
    rng = np.random.default_rng(9)
    targets = pd.DataFrame(rng.normal(0, 0.2, (6, r.shape[1])), index=r.index[1::10],
                           columns=r.columns)
    res = run_engine(r, targets, CostModel())
    att = factor_attribution(res.holdings, r, schedule, res.returns["gross"],
                             res.returns["net"])
    risk = risk_attribution(att)
    vol = att["total"].std(ddof=1) * math.sqrt(252)
    assert risk["contribution"].sum() == pytest.approx(vol, rel=1e-10)
    assert risk["share"].sum() == pytest.approx(1.0, rel=1e-10)


# --------------------------------------------------------------------------------------------
# Brinson-Fachler
# --------------------------------------------------------------------------------------------


def _hand_inputs():
    d = pd.bdate_range("2021-01-04", periods=2)
    cols = ["A", "B", "C"]
    hp = pd.DataFrame([[0.4, 0.2, 0.3], [0.4, 0.2, 0.3]], index=d, columns=cols)
    hb = pd.DataFrame([[0.25, 0.25, 0.5], [0.25, 0.25, 0.5]], index=d, columns=cols)
    r = pd.DataFrame([[0.02, -0.01, 0.01], [-0.01, 0.03, 0.0]], index=d, columns=cols)
    sectors = pd.Series({"A": "X", "B": "X", "C": "Y"})
    return hp, hb, r, sectors


def test_brinson_hand_example():
    # Day 1 by hand: w_p = X .6, Y .3, cash .1; w_b = X .5, Y .5; r_p,X = .006/.6 = .01,
    # r_p,Y = .01, r_b,X = .0025/.5 = .005, r_b,Y = .01, r_b = .0075, r_p = .009.
    hp, hb, r, sectors = _hand_inputs()
    res = brinson_fachler(hp, hb, r, sectors)
    day1 = res.daily[res.daily["date"] == hp.index[0]].set_index("sector")
    assert day1.loc["X", "allocation"] == pytest.approx(0.1 * (0.005 - 0.0075))
    assert day1.loc["X", "selection"] == pytest.approx(0.5 * (0.01 - 0.005))
    assert day1.loc["X", "interaction"] == pytest.approx(0.1 * (0.01 - 0.005))
    assert day1.loc["Y", "allocation"] == pytest.approx(-0.2 * (0.01 - 0.0075))
    assert day1.loc["Y", "selection"] == pytest.approx(0.0, abs=1e-16)
    assert day1.loc["Y", "interaction"] == pytest.approx(0.0, abs=1e-16)
    assert day1.loc[CASH, "allocation"] == pytest.approx(0.1 * (0.0 - 0.0075))
    assert day1[["allocation", "selection", "interaction"]].to_numpy().sum() == pytest.approx(
        0.009 - 0.0075, abs=1e-15)
    # Day 2: r_p = .4(-.01) + .2(.03) = .002, r_b = .25(-.01) + .25(.03) = .005.
    # Carino: k_t = ln((1+rp)/(1+rb)) / (rp - rb), k on the compounded returns.
    rp, rb = np.array([0.009, 0.002]), np.array([0.0075, 0.005])
    big_p, big_b = 1.009 * 1.002 - 1, 1.0075 * 1.005 - 1
    k = math.log((1 + big_p) / (1 + big_b)) / (big_p - big_b)
    kt = np.log((1 + rp) / (1 + rb)) / (rp - rb)
    np.testing.assert_allclose(carino_factors(rp, rb), kt / k, rtol=1e-12)
    day = res.daily.pivot(index="date", columns="sector", values="allocation")
    assert res.linked.loc["X", "allocation"] == pytest.approx(float(day["X"] @ (kt / k)))
    assert res.linked["total"].sum() == pytest.approx(big_p - big_b, abs=1e-15)
    assert res.portfolio_return == pytest.approx(big_p)
    assert res.benchmark_return == pytest.approx(big_b)
    assert res.linking == "carino"


def test_long_short_sector_with_zero_net_weight_is_selection():
    d = pd.bdate_range("2021-01-04", periods=1)
    hp = pd.DataFrame([[0.3, -0.3, 0.0]], index=d, columns=["A", "B", "C"])
    hb = pd.DataFrame([[0.25, 0.25, 0.5]], index=d, columns=["A", "B", "C"])
    r = pd.DataFrame([[0.02, -0.01, 0.01]], index=d, columns=["A", "B", "C"])
    res = brinson_fachler(hp, hb, r, pd.Series({"A": "X", "B": "X", "C": "Y"}))
    x = res.daily.set_index("sector").loc["X"]
    assert x["interaction"] == 0.0
    # sector X: c_p = .3*.02 + .3*.01 = .009; w_p = 0; w_b = .5, r_b,X = .005
    assert x["allocation"] == pytest.approx((0 - 0.5) * (0.005 - 0.0075))
    assert x["selection"] == pytest.approx(0.009)
    total = res.daily[["allocation", "selection", "interaction"]].to_numpy().sum()
    assert total == pytest.approx(0.009 - 0.0075, abs=1e-15)


@HYP
@given(seed=st.integers(0, 2**31 - 1), n_days=st.integers(1, 40),
       long_short=st.booleans())
def test_brinson_identities(seed, n_days, long_short):
    rng = np.random.default_rng(seed)
    n = 10
    d = pd.bdate_range("2021-01-04", periods=n_days)
    cols = [f"T{i}" for i in range(n)]
    hp = rng.normal(0, 0.2, (n_days, n)) if long_short else rng.dirichlet(np.ones(n), n_days)
    if long_short:                     # a dollar-neutral sector now and then
        hp[:, 1] = -hp[:, 0]
    hb = rng.dirichlet(np.ones(n), n_days) * rng.uniform(0.8, 1.0)
    hb[:, 9] = 0.0                     # a name the benchmark never holds, alone in its sector
    r = rng.normal(0, 0.03, (n_days, n))
    r[rng.random(r.shape) < 0.05] = np.nan
    sectors = pd.Series(["a", "a", "b", "b", "b", "c", "c", "d", "d", "e"], index=cols)
    res = brinson_fachler(pd.DataFrame(hp, d, cols), pd.DataFrame(hb, d, cols),
                          pd.DataFrame(r, d, cols), sectors)
    r0 = np.nan_to_num(r)
    rp, rb = (hp * r0).sum(axis=1), (hb * r0).sum(axis=1)
    per_day = res.daily.groupby("date")[["allocation", "selection", "interaction"]].sum()
    np.testing.assert_allclose(per_day.sum(axis=1).to_numpy(), rp - rb, rtol=0, atol=1e-14)
    big = np.prod(1 + rp) - np.prod(1 + rb)
    assert res.linked[["allocation", "selection", "interaction"]].to_numpy().sum() == \
        pytest.approx(big, abs=1e-12)
    np.testing.assert_allclose(res.linked["total"],
                               res.linked[["allocation", "selection", "interaction"]].sum(axis=1))
    assert set(res.linked.index) == {"a", "b", "c", "d", "e", CASH}
