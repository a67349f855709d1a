"""The simulation itself: :func:`simulate_market` runs every step in order on its own random
stream and assembles the :class:`~equity_factors.data.synthetic.results.SyntheticMarket`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equity_factors._random import check_random_state, derive_seed
from equity_factors.data.synthetic._util import _cumprod_rows, _student_t, _wide_factory
from equity_factors.data.synthetic.bars import _ohlc_volume
from equity_factors.data.synthetic.constants import FACTOR_NAMES, REGIMES, SECTORS
from equity_factors.data.synthetic.corporate_actions import (
    _adjusted_close,
    _dividend_schedule,
    _simulate_listings,
    _simulate_splits,
)
from equity_factors.data.synthetic.cross_section import _assign_sectors, _fake_names
from equity_factors.data.synthetic.exposures import _exposures_frame, _style_exposures, _WindowStats
from equity_factors.data.synthetic.fundamentals import _fundamentals_frame, _fundamentals_schedule
from equity_factors.data.synthetic.holdings import _holdings_frame
from equity_factors.data.synthetic.params import SyntheticConfig
from equity_factors.data.synthetic.regimes import _simulate_regimes
from equity_factors.data.synthetic.results import GroundTruth, SyntheticMarket

__all__ = ["simulate_market"]


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
