"""The fetch workflow against the fake server: universes from ETFs, incremental and resumable
fetches, the free fallback, faults, fundamentals, listing status and on-demand fetching."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _av_support import FAST, KEY, NOTICE_PHRASES, assert_store_matches_server, data_texts

from equity_factors.data.providers.alphavantage import AlphaVantageConfig
from equity_factors.data.providers.alphavantage.parse import BALANCE_SHEET_LAG_DAYS
from equity_factors.data.providers.alphavantage.state import ProviderState, SymbolState
from equity_factors.data.store import Store
from equity_factors.data.universe import resolve_universe
from equity_factors.errors import UserError
from equity_factors.testing.fake_alphavantage import FakeAlphaVantage
from equity_factors.workflows.context import Context
from equity_factors.workflows.fetch import fetch, make_on_demand_fetcher, plan_symbol

NOW = pd.Timestamp("2025-06-11 12:00", tz="UTC")  # a Wednesday
WORKER = str(Path(__file__).with_name("_av_support.py"))  # a fetching process


def _state(**kw):
    base = dict(symbol="X", status="ok", reason=None, checked_at=NOW - pd.Timedelta(days=1),
                fetched_at=NOW - pd.Timedelta(days=1), last_refreshed=pd.Timestamp("2025-06-09"),
                history_start=pd.Timestamp("2000-01-03"), fundamentals_at=None)
    base.update(kw)
    return SymbolState(**base)


COVER = (pd.Timestamp("2000-01-03"), pd.Timestamp("2025-06-09"))


def test_plan_symbol():
    assert plan_symbol(None, None, now=NOW).action == "full"
    assert plan_symbol(COVER, _state(), now=NOW, refresh=True).action == "full"
    fresh = _state(fetched_at=NOW - pd.Timedelta(hours=1))
    assert plan_symbol(COVER, fresh, now=NOW).action == "up_to_date"
    assert plan_symbol(COVER, _state(), now=NOW).action == "compact"
    stale = (COVER[0], pd.Timestamp("2024-06-03"))
    assert plan_symbol(stale, _state(last_refreshed=stale[1],
                                     fetched_at=pd.Timestamp("2024-06-04", tz="UTC")),
                       now=NOW).action == "full"
    # Earlier history wanted than stored, and the provider has more: full; it has no more: no.
    late = (pd.Timestamp("2015-01-02"), COVER[1])
    assert plan_symbol(late, _state(history_start=None), now=NOW,
                       start=pd.Timestamp("2010-01-01")).action == "full"
    assert plan_symbol(late, _state(history_start=late[0]), now=NOW,
                       start=pd.Timestamp("2010-01-01")).action == "compact"
    unknown = _state(status="not_found", reason="unknown to Alpha Vantage")
    assert plan_symbol(None, unknown, now=NOW).action == "skip_failed"
    old = _state(status="not_found", checked_at=NOW - pd.Timedelta(days=30))
    assert plan_symbol(None, old, now=NOW).action == "full"


def test_etf_universe_then_everything_up_to_date(fake, make_config, ctx):
    report = fetch(ctx, "SPY", config=make_config())
    t = fake.data.as_of_index(None)
    holdings = [h[0] for h in fake.data.holdings("SPY", t)]
    assert report.universe == "SPY" and list(report.members) == holdings
    assert "BRK-B" in report.members  # served as "BRK.B", stored canonical
    members, info = ctx.store.universe("SPY")
    assert sorted(members) == sorted(holdings) and info["source"] == "alphavantage"
    stored = ctx.store.holdings("SPY")
    assert "n/a" not in set(stored["symbol"]) and stored["weight"].between(0, 1).all()
    assert stored["weight"].sum() == pytest.approx(1 - 0.0018, abs=1e-4)
    assert report.summary().at["fetched", "symbols"] == len(holdings) + 1  # + SPY itself
    assert report.exit_code == 0
    assert_store_matches_server(ctx.store, fake, [*holdings, "SPY"])
    fake.reset()
    again = fetch(ctx, "SPY", config=make_config())
    assert again.summary().at["up to date", "symbols"] == len(holdings) + 1
    assert fake.requests() == [] and again.calls == 0


def test_lists_aliases_and_unknown_symbols(fake, make_config, ctx, stocks):
    report = fetch(ctx, f"{stocks[1]},brk.b,NOSUCH,^GSPC", config=make_config())
    by = {o.symbol: o for o in report.outcomes}
    assert by[stocks[1]].status == "fetched" and by["BRK-B"].status == "fetched"
    assert by["NOSUCH"].status == "failed" and by["NOSUCH"].reason.startswith("unknown")
    assert by["^GSPC"].status == "failed"
    # unknown symbols are final, not "rerun to finish" (1), but the user named them: exit 2
    assert report.exit_code == 2 and report.unknown_requested == ("NOSUCH", "^GSPC")
    assert "NOSUCH, ^GSPC" in report.reason()
    assert ProviderState(ctx.store).symbols(["NOSUCH"])["NOSUCH"].status == "not_found"
    fake.reset()
    again = fetch(ctx, "NOSUCH", config=make_config())
    assert again.outcomes[0].status == "failed" and "--refresh" in again.outcomes[0].reason
    assert [r["function"] for r in fake.requests()] == ["ETF_PROFILE"]  # no price call


@pytest.mark.parametrize("premium", [True, False])
def test_incremental_update_rescales_for_new_events(fake, make_config, ctx, premium):
    fake.configure(premium=premium, free_full=True)
    dates = fake.data.dates
    early = str(dates[-60].date())
    changed = [s for s in fake.data.stocks(len(dates) - 1)
               if ((fake.data.series(s)["split"] != 1) | (fake.data.series(s)["dividend"] > 0))
               .iloc[-59:].any() and fake.data.tickers[s].first < len(dates) - 200][:6]
    assert len(changed) >= 3
    symbols = ",".join(changed)
    fake.configure(as_of=early)
    fetch(ctx, symbols, config=make_config())
    assert_store_matches_server(ctx.store, fake, changed, as_of=early)
    fake.configure(as_of=None)
    fake.reset()
    later = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=3)
    report = fetch(ctx, symbols, config=make_config(), now=later)
    series_calls = [r for r in fake.requests() if r["function"].startswith("TIME_SERIES")]
    assert {r["outputsize"] for r in series_calls} == {"compact"}
    assert report.summary().at["fetched", "symbols"] == len(changed)
    assert_store_matches_server(ctx.store, fake, changed)


def test_free_fallback_matches_premium(market_data, tmp_path, stocks):
    split_symbols = [s for s in stocks if (market_data.series(s)["split"] != 1).any()][:8]
    assert len(split_symbols) >= 5
    stores = {}
    for name, settings in {"premium": {}, "free": {"premium": False, "free_full": True},
                           "free-compact": {"premium": False}}.items():
        with FakeAlphaVantage(data=market_data, **settings) as server:
            ctx = Context.create(str(tmp_path / name))
            fetch(ctx, ",".join(split_symbols), config=AlphaVantageConfig(
                api_key=KEY, base_url=server.url, calls_per_minute=6000, retry=FAST))
            stores[name] = ctx.store
    for s in split_symbols:
        premium = stores["premium"].read_bars(s)["adj_close"]
        free = stores["free"].read_bars(s)["adj_close"]
        compact = stores["free-compact"].read_bars(s)["adj_close"]
        assert free.index.equals(premium.index) and len(compact) == 100
        np.testing.assert_allclose(free, premium, rtol=1e-6)
        np.testing.assert_allclose(compact, premium.iloc[-100:], rtol=1e-6)


def test_start_filters_and_earlier_start_refetches(fake, make_config, ctx, stocks):
    symbol = next(s for s in stocks if fake.data.tickers[s].first == 0)
    dates = fake.data.dates
    fetch(ctx, symbol, config=make_config(), start=str(dates[200].date()))
    assert ctx.store.read_bars(symbol).index.min() == dates[200]
    fake.reset()
    fetch(ctx, symbol, config=make_config(), start=str(dates[100].date()))
    assert [r["outputsize"] for r in fake.requests() if r["function"].startswith("TIME")] \
        == ["full"]
    got = ctx.store.read_bars(symbol)
    want = fake.data.series(symbol).loc[dates[100]:]
    assert got.index.equals(want.index)
    np.testing.assert_allclose(got["adj_close"], want["adj_close"], rtol=1e-6)
    with pytest.raises(UserError, match="--start"):
        fetch(ctx, symbol, config=make_config(), start="not-a-date")


def test_daily_cap_stops_cleanly_and_a_rerun_finishes(fake, make_config, ctx):
    fake.configure(daily_cap=8)
    first = fetch(ctx, "SPY", config=make_config())
    assert first.stopped and "rerun the same command" in first.stopped
    assert first.exit_code == 1
    done = first.summary().at["fetched", "symbols"]
    assert done == 7  # 8 answers: ETF_PROFILE + 7 symbols
    assert first.summary().at["not fetched", "symbols"] == len(first.outcomes) - done
    fake.configure(daily_cap=None)
    fake.reset()
    second = fetch(ctx, "SPY", config=make_config())
    assert second.exit_code == 0 and second.stopped is None
    assert second.summary().at["up to date", "symbols"] == done
    price_calls = [r for r in fake.requests() if r["function"].startswith("TIME_SERIES")]
    assert len(price_calls) == len(second.outcomes) - done  # only what was missing
    members = list(second.members) + ["SPY"]
    assert_store_matches_server(ctx.store, fake, members)


def test_faults_during_a_fetch_are_absorbed_and_never_stored(fake, make_config, ctx, stocks):
    fake.push("burst", "http503", "garbage", "drop", "minute", "note", "burst_pattern",
              "burst:DIVIDENDS", "drop:SPLITS", "slow")
    fake.configure(slow_seconds=0.6)
    # One call may meet every queued fault in turn: allow that many retries.
    config = make_config(retry=replace(FAST, timeout=0.3, max_minute_waits=5,
                                       max_transient_retries=8))
    symbols = stocks[:10]
    report = fetch(ctx, ",".join(symbols), config=config, fundamentals=True)
    assert report.summary().at["fetched", "symbols"] == 10, report.failures()
    assert_store_matches_server(ctx.store, fake, symbols)
    texts = data_texts(ctx.store.path)
    assert texts and not [t for t in texts if any(p in t for p in NOTICE_PHRASES)]
    values = ctx.store.fundamentals(symbols)["value"].dropna()
    assert np.isfinite(values).all()


def test_interrupt_keeps_finished_symbols_and_rerun_completes(fake, make_config, tmp_path,
                                                              stocks):
    def progress(label, total):
        def advance(done=None, info=""):
            if done is not None and done >= 3:
                raise KeyboardInterrupt
        return advance

    ctx = Context.create(str(tmp_path / "d"), progress)
    symbols = stocks[:12]
    with pytest.raises(KeyboardInterrupt):
        fetch(ctx, ",".join(symbols), config=make_config(calls_per_minute=600))
    kept = ctx.store.coverage(symbols)
    assert 3 <= len(kept) < len(symbols)
    report = fetch(Context.create(str(tmp_path / "d")), ",".join(symbols), config=make_config())
    assert report.exit_code == 0
    assert_store_matches_server(ctx.store, fake, symbols)


def test_sigkill_mid_fetch_then_rerun(fake, make_config, tmp_path, stocks):
    data_dir = tmp_path / "killed"
    symbols = stocks[:30]
    env = {**os.environ, "ALPHAVANTAGE_API_KEY": KEY, "ALPHAVANTAGE_BASE_URL": fake.url,
           "ALPHAVANTAGE_CALLS_PER_MINUTE": "300"}
    proc = subprocess.Popen([sys.executable, WORKER, str(data_dir), ",".join(symbols)],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    store = Store(data_dir / "store.sqlite")
    deadline = time.time() + 40
    try:
        while time.time() < deadline:
            if (data_dir / "store.sqlite").exists():
                try:
                    if len(store.coverage(symbols)) >= 6:
                        break
                except Exception:  # noqa: BLE001 - the schema may still be being created
                    pass
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    written = len(Store(data_dir / "store.sqlite").coverage(symbols))
    assert 6 <= written < len(symbols)
    fake.reset()
    report = fetch(Context.create(str(data_dir)), ",".join(symbols), config=make_config())
    assert report.exit_code == 0
    refetched = {r["symbol"] for r in fake.requests()}
    assert len(refetched) <= len(symbols) - written + 2  # at most the in-flight ones again
    assert_store_matches_server(Store(data_dir / "store.sqlite"), fake, symbols)


def test_fundamentals_are_point_in_time(fake, make_config, ctx, stocks):
    symbol = stocks[2]
    now = pd.Timestamp.now(tz="UTC")
    fetch(ctx, symbol, config=make_config(), fundamentals=True, now=now)
    frame = ctx.store.fundamentals([symbol])
    overview = frame[frame["field"].isin(["market_cap", "beta", "pe_ratio"])]
    assert (overview["reported_date"] == pd.Timestamp(now.date())).all()
    earnings = fake._earnings(symbol, fake.data.as_of_index(None))["quarterlyEarnings"]
    eps = frame[frame["field"] == "eps"].set_index("period_end")["reported_date"]
    for q in earnings:
        reported = pd.Timestamp(q["reportedDate"])
        if q["reportTime"] == "post-market":
            reported += pd.offsets.BDay(1)
        assert eps[pd.Timestamp(q["fiscalDateEnding"])] == reported
    equity = frame[frame["field"] == "book_equity"]
    assert ((equity["reported_date"] - equity["period_end"]).dt.days
            == BALANCE_SHEET_LAG_DAYS).all()
    assert (equity["reported_date"] > equity["period_end"]).all()
    info = ctx.store.symbol_info([symbol])
    assert info.at[symbol, "sector"] == fake.data.tickers[symbol].sector.title()


def test_listing_status_and_delisted_reason(fake, make_config, ctx):
    t = fake.data.as_of_index(None)
    delisted = [s for s, tk in fake.data.tickers.items() if tk.last < t]
    assert delisted
    report = fetch(ctx, delisted[0], config=make_config(), listing_status=True)
    info = ctx.store.symbol_info(delisted)
    assert info["delist_date"].notna().all()
    assert "delisted" in report.outcomes[0].reason
    assert any("listing status" in n for n in report.notes)


def test_on_demand_fetcher(fake, make_config, ctx, stocks):
    assert make_on_demand_fetcher(ctx, make_config(api_key=None)) is None
    with pytest.raises(UserError, match="SAMPLE"):
        resolve_universe(ctx.store, ctx.data_dir, "QQQ", on_demand=None)
    on_demand = make_on_demand_fetcher(ctx, make_config())
    resolved = resolve_universe(ctx.store, ctx.data_dir, f"QQQ,{stocks[5]}", on_demand=on_demand)
    qqq = [h[0] for h in fake.data.holdings("QQQ", fake.data.as_of_index(None))]
    assert list(resolved.symbols) == list(dict.fromkeys([*qqq, stocks[5]]))
    with pytest.raises(UserError):
        resolve_universe(ctx.store, ctx.data_dir, "NOSUCH", on_demand=on_demand)


def test_configured_daily_cap_stops_before_calling(fake, make_config, ctx, stocks):
    report = fetch(ctx, ",".join(stocks[:6]), config=make_config(calls_per_day=4))
    assert report.summary().at["fetched", "symbols"] == 4
    assert "ALPHAVANTAGE_CALLS_PER_DAY=4" in report.stopped and "UTC" in report.stopped
    assert len(fake.requests()) == 4  # the fifth call was never made


def test_server_side_limits(fake, make_config, ctx, stocks):
    # Free-key burst limit: a call within 200 ms of the previous one gets "spreading out"; the
    # client sleeps (here 250-300 ms) and retries, and everything arrives.
    fake.configure(burst_interval=0.2)
    config = make_config(retry=replace(FAST, burst_wait=(0.25, 0.3), max_burst_retries=3))
    report = fetch(ctx, ",".join(stocks[:6]), config=config, workers=1)
    outcomes = [r["outcome"] for r in fake.requests()]
    assert "burst" in outcomes and report.summary().at["fetched", "symbols"] == 6
    assert_store_matches_server(ctx.store, fake, stocks[:6])
    # A plan's per-minute limit far below the configured rate: after the bounded waits the
    # symbols fail with advice, nothing is stored for them, and a rerun is asked for.
    fake.configure(burst_interval=None, per_minute=len(fake.requests()) + 2)
    report = fetch(ctx, ",".join(stocks[6:12]), config=make_config(), workers=1)
    failed = report.failures()
    assert report.summary().at["fetched", "symbols"] == 2 and len(failed) == 4
    assert failed["reason"].str.contains("ALPHAVANTAGE_CALLS_PER_MINUTE").all()
    assert report.exit_code == 1
    assert ctx.store.coverage(stocks[8:12]).empty
