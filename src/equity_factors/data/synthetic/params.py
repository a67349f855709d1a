"""What to simulate: the planted constants (:class:`ModelParams`, :class:`EventParams`) and the
request (:class:`SyntheticConfig`: size, seed, calendar, universe name)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_factors.data.synthetic.constants import DEFAULT_SEED, MAX_STOCKS, MIN_DAYS, MIN_STOCKS
from equity_factors.data.synthetic.universe_names import synthetic_universe_name
from equity_factors.errors import UserError

__all__ = ["EventParams", "ModelParams", "SyntheticConfig"]


@dataclass(frozen=True)
class ModelParams:
    """Constants of the factor model (see the module docstring for their meaning).

    Daily quantities are fractions (0.01 = 1 %). Tuples over regimes follow ``REGIMES``; tuples
    over styles follow ``STYLE_FACTORS``.
    """

    transition_matrix: tuple[tuple[float, ...], ...] = (
        (0.985, 0.012, 0.003),
        (0.04, 0.95, 0.01),
        (0.03, 0.04, 0.93),
    )
    regime_vol: tuple[float, ...] = (1.0, 1.7, 3.0)
    market_drift: tuple[float, ...] = (0.0006, -0.0003, -0.003)
    market_vol: float = 0.010
    sector_vol: float = 0.006
    style_vol: tuple[float, ...] = (0.0035, 0.0030, 0.0045, 0.0030)
    style_sharpe: tuple[float, ...] = (-0.2, 0.4, 1.0, 0.5)
    tail_df: float = 5.0
    beta_mean: float = 1.0
    beta_sd: float = 0.25
    beta_clip: tuple[float, float] = (0.3, 2.0)
    sector_loading_mean: float = 1.0
    sector_loading_sd: float = 0.2
    sector_loading_clip: tuple[float, float] = (0.3, 1.7)
    idio_vol_median: float = 0.0135
    idio_vol_dispersion: float = 0.25
    idio_size_slope: float = 0.15
    log_cap_mean: float = math.log(5e9)
    log_cap_sd: float = 1.3
    refresh_days: int = 21
    momentum_lookback: int = 252
    momentum_skip: int = 21
    vol_lookback: int = 252
    min_history: int = 63
    z_clip: float = 3.0
    return_floor: float = -0.95

    def stationary_distribution(self) -> np.ndarray:
        """Long-run share of each regime under ``transition_matrix``, shape (3,)."""
        tm = np.asarray(self.transition_matrix, dtype=float)
        # Solve pi (P - I) = 0 with sum(pi) = 1 as a least-squares system.
        a = np.vstack([tm.T - np.eye(len(tm)), np.ones(len(tm))])
        rhs = np.zeros(len(tm) + 1)
        rhs[-1] = 1.0
        return np.linalg.lstsq(a, rhs, rcond=None)[0]

    def style_means(self) -> np.ndarray:
        """Daily mean of each style factor, shape (4,).

        ``style_sharpe * style_vol * m / sqrt(252)`` where ``m = sqrt(sum_s pi_s regime_vol_s**2)``
        is the long-run vol multiplier, so ``style_sharpe`` is the unconditional annual Sharpe.
        """
        pi = self.stationary_distribution()
        m = math.sqrt(float(pi @ np.asarray(self.regime_vol, dtype=float) ** 2))
        return np.asarray(self.style_sharpe) * np.asarray(self.style_vol) * m / math.sqrt(252.0)


@dataclass(frozen=True)
class EventParams:
    """Constants of listings, corporate events, fundamentals and trading (see module docstring)."""

    late_listing_share: float = 0.15
    delisting_share: float = 0.10
    min_life_days: int = 252
    initial_price_range: tuple[float, float] = (10.0, 200.0)
    dividend_payer_share: float = 0.5
    dividend_yield_range: tuple[float, float] = (0.0025, 0.01)
    split_threshold: float = 500.0
    random_split_rate: float = 0.01
    random_split_min_price: float = 30.0
    report_lag_days: tuple[int, int] = (20, 43)
    bm_median: float = 0.5
    bm_log_sd: float = 0.6
    bm_ar: float = 0.85
    bm_noise: float = 0.25
    ey_mean: float = 0.05
    ey_value_slope: float = 0.03
    ey_noise: float = 0.03
    turnover_median: float = 0.005
    turnover_noise: float = 0.3
    volume_return_slope: float = 1.0
    open_gap_scale: float = 0.3
    range_scale: float = 0.5


@dataclass(frozen=True)
class SyntheticConfig:
    """What to simulate.

    Parameters
    ----------
    n_stocks : int
        Number of stocks ever listed, in [20, 5000].
    seed : int
        Seed of every random stream (non-negative).
    start, end : str
        First and last calendar dates; the calendar is ``pandas.bdate_range(start, end)``.
    n_days : int or None
        If given, overrides ``end``: that many business days from ``start`` (at least 63).
    universe : str or None
        Name used for symbols (``f"{universe}_{i:04d}"``) and ETFs; default
        ``synthetic_universe_name(n_stocks, seed)``.
    model, events : ModelParams, EventParams
        The planted constants.
    """

    n_stocks: int = 500
    seed: int = DEFAULT_SEED
    start: str = "2005-01-03"
    end: str = "2024-12-31"
    n_days: int | None = None
    universe: str | None = None
    model: ModelParams = field(default_factory=ModelParams)
    events: EventParams = field(default_factory=EventParams)

    def __post_init__(self) -> None:
        if not isinstance(self.n_stocks, (int, np.integer)) or not (
            MIN_STOCKS <= self.n_stocks <= MAX_STOCKS
        ):
            raise UserError(
                f"n_stocks={self.n_stocks!r} is out of range: use an integer between "
                f"{MIN_STOCKS} and {MAX_STOCKS}"
            )
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise UserError(f"seed={self.seed!r} is invalid: use a non-negative integer")
        if self.n_days is not None and (
            not isinstance(self.n_days, (int, np.integer)) or self.n_days < MIN_DAYS
        ):
            raise UserError(
                f"n_days={self.n_days!r} is too short: use at least {MIN_DAYS} business days"
            )
        if self.universe is not None and not str(self.universe).strip():
            raise UserError("universe name is empty: give a name such as SYN500 or leave it unset")
        n_days = len(self.dates())
        if n_days < MIN_DAYS:
            raise UserError(
                f"the calendar {self.start}..{self.end} has {n_days} business days: use an end "
                f"date giving at least {MIN_DAYS}"
            )
        mp = self.model
        if mp.refresh_days < 1 or mp.min_history < 2 or mp.tail_df <= 2:
            raise UserError(
                "model needs refresh_days >= 1, min_history >= 2 and tail_df > 2: fix ModelParams"
            )
        tm = np.asarray(self.model.transition_matrix, dtype=float)
        if tm.shape != (3, 3) or np.any(tm < 0) or not np.allclose(tm.sum(axis=1), 1.0):
            raise UserError(
                "model.transition_matrix must be 3x3 with non-negative rows summing to 1"
            )

    @property
    def universe_name(self) -> str:
        """The universe name in force (``universe`` or the default synthetic name)."""
        if self.universe is not None:
            return str(self.universe).strip()
        return synthetic_universe_name(self.n_stocks, self.seed)

    def dates(self) -> pd.DatetimeIndex:
        """The business-day calendar, shape (n_days,), named ``date``, without a freq."""
        try:
            start = pd.Timestamp(self.start)
            if self.n_days is not None:
                raw = pd.bdate_range(start=start, periods=int(self.n_days))
            else:
                raw = pd.bdate_range(start=start, end=pd.Timestamp(self.end))
        except (ValueError, TypeError):
            raise UserError(
                f"bad synthetic calendar start={self.start!r} end={self.end!r}: use YYYY-MM-DD "
                "dates"
            ) from None
        return pd.DatetimeIndex(raw.values, name="date")
