"""Extreme alerts on hand-built factor series with known answers; point in time; half-life."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.signals.extremes import (
    ExtremesConfig,
    extreme_alerts,
    factor_levels,
    half_life,
)

N = 600
SPIKES = [300, 340, 380, 420, 460, 500, 540, 570, 589, 592]  # +5%; and +3% on the last day


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Three factors on a deterministic background whose |z| never reaches 2.

    The background 0.002 sin(0.7 t) has |z| <= sqrt(2) in any window, so the only extreme days
    are the planted spikes (+5%, and +3% on the last day, t = 599). ``rev`` gives each spike
    back the next day (mean reversion), ``cont`` adds +2% the next day (continuation), ``calm``
    has no spikes. Spikes are >= 30 days apart except 589/592: the 10-day outcome of 589 ends
    on the last day and is still clearly reverted (rev) or continued (cont).
    """
    t = np.arange(N)
    base = 0.002 * np.sin(0.7 * t)
    rev, cont = base.copy(), base.copy()
    for p in SPIKES:
        rev[p] += 0.05
        cont[p] += 0.05
        if p + 1 < N:
            rev[p + 1] -= 0.05
            cont[p + 1] += 0.02
    rev[N - 1] += 0.03
    cont[N - 1] += 0.03
    idx = pd.bdate_range("2020-01-01", periods=N)
    return pd.DataFrame({"rev": rev, "cont": cont, "calm": base}, index=idx)


def _alert(result, factor: str, kind: str) -> pd.Series:
    rows = result.alerts[(result.alerts["factor"] == factor) & (result.alerts["kind"] == kind)]
    assert len(rows) == 1, result.alerts
    return rows.iloc[0]


def test_spike_alerts_and_hit_rates(panel):
    res = extreme_alerts(panel, 2.0, trade=True)
    assert res.as_of == panel.index[-1]
    rev = _alert(res, "rev", "return")
    cont = _alert(res, "cont", "return")
    # past spikes with a known 10-day outcome at t = 599: 300..570 and 589 (589 + 10 = 599,
    # "on or before" the evaluation date); 592 is still open and 599 is the current alert.
    assert rev["n_events"] == 9 and cont["n_events"] == 9
    assert rev["hit_rate"] == 1.0  # every spike was given back
    assert cont["hit_rate"] == 0.0  # every spike was followed by +2%
    assert rev["mean_reversion"] > 0.03 and cont["mean_reversion"] < -0.01
    assert rev["direction"] == "high" and rev["zscore"] > 2
    # trade rule: SELL after a high z; half-Kelly min(0.10, p - 1/2) = 0.10 with p = 1, 0 with p = 0
    assert rev["action"] == "SELL" and rev["size"] == pytest.approx(0.10)
    assert cont["action"] == "SELL" and cont["size"] == 0.0
    hl = res.zscores.loc["rev", "half_life"]
    assert rev["holding_days"] == int(np.clip(round(hl), 1, 63))
    assert not (res.alerts["factor"] == "calm").any()
    assert list(res.alerts["zscore"].abs()) == sorted(res.alerts["zscore"].abs(), reverse=True)


def test_open_event_is_excluded_until_its_horizon_ends(panel):
    # judged on t = 592 (its spike is the current alert), 589 is still open (589 + 10 > 592):
    # only the 8 spikes 300..570 count
    res = extreme_alerts(panel, 2.0, as_of=panel.index[592])
    assert _alert(res, "rev", "return")["n_events"] == 8
    # a quiet day raises no return alert
    res = extreme_alerts(panel, 2.0, as_of=panel.index[598])
    assert not (res.alerts["kind"] == "return").any()


def test_low_alert_is_a_buy(panel):
    flipped = -panel
    res = extreme_alerts(flipped, 2.0, trade=True)
    row = _alert(res, "rev", "return")
    assert row["direction"] == "low" and row["action"] == "BUY"
    assert row["hit_rate"] == 1.0


def test_sizes_need_enough_events(panel):
    cfg = ExtremesConfig(min_events=10)
    res = extreme_alerts(panel, 2.0, trade=True, config=cfg)
    assert _alert(res, "rev", "return")["size"] == 0.0


def test_no_trade_columns_without_trade(panel):
    res = extreme_alerts(panel, 2.0)
    assert "action" not in res.alerts.columns
    assert set(res.zscores.index) == {"rev", "cont", "calm"}


def test_half_life_exact_cases():
    # d_t = 0.5^t: OLS slope exactly 0.5 -> half-life -ln2/ln0.5 = 1
    hl, phi = half_life(0.5 ** np.arange(40.0))
    assert phi == pytest.approx(0.5) and hl == pytest.approx(1.0)
    hl, phi = half_life(np.arange(40.0))  # a trend: phi = 1, never reverts
    assert phi == pytest.approx(1.0) and math.isinf(hl)
    hl, phi = half_life((-1.0) ** np.arange(40))  # flips every day
    assert phi == pytest.approx(-1.0) and hl == 0.0
    hl, _ = half_life(np.arange(5.0))
    assert math.isnan(hl)


def test_half_life_recovers_ar1():
    rng = np.random.default_rng(7)
    phi, n = 0.9, 4000
    level = np.zeros(n)
    for t in range(1, n):
        level[t] = phi * level[t - 1] + 0.01 * rng.standard_normal()
    true_hl = -math.log(2) / math.log(phi)  # 6.58 days
    hl, est = half_life(level)
    assert est == pytest.approx(phi, abs=0.02)
    assert hl == pytest.approx(true_hl, rel=0.2)
    # through the alert pipeline: deviation of the log level from its 63-day mean
    returns = pd.DataFrame({"f": np.expm1(np.diff(level))},
                           index=pd.bdate_range("2001-01-01", periods=n - 1))
    res = extreme_alerts(returns, 2.0)
    assert res.zscores.loc["f", "half_life"] == pytest.approx(true_hl, rel=0.3)


def test_factor_levels_leading_and_interior_nan():
    r = pd.DataFrame({"a": [np.nan, 0.1, np.nan, -0.5]})
    lv = factor_levels(r)["a"]
    assert np.isnan(lv.iloc[0])
    np.testing.assert_allclose(lv.iloc[1:], np.log([1.1, 1.1, 0.55]))


@settings(max_examples=15, deadline=None)
@given(cut=st.integers(300, 420), seed=st.integers(0, 1000))
def test_point_in_time(cut, seed):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2015-01-01", periods=450)
    data = pd.DataFrame(np.clip(rng.standard_t(3, (450, 3)) * 0.01, -0.5, 0.5), index=idx,
                        columns=["a", "b", "c"])
    altered = data.copy()
    altered.iloc[cut + 1:] = rng.standard_normal((450 - cut - 1, 3)) * 0.05
    a = extreme_alerts(data, 1.5, trade=True, as_of=idx[cut])
    b = extreme_alerts(altered, 1.5, trade=True, as_of=idx[cut])
    c = extreme_alerts(data.iloc[: cut + 1], 1.5, trade=True)
    pd.testing.assert_frame_equal(a.alerts, b.alerts)
    pd.testing.assert_frame_equal(a.alerts, c.alerts)
    pd.testing.assert_frame_equal(a.zscores, b.zscores)


def test_bad_input():
    idx = pd.bdate_range("2020-01-01", periods=100)
    df = pd.DataFrame({"a": np.linspace(-0.01, 0.01, 100)}, index=idx)
    with pytest.raises(UserError, match="fewer than the z-score window"):
        extreme_alerts(df)
    with pytest.raises(UserError, match="threshold"):
        extreme_alerts(df, 0.0)
    with pytest.raises(UserError, match="DataFrame"):
        extreme_alerts(df["a"])
    with pytest.raises(UserError, match="as_of"):
        extreme_alerts(df, as_of="1990-01-01")
    with pytest.raises(UserError, match="level_window"):
        extreme_alerts(df, config=ExtremesConfig(level_window=1))
    with pytest.raises(UserError, match="-100%"):
        factor_levels(pd.DataFrame({"a": [0.1, -1.0]}))
