"""A free key's daily budget: every paid answer is kept, reruns never pay twice, and a known
budget is spent on whole symbols (issue 12, item 2).

The clock is moved with ``EQF_NOW`` (the data layer's clock): Saturday and Sunday share Friday's
trading day while the 24-hour call budget has renewed; the Wednesday after is a later trading
day. The fake server moves its "today" with ``as_of`` and counts the calls it answered.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from equity_factors.workflows.fetch import fetch

FRIDAY, TUESDAY = "2023-02-10", "2023-02-14"
SATURDAY, SUNDAY, WEDNESDAY = ("2023-02-11T10:00:00Z", "2023-02-12T12:00:00Z",
                               "2023-02-15T10:00:00Z")
EVENTS = ("SPLITS", "DIVIDENDS")


def cached_keys(store_path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(store_path)
    try:
        return {(f, s) for f, s in conn.execute("SELECT function, symbol FROM api_responses")}
    finally:
        conn.close()


def assert_tail_matches_server(store, fake, symbols, as_of):
    """The stored bars (a free key's latest 100 days, maybe merged with later ones) equal the
    server's last days: same dates, raw closes, and adjusted closes."""
    for symbol in symbols:
        got = store.read_bars(symbol)
        want = fake.data.series(symbol, as_of).iloc[-len(got):]
        assert len(got) >= 90 and got.index.is_unique, symbol
        assert got.index.equals(want.index), symbol
        np.testing.assert_allclose(got["close"], want["close"], rtol=1e-6, err_msg=symbol)
        np.testing.assert_allclose(got["adj_close"], want["adj_close"], rtol=1e-6, err_msg=symbol)


@pytest.fixture
def free_fake(fake):
    fake.configure(premium=False, as_of=FRIDAY)
    return fake


def test_a_capped_run_keeps_every_paid_answer_and_reruns_never_pay_twice(
        free_fake, make_config, ctx, monkeypatch):
    fake = free_fake
    members = [h[0] for h in fake.data.holdings("QQQ", fake.data.as_of_index(FRIDAY))]
    symbols = [*members, "QQQ"]
    # Saturday: 12 calls left on the key, eqf does not know it.
    monkeypatch.setenv("EQF_NOW", SATURDAY)
    fake.configure(daily_cap=12)
    first = fetch(ctx, "QQQ", config=make_config())
    assert first.exit_code == 1 and "daily limit" in first.stopped
    paid = fake.calls()
    assert sum(paid.values()) == 12
    stored = set(ctx.store.coverage().index)
    kept = cached_keys(ctx.store.path)
    for function, symbol, _ in paid:  # every answer that cost a call is stored or kept
        assert symbol in stored or (function, symbol) in kept, (function, symbol)
    assert_tail_matches_server(ctx.store, fake, sorted(stored), FRIDAY)

    # Sunday: same trading day (Friday's close), a new 24 hours of budget.
    monkeypatch.setenv("EQF_NOW", SUNDAY)
    fake.reset()
    fake.configure(daily_cap=None)
    second = fetch(ctx, "QQQ", config=make_config(calls_per_day=1000))
    assert second.exit_code == 0, second.failures()
    again = fake.calls()
    assert set(again) & set(paid) == set()  # no call that was already answered
    assert second.cached_answers >= len([k for k in paid if k[1] not in stored])
    assert all(k[0] != "TIME_SERIES_DAILY_ADJUSTED" for k in fake.calls(None))  # tier remembered
    assert_tail_matches_server(ctx.store, fake, symbols, FRIDAY)

    # Wednesday: a later trading day (Tuesday's close). Only what can have changed is asked:
    # the latest 100 days of each symbol; split and dividend lists already held are reused
    # (asked again only for a raw price jump like an unlisted split).
    monkeypatch.setenv("EQF_NOW", WEDNESDAY)
    fake.reset()
    fake.configure(as_of=TUESDAY)
    third = fetch(ctx, "QQQ", config=make_config(calls_per_day=1000))
    assert third.exit_code == 0
    asked = fake.calls(None)
    assert {(f, size) for f, _, size in asked if f.startswith("TIME_SERIES")} == \
        {("TIME_SERIES_DAILY", "compact")}
    assert sorted(s for f, s, _ in asked if f == "TIME_SERIES_DAILY") == sorted(symbols)
    t = fake.data.as_of_index(TUESDAY)
    new_split = {s for s in symbols
                 if (fake.data.tickers[s].arrays["split"][t - 1 : t + 1] != 1).any()}
    assert {s for f, s, _ in asked if f == "SPLITS"} == new_split
    assert not [k for k in asked if k[0] == "DIVIDENDS"]
    assert_tail_matches_server(ctx.store, fake, symbols, TUESDAY)


def test_a_known_budget_is_spent_on_whole_symbols(free_fake, make_config, ctx, monkeypatch):
    fake = free_fake
    monkeypatch.setenv("EQF_NOW", SATURDAY)
    report = fetch(ctx, "QQQ", config=make_config(calls_per_day=12))
    assert report.exit_code == 1
    assert sum(fake.calls(None).values()) == 12  # two of them the refused premium probes
    stored = set(ctx.store.coverage().index)
    assert len(stored) == 3
    answered = {s for f, s, _ in fake.calls() if f != "ETF_PROFILE"}
    assert answered == stored  # no symbol half paid for
    assert {s for _, s in cached_keys(ctx.store.path)} - stored <= {"QQQ"}  # ETF_PROFILE only
    assert "ALPHAVANTAGE_CALLS_PER_DAY=12" in report.budget
    assert "0 left" in report.budget and "8 symbol(s) still to fetch" in report.budget
    assert "enough for 0 more symbol(s) at 3 calls each" in report.budget
    assert "rerun the same command after" in report.stopped
    # The next day, the budget finishes 4 more whole symbols, without the probes.
    monkeypatch.setenv("EQF_NOW", "2023-02-12T11:00:00Z")
    fake.reset()
    nxt = fetch(ctx, "QQQ", config=make_config(calls_per_day=12))
    assert len(ctx.store.coverage().index) == 7 and sum(fake.calls(None).values()) == 12
    assert "enough for 0 more symbol(s)" in nxt.budget


def test_the_budget_is_learnt_from_the_daily_notice(free_fake, make_config, ctx, monkeypatch):
    fake = free_fake
    monkeypatch.setenv("EQF_NOW", SATURDAY)
    fake.configure(daily_cap=6)
    first = fetch(ctx, "QQQ", config=make_config())
    assert first.exit_code == 1
    fake.reset()
    # Later the same day: the learnt budget is used up, so no call is wasted on the notice.
    monkeypatch.setenv("EQF_NOW", "2023-02-11T15:00:00Z")
    second = fetch(ctx, "QQQ", config=make_config())
    assert fake.requests() == []
    assert second.exit_code == 1 and "learnt from Alpha Vantage's daily-limit notice" in \
        second.budget
