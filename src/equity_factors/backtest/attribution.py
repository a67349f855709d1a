"""Return attribution of a backtest: factor vs specific vs costs, and Brinson-Fachler sectors.

Formulas and conventions are in ``docs/backtest.md``; in short:

- **Factor attribution.** On day t, with ``W_t`` (tickers x factors) the factor portfolios in
  force and ``w_t`` the held weights, the exposures are the least-squares coefficients
  ``x_t = lstsq(W_t, w_t)`` (so holding exactly factor portfolio k gives ``x = e_k``), the factor
  returns ``f_t = W_t' r_t``, factor k's part ``x_k,t * f_k,t``; ``specific = gross - sum_k``,
  ``costs = net - gross``, ``total = net``.
- **Brinson-Fachler** per sector and day, with a ``cash`` pseudo-sector so the effects add up
  to ``r_p - r_b`` exactly, and Carino (logarithmic) linking over the period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_factors.errors import ParameterError

__all__ = ["CASH", "PARTS", "BrinsonResult", "brinson_fachler", "carino_factors",
           "factor_attribution", "factor_exposures", "risk_attribution"]

#: The non-factor columns of :func:`factor_attribution`, after the factors.
PARTS = ("specific", "costs", "total")

#: The pseudo-sector of the weight not invested (``1 - sum of weights``).
CASH = "cash"

#: A sector net weight below this (in absolute value) has no return of its own (see docs).
WEIGHT_EPS = 1e-9

FactorWeights = (Callable[[pd.Timestamp], pd.DataFrame]
                 | Sequence[tuple[pd.Timestamp, pd.DataFrame]])


# --------------------------------------------------------------------------------------------
# Factor attribution
# --------------------------------------------------------------------------------------------


def _schedule(dates: pd.Index, factor_weights: FactorWeights
              ) -> list[tuple[np.ndarray, pd.DataFrame | None]]:
    """Group the days by the factor portfolios in force: [(row positions, W or None), ...]."""
    groups: list[tuple[list[int], pd.DataFrame | None]] = []
    if callable(factor_weights):
        last: object = object()
        for i, day in enumerate(dates):
            w = factor_weights(day)
            if w is last and groups:
                groups[-1][0].append(i)
            else:
                groups.append(([i], w))
                last = w
    else:
        items = sorted(((pd.Timestamp(s), w) for s, w in factor_weights), key=lambda t: t[0])
        if not items:
            raise ParameterError("factor_weights is empty; pass at least one (apply_start, W)",
                                 "factor_weights", scope="attribution")
        starts = pd.DatetimeIndex([s for s, _ in items])
        which = starts.searchsorted(pd.DatetimeIndex(dates), side="right") - 1
        for k in np.unique(which):
            rows = np.flatnonzero(which == k).tolist()
            groups.append((rows, items[k][1] if k >= 0 else None))
    return [(np.asarray(rows, dtype=np.int64), w) for rows, w in groups]


def _factor_names(groups: list[tuple[np.ndarray, pd.DataFrame | None]]) -> list:
    names: list = []
    for _, w in groups:
        if w is None:
            continue
        if not isinstance(w, pd.DataFrame):
            raise ParameterError("factor_weights must give DataFrames of shape (n_tickers, "
                                 f"n_factors), got {type(w).__name__}", "factor_weights",
                                 scope="attribution")
        names.extend(c for c in w.columns if c not in names)
    clash = [c for c in names if c in PARTS]
    if clash:
        raise ParameterError(f"factor names {clash} clash with the columns {PARTS}; rename the "
                             "factors", "factor_weights", scope="attribution")
    return names


def _exposures_and_returns(holdings: pd.DataFrame, returns: pd.DataFrame | None,
                           factor_weights: FactorWeights
                           ) -> tuple[list, np.ndarray, np.ndarray | None]:
    groups = _schedule(holdings.index, factor_weights)
    names = _factor_names(groups)
    h = holdings.to_numpy(dtype=float, na_value=np.nan)
    h = np.where(np.isnan(h), 0.0, h)
    r = None
    if returns is not None:
        r = returns.reindex(index=holdings.index, columns=holdings.columns).to_numpy(
            dtype=float, na_value=np.nan)
        r = np.where(np.isnan(r), 0.0, r)
    x = np.zeros((len(holdings), len(names)))
    f = np.zeros_like(x) if r is not None else None
    # Each W works on its own tickers only (a held name outside W is a zero row of W and
    # changes no coefficient), and products are row sums: the numbers of a day then do not
    # depend on which other tickers or days are in the frames (point in time to the bit).
    cols = holdings.columns
    for rows, w in groups:
        if w is None:
            continue
        wm = w.reindex(columns=names).to_numpy(dtype=float, na_value=np.nan)
        wm = np.ascontiguousarray(np.where(np.isnan(wm), 0.0, wm))
        at = cols.get_indexer(w.index)
        known = at >= 0
        hw = np.zeros((len(rows), len(w.index)))
        hw[:, known] = h[np.ix_(rows, at[known])]
        pinv_t = np.ascontiguousarray(np.linalg.pinv(wm).T)   # (n_w, K): minimum-norm lstsq
        x[rows] = (hw[:, :, None] * pinv_t[None, :, :]).sum(axis=1)
        if f is not None and r is not None:
            rw = np.zeros_like(hw)
            rw[:, known] = r[np.ix_(rows, at[known])]
            f[rows] = (rw[:, :, None] * wm[None, :, :]).sum(axis=1)
    return names, x, f


def factor_exposures(holdings: pd.DataFrame, factor_weights: FactorWeights) -> pd.DataFrame:
    """Daily exposures of the held weights to the factor portfolios in force.

    ``x_t = lstsq(W_t, w_t)``: the least-squares coefficients of the held weights on the columns
    of ``W_t`` (the minimum-norm solution when ``W_t`` is rank deficient). Days before the first
    factor portfolios have zero exposures.

    Parameters
    ----------
    holdings : DataFrame of shape (n_days, n_tickers)
        Weights held over each day (``EngineResult.holdings``).
    factor_weights : callable or sequence of (Timestamp, DataFrame)
        As in :func:`factor_attribution`.

    Returns
    -------
    DataFrame of shape (n_days, n_factors)
    """
    names, x, _ = _exposures_and_returns(holdings, None, factor_weights)
    return pd.DataFrame(x, index=holdings.index, columns=pd.Index(names))


def factor_attribution(holdings: pd.DataFrame, returns: pd.DataFrame,
                       factor_weights: FactorWeights, gross: pd.Series, net: pd.Series
                       ) -> pd.DataFrame:
    """Split each day's net return into factor parts, a specific part and costs.

    Parameters
    ----------
    holdings : DataFrame of shape (n_days, n_tickers)
        Weights held over each day (``EngineResult.holdings``: known when the positions were
        set, at the close of t-1).
    returns : DataFrame of shape (n_dates, n_tickers)
        Daily simple returns (NaN = 0), aligned to ``holdings`` by date and ticker.
    factor_weights : callable or sequence of (Timestamp, DataFrame)
        The factor portfolios ``W`` (tickers x factors): either a function of the day giving
        the ``W`` in force, or a list of ``(apply_start, W)``, where the latest
        ``apply_start <= t`` applies on day t. Both must only use data up to t-1. A function
        should return the *same object* on the days that share a ``W`` (a dict lookup does):
        consecutive days with the same object share one pseudo-inverse.
    gross, net : Series of shape (n_days,)
        The engine's gross and net returns (``EngineResult.returns``).

    Returns
    -------
    DataFrame of shape (n_days, n_factors + 3)
        One column per factor (``x_k,t * f_k,t``), then ``specific`` (gross minus the factor
        parts), ``costs`` (net minus gross) and ``total`` (net); the columns add up to ``total``.
        Before the first factor portfolios the factor parts are 0.
    """
    names, x, f = _exposures_and_returns(holdings, returns, factor_weights)
    assert f is not None
    parts = x * f
    g = gross.reindex(holdings.index).to_numpy(dtype=float)
    nt = net.reindex(holdings.index).to_numpy(dtype=float)
    out = pd.DataFrame(parts, index=holdings.index, columns=pd.Index(names))
    out["specific"] = g - parts.sum(axis=1)
    out["costs"] = nt - g
    out["total"] = nt
    return out


def risk_attribution(attribution: pd.DataFrame, periods_per_year: int = 252) -> pd.DataFrame:
    """x-sigma-rho risk attribution of the parts of :func:`factor_attribution`.

    For each part c (a factor, ``specific``, ``costs``): its volatility ``sigma(c)``, its
    correlation with the total ``rho(c, total)`` and its contribution ``sigma(c) * rho``
    (Menchero & Davis), annualized with ``sqrt(periods_per_year)``; the contributions add up to
    the volatility of the total. ``share`` is contribution / total volatility.

    Parameters
    ----------
    attribution : DataFrame
        Output of :func:`factor_attribution`.
    periods_per_year : int, default 252

    Returns
    -------
    DataFrame indexed by part with columns ``volatility, correlation, contribution, share``.
    """
    parts = attribution.drop(columns=["total"]).dropna()
    total = parts.sum(axis=1).to_numpy()
    x = parts.to_numpy()
    xc = x - x.mean(axis=0)
    tc = total - total.mean()
    n = max(len(total) - 1, 1)
    sd = np.sqrt((xc * xc).sum(axis=0) / n)
    sd_t = float(np.sqrt((tc * tc).sum() / n))
    cov = (xc * tc[:, None]).sum(axis=0) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = cov / (sd * sd_t)
        contribution = cov / sd_t
    ann = np.sqrt(periods_per_year)
    return pd.DataFrame({"volatility": sd * ann, "correlation": rho,
                         "contribution": contribution * ann,
                         "share": contribution / sd_t if sd_t > 0 else np.nan},
                        index=parts.columns)


# --------------------------------------------------------------------------------------------
# Brinson-Fachler
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrinsonResult:
    """Brinson-Fachler sector attribution of a book against a benchmark.

    Attributes
    ----------
    daily : DataFrame
        Long table ``date, sector, allocation, selection, interaction``; per date the rows
        (``cash`` included) add up to ``r_p - r_b``.
    linked : DataFrame
        Indexed by sector, columns ``allocation, selection, interaction, total``: the daily
        effects linked over the period with Carino's factors; everything adds up to the
        compounded excess ``R_p - R_b``.
    portfolio_return, benchmark_return : float
        ``R_p`` and ``R_b``, the compounded position returns over the period.
    linking : str
        ``"carino"``.
    """

    daily: pd.DataFrame
    linked: pd.DataFrame
    portfolio_return: float
    benchmark_return: float
    linking: str = "carino"

    def summary(self) -> pd.DataFrame:
        """The linked effects per sector (the table a report shows)."""
        return self.linked


def _log_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(ln(1+a) - ln(1+b)) / (a - b)``, and its limit ``1 / (1+a)`` when ``a == b``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    diff = a - b
    close = np.abs(diff) < 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (np.log1p(a) - np.log1p(b)) / np.where(close, 1.0, diff)
    return np.where(close, 1.0 / (1.0 + a), ratio)


def carino_factors(rp: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Carino's linking coefficients ``k_t / k`` for daily portfolio and benchmark returns.

    ``k_t = (ln(1+r_p,t) - ln(1+r_b,t)) / (r_p,t - r_b,t)``,
    ``k = (ln(1+R_p) - ln(1+R_b)) / (R_p - R_b)`` with the compounded returns ``R``; then
    ``sum_t (r_p,t - r_b,t) * k_t / k = R_p - R_b``.
    """
    big_p = float(np.prod(1.0 + rp) - 1.0)
    big_b = float(np.prod(1.0 + rb) - 1.0)
    k = float(_log_ratio(np.array(big_p), np.array(big_b)))
    return _log_ratio(rp, rb) / k


def brinson_fachler(holdings: pd.DataFrame, benchmark_weights: pd.DataFrame,
                    returns: pd.DataFrame, sectors: pd.Series) -> BrinsonResult:
    """Daily Brinson-Fachler attribution per sector, linked over the period (Carino).

    Per day and sector s, with weights ``w`` (sums of the tickers' weights), contributions
    ``c = sum_i w_i r_i`` and sector returns ``r_s = c_s / w_s``:
    allocation ``(w_p,s - w_b,s)(r_b,s - r_b)``, selection ``w_b,s (r_p,s - r_b,s)``,
    interaction ``(w_p,s - w_b,s)(r_p,s - r_b,s)``, with ``r_p = sum_i w_p,i r_i`` and
    ``r_b = sum_i w_b,i r_i`` (position returns; cash interest and costs are not in them).

    Conventions: the ``cash`` pseudo-sector holds ``1 - sum of weights`` of each side and
    returns 0 (holding cash instead of the benchmark is an allocation effect); a sector whose
    benchmark weight is ~0 (``|w| < 1e-9``) takes ``r_b,s = r_b``; one whose portfolio *net*
    weight is ~0 (a long/short book) takes ``r_p,s = r_b,s`` (no interaction). Selection is
    then computed as the sector's total ``c_p,s - c_b,s - (w_p,s - w_b,s) r_b`` minus allocation
    and interaction, which equals the formula above whenever both sector returns are defined
    and puts a zero-net-weight sector's whole contribution into selection. So the sectors add
    up to ``r_p - r_b`` exactly every day.

    Parameters
    ----------
    holdings : DataFrame of shape (n_days, n_tickers)
        Portfolio weights held over each day (``EngineResult.holdings``).
    benchmark_weights : DataFrame of shape (n_dates, n_tickers)
        Benchmark weights held over each day, aligned to ``holdings`` by date (carried forward
        from the last earlier date) and ticker.
    returns : DataFrame of shape (n_dates, n_tickers)
        Daily simple returns (NaN = 0).
    sectors : Series
        Ticker -> sector label; tickers without one go to ``"unclassified"``.

    Returns
    -------
    BrinsonResult
    """
    for name, obj in (("holdings", holdings), ("benchmark_weights", benchmark_weights),
                      ("returns", returns)):
        if not isinstance(obj, pd.DataFrame):
            raise ParameterError(f"{name} must be a DataFrame of shape (n_dates, n_tickers)",
                                 name, scope="attribution")
    tickers = holdings.columns.union(benchmark_weights.columns, sort=False)
    idx = holdings.index

    def arr(frame: pd.DataFrame, ffill: bool = False) -> np.ndarray:
        f = frame.reindex(columns=tickers)
        f = f.reindex(index=idx, method="ffill") if ffill else f.reindex(index=idx)
        v = f.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isnan(v), 0.0, v)

    wp_i = arr(holdings)
    wb_i = arr(benchmark_weights.sort_index(), ffill=True)
    r_i = arr(returns)
    labels = sectors.reindex(tickers).astype(object).where(lambda s: s.notna(), "unclassified")
    if (labels == CASH).any():
        raise ParameterError(f"a sector is named {CASH!r}, the pseudo-sector of uninvested "
                             "weight; rename it", "sectors", scope="attribution")
    codes, names = pd.factorize(labels.to_numpy())
    onehot = np.zeros((len(tickers), len(names)))
    onehot[np.arange(len(tickers)), codes] = 1.0

    wp = wp_i @ onehot
    wb = wb_i @ onehot
    cp = (wp_i * r_i) @ onehot
    cb = (wb_i * r_i) @ onehot
    rp = cp.sum(axis=1)
    rb = cb.sum(axis=1)
    col_rb = rb[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        rb_s = np.where(np.abs(wb) > WEIGHT_EPS, cb / np.where(wb == 0, 1.0, wb), col_rb)
        rp_s = np.where(np.abs(wp) > WEIGHT_EPS, cp / np.where(wp == 0, 1.0, wp), rb_s)
    alloc = (wp - wb) * (rb_s - col_rb)
    inter = (wp - wb) * (rp_s - rb_s)
    sel = (cp - cb - (wp - wb) * col_rb) - alloc - inter
    # The cash pseudo-sector: returns 0 on both sides, so its whole effect is allocation.
    cash_alloc = ((1.0 - wp_i.sum(axis=1)) - (1.0 - wb_i.sum(axis=1))) * (0.0 - rb)
    all_names = [*names.tolist(), CASH]
    alloc = np.column_stack([alloc, cash_alloc])
    sel = np.column_stack([sel, np.zeros(len(idx))])
    inter = np.column_stack([inter, np.zeros(len(idx))])

    n_days, n_s = alloc.shape
    daily = pd.DataFrame({
        "date": np.repeat(idx.to_numpy(), n_s),
        "sector": np.tile(np.asarray(all_names, dtype=object), n_days),
        "allocation": alloc.ravel(), "selection": sel.ravel(), "interaction": inter.ravel(),
    })
    coef = carino_factors(rp, rb)[:, None]
    linked = pd.DataFrame({"allocation": (alloc * coef).sum(axis=0),
                           "selection": (sel * coef).sum(axis=0),
                           "interaction": (inter * coef).sum(axis=0)},
                          index=pd.Index(all_names, name="sector"))
    linked["total"] = linked.sum(axis=1)
    return BrinsonResult(daily=daily, linked=linked,
                         portfolio_return=float(np.prod(1.0 + rp) - 1.0),
                         benchmark_return=float(np.prod(1.0 + rb) - 1.0))
