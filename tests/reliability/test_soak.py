"""Soak: four processes on one data directory for ~45 s (issue 12), mixing ``data fetch`` from
the fake Alpha Vantage server (with faults), ``data import``, ``discover``, ``optimize`` and
``data status``/``data health``. Then: no failed command, no "locked" error, every written row
present exactly once, and the store's integrity check passes.

Run with ``-s`` to see the commands run and the figures.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from _rel_support import assert_invariants, eqf

from equity_factors.data.store import Store
from equity_factors.testing.fake_alphavantage import FakeAlphaVantage, FakeMarketData

pytestmark = pytest.mark.slow

SECONDS = 40.0


def test_four_processes_on_one_data_directory(tmp_path):
    data = tmp_path / "data"
    done = eqf(data, "data", "fetch", "--universe", "SYN50")
    assert done.returncode == 0, done.stderr
    market = FakeMarketData(n_stocks=60, n_days=300, seed=8)
    results: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    with FakeAlphaVantage(data=market) as fake:
        env = {"ALPHAVANTAGE_API_KEY": "anything", "ALPHAVANTAGE_BASE_URL": fake.url,
               "ALPHAVANTAGE_CALLS_PER_MINUTE": "3000"}
        stocks = market.stocks(market.as_of_index(None))
        fetched: list[str] = []
        imported: dict[str, pd.DataFrame] = {}

        def record(name: str, proc) -> None:
            with lock:
                results.append((name, proc.returncode, proc.stderr))

        def fetcher() -> None:
            i = 0
            while time.monotonic() < deadline:
                batch = stocks[(4 * i) % len(stocks):][:4]
                fake.push("http503", "drop", "burst")  # faults the fetch must survive
                record("data fetch", eqf(data, "data", "fetch", "--symbols", ",".join(batch),
                                         env=env))
                fetched.extend(batch)
                i += 1

        def importer() -> None:
            i = 0
            while time.monotonic() < deadline:
                days = pd.bdate_range("2018-01-02", periods=300 + i)
                frame = pd.DataFrame({
                    "date": np.repeat(days, 3),
                    "symbol": np.tile([f"IMP{i}A", f"IMP{i}B", f"IMP{i}C"], len(days)),
                    "close": 20.0 + np.arange(3 * len(days)) % 97 / 10.0})
                path = tmp_path / f"imp{i}.csv"
                frame.to_csv(path, index=False)
                proc = eqf(data, "data", "import", str(path), "--universe", f"IMP{i}")
                record("data import", proc)
                if proc.returncode == 0:
                    imported.update({s: g for s, g in frame.groupby("symbol")})
                i += 1

        def analyst() -> None:
            i = 0
            while time.monotonic() < deadline:
                out = tmp_path / f"an{i}"
                if i % 2 == 0:
                    record("discover", eqf(data, "discover", "--universe", "SYN50", "-k", "3",
                                           "--start", f"{2016 + i % 4}-01-01",
                                           "--output-dir", str(out)))
                else:
                    record("optimize", eqf(data, "optimize", "--universe", "SYN50", "-k", "3",
                                           "--start", "2019-01-01", "--trials", "8",
                                           "--output", str(out / "r.json")))
                i += 1

        def watcher() -> None:
            i = 0
            while time.monotonic() < deadline:
                name = ("data", "status") if i % 2 == 0 else ("data", "health")
                record(" ".join(name), eqf(data, *name))
                i += 1

        threads = [threading.Thread(target=f) for f in (fetcher, importer, analyst, watcher)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        served = Counter(r["outcome"] for r in fake.requests())

    counts = Counter(name for name, _, _ in results)
    failed = [(n, rc, err.strip()[-300:]) for n, rc, err in results if rc != 0]
    locked = [n for n, _, err in results if "locked" in err.lower()]
    print(f"\nsoak: {len(results)} commands in {SECONDS:.0f} s: {dict(counts)}; "
          f"failed {len(failed)}; 'locked' errors {len(locked)}; fake server answers "
          f"{dict(served)}")
    assert failed == []
    assert locked == []
    assert counts["data fetch"] >= 3 and counts["data import"] >= 3
    assert counts["discover"] + counts["optimize"] >= 3 and counts["data status"] >= 3

    store = Store(data / "store.sqlite")
    assert store.health()["integrity"] == "ok"
    assert_invariants(data)
    for symbol in set(fetched):  # every fetched row once, equal to the server's
        got = store.read_bars(symbol)
        want = market.series(symbol)
        assert got.index.is_unique and got.index.equals(want.index), symbol
        np.testing.assert_allclose(got["adj_close"], want["adj_close"], rtol=1e-6)
    for symbol, rows in imported.items():  # every imported row once
        got = store.read_bars(symbol)
        assert got.index.equals(pd.DatetimeIndex(rows["date"], name="date")), symbol
        np.testing.assert_allclose(got["adj_close"], rows["close"].to_numpy())
    rows = store.health()["rows"]
    expected = 50 + len(set(fetched)) + len(imported)
    assert rows["bars"] >= expected  # (the SYN50 reference series add a few)
    print(f"soak: store holds {rows['bars']} symbols' bars ({rows['bar_days']} bar days); "
          f"{len(set(fetched))} fetched and {len(imported)} imported symbols checked row by row")
