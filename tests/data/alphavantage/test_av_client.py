"""The real client and provider against the fake server: every fault leads to the documented
behaviour (shared/reference/alphavantage.md, section 5 item 2)."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest
from _av_support import KEY

from equity_factors.data.providers.alphavantage import (
    AlphaVantageClient,
    AlphaVantageError,
    AlphaVantageProvider,
    DailyLimitReached,
    InvalidApiKey,
    PremiumRequired,
    ProviderState,
    RateLimiter,
    SymbolNotFound,
    Throttled,
    TransientFailure,
)
from equity_factors.data.providers.alphavantage.parse import LISTING_HEADER, SERIES_KEY
from equity_factors.data.store import Store
from equity_factors.errors import UserError


def _client(config):
    return AlphaVantageClient(config, limiter=RateLimiter(config.calls_per_minute))


def _series_call(client, symbol, function="TIME_SERIES_DAILY_ADJUSTED"):
    return client.call(function, {"symbol": symbol, "outputsize": "compact"}, expect=(SERIES_KEY,))


def _outcomes(fake):
    return [r["outcome"] for r in fake.requests()]


@pytest.mark.parametrize("fault", ["burst", "http503", "drop", "garbage", "slow"])
def test_short_faults_are_retried(fake, make_config, stocks, fault):
    fake.configure(slow_seconds=1.0)
    fake.push(fault)
    config = make_config(retry=replace(make_config().retry, timeout=0.3))
    with _client(config) as client:
        payload = _series_call(client, stocks[0])
    assert SERIES_KEY in payload
    assert _outcomes(fake) == [fault, "ok"]


@pytest.mark.parametrize("fault", ["minute", "burst_pattern", "note"])
def test_per_minute_notices_wait_for_the_next_window(fake, make_config, stocks, fault):
    fake.push(fault)
    config = make_config()
    with _client(config) as client:
        began = time.time()
        _series_call(client, stocks[0])
    assert time.time() - began >= config.retry.minute_wait
    log = fake.requests()
    assert [r["outcome"] for r in log] == [fault, "ok"]
    assert log[1]["t"] - log[0]["t"] >= config.retry.minute_wait - 0.01


def test_endless_throttling_gives_up_clearly(fake, make_config, stocks):
    fake.push(*["minute"] * 5)
    with _client(make_config()) as client, pytest.raises(Throttled, match="per-minute"):
        _series_call(client, stocks[0])
    assert len(fake.requests()) == make_config().retry.max_minute_waits + 1


def test_persistent_server_errors_are_bounded(fake, make_config, stocks):
    fake.push(*["http503"] * 10)
    with _client(make_config()) as client, pytest.raises(TransientFailure, match="HTTP 503"):
        _series_call(client, stocks[0])
    assert len(fake.requests()) == make_config().retry.max_transient_retries + 1


def test_daily_cap_stops_and_redacts_the_key(fake, make_config, stocks):
    fake.configure(daily_cap=1)
    with _client(make_config()) as client:
        _series_call(client, stocks[0])
        with pytest.raises(DailyLimitReached) as info:
            _series_call(client, stocks[1])
    assert "daily limit" in str(info.value) and KEY not in str(info.value)
    assert "***" in str(info.value)  # the notice quoted the key; it was masked
    assert len(fake.requests()) == 2  # no retry of a daily cap


def test_invalid_and_demo_keys_are_user_errors(fake, make_config, stocks):
    fake.configure(valid_keys={"SOMEOTHERKEY"})
    with _client(make_config()) as client, pytest.raises(InvalidApiKey) as info:
        _series_call(client, stocks[0])
    assert isinstance(info.value, UserError) and KEY not in str(info.value)
    with _client(make_config(api_key="demo")) as client, pytest.raises(InvalidApiKey):
        _series_call(client, stocks[0])


@pytest.mark.parametrize("style", ["error", "empty"])
def test_unknown_symbols(fake, make_config, style):
    fake.configure(unknown_style=style)
    with _client(make_config()) as client, pytest.raises(SymbolNotFound):
        _series_call(client, "NOSUCH")
    assert len(fake.requests()) == 1  # never retried


def test_unknown_function_is_a_provider_error(fake, make_config):
    with _client(make_config()) as client, pytest.raises(AlphaVantageError, match="not exist"):
        client.call("NO_SUCH_FUNCTION", {}, expect=("x",))


def test_csv_notice_is_retried_then_csv_parses(fake, make_config):
    fake.push("csv_notice")
    with _client(make_config()) as client:
        provider = AlphaVantageProvider(client)
        listing = provider.listing_status("active")
    assert _outcomes(fake) == ["csv_notice", "ok"]
    assert len(listing) > 20 and listing["delist_date"].isna().all()
    fake.push(*["csv_notice"] * 10)
    with _client(make_config()) as client, pytest.raises(Throttled):
        client.call("LISTING_STATUS", {"state": "active"}, csv_header=LISTING_HEADER[:3])


def test_premium_endpoint_switches_to_free_and_is_remembered(fake, make_config, stocks,
                                                             tmp_path):
    fake.configure(premium=False, free_full=True)
    store = Store(tmp_path / "s.sqlite")
    symbol = next(s for s in stocks if (fake.data.series(s)["split"] != 1).any())
    with _client(make_config()) as client:
        provider = AlphaVantageProvider(client, ProviderState(store), "kid")
        result = provider.daily_bars(symbol, full=True)
    assert result.method == "crsp" and result.full
    assert [r["function"] for r in fake.requests()] == [
        "TIME_SERIES_DAILY_ADJUSTED", "TIME_SERIES_DAILY", "SPLITS", "DIVIDENDS"]
    # The premium answer (what a premium key would get) agrees within 1e-6.
    expected = fake.data.series(symbol)
    np.testing.assert_allclose(result.frame["adj_close"], expected["adj_close"], rtol=1e-6)
    fake.reset()
    with _client(make_config()) as client:  # a new run: no probe
        AlphaVantageProvider(client, ProviderState(store), "kid").daily_bars(symbol, full=True)
    assert "TIME_SERIES_DAILY_ADJUSTED" not in [r["function"] for r in fake.requests()]


def test_refused_full_history_falls_back_to_compact(fake, make_config, stocks):
    fake.configure(premium=False)
    with _client(make_config()) as client:
        provider = AlphaVantageProvider(client)
        result = provider.daily_bars(stocks[0], full=True)
        assert provider.full is False and provider.adjusted is False
        assert len(result.frame) == 100 and not result.full
        fake.reset()
        provider.daily_bars(stocks[1], full=True)
    assert [r["outputsize"] for r in fake.requests() if r["function"] == "TIME_SERIES_DAILY"] \
        == ["compact"]


def test_etf_profile_premium_fails_clearly(fake, make_config):
    fake.configure(premium=False, etf_premium=True)
    with _client(make_config()) as client, pytest.raises(PremiumRequired):
        AlphaVantageProvider(client).etf_holdings("SPY")


def test_partial_bar_is_not_stored(fake, make_config, stocks):
    fake.configure(partial_bar=True, as_of=str(fake.data.dates[-2].date()))
    with _client(make_config()) as client:
        result = AlphaVantageProvider(client).daily_bars(stocks[0], full=True)
    assert result.dropped_partial
    assert result.frame.index.max() == fake.data.dates[-2]


def test_fake_control_endpoints(fake, stocks):
    import httpx

    base = fake.url.rsplit("/", 1)[0]
    with httpx.Client() as http:
        assert http.post(f"{base}/control", json={"premium": False}).json() == {"ok": True}
        assert http.get(f"{base}/control").json()["premium"] is False
        http.post(f"{base}/control/script", json={"faults": ["http503"]})
        first = http.get(fake.url, params={"function": "TIME_SERIES_DAILY", "symbol": stocks[0],
                                           "apikey": KEY})
        second = http.get(fake.url, params={"function": "TIME_SERIES_DAILY",
                                            "symbol": stocks[0], "apikey": KEY})
        assert first.status_code == 503 and second.status_code == 200
        log = http.get(f"{base}/control/requests").json()
        assert [r["outcome"] for r in log] == ["http503", "ok"]
        assert KEY not in json.dumps(log)
        assert http.post(f"{base}/control", json={"nonsense": 1}).status_code == 400
        http.post(f"{base}/control/reset", json={})
        assert http.get(f"{base}/control/requests").json() == []
