"""Technical indicators (EMA, RSI, MACD, ADX, rolling z-score) matching TA-Lib's conventions.

Every function is vectorized (the Wilder/EMA recursions run through :func:`scipy.signal.lfilter`)
and reproduces TA-Lib's default-compatibility output with unstable period 0: same seeds, same
lookback (number of leading NaN), same zero-division rules. TA-Lib itself is not needed.

Conventions shared by all functions
-----------------------------------
* Input: a pandas Series (output keeps its index) or a 1-D array-like (output is a NumPy array,
  or a DataFrame with a RangeIndex for the multi-output functions).
* Leading NaN shift the warm-up: the indicator is computed on the series from its first valid
  value on, exactly as TA-Lib would on that sub-array, and the leading positions stay NaN.
* Interior NaN (a NaN after the first valid value) raise :class:`~equity_factors.errors.UserError`:
  a recursion cannot skip a bar without inventing a value, so the caller decides (``ffill`` a
  price level, ``fillna(0)`` a return) before calling.
* A series too short for the warm-up gives an all-NaN output (as TA-Lib); a window < 2 raises
  :class:`~equity_factors.errors.UserError`.
* TA-Lib's zero test ``TA_IS_ZERO`` (|v| < 1e-14, current TA-Lib) decides the 0-division cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from equity_factors.errors import UserError

__all__ = [
    "ema",
    "rsi",
    "macd",
    "adx",
    "adx_close_only",
    "zscore",
    "lookback",
]

_TA_EPSILON = 1e-14  # TA-Lib's TA_IS_ZERO threshold (ta_utility.h, TA_EPSILON)


# ----------------------------------------------------------------------------- helpers
def _check_window(name: str, window: Any) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
        raise UserError(f"{name} must be an integer >= 2, got {window!r}; pass a whole number")
    if window < 2:
        raise UserError(f"{name} must be >= 2, got {window}; use a longer window")
    return int(window)


def _as_1d(series: Any, name: str = "series") -> tuple[np.ndarray, pd.Index | None]:
    """Float array and index (None for non-pandas input)."""
    if isinstance(series, pd.DataFrame):
        raise UserError(f"{name} must be one column (a Series), got a DataFrame; select a column")
    index = series.index if isinstance(series, pd.Series) else None
    values = np.asarray(series, dtype=float)
    if values.ndim != 1:
        raise UserError(f"{name} must be 1-D, got shape {values.shape}; pass one series")
    return values, index


def _first_valid(values: np.ndarray, name: str, func: str) -> int:
    """Position of the first non-NaN value (len if none); raise on interior NaN."""
    isnan = np.isnan(values)
    if isnan.all():
        return len(values)
    start = int(np.argmax(~isnan))
    if isnan[start:].any():
        bad = start + int(np.argmax(isnan[start:]))
        raise UserError(
            f"{name} has a NaN at position {bad} after its first valid value; fill or drop "
            f"interior NaN (e.g. .ffill() for a level) before computing {func}"
        )
    return start


def _recursive_mean(seed: float, x: np.ndarray, alpha: float) -> np.ndarray:
    """``y_t = y_{t-1} + alpha (x_t - y_{t-1})`` with ``y_{-1} = seed``, for t = 0..len(x)-1."""
    if len(x) == 0:
        return np.empty(0)
    from scipy.signal import lfilter  # here: importing scipy.signal takes over a second

    b = np.array([alpha])
    a = np.array([1.0, -(1.0 - alpha)])
    y, _ = lfilter(b, a, x, zi=np.array([(1.0 - alpha) * seed]))
    return y


def _ema_core(x: np.ndarray, n: int) -> np.ndarray:
    """TA-Lib EMA on a NaN-free array: seed = mean x[0:n] at n-1, k = 2/(n+1)."""
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    seed = x[:n].mean()
    out[n - 1] = seed
    out[n:] = _recursive_mean(seed, x[n:], 2.0 / (n + 1))
    return out


def _rolling_z(v: np.ndarray, w: int, chunk: int = 4096) -> np.ndarray:
    """Two-pass z-score of the last value of every length-``w`` window (exact 0 std -> NaN).

    Sliding windows are processed in chunks of rows so memory stays ``O(chunk * w)``; an online
    rolling variance leaves round-off (not 0) on a constant window after a varying one, and a
    finite z of 0/1e-17 would be noise.
    """
    windows = np.lib.stride_tricks.sliding_window_view(v, w)
    out = np.empty(len(windows))
    for lo in range(0, len(windows), chunk):
        block = windows[lo:lo + chunk]
        mean = block.mean(axis=1)
        std = block.std(axis=1, ddof=1)
        # constant window (max == min) -> NaN; its computed std can be 1 ulp, not 0
        flat = block.max(axis=1) == block.min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[lo:lo + chunk] = np.where(flat, np.nan, (block[:, -1] - mean) / std)
    return out


def _wrap(values: np.ndarray, index: pd.Index | None, name: str | None) -> Any:
    if index is None:
        return values
    return pd.Series(values, index=index, name=name)


def _wrap_frame(columns: dict[str, np.ndarray], index: pd.Index | None) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    if index is not None:
        frame.index = index
    return frame


# ----------------------------------------------------------------------------- indicators
def lookback(indicator: str, window: int = 14, *, fast: int = 12, slow: int = 26,
             signal: int = 9) -> int:
    """Number of leading NaN TA-Lib returns for ``indicator`` on a NaN-free input.

    ``ema``: n-1; ``rsi``: n; ``macd``: max(fast, slow)-1 + signal-1; ``adx``: 2n-1;
    ``plus_di``/``minus_di``: n; ``zscore``: n-1.
    """
    key = indicator.lower()
    if key == "macd":
        return max(fast, slow) - 1 + signal - 1
    table = {"ema": window - 1, "rsi": window, "adx": 2 * window - 1, "plus_di": window,
             "minus_di": window, "zscore": window - 1}
    if key not in table:
        raise UserError(f"unknown indicator {indicator!r}; valid: {', '.join([*table, 'macd'])}")
    return table[key]


def ema(series: Any, n: int) -> Any:
    """Exponential moving average as TA-Lib ``EMA``.

    ``k = 2/(n+1)``, ``e_t = e_{t-1} + k (x_t - e_{t-1})``, seeded with the simple mean of the first
    ``n`` valid values placed at position ``n-1`` (lookback ``n-1``).

    Parameters
    ----------
    series : Series or array-like of shape (n_obs,)
    n : int, >= 2

    Returns
    -------
    Series or ndarray of shape (n_obs,)
    """
    n = _check_window("n", n)
    x, index = _as_1d(series)
    start = _first_valid(x, "series", "ema")
    out = np.full(len(x), np.nan)
    out[start:] = _ema_core(x[start:], n)
    return _wrap(out, index, f"ema_{n}")


def rsi(series: Any, window: int = 14) -> Any:
    """Relative strength index with Wilder smoothing, as TA-Lib ``RSI``.

    ``d_t = x_t - x_{t-1}``; the first average gain/loss ``AG``/``AL`` are simple means of the
    gains/losses over ``d_1..d_n``; afterwards ``AG <- (AG (n-1) + gain_t) / n`` (same for AL).
    ``RSI = 100 AG / (AG + AL)``, and **0** when ``AG + AL`` is zero (TA-Lib, not 50).
    Lookback ``n``: the first value sits at position ``n`` of the valid data.

    Parameters
    ----------
    series : Series or array-like of shape (n_obs,)
        A price-like level (not returns).
    window : int, default 14

    Returns
    -------
    Series or ndarray of shape (n_obs,), values in [0, 100]
    """
    n = _check_window("window", window)
    x, index = _as_1d(series)
    start = _first_valid(x, "series", "rsi")
    out = np.full(len(x), np.nan)
    v = x[start:]
    if len(v) >= n + 1:
        d = np.diff(v)  # d[j] is the change into bar j+1
        gain = np.where(d > 0, d, 0.0)
        loss = np.where(d < 0, -d, 0.0)
        ag0, al0 = gain[:n].mean(), loss[:n].mean()
        ag = np.concatenate([[ag0], _recursive_mean(ag0, gain[n:], 1.0 / n)])
        al = np.concatenate([[al0], _recursive_mean(al0, loss[n:], 1.0 / n)])
        total = ag + al
        zero = np.abs(total) < _TA_EPSILON
        value = np.where(zero, 0.0, 100.0 * ag / np.where(zero, 1.0, total))
        out[start + n:] = value
    return _wrap(out, index, f"rsi_{n}")


def macd(series: Any, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """MACD line, signal line and histogram, as TA-Lib ``MACD``.

    ``fast``/``slow`` are swapped when ``slow < fast``. Both price EMAs are seeded with SMAs that
    **end on the same bar** ``slow-1``: slow = mean x[0:slow], fast = mean x[slow-fast:slow], so
    early values differ from ``EMA(fast) - EMA(slow)``. The signal line is the EMA(``signal``) of
    the MACD line from bar ``slow-1`` on (seed = mean of MACD bars ``slow-1 .. slow+signal-2``);
    ``hist = macd - signal``. All three start at bar ``slow-1 + signal-1`` (33 for 12/26/9).

    Parameters
    ----------
    series : Series or array-like of shape (n_obs,)
    fast, slow, signal : int, each >= 2

    Returns
    -------
    DataFrame of shape (n_obs, 3), columns ``macd``, ``signal``, ``hist``
    """
    fast = _check_window("fast", fast)
    slow = _check_window("slow", slow)
    signal = _check_window("signal", signal)
    if slow < fast:
        fast, slow = slow, fast
    x, index = _as_1d(series)
    start = _first_valid(x, "series", "macd")
    v = x[start:]
    line = np.full(len(x), np.nan)
    sig = np.full(len(x), np.nan)
    first = slow - 1 + signal - 1
    if len(v) > first:
        slow_ema = _ema_core(v, slow)
        # fast EMA seeded on the window that ends on bar slow-1, as TA-Lib does
        fast_ema = np.full(len(v), np.nan)
        fast_ema[slow - fast:] = _ema_core(v[slow - fast:], fast)
        raw = (fast_ema - slow_ema)[slow - 1:]
        sig_raw = _ema_core(raw, signal)
        line[start + first:] = raw[signal - 1:]
        sig[start + first:] = sig_raw[signal - 1:]
    return _wrap_frame({"macd": line, "signal": sig, "hist": line - sig}, index)


def adx(high: Any, low: Any, close: Any, window: int = 14) -> pd.DataFrame:
    """ADX, +DI and -DI as TA-Lib's ``ADX``, ``PLUS_DI`` and ``MINUS_DI`` compute them.

    ``TR = max(H-L, |H-C_prev|, |L-C_prev|)``; ``up = H - H_prev``, ``dn = L_prev - L``;
    ``-DM = dn`` if ``dn > 0 and up < dn``, else ``+DM = up`` if ``up > 0 and up > dn``, else
    both are 0.
    Wilder sums start as the sum over bars 1..n-1 and continue ``S <- S - S/n + x`` from bar n;
    ``±DI = 100 S_±DM / S_TR`` (0 when ``S_TR`` is zero), from bar n.
    ``DX = 100 |+DI - -DI| / (+DI + -DI)``; the first ADX (bar 2n-1) is the sum of DX over bars
    n..2n-1 divided by n, counting an undefined DX (zero TR or zero DI sum) as 0; afterwards
    ``ADX <- (ADX (n-1) + DX) / n``, and a bar with undefined DX leaves ADX unchanged (TA-Lib).

    Parameters
    ----------
    high, low, close : Series or array-like of shape (n_obs,)
        Same length; NaN rows must coincide (leading NaN allowed, see module docstring).
    window : int, default 14

    Returns
    -------
    DataFrame of shape (n_obs, 3), columns ``adx``, ``plus_di``, ``minus_di``
    """
    n = _check_window("window", window)
    h, index = _as_1d(high, "high")
    lo, _ = _as_1d(low, "low")
    c, _ = _as_1d(close, "close")
    if not (len(h) == len(lo) == len(c)):
        raise UserError(
            f"high, low and close must have the same length, got {len(h)}, {len(lo)}, {len(c)}"
        )
    nan_rows = np.isnan(h) | np.isnan(lo) | np.isnan(c)
    if (nan_rows != np.isnan(h)).any() or (nan_rows != np.isnan(c)).any():
        raise UserError("high, low and close have NaN on different rows; align them before adx")
    start = _first_valid(c, "close", "adx")
    out_adx = np.full(len(c), np.nan)
    out_pdi = np.full(len(c), np.nan)
    out_mdi = np.full(len(c), np.nan)
    H, L, C = h[start:], lo[start:], c[start:]
    m = len(C)
    if m > n:
        up = np.diff(H)
        dn = -np.diff(L)
        minus_dm = np.where((dn > 0) & (up < dn), dn, 0.0)
        plus_dm = np.where(~((dn > 0) & (up < dn)) & (up > 0) & (up > dn), up, 0.0)
        tr = np.maximum.reduce([H[1:] - L[1:], np.abs(H[1:] - C[:-1]), np.abs(L[1:] - C[:-1])])
        # Wilder sum S_t = S_{t-1}(1 - 1/n) + x_t equals n * (recursive mean with alpha 1/n),
        # seeded with the sum over bars 1..n-1 (x[0:n-1]); returns S for bars n..m-1.
        def wilder(x: np.ndarray) -> np.ndarray:
            seed = x[: n - 1].sum()
            return n * _recursive_mean(seed / n, x[n - 1:], 1.0 / n)

        s_tr = wilder(tr)  # bars n..m-1
        s_p = wilder(plus_dm)
        s_m = wilder(minus_dm)
        tr_zero = np.abs(s_tr) < _TA_EPSILON
        safe_tr = np.where(tr_zero, 1.0, s_tr)
        pdi = np.where(tr_zero, 0.0, 100.0 * s_p / safe_tr)
        mdi = np.where(tr_zero, 0.0, 100.0 * s_m / safe_tr)
        out_pdi[start + n:] = pdi
        out_mdi[start + n:] = mdi
        di_sum = pdi + mdi
        defined = ~tr_zero & ~(np.abs(di_sum) < _TA_EPSILON)
        dx = np.where(defined, 100.0 * np.abs(pdi - mdi) / np.where(defined, di_sum, 1.0), 0.0)
        if m >= 2 * n:  # first ADX at bar 2n-1 needs DX at bars n..2n-1
            adx0 = dx[:n].sum() / n
            rest_dx = dx[n:]
            rest_ok = defined[n:]
            values = np.empty(1 + len(rest_dx))
            values[0] = adx0
            if rest_ok.all():
                values[1:] = _recursive_mean(adx0, rest_dx, 1.0 / n)
            else:
                # an undefined DX leaves ADX unchanged: run the recursion on defined bars only
                upd = _recursive_mean(adx0, rest_dx[rest_ok], 1.0 / n)
                filled = np.full(len(rest_dx), np.nan)
                filled[rest_ok] = upd
                values[1:] = pd.Series(np.concatenate([[adx0], filled])).ffill().to_numpy()[1:]
            out_adx[start + 2 * n - 1:] = values
    return _wrap_frame({"adx": out_adx, "plus_di": out_pdi, "minus_di": out_mdi}, index)


def adx_close_only(series: Any, window: int = 14) -> pd.DataFrame:
    """ADX and ±DI for a series with no high/low (a factor's cumulative level).

    Each bar's range is the segment travelled since the previous close:
    ``high_t = max(close_t, close_{t-1})``, ``low_t = min(close_t, close_{t-1})``, and on the
    first valid bar ``high = low = close``. Then ``TR_t = |close_t - close_{t-1}|`` and the
    result is :func:`adx` on these bars (same lookbacks: ±DI n, ADX 2n-1).

    Parameters
    ----------
    series : Series or array-like of shape (n_obs,)
        A level (e.g. cumulative wealth of a factor), not returns.
    window : int, default 14

    Returns
    -------
    DataFrame of shape (n_obs, 3), columns ``adx``, ``plus_di``, ``minus_di``
    """
    x, index = _as_1d(series)
    start = _first_valid(x, "series", "adx_close_only")
    prev = np.concatenate([[np.nan], x[:-1]])
    if start < len(x):
        prev[start] = x[start]
    high = np.fmax(x, prev)
    low = np.fmin(x, prev)
    high[np.isnan(x)] = np.nan
    low[np.isnan(x)] = np.nan
    frame = adx(high, low, x, window)
    if index is not None:
        frame.index = index
    return frame


def zscore(series: Any, window: int) -> Any:
    """Rolling z-score over the trailing window **including** the current value.

    ``z_t = (x_t - mean(x_{t-w+1..t})) / std(x_{t-w+1..t}, ddof=1)``; first value at position
    ``w-1`` of the valid data; NaN where the window is constant (max == min). Because
    ``x_t`` is in its own window, ``|z_t| <= (w-1)/sqrt(w)``.

    Parameters
    ----------
    series : Series or array-like of shape (n_obs,)
    window : int, >= 2

    Returns
    -------
    Series or ndarray of shape (n_obs,)
    """
    w = _check_window("window", window)
    x, index = _as_1d(series)
    start = _first_valid(x, "series", "zscore")
    out = np.full(len(x), np.nan)
    v = x[start:]
    if len(v) >= w:
        out[start + w - 1:] = _rolling_z(v, w)
    return _wrap(out, index, f"zscore_{w}")
