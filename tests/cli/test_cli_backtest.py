"""``eqf backtest`` end to end: the seed's line on SAMPLE, the files' contents, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from equity_factors.cli.main import main
from equity_factors.workflows.backtest import OUTPUT_FILES

SEED_LINE = ["backtest", "--universe", "SAMPLE", "--train-size", "252", "--test-size", "63",
             "--walks", "10", "--optimize"]
FAST = ["--start", "2015-01-01", "-k", "4", "--trials", "10"]


@pytest.fixture()
def home(sample_home, monkeypatch):
    monkeypatch.setenv("EQF_HOME", str(sample_home))
    return sample_home


@pytest.fixture(scope="module")
def seed_run(sample_home, tmp_path_factory):
    """The seed's command line (fewer trials and a later start to keep the test quick)."""
    import os

    out = tmp_path_factory.mktemp("bt")
    old = os.environ.get("EQF_HOME")
    os.environ["EQF_HOME"] = str(sample_home)
    try:
        code = main([*SEED_LINE, *FAST, "--walks", "6", "--output-dir", str(out)])
    finally:
        if old is None:
            os.environ.pop("EQF_HOME")
        else:
            os.environ["EQF_HOME"] = old
    assert code == 0
    return out


def test_files_and_their_contents(seed_run):
    for name in OUTPUT_FILES:
        assert (seed_run / name).is_file(), name
    returns = pd.read_csv(seed_run / "backtest_returns.csv", parse_dates=["date"])
    assert list(returns.columns)[:9] == ["date", "gross", "commission", "slippage", "borrow",
                                        "net", "equity", "turnover", "benchmark"]
    np.testing.assert_allclose(returns["net"], returns["gross"] - returns["commission"]
                               - returns["slippage"] - returns["borrow"], atol=1e-12)
    np.testing.assert_allclose(returns["equity"], 100_000 * np.cumprod(1 + returns["net"]),
                               rtol=1e-9)
    positions = pd.read_csv(seed_run / "backtest_positions.csv")
    assert {"date", "ticker", "weight", "shares", "side", "walk"} <= set(positions.columns)
    assert set(positions["side"]) <= {"LONG", "SHORT"}
    assert positions["walk"].notna().all()
    trades = pd.read_csv(seed_run / "backtest_trades.csv")
    assert {"date", "ticker", "shares", "notional", "cost"} <= set(trades.columns)
    att = pd.read_csv(seed_run / "backtest_attribution.csv", parse_dates=["date"])
    assert list(att.columns[-3:]) == ["specific", "costs", "total"]
    parts = att.drop(columns=["date", "total"]).sum(axis=1)
    np.testing.assert_allclose(parts, returns["net"], atol=1e-10)
    sectors = pd.read_csv(seed_run / "backtest_sector_attribution.csv")
    assert {"sector", "allocation", "selection", "interaction", "total"} <= set(sectors.columns)
    walks = pd.read_csv(seed_run / "backtest_walks.csv")
    assert len(walks[~walks["partial"]]) == 6
    assert {"train_sharpe", "test_sharpe", "turnover", "cost_drag", "hit_rate"} <= set(walks)
    json.loads(walks["weights"].iloc[0])
    summary = json.loads((seed_run / "backtest_summary.json").read_text())
    for key in ("net", "gross", "break_even_bps", "cost_sweep", "oos_sharpe",
                "deflated_sharpe", "pbo", "verdict", "survivorship"):
        assert key in summary, key
    assert summary["deflated_sharpe"] is not None and summary["pbo"] is not None
    assert [r["bps"] for r in summary["cost_sweep"]] == [0, 5, 10, 20, 30, 40, 50]
    assert summary["survivorship"]["biased"] is True  # SAMPLE is today's list of members


def test_report_of_the_run(home, tmp_path, capsys):
    code = main([*SEED_LINE, *FAST, "--walks", "2", "--report", "--output-dir", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0
    html = (tmp_path / "backtest_report.html").read_text()
    assert "backtest_report.html" in printed
    assert "eqf backtest" in html or "backtest" in html.lower()
    assert "http://" not in html.split("<script", 1)[0] and 'src="http' not in html


def test_costs_none_is_the_gross_result(home, tmp_path):
    code = main([*SEED_LINE, *FAST, "--walks", "2", "--costs", "none",
                 "--output-dir", str(tmp_path)])
    assert code == 0
    returns = pd.read_csv(tmp_path / "backtest_returns.csv")
    assert (returns["net"] == returns["gross"]).all()


@pytest.mark.parametrize("argv,expected", [
    (["--walks", "500"], "--walks 500 does not fit"),
    (["--test-size", "0"], "--test-size must be at least 1"),
    (["--train-size", "15"], "too short for --optimize"),
    (["--strategy", "momentum"], "invalid choice"),
    (["--commission-bps", "-2"], "--commission-bps -2.0 must be a finite number >= 0"),
    (["--borrow-rate", "-0.01"], "--borrow-rate -0.01 must be a finite number >= 0"),
    (["--benchmark", "NOTSTORED"], "benchmark 'NOTSTORED' is not stored"),
    (["--rebalance", "fortnightly"], "--rebalance must be daily, weekly, monthly"),
])
def test_bad_input_one_line_exit_2_nothing_written(home, tmp_path, capsys, argv, expected):
    runs_before = set((home / "runs").iterdir()) if (home / "runs").exists() else set()
    out = tmp_path / "out"
    try:
        code = main([*SEED_LINE, *FAST, *argv, "--output-dir", str(out)])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert expected in err and len(err.splitlines()) == 1, err
    assert not out.exists()
    runs_after = set((home / "runs").iterdir()) if (home / "runs").exists() else set()
    assert runs_after == runs_before
