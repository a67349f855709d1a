"""Returns panels: gap handling, coverage rule, fingerprints, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.data.panel import load_panel, returns_from_prices
from equity_factors.data.paths import resolve_data_dir
from equity_factors.data.store import Store
from equity_factors.data.universe import resolve_universe
from equity_factors.errors import UserError


def test_returns_span_missing_days():
    prices = pd.DataFrame({"A": [100.0, np.nan, 121.0, 133.1], "B": [np.nan, 10.0, 11.0, np.nan]})
    r = returns_from_prices(prices)
    # A's move over the missing day lands on the next bar: 100 -> 121 = +21%
    np.testing.assert_allclose(r["A"].to_numpy(), [np.nan, np.nan, 0.21, 0.1], equal_nan=True)
    np.testing.assert_allclose(r["B"].to_numpy(), [np.nan, np.nan, 0.1, np.nan], equal_nan=True)


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(5, 95), seed=st.integers(0, 1000))
def test_returns_before_a_date_ignore_later_prices(cut, seed):
    rng = np.random.default_rng(seed)
    prices = pd.DataFrame(np.exp(rng.normal(0, 0.02, (100, 4)).cumsum(0)))
    altered = prices.copy()
    altered.iloc[cut:] = np.exp(rng.normal(0, 0.5, (100 - cut, 4)))
    a, b = returns_from_prices(prices), returns_from_prices(altered)
    pd.testing.assert_frame_equal(a.iloc[:cut], b.iloc[:cut])


@pytest.fixture()
def small_store(tmp_path):
    dd = resolve_data_dir(tmp_path)
    store = Store(dd.store_path)
    dates = pd.bdate_range("2020-01-01", periods=120)
    rng = np.random.default_rng(0)
    bars = {}
    for s in ("AAA", "BBB", "CCC"):
        close = 50 * np.exp(rng.normal(0, 0.01, 120).cumsum())
        bars[s] = pd.DataFrame({"adj_close": close, "close": close}, index=dates)
    bars["NEW"] = bars["AAA"].iloc[-30:]
    bars["FLAT"] = pd.DataFrame({"adj_close": 7.0, "close": 7.0}, index=dates)
    store.write_bars(bars, source="test")
    store.save_universe("U", list(bars) + ["GONE"], source="test")
    return dd, store


def test_panel_drops_with_reasons_and_fingerprints(small_store):
    dd, store = small_store
    uni = resolve_universe(store, dd, "U")
    panel = load_panel(store, uni)
    assert panel.symbols == ["AAA", "BBB", "CCC"]
    assert panel.dropped["GONE"] == "no bars in the period"
    assert panel.dropped["NEW"].startswith("only 29 returns")
    assert panel.dropped["FLAT"] == "constant price (zero variance)"
    assert load_panel(store, uni).fingerprint == panel.fingerprint
    assert load_panel(store, uni, start="2020-02-01").fingerprint != panel.fingerprint
    with pytest.raises(UserError, match="widen --start/--end"):  # nobody seasoned by then
        load_panel(store, uni, start="2020-01-01", end="2020-02-20")
    # A short window is fine once the stocks are seasoned: the history before it counts.
    assert load_panel(store, uni, start="2020-05-01", end="2020-05-10").symbols == [
        "AAA", "BBB", "CCC"]


def test_seasoning_and_staleness_are_point_in_time():
    from equity_factors.data.panel import seasoned_returns

    r = np.array([np.nan, 0.01, 0.02, 0.0, 0.0, 0.0, 0.03, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    out = seasoned_returns(r, min_history=2, stale_run=3)
    # returns 1 is the first (not counted with min_history 2); zero runs: the 3rd zero on is out
    expected = [np.nan, np.nan, 0.02, 0.0, 0.0, np.nan, 0.03, 0.0, 0.0, np.nan, np.nan, np.nan,
                np.nan]
    np.testing.assert_array_equal(out, expected)
    # each day's decision uses that day and earlier only: cutting the series changes nothing
    for cut in range(1, len(r)):
        np.testing.assert_array_equal(seasoned_returns(r[:cut], 2, 3), out[:cut])


def test_panel_up_to_d_is_the_same_with_end_d(tmp_path):
    """A stock listed 30 days before D: out with --end D and before its 63rd return without."""
    dd = resolve_data_dir(tmp_path)
    store = Store(dd.store_path)
    dates = pd.bdate_range("2020-01-01", periods=300)
    rng = np.random.default_rng(1)
    bars = {s: pd.DataFrame({"adj_close": 50 * np.exp(rng.normal(0, 0.01, 300).cumsum())},
                            index=dates) for s in ("AAA", "BBB", "CCC")}
    bars["NEW"] = bars["AAA"].iloc[170:] * 1.5
    store.write_bars(bars, source="test")
    store.save_universe("U", list(bars), source="test")
    uni = resolve_universe(store, dd, "U")
    d = dates[200]
    cut, full = load_panel(store, uni, end=str(d.date())), load_panel(store, uni)
    assert "NEW" in cut.dropped and "NEW" in full.symbols
    before = full.returns.loc[:d]
    pd.testing.assert_frame_equal(before[cut.symbols], cut.returns)
    assert before["NEW"].isna().all()  # not seasoned by D either way
    assert full.returns["NEW"].first_valid_index() == dates[170 + 63]


def test_universe_specs(small_store, tmp_path):
    dd, store = small_store
    store.write_holdings("ETFX", pd.DataFrame({"symbol": ["CCC", "AAA"], "weight": [0.7, 0.3]}),
                         "2021-01-01", "test")
    listing = tmp_path / "mine.txt"
    listing.write_text("# my list\nbbb\nAAA, CCC\n")
    assert resolve_universe(store, dd, "etfx").symbols == ("CCC", "AAA")
    assert resolve_universe(store, dd, "AAA,etfx").symbols == ("AAA", "CCC")
    assert resolve_universe(store, dd, f"@{listing}").symbols == ("BBB", "AAA", "CCC")
    with pytest.raises(UserError, match="unknown universe or symbol 'XYZ'.*SAMPLE"):
        resolve_universe(store, dd, "AAA,XYZ")
    with pytest.raises(UserError, match="not found"):
        resolve_universe(store, dd, "@/no/such/file.txt")


def test_trailing_cut_keeps_everything_before_the_cut():
    from equity_factors.data.panel import trailing_cut

    prices = pd.DataFrame(np.ones((10, 4)))
    prices.iloc[7:, 1:] = np.nan  # only column 0 trades on the last 3 days
    assert trailing_cut(prices) == 7
    prices.iloc[8, 1] = 1.0  # 2 of 4 on day 8 is half the usual count: kept
    assert trailing_cut(prices) == 9
    assert trailing_cut(pd.DataFrame(np.ones((5, 3)))) == 5
    assert trailing_cut(pd.DataFrame(np.empty((0, 2)))) == 0
