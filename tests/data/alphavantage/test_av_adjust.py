"""CRSP backward adjustment and the merge of new bars into stored ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.data.providers.alphavantage.adjust import (
    adjusted_close,
    adjustment_factors,
    merge_bars,
)
from equity_factors.testing.fake_alphavantage import crsp_adjusted_close


def _frame(close, dividend, split, start="2020-01-01"):
    idx = pd.bdate_range(start, periods=len(close), name="date")
    return pd.DataFrame({"close": close, "dividend": dividend, "split": split}, index=idx)


def test_published_crsp_example():
    # The CRSP "What exactly is adjusted close?" worked example (a 2:1 split on 2/18/03, a $0.08
    # dividend going ex on 2/19/03): adjusted 23.42, 24.07, 24.88, 24.53.
    bars = pd.DataFrame({"close": [46.99, 48.30, 24.96, 24.53], "dividend": [0, 0, 0, 0.08],
                         "split": [1, 1, 2, 1]},
                        index=pd.DatetimeIndex(["2003-02-13", "2003-02-14", "2003-02-18",
                                                "2003-02-19"]))
    assert adjusted_close(bars).round(2).tolist() == [23.42, 24.07, 24.88, 24.53]


def _series(draw_n, seed):
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, draw_n)))
    dividend = np.where(rng.random(draw_n) < 0.05, close * 0.01, 0.0)
    split = np.where(rng.random(draw_n) < 0.02, rng.choice([2.0, 1.5, 3.0], draw_n), 1.0)
    dividend[0] = 0.0
    return close, dividend, split


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 300), st.integers(0, 10_000))
def test_vectorised_matches_plain_loop(n, seed):
    # Oracle: the fake server's loop implementation, written separately.
    close, dividend, split = _series(n, seed)
    ours = adjusted_close(_frame(close, dividend, split)).to_numpy()
    np.testing.assert_allclose(ours, crsp_adjusted_close(close, dividend, split), rtol=1e-12)
    assert ours[-1] == close[-1]


@settings(max_examples=25, deadline=None)
@given(st.integers(10, 200), st.integers(0, 10_000), st.data())
def test_point_in_time_returns_ignore_later_data(n, seed, data):
    # Returns from adjusted closes up to day m only use data up to day m: change everything
    # after m (prices, dividends, splits) and they stay the same.
    close, dividend, split = _series(n, seed)
    m = data.draw(st.integers(1, n - 2))
    a = adjusted_close(_frame(close, dividend, split)).to_numpy()
    c2, d2, s2 = _series(n, seed + 1)
    close2 = np.concatenate([close[: m + 1], c2[m + 1 :]])
    div2 = np.concatenate([dividend[: m + 1], d2[m + 1 :]])
    split2 = np.concatenate([split[: m + 1], s2[m + 1 :]])
    b = adjusted_close(_frame(close2, div2, split2)).to_numpy()
    np.testing.assert_allclose(a[1 : m + 1] / a[:m], b[1 : m + 1] / b[:m], rtol=1e-10)


def test_bad_dividend_does_not_make_prices_negative():
    k = adjustment_factors(np.array([10.0, 5.0]), np.array([0.0, 12.0]), np.array([1.0, 1.0]))
    assert (k > 0).all()


def test_merge_rescales_old_days_after_new_events():
    close, dividend, split = _series(260, 3)
    dividend[240], split[250] = close[239] * 0.02, 2.0  # events after the old last day (229)
    full = _frame(close, dividend, split)
    full["adj_close"] = adjusted_close(full)
    old = full.iloc[:230].copy()
    old["adj_close"] = adjusted_close(old)  # what was stored back then
    new = full.iloc[-100:]  # a compact update
    merged, ratio = merge_bars(old, new)
    assert ratio is not None and ratio != pytest.approx(1.0)
    np.testing.assert_allclose(merged["adj_close"], full["adj_close"], rtol=1e-12)
    assert merged.index.is_unique and len(merged) == len(full)


def test_merge_without_events_writes_only_new_and_reports_gaps():
    close, dividend, split = _series(150, 4)
    dividend[:], split[:] = 0.0, 1.0
    full = _frame(close, dividend, split)
    full["adj_close"] = adjusted_close(full)
    merged, ratio = merge_bars(full.iloc[:100], full.iloc[60:])
    assert ratio == 1.0 and merged.index.equals(full.index[60:])
    _, gap = merge_bars(full.iloc[:40], full.iloc[60:])
    assert gap is None
