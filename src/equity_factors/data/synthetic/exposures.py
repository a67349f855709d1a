"""Point-in-time style exposures (size, value, momentum, low volatility) at each refresh day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_factors.data.synthetic._util import _str_take
from equity_factors.data.synthetic.constants import STYLE_FACTORS
from equity_factors.data.synthetic.fundamentals import _Schedule
from equity_factors.data.synthetic.params import ModelParams


def _zscore(raw: np.ndarray, members: np.ndarray, clip: float) -> np.ndarray:
    """Cross-sectional z-score over members with a value; clipped; missing -> 0. Shape (n,)."""
    out = np.zeros(raw.shape[0])
    use = members & ~np.isnan(raw)
    if use.sum() >= 2:
        v = raw[use]
        sd = v.std()
        if sd > 0:
            out[use] = np.clip((v - v.mean()) / sd, -clip, clip)
    return out


class _WindowStats:
    """Per-block sums of the returns (count, sum log1p, sum, sum of squares) for fast windows."""

    def __init__(self, returns: np.ndarray, block: int) -> None:
        self.returns = returns
        self.block = block
        n_blocks = -(-returns.shape[0] // block)
        self.stats = np.zeros((n_blocks, 4, returns.shape[1]))

    @staticmethod
    def _direct(r: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(r)
        r0 = np.where(ok, r, 0.0)
        return np.stack(
            [ok.sum(axis=0), np.log1p(r0).sum(axis=0), r0.sum(axis=0), (r0 * r0).sum(axis=0)]
        )

    def add_block(self, j: int, r: np.ndarray) -> None:
        """Record block j's returns, shape (block_len, n)."""
        self.stats[j] = self._direct(r)

    def sums(self, a: int, b: int) -> np.ndarray:
        """Sums over day indexes [a, b) (all already simulated), shape (4, n)."""
        out = np.zeros((4, self.returns.shape[1]))
        if b <= a:
            return out
        ja, jb = -(-a // self.block), b // self.block
        if ja >= jb:
            return self._direct(self.returns[a:b])
        out += self.stats[ja:jb].sum(axis=0)
        if a < ja * self.block:
            out += self._direct(self.returns[a : ja * self.block])
        if jb * self.block < b:
            out += self._direct(self.returns[jb * self.block : b])
        return out


def _style_exposures(
    k: int,
    members: np.ndarray,
    window: _WindowStats,
    pidx: np.ndarray,
    shares0: np.ndarray,
    proxy_vol: np.ndarray,
    sched: _Schedule,
    mp: ModelParams,
) -> np.ndarray:
    """Style exposures at refresh day k from data before k, shape (n, 4)."""
    n = len(members)
    cols = np.arange(n)
    # Latest report known before day k (reports are contiguous and ordered in quarters).
    known = sched.rep_idx < k
    size = np.full(n, np.nan)
    value = np.full(n, np.nan)
    if known.shape[0]:
        has = known.any(axis=0)
        if has.any():
            q_last = known.shape[0] - 1 - np.argmax(known[::-1], axis=0)
            q = q_last[has]
            c = cols[has]
            size[has] = np.log(shares0[c] * pidx[sched.pe_idx[q], c])
            value[has] = sched.log_bm[q, c]
    # Momentum: returns r[k-252 : k-21].
    cnt, slog, _, _ = window.sums(max(k - mp.momentum_lookback, 0), max(k - mp.momentum_skip, 0))
    mom = np.where(cnt >= mp.min_history, np.expm1(slog), np.nan)
    # Realized vol: returns r[k-252 : k], ddof=1; planted proxy when history is short.
    cnt, _, s1, s2 = window.sums(max(k - mp.vol_lookback, 0), k)
    enough = cnt >= mp.min_history
    safe = np.where(enough, cnt, 2.0)
    var = np.maximum(s2 - s1 * s1 / safe, 0.0) / (safe - 1.0)
    vol = np.where(enough, np.sqrt(var), proxy_vol)
    x = np.zeros((n, len(STYLE_FACTORS)))
    x[:, 0] = _zscore(size, members, mp.z_clip)
    x[:, 1] = _zscore(value, members, mp.z_clip)
    x[:, 2] = _zscore(mom, members, mp.z_clip)
    x[:, 3] = -_zscore(vol, members, mp.z_clip)
    x[~members] = 0.0
    return x


def _exposures_frame(
    blocks: list[tuple[int, np.ndarray, np.ndarray]],
    dates: pd.DatetimeIndex,
    symbols: pd.Index,
) -> pd.DataFrame:
    """Long exposures table: date, symbol, factor, value (sorted by date, symbol, factor)."""
    k_all = np.concatenate([np.full(len(cs), k) for k, cs, _ in blocks])
    s_all = np.concatenate([cs for _, cs, _ in blocks])
    x_all = np.concatenate([x for _, _, x in blocks], axis=0)
    n_f = len(STYLE_FACTORS)
    return pd.DataFrame(
        {
            "date": np.repeat(dates.to_numpy()[k_all], n_f),
            "symbol": _str_take(symbols, np.repeat(s_all, n_f)),
            "factor": _str_take(STYLE_FACTORS, np.tile(np.arange(n_f), len(k_all))),
            "value": x_all.ravel(),
        }
    )
