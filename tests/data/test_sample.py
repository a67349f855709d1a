"""The sample provider returns the real series shipped in skfolio's datasets."""

from __future__ import annotations

import pandas as pd
import pytest

from equity_factors.data.providers.sample import FACTOR_ETFS, SECTORS, SampleProvider
from equity_factors.data.store import Store


@pytest.fixture(scope="module")
def long():
    return SampleProvider().prices()


def test_known_values_from_the_shipped_files(long):
    # Values read from skfolio's sp500_dataset.csv.gz, sp500_index.csv.gz, factors_dataset.csv.gz.
    def at(symbol, date):
        rows = long[(long["symbol"] == symbol) & (long["date"] == pd.Timestamp(date))]
        return float(rows["adj_close"].iloc[0])

    assert at("AAPL", "1990-01-02") == pytest.approx(0.264)
    assert at("AMD", "1990-01-03") == pytest.approx(4.0)
    assert at("SP500", "1990-01-02") == pytest.approx(359.69)
    assert at("MTUM", "2014-01-02") == pytest.approx(52.704)
    assert at("VLUE", "2014-01-03") == pytest.approx(46.999)


def test_coverage_and_shape(long):
    counts = long.groupby("symbol").size()
    assert counts["AAPL"] == 8313 and counts["SP500"] == 8313
    assert counts["MTUM"] == 2264  # the ETFs start in 2014: no NaN rows stored before
    assert long["date"].min() == pd.Timestamp("1990-01-02")
    assert long["date"].max() == pd.Timestamp("2022-12-28")
    assert (long["adj_close"] > 0).all()


def test_every_stock_has_a_sector():
    p = SampleProvider()
    assert set(p.stock_symbols()) == set(SECTORS)
    assert set(p.reference_symbols()) == {"SP500", *FACTOR_ETFS}


def test_sample_home_store_matches_provider(sample_home, long):
    store = Store(sample_home / "store.sqlite")
    members, info = store.universe("SAMPLE")
    assert len(members) == 20 and info["source"] == "sample"
    prices, _ = store.load_prices(["AAPL", "MTUM"])
    aapl = long[long["symbol"] == "AAPL"].set_index("date")["adj_close"]
    assert prices["adj_close"]["AAPL"].dropna().to_numpy().tolist() == aapl.tolist()
    assert store.symbol_info(["JPM"]).loc["JPM", "sector"] == "Financials"
