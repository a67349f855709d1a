"""Fundamental (Fama-French / Barra style) factors: daily regressions on lagged characteristics."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from equity_factors.errors import ParameterError, UserError
from equity_factors.factors._base import validate_returns
from equity_factors.factors._estimator import FactorEstimator

#: Style characteristics in their canonical order (any names are accepted).
STYLE_NAMES: tuple[str, ...] = ("size", "value", "earnings_yield", "momentum", "low_volatility",
                                "beta")


# --------------------------------------------------------------------------- characteristics
def momentum_characteristic(returns: pd.DataFrame, lookback: int = 252, skip: int = 21,
                            min_fraction: float = 0.8) -> pd.DataFrame:
    """12-1 momentum: the compounded return from the close of t-``lookback`` to that of t-``skip``.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
        Plain daily simple returns, NaN where missing (a missing day compounds as 0).
    lookback, skip : int
        Trading days; the defaults give the return over months t-12..t-1.
    min_fraction : float
        Share of the ``lookback - skip`` returns that must be observed, else NaN.

    Returns
    -------
    DataFrame of shape (n_dates, n_assets)
        Row t uses returns up to row t - ``skip`` only (known at the close of t).
    """
    window = lookback - skip
    if window < 1 or skip < 0:
        raise UserError(f"momentum needs lookback > skip >= 0, got lookback={lookback}, "
                        f"skip={skip}")
    logret = np.log1p(returns.astype("float64").clip(lower=-0.9999))
    total = logret.shift(skip).rolling(window, min_periods=max(1, math.ceil(min_fraction * window))
                                       ).sum()
    return np.expm1(total)


def low_volatility_characteristic(returns: pd.DataFrame, window: int = 252,
                                  min_fraction: float = 0.8) -> pd.DataFrame:
    """Low volatility: minus the trailing ``window``-day standard deviation of daily returns.

    Returns
    -------
    DataFrame of shape (n_dates, n_assets)
        Row t uses returns of rows t-window+1..t (known at the close of t); NaN until
        ``min_fraction`` of the window is observed.
    """
    return -returns.astype("float64").rolling(
        window, min_periods=max(2, math.ceil(min_fraction * window))).std()


def beta_characteristic(returns: pd.DataFrame, window: int = 252, min_fraction: float = 0.8,
                        market: pd.Series | None = None) -> pd.DataFrame:
    """Trailing market beta: cov(r_i, m) / var(m) over the days stock i has a return.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
    window : int
        Trading days (rows t-window+1..t, known at the close of t).
    min_fraction : float
        Share of the window that must be observed, else NaN.
    market : Series of shape (n_dates,), optional
        Market return; default the equal-weighted mean of the stocks with a return that day.

    Returns
    -------
    DataFrame of shape (n_dates, n_assets)

    Notes
    -----
    Without a beta style, the low-volatility factor absorbs part of the market: high-beta
    stocks are also volatile, and sector dummies only remove the average beta of a sector.
    """
    r = returns.astype("float64")
    m = (r.mean(axis=1) if market is None else market.reindex(r.index)).to_numpy()
    x = r.to_numpy()
    mask = ~np.isnan(x) & ~np.isnan(m)[:, None]
    mm = np.where(mask, m[:, None], np.nan)
    xx = np.where(mask, x, np.nan)
    min_periods = max(2, math.ceil(min_fraction * window))

    def roll(a: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(a, index=r.index, columns=r.columns)
        return frame.rolling(window, min_periods=min_periods).sum().to_numpy()

    count = roll(mask.astype("float64"))
    sx, sm = roll(xx), roll(mm)
    cov = roll(xx * mm) - sx * sm / count
    var = roll(mm * mm) - sm * sm / count
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(var > 0, cov / var, np.nan)
    return pd.DataFrame(beta, index=r.index, columns=r.columns)


def technical_characteristics(returns: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Characteristics computable from returns alone: ``momentum``, ``low_volatility``, ``beta``.

    Beta is included so that low volatility is measured net of market exposure (see
    :func:`beta_characteristic`).
    """
    return {"momentum": momentum_characteristic(returns),
            "low_volatility": low_volatility_characteristic(returns),
            "beta": beta_characteristic(returns)}


def asof_characteristics(fundamentals: pd.DataFrame, dates: Iterable[pd.Timestamp],
                         symbols: Iterable[str] | None = None,
                         fields: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Turn long point-in-time fundamentals into daily as-of frames, one per field.

    Parameters
    ----------
    fundamentals : DataFrame with columns symbol, field, reported_date, value
        (``period_end`` optional). A value counts from its ``reported_date``: row t of the
        output holds the latest value with ``reported_date <= t``. When one symbol reports a
        field twice on the same date, the later ``period_end`` (else the later row) wins.
    dates : sequence of Timestamps
        The trading dates wanted (ascending).
    symbols, fields : optional
        Columns / fields wanted (default: all present).

    Returns
    -------
    dict field -> DataFrame of shape (n_dates, n_symbols)
    """
    needed = {"symbol", "field", "reported_date", "value"}
    missing = needed - set(fundamentals.columns)
    if missing:
        raise UserError(f"fundamentals need columns {sorted(needed)}; missing {sorted(missing)}")
    index = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()
    frame = fundamentals.copy()
    frame["reported_date"] = pd.to_datetime(frame["reported_date"]).dt.normalize()
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    sort_cols = ["reported_date"] + (["period_end"] if "period_end" in frame.columns else [])
    frame = frame.reset_index(drop=True).sort_values(sort_cols, kind="stable")
    frame = frame.drop_duplicates(["field", "symbol", "reported_date"], keep="last")
    wanted_fields = list(fields) if fields is not None else list(pd.unique(frame["field"]))
    cols = list(symbols) if symbols is not None else sorted(pd.unique(frame["symbol"]).tolist())
    out: dict[str, pd.DataFrame] = {}
    for field in wanted_fields:
        part = frame[frame["field"] == field]
        wide = part.pivot(index="reported_date", columns="symbol", values="value")
        wide = wide.reindex(columns=cols)
        full = wide.reindex(wide.index.union(index)).ffill().reindex(index)
        full.columns = pd.Index(cols, name="symbol")
        out[str(field)] = full.astype("float64")
    return out


# --------------------------------------------------------------------------- regressions
@dataclass(frozen=True)
class _Regressions:
    factor_returns: np.ndarray  # (T, P) unit-gross portfolio returns; row p uses row p-1; row 0 NaN
    coefficients: np.ndarray  # (T, P) the raw regression coefficients (same rows)
    r2: np.ndarray  # (T,)
    n_assets: np.ndarray  # (T,) stocks in each day's regression
    weights: dict[int, tuple[np.ndarray, np.ndarray]]  # row -> (asset idx, (n_used, P))
    exposures: dict[int, tuple[np.ndarray, np.ndarray]]  # row -> (asset idx, (n_used, S))


def _cs_standardize(x: np.ndarray, clip: float | None) -> np.ndarray | None:
    """Cross-sectional z-score (NaN -> 0 after), winsorized at +-clip and re-standardized."""
    valid = ~np.isnan(x)
    if valid.sum() < 3:
        return None
    v = x[valid]
    sd = v.std(ddof=1)
    if not np.isfinite(sd) or sd <= 1e-12 * max(abs(v.mean()), 1e-300):
        return None
    z = (v - v.mean()) / sd
    if clip is not None:
        z = np.clip(z, -clip, clip)
        sd2 = z.std(ddof=1)
        if sd2 <= 0:
            return None
        z = (z - z.mean()) / sd2
    out = np.zeros_like(x)
    out[valid] = z
    return out


def _regress(values: np.ndarray, chars: list[np.ndarray], sector_codes: np.ndarray | None,
             n_sectors: int, winsorize: float | None, keep_rows: set[int]) -> _Regressions:
    """Daily cross-sectional OLS of returns at row p on exposures of row p-1 (rows 1..T).

    Row T (one past the data) is also computed when asked in ``keep_rows``: the exposures and
    weights to hold on the next, unseen day.
    """
    t_len, _ = values.shape
    n_styles = len(chars)
    n_group = n_sectors if sector_codes is not None else 1
    n_cols = n_styles + n_group
    fr = np.full((t_len, n_cols), np.nan)
    coef = np.full((t_len, n_cols), np.nan)
    r2 = np.full(t_len, np.nan)
    n_used_all = np.zeros(t_len, dtype=np.int64)
    weights: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    exposures: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for p in range(1, t_len + 1):
        prev = values[p - 1]
        idx = np.flatnonzero(~np.isnan(prev))  # listed and trading at the close of p-1
        if idx.size == 0:
            continue
        z_all = np.zeros((idx.size, n_styles))
        style_ok = np.zeros(n_styles, dtype=bool)
        for s, c in enumerate(chars):
            z = _cs_standardize(c[p - 1, idx], winsorize)
            if z is not None:
                z_all[:, s] = z
                style_ok[s] = True
        cols = [z_all[:, style_ok]]
        if sector_codes is not None:
            codes = sector_codes[idx]
            dummies = np.zeros((idx.size, n_sectors))
            dummies[np.arange(idx.size), codes] = 1.0
            group_ok = dummies.sum(axis=0) > 0
            cols.append(dummies[:, group_ok])
        else:
            group_ok = np.ones(1, dtype=bool)
            cols.append(np.ones((idx.size, 1)))
        x = np.hstack(cols)
        if p in keep_rows:
            exposures[p] = (idx, np.where(style_ok, z_all, np.nan))
        if idx.size <= x.shape[1]:
            continue
        xtx = x.T @ x
        try:
            w = linalg.solve(xtx, x.T, assume_a="pos", check_finite=False)
        except (linalg.LinAlgError, ValueError):
            w = np.linalg.pinv(x)
        if not np.all(np.isfinite(w)):
            w = np.linalg.pinv(x)
        col_ok = np.concatenate([style_ok, group_ok])
        # Factor-mimicking portfolios: the rows of (X'X)^-1 X' scaled to unit gross exposure,
        # so every factor is a portfolio of plain returns like the statistical methods'.
        gross = np.abs(w).sum(axis=1)
        unit = w / np.where(gross > 0, gross, 1.0)[:, None]
        if p in keep_rows:
            full_w = np.full((idx.size, n_cols), np.nan)
            full_w[:, col_ok] = unit.T
            weights[p] = (idx, full_w)
        if p == t_len:
            continue
        r_obs = values[p, idx]
        observed = ~np.isnan(r_obs)
        r = np.where(observed, r_obs, 0.0)  # a stock without a return on day p earns 0
        f = w @ r
        coef[p, col_ok] = f
        fr[p, col_ok] = unit @ r
        n_used_all[p] = idx.size
        ro = r_obs[observed]
        if ro.size > 1:
            resid = ro - (x[observed] @ f)
            tss = ((ro - ro.mean()) ** 2).sum()
            r2[p] = 1.0 - (resid @ resid) / tss if tss > 0 else np.nan
    return _Regressions(fr, coef, r2, n_used_all, weights, exposures)


def _align_characteristics(characteristics: Mapping[str, pd.DataFrame], frame: pd.DataFrame
                           ) -> dict[str, np.ndarray]:
    """Characteristics on the returns' dates and symbols, as of each date (no look-ahead)."""
    out: dict[str, np.ndarray] = {}
    for name, char in characteristics.items():
        if not isinstance(char, pd.DataFrame) or not isinstance(char.index, pd.DatetimeIndex):
            raise UserError(f"characteristic {name!r} must be a DataFrame of dates x symbols "
                            "with a DatetimeIndex")
        char = char.sort_index()
        char = char[~char.index.duplicated(keep="last")]
        aligned = char.reindex(columns=frame.columns).reindex(frame.index, method="ffill")
        out[str(name)] = aligned.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _sector_codes(sectors: pd.Series | None, symbols: pd.Index
                  ) -> tuple[np.ndarray | None, list[str]]:
    if sectors is None:
        return None, []
    if not isinstance(sectors, pd.Series):
        raise UserError("sectors must be a pandas Series mapping symbol -> sector name")
    labels = sectors.reindex(symbols).astype("object").where(lambda s: s.notna(), "Unknown")
    names = sorted({str(v) for v in labels})
    lookup = {n: i for i, n in enumerate(names)}
    return np.array([lookup[str(v)] for v in labels], dtype=np.int64), names


class FundamentalFactors(FactorEstimator):
    """Fama-French / Barra style factors from daily cross-sectional regressions.

    On each day t the returns of the stocks that traded at t-1 are regressed (OLS) on their
    characteristics known at the close of t-1, each standardized across stocks (z-score,
    winsorized at +-``winsorize``, re-standardized; a missing value becomes 0, the average),
    plus sector dummies (or an intercept when no sectors are given). A coefficient is the
    return of the portfolio whose weights are a row of (X'X)^-1 X' (unit exposure to one
    standard deviation of the style, none to the others); its gross exposure varies by day and
    factor (from about 1 to above 10). The factor returns reported are those of the same
    portfolios scaled to unit gross exposure, ``w_k = row_k / sum_i |row_k,i|``, so that every
    method's factors are portfolios of plain returns with sum |w| = 1 (DESIGN section 6); the
    raw coefficients are kept in ``coefficients_``. The weights depend only on data up to t-1;
    a stock without a return on t earns 0 in them.

    Parameters
    ----------
    n_factors : int or None
        Style factors to report: the first ``n_factors`` characteristics in the order given;
        None for all of them.
    winsorize : float or None
        Clip standardized characteristics at this many standard deviations.
    include_sectors : bool
        Also report the sector (or intercept, named ``market``) factor returns.
    random_state : ignored (accepted for a uniform signature).

    Attributes
    ----------
    factor_returns_ : DataFrame of shape (n_dates, n_factors)
        Returns of the unit-gross factor-mimicking portfolios; NaN on the first date and on
        days a style has no cross-sectional variance (e.g. before momentum has a year of
        history).
    coefficients_ : DataFrame of shape (n_dates, n_factors)
        The raw regression coefficients (the same portfolios before scaling).
    loadings_ : DataFrame of shape (n_assets, n_styles)
        The latest standardized characteristics (known at the close of the last date), the
        exposures for the next day.
    weights_ : DataFrame of shape (n_assets, n_factors)
        The unit-gross factor portfolios for the next day (``weights_ @ r`` is the next day's
        factor return).
    r2_ : Series of shape (n_dates,)
        Cross-sectional R^2 of each day's regression.
    explained_variance_ratio_ : None
    """

    method_name = "fundamental"

    def __init__(self, n_factors: int | None = None, *, winsorize: float | None = 3.0,
                 include_sectors: bool = False, random_state: object = None) -> None:
        self.n_factors = n_factors
        self.winsorize = winsorize
        self.include_sectors = include_sectors
        self.random_state = random_state

    def _styles(self, characteristics: Mapping[str, pd.DataFrame]) -> list[str]:
        names = [str(n) for n in characteristics]
        if not names:
            raise UserError("the fundamental method needs at least one characteristic (size, "
                            "value, momentum, ...)")
        k = self.n_factors
        if k is None:
            return names
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ParameterError(f"n_factors must be a positive integer, not {k!r}",
                                 "n_factors", scope="factors")
        if k > len(names):
            raise ParameterError(f"the fundamental method has {len(names)} style factors "
                                 f"({', '.join(names)}), fewer than k={k}; lower n_factors "
                                 f"to {len(names)} or supply more characteristics",
                                 "n_factors", scope="factors")
        return names[: int(k)]

    def regressions(self, returns: pd.DataFrame,
                    characteristics: Mapping[str, pd.DataFrame] | None = None,
                    sectors: pd.Series | None = None, keep_rows: Iterable[int] = ()
                    ) -> tuple[pd.DataFrame, _Regressions, list[str], list[str]]:
        """Run the daily regressions (used by :meth:`fit` and the rolling engine).

        Returns the validated returns frame, the raw regression output, the style names and
        the group names (sectors, or ``market``); the output's columns are styles then groups.
        """
        frame = validate_returns(returns)
        if characteristics is None:
            characteristics = technical_characteristics(frame)
        styles = self._styles(characteristics)
        chars = _align_characteristics({s: characteristics[s] for s in styles}, frame)
        codes, sector_names = _sector_codes(sectors, frame.columns)
        reg = _regress(frame.to_numpy(), [chars[s] for s in styles], codes,
                       len(sector_names), self.winsorize, set(keep_rows))
        group_names = sector_names if codes is not None else ["market"]
        return frame, reg, styles, group_names

    def fit(self, returns: pd.DataFrame, y: None = None,
            characteristics: Mapping[str, pd.DataFrame] | None = None,
            sectors: pd.Series | None = None) -> FundamentalFactors:
        """Fit on returns and point-in-time characteristics; return self.

        Parameters
        ----------
        returns : DataFrame of shape (n_dates, n_assets)
        characteristics : dict name -> DataFrame of shape (n_dates', n_assets'), optional
            Row t holds what was known at the close of t (this method lags it one day). Taken
            as of each date of ``returns`` (forward-filled by date), columns aligned by
            symbol. Default: :func:`technical_characteristics` of ``returns``.
        sectors : Series symbol -> sector name, optional
            Sector dummies; stocks without one form an ``Unknown`` sector.
        """
        frame = validate_returns(returns)
        t_len = len(frame)
        frame, reg, styles, groups = self.regressions(frame, characteristics, sectors,
                                                      keep_rows=(t_len,))
        names = styles + groups
        n_styles = len(styles)
        report = names if self.include_sectors else names[:n_styles]
        cols = pd.Index(report, name="factor")
        self.factor_returns_ = pd.DataFrame(reg.factor_returns[:, : len(report)],
                                            index=frame.index, columns=cols)
        self.coefficients_ = pd.DataFrame(reg.coefficients[:, : len(report)],
                                          index=frame.index, columns=cols)
        self.r2_ = pd.Series(reg.r2, index=frame.index, name="r2")
        idx, z = reg.exposures.get(t_len, (np.array([], dtype=int), np.zeros((0, n_styles))))
        assets = frame.columns[idx]
        self.loadings_ = pd.DataFrame(z, index=assets,
                                      columns=pd.Index(names[:n_styles], name="factor"))
        widx, w = reg.weights.get(t_len, (idx, np.full((idx.size, len(names)), np.nan)))
        self.weights_ = pd.DataFrame(w[:, : len(report)], index=frame.columns[widx],
                                     columns=cols)
        self.explained_variance_ratio_ = None
        self.converged_ = True
        self.n_iter_ = None
        self.dropped_ = ()
        return self
