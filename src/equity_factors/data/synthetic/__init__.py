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

Where the code is
    ``constants`` (sectors, factor and field names), ``universe_names`` (``SYN500-S7``),
    ``params`` (:class:`ModelParams`, :class:`EventParams`, :class:`SyntheticConfig`),
    ``market`` (:func:`simulate_market`, the order of the steps), ``regimes``, ``cross_section``
    (sectors, company names), ``exposures`` (point-in-time style exposures), ``corporate_actions``
    (listings, dividends, splits, adjusted close), ``fundamentals``, ``holdings``, ``bars`` (open,
    high, low, volume) and ``results`` (:class:`SyntheticMarket`, :class:`GroundTruth`). Every
    public name is importable from ``equity_factors.data.synthetic`` itself.
"""

from __future__ import annotations

from equity_factors.data.synthetic.constants import (
    DEFAULT_SEED,
    FACTOR_NAMES,
    FUNDAMENTAL_FIELDS,
    MAX_STOCKS,
    MIN_DAYS,
    MIN_STOCKS,
    PRICE_FIELDS,
    REGIMES,
    SECTOR_CODES,
    SECTORS,
    STYLE_FACTORS,
)
from equity_factors.data.synthetic.market import simulate_market
from equity_factors.data.synthetic.params import EventParams, ModelParams, SyntheticConfig
from equity_factors.data.synthetic.results import GroundTruth, SyntheticMarket
from equity_factors.data.synthetic.universe_names import (
    parse_synthetic_universe,
    synthetic_universe_name,
)

__all__ = [
    "DEFAULT_SEED",
    "FACTOR_NAMES",
    "FUNDAMENTAL_FIELDS",
    "MAX_STOCKS",
    "MIN_DAYS",
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
