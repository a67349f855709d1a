"""The API key never shows: not in stdout/stderr, log records, files under the data directory
(the SQLite file and its WAL included) or exception text, whatever happens."""

from __future__ import annotations

import logging
import traceback
from dataclasses import replace
from pathlib import Path

import pytest
from _av_support import FAST, KEY

from equity_factors.cli.main import main
from equity_factors.data.providers.alphavantage import (
    AlphaVantageClient,
    AlphaVantageConfig,
    RateLimiter,
)
from equity_factors.data.providers.alphavantage.parse import SERIES_KEY


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_key_never_leaks(fake, tmp_path, monkeypatch, capsys, caplog, stocks):
    caplog.set_level(logging.DEBUG)  # httpx logs every URL at INFO, httpcore at DEBUG
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALPHAVANTAGE_API_KEY", KEY)
    monkeypatch.setenv("ALPHAVANTAGE_BASE_URL", fake.url)
    monkeypatch.setenv("ALPHAVANTAGE_CALLS_PER_MINUTE", "6000")
    data_dir = tmp_path / "data"
    texts: list[str] = []

    def run(*argv: str) -> int:
        return main(["--data-dir", str(data_dir), *argv])

    # A fetch with a dropped connection on the way, fundamentals and listing status.
    fake.push("drop")
    assert run("data", "fetch", "--universe", "QQQ", "--fundamentals", "--listing-status") == 0
    # The daily notice quotes the key back; the run stops and reports it.
    fake.configure(daily_cap=0)
    assert run("data", "fetch", "--symbols", ",".join(stocks[:3]), "--refresh") == 1
    fake.configure(daily_cap=None)
    # A rejected key (UserError, exit 2).
    fake.configure(valid_keys={"SOMEONEELSE"})
    assert run("data", "fetch", "--symbols", stocks[0], "--refresh") == 2
    fake.configure(valid_keys=None)
    assert run("data", "status") == 0
    out = capsys.readouterr()
    assert "apikey" in out.err.lower() or "ALPHAVANTAGE_API_KEY" in out.err
    texts += [out.out, out.err, caplog.text, *(r.getMessage() for r in caplog.records)]
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log URLs

    # Exceptions raised straight from the client (an unreachable server, a daily notice that
    # quotes the key): message, repr and formatted traceback.
    unreachable = AlphaVantageConfig(api_key=KEY, base_url="http://127.0.0.1:9/query",
                                     retry=replace(FAST, max_transient_retries=1))
    for cfg in (unreachable, AlphaVantageConfig(api_key=KEY, base_url=fake.url)):
        fake.configure(daily_cap=0)
        with (AlphaVantageClient(cfg, limiter=RateLimiter(6000)) as client,
              pytest.raises(Exception) as info):  # noqa: PT011 - any failure, checked below
            client.call("TIME_SERIES_DAILY", {"symbol": stocks[0]}, expect=(SERIES_KEY,))
        texts += [str(info.value), repr(info.value),
                  "".join(traceback.format_exception(info.value))]
    fake.configure(daily_cap=None)
    assert any("***" in t for t in texts if isinstance(t, str))  # the quoted key was masked
    for text in texts:
        assert KEY not in str(text)
        assert KEY.lower() not in str(text).lower()
    blob = _all_bytes(data_dir)
    assert blob and KEY.encode() not in blob
    assert KEY.encode("utf-16-le") not in blob
