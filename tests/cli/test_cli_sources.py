"""One source per symbol (issue 11, item 7), end to end: a write from another source is
refused with one line unless ``--replace``, never spliced; ``data status`` shows sources."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from equity_factors.data.store import Store
from equity_factors.testing.fake_alphavantage import FakeAlphaVantage, FakeMarketData


def run(*argv, env=None):
    proc = subprocess.run([sys.executable, "-m", "equity_factors", *argv], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "220", **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("eqf: error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    code, _, err = run("--data-dir", str(folder), "data", "fetch", "--universe", "SAMPLE")
    assert code == 0, err
    return folder


def test_import_of_a_stored_symbol_is_refused_then_replaced_whole(data, tmp_path):
    store = Store(data / "store.sqlite")
    before = store.read_bars("AAPL")
    days = pd.bdate_range("2021-01-04", periods=80)
    path = tmp_path / "mine.csv"
    pd.DataFrame({"date": days, "symbol": "AAPL", "close": np.linspace(10, 20, 80)}).to_csv(
        path, index=False)
    code, _, err = run("--data-dir", str(data), "data", "import", str(path), "--universe", "MINE")
    line = error_line(err)
    assert code == 2 and "AAPL (sample)" in line and "--replace" in line
    pd.testing.assert_frame_equal(store.read_bars("AAPL"), before)  # untouched
    assert store.universe("MINE") is None
    code, out, err = run("--data-dir", str(data), "data", "import", str(path), "--universe",
                         "MINE", "--replace")
    assert code == 0, err
    after = store.read_bars("AAPL")
    assert after.index.equals(pd.DatetimeIndex(days, name="date"))  # the file's days only
    np.testing.assert_allclose(after["adj_close"], np.linspace(10, 20, 80))
    code, out, _ = run("--data-dir", str(data), "data", "status", "--symbols", "AAPL,BAC")
    assert code == 0
    def row(name):
        return next(ln for ln in out.splitlines() if ln.strip("│ ").startswith(name + " "))

    assert "files" in row("AAPL") and "sample" in row("BAC")
    assert "sample 19, files 1" in row("SAMPLE")  # the universe's sources


@pytest.mark.parametrize("name", ["SAMPLE", "sample", "SYN50"])
def test_import_under_a_bundled_name_is_refused(data, tmp_path, name):
    path = tmp_path / "x.csv"
    pd.DataFrame({"date": pd.bdate_range("2021-01-04", periods=5), "symbol": "ZZZ",
                  "close": 1.0 + np.arange(5)}).to_csv(path, index=False)
    members = Store(data / "store.sqlite").universe("SAMPLE")[0]
    code, _, err = run("--data-dir", str(data), "data", "import", str(path), "--universe", name)
    assert code == 2 and "bundled universe" in error_line(err)
    assert Store(data / "store.sqlite").universe("SAMPLE")[0] == members
    assert "ZZZ" not in Store(data / "store.sqlite").coverage().index


def test_alpha_vantage_bars_are_not_spliced_into_sample(data, tmp_path):
    market = FakeMarketData(n_stocks=20, n_days=120, seed=3)
    store = Store(data / "store.sqlite")
    before = store.read_bars("BAC")
    with FakeAlphaVantage(data=market) as fake:
        env = {"ALPHAVANTAGE_API_KEY": "anything", "ALPHAVANTAGE_BASE_URL": fake.url,
               "ALPHAVANTAGE_CALLS_PER_MINUTE": "6000"}
        code, out, err = run("--data-dir", str(data), "data", "fetch", "--symbols", "BAC",
                             env=env)
        line = error_line(err)
        assert code == 2 and "BAC" in line and "--replace" in line
        assert "stored from sample" in out
        assert fake.requests() == []  # refused before any call
        pd.testing.assert_frame_equal(store.read_bars("BAC"), before)
        code, out, err = run("--data-dir", str(data), "data", "fetch", "--symbols", "BAC",
                             "--replace", env=env)
        assert code == 0, err
    after = store.read_bars("BAC")
    assert after.index.equals(fake.data.series("BAC").index)  # Alpha Vantage's days only
    assert store.bar_sources(["BAC"]) == {"BAC": "alphavantage"}
    # and the bundled universe is not re-stored over it silently either
    code, _, err = run("--data-dir", str(data), "data", "fetch", "--universe", "SAMPLE")
    assert code == 2 and "BAC (alphavantage)" in error_line(err)
