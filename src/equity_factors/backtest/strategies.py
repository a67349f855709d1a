"""Target weights of the backtest's strategies, each decided from data up to the previous close.

Every function here returns a DataFrame of target weights (rows = the first day the weights are
held, columns = tickers, values = signed fractions of equity) for
:func:`equity_factors.backtest.engine.run_engine`. A row dated t uses prices, factor weights,
blend weights and signals known at the close of t-1 only:

* factor-mimicking weights are those in force on t (fitted on a window ending before t);
* prices and dollar volumes are read from rows strictly before t;
* signals and regimes are read from the row of t-1.

Strategies
----------
``basket``
    The optimized blend of factor portfolios ranked and sized by the rules of ``eqf basket``
    (:func:`~equity_factors.portfolio.build_basket`); the weights are the pre-rounding targets
    (whole shares are the engine's job, at the equity of the day).
``factor-signals``
    The factor portfolios themselves, long on BUY and short on SELL of the momentum signal of
    ``eqf signals momentum``, plus the contrarian side of a level z-score beyond the threshold of
    ``eqf signals extremes``; the active factors share the gross exposure equally.
``regime``
    The regime-conditional factor allocation of ``eqf regime detect`` for the regime filtered at
    the previous close.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from equity_factors.errors import UserError
from equity_factors.portfolio import BasketSpec, build_basket, composite_scores

FactorWeightsAt = Callable[[pd.Timestamp], pd.DataFrame]

REBALANCE_RULES = ("daily", "weekly", "monthly")


def parse_rebalance(rule: str | int) -> str | int:
    """``daily``, ``weekly``, ``monthly`` or a positive number of trading days."""
    text = str(rule).strip().lower()
    if text in REBALANCE_RULES:
        return text
    try:
        days = int(text)
    except ValueError:
        raise UserError(f"--rebalance must be daily, weekly, monthly or a number of trading "
                        f"days, not {rule!r}") from None
    if days < 1:
        raise UserError(f"--rebalance must be at least 1 trading day, not {days}")
    return days


def rebalance_dates(days: pd.DatetimeIndex, rule: str | int) -> pd.DatetimeIndex:
    """The days of one walk's test window on which targets are set (the first is always one).

    ``monthly``/``weekly``: the first trading day of each calendar month/week in the window;
    ``daily``: every day; N: every N-th day from the window's first day.
    """
    if len(days) == 0:
        return days
    rule = parse_rebalance(rule)
    if rule == "daily":
        return days
    if isinstance(rule, int):
        return days[::rule]
    if rule == "monthly":
        key = days.year * 12 + days.month
    else:
        iso = days.isocalendar()
        key = iso["year"].to_numpy() * 100 + iso["week"].to_numpy()
    key = np.asarray(key)
    first = np.r_[True, key[1:] != key[:-1]]
    return days[first]


def _previous_rows(frame: pd.DataFrame, day: pd.Timestamp, n: int) -> pd.DataFrame:
    """The last ``n`` rows of ``frame`` strictly before ``day``."""
    stop = int(frame.index.searchsorted(day, side="left"))
    return frame.iloc[max(0, stop - n):stop]


def basket_targets(days: Sequence[pd.Timestamp], factor_weights_at: FactorWeightsAt,
                   theta: pd.Series, spec: BasketSpec, close: pd.DataFrame,
                   volume: pd.DataFrame | None = None,
                   sectors: pd.Series | None = None,
                   members_at: Callable[[pd.Timestamp], pd.Index] | None = None,
                   max_stale_days: int = 5, adv_window: int = 20) -> tuple[pd.DataFrame, list[str]]:
    """Target weights of the ``basket`` strategy on each of ``days``.

    Parameters
    ----------
    days : sequence of Timestamp
        First day each basket is held.
    factor_weights_at : callable(day) -> DataFrame (tickers x factors)
        Factor-mimicking weights in force on ``day``.
    theta : Series
        Factor -> blend weight (the walk's optimized or blended weights).
    spec : BasketSpec
        Selection and sizing rules; ``capital`` only matters for ``min_adv``.
    close, volume : DataFrame (dates x tickers)
        Closes (for prices and dollar volume) and share volumes; only rows before each day are
        read.
    sectors : Series, optional
    members_at : callable(day) -> Index, optional
        Tickers in the universe at the close before ``day`` (the holdings snapshot known then).

    Returns
    -------
    (targets, notes) : DataFrame of shape (n_days, n_tickers) and the baskets' notes
    """
    rows = {}
    notes: list[str] = []
    for day in days:
        weights = factor_weights_at(day)
        if members_at is not None:
            weights = weights.loc[weights.index.intersection(members_at(day))]
        comp = composite_scores(weights, theta)
        hist = _previous_rows(close, day, max(max_stale_days + 1, adv_window))
        last = hist.tail(max_stale_days + 1)
        price = last.where(last > 0).ffill().iloc[-1] if len(last) else pd.Series(
            np.nan, index=close.columns)
        adv = None
        if volume is not None:
            vol = volume.reindex(index=hist.index, columns=hist.columns)
            dollars = (hist * vol).tail(adv_window)
            adv = dollars.mean(axis=0).where(dollars.notna().sum(axis=0) >= 5)
        try:
            built = build_basket(comp, spec, price.reindex(weights.index),
                                 None if adv is None else adv.reindex(weights.index),
                                 None if sectors is None else sectors.reindex(weights.index))
        except UserError as exc:
            notes.append(f"{day:%Y-%m-%d}: no basket ({exc}); held cash")
            rows[day] = pd.Series(dtype=float)
            continue
        pos = built.positions
        rows[day] = pd.Series(pos["target_weight"].to_numpy(dtype=float),
                              index=pos["ticker"].astype(str).to_numpy())
        notes.extend(f"{day:%Y-%m-%d}: {n}" for n in built.notes)
    return _frame(rows, close.columns), notes


def _frame(rows: dict[pd.Timestamp, pd.Series], columns: pd.Index) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=columns, dtype=float)
    frame = pd.DataFrame({d: s for d, s in rows.items()}).T.reindex(columns=columns)
    frame.index = pd.DatetimeIndex(list(rows), name="date")
    return frame.fillna(0.0).astype(float)


def factor_book(factor_weights: pd.DataFrame, exposures: pd.Series,
                columns: pd.Index) -> pd.Series:
    """Stock weights of holding ``exposures[k]`` of each factor portfolio k."""
    used = [f for f in exposures.index if f in factor_weights.columns and exposures[f] != 0]
    if not used:
        return pd.Series(0.0, index=columns)
    book = factor_weights[used].to_numpy(dtype=float) @ exposures[used].to_numpy(dtype=float)
    return pd.Series(book, index=factor_weights.index).reindex(columns).fillna(0.0)


def factor_signal_states(momentum_signal: pd.DataFrame, level_z: pd.DataFrame,
                         threshold: float) -> pd.DataFrame:
    """Per day and factor, -1/0/+1: momentum BUY/SELL, plus the contrarian side of a level
    z-score beyond ``threshold`` (a stretched factor is expected to revert), clipped to +-1.

    ``momentum_signal`` holds BUY/SELL/HOLD strings (missing in the warm-up), ``level_z`` the
    z-scores; both are computed from data up to their own row.
    """
    mom = momentum_signal.replace({"BUY": 1.0, "SELL": -1.0, "HOLD": 0.0})
    mom = mom.apply(pd.to_numeric, errors="coerce").fillna(0.0)
    z = level_z.reindex_like(mom)
    rev = pd.DataFrame(np.where(z > threshold, -1.0, np.where(z < -threshold, 1.0, 0.0)),
                       index=mom.index, columns=mom.columns)
    return (mom + rev).clip(-1.0, 1.0)


def signal_targets(days: Sequence[pd.Timestamp], factor_weights_at: FactorWeightsAt,
                   states: pd.DataFrame, gross: float, columns: pd.Index) -> pd.DataFrame:
    """Target weights of ``factor-signals``: the state of the close before each day (row of
    ``states`` strictly before it) times the factor portfolios, the active factors sharing
    ``gross`` equally (cash when none is active)."""
    rows = {}
    for day in days:
        prior = _previous_rows(states, day, 1)
        if prior.empty:
            rows[day] = pd.Series(0.0, index=columns)
            continue
        s = prior.iloc[-1]
        active = float(np.abs(s).sum())
        exposures = s * (gross / active) if active > 0 else s * 0.0
        rows[day] = factor_book(factor_weights_at(day), exposures, columns)
    return _frame(rows, columns)


def regime_targets(days: Sequence[pd.Timestamp], factor_weights_at: FactorWeightsAt,
                   regimes: pd.Series, allocation: pd.DataFrame, gross: float,
                   columns: pd.Index) -> tuple[pd.DataFrame, list[str]]:
    """Target weights of ``regime``: ``gross`` times the allocation row of the regime filtered
    at the close before each day (cash before the first regime or for an all-zero row)."""
    rows = {}
    held = []
    for day in days:
        prior = _previous_rows(regimes.to_frame("regime"), day, 1)
        r = prior["regime"].iloc[-1] if len(prior) else pd.NA
        if pd.isna(r) or int(r) not in allocation.index:
            rows[day] = pd.Series(0.0, index=columns)
            held.append("none")
            continue
        rows[day] = factor_book(factor_weights_at(day), allocation.loc[int(r)] * gross, columns)
        held.append(str(int(r)))
    return _frame(rows, columns), held


def regime_change_days(days: pd.DatetimeIndex, regimes: pd.Series) -> pd.DatetimeIndex:
    """Days of ``days`` whose previous close's regime differs from the one before it (the
    regime strategy trades on those besides its rebalance days)."""
    prev = regimes.reindex(regimes.index).astype("Float64")
    changed = prev.ne(prev.shift(1)).fillna(False) & prev.notna()
    # the day after a change is the first one that can act on it
    act = pd.Series(changed.to_numpy(dtype=bool), index=regimes.index).shift(1, fill_value=False)
    act = act.reindex(days, fill_value=False)
    return days[act.to_numpy(dtype=bool)]
