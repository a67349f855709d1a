"""Tradeable long/short baskets: composite scores, selection, capped sizing, whole shares, diffs.

Conventions (all documented here once, tested in tests/portfolio/test_basket.py):

* **Composite score** of stock i: ``c_i = sum_k theta_k * w_k,i`` with ``w_k`` the latest
  factor-mimicking portfolio weights (unit gross) and ``theta`` the optimized factor weights:
  the stock's weight in the blended factor portfolio.
* **Books**: long book = capital * (g + n) / 2, short book = capital * (g - n) / 2, with n the
  net and g the gross exposure (|n| <= g).
* **Counts** (rounding rule): with N eligible stocks, a side with capital gets
  ``max(1, floor(pct * N))`` stocks (``floor`` with a 1e-9 tolerance so 0.29 * 100 gives 29);
  a side without capital gets none and the basket's notes say so. Since long_pct + short_pct <= 1,
  the two sides never overlap; when both sides need capital N must be at least 2.
* **Ranking**: composite descending, ties broken by ticker ascending; longs are the first
  ``n_long`` of that order, shorts the last ``n_short``.
* **Sizing** within a side: ``equal``, or ``score`` (proportional to |composite|; a side whose
  scores are all zero falls back to equal). ``max_weight`` caps |target_weight| by water-filling:
  positions above the cap are pinned to it and the excess is spread over the others in
  proportion to their scores, repeated until none is above.
* **Shares** are rounded toward zero: ``shares = sign * floor(|target dollars| / price)``. So no
  position ever exceeds its target (nor the cap), gross <= capital * g, and each position misses
  its target by less than one share's price. Hence |long$ - short$ - capital * n| and
  capital * g - gross are both below the sum of one share's price per position. The cash not
  spent is ``residual_cash``.
* ``position_dollars`` = shares * last_price (what is executed, signed); ``target_weight`` is the
  pre-rounding signed fraction of capital.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_factors.errors import ParameterError, UserError
from equity_factors.types import SIZINGS as _SIZINGS
from equity_factors.types import Sizing

__all__ = [
    "BASKET_COLUMNS",
    "DIFF_COLUMNS",
    "Basket",
    "BasketSpec",
    "BasketSummary",
    "CompositeScores",
    "Sizing",
    "build_basket",
    "composite_scores",
    "diff_baskets",
    "factor_exposure",
]


#: Columns of :attr:`Basket.positions` (and of ``trade_basket.csv``), in order.
BASKET_COLUMNS: tuple[str, ...] = ("ticker", "composite_score", "target_weight", "side",
                                   "position_dollars", "shares", "last_price", "sector",
                                   "top_factors")
#: Columns of :func:`diff_baskets`' result, in order.
DIFF_COLUMNS: tuple[str, ...] = ("ticker", "current_shares", "target_shares", "trade_shares",
                                 "action", "change", "price", "trade_dollars")

UNKNOWN_SECTOR = "Unknown"
_EPS = 1e-9


# ---------------------------------------------------------------------------------------------
# composite scores
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompositeScores:
    """Composite scores and their per-factor parts.

    Attributes
    ----------
    scores : Series of shape (n_assets,)
        ``c_i = sum_k theta_k * w_k,i``; NaN where a used factor's weight is NaN.
    contributions : DataFrame of shape (n_assets, n_factors)
        ``theta_k * w_k,i`` for the factors of ``theta``; rows sum to ``scores``.
    theta : Series of shape (n_factors,)
        The factor weights used, as floats.
    """

    scores: pd.Series
    contributions: pd.DataFrame
    theta: pd.Series


def composite_scores(weights: pd.DataFrame, theta: pd.Series) -> CompositeScores:
    """Blend factor-mimicking portfolios with optimized factor weights.

    Parameters
    ----------
    weights : DataFrame of shape (n_assets, n_factors)
        Latest fitted factor-mimicking portfolio weights (each column unit gross); index =
        tickers. Columns not in ``theta`` are ignored (weight 0).
    theta : Series of shape (n_used,)
        Factor name -> optimized factor weight.

    Returns
    -------
    CompositeScores
        ``scores`` (composite per stock) and ``contributions`` (theta_k * w_k,i).

    Raises
    ------
    UserError
        A factor of ``theta`` is not a column of ``weights``, theta is empty or not finite,
        or the weights have duplicate tickers.
    """
    if not isinstance(weights, pd.DataFrame):
        raise UserError("factor weights must be a DataFrame (assets x factors)")
    if not isinstance(theta, pd.Series) or theta.empty:
        raise UserError("the optimized factor weights are empty; run `eqf optimize` first "
                        "and pass its results file")
    th = pd.to_numeric(theta, errors="coerce").astype(np.float64)
    if not np.isfinite(th.to_numpy()).all():
        bad = list(th.index[~np.isfinite(th.to_numpy())].astype(str))
        raise UserError(f"optimized factor weights are not finite for {', '.join(bad)}; "
                        f"re-run `eqf optimize`")
    if th.index.has_duplicates:
        raise UserError("optimized factor weights name a factor twice; check the results file")
    cols = pd.Index(weights.columns)
    missing = [str(f) for f in th.index if f not in cols]
    if missing:
        raise ParameterError(f"factors {', '.join(missing)} of the optimized weights are not in "
                             f"the fitted factor portfolios ({', '.join(map(str, cols))}); "
                             f"use results from the same method and n_factors",
                             "method", "n_factors", scope="basket")
    if weights.index.has_duplicates:
        dup = weights.index[weights.index.duplicated()][0]
        raise UserError(f"ticker {dup} appears twice in the factor weights; de-duplicate the "
                        f"universe")
    w = weights.loc[:, list(th.index)].apply(pd.to_numeric, errors="coerce").astype(np.float64)
    contrib = w * th.to_numpy()[None, :]
    arr = contrib.to_numpy()
    score = np.where(np.isnan(arr).any(axis=1), np.nan, np.nansum(arr, axis=1))
    scores = pd.Series(score, index=w.index, name="composite_score")
    return CompositeScores(scores=scores, contributions=contrib, theta=th)


def factor_exposure(position_dollars: pd.Series, weights: pd.DataFrame,
                    capital: float) -> pd.Series:
    """The basket's exposure to each factor: ``e_k = sum_i dollars_i / capital * w_k,i``.

    Parameters
    ----------
    position_dollars : Series of shape (n_positions,)
        Signed dollars per ticker (negative for shorts).
    weights : DataFrame of shape (n_assets, n_factors)
        Factor-mimicking portfolio weights; must cover every ticker held.
    capital : float
        The basket's capital.

    Returns
    -------
    Series of shape (n_factors,)
        For a basket built from ``theta`` it should share theta's sign pattern.
    """
    if not capital > 0:
        raise UserError(f"capital must be positive, got {capital}")
    held = position_dollars[position_dollars != 0]
    missing = [str(t) for t in held.index if t not in weights.index]
    if missing:
        raise UserError(f"{len(missing)} basket tickers have no factor weights (e.g. "
                        f"{missing[0]}); use the weights the scores were computed from")
    w = weights.loc[held.index].astype(np.float64).fillna(0.0)
    exp = (held.to_numpy(dtype=np.float64) / float(capital)) @ w.to_numpy()
    return pd.Series(exp, index=weights.columns, name="factor_exposure")


# ---------------------------------------------------------------------------------------------
# spec
# ---------------------------------------------------------------------------------------------

def _finite(name: str, value: object) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"{name} {value!r} is not a number; pass a number", name,
                             scope="basket") from None
    if not math.isfinite(v):
        raise ParameterError(f"{name} {value!r} is not finite; pass a finite number", name,
                             scope="basket")
    return v


@dataclass(frozen=True)
class BasketSpec:
    """Selection and sizing flags of ``eqf basket`` (validated on construction).

    Parameters
    ----------
    long_pct, short_pct : float
        Fractions of the eligible stocks held long (top) and short (bottom), each in
        (0, 0.5], summing to at most 1.
    capital : float
        Dollars, > 0.
    net_exposure : float
        n: 1 all long, 0 market neutral, -1 all short (with g = 1); |n| <= g.
    gross_exposure : float
        g > 0: (long + short dollars) / capital. Default 1.
    sizing : {"equal", "score"}
        Within-side weights: equal, or proportional to |composite| (default). Case-insensitive.
    max_weight : float or None
        Cap on |target_weight| (fraction of capital) per position; None = no cap.
    min_price : float
        Stocks whose last price is below it are excluded (0 = no filter).
    min_adv : float
        Stocks whose known average daily dollar volume is below it are excluded (0 = no
        filter); stocks with unknown volume pass.
    """

    long_pct: float = 0.05
    short_pct: float = 0.05
    capital: float = 100_000.0
    net_exposure: float = 0.0
    gross_exposure: float = 1.0
    sizing: Sizing = "score"
    max_weight: float | None = None
    min_price: float = 0.0
    min_adv: float = 0.0

    def __post_init__(self) -> None:
        lp = _finite("long_pct", self.long_pct)
        sp = _finite("short_pct", self.short_pct)
        if lp + sp > 1.0 + _EPS:
            raise ParameterError(f"long_pct {lp:g} + short_pct {sp:g} = {lp + sp:g} exceeds 1; "
                                 f"a stock cannot be both long and short, lower one of them",
                                 "long_pct", "short_pct", scope="basket")
        for name, v in (("long_pct", lp), ("short_pct", sp)):
            if not 0.0 < v <= 0.5:
                raise ParameterError(f"{name} {v:g} is outside (0, 0.5]; pass a fraction of the "
                                     "universe, e.g. 0.05 for 5%", name, scope="basket")
        cap = _finite("capital", self.capital)
        if cap <= 0:
            raise ParameterError(f"capital {cap:g} must be positive; pass the dollars to "
                                 f"allocate, e.g. capital 100000", "capital", scope="basket")
        n = _finite("net_exposure", self.net_exposure)
        g = _finite("gross_exposure", self.gross_exposure)
        if g <= 0:
            raise ParameterError(f"gross_exposure {g:g} must be positive; 1.0 means long plus "
                                 "short dollars equal the capital", "gross_exposure",
                                 scope="basket")
        if abs(n) > g + _EPS:
            raise ParameterError(f"|net_exposure {n:g}| exceeds gross_exposure {g:g}; pass a "
                                 f"net exposure in [-{g:g}, {g:g}] or raise gross_exposure",
                                 "net_exposure", "gross_exposure", scope="basket")
        sizing = str(self.sizing).strip().lower()
        if sizing not in _SIZINGS:
            raise ParameterError(f"unknown sizing {self.sizing!r}; choose from: "
                                 f"{', '.join(_SIZINGS)}", "sizing", scope="basket")
        mw = None
        if self.max_weight is not None:
            mw = _finite("max_weight", self.max_weight)
            if mw <= 0:
                raise ParameterError(f"max_weight {mw:g} must be positive; pass a fraction of "
                                     f"capital such as 0.05, or leave it out for no cap",
                                     "max_weight", scope="basket")
        mp = _finite("min_price", self.min_price)
        ma = _finite("min_adv", self.min_adv)
        if mp < 0:
            raise ParameterError(f"min_price {mp:g} is negative; pass 0 for no price filter",
                                 "min_price", scope="basket")
        if ma < 0:
            raise ParameterError(f"min_adv {ma:g} is negative; pass 0 for no liquidity filter",
                                 "min_adv", scope="basket")
        checked: tuple[tuple[str, object], ...] = (
            ("long_pct", lp), ("short_pct", sp), ("capital", cap),
            ("net_exposure", max(-g, min(g, n))),  # clamp: moves n by <= 1e-9
            ("gross_exposure", g), ("sizing", sizing), ("max_weight", mw),
            ("min_price", mp), ("min_adv", ma))
        for name, value in checked:
            object.__setattr__(self, name, value)

    @property
    def long_book(self) -> float:
        """Target long dollars: capital * (g + n) / 2."""
        return self.capital * (self.gross_exposure + self.net_exposure) / 2.0

    @property
    def short_book(self) -> float:
        """Target short dollars (positive): capital * (g - n) / 2."""
        return self.capital * (self.gross_exposure - self.net_exposure) / 2.0

    def side_counts(self, n_eligible: int) -> tuple[int, int]:
        """Number of long and short positions for ``n_eligible`` stocks (the rounding rule).

        A side with capital gets ``max(1, floor(pct * n_eligible))``; a side without none.

        Raises
        ------
        UserError
            Too few eligible stocks for the sides that need capital.
        """
        n_eligible = int(n_eligible)
        need = [b > 0 for b in (self.long_book, self.short_book)]
        counts = [max(1, math.floor(p * n_eligible + _EPS)) if nd else 0
                  for p, nd in zip((self.long_pct, self.short_pct), need)]
        if sum(need) > n_eligible:
            raise ParameterError(f"only {n_eligible} stock(s) pass the filters but "
                                 f"{sum(need)} side(s) need capital; relax min_price/min_adv, "
                                 f"widen the universe, or set net_exposure to +/- the gross "
                                 f"exposure for a one-sided basket",
                                 "min_price", "min_adv", "net_exposure", scope="basket")
        return counts[0], counts[1]


# ---------------------------------------------------------------------------------------------
# basket
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BasketSummary:
    """Headline numbers of a basket, after whole-share rounding.

    ``short_dollars`` is a positive magnitude; ``net_dollars = long_dollars - short_dollars``.
    ``sector_net`` is signed dollars per sector; ``factor_exposure`` is ``e_k`` of
    :func:`factor_exposure` (None without factor weights).
    """

    capital: float
    long_dollars: float
    short_dollars: float
    gross_dollars: float
    net_dollars: float
    long_target: float
    short_target: float
    n_long: int
    n_short: int
    residual_cash: float
    sector_net: pd.Series
    factor_exposure: pd.Series | None

    def to_frame(self) -> pd.DataFrame:
        """The scalar figures as a two-column table (metric, value)."""
        rows = [("capital", self.capital), ("long_dollars", self.long_dollars),
                ("short_dollars", self.short_dollars), ("gross_dollars", self.gross_dollars),
                ("net_dollars", self.net_dollars), ("long_target", self.long_target),
                ("short_target", self.short_target), ("n_long", float(self.n_long)),
                ("n_short", float(self.n_short)), ("residual_cash", self.residual_cash)]
        return pd.DataFrame(rows, columns=["metric", "value"])


@dataclass(frozen=True)
class Basket:
    """A tradeable long/short basket.

    Attributes
    ----------
    positions : DataFrame of shape (n_long + n_short, 9)
        Columns :data:`BASKET_COLUMNS`, ranked by composite descending. ``target_weight`` and
        ``position_dollars`` and ``shares`` are negative for shorts. A position whose target
        is below one share's price has 0 shares (listed in ``notes``).
    spec : BasketSpec
    n_eligible : int
        Stocks that passed the filters.
    excluded : Series
        Ticker -> reason, for stocks that could not be considered.
    notes : tuple of str
        Things the trader must know (a side without capital, zero-share positions, ...).
    factor_weights : DataFrame or None
        The factor-mimicking weights, when given, for :meth:`summary`'s factor exposure.
    """

    positions: pd.DataFrame
    spec: BasketSpec
    n_eligible: int
    excluded: pd.Series
    notes: tuple[str, ...] = ()
    factor_weights: pd.DataFrame | None = field(default=None, repr=False)

    def summary(self, weights: pd.DataFrame | None = None) -> BasketSummary:
        """Long/short/gross/net dollars, counts, residual cash, sector and factor exposure.

        Parameters
        ----------
        weights : DataFrame of shape (n_assets, n_factors), optional
            Factor-mimicking weights for the factor exposure; default the basket's own.
        """
        pos = self.positions
        dollars = pos["position_dollars"].to_numpy(dtype=np.float64)
        long_d = float(dollars[dollars > 0].sum())
        short_d = float(-dollars[dollars < 0].sum())
        by_ticker = pd.Series(dollars, index=pos["ticker"].to_numpy())
        sector_net = (pd.Series(dollars, index=pos["sector"].to_numpy())
                      .groupby(level=0, sort=True).sum().rename("net_dollars"))
        w = weights if weights is not None else self.factor_weights
        exposure = factor_exposure(by_ticker, w, self.spec.capital) if w is not None else None
        n_long = int((pos["side"] == "LONG").sum())
        n_short = int((pos["side"] == "SHORT").sum())
        return BasketSummary(
            capital=self.spec.capital, long_dollars=long_d, short_dollars=short_d,
            gross_dollars=long_d + short_d, net_dollars=long_d - short_d,
            long_target=self.spec.long_book, short_target=self.spec.short_book,
            n_long=n_long, n_short=n_short,
            residual_cash=(self.spec.long_book - long_d) + (self.spec.short_book - short_d),
            sector_net=sector_net, factor_exposure=exposure)


def _capped_weights(raw: np.ndarray, total: float, cap: float | None) -> np.ndarray:
    """Split ``total`` in proportion to ``raw`` (>= 0) with no entry above ``cap``.

    Water-filling: entries above the cap are pinned to it and the rest is re-spread over the
    free entries in proportion to ``raw`` (equally if their raw values are all zero), until no
    free entry exceeds the cap. Caller guarantees ``len(raw) * cap >= total``.
    """
    m = raw.size
    raw = np.where(np.isfinite(raw) & (raw > 0), raw, 0.0)
    if raw.sum() <= 0:
        raw = np.ones(m)
    if cap is None:
        return total * raw / raw.sum()
    w = np.zeros(m)
    free = np.ones(m, dtype=bool)
    remaining = total
    for _ in range(m + 1):
        if not free.any() or remaining <= 0:
            break
        r = raw[free]
        s = r.sum()
        alloc = remaining * r / s if s > 0 else np.full(r.size, remaining / r.size)
        over = alloc > cap * (1 + 1e-12)
        idx = np.flatnonzero(free)
        if not over.any():
            w[idx] = alloc
            break
        w[idx[over]] = cap
        free[idx[over]] = False
        remaining = total - cap * (~free).sum()
    return np.minimum(w, cap)


def _check_cap(spec: BasketSpec, n_long: int, n_short: int) -> None:
    """Raise if ``max_weight`` cannot hold a side's book; name the smallest cap that can."""
    cap = spec.max_weight
    if cap is None:
        return
    sides = [(side, book / spec.capital, count, flag)
             for side, book, count, flag in (("long", spec.long_book, n_long, "long_pct"),
                                             ("short", spec.short_book, n_short, "short_pct"))
             if count > 0 and book > 0]
    bad = [s for s in sides if cap * s[2] < s[1] * (1 - 1e-12)]
    if not bad:
        return
    # ceil to 4 decimals so the printed cap is itself feasible for both sides
    need = max(math.ceil(frac / count * 1e4 - 1e-9) / 1e4 for _, frac, count, _ in sides)
    what = " and ".join(f"the {side} book ({frac:g} of capital) in {count} position(s)"
                        for side, frac, count, _ in bad)
    flags = " or ".join(flag for *_, flag in bad)
    raise ParameterError(f"max_weight {cap:g} cannot hold {what}; the smallest feasible cap is "
                         f"{need:g}: raise max_weight to at least {need:g} or raise {flags}",
                         "max_weight", *(flag for *_, flag in bad), scope="basket")


def build_basket(scores: pd.Series | CompositeScores, spec: BasketSpec, last_price: pd.Series,
                 adv: pd.Series | None = None, sectors: pd.Series | None = None,
                 contributions: pd.DataFrame | None = None, *,
                 factor_weights: pd.DataFrame | None = None, top_n_factors: int = 3
                 ) -> Basket:
    """Select, size and round a long/short basket (rules in the module docstring).

    Parameters
    ----------
    scores : Series of shape (n_assets,) or CompositeScores
        Composite score per ticker; NaN scores are excluded. A :class:`CompositeScores`
        also supplies ``contributions`` when that argument is None.
    spec : BasketSpec
    last_price : Series
        Last close per ticker (at the basket date). Tickers with no positive price are
        excluded: they cannot be sized in shares.
    adv : Series, optional
        Average daily dollar volume per ticker; NaN/missing = unknown (passes ``min_adv``).
    sectors : Series, optional
        Ticker -> sector name; missing = "Unknown".
    contributions : DataFrame of shape (n_assets, n_factors), optional
        theta_k * w_k,i, for the ``top_factors`` column ("F3:+0.012, F1:-0.004").
    factor_weights : DataFrame of shape (n_assets, n_factors), optional
        Kept on the basket so :meth:`Basket.summary` reports factor exposure.
    top_n_factors : int
        Contributions listed per position, largest |contribution| first.

    Returns
    -------
    Basket

    Raises
    ------
    UserError
        No eligible stocks, too few for both sides, or a ``max_weight`` that cannot hold a
        side's book (the message gives the smallest feasible cap).
    """
    if not isinstance(spec, BasketSpec):
        raise UserError("spec must be a BasketSpec")
    if isinstance(scores, CompositeScores):
        if contributions is None:
            contributions = scores.contributions
        scores = scores.scores
    if not isinstance(scores, pd.Series):
        raise UserError("scores must be a pandas Series of composite scores by ticker")
    if scores.index.has_duplicates:
        dup = scores.index[scores.index.duplicated()][0]
        raise UserError(f"ticker {dup} appears twice in the scores; de-duplicate the universe")
    tickers = pd.Index(scores.index)
    s = pd.to_numeric(scores, errors="coerce").astype(np.float64).to_numpy()
    price = pd.to_numeric(last_price.reindex(tickers), errors="coerce").astype(
        np.float64).to_numpy()
    reasons = np.full(tickers.size, "", dtype=object)
    reasons[~np.isfinite(s)] = "no composite score"
    ok = reasons == ""
    reasons[ok & ~(np.isfinite(price) & (price > 0))] = "no last price"
    ok = reasons == ""
    if spec.min_price > 0:
        reasons[ok & (price < spec.min_price)] = f"price below --min-price {spec.min_price:g}"
    n_adv_unknown = 0
    if adv is not None and spec.min_adv > 0:
        a = pd.to_numeric(adv.reindex(tickers), errors="coerce").astype(np.float64).to_numpy()
        ok = reasons == ""
        known = np.isfinite(a)
        n_adv_unknown = int((ok & ~known).sum())
        reasons[ok & known & (a < spec.min_adv)] = f"ADV below --min-adv {spec.min_adv:g}"
    elig = np.flatnonzero(reasons == "")
    excluded = pd.Series(reasons[reasons != ""], index=tickers[reasons != ""], name="reason",
                         dtype=object)
    n_elig = int(elig.size)
    notes: list[str] = []
    if n_elig == 0:
        raise ParameterError(f"no stock is eligible for the basket ({excluded.size} excluded: "
                             f"{_reason_counts(excluded)}); relax min_price/min_adv or check "
                             f"the universe's prices", "min_price", "min_adv", scope="basket")
    n_long, n_short = spec.side_counts(n_elig)
    for side, book in (("long", spec.long_book), ("short", spec.short_book)):
        if book <= 0:
            notes.append(f"the {side} side gets no capital: --net-exposure "
                         f"{spec.net_exposure:g} with --gross-exposure "
                         f"{spec.gross_exposure:g} puts everything on the other side, so there "
                         f"are no {side} positions (use |--net-exposure| < --gross-exposure "
                         f"for a long/short basket)")
    _check_cap(spec, n_long, n_short)
    if excluded.size:
        notes.append(f"{excluded.size} stock(s) excluded: {_reason_counts(excluded)}")
    if n_adv_unknown:
        notes.append(f"{n_adv_unknown} stock(s) have unknown volume and were not filtered "
                     f"by --min-adv")

    # rank: composite descending, ties by ticker ascending
    tick_e = tickers[elig].astype(str).to_numpy()
    order = elig[np.lexsort((tick_e, -s[elig]))]
    long_idx = order[:n_long]
    short_idx = order[order.size - n_short:] if n_short else order[:0]

    rows = []
    for side_idx, book, sign, label in ((long_idx, spec.long_book, 1.0, "LONG"),
                                        (short_idx, spec.short_book, -1.0, "SHORT")):
        if side_idx.size == 0:
            continue
        raw = np.abs(s[side_idx]) if spec.sizing == "score" else np.ones(side_idx.size)
        if spec.sizing == "score" and not (raw > 0).any():
            notes.append(f"all {label.lower()} composite scores are zero: sized equally")
        frac = _capped_weights(raw, book / spec.capital, spec.max_weight)
        wrong_sign = int((sign * s[side_idx] < 0).sum())
        if wrong_sign:
            notes.append(f"{wrong_sign} {label.lower()} position(s) have a composite score of "
                         f"the opposite sign (the {label.lower()} side reaches past the "
                         f"stocks the factor view favours); lower "
                         f"{'--long-pct' if sign > 0 else '--short-pct'} to avoid them")
        p = price[side_idx]
        target = frac * spec.capital
        shares = np.floor(target / p + _EPS).astype(np.int64)
        # never exceed the target: the tolerance must not add a share
        shares = np.where(shares * p > target * (1 + 1e-12) + 1e-9, shares - 1, shares)
        rows.append(pd.DataFrame({
            "_i": side_idx, "target_weight": sign * frac,
            "side": label, "shares": (sign * shares).astype(np.int64),
        }))
    body = pd.concat(rows, ignore_index=True)
    idx = body["_i"].to_numpy()
    positions = pd.DataFrame({
        "ticker": tickers[idx].astype(str).to_numpy(),
        "composite_score": s[idx],
        "target_weight": body["target_weight"].to_numpy(dtype=np.float64),
        "side": body["side"].to_numpy(dtype=object),
        "position_dollars": body["shares"].to_numpy() * price[idx],
        "shares": body["shares"].to_numpy(dtype=np.int64),
        "last_price": price[idx],
        "sector": _sector_column(sectors, tickers[idx]),
        "top_factors": _top_factor_column(contributions, tickers[idx], top_n_factors),
    })
    positions = positions.iloc[np.lexsort((positions["ticker"].to_numpy(),
                                           -positions["composite_score"].to_numpy()))]
    positions = positions.reset_index(drop=True)
    zero = positions.loc[positions["shares"] == 0, "ticker"].tolist()
    if zero:
        notes.append(f"{len(zero)} position(s) round to 0 shares (target below one share's "
                     f"price: {', '.join(zero[:5])}{', ...' if len(zero) > 5 else ''}); "
                     f"raise --capital or lower the percentages")
    return Basket(positions=positions, spec=spec, n_eligible=n_elig, excluded=excluded,
                  notes=tuple(notes), factor_weights=factor_weights)


def _reason_counts(excluded: pd.Series) -> str:
    counts = excluded.value_counts(sort=True)
    return "; ".join(f"{n} {r}" for r, n in counts.items())


def _sector_column(sectors: pd.Series | None, tickers: pd.Index) -> np.ndarray:
    if sectors is None:
        return np.full(tickers.size, UNKNOWN_SECTOR, dtype=object)
    sec = sectors[~sectors.index.duplicated()].reindex(tickers)
    return np.array([UNKNOWN_SECTOR if (v is None or (isinstance(v, float) and np.isnan(v))
                                        or v is pd.NA or str(v).strip() == "") else str(v)
                     for v in sec.to_numpy(dtype=object)], dtype=object)


def _top_factor_column(contributions: pd.DataFrame | None, tickers: pd.Index,
                       top_n: int) -> np.ndarray:
    if contributions is None or top_n <= 0:
        return np.full(tickers.size, "", dtype=object)
    c = contributions.reindex(tickers).astype(np.float64).to_numpy()
    names = [str(x) for x in contributions.columns]
    # each row's largest |contributions| first (ties in column order), zeros and NaN left out
    order = np.argsort(-np.abs(np.nan_to_num(c)), axis=1, kind="stable")[:, :top_n]
    picked = np.take_along_axis(c, order, axis=1)
    return np.array([", ".join(f"{names[j]}:{v:+.3g}" for j, v in zip(cols, vals)
                               if math.isfinite(v) and v != 0)
                     for cols, vals in zip(order.tolist(), picked.tolist())], dtype=object)


# ---------------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------------

def _shares_by_ticker(frame: pd.DataFrame, what: str) -> tuple[pd.Series, pd.Series]:
    if not isinstance(frame, pd.DataFrame):
        raise UserError(f"the {what} basket must be a table with columns ticker and shares")
    missing = [c for c in ("ticker", "shares") if c not in frame.columns]
    if missing:
        raise UserError(f"the {what} basket has no {' or '.join(missing)} column; pass a "
                        f"trade_basket.csv written by `eqf basket`")
    tick = frame["ticker"].astype(str).str.strip()
    if tick.duplicated().any():
        raise UserError(f"ticker {tick[tick.duplicated()].iloc[0]} appears twice in the "
                        f"{what} basket; keep one row per ticker")
    sh = pd.to_numeric(frame["shares"], errors="coerce").astype(np.float64).to_numpy()
    bad = ~np.isfinite(sh) | (np.abs(sh - np.round(sh)) > 1e-6)
    if bad.any():
        raise UserError(f"the {what} basket has a non-whole or missing share count for "
                        f"{tick.to_numpy()[bad][0]}; fix the shares column")
    shares = pd.Series(np.round(sh).astype(np.int64), index=tick.to_numpy())
    if "last_price" in frame.columns:
        price = pd.Series(pd.to_numeric(frame["last_price"], errors="coerce")
                          .astype(np.float64).to_numpy(), index=tick.to_numpy())
    else:
        price = pd.Series(np.nan, index=tick.to_numpy())
    return shares, price


def diff_baskets(previous: pd.DataFrame, new: pd.DataFrame | Basket) -> pd.DataFrame:
    """Trades that turn an existing basket into a new one.

    Parameters
    ----------
    previous : DataFrame
        The basket held now; needs columns ``ticker`` and ``shares`` (signed), optionally
        ``last_price`` (used to value the closing trade of a ticker that left the basket).
    new : DataFrame or Basket
        The target basket (``Basket.positions`` or the same CSV columns).

    Returns
    -------
    DataFrame of shape (n_tickers, 8)
        Columns :data:`DIFF_COLUMNS`: ``current_shares``, ``target_shares``,
        ``trade_shares = target - current`` (signed), ``action`` BUY (trade > 0), SELL
        (trade < 0) or HOLD, ``change`` (NEW, CLOSE, INCREASE, DECREASE, FLIP, UNCHANGED: FLIP
        crosses zero, so a broker sees a close then an open), ``price`` (the new last price, or
        the previous one for a ticker that left the basket) and ``trade_dollars =
        trade_shares * price``. Rows follow the new basket's order, then tickers that left it.
    """
    if isinstance(new, Basket):
        new = new.positions
    cur, cur_price = _shares_by_ticker(previous, "previous")
    tgt, tgt_price = _shares_by_ticker(new, "new")
    tickers = list(tgt.index) + [t for t in cur.index if t not in tgt.index]
    current = cur.reindex(tickers, fill_value=0).to_numpy(dtype=np.int64)
    target = tgt.reindex(tickers, fill_value=0).to_numpy(dtype=np.int64)
    price = tgt_price.reindex(tickers).to_numpy(dtype=np.float64)
    price = np.where(np.isnan(price), cur_price.reindex(tickers).to_numpy(dtype=np.float64),
                     price)
    trade = target - current
    action = np.where(trade > 0, "BUY", np.where(trade < 0, "SELL", "HOLD"))
    change = np.select(
        [trade == 0, current == 0, target == 0, np.sign(current) != np.sign(target),
         np.abs(target) > np.abs(current)],
        ["UNCHANGED", "NEW", "CLOSE", "FLIP", "INCREASE"], default="DECREASE")
    return pd.DataFrame({
        "ticker": np.array(tickers, dtype=object),
        "current_shares": current, "target_shares": target, "trade_shares": trade,
        "action": action.astype(object), "change": change.astype(object),
        "price": price, "trade_dollars": trade * price,
    }, columns=list(DIFF_COLUMNS))
