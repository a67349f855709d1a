"""Daily bars: open, high, low and volume consistent with the simulated closes."""

from __future__ import annotations

import numpy as np

from equity_factors.data.synthetic.params import EventParams


def _lognoise(
    rng: np.random.Generator, sigma: np.ndarray, scale: float, sign: float, absolute: bool
) -> np.ndarray:
    """``exp(sign * scale * sigma * z)`` with z standard normal (``|z|`` if ``absolute``), float32.

    A function of its own rather than a closure over ``sigma``, so the caller can ``del sigma``
    once it is no longer needed (the array is n_days x n_stocks).
    """
    f32 = np.float32
    z = rng.standard_normal(sigma.shape, dtype=f32)
    if absolute:
        np.abs(z, out=z)
    z *= f32(sign * scale)
    z *= sigma
    return np.exp(z, out=z)


def _ohlc_volume(
    rng: np.random.Generator,
    close: np.ndarray,
    dividend: np.ndarray,
    split: np.ndarray,
    returns: np.ndarray,
    proxy_vol: np.ndarray,
    sqrt_mult: np.ndarray,
    shares0: np.ndarray,
    cum_split: np.ndarray,
    alive: np.ndarray,
    ep: EventParams,
) -> dict[str, np.ndarray]:
    """Open, high, low and volume consistent with the closes, each shape (n_days, n).

    ``dividend`` and ``split`` must be 0 / 1 (not NaN) off their event days.
    """
    n_days, n = close.shape
    f32 = np.float32
    sigma = proxy_vol.astype(f32)[None, :] * sqrt_mult.astype(f32)[:, None]
    # Reference open: previous close ex dividend and split; the close itself on the listing day.
    ref = np.empty_like(close)
    ref[0] = close[0]
    np.subtract(close[:-1], dividend[1:], out=ref[1:])
    ref[1:] /= split[1:]
    first = np.isnan(ref)
    ref[first] = close[first]
    del first

    open_ = ref * _lognoise(rng, sigma, ep.open_gap_scale, 1.0, False)
    del ref
    high = np.maximum(open_, close)
    high *= _lognoise(rng, sigma, ep.range_scale, 1.0, True)
    low = np.minimum(open_, close)
    low *= _lognoise(rng, sigma, ep.range_scale, -1.0, True)
    volume = shares0[None, :] * cum_split
    volume *= ep.turnover_median
    noise = rng.standard_normal((n_days, n), dtype=f32)
    noise *= f32(ep.turnover_noise)
    volume *= np.exp(noise, out=noise)
    del noise
    abs_r = np.abs(returns).astype(f32)
    abs_r[np.isnan(abs_r)] = 0.0
    abs_r /= sigma
    abs_r *= f32(ep.volume_return_slope)
    abs_r += f32(1.0)
    volume *= abs_r
    del abs_r, sigma
    np.rint(volume, out=volume)
    np.maximum(volume, 1.0, out=volume)
    for arr in (open_, high, low, volume):
        arr[~alive] = np.nan
    return {"open": open_, "high": high, "low": low, "volume": volume}
