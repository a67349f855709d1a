"""``eqf sweep``: a 4-point grid gives the same table serially, on local processes, Ray and
Dask (each point is a full backtest with its own run record), and the file contents."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from equity_factors.cli.main import main
from equity_factors.portfolio import BasketSpec
from equity_factors.workflows.backtest import BacktestRequest
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest
from equity_factors.workflows.sweep import SWEEP_COLUMNS, SweepRequest, sweep

pytestmark = pytest.mark.xdist_group("distributed")

TEMPLATE = BacktestRequest(FactorRequest(universe="SAMPLE", start="2016-01-01", refit=42),
                           train_size=126, test_size=63, walks=2,
                           spec=BasketSpec(long_pct=0.25, short_pct=0.25))


def _grid(executor="local", workers=1):
    return SweepRequest(TEMPLATE, methods=("pca",), ks=(2, 3), lookbacks=(126, 189),
                        executor=executor, workers=workers)


@pytest.fixture(scope="module")
def serial(sample_home):
    return sweep(Context.create(str(sample_home)), _grid(), argv=["test"])


def _same(a, b):
    cols = [c for c in SWEEP_COLUMNS if c != "run_id"]
    pd.testing.assert_frame_equal(a.table[cols], b.table[cols], check_exact=True)
    assert a.summary["pbo"] == b.summary["pbo"] and a.summary["best"] == b.summary["best"]


def test_serial_table(serial, sample_home):
    t = serial.table
    assert list(t.columns) == list(SWEEP_COLUMNS) and len(t) == 4
    assert list(zip(t["k"], t["lookback"])) == [(2, 126), (2, 189), (3, 126), (3, 189)]
    assert t["dsr"].between(0, 1).all() and t["cost_drag"].gt(0).all()
    assert serial.summary["pbo"] is None or 0 <= serial.summary["pbo"] <= 1
    for run_id in t["run_id"]:  # every point is a recorded backtest
        assert (sample_home / "runs" / run_id / "backtest_summary.json").is_file()


def test_local_processes_equal_serial(serial, sample_home):
    _same(serial, sweep(Context.create(str(sample_home)), _grid("local", 2), argv=["test"]))


def test_ray_equals_serial(serial, sample_home, ray_cluster):
    _same(serial, sweep(Context.create(str(sample_home)), _grid("ray", 2), argv=["test"]))


def test_dask_equals_serial(serial, sample_home, dask_client):
    _same(serial, sweep(Context.create(str(sample_home)), _grid("dask", 2), argv=["test"]))


def test_cli_files_and_bad_grid(sample_home, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("EQF_HOME", str(sample_home))
    code = main(["sweep", "--universe", "SAMPLE", "--start", "2016-01-01", "--methods", "pca",
                 "--k", "2", "3", "--lookback", "126", "--train-size", "126", "--test-size",
                 "63", "--walks", "2", "--refit", "42", "--output-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "sweep_results.csv")
    assert list(table.columns) == list(SWEEP_COLUMNS) and len(table) == 2
    summary = json.loads((tmp_path / "sweep_summary.json").read_text())
    assert summary["points"] == 2 and summary["verdict"].startswith("best point")
    capsys.readouterr()
    for argv, fragment in ((["--methods", "nosuch"], "nosuch"),
                           (["--lookback", "5"], "--lookback values must be at least 20"),
                           (["--walks", "0"], "--walks must be at least 1")):
        out = tmp_path / "bad"
        code = main(["sweep", "--universe", "SAMPLE", *argv, "--output-dir", str(out)])
        err = capsys.readouterr().err.strip()
        assert code == 2 and fragment in err and len(err.splitlines()) == 1, err
        assert not out.exists()
