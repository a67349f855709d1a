"""What a factor is: holdings, sector tilt, characteristic exposures, reference correlations."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.errors import UserError

#: Fewest stocks with a value for a cross-sectional statistic, and fewest common days for a
#: time-series correlation; below that the figure is left out (NaN).
MIN_CROSS_SECTION = 5
MIN_COMMON_DAYS = 60
#: z-scores are clipped here before they are averaged or correlated (outliers do not decide).
Z_CLIP = 3.0
#: Reference columns treated as "the market" (raw correlation; the others are market-neutral).
MARKET_REFERENCES: tuple[str, ...] = ("market", "SP500")


@dataclass(frozen=True, eq=False)
class FactorEvidence:
    """What one factor holds and how it behaves: the facts a name must agree with.

    Attributes
    ----------
    factor : str
        Factor id (``F1``...).
    as_of : Timestamp or None
        Date of the characteristics used for the exposures (the weights' date).
    n_assets, n_long, n_short : int
        Stocks of the fit (rows of the weights), with a positive weight, with a negative one.
    net : float
        Sum of the weights (in [-1, 1]: the weights have unit gross exposure).
    long_share : float
        n_long / (n_long + n_short).
    top_holdings, bottom_holdings : tuple of (symbol, weight)
        The largest and the smallest weights (ties broken by symbol).
    sector_net : mapping sector -> float
        Net weight per sector (sum of its stocks' weights), largest first.
    sector_tilt : mapping sector -> float
        Net weight minus what an even spread of ``net`` would give the sector
        (``net_s - share_s * net``, share_s = the sector's share of the held stocks).
    sector_r2 : float
        Adjusted R^2 of the weights on sector dummies over every stock of the fit (a stock the
        factor does not hold counts with weight 0): how much of the cross-section of weights
        sector membership explains; 0 when no more than chance; NaN without sectors.
    exposures : mapping characteristic -> float
        Weighted average z-score, sum_i w_i z_i (z = cross-sectional z-score on ``as_of``,
        clipped at +-3, 0 where unknown).
    char_corr : mapping characteristic -> float
        Cross-sectional correlation of the weights (0 where not held) with the z-scores, over
        the stocks of the fit that have a value.
    reference_corr : mapping reference -> float
        Correlation of the factor's daily returns with each reference series.
    neutral_corr : mapping reference -> float
        The same after removing the market from both (residuals of a regression on the
        ``market`` reference); market references themselves are left out.
    n_obs : int
        Days of factor returns.
    daily_volatility : float
    """

    factor: str
    as_of: pd.Timestamp | None
    n_assets: int
    n_long: int
    n_short: int
    net: float
    long_share: float
    top_holdings: tuple[tuple[str, float], ...]
    bottom_holdings: tuple[tuple[str, float], ...]
    sector_net: Mapping[str, float] = field(default_factory=dict)
    sector_tilt: Mapping[str, float] = field(default_factory=dict)
    sector_r2: float = float("nan")
    exposures: Mapping[str, float] = field(default_factory=dict)
    char_corr: Mapping[str, float] = field(default_factory=dict)
    reference_corr: Mapping[str, float] = field(default_factory=dict)
    neutral_corr: Mapping[str, float] = field(default_factory=dict)
    n_obs: int = 0
    daily_volatility: float = float("nan")

    def to_dict(self, digits: int = 3) -> dict[str, Any]:
        """JSON-ready evidence, rounded to ``digits`` decimals, NaN figures left out.

        This is what the LLM sees and what the cache key hashes, so it holds neither the factor
        id nor the date: the same evidence gets the same cached name in any run.
        """
        def r(x: float) -> float | None:
            return None if x is None or not math.isfinite(x) else round(float(x), digits)

        def mapping(m: Mapping[str, float]) -> dict[str, float]:
            return {k: v for k, v in ((k, r(v)) for k, v in m.items()) if v is not None}

        return {
            "n_assets": self.n_assets, "n_long": self.n_long, "n_short": self.n_short,
            "net_weight": r(self.net), "long_share": r(self.long_share),
            "top_holdings": {s: r(w) for s, w in self.top_holdings},
            "bottom_holdings": {s: r(w) for s, w in self.bottom_holdings},
            "sector_net_weight": mapping(self.sector_net),
            "sector_r2": r(self.sector_r2),
            "characteristic_exposure_z": mapping(self.exposures),
            "characteristic_correlation": mapping(self.char_corr),
            "reference_correlation": mapping(self.reference_corr),
            "market_neutral_reference_correlation": mapping(self.neutral_corr),
            "n_days": self.n_obs,
            "daily_volatility": (None if not math.isfinite(self.daily_volatility)
                                 else float(f"{self.daily_volatility:.2g}")),
        }

    def digest(self) -> str:
        """A 16-hex-digit hash of :meth:`to_dict` (same evidence, same hash)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- helpers
def _corr(a: np.ndarray, b: np.ndarray, minimum: int) -> float:
    ok = ~np.isnan(a) & ~np.isnan(b)
    if ok.sum() < minimum:
        return float("nan")
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = math.sqrt(float(x @ x) * float(y @ y))
    return float(x @ y / den) if den > 0 else float("nan")


def _residual(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """y minus its least-squares fit on [1, m] over the days both exist (NaN elsewhere)."""
    ok = ~np.isnan(y) & ~np.isnan(m)
    out = np.full_like(y, np.nan)
    if ok.sum() < 3:
        return out
    mm, yy = m[ok] - m[ok].mean(), y[ok] - y[ok].mean()
    var = float(mm @ mm)
    beta = float(mm @ yy) / var if var > 0 else 0.0
    out[ok] = yy - beta * mm
    return out


def cs_zscore(values: pd.Series, clip: float = Z_CLIP) -> pd.Series:
    """Cross-sectional z-score (population std) clipped at +-``clip``; NaN stays NaN.

    A cross-section with fewer than two values or no dispersion gives all NaN.
    """
    x = values.astype("float64")
    valid = x.dropna()
    if len(valid) < 2 or float(valid.std(ddof=0)) == 0.0:
        return pd.Series(np.nan, index=x.index)
    z = (x - valid.mean()) / valid.std(ddof=0)
    return z.clip(-clip, clip)


def _row_asof(frame: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.Series | None:
    """The last row of ``frame`` dated on or before ``as_of`` (the last row when None)."""
    if frame.empty:
        return None
    index = pd.DatetimeIndex(frame.index)
    pos = len(index) - 1 if as_of is None else int(index.searchsorted(as_of, side="right")) - 1
    if pos < 0:
        return None
    return frame.iloc[pos]


def _sector_r2(w: np.ndarray, codes: np.ndarray) -> float:
    """Adjusted R^2 of w on sector dummies (stocks without a sector left out); 0 floor."""
    ok = codes >= 0
    n = int(ok.sum())
    w, codes = w[ok], codes[ok]
    groups = np.unique(codes)
    g = groups.size
    if n <= g + 1 or g < 2:
        return float("nan")
    total = float(((w - w.mean()) ** 2).sum())
    if total <= 0:
        return float("nan")
    sums = np.bincount(codes, weights=w)
    counts = np.bincount(codes)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    resid = float(((w - means[codes]) ** 2).sum())
    adj = 1.0 - (resid / (n - g)) / (total / (n - 1))
    return max(0.0, adj)


# --------------------------------------------------------------------------- entry point
def compute_evidence(weights: pd.DataFrame, factor_returns: pd.DataFrame, *,
                     sectors: pd.Series | None = None,
                     references: pd.DataFrame | None = None,
                     characteristics: Mapping[str, pd.DataFrame] | None = None,
                     as_of: object = None, n_holdings: int = 5) -> tuple[FactorEvidence, ...]:
    """Gather the evidence of every factor.

    Parameters
    ----------
    weights : DataFrame of shape (n_assets, n_factors)
        Factor-mimicking portfolio weights (index = symbols), e.g. ``FactorModelResult.weights``.
    factor_returns : DataFrame of shape (n_dates, n_factors)
        The factors' daily returns (same column labels as ``weights``).
    sectors : Series, optional
        symbol -> sector name (missing = unknown).
    references : DataFrame of shape (n_ref_dates, n_references), optional
        Daily returns of reference series (``market``, ``ls_<characteristic>``, ``SP500``, ETFs);
        aligned to the factor returns by date.
    characteristics : mapping name -> DataFrame (dates x symbols), optional
        Raw point-in-time characteristics (higher = more of the trait).
    as_of : date-like, optional
        Date of the characteristic cross-section (default: the last factor-return date).
    n_holdings : int
        Holdings listed on each side.

    Returns
    -------
    tuple of FactorEvidence
        One per factor, in the column order of ``weights``. Reordering the stocks (rows of
        ``weights``, columns of the characteristics) changes nothing.
    """
    if not isinstance(weights, pd.DataFrame) or weights.empty:
        raise UserError("naming needs the factors' portfolio weights (a non-empty DataFrame)")
    missing = [c for c in weights.columns if c not in factor_returns.columns]
    if missing:
        raise UserError(f"factor returns are missing the factor(s) {missing}; name factors of "
                        "one fit only")
    w_all = weights.copy()
    w_all.index = pd.Index([str(s) for s in w_all.index])
    w_all = w_all.sort_index()  # order invariance: every reduction below runs in symbol order
    symbols = w_all.index
    if as_of is None and len(factor_returns.index):
        as_of = factor_returns.index[-1]
    stamp = None if as_of is None else pd.Timestamp(as_of)

    codes = np.full(len(symbols), -1, dtype=np.int64)
    sector_names: list[str] = []
    if sectors is not None:
        sec = pd.Series(sectors).copy()
        sec.index = pd.Index([str(s) for s in sec.index])
        sec = sec[~sec.index.duplicated()].reindex(symbols)
        known = sec.notna() & (sec.astype("object").astype(str).str.strip() != "")
        sector_names = sorted({str(s) for s in sec[known]})
        lookup = {s: i for i, s in enumerate(sector_names)}
        codes = np.array([lookup[str(v)] if k else -1 for v, k in zip(sec, known)],
                         dtype=np.int64)

    zs: dict[str, np.ndarray] = {}
    chars = characteristics or {}
    for name in sorted(chars):
        frame = chars[name]
        frame = frame.copy()
        frame.columns = pd.Index([str(c) for c in frame.columns])
        row = _row_asof(frame.reindex(columns=symbols), stamp)
        if row is None:
            continue
        z = cs_zscore(row).to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isfinite(z).sum() >= MIN_CROSS_SECTION:
            zs[name] = z

    ref = None
    market = None
    if references is not None and not references.empty:
        ref = references.reindex(factor_returns.index)
        mcol = next((c for c in MARKET_REFERENCES if c in ref.columns), None)
        if mcol is not None:
            market = ref[mcol].to_numpy(dtype=np.float64, na_value=np.nan)
    ref_cols = [] if ref is None else sorted(str(c) for c in ref.columns)
    ref_values = {c: ref[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in ref_cols} \
        if ref is not None else {}
    ref_resid = ({c: _residual(v, market) for c, v in ref_values.items()
                  if c not in MARKET_REFERENCES} if market is not None else {})

    out = []
    for factor in weights.columns:
        w = w_all[factor].to_numpy(dtype=np.float64, na_value=0.0)
        held = w != 0
        n_long, n_short = int((w > 0).sum()), int((w < 0).sum())
        gross = float(np.abs(w).sum())
        wn = w / gross if gross > 0 else w
        ser = pd.Series(wn[held], index=symbols[held])
        desc = ser.iloc[np.lexsort((ser.index.to_numpy(), -ser.to_numpy()))]
        asc = ser.iloc[np.lexsort((ser.index.to_numpy(), ser.to_numpy()))]
        top = tuple((str(s), float(v)) for s, v in desc.head(n_holdings).items())
        bottom = tuple((str(s), float(v)) for s, v in asc.head(n_holdings).items())
        net = float(wn.sum())

        sector_net: dict[str, float] = {}
        sector_tilt: dict[str, float] = {}
        r2 = float("nan")
        if sector_names:
            ok = codes >= 0
            if (held & ok).any():
                sums = np.bincount(codes[ok], weights=wn[ok], minlength=len(sector_names))
                counts = np.bincount(codes[ok], minlength=len(sector_names))
                share = counts / counts.sum()
                net_known = float(sums.sum())
                present = np.flatnonzero(counts > 0)
                order = present[np.lexsort((present, -sums[present]))]
                sector_net = {sector_names[i]: float(sums[i]) for i in order}
                sector_tilt = {sector_names[i]: float(sums[i] - share[i] * net_known)
                               for i in order}
                r2 = _sector_r2(wn, codes)

        exposures: dict[str, float] = {}
        char_corr: dict[str, float] = {}
        for name, z in zs.items():
            exposures[name] = float(np.where(np.isnan(z[held]), 0.0, z[held]) @ wn[held])
            c = _corr(wn, z, MIN_CROSS_SECTION)
            if math.isfinite(c):
                char_corr[name] = c

        f = factor_returns[factor].to_numpy(dtype=np.float64, na_value=np.nan)
        reference_corr: dict[str, float] = {}
        neutral_corr: dict[str, float] = {}
        for col in ref_cols:
            v = _corr(f, ref_values[col], MIN_COMMON_DAYS)
            if math.isfinite(v):
                reference_corr[col] = v
        if market is not None:
            f_res = _residual(f, market)
            for col, resid in ref_resid.items():
                v = _corr(f_res, resid, MIN_COMMON_DAYS)
                if math.isfinite(v):
                    neutral_corr[col] = v
        finite = f[np.isfinite(f)]
        out.append(FactorEvidence(
            factor=str(factor), as_of=stamp, n_assets=len(symbols), n_long=n_long,
            n_short=n_short, net=net,
            long_share=n_long / (n_long + n_short) if n_long + n_short else float("nan"),
            top_holdings=top, bottom_holdings=bottom, sector_net=sector_net,
            sector_tilt=sector_tilt, sector_r2=r2, exposures=exposures, char_corr=char_corr,
            reference_corr=reference_corr, neutral_corr=neutral_corr, n_obs=int(finite.size),
            daily_volatility=float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
        ))
    return tuple(out)


def format_holdings(holdings: tuple[tuple[str, float], ...]) -> str:
    """``(("AAPL", 0.081), ...)`` -> ``"AAPL:+0.0810, ..."``."""
    return ", ".join(f"{s}:{w:+.4f}" for s, w in holdings)


__all__ = ["MARKET_REFERENCES", "MIN_COMMON_DAYS", "MIN_CROSS_SECTION", "Z_CLIP",
           "FactorEvidence", "compute_evidence", "cs_zscore", "format_holdings"]
