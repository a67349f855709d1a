"""Seeded synthetic equity market with planted factors, regimes, listings and corporate events.

Pure computation: :func:`simulate_market` turns a :class:`SyntheticConfig` into prices,
point-in-time fundamentals, ETF-like holdings and the :class:`GroundTruth` that generated them,
so tests and users can check that a method recovers what was planted. Same config, same output,
bit for bit. Every constant below is a field of :class:`ModelParams` or :class:`EventParams`
(defaults in brackets).

Calendar
    Business days (``pandas.bdate_range``, Monday to Friday, no holidays) from ``start`` to ``end``,
    or ``n_days`` business days from ``start``. Day index ``t`` = position in that calendar.

Regimes
    A Markov chain on ``REGIMES = (calm, stressed, crisis)`` that starts calm, with daily
    transition matrix [(0.985, 0.012, 0.003), (0.04, 0.95, 0.01), (0.03, 0.04, 0.93)]
    (stationary shares about 72 / 22 / 6 %, mean spells 67 / 20 / 14 days). A regime scales every
    factor shock by ``regime_vol`` [1.0, 1.7, 3.0] and every idiosyncratic shock by its square
    root; the market factor drifts by ``market_drift`` [+0.0006, -0.0003, -0.003] a day.

Factors (16, ``FACTOR_NAMES``)
    ``market`` (daily vol ``market_vol`` [1 %] in calm), one ``sector:<name>`` per GICS sector
    (``sector_vol`` [0.6 %], mean 0) and the styles size / value / momentum / low_vol
    (``style_vol`` [0.35, 0.30, 0.45, 0.30 %] in calm) with means set so that their long-run annual
    Sharpe ratios are ``style_sharpe`` [-0.2, 0.4, 1.0, 0.5] (momentum the most profitable; see
    ``ModelParams.style_means``).
    Shocks are Student-t with ``tail_df`` [5] degrees of freedom scaled to unit variance.

Loadings
    Market beta ~ N(``beta_mean`` [1], ``beta_sd`` [0.25]) clipped to ``beta_clip`` [0.3, 2];
    loading on the stock's own sector ~ N(1, ``sector_loading_sd`` [0.2]) clipped to
    ``sector_loading_clip`` [0.3, 1.7], 0 on the others. Style exposures are refreshed every
    ``refresh_days`` [21] business days (day indexes 0, 21, 42, ...) and hold on
    ``[refresh, next refresh)``. At refresh day ``t`` they use data up to day ``t - 1`` only:

    * the cross-section is every stock listed on at least one day of the block;
    * size = log of the latest market_cap with ``reported_date < date[t]``;
    * value = log of the latest book_to_market with ``reported_date < date[t]``;
    * momentum = ``prod(1 + r[t-252 : t-21]) - 1`` (Python slice of day indexes, so the 231
      daily returns that end 21 business days before the refresh; ``momentum_lookback`` [252],
      ``momentum_skip`` [21]) over the non-missing returns;
    * low_vol = minus the standard deviation (ddof=1) of the non-missing returns ``r[t-252 : t]``
      (``vol_lookback`` [252]); a stock with fewer than ``min_history`` [63] returns there uses the
      planted proxy
      ``sqrt((beta * market_vol)**2 + (sector_loading * sector_vol)**2 + idio_vol**2)``.

    Each raw characteristic is z-scored over the cross-section's non-missing values (population
    std, ddof=0), clipped to +-``z_clip`` [3]; a missing value (no report yet, fewer than 63
    momentum returns) becomes 0; low_vol is the negated z-score. Stocks outside the cross-section
    have no exposure rows.

Returns
    ``r = beta * f_market + s * f_sector + sum_k x_k * f_k + idio_vol * sqrt(regime_vol) * eps``
    with eps Student-t(5) of unit variance, clipped below at ``return_floor`` [-0.95]. Idiosyncratic
    vol = ``idio_vol_median`` [1.35 %] * exp(``idio_vol_dispersion`` [0.25] * N(0, 1) -
    ``idio_size_slope`` [0.15] * z(log initial market cap)), so small caps are noisier. Returns are
    NaN on days a stock is not listed and on its first listed day (no previous close).

Listings
    ``late_listing_share`` [15 %] of the stocks list after the first day and ``delisting_share``
    [10 %] stop trading before the last day; every life lasts at least ``min_life_days`` [252]
    business days (a third of the calendar when that is shorter). ``delist_date`` is the last day
    with a price.

Prices and corporate events
    Initial close ~ U(``initial_price_range``) [10, 200]; initial market cap lognormal with median
    exp(``log_cap_mean``) [5e9] and log sd ``log_cap_sd`` [1.3]; shares = cap / close.
    ``dividend_payer_share`` [50 %] of stocks pay quarterly dividends: a quarterly yield
    ~ U(``dividend_yield_range``) [0.25 %, 1 %] of the previous close, ex on the first business
    day on or after a per-stock day of month (5 to 25) in every third month. Splits: 2:1 the day
    after a raw close above ``split_threshold`` [500], and random 3:2 splits at
    ``random_split_rate`` [1 %] per stock-year when the previous close is above
    ``random_split_min_price`` [30]. Raw close ``C_t = (C_{t-1} (1 + r_t) - D_t) / s_t``.
    ``adj_close`` is backward adjusted: it equals ``close`` on the last listed day and its
    ``pct_change`` is the planted return (to 1e-14). Open = previous close (ex dividend and split)
    times exp(N(0, ``open_gap_scale`` [0.3] * sigma)); high / low add |N(0, ``range_scale`` [0.5]
    * sigma)| in log terms above / below max / min(open, close), where sigma is the stock's proxy
    vol times sqrt(regime_vol). Volume (whole shares, stored as float in the wide frame because of
    NaN) = shares * ``turnover_median`` [0.5 %] * exp(``turnover_noise`` [0.3] * N(0, 1)) *
    (1 + ``volume_return_slope`` [1] * |r| / sigma).

Fundamentals
    One report per calendar quarter end (Mar/Jun/Sep/Dec) whose business-day close falls inside the
    stock's life; ``reported_date`` = the business day on or after period_end + U{20..43} calendar
    days (so 20 to 45 days later), kept only when it falls on or before both the last simulated day
    and the delist date. market_cap = shares * close at the period end's last business day;
    log book_to_market = per-stock mean ~ N(log ``bm_median`` [0.5], ``bm_log_sd`` [0.6]) plus a
    quarterly AR(1) (``bm_ar`` [0.85], stationary sd ``bm_noise`` [0.25]); earnings_yield =
    ``ey_mean`` [5 %] + ``ey_value_slope`` [3 %] * (log b/m - log bm_median) / bm_log_sd +
    ``ey_noise`` [3 %] * N(0, 1) (negative for about one report in nine); shares_outstanding
    follows splits.

Holdings
    An ETF named as the universe (cap-weighted over every listed stock) and one per sector named
    ``f"{universe}-{SECTOR_CODES[sector]}"`` (cap-weighted within the sector), as of the first day
    and the last business day of every December in the calendar.

Random streams are independent per component (``derive_seed(seed, label)``), so e.g. the OHLC
noise never changes the returns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from equity_factors._random import check_random_state, derive_seed
from equity_factors.errors import UserError

__all__ = [
    "FACTOR_NAMES",
    "FUNDAMENTAL_FIELDS",
    "MAX_STOCKS",
    "MIN_STOCKS",
    "PRICE_FIELDS",
    "REGIMES",
    "SECTORS",
    "SECTOR_CODES",
    "STYLE_FACTORS",
    "EventParams",
    "GroundTruth",
    "ModelParams",
    "SyntheticConfig",
    "SyntheticMarket",
    "parse_synthetic_universe",
    "simulate_market",
    "synthetic_universe_name",
]

SECTORS: tuple[str, ...] = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)
#: Three-letter code of each sector, used in sector ETF names (``SYN500-TEC``).
SECTOR_CODES: dict[str, str] = {
    "Communication Services": "COM",
    "Consumer Discretionary": "CDI",
    "Consumer Staples": "CST",
    "Energy": "ENE",
    "Financials": "FIN",
    "Health Care": "HLC",
    "Industrials": "IND",
    "Information Technology": "TEC",
    "Materials": "MAT",
    "Real Estate": "RLE",
    "Utilities": "UTL",
}
STYLE_FACTORS: tuple[str, ...] = ("size", "value", "momentum", "low_vol")
REGIMES: tuple[str, ...] = ("calm", "stressed", "crisis")
FACTOR_NAMES: tuple[str, ...] = (
    "market",
    *(f"sector:{s}" for s in SECTORS),
    *STYLE_FACTORS,
)
MIN_STOCKS = 20
MAX_STOCKS = 5000
DEFAULT_SEED = 42
MIN_DAYS = 63
FUNDAMENTAL_FIELDS: tuple[str, ...] = (
    "market_cap",
    "book_to_market",
    "earnings_yield",
    "shares_outstanding",
)
PRICE_FIELDS: tuple[str, ...] = (
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "dividend",
    "split",
)
# Relative sector sizes used when assigning sectors (roughly the S&P 500 mix), normalized.
_SECTOR_WEIGHTS = np.array([0.05, 0.11, 0.07, 0.05, 0.13, 0.12, 0.13, 0.14, 0.05, 0.06, 0.06])

_UNIVERSE_RE = re.compile(r"^SYN(\d+)(?:-S(\d+))?$", re.IGNORECASE)
_SYN_PREFIX_RE = re.compile(r"^SYN\d", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Universe names
# ---------------------------------------------------------------------------------------------
def parse_synthetic_universe(name: str) -> tuple[int, int] | None:
    """Parse a synthetic universe name.

    ``"SYN500"`` -> ``(500, 42)``; ``"syn500-s7"`` -> ``(500, 7)`` (case-insensitive, surrounding
    blanks ignored). A name that is not synthetic (``"SPY"``, ``"SYNA"``) gives ``None``.

    Raises
    ------
    UserError
        If the name starts like a synthetic one (``SYN`` and a digit) but is malformed, or the
        number of stocks is outside [20, 5000].
    """
    text = str(name).strip()
    match = _UNIVERSE_RE.match(text)
    if match is None:
        if _SYN_PREFIX_RE.match(text):
            raise UserError(
                f"malformed synthetic universe {name!r}: use SYN<n> or SYN<n>-S<seed>, "
                "e.g. SYN500 or SYN500-S7"
            )
        return None
    n_stocks = int(match.group(1))
    seed = DEFAULT_SEED if match.group(2) is None else int(match.group(2))
    if not MIN_STOCKS <= n_stocks <= MAX_STOCKS:
        raise UserError(
            f"synthetic universe {name!r} has {n_stocks} stocks: use between {MIN_STOCKS} and "
            f"{MAX_STOCKS}, e.g. SYN500"
        )
    return n_stocks, seed


def synthetic_universe_name(n_stocks: int, seed: int) -> str:
    """Name of a synthetic universe: ``(500, 42)`` -> ``SYN500``, ``(500, 7)`` -> ``SYN500-S7``."""
    n_stocks, seed = int(n_stocks), int(seed)
    return f"SYN{n_stocks}" if seed == DEFAULT_SEED else f"SYN{n_stocks}-S{seed}"


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GroundTruth:
    """What the simulator planted.

    Attributes
    ----------
    factor_names : tuple of str
        ``FACTOR_NAMES``: market, 11 ``sector:<name>``, size, value, momentum, low_vol.
    factor_returns : DataFrame of shape (n_dates, 16)
        Planted daily factor returns (drift included).
    returns : DataFrame of shape (n_dates, n_stocks)
        Planted total daily returns; NaN when not listed and on the first listed day.
    exposures : DataFrame
        Long: ``date`` (refresh date), ``symbol``, ``factor`` (a style), ``value``; the style
        exposure in force from that date until the next refresh date.
    static_loadings : DataFrame of shape (n_stocks, 12)
        Index ``symbol``; columns ``market`` (beta) and each ``sector:<name>``.
    regimes : Series of shape (n_dates,)
        Regime name of each date.
    transition_matrix : DataFrame of shape (3, 3)
        Daily transition probabilities, rows = from, columns = to (``REGIMES``).
    idio_vol : Series of shape (n_stocks,)
        Daily idiosyncratic vol in the calm regime.
    """

    factor_names: tuple[str, ...]
    factor_returns: pd.DataFrame
    returns: pd.DataFrame
    exposures: pd.DataFrame
    static_loadings: pd.DataFrame
    regimes: pd.Series
    transition_matrix: pd.DataFrame
    idio_vol: pd.Series

    @cached_property
    def refresh_dates(self) -> pd.DatetimeIndex:
        """Dates on which the style exposures were refreshed, ascending."""
        return pd.DatetimeIndex(np.unique(self.exposures["date"].to_numpy()), name="date")

    @cached_property
    def _listing_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        # First listed day = first return - 1 (the listing day has no previous close).
        ok = ~np.isnan(self.returns.to_numpy())
        n_days = ok.shape[0]
        has = ok.any(axis=0)
        first = np.where(has, ok.argmax(axis=0) - 1, n_days)
        last = np.where(has, n_days - 1 - ok[::-1].argmax(axis=0), -1)
        return first, last

    @cached_property
    def _exposure_dates(self) -> np.ndarray:
        return self.exposures["date"].to_numpy()

    def loadings_at(self, date: object) -> pd.DataFrame:
        """Full loading matrix in force on ``date``.

        Parameters
        ----------
        date : date-like
            A date on or after the first simulated date; a non-business day uses the business
            day before it.

        Returns
        -------
        DataFrame of shape (n_stocks, 16)
            Index = symbols, columns = ``factor_names``; a stock's row is NaN when it is not listed
            on ``date``. Returns on ``date`` satisfy ``r = loadings @ f + idiosyncratic``.
        """
        ts = pd.Timestamp(date)
        dates = self.returns.index
        if ts < dates[0]:
            raise UserError(
                f"date {ts.date()} is before the simulation starts ({dates[0].date()}): "
                "pick a later date"
            )
        refresh = self.refresh_dates
        block_start = refresh[refresh.searchsorted(ts, side="right") - 1].to_datetime64()
        col = self._exposure_dates
        lo = np.searchsorted(col, block_start, "left")
        hi = np.searchsorted(col, block_start, "right")
        if hi <= lo or col[lo] != block_start:  # not sorted by date: fall back to a mask
            rows = self.exposures[col == block_start]
        else:
            rows = self.exposures.iloc[lo:hi]
        styles = rows.pivot(index="symbol", columns="factor", values="value")
        symbols = self.static_loadings.index
        styles = styles.reindex(index=symbols, columns=list(STYLE_FACTORS))
        out = pd.concat([self.static_loadings, styles], axis=1)[list(self.factor_names)]
        pos = dates.searchsorted(ts, side="right") - 1
        first, last = self._listing_bounds
        out.loc[~((first <= pos) & (pos <= last))] = np.nan
        out.index.name = "symbol"
        out.columns.name = None
        return out

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every part as a DataFrame with string column names and a default index (for Parquet)."""
        frames = {
            "factor_returns": self.factor_returns.reset_index(),
            "returns": self.returns.reset_index(),
            "exposures": self.exposures.reset_index(drop=True),
            "static_loadings": self.static_loadings.reset_index(),
            "regimes": self.regimes.rename("regime").reset_index(),
            "transition_matrix": self.transition_matrix.rename_axis("from").reset_index(),
            "idio_vol": self.idio_vol.rename("idio_vol").reset_index(),
        }
        for frame in frames.values():
            frame.columns = [str(c) for c in frame.columns]
        return frames

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame]) -> GroundTruth:
        """Rebuild from :meth:`to_frames` output (an exact round trip)."""
        missing = {"factor_returns", "returns", "exposures", "static_loadings", "regimes",
                   "transition_matrix", "idio_vol"} - set(frames)
        if missing:
            raise UserError(
                f"ground truth is missing {sorted(missing)}: save every frame of to_frames()"
            )

        def wide(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame.set_index("date")
            out.index = pd.DatetimeIndex(out.index, name="date")
            out.columns = pd.Index([str(c) for c in out.columns])
            return out

        factor_returns = wide(frames["factor_returns"])
        returns = wide(frames["returns"])
        regimes_frame = frames["regimes"]
        regimes = pd.Series(
            regimes_frame["regime"].to_numpy(),
            index=pd.DatetimeIndex(regimes_frame["date"], name="date"),
            name="regime",
        ).astype("str")
        tm = frames["transition_matrix"].set_index("from")
        tm.index.name = None
        idio = frames["idio_vol"]
        idio_vol = pd.Series(
            idio["idio_vol"].to_numpy(dtype=float),
            index=pd.Index(idio["symbol"].astype("str"), name="symbol"),
            name="idio_vol",
        )
        static = frames["static_loadings"].set_index("symbol")
        static.index = pd.Index(static.index.astype("str"), name="symbol")
        return cls(
            factor_names=tuple(str(c) for c in factor_returns.columns),
            factor_returns=factor_returns,
            returns=returns,
            exposures=frames["exposures"].reset_index(drop=True),
            static_loadings=static,
            regimes=regimes,
            transition_matrix=tm,
            idio_vol=idio_vol,
        )


@dataclass(frozen=True, eq=False)
class SyntheticMarket:
    """A simulated market.

    Attributes
    ----------
    config : SyntheticConfig
    securities : DataFrame of shape (n_stocks, 5)
        ``symbol, name, sector, list_date, delist_date`` (``delist_date`` = last day with a
        price, NaT when still listed on the last simulated day).
    prices : dict of str to DataFrame of shape (n_dates, n_stocks)
        Keys ``PRICE_FIELDS``; NaN when not listed. ``dividend`` = cash on the ex-date else 0,
        ``split`` = coefficient (2.0 for 2:1) on the effective date else 1, ``volume`` = whole
        shares stored as float.
    fundamentals : DataFrame
        Long: ``symbol, field, period_end, reported_date, value``.
    holdings : DataFrame
        ``etf, symbol, weight, as_of``; weights sum to 1 per (etf, as_of).
    truth : GroundTruth
    """

    config: SyntheticConfig
    securities: pd.DataFrame
    prices: dict[str, pd.DataFrame]
    fundamentals: pd.DataFrame
    holdings: pd.DataFrame
    truth: GroundTruth

    @property
    def symbols(self) -> pd.Index:
        """All symbols, in order."""
        return self.prices["close"].columns

    def bars_long(self, symbols: list[str] | None = None) -> pd.DataFrame:
        """Daily bars in long form, listed days only.

        Parameters
        ----------
        symbols : list of str or None
            Subset of symbols (default all); unknown symbols raise UserError.

        Returns
        -------
        DataFrame of shape (n_bars, 10)
            ``date, symbol, open, high, low, close, adj_close, volume (int64), dividend, split``,
            sorted by symbol then date.
        """
        close = self.prices["close"]
        if symbols is None:
            cols = np.arange(close.shape[1])
        else:
            wanted = [str(s) for s in symbols]
            pos = close.columns.get_indexer(wanted)
            unknown = [s for s, p in zip(wanted, pos, strict=True) if p < 0]
            if unknown:
                raise UserError(
                    f"unknown synthetic symbols {unknown[:5]}: use symbols like "
                    f"{close.columns[0]}"
                )
            cols = pos
        values = close.to_numpy()[:, cols]
        s_loc, d_idx = np.nonzero(~np.isnan(values.T))
        s_idx = cols[s_loc]
        out = {
            "date": close.index.to_numpy()[d_idx],
            "symbol": _str_take(close.columns, s_idx),
        }
        for name in ("open", "high", "low", "close", "adj_close", "volume", "dividend", "split"):
            arr = self.prices[name].to_numpy()[d_idx, s_idx]
            out[name] = arr.astype(np.int64) if name == "volume" else arr
        return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------------
def simulate_market(config: SyntheticConfig) -> SyntheticMarket:
    """Simulate a synthetic market.

    Parameters
    ----------
    config : SyntheticConfig

    Returns
    -------
    SyntheticMarket
        Prices, fundamentals, holdings and the ground truth; identical for identical configs.
    """
    mp, ep = config.model, config.events
    dates = config.dates()
    n_days, n = len(dates), int(config.n_stocks)
    universe = config.universe_name
    symbols = pd.Index([f"{universe}_{i:04d}" for i in range(1, n + 1)], dtype="str", name=None)

    def rng_for(label: str) -> np.random.Generator:
        return check_random_state(derive_seed(config.seed, "synthetic", label))

    # --- regimes and factor returns ---------------------------------------------------------
    regime_idx = _simulate_regimes(rng_for("regimes"), mp.transition_matrix, n_days)
    vol_mult = np.asarray(mp.regime_vol, dtype=float)[regime_idx]
    f_shocks = _student_t(rng_for("factors"), mp.tail_df, (n_days, len(FACTOR_NAMES)))
    scale = np.concatenate(
        [[mp.market_vol], np.full(len(SECTORS), mp.sector_vol), np.asarray(mp.style_vol)]
    )
    factors = f_shocks * scale[None, :] * vol_mult[:, None]
    factors[:, 0] += np.asarray(mp.market_drift, dtype=float)[regime_idx]
    factors[:, 1 + len(SECTORS) :] += mp.style_means()[None, :]
    f_market = factors[:, 0]
    f_sector = factors[:, 1 : 1 + len(SECTORS)]
    f_style = factors[:, 1 + len(SECTORS) :]

    # --- cross-section: sectors, loadings, idio vol, sizes, names ---------------------------
    rng = rng_for("cross_section")
    sector_idx = _assign_sectors(rng, n)
    beta = np.clip(rng.normal(mp.beta_mean, mp.beta_sd, n), *mp.beta_clip)
    sec_load = np.clip(
        rng.normal(mp.sector_loading_mean, mp.sector_loading_sd, n), *mp.sector_loading_clip
    )
    log_cap0 = rng.normal(mp.log_cap_mean, mp.log_cap_sd, n)
    zcap0 = (log_cap0 - log_cap0.mean()) / log_cap0.std()
    idio_vol = mp.idio_vol_median * np.exp(
        mp.idio_vol_dispersion * rng.standard_normal(n) - mp.idio_size_slope * zcap0
    )
    proxy_vol = np.sqrt((beta * mp.market_vol) ** 2 + (sec_load * mp.sector_vol) ** 2 + idio_vol**2)
    price0 = rng.uniform(*ep.initial_price_range, n)
    shares0 = np.exp(log_cap0) / price0
    names = _fake_names(rng_for("names"), sector_idx)

    # --- listings ----------------------------------------------------------------------------
    list_idx, last_idx = _simulate_listings(rng_for("listings"), n, n_days, ep)

    # --- fundamentals schedule (book-to-market is exogenous; market cap comes from prices) ---
    sched = _fundamentals_schedule(rng_for("fundamentals"), dates, list_idx, last_idx, ep)

    # --- dividends (ex-date mask and per-stock quarterly yield) -------------------------------
    ex_mask, div_yield = _dividend_schedule(rng_for("dividends"), dates, list_idx, last_idx, ep)

    # --- returns, block by block with point-in-time style exposures ---------------------------
    returns = np.full((n_days, n), np.nan)
    pidx = np.full((n_days, n), np.nan)  # close price with splits undone: market cap / shares0
    rng_idio = rng_for("idio")
    sqrt_mult = np.sqrt(vol_mult)
    window = _WindowStats(returns, mp.refresh_days)
    exp_blocks: list[tuple[int, np.ndarray, np.ndarray]] = []
    day = np.arange(n_days)
    for k in range(0, n_days, mp.refresh_days):
        b = min(k + mp.refresh_days, n_days)
        in_block = (list_idx < b) & (last_idx >= k)
        x = _style_exposures(k, in_block, window, pidx, shares0, proxy_vol, sched, mp)
        cs = np.flatnonzero(in_block)
        exp_blocks.append((k, cs, x[cs]))
        eps = _student_t(rng_idio, mp.tail_df, (b - k, n))
        r = (
            f_market[k:b, None] * beta[None, :]
            + f_sector[k:b][:, sector_idx] * sec_load[None, :]
            + f_style[k:b] @ x.T
            + eps * (idio_vol[None, :] * sqrt_mult[k:b, None])
        )
        np.maximum(r, mp.return_floor, out=r)
        d = day[k:b, None]
        alive = (d >= list_idx[None, :]) & (d <= last_idx[None, :])
        first_day = d == list_idx[None, :]
        r[~alive | first_day] = np.nan
        returns[k:b] = r
        window.add_block(k // mp.refresh_days, r)
        # Price index: P_t = P_{t-1} (1 + r_t - q * ex_t), starting at the initial close.
        growth = 1.0 + r - div_yield[None, :] * ex_mask[k:b]
        growth[first_day] = np.broadcast_to(price0, (b - k, n))[first_day]
        growth[d < list_idx[None, :]] = 1.0
        prev = pidx[k - 1] if k > 0 else np.full(n, np.nan)
        block_p = _cumprod_rows(growth, np.where(np.isnan(prev), 1.0, prev))
        block_p[~alive] = np.nan
        pidx[k:b] = block_p
        del eps, r, growth, block_p, alive

    # --- splits, raw prices and dividends --------------------------------------------------
    split, cum_split = _simulate_splits(rng_for("splits"), pidx, list_idx, last_idx, ep)
    close = pidx / cum_split
    dividend = np.zeros((n_days, n))
    ti, ci = np.nonzero(ex_mask)  # ex-dates come after the listing day, so ti >= 1
    dividend[ti, ci] = div_yield[ci] * close[ti - 1, ci]
    del ex_mask, ti, ci

    # Market caps (shares0 * pidx) feed fundamentals and holdings; pidx is not needed after.
    fundamentals = _fundamentals_frame(sched, symbols, pidx, shares0, cum_split)
    holdings = _holdings_frame(universe, dates, symbols, sector_idx, pidx, shares0,
                               list_idx, last_idx)
    del pidx

    # --- adjusted close: backward adjusted on the planted returns ------------------------------
    adj = _adjusted_close(returns, close, last_idx)

    # --- open / high / low / volume ------------------------------------------------------------
    alive_all = (day[:, None] >= list_idx[None, :]) & (day[:, None] <= last_idx[None, :])
    ohlv = _ohlc_volume(
        rng_for("ohlc"), close, dividend, split, returns, proxy_vol, sqrt_mult, shares0,
        cum_split, alive_all, ep,
    )
    dividend[~alive_all] = np.nan
    split[~alive_all] = np.nan
    del alive_all

    frame = _wide_factory(dates, symbols)
    prices = {
        "open": frame(ohlv["open"]),
        "high": frame(ohlv["high"]),
        "low": frame(ohlv["low"]),
        "close": frame(close),
        "adj_close": frame(adj),
        "volume": frame(ohlv["volume"]),
        "dividend": frame(dividend),
        "split": frame(split),
    }

    # --- tables ---------------------------------------------------------------------------------
    list_dates = dates[list_idx]
    delist = pd.DatetimeIndex(dates[last_idx]).where(last_idx < n_days - 1)
    securities = pd.DataFrame(
        {
            "symbol": symbols,
            "name": pd.array(names, dtype="str"),
            "sector": pd.array([SECTORS[s] for s in sector_idx], dtype="str"),
            "list_date": pd.DatetimeIndex(list_dates).to_numpy(),
            "delist_date": delist.to_numpy(),
        }
    )

    factor_returns = pd.DataFrame(factors, index=dates.copy(), columns=pd.Index(FACTOR_NAMES))
    static = np.zeros((n, 1 + len(SECTORS)))
    static[:, 0] = beta
    static[np.arange(n), 1 + sector_idx] = sec_load
    static_loadings = pd.DataFrame(
        static,
        index=pd.Index(symbols, name="symbol"),
        columns=pd.Index(FACTOR_NAMES[: 1 + len(SECTORS)]),
    )
    exposures = _exposures_frame(exp_blocks, dates, symbols)
    truth = GroundTruth(
        factor_names=FACTOR_NAMES,
        factor_returns=factor_returns,
        returns=frame(returns),
        exposures=exposures,
        static_loadings=static_loadings,
        regimes=pd.Series(
            pd.array(np.asarray(REGIMES, dtype=object)[regime_idx], dtype="str"),
            index=dates.copy(),
            name="regime",
        ),
        transition_matrix=pd.DataFrame(
            np.asarray(mp.transition_matrix, dtype=float),
            index=pd.Index(REGIMES),
            columns=pd.Index(REGIMES),
        ),
        idio_vol=pd.Series(idio_vol, index=pd.Index(symbols, name="symbol"), name="idio_vol"),
    )
    return SyntheticMarket(
        config=config,
        securities=securities,
        prices=prices,
        fundamentals=fundamentals,
        holdings=holdings,
        truth=truth,
    )


# ---------------------------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------------------------
def _student_t(rng: np.random.Generator, df: float, size: tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance (df > 2)."""
    return rng.standard_t(df, size=size) * math.sqrt((df - 2.0) / df)


def _simulate_regimes(
    rng: np.random.Generator, transition: tuple[tuple[float, ...], ...], n_days: int
) -> np.ndarray:
    """Markov chain path starting calm, shape (n_days,) of regime indexes."""
    cum = np.cumsum(np.asarray(transition, dtype=float), axis=1)
    cum[:, -1] = 1.0
    u = rng.random(n_days)
    path = np.zeros(n_days, dtype=np.int64)
    state = 0
    for t in range(1, n_days):
        state = int(np.searchsorted(cum[state], u[t], side="right"))
        path[t] = state
    return path


def _assign_sectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random sectors, every sector at least twice when n >= 22."""
    p = _SECTOR_WEIGHTS / _SECTOR_WEIGHTS.sum()
    k = len(SECTORS)
    if n >= 2 * k:
        base = np.repeat(np.arange(k), 2)
        extra = rng.choice(k, size=n - 2 * k, p=p)
        return rng.permutation(np.concatenate([base, extra]))
    return rng.choice(k, size=n, p=p)


_NAME_HEADS = ("Al", "Bel", "Cor", "Dyn", "El", "Fen", "Gal", "Hal", "Ion", "Jor", "Kel", "Lum",
               "Mar", "Nor", "Ob", "Pax", "Quin", "Ros", "Sol", "Tor", "Ul", "Ver", "Wes", "Xan",
               "Yor", "Zen")
_NAME_MIDS = ("a", "e", "i", "o", "u", "ar", "en", "on", "il", "or")
_NAME_TAILS = ("tek", "dex", "vale", "corp", "ex", "ia", "ium", "on", "ar", "is", "ica", "gen")
_NAME_SECTOR = ("Media", "Brands", "Foods", "Energy", "Financial", "Health", "Industries",
                "Systems", "Materials", "Properties", "Power")
_NAME_SUFFIX = ("Inc.", "Corp.", "Holdings", "Group", "plc")


def _fake_names(rng: np.random.Generator, sector_idx: np.ndarray) -> list[str]:
    """Deterministic fake company names, e.g. ``"Norentek Systems Inc."``."""
    n = len(sector_idx)
    h = rng.integers(0, len(_NAME_HEADS), n)
    m = rng.integers(0, len(_NAME_MIDS), n)
    t = rng.integers(0, len(_NAME_TAILS), n)
    s = rng.integers(0, len(_NAME_SUFFIX), n)
    return [
        f"{_NAME_HEADS[h[i]]}{_NAME_MIDS[m[i]]}{_NAME_TAILS[t[i]]} "
        f"{_NAME_SECTOR[sector_idx[i]]} {_NAME_SUFFIX[s[i]]}"
        for i in range(n)
    ]


def _simulate_listings(
    rng: np.random.Generator, n: int, n_days: int, ep: EventParams
) -> tuple[np.ndarray, np.ndarray]:
    """First and last listed day index of each stock, shape (n,) each."""
    min_life = int(min(ep.min_life_days, n_days // 3))
    late = rng.random(n) < ep.late_listing_share
    dies = rng.random(n) < ep.delisting_share
    u_list = rng.random(n)
    u_delist = rng.random(n)
    # Late listing day in [1, n_days - 1 - min_life]; leaves room for a life of min_life days.
    hi_list = max(n_days - 1 - min_life, 1)
    list_idx = np.where(late, 1 + np.floor(u_list * hi_list).astype(np.int64), 0)
    list_idx = np.minimum(list_idx, hi_list)
    # Last listed day in [list + min_life, n_days - 2]; it ends before the last simulated day.
    lo = list_idx + min_life
    span = np.maximum(n_days - 1 - lo, 0)
    last_dead = lo + np.floor(u_delist * span).astype(np.int64)
    can_die = span >= 1
    last_idx = np.where(dies & can_die, last_dead, n_days - 1)
    return list_idx.astype(np.int64), last_idx.astype(np.int64)


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


def _dividend_schedule(
    rng: np.random.Generator,
    dates: pd.DatetimeIndex,
    list_idx: np.ndarray,
    last_idx: np.ndarray,
    ep: EventParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Ex-date mask, shape (n_days, n), and quarterly yield per stock, shape (n,) (0 = no payer)."""
    n, n_days = len(list_idx), len(dates)
    payer = rng.random(n) < ep.dividend_payer_share
    yld = np.where(payer, rng.uniform(*ep.dividend_yield_range, n), 0.0)
    phase = rng.integers(0, 3, n)
    dom = rng.integers(5, 26, n)
    cal = dates.to_numpy().astype("datetime64[D]")
    months = np.arange(
        cal[0].astype("datetime64[M]"), cal[-1].astype("datetime64[M]") + 1
    )
    month_no = months.astype(np.int64) % 12
    target = months.astype("datetime64[D]")[:, None] + (dom[None, :] - 1).astype("timedelta64[D]")
    ex_cal = np.busday_offset(target, 0, roll="forward")
    ex_idx = np.searchsorted(cal, ex_cal.ravel()).reshape(ex_cal.shape)
    ok = (
        payer[None, :]
        & (month_no[:, None] % 3 == phase[None, :])
        & (ex_idx < n_days)
        & (ex_idx > list_idx[None, :])
        & (ex_idx <= last_idx[None, :])
    )
    ok &= ex_idx < n_days
    mask = np.zeros((n_days, n), dtype=bool)
    mi, si = np.nonzero(ok)
    mask[ex_idx[mi, si], si] = True
    return mask, yld


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


def _cumprod_rows(growth: np.ndarray, start: np.ndarray) -> np.ndarray:
    """``start * cumprod(growth, axis=0)`` by a loop over rows (numpy's axis-0 cumprod is slow)."""
    out = np.empty_like(growth)
    np.multiply(start, growth[0], out=out[0])
    for t in range(1, growth.shape[0]):
        np.multiply(out[t - 1], growth[t], out=out[t])
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


def _simulate_splits(
    rng: np.random.Generator,
    pidx: np.ndarray,
    list_idx: np.ndarray,
    last_idx: np.ndarray,
    ep: EventParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Split coefficients and their running product, each shape (n_days, n).

    2 the day after a raw close above the threshold, 1.5 on rare random days whose previous close
    is above the minimum, else 1 (also on days the stock is not listed). Splits are rare, so each
    stock jumps from one split to the next instead of walking every day.
    """
    n_days, n = pidx.shape
    life_years = (last_idx - list_idx + 1) / 252.0
    n_random = rng.poisson(ep.random_split_rate * life_years)
    random_days: dict[int, np.ndarray] = {}
    for i in np.flatnonzero(n_random):
        days = rng.integers(list_idx[i] + 1, last_idx[i] + 1, size=n_random[i])
        random_days[i] = np.unique(days)
    split = np.ones((n_days, n))
    peak = np.nanmax(np.where(np.isnan(pidx), -np.inf, pidx), axis=0)
    for i in np.flatnonzero((peak > ep.split_threshold) | (n_random > 0)):
        p = pidx[:, i]
        rand = random_days.get(i, np.empty(0, dtype=np.int64))
        running, t0, last = 1.0, int(list_idx[i]) + 1, int(last_idx[i])
        while t0 <= last:
            prev = p[t0 - 1 : last] / running  # previous raw closes of days t0..last
            above = np.flatnonzero(prev > ep.split_threshold)
            t_thr = t0 + int(above[0]) if len(above) else last + 1
            t_rand = last + 1
            for day in rand[rand >= t0]:
                if day >= t_thr:
                    break
                if prev[day - t0] > ep.random_split_min_price:
                    t_rand = int(day)
                    break
            t = min(t_thr, t_rand)
            if t > last:
                break
            coef = 2.0 if t == t_thr else 1.5
            split[t, i] = coef
            running = running * coef
            t0 = t + 1
    cum = _cumprod_rows(split, np.ones(n))
    return split, cum


def _adjusted_close(returns: np.ndarray, close: np.ndarray, last_idx: np.ndarray) -> np.ndarray:
    """Backward-adjusted close: equals close on the last listed day, pct_change = returns."""
    growth = 1.0 + returns
    growth[np.isnan(growth)] = 1.0
    wealth = _cumprod_rows(growth, np.ones(returns.shape[1]))
    del growth
    cols = np.arange(returns.shape[1])
    scale = close[last_idx, cols] / wealth[last_idx, cols]
    wealth *= scale[None, :]
    wealth[last_idx, cols] = close[last_idx, cols]  # exact, not just to rounding
    wealth[np.isnan(close)] = np.nan
    return wealth


def _ohlc_volume(
    rng: np.random.Generator,
    close: np.ndarray,
    dividend: np.ndarray,
    split: np.ndarray,
    returns: np.ndarray,
    proxy_vol: np.ndarray,
    sqrt_mult: np.ndarray,
    shares0: np.ndarray,
    cum_split: np.ndarray,
    alive: np.ndarray,
    ep: EventParams,
) -> dict[str, np.ndarray]:
    """Open, high, low and volume consistent with the closes, each shape (n_days, n).

    ``dividend`` and ``split`` must be 0 / 1 (not NaN) off their event days.
    """
    n_days, n = close.shape
    f32 = np.float32
    sigma = proxy_vol.astype(f32)[None, :] * sqrt_mult.astype(f32)[:, None]
    # Reference open: previous close ex dividend and split; the close itself on the listing day.
    ref = np.empty_like(close)
    ref[0] = close[0]
    np.subtract(close[:-1], dividend[1:], out=ref[1:])
    ref[1:] /= split[1:]
    first = np.isnan(ref)
    ref[first] = close[first]
    del first

    def lognoise(scale: float, sign: float, absolute: bool) -> np.ndarray:
        z = rng.standard_normal((n_days, n), dtype=f32)
        if absolute:
            np.abs(z, out=z)
        z *= f32(sign * scale)
        z *= sigma
        return np.exp(z, out=z)

    open_ = ref * lognoise(ep.open_gap_scale, 1.0, False)
    del ref
    high = np.maximum(open_, close)
    high *= lognoise(ep.range_scale, 1.0, True)
    low = np.minimum(open_, close)
    low *= lognoise(ep.range_scale, -1.0, True)
    volume = shares0[None, :] * cum_split
    volume *= ep.turnover_median
    noise = rng.standard_normal((n_days, n), dtype=f32)
    noise *= f32(ep.turnover_noise)
    volume *= np.exp(noise, out=noise)
    del noise
    abs_r = np.abs(returns).astype(f32)
    abs_r[np.isnan(abs_r)] = 0.0
    abs_r /= sigma
    abs_r *= f32(ep.volume_return_slope)
    abs_r += f32(1.0)
    volume *= abs_r
    del abs_r, sigma
    np.rint(volume, out=volume)
    np.maximum(volume, 1.0, out=volume)
    for arr in (open_, high, low, volume):
        arr[~alive] = np.nan
    return {"open": open_, "high": high, "low": low, "volume": volume}


def _str_take(values: object, idx: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[idx]`` as a pandas ``str`` array, built in Arrow (much faster than objects)."""
    table = pa.array([str(v) for v in values], type=pa.large_string())
    return pd.array(table.take(pa.array(np.asarray(idx, dtype=np.int64))), dtype="str")


def _wide_factory(dates: pd.DatetimeIndex, symbols: pd.Index):  # noqa: ANN202
    def make(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=dates.copy(), columns=symbols.copy(), copy=False)

    return make


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
