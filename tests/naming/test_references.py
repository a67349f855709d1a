"""Reference series: equal-weighted market, rolling beta, point-in-time long-short spreads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.naming.references import (
    equal_weight_market,
    long_short_returns,
    rebalance_dates,
    rebalance_positions,
    rolling_beta,
    style_references,
)


def _panel(seed: int = 0, n_dates: int = 180, n_assets: int = 24, holes: float = 0.05):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n_dates)
    cols = [f"S{i:02d}" for i in range(n_assets)]
    market = rng.normal(0, 0.01, n_dates)
    beta = rng.uniform(0.3, 1.8, n_assets)
    r = market[:, None] * beta[None, :] + rng.normal(0, 0.01, (n_dates, n_assets))
    r[rng.random(r.shape) < holes] = np.nan
    returns = pd.DataFrame(r, index=dates, columns=cols)
    char = pd.DataFrame(rng.normal(size=(n_dates, n_assets)).cumsum(axis=0), index=dates,
                        columns=cols)
    char[rng.random(char.shape) < holes] = np.nan
    return returns, char


def test_equal_weight_market_is_the_mean_of_available_returns():
    returns, _ = _panel()
    expected = returns.mean(axis=1, skipna=True)  # oracle: pandas' own NaN-skipping mean
    pd.testing.assert_series_equal(equal_weight_market(returns), expected.rename("market"),
                                   check_exact=False, rtol=1e-12)


def test_rolling_beta_matches_a_naive_covariance_loop():
    returns, _ = _panel(seed=1)
    market = equal_weight_market(returns)
    window = 60
    beta = rolling_beta(returns, market, window=window, min_fraction=0.5)
    for p in (10, 45, 59, 60, 120, 179):
        for col in ("S00", "S07", "S23"):
            lo = max(0, p - window + 1)
            y = returns[col].iloc[lo:p + 1].to_numpy()
            x = market.iloc[lo:p + 1].to_numpy()
            ok = ~np.isnan(y) & ~np.isnan(x)
            if ok.sum() < 30:
                assert np.isnan(beta[col].iloc[p])
                continue
            # oracle: numpy's sample covariance over the pairwise-complete days
            c = np.cov(y[ok], x[ok])
            assert beta[col].iloc[p] == pytest.approx(c[0, 1] / c[1, 1], rel=1e-9)


def test_rolling_beta_at_selected_dates_equals_the_full_computation():
    returns, _ = _panel(seed=2)
    market = equal_weight_market(returns)
    full = rolling_beta(returns, market, window=50)
    at = returns.index[[49, 100, 179]]
    part = rolling_beta(returns, market, window=50, at=at)
    pd.testing.assert_frame_equal(part, full.loc[at])
    with pytest.raises(UserError):
        rolling_beta(returns, market, at=pd.DatetimeIndex(["1999-01-01"]))


def test_rolling_beta_recovers_planted_betas():
    rng = np.random.default_rng(3)
    n = 500
    m = rng.normal(0, 0.01, n)
    betas = np.array([0.5, 1.0, 1.5])
    r = m[:, None] * betas + rng.normal(0, 0.002, (n, 3))
    frame = pd.DataFrame(r, index=pd.bdate_range("2021-01-01", periods=n), columns=list("abc"))
    est = rolling_beta(frame, pd.Series(m, index=frame.index), window=252).iloc[-1]
    np.testing.assert_allclose(est.to_numpy(), betas, atol=0.05)


def test_rebalance_positions_are_first_trading_days_of_months():
    dates = pd.bdate_range("2021-01-04", "2021-04-30")
    pos = rebalance_positions(dates)
    assert [d.strftime("%Y-%m-%d") for d in dates[pos]] == ["2021-02-01", "2021-03-01",
                                                            "2021-04-01"]
    assert list(rebalance_dates(dates)) == list(dates[pos - 1])


def _naive_long_short(returns: pd.DataFrame, char: pd.DataFrame, fraction: float) -> pd.Series:
    """Oracle: a plain loop over days, ranking on the day before each month's first day."""
    out = pd.Series(np.nan, index=returns.index)
    dates = returns.index
    held = None
    for i in range(1, len(dates)):
        if dates[i].month != dates[i - 1].month:
            row = char.loc[dates[i - 1]].dropna()
            if len(row) >= 6:
                ordered = sorted(row.items(), key=lambda kv: (kv[1], kv[0]))
                q = int(np.floor(len(ordered) * fraction))
                held = ([s for s, _ in ordered[-q:]], [s for s, _ in ordered[:q]])
            else:
                held = None
        if held is not None:
            top = returns.loc[dates[i], held[0]].dropna()
            bot = returns.loc[dates[i], held[1]].dropna()
            if len(top) and len(bot):
                out.iloc[i] = top.mean() - bot.mean()
    return out


def test_long_short_matches_the_naive_loop():
    returns, char = _panel(seed=4, n_dates=150)
    got = long_short_returns(returns, char, fraction=1 / 3)
    want = _naive_long_short(returns, char, 1 / 3)
    pd.testing.assert_series_equal(got, want, check_exact=False, rtol=1e-12, check_names=False)
    assert got.notna().sum() > 100


def test_long_short_is_point_in_time():
    """Changing returns and characteristics after day d changes nothing up to d; changing the
    characteristics ON day d cannot change the return of day d either."""
    returns, char = _panel(seed=5)
    base = long_short_returns(returns, char)
    d = 97
    r2, c2 = returns.copy(), char.copy()
    r2.iloc[d + 1:] = r2.iloc[d + 1:] * -3.0 + 0.01
    c2.iloc[d:] = -c2.iloc[d:]
    changed = long_short_returns(r2, c2)
    pd.testing.assert_series_equal(base.iloc[:d + 1], changed.iloc[:d + 1])
    assert not np.allclose(base.iloc[d + 1:].fillna(0), changed.iloc[d + 1:].fillna(0))


def test_rolling_beta_is_point_in_time():
    returns, _ = _panel(seed=6)
    market = equal_weight_market(returns)
    base = rolling_beta(returns, market, window=40)
    d = 120
    r2 = returns.copy()
    r2.iloc[d + 1:] = 0.05
    changed = rolling_beta(r2, equal_weight_market(r2), window=40)
    pd.testing.assert_frame_equal(base.iloc[:d + 1], changed.iloc[:d + 1])


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(24))))
def test_references_do_not_depend_on_column_order(perm):
    returns, char = _panel(seed=7, n_dates=90)
    cols = [returns.columns[i] for i in perm]
    base = style_references(returns, {"x": char})
    shuffled = style_references(returns[cols], {"x": char[cols]})
    pd.testing.assert_frame_equal(base, shuffled, check_exact=True)


def test_bad_fraction_is_a_user_error():
    returns, char = _panel()
    with pytest.raises(UserError, match="fraction"):
        long_short_returns(returns, char, fraction=0.7)
