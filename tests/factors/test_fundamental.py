"""Fundamental factors: characteristic helpers, regression oracle, recovery, no look-ahead."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.factors import (
    FundamentalFactors,
    asof_characteristics,
    beta_characteristic,
    fit_factor_model,
    low_volatility_characteristic,
    momentum_characteristic,
)

SECTOR_NAMES = ("Energy", "Tech", "Health", "Banks", "Retail")


def _simulate_styles(n: int = 300, t: int = 500, seed: int = 0):
    """r(t) = sector return + sum_s x_s(t-1) g_s(t) + e, with x known at the close of t-1."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2016-01-04", periods=t)
    symbols = [f"S{i:03d}" for i in range(n)]
    sectors = pd.Series([SECTOR_NAMES[i % len(SECTOR_NAMES)] for i in range(n)], index=symbols)
    codes = np.arange(n) % len(SECTOR_NAMES)
    styles = {}
    for s in ("size", "value", "momentum"):
        x = np.empty((t, n))  # slowly moving, cross-sectionally standard normal exposures
        x[0] = rng.normal(size=n)
        for i in range(1, t):
            x[i] = 0.98 * x[i - 1] + np.sqrt(1 - 0.98**2) * rng.normal(size=n)
        styles[s] = pd.DataFrame(x, index=dates, columns=symbols)
    g = rng.standard_t(5, size=(t, 3)) / np.sqrt(5 / 3) * np.array([0.004, 0.003, 0.005])
    sector_f = 0.01 * rng.normal(size=(t, len(SECTOR_NAMES)))
    r = sector_f[:, codes] + 0.02 * rng.standard_t(5, size=(t, n)) / np.sqrt(5 / 3)
    for j, s in enumerate(styles):
        r[1:] += styles[s].to_numpy()[:-1] * g[1:, [j]]
    returns = pd.DataFrame(r, index=dates, columns=symbols)
    returns.iloc[0] = np.nan  # no previous close on the first day
    return returns, styles, sectors, pd.DataFrame(g, index=dates, columns=list(styles))


@pytest.fixture(scope="module")
def styled():
    return _simulate_styles()


# --------------------------------------------------------------------------- helpers
def test_momentum_matches_naive_compounding() -> None:
    rng = np.random.default_rng(1)
    r = pd.DataFrame(rng.normal(0.0005, 0.02, (300, 3)), columns=list("ABC"),
                     index=pd.bdate_range("2019-01-01", periods=300))
    r.iloc[::7, 1] = np.nan
    r.iloc[:200, 2] = np.nan
    mom = momentum_characteristic(r)
    for t in (251, 252, 280, 299):
        for col in r.columns:
            window = r[col].iloc[t - 251:t - 20].dropna()  # returns of rows t-251 .. t-21
            expected = (np.prod(1 + window) - 1) if len(window) >= math.ceil(0.8 * 231) \
                else np.nan
            got = mom[col].iloc[t]
            if np.isnan(expected):
                assert np.isnan(got)
            else:
                assert got == pytest.approx(expected, rel=1e-10)
    # 80 % of the 231 returns needed: the first value is on row 21 + 185 - 1
    assert mom.iloc[:205].isna().all().all() and mom["A"].iloc[205:].notna().all()


def test_low_volatility_matches_naive_std() -> None:
    rng = np.random.default_rng(2)
    r = pd.DataFrame(rng.normal(0, 0.02, (300, 2)), columns=["A", "B"],
                     index=pd.bdate_range("2019-01-01", periods=300))
    r.iloc[::5, 0] = np.nan  # 201 of 252 observed: below the 80 % needed (202)
    lv = low_volatility_characteristic(r)
    for t in (251, 299):
        for col in r.columns:
            window = r[col].iloc[t - 251:t + 1].dropna()
            if len(window) < math.ceil(0.8 * 252):
                assert np.isnan(lv[col].iloc[t])
            else:
                assert lv[col].iloc[t] == pytest.approx(-np.std(window, ddof=1), rel=1e-10)
    assert lv["B"].iloc[201:].notna().all() and lv["B"].iloc[:201].isna().all()


def test_beta_matches_naive_regression_slope() -> None:
    rng = np.random.default_rng(3)
    m = rng.normal(0, 0.01, 300)
    r = pd.DataFrame(np.outer(m, [0.5, 1.5]) + rng.normal(0, 0.01, (300, 2)), columns=["A", "B"],
                     index=pd.bdate_range("2019-01-01", periods=300))
    r.iloc[::9, 1] = np.nan
    market = pd.Series(m, index=r.index)
    beta = beta_characteristic(r, market=market)
    for t in (251, 299):
        for col in r.columns:
            sl = slice(t - 251, t + 1)
            x, y = market.iloc[sl], r[col].iloc[sl]
            ok = y.notna()
            slope = np.polyfit(x[ok], y[ok], 1)[0]  # least-squares slope as the oracle
            assert beta[col].iloc[t] == pytest.approx(slope, rel=1e-9)
    assert beta.iloc[:200].isna().all().all()
    # default market: the equal-weighted mean of the stocks with a return that day
    np.testing.assert_allclose(beta_characteristic(r).iloc[-1].mean(), 1.0, atol=0.05)


def test_asof_characteristics_count_from_the_reported_date() -> None:
    funda = pd.DataFrame({
        "symbol": ["A", "A", "A", "B", "B"],
        "field": ["book", "book", "book", "book", "earnings"],
        "period_end": pd.to_datetime(["2020-03-31", "2020-06-30", "2020-03-31",
                                      "2020-03-31", "2020-03-31"]),
        "reported_date": pd.to_datetime(["2020-05-01", "2020-08-05", "2020-08-05",
                                         "2020-05-09", "2020-05-05"]),  # 05-09 is a Saturday
        "value": [1.0, 2.0, 99.0, 3.0, 4.0],
    })
    dates = pd.bdate_range("2020-04-29", "2020-08-07")
    out = asof_characteristics(funda, dates, symbols=["A", "B", "C"])
    book = out["book"]
    assert list(out) == ["book", "earnings"]
    assert np.isnan(book.loc["2020-04-30", "A"]) and book.loc["2020-05-01", "A"] == 1.0
    # two reports the same day: the later fiscal period wins, whatever the row order
    assert book.loc["2020-08-04", "A"] == 1.0 and book.loc["2020-08-05", "A"] == 2.0
    assert np.isnan(book.loc["2020-05-08", "B"]) and book.loc["2020-05-11", "B"] == 3.0
    assert book["C"].isna().all()
    assert out["earnings"].loc["2020-05-05", "B"] == 4.0


# --------------------------------------------------------------------------- regressions
def _naive_coefficients(returns, styles, sectors, p, clip=3.0):
    prev = returns.iloc[p - 1]
    universe = prev.index[prev.notna()]
    cols = {}
    for name, frame in styles.items():
        x = frame.iloc[p - 1][universe]
        z = (x - x.mean()) / x.std(ddof=1)
        z = z.clip(-clip, clip)
        cols[name] = ((z - z.mean()) / z.std(ddof=1)).fillna(0.0)
    design = pd.DataFrame(cols)
    design = design.join(pd.get_dummies(sectors[universe]).astype(float))
    y = returns.iloc[p][universe].fillna(0.0)
    coef, *_ = np.linalg.lstsq(design.to_numpy(), y.to_numpy(), rcond=None)
    return pd.Series(coef, index=design.columns)


def test_regression_coefficients_match_least_squares(styled) -> None:
    returns, styles, sectors, _ = styled
    small = returns.iloc[1:41, :60].copy()  # the first row has no returns at all
    small.iloc[10:, 3] = np.nan  # delists: out of the regression from day 11 on
    small.iloc[20, 5] = np.nan  # a missing return earns 0 in the day's portfolio
    chars = {k: v.iloc[1:41, :60].copy() for k, v in styles.items()}
    chars["value"].iloc[:, 7] = np.nan  # a stock without value: exposure 0 (the average)
    est = FundamentalFactors(include_sectors=True).fit(small, characteristics=chars,
                                                       sectors=sectors)
    for p in (1, 11, 20, 21, 39):
        naive = _naive_coefficients(small, chars, sectors.iloc[:60], p)
        got = est.coefficients_.iloc[p]
        np.testing.assert_allclose(got[naive.index].to_numpy(), naive.to_numpy(), atol=1e-12)
    assert est.coefficients_.iloc[0].isna().all() and est.factor_returns_.iloc[0].isna().all()


def test_factor_returns_are_unit_gross_portfolios(styled) -> None:
    """sum |w| = 1 per factor and date; returns = weights x plain returns; = coef / gross."""
    returns, styles, sectors, _ = styled
    r = returns.iloc[:150]
    res = fit_factor_model(r, "fundamental", None, characteristics=styles, sectors=sectors,
                           refit=1)
    hist = res.weights_history
    gross = (hist.assign(a=hist["weight"].abs())
             .groupby(["fit_date", "factor"], observed=True)["a"].sum())
    np.testing.assert_allclose(gross.to_numpy(), 1.0, rtol=1e-12)
    for date in r.index[[5, 60, 149]]:
        w = res.weights_at(date)
        got = r.loc[date, w.index].fillna(0.0) @ w
        np.testing.assert_allclose(got, res.factor_returns.loc[date], atol=1e-15)
        # the raw coefficient is the same portfolio before scaling by its gross: same sign
        coef = res.coefficients.loc[date]
        assert (np.sign(coef) == np.sign(res.factor_returns.loc[date])).all()
    vol = res.factor_returns.std()
    assert (vol < 0.02).all() and (vol > 0.0002).all()  # a stock portfolio's range


def test_fundamental_recovers_planted_style_returns(styled) -> None:
    returns, styles, sectors, planted = styled
    res = fit_factor_model(returns, "fundamental", None, characteristics=styles,
                           sectors=sectors)
    assert res.factor_names == ["size", "value", "momentum"]
    truth = planted.add_suffix("_true")
    joined = res.factor_returns.join(truth).dropna()
    for s in ("size", "value", "momentum"):
        assert joined[s].corr(joined[f"{s}_true"]) > 0.9
    # the one-day lag matters: using the characteristics of the same day is worse
    unlagged = {k: v.shift(-1) for k, v in styles.items()}
    wrong = fit_factor_model(returns, "fundamental", None, characteristics=unlagged,
                             sectors=sectors).factor_returns
    j2 = wrong.join(truth).dropna()
    assert j2["size"].corr(j2["size_true"]) < joined["size"].corr(joined["size_true"])


def test_recorded_weights_reproduce_the_coefficients(styled) -> None:
    returns, styles, sectors, _ = styled
    res = fit_factor_model(returns.iloc[:120], "fundamental", 2, characteristics=styles,
                           sectors=sectors, refit=30)
    assert res.factor_names == ["size", "value"] and len(res.fits) == 4
    for date in res.fits["apply_start"]:
        w = res.weights_at(date)
        r = returns.loc[date, w.index].fillna(0.0)
        np.testing.assert_allclose(r @ w, res.factor_returns.loc[date], atol=1e-14)
    # loadings: the latest characteristics, standardized across the stocks
    np.testing.assert_allclose(res.loadings.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(res.loadings.std(ddof=1), 1.0, rtol=1e-12)


def test_number_of_style_factors() -> None:
    returns, styles, sectors, _ = _simulate_styles(n=30, t=30, seed=3)
    with pytest.raises(UserError, match=r"has 3 style factors \(size, value, momentum\), fewer "
                                        r"than k=5; lower n_factors to 3"):
        fit_factor_model(returns, "fundamental", 5, characteristics=styles)
    res = fit_factor_model(returns, "Fundamental", None)  # default: from returns alone
    assert res.factor_names == ["momentum", "low_volatility", "beta"]
    assert res.factor_returns.isna().all().all()  # 30 days: no momentum or volatility yet


@pytest.fixture(scope="module")
def fundamental_base(styled):
    returns, _, sectors, _ = styled
    r = returns.iloc[:400, :80]
    return r, fit_factor_model(r, "fundamental", None, sectors=sectors, refit=21)


@settings(max_examples=6, deadline=None)
@given(cut=st.integers(260, 399))
def test_no_look_ahead_fundamental(styled, fundamental_base, cut: int) -> None:
    sectors = styled[2]
    r, base = fundamental_base
    noisy_r = r.copy()
    noisy_r.iloc[cut:] = np.random.default_rng(cut).normal(0, 0.05, (400 - cut, 80))
    noisy = fit_factor_model(noisy_r, "fundamental", None, sectors=sectors, refit=21)
    before = base.factor_returns.index < r.index[cut]
    a, b = base.factor_returns[before], noisy.factor_returns[before]
    assert a.notna().any().all()  # momentum and low-vol exist by then
    assert np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True)
    assert not base.factor_returns[~before].equals(noisy.factor_returns[~before])
