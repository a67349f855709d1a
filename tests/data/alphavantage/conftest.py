"""Fixtures for the Alpha Vantage tests: one synthetic market, a fake server per test on
127.0.0.1 (free port, in a thread), fast retry settings, a throwaway store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from _av_support import FAST, KEY

from equity_factors.data.providers.alphavantage import AlphaVantageConfig
from equity_factors.testing.fake_alphavantage import FakeAlphaVantage, FakeMarketData
from equity_factors.workflows.context import Context


@pytest.fixture(scope="session")
def market_data() -> FakeMarketData:
    """40 synthetic stocks over 300 days with frequent splits (seeded)."""
    return FakeMarketData(n_stocks=40, n_days=300, seed=11)


@pytest.fixture
def fake(market_data: FakeMarketData) -> Iterator[FakeAlphaVantage]:
    with FakeAlphaVantage(data=market_data) as server:
        yield server


@pytest.fixture
def make_config(fake: FakeAlphaVantage) -> Callable[..., AlphaVantageConfig]:
    def make(**changes: object) -> AlphaVantageConfig:
        base = AlphaVantageConfig(api_key=KEY, base_url=fake.url, calls_per_minute=6000.0,
                                  calls_per_day=None, retry=FAST)
        return replace(base, **changes)

    return make


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return Context.create(str(tmp_path / "data"))


@pytest.fixture
def stocks(fake: FakeAlphaVantage) -> list[str]:
    """Stock tickers listed on the fake's last day."""
    t = fake.data.as_of_index(None)
    return fake.data.stocks(t)
