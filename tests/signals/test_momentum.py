"""Momentum states and the combined signal on hand-built series with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.signals.momentum import MomentumConfig, momentum_signals, select_factor

IDX = pd.bdate_range("2020-01-01", periods=200)
NO_TREND = MomentumConfig(weak_trend=99.0, strong_trend=100.0)  # ADX never counts


def test_steady_rise_states_and_score():
    res = momentum_signals(pd.Series(0.005, index=IDX, name="F1"))
    s = res.state
    assert res.factor == "F1"
    # no losing day: RSI = 100; +DM = TR every bar: +DI = ADX = 100, -DI = 0
    assert s["rsi"] == pytest.approx(100.0) and s["rsi_state"] == "overbought"
    assert s["adx"] == pytest.approx(100.0) and s["adx_state"] == "strong trend"
    assert s["trend_direction"] == "up" and s["minus_di"] == pytest.approx(0.0)
    # the log level is a straight line: z of the last of 63 points = 31 / sqrt(63 * 64 / 12)
    z = 31 / math.sqrt(63 * 64 / 12)
    assert s["zscore"] == pytest.approx(z, abs=1e-9) and s["zscore_state"] == "normal"
    # exponential growth: MACD keeps rising above its signal line, no crossover
    assert s["macd_state"] == "above signal" and s["crossover_days_ago"] is None
    # rule: trend = +1 (MACD up, ADX >= 25); reversion = (-1 + -z/2) / 2
    expected = (1.0 + (-1.0 - z / 2) / 2) / 2
    assert s["score"] == pytest.approx(expected, abs=1e-9)
    assert res.signal == "HOLD"  # 0.039 < 0.25
    assert list(res.summary().index) == ["RSI", "MACD", "ADX", "Z-score", "Combined"]


def _quiet_then(last: list[float]) -> pd.Series:
    t = np.arange(len(IDX))
    r = 0.002 * np.sin(0.7 * t)
    r[-len(last):] = last
    return pd.Series(r, index=IDX)


def test_sharp_drop_is_oversold_buy():
    # four -2% days after a quiet stretch: losses dominate Wilder averages (RSI < 30) and the log
    # level is far below its 63-day range (z < -2): reversion = +1; trend disabled -> score 0.5
    res = momentum_signals(_quiet_then([-0.02] * 4), config=NO_TREND)
    assert res.state["rsi_state"] == "oversold"
    assert res.state["zscore_state"] == "extreme low"
    assert res.state["trend_direction"] == "down"
    assert res.score == pytest.approx(0.5) and res.signal == "BUY"


def test_sharp_rise_is_overbought_sell():
    res = momentum_signals(_quiet_then([0.02] * 4), config=NO_TREND)
    assert res.state["rsi_state"] == "overbought"
    assert res.state["zscore_state"] == "extreme high"
    assert res.score == pytest.approx(-0.5) and res.signal == "SELL"


def test_recent_bearish_crossover():
    r = pd.Series(0.005, index=IDX)
    r.iloc[-3:] = -0.03  # a rising trend breaks for the last 3 days
    res = momentum_signals(r)
    hist = res.indicators["macd_hist"]
    assert (hist.iloc[33:-3] > 0).all() and hist.iloc[-1] < 0
    # the first -3% day pulls the fast EMA below the slow one by far more than the previous
    # histogram (0.0017): the cross happens on that day, 2 bars before the last
    assert hist.iloc[-3] < 0
    assert res.state["macd_state"] == "bearish crossover"
    assert res.state["crossover_days_ago"] == 2
    # "recent" = on one of the last crossover_days bars, today included
    assert momentum_signals(r, config=MomentumConfig(crossover_days=3)).state[
        "macd_state"] == "bearish crossover"
    assert momentum_signals(r, config=MomentumConfig(crossover_days=2)).state[
        "macd_state"] == "below signal"


def test_indicator_frame_warmup_and_columns():
    res = momentum_signals(pd.Series(np.random.default_rng(0).normal(0, 0.01, 200), index=IDX))
    frame = res.indicators
    assert list(frame.columns) == ["level", "rsi", "macd", "macd_signal", "macd_hist", "adx",
                                   "plus_di", "minus_di", "zscore", "trend", "reversion",
                                   "score", "signal"]
    assert frame["score"].iloc[:62].isna().all()  # z-score of 63 days is the longest warm-up
    assert frame["score"].iloc[62:].notna().all()
    assert frame["score"].abs().max() <= 1.0
    assert set(frame["signal"].dropna()) <= {"BUY", "SELL", "HOLD"}


def test_leading_nan_shifts_warmup_and_gaps_count_as_zero():
    rng = np.random.default_rng(1)
    r = pd.Series(rng.normal(0, 0.01, 200), index=IDX)
    late = r.copy()
    late.iloc[:20] = np.nan  # the factor starts on day 20
    a = momentum_signals(late).indicators
    b = momentum_signals(r.iloc[20:]).indicators
    assert a.iloc[:20].drop(columns="signal").isna().all().all()
    pd.testing.assert_frame_equal(a.iloc[20:], b)
    gap = r.copy()
    gap.iloc[100] = np.nan
    zero = r.copy()
    zero.iloc[100] = 0.0
    pd.testing.assert_frame_equal(momentum_signals(gap).indicators,
                                  momentum_signals(zero).indicators)


@settings(max_examples=10, deadline=None)
@given(cut=st.integers(100, 180), seed=st.integers(0, 1000))
def test_point_in_time(cut, seed):
    rng = np.random.default_rng(seed)
    r = pd.Series(rng.normal(0, 0.01, 200), index=IDX)
    altered = r.copy()
    altered.iloc[cut + 1:] = rng.normal(0.01, 0.03, 200 - cut - 1)
    a = momentum_signals(r).indicators.iloc[: cut + 1]
    b = momentum_signals(altered).indicators.iloc[: cut + 1]
    pd.testing.assert_frame_equal(a, b)


def test_select_factor():
    df = pd.DataFrame({"F1": [0.1], "F2": [0.2]})
    names = {"F1": "Market", "F2": "Small-Cap Value"}
    assert select_factor(df, "f2").name == "F2"
    assert select_factor(df, "small-cap value", names).name == "F2"
    with pytest.raises(UserError, match="unknown factor 'F9'.*F1, F2"):
        select_factor(df, "F9", names)


def test_bad_input():
    with pytest.raises(UserError, match="fewer than the 63"):
        momentum_signals(pd.Series(0.01, index=IDX[:50]))
    with pytest.raises(UserError, match="constant"):
        momentum_signals(pd.Series(0.0, index=IDX))
    with pytest.raises(UserError, match="one factor"):
        momentum_signals(pd.DataFrame({"a": 0.01, "b": 0.02}, index=IDX))
    with pytest.raises(UserError, match="oversold < overbought"):
        momentum_signals(pd.Series(0.01, index=IDX), config=MomentumConfig(oversold=80))
