"""Cross-sectional ranking of stocks by a composite factor score; long/short candidate lists."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from equity_factors.errors import ParameterError, UserError

__all__ = ["CrossSectionResult", "cs_composite_score", "cs_rank", "n_selected"]

_EPS = 1e-9  # guards ceil() against 0.07 * 100 = 7.000000000000001


@dataclass(frozen=True)
class CrossSectionResult:
    """Stocks ranked by score on one date.

    Attributes
    ----------
    ranking : DataFrame of shape (n_stocks, 5)
        Index = symbol, ordered by rank. Columns ``score``, ``rank`` (1 = highest score),
        ``percentile`` (100 = best, 0 = worst), ``side`` (``LONG``, ``SHORT`` or ``""``) and
        ``sector`` (missing when no sectors were given or the symbol has none).
    top_pct, bottom_pct : float
    """

    ranking: pd.DataFrame
    top_pct: float
    bottom_pct: float

    @property
    def long(self) -> pd.DataFrame:
        """Rows of the long candidates (best first)."""
        return self.ranking[self.ranking["side"] == "LONG"]

    @property
    def short(self) -> pd.DataFrame:
        """Rows of the short candidates (worst first)."""
        return self.ranking[self.ranking["side"] == "SHORT"].iloc[::-1]

    def summary(self) -> pd.DataFrame:
        """Count, mean score and score range per side."""
        grouped = self.ranking.groupby("side", sort=False)["score"]
        return grouped.agg(["count", "mean", "min", "max"])


def n_selected(pct: float, n: int) -> int:
    """Number of names in a ``pct`` tail of ``n`` stocks: ``max(1, ceil(pct * n))``."""
    return max(1, math.ceil(pct * n - _EPS))


def _check_pct(name: str, pct: float) -> float:
    if not isinstance(pct, (int, float, np.floating)) or not 0 < pct <= 0.5:
        raise UserError(f"{name} must be in (0, 0.5] (a fraction, e.g. 0.1 for 10%), got {pct!r}")
    return float(pct)


def cs_rank(scores: pd.Series, top_pct: float = 0.1, bottom_pct: float = 0.1,
            sectors: pd.Series | None = None) -> CrossSectionResult:
    """Rank stocks by score and mark long (top) and short (bottom) candidates.

    Stocks with a NaN score are dropped. Ranks are ordinal: ties are broken by symbol
    (ascending), so the result is deterministic. ``percentile = 100 (n - rank) / (n - 1)``
    (100 for a single stock). The top ``max(1, ceil(top_pct * n))`` ranks are LONG and the
    bottom ``max(1, ceil(bottom_pct * n))`` are SHORT; if the two sets would overlap the universe
    is too small and a :class:`UserError` is raised.

    Parameters
    ----------
    scores : Series of shape (n_stocks,)
        Composite score per symbol (higher = more attractive).
    top_pct, bottom_pct : float, default 0.1
        Each in (0, 0.5], and ``top_pct + bottom_pct <= 1``.
    sectors : Series, optional
        Sector per symbol; symbols missing from it get no sector.

    Returns
    -------
    CrossSectionResult
    """
    top = _check_pct("top_pct", top_pct)
    bottom = _check_pct("bottom_pct", bottom_pct)
    if top + bottom > 1 + _EPS:
        raise UserError(f"top_pct + bottom_pct must be <= 1, got {top} + {bottom}")
    if not isinstance(scores, pd.Series):
        raise UserError("scores must be a Series indexed by symbol")
    if scores.index.has_duplicates:
        dup = scores.index[scores.index.duplicated()][0]
        raise UserError(f"symbol {dup!r} appears twice in the scores; deduplicate them")
    s = pd.to_numeric(scores, errors="coerce").astype(float).dropna()
    n = len(s)
    if n == 0:
        raise UserError("no stock has a score; check the factor exposures")
    n_long, n_short = n_selected(top, n), n_selected(bottom, n)
    if n_long + n_short > n:
        raise ParameterError(
            f"{n} scored stocks are too few for {n_long} long and {n_short} short names; "
            f"lower top_pct/bottom_pct or use a larger universe",
            "top_pct", "bottom_pct", scope="signals")
    frame = pd.DataFrame({"symbol": s.index.astype(str), "score": s.to_numpy()},
                         index=s.index)
    order = np.lexsort((frame["symbol"].to_numpy(), -frame["score"].to_numpy()))
    frame = frame.iloc[order].drop(columns="symbol")
    rank = np.arange(1, n + 1)
    frame["rank"] = rank
    frame["percentile"] = 100.0 * (n - rank) / (n - 1) if n > 1 else 100.0
    side = np.full(n, "", dtype=object)
    side[:n_long] = "LONG"
    side[n - n_short:] = "SHORT"
    frame["side"] = side
    if sectors is not None:
        frame["sector"] = pd.Series(sectors).reindex(frame.index).to_numpy(dtype=object)
    else:
        frame["sector"] = pd.Series([None] * n, index=frame.index, dtype=object)
    frame.index.name = scores.index.name or "symbol"
    return CrossSectionResult(ranking=frame, top_pct=top, bottom_pct=bottom)


def cs_composite_score(exposures: pd.DataFrame, weights: pd.Series | None = None) -> pd.Series:
    """Composite score per stock: cross-sectionally standardized exposures times factor weights.

    Each factor's exposures are z-scored across stocks (mean 0, std ddof=1; a constant factor
    contributes 0), then combined with ``weights`` (equal weights ``1/k`` when None, the case
    with no optimization run). Weights are used as given (sign included); factors missing from
    ``weights`` get 0.

    Parameters
    ----------
    exposures : DataFrame of shape (n_stocks, n_factors)
        Factor loadings/exposures per stock (e.g. the latest fit's loadings).
    weights : Series of shape (n_factors,), optional

    Returns
    -------
    Series of shape (n_stocks,), named ``score``
    """
    if not isinstance(exposures, pd.DataFrame) or exposures.shape[1] == 0:
        raise UserError("exposures must be a non-empty DataFrame (stocks x factors)")
    x = exposures.astype(float)
    std = x.std(ddof=1)
    z = ((x - x.mean()) / std.where(std > 0)).fillna(0.0).where(x.notna())
    if weights is None:
        w = pd.Series(1.0 / x.shape[1], index=x.columns)
    else:
        unknown = [f for f in weights.index if f not in x.columns]
        if unknown:
            raise UserError(
                f"weights name factors not in the exposures: {', '.join(map(str, unknown))}"
            )
        w = weights.astype(float).reindex(x.columns).fillna(0.0)
    score = (z * w).sum(axis=1, min_count=1)
    return score.rename("score")
