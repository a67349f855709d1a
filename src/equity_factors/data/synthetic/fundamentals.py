"""Quarterly point-in-time fundamentals: report schedule, book-to-market, earnings yield."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_factors.data.synthetic._util import _str_take
from equity_factors.data.synthetic.constants import FUNDAMENTAL_FIELDS
from equity_factors.data.synthetic.params import EventParams


@dataclass(frozen=True)
class _Schedule:
    """Quarterly report schedule: arrays of shape (n_quarters, n) unless stated."""

    period_end: np.ndarray  # (n_quarters,) datetime64[D] calendar quarter ends
    pe_idx: np.ndarray  # (n_quarters,) day index of the last business day <= period_end
    rep_idx: np.ndarray  # day index of reported_date; a big sentinel when there is no report
    rep_date: np.ndarray  # datetime64[D]
    valid: np.ndarray  # bool, the report exists
    log_bm: np.ndarray
    earnings_yield: np.ndarray


_NO_REPORT = np.iinfo(np.int64).max // 2


def _fundamentals_schedule(
    rng: np.random.Generator,
    dates: pd.DatetimeIndex,
    list_idx: np.ndarray,
    last_idx: np.ndarray,
    ep: EventParams,
) -> _Schedule:
    n = len(list_idx)
    cal = dates.to_numpy().astype("datetime64[D]")
    first_q = pd.Timestamp(cal[0]).to_period("Q").end_time.normalize()
    qe = pd.date_range(first_q, pd.Timestamp(cal[-1]), freq="QE")
    period_end = qe.to_numpy().astype("datetime64[D]")
    nq = len(period_end)
    pe_idx = np.searchsorted(cal, period_end, side="right") - 1
    lag = rng.integers(ep.report_lag_days[0], ep.report_lag_days[1] + 1, size=(nq, n))
    rep_cal = np.busday_offset(
        period_end[:, None] + lag.astype("timedelta64[D]"), 0, roll="forward"
    )
    rep_idx = np.searchsorted(cal, rep_cal.ravel()).reshape(nq, n)
    valid = (
        (pe_idx[:, None] >= list_idx[None, :])
        & (pe_idx[:, None] <= last_idx[None, :])
        & (rep_idx < len(cal))
        & (rep_idx <= last_idx[None, :])
    )
    # log book-to-market: per-stock mean + stationary AR(1) in quarters.
    mu = math.log(ep.bm_median) + ep.bm_log_sd * rng.standard_normal(n)
    eta = rng.standard_normal((nq, n))
    e = np.empty((nq, n))
    if nq:
        e[0] = ep.bm_noise * eta[0]
        innov = ep.bm_noise * math.sqrt(1.0 - ep.bm_ar**2)
        for q in range(1, nq):
            e[q] = ep.bm_ar * e[q - 1] + innov * eta[q]
    log_bm = mu[None, :] + e
    ey = (
        ep.ey_mean
        + ep.ey_value_slope * (log_bm - math.log(ep.bm_median)) / ep.bm_log_sd
        + ep.ey_noise * rng.standard_normal((nq, n))
    )
    return _Schedule(
        period_end=period_end,
        pe_idx=pe_idx,
        rep_idx=np.where(valid, rep_idx, _NO_REPORT),
        rep_date=rep_cal,
        valid=valid,
        log_bm=log_bm,
        earnings_yield=ey,
    )


def _fundamentals_frame(
    sched: _Schedule,
    symbols: pd.Index,
    pidx: np.ndarray,
    shares0: np.ndarray,
    cum_split: np.ndarray,
) -> pd.DataFrame:
    """Long fundamentals table sorted by symbol, period_end, field."""
    q, c = np.nonzero(sched.valid.T)[::-1]  # ordered by stock then quarter
    pe = sched.pe_idx[q]
    market_cap = shares0[c] * pidx[pe, c]
    values = np.stack(
        [
            market_cap,
            np.exp(sched.log_bm[q, c]),
            sched.earnings_yield[q, c],
            shares0[c] * cum_split[pe, c],
        ],
        axis=1,
    )
    m = len(q)
    n_f = len(FUNDAMENTAL_FIELDS)
    return pd.DataFrame(
        {
            "symbol": _str_take(symbols, np.repeat(c, n_f)),
            "field": _str_take(FUNDAMENTAL_FIELDS, np.tile(np.arange(n_f), m)),
            "period_end": np.repeat(sched.period_end[q].astype("datetime64[us]"), n_f),
            "reported_date": np.repeat(sched.rep_date[q, c].astype("datetime64[us]"), n_f),
            "value": values.ravel(),
        }
    ).sort_values(["symbol", "period_end", "field"], ignore_index=True, kind="stable")
