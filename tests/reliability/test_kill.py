"""SIGKILL at seeded random moments inside ``data fetch``, ``discover``, ``optimize`` and
``basket`` (issue 12). After every kill: no partial output file, no run folder without its
record, whole cache entries, the store's integrity check passes; then the same command rerun
completes with results identical to an uninterrupted run, with no duplicate bars and no call
repeated that was already answered.

Kill times are drawn from a seeded generator over the uninterrupted run's duration, so the
moments (start-up, data load, fit, writes) are the same on every run of the suite.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from _rel_support import (
    assert_invariants,
    copy_data_dir,
    eqf,
    normalized,
    run_and_kill,
    timed,
)

from equity_factors.data.store import Store
from equity_factors.testing.fake_alphavantage import FakeAlphaVantage, FakeMarketData

pytestmark = pytest.mark.slow

ANALYSIS = ["--universe", "SYN50", "-k", "3", "--start", "2019-01-01"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A data directory holding SYN50 (copied for each test)."""
    folder = tmp_path_factory.mktemp("kill") / "base"
    done = eqf(folder, "data", "fetch", "--universe", "SYN50")
    assert done.returncode == 0, done.stderr
    return folder


def _kill_loop(data: Path, argv: list[str], seconds: float, points: int, seed: int,
               outputs: list[Path], check_rerun, cwd: Path) -> int:
    """Runs killed at seeded moments until ``points`` were really killed (at most ``2 *
    points`` attempts); after every third attempt (and the last) a full rerun, checked by
    ``check_rerun``. Returns how many runs were really killed. A run that finished before its
    kill time (a faster moment of a shared machine) shortens the times drawn next and does not
    count."""
    rng = np.random.default_rng(seed)
    killed = attempts = 0
    while killed < points and attempts < 2 * points:
        attempts += 1
        delay = float(rng.uniform(0.3, 0.97)) * seconds
        was_killed, elapsed = run_and_kill(data, argv, delay, cwd=cwd)
        killed += was_killed
        if not was_killed:
            seconds = elapsed
        assert_invariants(data, *outputs)
        if attempts % 3 == 0 or killed == points or attempts == 2 * points:
            done = eqf(data, *argv, cwd=cwd)
            assert done.returncode == 0, done.stderr
            assert_invariants(data, *outputs)
            check_rerun()
    return killed


def test_kill_discover(base, tmp_path):
    ref, data = copy_data_dir(base, tmp_path / "ref"), copy_data_dir(base, tmp_path / "data")
    argv = ["discover", *ANALYSIS, "--output-dir"]
    seconds = timed(ref, [*argv, str(tmp_path / "ref_out")], cwd=tmp_path)
    out = tmp_path / "out"
    names = ("factor_returns.csv", "factor_loadings.csv", "factor_names.csv",
             "factor_summary.csv")

    def same_as_uninterrupted():
        for name in names:
            assert (out / name).read_bytes() == (tmp_path / "ref_out" / name).read_bytes(), name

    killed = _kill_loop(data, [*argv, str(out)], seconds, 5, 11, [out], same_as_uninterrupted,
                        tmp_path)
    assert killed >= 4


def test_kill_optimize(base, tmp_path):
    ref, data = copy_data_dir(base, tmp_path / "ref"), copy_data_dir(base, tmp_path / "data")

    def argv(folder: Path) -> list[str]:
        return ["optimize", *ANALYSIS, "--technique", "bayesian", "--trials", "10",
                "--export-weights", str(folder / "w.csv"), "--output", str(folder / "r.json")]

    seconds = timed(ref, argv(tmp_path / "ref_out"), cwd=tmp_path)
    out = tmp_path / "out"
    want = normalized(json.loads((tmp_path / "ref_out" / "r.json").read_text()))

    def same_as_uninterrupted():
        assert normalized(json.loads((out / "r.json").read_text())) == want
        assert (out / "w.csv").read_bytes() == (tmp_path / "ref_out" / "w.csv").read_bytes()
        # journals do not pile up: a finished run removes its own, the next run those of
        # killed ones (at most the journal of the last kill, younger than 5 s, is left)
        assert len(list((data / "optuna").glob("*.journal"))) <= 1

    killed = _kill_loop(data, argv(out), seconds, 4, 12, [out], same_as_uninterrupted, tmp_path)
    assert killed >= 3


def test_kill_basket(base, tmp_path):
    ref, data = copy_data_dir(base, tmp_path / "ref"), copy_data_dir(base, tmp_path / "data")
    results = tmp_path / "r.json"
    done = eqf(ref, "optimize", *ANALYSIS, "--trials", "5", "--output", str(results))
    assert done.returncode == 0, done.stderr
    argv = ["basket", "--results", str(results), "--universe", "SYN50", "-o"]
    seconds = timed(ref, [*argv, str(tmp_path / "ref_out" / "b.csv")], cwd=tmp_path)
    out = tmp_path / "out"

    def same_as_uninterrupted():
        assert (out / "b.csv").read_bytes() == (tmp_path / "ref_out" / "b.csv").read_bytes()
        assert json.loads((out / "b_summary.json").read_text()) == json.loads(
            (tmp_path / "ref_out" / "b_summary.json").read_text())

    killed = _kill_loop(data, [*argv, str(out / "b.csv")], seconds, 3, 13, [out],
                        same_as_uninterrupted, tmp_path)
    assert killed >= 2


def _kept(store_path: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """(symbols stored, (function, symbol) answers kept in the response cache)."""
    conn = sqlite3.connect(store_path)
    try:
        stored = {r[0] for r in conn.execute(
            "SELECT s.symbol FROM bars b JOIN symbols s ON s.id = b.symbol_id")}
        cached = {(f, s) for f, s in conn.execute("SELECT function, symbol FROM api_responses")}
        return stored, cached
    finally:
        conn.close()


def test_kill_fetch(tmp_path):
    # Four groups of ten symbols (free key: 3 calls each); per group two kills, then a rerun.
    market = FakeMarketData(n_stocks=44, n_days=300, seed=5)
    rng = np.random.default_rng(14)
    with FakeAlphaVantage(data=market, premium=False, free_full=True) as fake:
        symbols = market.stocks(market.as_of_index(None))[:40]
        groups = [symbols[i : i + 10] for i in range(0, 40, 10)]
        env = {"ALPHAVANTAGE_API_KEY": "anything", "ALPHAVANTAGE_BASE_URL": fake.url,
               "ALPHAVANTAGE_CALLS_PER_MINUTE": "1200"}
        ref = tmp_path / "ref"
        seconds = timed(ref, ["data", "fetch", "--symbols", ",".join(groups[0])], env=env)
        data = tmp_path / "data"
        killed = 0
        for group in groups:
            argv = ["data", "fetch", "--symbols", ",".join(group)]
            for attempt in range(3):
                stored, cached = _kept(data / "store.sqlite") if (
                    data / "store.sqlite").exists() else (set(), set())
                fake.reset()
                if attempt < 2:
                    delay = float(rng.uniform(0.4, 0.95)) * seconds
                    was_killed, elapsed = run_and_kill(data, argv, delay, env=env)
                    killed += was_killed
                    if not was_killed:
                        seconds = elapsed
                else:
                    done = eqf(data, *argv, env=env)
                    assert done.returncode == 0, done.stderr
                assert_invariants(data)
                # no call repeated that was already answered and kept before this run
                asked = {(r["function"], r["symbol"]) for r in fake.requests()}
                assert not {s for _, s in asked} & stored
                assert not asked & cached
                store = Store(data / "store.sqlite")
                for symbol in store.coverage().index:  # whole symbols only, no day twice
                    got = store.read_bars(symbol)
                    want = market.series(symbol)
                    assert got.index.is_unique and got.index.equals(want.index), symbol
                    np.testing.assert_allclose(got["adj_close"], want["adj_close"], rtol=1e-6)
            assert set(group) <= set(Store(data / "store.sqlite").coverage().index)
        assert killed >= 6
        fake.reset()
        done = eqf(ref, "data", "fetch", "--symbols", ",".join(symbols), env=env)
        assert done.returncode == 0, done.stderr
    ref_store, store = Store(ref / "store.sqlite"), Store(data / "store.sqlite")
    for symbol in symbols:  # identical to the uninterrupted run
        assert ref_store.read_bars(symbol).equals(store.read_bars(symbol)), symbol
