"""Tests of equity_factors.metrics against reference values (docs/metrics.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from equity_factors import metrics as m

# empyrical tests/test_stats.py fixture "mixed_returns" (daily); docs/metrics.md, empyrical oracle.
MIXED = pd.Series(
    np.array([np.nan, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0]) / 100,
    index=pd.bdate_range("2000-01-03", periods=9),
)


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        # empyrical @40f61b4 tests/test_stats.py [C]
        (m.sharpe_ratio, 1.7238613961706866),
        (m.annualized_volatility, 0.9136465399704637),
        (m.annualized_return, 1.9135925373194231),
        (m.max_drawdown, -0.1),
        (m.calmar_ratio, 19.135925373194233),
        (m.downside_risk, 0.6044832503882965),
        (m.sortino_ratio, 2.605531251673693),
    ],
)
def test_empyrical_oracle(func, expected):
    assert func(MIXED) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        # quantstats style, NaN filled with 0 [computed; docs/metrics.md "The empyrical oracle"]
        (m.sharpe_ratio, 1.636895),
        (m.annualized_volatility, 0.855278),
        (m.sortino_ratio, 2.456518),
        # CAGR already counts the NaN row as a zero return, so it does not move.
        (m.annualized_return, 1.9135925373194231),
    ],
)
def test_nan_as_zero_values(func, expected):
    assert func(MIXED.fillna(0.0)) == pytest.approx(expected, abs=1e-6)


def test_dataframe_gives_series_per_column():
    frame = pd.DataFrame({"a": MIXED, "b": MIXED.fillna(0.0), "c": -MIXED})
    for func in (
        m.sharpe_ratio,
        m.annualized_volatility,
        m.annualized_return,
        m.max_drawdown,
        m.calmar_ratio,
        m.sortino_ratio,
        m.downside_risk,
        m.total_return,
    ):
        out = func(frame)
        assert isinstance(out, pd.Series)
        assert list(out.index) == ["a", "b", "c"]
        for col in frame:
            assert out[col] == pytest.approx(func(frame[col]), rel=1e-12, nan_ok=True)


def test_sharpe_annual_risk_free_is_converted_geometrically():
    r = MIXED.dropna()
    rf = 0.05
    per = (1 + rf) ** (1 / 252) - 1
    ex = r.to_numpy() - per
    naive = ex.mean() / ex.std(ddof=1) * np.sqrt(252)
    assert m.sharpe_ratio(MIXED, risk_free=rf) == pytest.approx(naive, rel=1e-12)


def test_sortino_downside_uses_all_rows_and_zero_downside_is_inf():
    r = np.array([0.02, -0.01, 0.03, -0.02, 0.01])
    dd = np.sqrt(np.mean(np.minimum(r, 0) ** 2)) * np.sqrt(252)  # mean over all 5 rows
    assert m.downside_risk(pd.Series(r)) == pytest.approx(dd, rel=1e-12)
    assert m.sortino_ratio(pd.Series(r)) == pytest.approx(r.mean() * 252 / dd, rel=1e-12)
    assert m.sortino_ratio(pd.Series([0.01, 0.02, 0.0])) == np.inf
    # one observation is NaN (the module's rule), not +inf; NaN rows do not count
    assert np.isnan(m.sortino_ratio(pd.Series([0.01])))
    assert np.isnan(m.sortino_ratio(pd.Series([np.nan, 0.01, np.nan])))
    assert np.isnan(m.sortino_ratio(pd.Series([], dtype=float)))


def test_drawdown_hand_examples():
    # docs/metrics.md (max_drawdown): [+10%, -10%, +10%] -> -0.10; W_0 = 1 is the first peak.
    up_down = pd.Series([0.10, -0.10, 0.10])
    assert m.max_drawdown(up_down) == pytest.approx(-0.10, abs=1e-15)
    np.testing.assert_allclose(m.drawdown_series(up_down), [0.0, -0.10, -0.01], atol=1e-15)
    first_loss = pd.Series([-0.06, 0.02, 0.01])
    assert m.max_drawdown(first_loss) == pytest.approx(-0.06, abs=1e-15)
    assert m.max_drawdown(pd.Series([0.01, 0.02])) == 0.0
    assert np.isnan(m.calmar_ratio(pd.Series([0.01, 0.02])))


def test_cagr_compounds_and_uses_row_count():
    # +10% then -10% is -1% in total; with ppy = 2 the two rows are one year.
    r = pd.Series([0.10, -0.10])
    assert m.total_return(r) == pytest.approx(-0.01, abs=1e-15)
    assert m.annualized_return(r, periods_per_year=2) == pytest.approx(-0.01, abs=1e-15)
    assert m.annualized_return(r, periods_per_year=1) == pytest.approx(0.99**0.5 - 1, abs=1e-15)
    assert m.annualized_return(pd.Series([-0.5, -1.0])) == -1.0


def test_turnover_hand_example():
    # Equal weights drift to (0.55, 0.45) after +10% / -10% (r_p = 0); rebalancing back is 5%.
    dates = pd.bdate_range("2021-01-04", periods=3)
    weights = pd.DataFrame([[0.5, 0.5], [0.5, 0.5], [0.0, 1.0]], index=dates, columns=["a", "b"])
    returns = pd.DataFrame([[0.0, 0.0], [0.10, -0.10], [0.0, 0.0]], index=dates, columns=["a", "b"])
    tau = m.turnover(weights, returns)
    assert np.isnan(tau.iloc[0])
    assert tau.iloc[1] == pytest.approx(0.05, abs=1e-15)
    assert tau.iloc[2] == pytest.approx(0.5, abs=1e-15)  # half the book moves
    swap = pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], index=dates[:2], columns=["a", "b"])
    assert m.turnover(swap, returns.iloc[:2]).iloc[1] == pytest.approx(1.0)  # one-way 100%


def test_turnover_matches_naive_loop():
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2021-01-04", periods=6)
    w = pd.DataFrame(rng.dirichlet(np.ones(4), size=6), index=dates)
    r = pd.DataFrame(rng.normal(0, 0.02, (6, 4)), index=dates)
    tau = m.turnover(w, r)
    for t in range(1, 6):
        prev = w.iloc[t - 1].to_numpy()
        rt = r.iloc[t].to_numpy()
        drift = prev * (1 + rt) / (1 + prev @ rt)
        assert tau.iloc[t] == pytest.approx(0.5 * np.abs(w.iloc[t].to_numpy() - drift).sum())


def test_information_coefficient_hand_check_and_scipy():
    dates = pd.bdate_range("2021-01-04", periods=3)
    scores = pd.DataFrame(
        [[1, 2, 3, 4, 5], [1, 1, 2, np.nan, 3], [1, np.nan, np.nan, np.nan, np.nan]], index=dates
    )
    fwd = pd.DataFrame(
        [[0.01, -0.02, 0.03, 0.05, 0.04], [0.02, 0.01, 0.0, 0.3, -0.01], [0.1, 0.2, 0.3, 0, 0]],
        index=dates,
    )
    ic = m.information_coefficient(scores, fwd)
    assert ic.iloc[0] == pytest.approx(0.8, abs=1e-15)  # 1 - 6*4/(5*24), docs/metrics.md
    # Ties and a missing value: scipy.stats.spearmanr on the complete pairs (alphalens' way).
    expected = stats.spearmanr([1, 1, 2, 3], [0.02, 0.01, 0.0, -0.01]).statistic
    assert ic.iloc[1] == pytest.approx(expected, abs=1e-12)
    assert np.isnan(ic.iloc[2])  # a single complete pair
    summary = m.information_coefficient_summary(ic)
    assert summary["mean"] == pytest.approx(np.mean(ic.iloc[:2]))
    assert summary["n_dates"] == 2


def test_performance_summary_uses_the_single_definitions():
    frame = pd.DataFrame({"a": MIXED, "b": MIXED.fillna(0.0)})
    table = m.performance_summary(frame)
    assert table.loc["a", "sharpe_ratio"] == pytest.approx(1.7238613961706866, rel=1e-12)
    assert table.loc["b", "sortino_ratio"] == pytest.approx(m.sortino_ratio(frame["b"]))
    row = m.performance_summary(frame["a"])
    assert row["calmar_ratio"] == pytest.approx(19.135925373194233, rel=1e-12)
    assert row["n_periods"] == 8


def test_constant_series_has_nan_sharpe():
    assert np.isnan(m.sharpe_ratio(pd.Series([0.01] * 10)))
    assert np.isnan(m.sharpe_ratio(pd.Series([0.01])))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-0.2, 0.2, allow_nan=False), min_size=3, max_size=40),
    st.floats(0.1, 10.0),
)
def test_scale_invariance_and_drawdown_bounds(values, scale):
    r = pd.Series(values)
    sr = m.sharpe_ratio(r)
    if np.isfinite(sr):
        assert m.sharpe_ratio(r * scale) == pytest.approx(sr, rel=1e-9, abs=1e-9)
    mdd = m.max_drawdown(r)
    assert -1.0 <= mdd <= 0.0
    assert mdd == pytest.approx(m.drawdown_series(r).min(), abs=1e-15)
