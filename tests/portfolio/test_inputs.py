"""Tests for portfolio.inputs: last close and ADV are point in time and match naive loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.errors import UserError
from equity_factors.portfolio import (
    BasketSpec,
    average_dollar_volume,
    build_basket,
    composite_scores,
    last_close,
)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2024-01-01", periods=60)
    syms = [f"S{i}" for i in range(12)]
    close = pd.DataFrame(np.exp(np.cumsum(rng.normal(0, 0.02, (60, 12)), axis=0)) * 50,
                         index=dates, columns=syms)
    volume = pd.DataFrame(rng.integers(1_000, 100_000, (60, 12)).astype(float),
                          index=dates, columns=syms)
    close.iloc[40:, 3] = np.nan        # S3 stops trading on day 40
    volume.iloc[:, 5] = np.nan         # S5 has no volume at all
    volume.iloc[30:38, 6] = np.nan     # S6 has a gap
    return close, volume


def test_last_close_and_adv_match_naive_loops(panel):
    close, volume = panel
    as_of = close.index[49]
    lc = last_close(close, as_of)
    adv = average_dollar_volume(close, volume, as_of, window=20, min_periods=5)
    for s in close.columns:  # oracle: walk back / average by hand
        col = [close.at[d, s] for d in close.index if d <= as_of]
        known = [v for v in col if np.isfinite(v)]
        assert lc[s] == pytest.approx(known[-1])
        rows = [d for d in close.index if d <= as_of][-20:]
        dv = [close.at[d, s] * volume.at[d, s] for d in rows
              if np.isfinite(close.at[d, s]) and np.isfinite(volume.at[d, s])]
        if len(dv) >= 5:
            assert adv[s] == pytest.approx(sum(dv) / len(dv))
        else:
            assert np.isnan(adv[s])
    assert np.isnan(adv["S5"])  # unknown, not zero
    # a stale price can be declared unknown
    assert np.isnan(last_close(close, as_of, max_stale_days=5)["S3"])
    assert np.isfinite(last_close(close, as_of, max_stale_days=5)["S4"])


def test_inputs_reject_bad_requests(panel):
    close, volume = panel
    with pytest.raises(UserError, match="before the first date"):
        last_close(close, "1990-01-01")
    with pytest.raises(UserError, match="window"):
        average_dollar_volume(close, volume, window=0)
    with pytest.raises(UserError, match="DatetimeIndex"):
        last_close(close.reset_index(drop=True))


def test_basket_is_point_in_time(panel):
    # Build a basket at as_of from the panel; rewrite every number after as_of: nothing changes.
    close, volume = panel
    as_of = close.index[45]
    rng = np.random.default_rng(0)
    w = pd.DataFrame(rng.normal(size=(12, 2)), index=close.columns, columns=["F1", "F2"])
    comp = composite_scores(w / w.abs().sum(), pd.Series({"F1": 0.6, "F2": -0.4}))
    spec = BasketSpec(long_pct=0.25, short_pct=0.25, capital=1e5, net_exposure=0.0,
                      min_adv=1e5)

    def run(c, v):
        return build_basket(comp, spec, last_close(c, as_of),
                            adv=average_dollar_volume(c, v, as_of)).positions

    before = run(close, volume)
    later = close.index > as_of
    c2, v2 = close.copy(), volume.copy()
    c2.loc[later] = c2.loc[later] * 3.0 + 1.0
    v2.loc[later] = 0.0
    pd.testing.assert_frame_equal(before, run(c2, v2))
    # and the test can fail: changing the as_of row itself does change the basket
    c3 = close.copy()
    c3.loc[as_of] = c3.loc[as_of] * 2.0
    assert not before["shares"].equals(run(c3, volume)["shares"])
