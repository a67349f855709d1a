"""Tests of the synthetic market: determinism, planted structure, prices, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from equity_factors.data.synthetic import (
    FACTOR_NAMES,
    REGIMES,
    SECTOR_CODES,
    SECTORS,
    STYLE_FACTORS,
    EventParams,
    GroundTruth,
    ModelParams,
    SyntheticConfig,
    parse_synthetic_universe,
    simulate_market,
    synthetic_universe_name,
)
from equity_factors.errors import UserError

CONFIG = SyntheticConfig(n_stocks=250, n_days=1260, seed=11)


@pytest.fixture(scope="module")
def market():
    return simulate_market(CONFIG)


@pytest.fixture(scope="module")
def small_pair():
    cfg = SyntheticConfig(n_stocks=40, n_days=300, seed=5)
    return simulate_market(cfg), simulate_market(cfg)


def _all_frames(m) -> dict[str, pd.DataFrame]:
    frames = {f"prices.{k}": v for k, v in m.prices.items()}
    frames |= {f"truth.{k}": v for k, v in m.truth.to_frames().items()}
    frames |= {
        "securities": m.securities,
        "fundamentals": m.fundamentals,
        "holdings": m.holdings,
    }
    return frames


def _listed_mask(m) -> pd.DataFrame:
    """Dates x symbols: listed on that day, from the securities table."""
    dates = m.prices["close"].index
    sec = m.securities.set_index("symbol")
    last = sec["delist_date"].fillna(dates[-1])
    out = (dates.to_numpy()[:, None] >= sec["list_date"].to_numpy()[None, :]) & (
        dates.to_numpy()[:, None] <= last.to_numpy()[None, :]
    )
    return pd.DataFrame(out, index=dates, columns=m.prices["close"].columns)


# ---------------------------------------------------------------------------------------------
# Determinism and names
# ---------------------------------------------------------------------------------------------
def test_same_seed_is_bit_identical(small_pair):
    a, b = small_pair
    fa, fb = _all_frames(a), _all_frames(b)
    assert fa.keys() == fb.keys()
    for key in fa:
        pd.testing.assert_frame_equal(fa[key], fb[key], check_exact=True, obj=key)


def test_different_seed_differs(small_pair):
    a, _ = small_pair
    c = simulate_market(SyntheticConfig(n_stocks=40, n_days=300, seed=6))
    assert not np.allclose(
        a.truth.factor_returns.to_numpy(), c.truth.factor_returns.to_numpy()
    )
    ra, rc = a.truth.returns.to_numpy(), c.truth.returns.to_numpy()
    both = ~np.isnan(ra) & ~np.isnan(rc)
    assert both.sum() > 1000 and not np.allclose(ra[both], rc[both])
    assert list(c.securities["symbol"])[:2] == ["SYN40-S6_0001", "SYN40-S6_0002"]


def test_symbols_sectors_and_names(market):
    sec = market.securities
    n = CONFIG.n_stocks
    assert list(sec.columns) == ["symbol", "name", "sector", "list_date", "delist_date"]
    assert list(sec["symbol"]) == [f"SYN250-S11_{i:04d}" for i in range(1, n + 1)]
    assert set(sec["sector"]) == set(SECTORS)
    assert sec["sector"].value_counts().min() >= 2
    assert sec["name"].str.len().min() > 5
    assert list(market.prices["close"].columns) == list(sec["symbol"])
    assert set(market.prices) == {
        "open", "high", "low", "close", "adj_close", "volume", "dividend", "split"
    }
    # The universe name can be set explicitly.
    custom = simulate_market(SyntheticConfig(n_stocks=22, n_days=80, universe="TOY"))
    assert custom.securities["symbol"].iloc[0] == "TOY_0001"
    assert set(custom.securities["sector"]) == set(SECTORS)  # n >= 22 uses every sector
    assert "TOY" in set(custom.holdings["etf"])


# ---------------------------------------------------------------------------------------------
# Planted statistics
# ---------------------------------------------------------------------------------------------
def test_stock_vol_band(market):
    vol = market.truth.returns.std()
    assert ((vol > 0.01) & (vol < 0.04)).mean() >= 0.9
    assert 0.015 < vol.median() < 0.035


def test_first_pc_share_in_calm_regime(market):
    r = market.truth.returns.iloc[1:]  # day 0 has no returns
    calm = (market.truth.regimes.iloc[1:] == "calm").to_numpy()
    full = r.notna().all().to_numpy()
    x = r.to_numpy()[np.ix_(calm, full)]
    assert x.shape[0] > 400 and x.shape[1] > 150
    eig = np.linalg.eigvalsh(np.cov(x, rowvar=False))
    share = eig[-1] / eig.sum()
    assert 0.20 <= share <= 0.45


def test_within_sector_correlation_exceeds_cross_sector(market):
    corr = market.truth.returns.corr(min_periods=100).to_numpy()
    sector = market.securities["sector"].to_numpy()
    same = sector[:, None] == sector[None, :]
    off = ~np.eye(len(sector), dtype=bool)
    within, cross = np.nanmean(corr[same & off]), np.nanmean(corr[~same])
    assert within > cross + 0.05


def test_regimes_all_occur_and_order_volatility(market):
    truth = market.truth
    regimes = truth.regimes
    assert set(regimes.unique()) == set(REGIMES)
    assert regimes.iloc[0] == "calm"
    assert (regimes == "calm").mean() > 0.5
    spells = (regimes != regimes.shift()).groupby(regimes).sum()
    assert spells.min() >= 2
    mvol = truth.factor_returns["market"].groupby(regimes).std()
    assert mvol["calm"] < mvol["stressed"] < mvol["crisis"]
    assert 0.007 < mvol["calm"] < 0.013
    # The observable market (equal-weighted stocks) shows the same ordering.
    ew = truth.returns.mean(axis=1).groupby(regimes).std()
    assert ew["calm"] < ew["stressed"] < ew["crisis"]
    expected = pd.DataFrame(
        np.asarray(CONFIG.model.transition_matrix), index=list(REGIMES), columns=list(REGIMES)
    )
    pd.testing.assert_frame_equal(truth.transition_matrix, expected, check_index_type=False,
                                  check_column_type=False)


def test_factor_shocks_are_fat_tailed_with_planted_scale(market):
    mp = CONFIG.model
    f = market.truth.factor_returns
    mult = market.truth.regimes.map(dict(zip(REGIMES, mp.regime_vol, strict=True))).to_numpy()
    mean = np.concatenate([[0.0] * (1 + len(SECTORS)), mp.style_means()])
    scale = np.concatenate([[mp.market_vol], [mp.sector_vol] * len(SECTORS), mp.style_vol])
    drift = pd.Series(mp.market_drift, index=list(REGIMES))[market.truth.regimes].to_numpy()
    z = (f.to_numpy() - mean[None, :]) / (scale[None, :] * mult[:, None])
    z[:, 0] -= drift / (scale[0] * mult)
    assert abs(z.std() - 1.0) < 0.05
    kurt = ((z - z.mean()) ** 4).mean() / z.var() ** 2
    assert kurt > 4.0  # Student-t(5): 9 in theory, 3 for a normal
    # Momentum is planted as the most profitable style.
    assert np.argmax(mp.style_means() / np.asarray(mp.style_vol)) == STYLE_FACTORS.index("momentum")


def test_returns_follow_the_planted_factor_model(market):
    truth = market.truth
    mp = CONFIG.model
    r = truth.returns
    f = truth.factor_returns[list(FACTOR_NAMES)]
    mult = truth.regimes.map(dict(zip(REGIMES, mp.regime_vol, strict=True)))
    zs = []
    for date in r.index[7::20]:  # inside blocks, not only on refresh dates
        b = truth.loadings_at(date)
        listed = b.notna().all(axis=1)
        fitted = b.loc[listed].to_numpy() @ f.loc[date].to_numpy()
        resid = r.loc[date, listed].to_numpy() - fitted
        ok = ~np.isnan(resid)
        z = resid[ok] / (truth.idio_vol[listed].to_numpy()[ok] * np.sqrt(mult[date]))
        zs.append(z)
    z = np.concatenate(zs)
    assert len(z) > 10000
    assert abs(z.std() - 1.0) < 0.06
    assert abs(z.mean()) < 0.05


def test_loadings_at_shape_and_listing(market):
    truth = market.truth
    date = truth.refresh_dates[10] + pd.offsets.BDay(3)
    b = truth.loadings_at(date)
    assert b.shape == (CONFIG.n_stocks, len(FACTOR_NAMES))
    assert list(b.columns) == list(FACTOR_NAMES)
    listed = _listed_mask(market).loc[date]
    assert (b.notna().all(axis=1) == listed).all()
    pd.testing.assert_frame_equal(
        b.loc[listed, list(truth.static_loadings.columns)],
        truth.static_loadings.loc[listed],
    )
    sec = market.securities.set_index("symbol")["sector"]
    own = [f"sector:{s}" for s in sec]
    static = truth.static_loadings
    assert np.all(static.to_numpy()[np.arange(len(own)), static.columns.get_indexer(own)] > 0)
    assert ((static.iloc[:, 1:] != 0).sum(axis=1) == 1).all()
    with pytest.raises(UserError):
        truth.loadings_at("1999-01-01")


# ---------------------------------------------------------------------------------------------
# Prices, corporate events, listings
# ---------------------------------------------------------------------------------------------
def test_adj_close_pct_change_is_the_planted_return(market):
    adj = market.prices["adj_close"]
    r = market.truth.returns
    pct = adj.pct_change(fill_method=None)
    assert (pct.isna() == r.isna()).all().all()
    np.testing.assert_allclose(pct.to_numpy(), r.to_numpy(), rtol=1e-12, atol=1e-14)
    close = market.prices["close"]
    last = close.apply(lambda c: c.last_valid_index())
    for sym in close.columns[:50]:
        assert adj.at[last[sym], sym] == close.at[last[sym], sym]


def test_nan_exactly_when_not_listed(market):
    listed = _listed_mask(market)
    for name, frame in market.prices.items():
        assert (frame.notna() == listed).all().all(), name
    # Returns: listed days except the first one.
    first_day = listed & ~listed.shift(1, fill_value=False)
    assert (market.truth.returns.notna() == (listed & ~first_day)).all().all()
    sec = market.securities
    n = len(sec)
    late = (sec["list_date"] > sec["list_date"].min()).mean()
    dead = sec["delist_date"].notna().mean()
    assert 0.05 < late < 0.25 and 0.03 < dead < 0.2
    life = listed.sum()
    assert life.min() >= min(252, len(listed) // 3)
    assert n == CONFIG.n_stocks


def test_ohlc_volume_consistency(market):
    p = {k: v.to_numpy() for k, v in market.prices.items()}
    ok = ~np.isnan(p["close"])
    o, h, lo, c = p["open"][ok], p["high"][ok], p["low"][ok], p["close"][ok]
    assert np.all(lo > 0)
    assert np.all(lo <= np.minimum(o, c)) and np.all(np.maximum(o, c) <= h)
    vol = p["volume"][ok]
    assert np.all(vol >= 1) and np.all(vol == np.round(vol))
    # Volume rises with |r| (Spearman on the pooled relative volume).
    r = market.truth.returns
    rel = market.prices["volume"] / market.prices["volume"].median()
    both = r.notna() & rel.notna()
    rho = spearmanr(r.abs().to_numpy()[both], rel.to_numpy()[both]).statistic
    assert rho > 0.3
    bars = market.bars_long(list(market.prices["close"].columns[:3]))
    assert list(bars.columns) == ["date", "symbol", "open", "high", "low", "close", "adj_close",
                                  "volume", "dividend", "split"]
    assert bars["volume"].dtype == np.int64
    assert len(bars) == int(market.prices["close"].iloc[:, :3].notna().sum().sum())
    sym = bars["symbol"].iloc[0]
    one = bars[bars["symbol"] == sym].set_index("date")
    np.testing.assert_array_equal(one["close"], market.prices["close"][sym].dropna())
    with pytest.raises(UserError):
        market.bars_long(["NOPE"])


def test_close_recurrence_dividends_and_splits(market):
    c = market.prices["close"].to_numpy()
    d = market.prices["dividend"].to_numpy()
    s = market.prices["split"].to_numpy()
    r = market.truth.returns.to_numpy()
    ok = ~np.isnan(r)
    prev = np.vstack([np.full((1, c.shape[1]), np.nan), c[:-1]])
    # C_t = (C_{t-1} (1 + r_t) - D_t) / s_t on every day with a return.
    expected = (prev * (1.0 + r) - d) / s
    np.testing.assert_allclose(c[ok], expected[ok], rtol=1e-12)
    # Dividends: about half the stocks, quarterly, a sensible yield.
    listed = ~np.isnan(c)
    assert np.all(d[listed] >= 0) and np.all(s[listed] >= 1)
    payers = (np.nan_to_num(d) > 0).any(axis=0)
    assert 0.3 < payers.mean() < 0.7
    years = listed.sum(axis=0) / 252
    per_year = (np.nan_to_num(d) > 0).sum(axis=0)[payers] / years[payers]
    assert 3.0 < np.median(per_year) <= 4.5
    ex = np.nan_to_num(d) > 0
    yld = d[ex] / prev[ex]
    lo, hi = EventParams().dividend_yield_range
    assert np.all((yld >= lo - 1e-12) & (yld <= hi + 1e-12))
    # Splits: they exist and the raw close drops on the split day.
    split_day = np.nan_to_num(s, nan=1.0) != 1.0
    assert split_day.sum() >= 3
    assert set(np.unique(s[split_day])) <= {1.5, 2.0}
    assert np.all(c[split_day] < prev[split_day])
    # 2:1 splits follow a close above the threshold.
    two = np.nan_to_num(s, nan=1.0) == 2.0
    assert np.all(prev[two] > EventParams().split_threshold)
    # ... and no close stays above the threshold without a split the next day.
    listed_both = ~np.isnan(c[1:]) & ~np.isnan(c[:-1])
    assert np.all(~(c[:-1] > EventParams().split_threshold) | ~listed_both | two[1:])


def test_fundamentals_point_in_time_and_consistent(market):
    f = market.fundamentals
    assert list(f.columns) == ["symbol", "field", "period_end", "reported_date", "value"]
    assert set(f["field"]) == {"market_cap", "book_to_market", "earnings_yield",
                               "shares_outstanding"}
    assert (f["reported_date"] > f["period_end"]).all()
    lag = (f["reported_date"] - f["period_end"]).dt.days
    assert lag.min() >= 20 and lag.max() <= 45
    assert f["period_end"].dt.is_quarter_end.all()
    assert (f["reported_date"].dt.day_of_week < 5).all()
    wide = f.pivot_table(index=["symbol", "period_end"], columns="field", values="value")
    assert len(wide) * 4 == len(f)
    close = market.prices["close"]
    dates = close.index
    pe_day = dates[dates.searchsorted(wide.index.get_level_values("period_end"), "right") - 1]
    px = close.to_numpy()[dates.get_indexer(pe_day),
                          close.columns.get_indexer(wide.index.get_level_values("symbol"))]
    assert not np.isnan(px).any()  # every period end lies inside the stock's life
    np.testing.assert_allclose(wide["market_cap"], wide["shares_outstanding"] * px, rtol=1e-12)
    assert (wide["book_to_market"] > 0).all()
    ey = wide["earnings_yield"]
    assert 0.02 < (ey < 0).mean() < 0.4
    assert np.corrcoef(np.log(wide["book_to_market"]), ey)[0, 1] > 0.3
    # Reports never arrive after the stock stopped trading.
    sec = market.securities.set_index("symbol")
    dl = sec["delist_date"].reindex(f["symbol"]).to_numpy()
    assert not np.any(f["reported_date"].to_numpy() > dl)
    # Shares outstanding change only through splits.
    splits = market.prices["split"]
    for sym in wide.index.get_level_values("symbol").unique()[:40]:
        so = wide.loc[sym, "shares_outstanding"]
        for (p0, v0), (p1, v1) in zip(so.items(), list(so.items())[1:], strict=False):
            d0 = dates[dates.searchsorted(p0, "right") - 1]
            d1 = dates[dates.searchsorted(p1, "right") - 1]
            factor = splits.loc[(splits.index > d0) & (splits.index <= d1), sym].prod()
            assert v1 == pytest.approx(v0 * factor, rel=1e-12)


def test_holdings_weights_and_membership(market):
    h = market.holdings
    assert list(h.columns) == ["etf", "symbol", "weight", "as_of"]
    sums = h.groupby(["etf", "as_of"])["weight"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
    assert (h["weight"] > 0).all()
    universe = "SYN250-S11"
    assert set(h["etf"]) == {universe} | {f"{universe}-{SECTOR_CODES[s]}" for s in SECTORS}
    dates = market.prices["close"].index
    expected_as_of = [dates[0]] + [
        d for d in dates if d.month == 12 and (d + pd.offsets.BDay(1)).month == 1
    ]
    assert sorted(h["as_of"].unique()) == expected_as_of
    listed = _listed_mask(market)
    for as_of, group in h.groupby("as_of"):
        assert listed.loc[as_of, group["symbol"]].all()
        whole = group[group["etf"] == universe]
        assert set(whole["symbol"]) == set(listed.columns[listed.loc[as_of]])
    sector = market.securities.set_index("symbol")["sector"]
    code_to_sector = {f"{universe}-{c}": s for s, c in SECTOR_CODES.items()}
    for etf, group in h[h["etf"] != universe].groupby("etf"):
        assert (sector[group["symbol"]] == code_to_sector[etf]).all()
    # Cap weighting: sector ETF weights are the universe weights renormalized within the sector.
    as_of = expected_as_of[-1]
    snap = h[h["as_of"] == as_of]
    whole = snap[snap["etf"] == universe].set_index("symbol")["weight"]
    tec = snap[snap["etf"] == f"{universe}-TEC"].set_index("symbol")["weight"]
    np.testing.assert_allclose(tec, whole[tec.index] / whole[tec.index].sum(), rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Point in time: recompute the style exposures with a naive loop that only sees the past
# ---------------------------------------------------------------------------------------------
def _naive_z(raw: pd.Series, clip: float) -> pd.Series:
    v = raw.dropna()
    z = ((v - v.mean()) / v.std(ddof=0)).clip(-clip, clip)
    return z.reindex(raw.index).fillna(0.0)


def _naive_exposures(market, k: int) -> pd.DataFrame:
    """Oracle: style exposures at refresh day k from data strictly before that date."""
    mp = CONFIG.model
    truth = market.truth
    dates = truth.returns.index
    date = dates[k]
    block_end = dates[min(k + mp.refresh_days, len(dates)) - 1]
    sec = market.securities.set_index("symbol")
    members = sec.index[(sec["list_date"] <= block_end)
                        & (sec["delist_date"].isna() | (sec["delist_date"] >= date))]
    past = market.fundamentals[market.fundamentals["reported_date"] < date]
    latest = (
        past.sort_values("period_end").groupby(["symbol", "field"])["value"].last().unstack()
    )
    raw = pd.DataFrame(index=members, columns=list(STYLE_FACTORS), dtype=float)
    for sym in members:
        if sym in latest.index:
            raw.loc[sym, "size"] = np.log(latest.at[sym, "market_cap"])
            raw.loc[sym, "value"] = np.log(latest.at[sym, "book_to_market"])
        mom = truth.returns[sym].iloc[max(k - 252, 0): max(k - 21, 0)].dropna()
        if len(mom) >= mp.min_history:
            raw.loc[sym, "momentum"] = np.prod(1.0 + mom.to_numpy()) - 1.0
        hist = truth.returns[sym].iloc[max(k - 252, 0): k].dropna()
        if len(hist) >= mp.min_history:
            raw.loc[sym, "low_vol"] = hist.std(ddof=1)
        else:
            b = truth.static_loadings.loc[sym]
            raw.loc[sym, "low_vol"] = np.sqrt(
                (b["market"] * mp.market_vol) ** 2
                + (b[f"sector:{sec.at[sym, 'sector']}"] * mp.sector_vol) ** 2
                + truth.idio_vol[sym] ** 2
            )
    out = pd.DataFrame({name: _naive_z(raw[name], mp.z_clip) for name in STYLE_FACTORS})
    out["low_vol"] = -out["low_vol"]
    return out


@pytest.mark.parametrize("block", [0, 3, 12, 13, 40, -1])
def test_exposures_match_a_naive_point_in_time_recomputation(market, block):
    truth = market.truth
    refresh = truth.refresh_dates
    date = refresh[block]
    k = truth.returns.index.get_loc(date)
    assert k % CONFIG.model.refresh_days == 0
    expected = _naive_exposures(market, k)
    got = truth.exposures[truth.exposures["date"] == date].pivot(
        index="symbol", columns="factor", values="value"
    )[list(STYLE_FACTORS)]
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)
    if block >= 12:  # a year in: every style is informative
        assert (got.std() > 0.5).all()


def test_exposures_refresh_schedule(market):
    truth = market.truth
    dates = truth.returns.index
    refresh = truth.refresh_dates
    assert list(refresh) == list(dates[:: CONFIG.model.refresh_days])
    assert set(truth.exposures["factor"]) == set(STYLE_FACTORS)
    assert truth.exposures["value"].abs().max() <= CONFIG.model.z_clip


# ---------------------------------------------------------------------------------------------
# Round trip and names
# ---------------------------------------------------------------------------------------------
def _assert_truth_equal(a: GroundTruth, b: GroundTruth) -> None:
    assert a.factor_names == b.factor_names
    for name in ("factor_returns", "returns", "exposures", "static_loadings",
                 "transition_matrix"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    for name in ("regimes", "idio_vol"):
        pd.testing.assert_series_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_truth_round_trip_in_memory_and_parquet(small_pair, tmp_path):
    truth = small_pair[0].truth
    frames = truth.to_frames()
    for frame in frames.values():
        assert all(isinstance(c, str) for c in frame.columns)
    _assert_truth_equal(GroundTruth.from_frames(frames), truth)
    for name, frame in frames.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    loaded = {name: pd.read_parquet(tmp_path / f"{name}.parquet") for name in frames}
    _assert_truth_equal(GroundTruth.from_frames(loaded), truth)
    with pytest.raises(UserError):
        GroundTruth.from_frames({"returns": frames["returns"]})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SYN500", (500, 42)),
        ("syn500-s7", (500, 7)),
        (" SYN20 ", (20, 42)),
        ("SYN5000-S0", (5000, 0)),
        ("SPY", None),
        ("SYNA", None),
        ("sample", None),
    ],
)
def test_parse_synthetic_universe(name, expected):
    assert parse_synthetic_universe(name) == expected


@pytest.mark.parametrize("name", ["SYN19", "SYN5001", "SYN0", "SYN500-X", "SYN500-S"])
def test_parse_synthetic_universe_errors(name):
    with pytest.raises(UserError) as info:
        parse_synthetic_universe(name)
    assert "\n" not in str(info.value)


def test_synthetic_universe_name_cases():
    assert synthetic_universe_name(500, 42) == "SYN500"
    assert synthetic_universe_name(500, 7) == "SYN500-S7"
    assert SyntheticConfig(n_stocks=30, seed=3).universe_name == "SYN30-S3"


@settings(max_examples=25, deadline=None)
@given(st.integers(20, 5000), st.integers(0, 10**6))
def test_universe_name_round_trip(n, seed):
    assert parse_synthetic_universe(synthetic_universe_name(n, seed)) == (n, seed)
    assert parse_synthetic_universe(synthetic_universe_name(n, seed).lower()) == (n, seed)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_stocks": 10},
        {"n_stocks": 6000},
        {"seed": -1},
        {"n_days": 10},
        {"start": "not a date"},
        {"start": "2020-01-01", "end": "2020-02-01"},
        {"model": ModelParams(transition_matrix=((0.5, 0.5, 0.5),) * 3)},
    ],
)
def test_config_errors(kwargs):
    with pytest.raises(UserError):
        SyntheticConfig(**kwargs)


def test_calendar_options():
    cfg = SyntheticConfig(n_days=100)
    dates = cfg.dates()
    assert len(dates) == 100 and dates[0] == pd.Timestamp("2005-01-03") and dates.freq is None
    full = SyntheticConfig().dates()
    assert full[0] == pd.Timestamp("2005-01-03") and full[-1] == pd.Timestamp("2024-12-31")
    assert (full.day_of_week < 5).all() and len(full) == len(pd.bdate_range("2005-01-03",
                                                                          "2024-12-31"))
