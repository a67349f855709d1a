"""ETF-like holdings: the cap-weighted universe ETF and one ETF per sector."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_factors.data.synthetic._util import _str_take
from equity_factors.data.synthetic.constants import SECTOR_CODES, SECTORS


def _holdings_frame(
    universe: str,
    dates: pd.DatetimeIndex,
    symbols: pd.Index,
    sector_idx: np.ndarray,
    pidx: np.ndarray,
    shares0: np.ndarray,
    list_idx: np.ndarray,
    last_idx: np.ndarray,
) -> pd.DataFrame:
    """Cap-weighted universe and sector ETFs at the first day and each December's last day."""
    n_days = len(dates)
    dec_last = (
        pd.Series(np.arange(n_days), index=dates)
        .groupby([dates.year, dates.month])
        .max()
    )
    year_ends = [int(v) for (_, month), v in dec_last.items() if month == 12]
    # Only a complete December counts: its last business day must be the month's last one.
    year_ends = [t for t in year_ends if (dates[t] + pd.offsets.BDay(1)).month != 12]
    as_of_idx = sorted({0, *year_ends})
    etf_names = [universe, *(f"{universe}-{SECTOR_CODES[s]}" for s in SECTORS)]
    etf_parts, sym_parts, w_parts, t_parts = [], [], [], []
    for t in as_of_idx:
        listed = (list_idx <= t) & (last_idx >= t)
        cap = shares0 * pidx[t]
        masks = [listed] + [listed & (sector_idx == j) for j in range(len(SECTORS))]
        for e, mask in enumerate(masks):
            idx = np.flatnonzero(mask)
            if len(idx) == 0:
                continue
            etf_parts.append(np.full(len(idx), e))
            sym_parts.append(idx)
            w_parts.append(cap[idx] / cap[idx].sum())
            t_parts.append(np.full(len(idx), t))
    return pd.DataFrame(
        {
            "etf": _str_take(etf_names, np.concatenate(etf_parts)),
            "symbol": _str_take(symbols, np.concatenate(sym_parts)),
            "weight": np.concatenate(w_parts),
            "as_of": dates.to_numpy()[np.concatenate(t_parts)],
        }
    )
