"""Indicators against TA-Lib's published/computed values and naive loop re-implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.signals.indicators import (
    adx,
    adx_close_only,
    ema,
    lookback,
    macd,
    rsi,
    zscore,
)

TOL = 1e-8
_EPS = 1e-14  # TA-Lib TA_IS_ZERO


# ----------------------------------------------------------------------------- naive oracles
# Straight transcriptions of TA-Lib's C loops (ta_EMA.c, ta_RSI.c, ta_MACD.c, ta_ADX.c,
# ta_PLUS_DI.c) on a NaN-free array, one bar at a time.
def naive_ema(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    k = 2.0 / (n + 1)
    prev = sum(x[:n]) / n
    out[n - 1] = prev
    for t in range(n, len(x)):
        prev = (x[t] - prev) * k + prev
        out[t] = prev
    return out


def naive_rsi(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    if len(x) < n + 1:
        return out
    gain = loss = 0.0
    for t in range(1, n + 1):
        d = x[t] - x[t - 1]
        if d < 0:
            loss -= d
        else:
            gain += d
    gain /= n
    loss /= n
    out[n] = 0.0 if abs(gain + loss) < _EPS else 100.0 * gain / (gain + loss)
    for t in range(n + 1, len(x)):
        d = x[t] - x[t - 1]
        gain *= n - 1
        loss *= n - 1
        if d < 0:
            loss -= d
        else:
            gain += d
        gain /= n
        loss /= n
        out[t] = 0.0 if abs(gain + loss) < _EPS else 100.0 * gain / (gain + loss)
    return out


def naive_macd(x: np.ndarray, fast: int, slow: int, signal: int) -> np.ndarray:
    if slow < fast:
        fast, slow = slow, fast
    n = len(x)
    out = np.full((n, 3), np.nan)
    first = slow - 1 + signal - 1
    if n <= first:
        return out
    kf, ks = 2.0 / (fast + 1), 2.0 / (slow + 1)
    ef = sum(x[slow - fast:slow]) / fast
    es = sum(x[:slow]) / slow
    line = [ef - es]
    for t in range(slow, n):
        ef = (x[t] - ef) * kf + ef
        es = (x[t] - es) * ks + es
        line.append(ef - es)
    line_arr = np.array(line)  # bars slow-1 .. n-1
    sig = naive_ema(line_arr, signal)
    for j in range(signal - 1, len(line_arr)):
        t = slow - 1 + j
        out[t] = [line_arr[j], sig[j], line_arr[j] - sig[j]]
    return out


def naive_adx(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    """Columns adx, plus_di, minus_di; TA-Lib's loops with S <- S - S/n + x."""
    m = len(c)
    out = np.full((m, 3), np.nan)
    if m <= n:
        return out

    def bar(t: int) -> tuple[float, float, float]:
        up = h[t] - h[t - 1]
        dn = lo[t - 1] - lo[t]
        pdm = mdm = 0.0
        if dn > 0 and up < dn:
            mdm = dn
        elif up > 0 and up > dn:
            pdm = up
        tr = max(h[t] - lo[t], abs(h[t] - c[t - 1]), abs(lo[t] - c[t - 1]))
        return pdm, mdm, tr

    sp = sm = st_ = 0.0
    for t in range(1, n):
        pdm, mdm, tr = bar(t)
        sp += pdm
        sm += mdm
        st_ += tr
    dx_list: list[tuple[int, float | None]] = []
    for t in range(n, m):
        pdm, mdm, tr = bar(t)
        sp = sp - sp / n + pdm
        sm = sm - sm / n + mdm
        st_ = st_ - st_ / n + tr
        if abs(st_) < _EPS:
            pdi = mdi = 0.0
            dx = None
        else:
            pdi = 100.0 * sp / st_
            mdi = 100.0 * sm / st_
            dx = None if abs(pdi + mdi) < _EPS else 100.0 * abs(pdi - mdi) / (pdi + mdi)
        out[t, 1] = pdi
        out[t, 2] = mdi
        dx_list.append((t, dx))
    if m < 2 * n:
        return out
    total = sum(d for _, d in dx_list[:n] if d is not None)
    prev = total / n
    out[2 * n - 1, 0] = prev
    for t, d in dx_list[n:]:
        if d is not None:
            prev = (prev * (n - 1) + d) / n
        out[t, 0] = prev
    return out


def naive_zscore(x: np.ndarray, w: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    for t in range(w - 1, len(x)):
        win = x[t - w + 1:t + 1]
        if win.max() == win.min():
            continue  # constant window: NaN
        out[t] = (x[t] - win.mean()) / np.std(win, ddof=1)
    return out


def with_prefix(values: np.ndarray, prefix: int) -> np.ndarray:
    return np.concatenate([np.full(prefix, np.nan), values])


def naive_prefixed(func, x: np.ndarray, prefix: int, *args) -> np.ndarray:
    """Run a naive oracle on the valid part and re-insert the leading NaN rows."""
    res = func(x, *args)
    pad = np.full((prefix,) + res.shape[1:], np.nan)
    return np.concatenate([pad, res])


# ----------------------------------------------------------------------------- fixture values
@pytest.fixture(scope="module")
def fixture_bars() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # docs/indicators.md "The fixture" (TA-Lib C 0.8.1 through the ta-lib 0.8.2 wheel)
    t = np.arange(60, dtype=float)
    close = 100 + 10 * np.sin(0.3 * t) + 0.2 * t
    high = close + 1 + 0.5 * np.cos(0.7 * t)
    low = close - 1 - 0.5 * np.sin(0.5 * t)
    return high, low, close


def test_rsi_fixture(fixture_bars):
    _, _, close = fixture_bars
    out = rsi(close, 14)
    assert np.isnan(out[:14]).all()
    assert out[14] == pytest.approx(39.38521774799171, abs=TOL)
    assert out[59] == pytest.approx(39.312581350434264, abs=TOL)


def test_macd_fixture(fixture_bars):
    _, _, close = fixture_bars
    out = macd(close)
    assert out.iloc[:33].isna().all().all()
    assert out.notna().iloc[33:].all().all()
    np.testing.assert_allclose(
        out.iloc[33].to_numpy(),
        [0.42359001207461233, 0.45487854903933883, -0.0312885369647265], atol=TOL)
    np.testing.assert_allclose(
        out.iloc[59].to_numpy(),
        [-1.149631815234116, 0.48158011905817777, -1.6312119342922937], atol=TOL)


def test_macd_is_not_plain_ema_difference(fixture_bars):
    # docs/indicators.md (macd): talib.MACD - (EMA12 - EMA26) = -1.03 at bar 33 (aligned seeds)
    _, _, close = fixture_bars
    plain = ema(close, 12) - ema(close, 26)
    assert macd(close)["macd"][33] - plain[33] == pytest.approx(-1.03, abs=0.01)


def test_adx_fixture(fixture_bars):
    high, low, close = fixture_bars
    out = adx(high, low, close, 14)
    assert out["adx"].iloc[:27].isna().all() and not np.isnan(out["adx"][27])
    assert out["plus_di"].iloc[:14].isna().all() and not np.isnan(out["plus_di"][14])
    assert out["adx"][27] == pytest.approx(28.150422029057857, abs=TOL)
    assert out["adx"][59] == pytest.approx(24.658797759967484, abs=TOL)
    assert out["plus_di"][14] == pytest.approx(24.73419041274961, abs=TOL)
    assert out["minus_di"][14] == pytest.approx(41.869730957395994, abs=TOL)
    assert out["plus_di"][59] == pytest.approx(23.545572762178534, abs=TOL)
    assert out["minus_di"][59] == pytest.approx(36.883394633661474, abs=TOL)


def test_rsi_talib_python_vector():
    # ta-lib-python tests/test_func.py::test_RSI (quoted in docs/indicators.md, rsi)
    x = np.full(20, 2.4e-7)
    x[[5, 10, 12, 14, 17, 18, 19]] = 2.3e-7
    expected = [33.3333333333, 51.3513513514, 39.4919168591, 51.8480702471, 42.2595380319,
                52.1018244051, 52.1018244051, 43.0436648677, 43.0436648677, 43.0436648677]
    for scale in (1.0, 1e5):  # "scaling by 1e5 changes nothing"
        out = rsi(x * scale, 10)
        assert np.isnan(out[:10]).all()
        np.testing.assert_allclose(out[10:], expected, atol=1e-8)


def test_ema_arange():
    # ta-lib-python test: EMA(arange(10), 3) -> [nan, nan, 1, 2, ..., 8]
    out = ema(np.arange(10, dtype=float), 3)
    np.testing.assert_allclose(out, [np.nan, np.nan, 1, 2, 3, 4, 5, 6, 7, 8], atol=1e-12)


def test_rsi_is_zero_on_flat_series():
    # TA-Lib: RSI = 0 (not 50, not NaN) when AG + AL = 0
    out = rsi(np.full(30, 5.0), 14)
    assert np.isnan(out[:14]).all()
    assert (out[14:] == 0.0).all()


def test_lookbacks():
    assert lookback("ema", 10) == 9
    assert lookback("rsi", 14) == 14
    assert lookback("macd") == 33
    assert lookback("adx", 14) == 27
    assert lookback("plus_di", 14) == 14
    with pytest.raises(UserError, match="valid"):
        lookback("stoch")


# ----------------------------------------------------------------------------- naive loops
def _random_bars(seed: int, n: int, flat: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.standard_normal(n))
    high = close + np.abs(rng.standard_normal(n))
    low = close - np.abs(rng.standard_normal(n))
    if flat and n > 40:
        # a flat stretch: TR = 0, undefined DX, RSI from equal averages
        close[20:40] = close[20]
        high[20:40] = close[20]
        low[20:40] = close[20]
    return high, low, close


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), window=st.integers(2, 20),
       prefix=st.integers(0, 6), flat=st.booleans())
def test_single_series_indicators_match_naive_loops(seed, n, window, prefix, flat):
    _, _, close = _random_bars(seed, n, flat)
    x = with_prefix(close, prefix)
    np.testing.assert_allclose(ema(x, window), naive_prefixed(naive_ema, close, prefix, window),
                               atol=TOL, rtol=0)
    np.testing.assert_allclose(rsi(x, window), naive_prefixed(naive_rsi, close, prefix, window),
                               atol=TOL, rtol=0)
    np.testing.assert_allclose(zscore(x, window),
                               naive_prefixed(naive_zscore, close, prefix, window),
                               atol=TOL, rtol=0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), fast=st.integers(2, 15),
       slow=st.integers(2, 30), signal=st.integers(2, 12), prefix=st.integers(0, 6))
def test_macd_matches_naive_loop(seed, n, fast, slow, signal, prefix):
    _, _, close = _random_bars(seed, n, False)
    got = macd(with_prefix(close, prefix), fast, slow, signal).to_numpy()
    want = naive_prefixed(naive_macd, close, prefix, fast, slow, signal)
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), window=st.integers(2, 20),
       prefix=st.integers(0, 6), flat=st.booleans())
def test_adx_matches_naive_loop(seed, n, window, prefix, flat):
    high, low, close = _random_bars(seed, n, flat)
    got = adx(with_prefix(high, prefix), with_prefix(low, prefix), with_prefix(close, prefix),
              window).to_numpy()
    want = naive_prefixed(naive_adx, high, prefix, low, close, window)
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


def test_adx_close_only_definition():
    rng = np.random.default_rng(3)
    close = 50 + np.cumsum(rng.standard_normal(200))
    prev = np.concatenate([[close[0]], close[:-1]])
    want = naive_adx(np.maximum(close, prev), np.minimum(close, prev), close, 14)
    got = adx_close_only(pd.Series(close), 14).to_numpy()
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


def test_adx_close_only_straight_line_is_a_pure_trend():
    # rising line: +DM = TR = 1 every bar, -DM = 0 -> +DI = 100, -DI = 0, DX = ADX = 100
    out = adx_close_only(np.arange(100, 160, dtype=float), 14)
    np.testing.assert_allclose(out["plus_di"].iloc[14:], 100.0, atol=1e-10)
    np.testing.assert_allclose(out["minus_di"].iloc[14:], 0.0, atol=1e-10)
    np.testing.assert_allclose(out["adx"].iloc[27:], 100.0, atol=1e-10)


def test_leading_nan_shift_and_series_index():
    idx = pd.date_range("2024-01-01", periods=40, freq="B")
    values = np.concatenate([[np.nan] * 5, np.linspace(1, 2, 35) + np.sin(np.arange(35))])
    s = pd.Series(values, index=idx)
    out = rsi(s, 14)
    assert isinstance(out, pd.Series) and out.index.equals(idx)
    assert out.iloc[:19].isna().all() and out.iloc[19:].notna().all()
    np.testing.assert_allclose(out.iloc[5:].to_numpy(), rsi(values[5:], 14), atol=0)


def test_short_input_gives_all_nan():
    x = np.arange(20, dtype=float)
    assert np.isnan(rsi(x, 20)).all()
    assert macd(x).isna().all().all()
    assert adx(x + 1, x - 1, x, 20).isna().all().all()  # DI need 21 bars
    short = adx(x[:19] + 1, x[:19] - 1, x[:19], 10)  # ADX needs 2n = 20 bars
    assert short["adx"].isna().all() and short["plus_di"].iloc[10:].notna().all()
    assert np.isnan(zscore(x, 21)).all()
    assert np.isnan(ema(np.full(5, np.nan), 3)).all()
    assert adx_close_only(np.full(5, np.nan), 3).isna().all().all()


def test_bad_input_raises():
    x = np.arange(30, dtype=float)
    for func in (ema, rsi, zscore):
        with pytest.raises(UserError, match=">= 2"):
            func(x, 1)
    with pytest.raises(UserError, match=">= 2"):
        macd(x, 12, 26, 1)
    with pytest.raises(UserError, match=">= 2"):
        adx(x, x, x, 1)
    gap = x.copy()
    gap[10] = np.nan
    with pytest.raises(UserError, match="position 10"):
        rsi(gap, 5)
    with pytest.raises(UserError, match="same length"):
        adx(x, x[:-1], x, 5)


def test_macd_swaps_fast_and_slow():
    _, _, close = _random_bars(1, 80, False)
    pd.testing.assert_frame_equal(macd(close, 26, 12, 9), macd(close, 12, 26, 9))


def test_zscore_includes_current_value():
    # window [1, 2, 3]: mean 2, std 1 -> z = 1; bound (w-1)/sqrt(w) holds
    out = zscore(np.array([1.0, 2.0, 3.0, 3.0, 3.0, 3.0]), 3)
    assert out[2] == pytest.approx(1.0)
    assert np.isnan(out[5])  # constant window
    rng = np.random.default_rng(0)
    z = zscore(rng.standard_normal(500), 10)
    assert np.nanmax(np.abs(z)) <= 9 / np.sqrt(10) + 1e-12
