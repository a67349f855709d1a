"""Tests for the benchmark-relative metrics and the hit rate (beta, alpha, IR, TE, hit rate).

References: scipy.stats.linregress and numpy.polyfit for the OLS slope and intercept (naive),
plain numpy formulas for the active-return ratios, and empyrical (when installed) for beta and
for alpha after undoing its geometric annualization.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from equity_factors import metrics as m


def _pair(seed: int, n: int = 300, nan: bool = True):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-01", periods=n)
    b = pd.Series(rng.normal(0.0004, 0.01, n), index=idx)
    r = pd.Series(0.0002 + 1.3 * b.to_numpy() + rng.normal(0, 0.008, n), index=idx)
    if nan:
        r.iloc[[3, 50]] = np.nan
        b.iloc[[7]] = np.nan
    return r, b


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), rf=st.sampled_from([0.0, 0.03]))
def test_beta_alpha_match_linregress_and_polyfit(seed, rf):
    r, b = _pair(seed)
    rfp = (1 + rf) ** (1 / 252) - 1
    ok = r.notna() & b.notna()
    fit = stats.linregress(b[ok] - rfp, r[ok] - rfp)
    slope, intercept = np.polyfit(b[ok] - rfp, r[ok] - rfp, 1)
    assert m.beta(r, b, risk_free=rf) == pytest.approx(fit.slope, rel=1e-10)
    assert m.beta(r, b, risk_free=rf) == pytest.approx(slope, rel=1e-10)
    assert m.alpha(r, b, risk_free=rf) == pytest.approx(fit.intercept * 252, rel=1e-9)
    assert m.alpha(r, b, risk_free=rf) == pytest.approx(intercept * 252, rel=1e-9)


def test_tracking_error_information_ratio_naive():
    r, b = _pair(1)
    ok = r.notna() & b.notna()
    a = (r - b)[ok].to_numpy()
    te = a.std(ddof=1) * np.sqrt(252)
    assert m.tracking_error(r, b) == pytest.approx(te, rel=1e-12)
    assert m.information_ratio(r, b) == pytest.approx(a.mean() / a.std(ddof=1) * np.sqrt(252),
                                                      rel=1e-12)
    assert np.isnan(m.information_ratio(b, b))      # no active return at all
    assert np.isnan(m.beta(r, b * 0))               # constant benchmark


def test_hit_rate_counts_non_zero_days():
    r = pd.Series([0.01, -0.02, 0.0, np.nan, 0.03, 0.0])
    assert m.hit_rate(r) == pytest.approx(2 / 3)
    assert np.isnan(m.hit_rate(pd.Series([0.0, 0.0])))


def test_dataframe_gives_one_value_per_column():
    r, b = _pair(2, nan=False)
    frame = pd.DataFrame({"x": r, "y": 2 * b})
    betas = m.beta(frame, b)
    assert betas["x"] == pytest.approx(m.beta(r, b))
    assert betas["y"] == pytest.approx(2.0)
    assert m.alpha(frame, b)["y"] == pytest.approx(0.0, abs=1e-12)
    assert list(m.hit_rate(frame).index) == ["x", "y"]


def test_empyrical_beta_and_alpha():
    empyrical = pytest.importorskip("empyrical", reason="empyrical-reloaded is not installed")
    r, b = _pair(3, nan=False)
    assert m.beta(r, b) == pytest.approx(empyrical.beta(r, b), rel=1e-10)
    # empyrical compounds the daily intercept: (1 + a) ** 252 - 1
    daily = (1 + empyrical.alpha(r, b)) ** (1 / 252) - 1
    assert m.alpha(r, b) == pytest.approx(daily * 252, rel=1e-9)
