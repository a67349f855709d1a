"""``eqf data fetch`` end to end against the fake server (in-process CLI)."""

from __future__ import annotations

import pytest
from _av_support import KEY

from equity_factors.cli.main import main
from equity_factors.data.store import Store


@pytest.fixture
def env(fake, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ALPHAVANTAGE_API_KEY", KEY)
    monkeypatch.setenv("ALPHAVANTAGE_BASE_URL", fake.url)
    monkeypatch.setenv("ALPHAVANTAGE_CALLS_PER_MINUTE", "6000")
    return tmp_path / "data"


def test_fetch_spy_prints_the_table_and_stores_the_universe(fake, env, capsys):
    assert main(["--data-dir", str(env), "data", "fetch", "--universe", "SPY"]) == 0
    out = capsys.readouterr().out
    for word in ("Alpha Vantage fetch of SPY", "fetched", "up to date", "failed", "not fetched",
                 "universe SPY stored", "calls in"):
        assert word in out
    store = Store(env / "store.sqlite")
    members, info = store.universe("SPY")
    t = fake.data.as_of_index(None)
    assert sorted(members) == sorted(h[0] for h in fake.data.holdings("SPY", t))
    assert info["params"]["etf"] == "SPY"
    assert main(["--data-dir", str(env), "data", "fetch", "--universe", "SPY"]) == 0
    again = capsys.readouterr().out
    row = next(line for line in again.splitlines() if "up to date" in line)
    assert str(len(members) + 1) in row


def test_unknown_symbols_listed_with_reason(fake, env, capsys, stocks):
    code = main(["--data-dir", str(env), "data", "fetch", "--symbols", f"{stocks[0]},NOSUCH"])
    captured = capsys.readouterr()
    assert code == 2  # a symbol the user named is unknown: not a success, though the rest is kept
    assert "NOSUCH" in captured.out and "unknown to Alpha Vantage" in captured.out
    assert "unknown to Alpha Vantage: NOSUCH" in captured.err
    assert stocks[0] in Store(env / "store.sqlite").coverage().index


def test_without_a_key_names_the_bundled_universes(env, monkeypatch, capsys):
    monkeypatch.delenv("ALPHAVANTAGE_API_KEY")
    assert main(["--data-dir", str(env), "data", "fetch", "--universe", "SPY"]) == 2
    err = capsys.readouterr().err
    assert "ALPHAVANTAGE_API_KEY" in err and "SAMPLE" in err and "SYN50" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("name", "value", "flag"), [
    ("ALPHAVANTAGE_CALLS_PER_MINUTE", "lots", None), ("ALPHAVANTAGE_CALLS_PER_DAY", "-3", None),
    (None, None, "--start=yesterday"),
])
def test_bad_settings_are_one_line_user_errors(env, monkeypatch, capsys, name, value, flag):
    if name:
        monkeypatch.setenv(name, value)
    argv = ["--data-dir", str(env), "data", "fetch", "--symbols", "BAA"]
    assert main(argv + ([flag] if flag else [])) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and KEY not in err


def test_analysis_command_that_fetches_stops_with_the_daily_cap(fake, env, capsys):
    # Before: the partial universe went on to the factor fit and ended with a message about -k.
    fake.configure(daily_cap=4)
    code = main(["--data-dir", str(env), "discover", "--universe", "QQQ", "-k", "3",
                 "--output-dir", str(env.parent / "out")])
    captured = capsys.readouterr()
    assert code == 1  # the fetch's own code: a rerun has work left
    assert "Alpha Vantage fetch of QQQ" in captured.out and "not fetched" in captured.out
    err = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("eqf: error: fetching QQQ")
    assert "daily limit" in err[0] and "rerun the same command" in err[0]
    assert "-k" not in err[0] and "ALPHAVANTAGE_API_KEY" not in err[0]
    assert not (env.parent / "out").exists()


def test_analysis_command_names_unknown_symbols(fake, env, capsys):
    # Before: "set ALPHAVANTAGE_API_KEY" although it was set.
    code = main(["--data-dir", str(env), "discover", "--universe", "NOSUCH", "-k", "3"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "unknown to Alpha Vantage: NOSUCH" in err[0]
    assert "ALPHAVANTAGE_API_KEY" not in err[0]
