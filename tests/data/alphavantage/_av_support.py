"""Shared constants and checks for the Alpha Vantage tests (imported by name: the test folder is
on sys.path in pytest's rootdir import mode). Also run as a script by the process tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from equity_factors.data.providers.alphavantage import RetryPolicy

# A distinctive key: any leak of it is easy to find in bytes and text.
KEY = "ZQ7XKEYLEAKCANARY9"

# Back-off settings that keep retries in milliseconds (the defaults wait seconds to a minute).
FAST = RetryPolicy(timeout=20.0, max_transient_retries=4, backoff_base=0.01, backoff_cap=0.05,
                   burst_wait=(0.01, 0.02), max_burst_retries=3, minute_wait=0.2,
                   max_minute_waits=2)

# Phrases of notices and errors: none may end up in a data table.
NOTICE_PHRASES = ("Thank you", "Alpha Vantage", "premium", "Information", "Invalid API call",
                  "spreading out", "Error Message", "rate limit", "I,n,f,o")


def assert_store_matches_server(store, fake, symbols, as_of=None, rtol=1e-6):
    """Stored bars of ``symbols`` = what the fake serves: same days (none missing, none twice),
    the same raw prices, and adjusted closes within ``rtol``."""
    for symbol in symbols:
        got = store.read_bars(symbol)
        want = fake.data.series(symbol, as_of)
        assert got.index.is_unique, symbol
        assert got.index.equals(want.index), (symbol, len(got), len(want))
        np.testing.assert_allclose(got["close"], want["close"], rtol=1e-12, err_msg=symbol)
        np.testing.assert_allclose(got["split"], want["split"], rtol=1e-12, err_msg=symbol)
        np.testing.assert_allclose(got["dividend"], want["dividend"], atol=1e-12, err_msg=symbol)
        np.testing.assert_allclose(got["adj_close"], want["adj_close"], rtol=rtol, err_msg=symbol)


def data_texts(store_path: Path) -> list[str]:
    """Every text value in the data tables (symbols, holdings, universes, fundamentals)."""
    conn = sqlite3.connect(store_path)
    try:
        out = []
        for table, cols in (("symbols", "symbol, name, sector, industry, asset_type"),
                            ("holdings", "etf, symbol"), ("universe_members", "universe, symbol"),
                            ("fundamentals", "symbol, field")):
            for row in conn.execute(f"SELECT {cols} FROM {table}"):  # noqa: S608
                out.extend(str(v) for v in row if v is not None)
        return out
    finally:
        conn.close()


def _worker(data_dir: str, symbols: str) -> int:
    """A fetching process: the real workflow with the environment's configuration (what
    ``eqf data fetch --symbols`` runs, without the CLI's heavier imports)."""
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.fetch import fetch

    report = fetch(Context.create(data_dir), symbols)
    print(report.summary().to_json())
    return report.exit_code


if __name__ == "__main__":
    import sys

    raise SystemExit(_worker(sys.argv[1], sys.argv[2]))
