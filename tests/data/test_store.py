"""The SQLite store: schema versions, bars round trips, holdings, fundamentals, health."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from equity_factors.data.schema import SCHEMA_VERSION
from equity_factors.data.store import Store, from_day_numbers, to_day_numbers
from equity_factors.errors import StoreError


def _bars(dates, seed=0):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(dates))))
    return pd.DataFrame({"open": close, "high": close * 1.01, "low": close * 0.99,
                         "close": close, "adj_close": close * 0.9, "volume": 1e5,
                         "dividend": 0.0, "split": 1.0}, index=pd.DatetimeIndex(dates))


@pytest.fixture()
def store(tmp_path):
    return Store(tmp_path / "store.sqlite")


def test_day_numbers_round_trip():
    dates = pd.to_datetime(["1970-01-01", "1999-12-31", "2024-02-29"])
    days = to_day_numbers(dates)
    assert days.tolist() == [0, 10956, 19782]
    assert (from_day_numbers(days) == dates).all()


def test_new_store_has_current_schema_and_wal(store):
    h = store.health()
    assert h["schema_version"] == SCHEMA_VERSION
    assert h["journal_mode"] == "wal"
    assert h["integrity"] == "ok"
    assert h["write_lock_held"] is False


def test_store_from_newer_version_is_refused(tmp_path):
    path = tmp_path / "store.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this equity-factors"):
        Store(path).ensure_ready()


def test_corrupted_store_says_how_to_recover(tmp_path):
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(StoreError, match="corrupted.*eqf clean --all"):
        Store(path).ensure_ready()


def test_write_then_load_matches_naive_pivot(store):
    d1 = pd.bdate_range("2020-01-01", periods=50)
    d2 = pd.bdate_range("2020-01-15", periods=50)
    store.write_bars({"AAA": _bars(d1, 1), "BBB": _bars(d2, 2)}, source="test")
    prices, digests = store.load_prices(["BBB", "AAA", "ZZZ"], fields=("adj_close", "volume"))
    adj = prices["adj_close"]
    assert list(adj.columns) == ["BBB", "AAA"]  # order kept, unknown left out
    naive = pd.concat({"AAA": _bars(d1, 1)["adj_close"], "BBB": _bars(d2, 2)["adj_close"]}, axis=1)
    assert (adj.index == naive.index).all()
    np.testing.assert_array_equal(adj[["AAA", "BBB"]].to_numpy(), naive.to_numpy())
    assert set(digests) == {"AAA", "BBB"}


def test_load_window_and_merge_updates(store):
    d = pd.bdate_range("2021-01-01", periods=30)
    store.write_bars({"AAA": _bars(d[:20])}, source="test")
    before = store.load_prices(["AAA"])[1]["AAA"]
    update = _bars(d)[15:]  # overlaps 5 days, adds 10
    update["adj_close"] = 1.0
    store.write_bars({"AAA": update}, source="test")
    bars = store.read_bars("AAA")
    assert len(bars) == 30
    assert (bars["adj_close"].iloc[15:] == 1.0).all()
    np.testing.assert_allclose(bars["adj_close"].iloc[:15], _bars(d[:20])["adj_close"].iloc[:15])
    window = store.load_prices(["AAA"], start=d[5], end=d[9])[0]["adj_close"]
    assert list(window.index) == list(d[5:10])
    assert store.load_prices(["AAA"])[1]["AAA"] != before


def test_write_rejects_duplicates_and_missing_adj_close(store):
    d = pd.bdate_range("2021-01-01", periods=5)
    bad = _bars(d)
    bad.iloc[2, bad.columns.get_loc("adj_close")] = np.nan
    with pytest.raises(StoreError, match="missing adj_close"):
        store.write_bars({"AAA": bad}, source="test")
    dup = pd.concat([_bars(d), _bars(d[:1])])
    with pytest.raises(StoreError, match="same date twice"):
        store.write_bars({"AAA": dup}, source="test")
    assert store.coverage().empty  # nothing half-written


def test_holdings_latest_and_as_of(store):
    store.write_holdings("ETF", pd.DataFrame({"symbol": ["A", "B"], "weight": [0.6, 0.4]}),
                         "2020-12-31", "test")
    store.write_holdings("ETF", pd.DataFrame({"symbol": ["A", "C"], "weight": [0.3, 0.7]}),
                         "2021-12-31", "test")
    assert list(store.holdings("ETF")["symbol"]) == ["C", "A"]
    assert set(store.holdings("ETF", as_of="2021-06-30")["symbol"]) == {"A", "B"}
    assert store.holdings("ETF", as_of="2019-01-01").empty
    assert store.etfs() == ["ETF"]


def test_fundamentals_round_trip(store):
    frame = pd.DataFrame({"symbol": ["A", "A"], "field": ["market_cap", "market_cap"],
                          "period_end": ["2020-03-31", "2020-06-30"],
                          "reported_date": ["2020-04-30", "2020-08-01"], "value": [1e9, None]})
    store.write_fundamentals(frame, "test")
    out = store.fundamentals(["A"]).sort_values("period_end")
    assert out["reported_date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-04-30", "2020-08-01"]
    assert out["value"].iloc[0] == 1e9 and np.isnan(out["value"].iloc[1])


def test_universe_names_are_case_insensitive(store):
    store.save_universe("MyUni", ["B", "A", "B"], source="files")
    members, info = store.universe("myuni")
    assert members == ["A", "B"] and info["name"] == "MyUni"
    assert store.universe("other") is None


def test_lock_held_is_reported(store):
    store.ensure_ready()
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert store.health()["write_lock_held"] is True
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_busy_timeout_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_MS", "1234")
    assert Store(tmp_path / "s.sqlite").timeout_ms == 1234
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_MS", "soon")
    with pytest.raises(StoreError, match="SQLITE_BUSY_TIMEOUT_MS"):
        Store(tmp_path / "s.sqlite")


def test_vacuum_keeps_data(store):
    store.write_bars({"AAA": _bars(pd.bdate_range("2020-01-01", periods=10))}, source="t")
    store.vacuum()
    assert len(store.read_bars("AAA")) == 10
