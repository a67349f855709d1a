"""The plan's rate is used fully and never exceeded: timing against the fake server's own
arrival timestamps (slow: about 20 s + 6 s)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _av_support import FAST, KEY

from equity_factors.data.providers.alphavantage import AlphaVantageConfig
from equity_factors.testing.fake_alphavantage import FakeAlphaVantage, FakeMarketData
from equity_factors.workflows.context import Context
from equity_factors.workflows.fetch import fetch

pytestmark = pytest.mark.slow
WORKER = str(Path(__file__).with_name("_av_support.py"))  # runs the fetch workflow


@pytest.fixture(scope="module")
def big_fake():
    data = FakeMarketData(n_stocks=260, n_days=80, seed=5)
    with FakeAlphaVantage(data=data) as server:
        yield server


def _max_in_window(times: np.ndarray, window: float) -> int:
    """Most arrivals in any half-open window [t, t + window) (two-pointer sweep)."""
    times = np.sort(times)
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def _slots(path) -> np.ndarray:
    """The call slots reserved in the store's ledger, ascending."""
    conn = sqlite3.connect(path)
    try:
        return np.array([r[0] for r in conn.execute("SELECT t FROM api_calls ORDER BY t")])
    finally:
        conn.close()


def test_200_symbols_at_600_per_minute(big_fake, tmp_path):
    symbols = big_fake.data.stocks(big_fake.data.as_of_index(None))[:200]
    assert len(symbols) == 200
    big_fake.reset()
    ctx = Context.create(str(tmp_path / "rate"))
    config = AlphaVantageConfig(api_key=KEY, base_url=big_fake.url, calls_per_minute=600,
                                retry=FAST)
    began = time.monotonic()
    report = fetch(ctx, ",".join(symbols), config=config)
    elapsed = time.monotonic() - began
    arrivals = np.array([r["t"] for r in big_fake.requests()])
    assert report.summary().at["fetched", "symbols"] == 200 and len(arrivals) == 200
    theoretical = 200 / 600 * 60.0  # 20 s: one call per symbol at 10 calls/s
    per_60s = _max_in_window(arrivals, 60.0)
    per_1s = _max_in_window(arrivals, 1.0)
    print(f"\n200 calls at 600/min: {elapsed:.2f} s (theory {theoretical:.0f} s), server span "
          f"{np.ptp(arrivals):.2f} s, max in 60 s {per_60s}, max in 1 s {per_1s}, "
          f"min gap {np.diff(np.sort(arrivals)).min() * 1000:.1f} ms")
    # never faster than the budget; slower only by what a loaded 2-core machine adds (the
    # pacing itself is checked exactly on the reserved slots below)
    assert 0.9 * theoretical <= elapsed <= 1.5 * theoretical
    assert per_60s <= 600
    # Even pacing (what makes the 60 s bound hold at any length): the reserved slots are exactly
    # 100 ms apart; arrivals at the server jitter (threads on a busy 2-core machine), so a
    # 1-second window may see a call or two more.
    assert np.diff(_slots(ctx.store.path)).min() >= 0.1
    assert per_1s <= 13


def test_two_processes_share_one_budget(big_fake, tmp_path):
    # 1200/min = one call per 50 ms for the key, whoever makes it. Each process alone would pace
    # itself at 20/s; together, without the shared ledger, they would reach 40/s. A 60-second
    # window would need minutes of calls to show anything, so the test checks the pacing that
    # implies the per-minute bound on 1-second windows: at most 20 (+1 for jitter) calls in any
    # second, over a stretch where both processes are calling.
    stocks = big_fake.data.stocks(big_fake.data.as_of_index(None))
    halves = [stocks[:60], stocks[60:120]]
    big_fake.reset()
    data_dir = tmp_path / "shared"
    Context.create(str(data_dir))  # the store exists before both start
    env = {**os.environ, "ALPHAVANTAGE_API_KEY": KEY, "ALPHAVANTAGE_BASE_URL": big_fake.url,
           "ALPHAVANTAGE_CALLS_PER_MINUTE": "1200"}
    procs = [subprocess.Popen([sys.executable, WORKER, str(data_dir), ",".join(half)],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for half in halves]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    log = big_fake.requests()
    assert len(log) == 120
    times = {0: [], 1: []}
    for r in log:
        times[0 if r["symbol"] in halves[0] else 1].append(r["t"])
    overlap = min(max(times[0]), max(times[1])) - max(min(times[0]), min(times[1]))
    arrivals = np.array(times[0] + times[1])
    per_1s = _max_in_window(arrivals, 1.0)
    print(f"\ntwo processes at 1200/min: overlap {overlap:.2f} s, span {np.ptp(arrivals):.2f} s, "
          f"max in 1 s {per_1s}, max in 60 s {_max_in_window(arrivals, 60.0)}")
    assert overlap >= 1.0
    assert per_1s <= 24  # ~40 if each process paced only itself; jitter may add a call or two
    assert np.ptp(arrivals) >= 119 * 0.05 * 0.95
    # The ledger both processes reserved their slots in: strictly 50 ms apart.
    slots = _slots(data_dir / "store.sqlite")
    assert len(slots) == 120 and np.diff(slots).min() >= 0.05
