"""``optimization_trials.csv``: every trial of every fold, written by ``eqf optimize`` beside its
results; the same bytes from a cold run, a warm one (the window cache) and a replay (the trial
cache); shown by the report's trial history."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from equity_factors.cli.main import main
from equity_factors.workflows.context import Context
from equity_factors.workflows.optimize import TRIALS_NAME
from equity_factors.workflows.report import document

ARGV = ["optimize", "--universe", "SAMPLE", "-k", "3", "--start", "2019-01-01",
        "--walk-forward", "--max-folds", "3", "--trials", "8"]


@pytest.fixture()
def home(private_sample_home):
    return private_sample_home


def _run(home, out):
    assert main([*ARGV, "--output", str(out)]) == 0
    results = json.loads(out.read_text())
    folder = home / "runs" / results["run_id"]
    return results, (folder / TRIALS_NAME).read_bytes(), json.loads(
        (folder / "run.json").read_text())


def test_trials_are_the_same_cold_warm_and_replayed(home, tmp_path, capsys):
    results, cold, _ = _run(home, tmp_path / "cold.json")
    _, warm, record = _run(home, tmp_path / "warm.json")
    assert record["cache"]["optimize"]["misses"] == 0  # every fold from the window cache
    (home / "cache" / "windows.sqlite").unlink()  # only the trial cache left: replayed studies
    for suffix in ("-wal", "-shm"):
        (home / "cache" / f"windows.sqlite{suffix}").unlink(missing_ok=True)
    _, replayed, record = _run(home, tmp_path / "replay.json")
    assert record["cache"]["optimize"]["hits"] == 0
    capsys.readouterr()
    assert cold == warm == replayed
    trials = pd.read_csv(io.BytesIO(cold))
    assert list(trials.columns) == ["fold", "trial", "objective", "best_so_far",
                                    "method:sharpe", "method:momentum", "method:risk_parity"]
    folds = results["folds"]
    assert sorted(set(trials["fold"])) == [f["fold"] for f in folds]
    for f in folds:  # the results' best objective and trial count per fold, trial by trial
        part = trials[trials["fold"] == f["fold"]]
        assert len(part) == f["n_trials"] == 8
        assert part["objective"].max() == pytest.approx(f["objective_value"], rel=1e-7)
        assert (np.diff(part["best_so_far"]) >= 0).all()

    chart = next(c for c in document(Context.create(str(home)), results["run_id"]).charts
                 if c.title == "Trial history")
    lines = [t for t in chart.figure["data"] if t["mode"] == "lines"]
    dots = [t for t in chart.figure["data"] if t["mode"] == "markers"]
    assert len(lines) == len(dots) == len(folds)
    assert lines[-1]["name"] == f"fold {folds[-1]['fold']} (partial)"
    np.testing.assert_allclose(dots[0]["y"], trials.loc[trials["fold"] == folds[0]["fold"],
                                                        "objective"], rtol=1e-6)


def test_an_older_run_without_trials_still_reports(home, tmp_path, capsys):
    results, _, _ = _run(home, tmp_path / "r.json")
    capsys.readouterr()
    (home / "runs" / results["run_id"] / TRIALS_NAME).unlink()
    doc = document(Context.create(str(home)), results["run_id"])
    assert "Trial history" not in {c.title for c in doc.charts}
    assert "Search per fold" in {c.title for c in doc.charts}
    assert any("No per-trial history" in getattr(b, "text", "") for s in doc.sections
               for b in s.blocks)
