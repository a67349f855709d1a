"""Trials from several ``eqf optimize`` processes on one Optuna study in a real PostgreSQL.

The server is a throwaway PostgreSQL 15 started by ``conftest.postgres``. Checked: the trials
of two processes add up, no trial number repeats, the best value is the best of the trials,
the process finishing last reports every trial, a killed worker loses at most the trial it was
running and the study goes on, a rerun adds to the study, and the password never shows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _dist_support import PG_PASSWORD, wait_for

from equity_factors.cli.main import main

# one xdist worker runs every distributed test: one PostgreSQL, Ray and Dask per run
pytestmark = pytest.mark.xdist_group("distributed")

SINGLE = ["--universe", "SAMPLE", "-k", "3", "--lookback", "100", "--start", "2019-01-01"]


@pytest.fixture()
def home(sample_home, tmp_path):
    """A private copy of the SAMPLE data directory (processes write runs into it)."""
    import shutil

    dst = tmp_path / "home"
    shutil.copytree(sample_home, dst)
    return dst


def eqf(home: Path, *argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "equity_factors", "--data-dir", str(home),
                             *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})


def finish(proc: subprocess.Popen, timeout: float = 300) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    assert PG_PASSWORD not in out + err
    return out


def load(url: str, name: str):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=name, storage=url)


def states(study) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        out[t.state.name] = out.get(t.state.name, 0) + 1
    return out


def test_two_processes_add_up_on_one_study(postgres, home, tmp_path):
    procs = [eqf(home, "optimize", *SINGLE, "--storage", postgres, "--study", "two",
                 "--trials", str(n), "--output", str(tmp_path / f"r{i}.json"))
             for i, n in enumerate((15, 20))]
    outs = [finish(p) for p in procs]
    study = load(postgres, "two")
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 35 and states(study) == {"COMPLETE": 35}  # the sum, none lost
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(35))  # none duplicated
    assert study.best_value == max(t.value for t in trials)
    results = [json.loads((tmp_path / f"r{i}.json").read_text()) for i in range(2)]
    counts = sorted(r["overfitting"]["n_trials"] for r in results)
    assert counts[1] == 35 and counts[0] >= 15  # the last to finish saw every trial
    last = max(results, key=lambda r: r["overfitting"]["n_trials"])
    # its selected trial is the study's best (the value re-evaluated from the trial's
    # parameters in one batch: equal to the told value up to rounding)
    assert last["folds"][0]["objective_value"] == pytest.approx(study.best_value, rel=1e-12)
    assert last["optimization"]["study_name"] == "two"
    for r, out in zip(results, outs):
        text = json.dumps(r)
        assert PG_PASSWORD not in text and "eqf:***@127.0.0.1" in text
        assert "study two on postgresql+psycopg2://eqf:***@" in out
        record = (home / "runs" / r["run_id"] / "run.json").read_text()
        assert PG_PASSWORD not in record and "eqf:***@" in record


def test_a_killed_worker_loses_at_most_its_running_trial(postgres, home, tmp_path,
                                                         monkeypatch, capsys):
    victim = eqf(home, "optimize", *SINGLE, "--storage", postgres, "--study", "kill",
                 "--trials", "2000", "--output", str(tmp_path / "victim.json"))
    try:
        def victim_has_trials():
            try:
                return states(load(postgres, "kill")).get("COMPLETE", 0) >= 5
            except KeyError:  # the study is not created yet
                return False
        wait_for(victim_has_trials, timeout=180)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert not (tmp_path / "victim.json").exists()
    before = states(load(postgres, "kill"))
    assert set(before) <= {"COMPLETE", "RUNNING"} and before.get("RUNNING", 0) <= 1
    # another worker (here: this process, the same command with fewer trials) goes on with the
    # study: it adds its trials to what is there and reports them all
    monkeypatch.setenv("EQF_HOME", str(home))
    assert main(["optimize", *SINGLE, "--storage", postgres, "--study", "kill", "--trials", "6",
                 "--output", str(tmp_path / "survivor.json")]) == 0
    assert PG_PASSWORD not in "".join(capsys.readouterr())
    study = load(postgres, "kill")
    after = states(study)
    assert after["COMPLETE"] == before["COMPLETE"] + 6 and after.get("RUNNING", 0) <= 1
    assert sorted(t.number for t in study.get_trials(deepcopy=False)) == \
        list(range(sum(after.values())))  # no number lost or repeated
    survived = json.loads((tmp_path / "survivor.json").read_text())
    assert survived["overfitting"]["n_trials"] == after["COMPLETE"]  # all but the lost one


def test_walk_forward_workers_one_study_per_fold(postgres, home, tmp_path, monkeypatch,
                                                 capsys):
    monkeypatch.setenv("EQF_HOME", str(home))
    assert main(["optimize", "--universe", "SAMPLE", "-k", "3", "--start", "2019-01-01",
                 "--walk-forward", "--max-folds", "2", "--trials", "6", "--storage", postgres,
                 "--study", "wf", "--workers", "2", "--output", str(tmp_path / "wf.json")]) == 0
    out = capsys.readouterr().out
    results = json.loads((tmp_path / "wf.json").read_text())
    folds = [f["fold"] for f in results["folds"]]
    assert len(folds) == 3 and "study wf on" in out
    trials = pd.read_csv(home / "runs" / results["run_id"] / "optimization_trials.csv")
    for fold in results["folds"]:
        study = load(postgres, f"wf-fold-{fold['fold']}")
        assert states(study) == {"COMPLETE": 12}  # 2 workers x 6 trials
        assert fold["n_trials"] == 12
        assert fold["objective_value"] == pytest.approx(study.best_value, rel=1e-12)
        # the whole study, trial by trial in trial-number order, both workers' trials
        part = trials[trials["fold"] == fold["fold"]]
        told = [t.value for t in sorted(study.get_trials(deepcopy=False),
                                        key=lambda t: t.number)]
        np.testing.assert_allclose(part["objective"], told, rtol=1e-7)


def test_bad_storage_is_one_line_without_the_password(postgres, home, tmp_path, monkeypatch,
                                                      capsys):
    monkeypatch.setenv("EQF_HOME", str(home))
    wrong = postgres.replace(PG_PASSWORD, "wrong-Pw")
    code = main(["optimize", *SINGLE, "--storage", wrong, "--trials", "3",
                 "--output", str(tmp_path / "r.json")])
    out, err = capsys.readouterr()
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "cannot open the Optuna storage" in lines[0], err
    assert "wrong-Pw" not in out + err and "eqf:***@127.0.0.1" in lines[0]
    assert not (tmp_path / "r.json").exists()


def test_a_server_that_cannot_start_says_why(tmp_path):
    from equity_factors.testing.postgres import PostgresError, TemporaryPostgres

    with pytest.raises(PostgresError, match="PostgreSQL is not installed here: no .*initdb"):
        TemporaryPostgres(bin_dir=str(tmp_path / "nowhere")).start()
