"""``eqf optimize`` end to end: the seed's command lines, the results schema, reproducibility."""

from __future__ import annotations

import json

import jsonschema
import pandas as pd
import pytest

from equity_factors.cli.main import main
from equity_factors.data.results import load_results, results_schema


@pytest.fixture()
def home(sample_home, monkeypatch):
    monkeypatch.setenv("EQF_HOME", str(sample_home))
    return sample_home


FAST = ["--start", "2017-01-01", "--trials", "20", "--max-folds", "4"]


def test_seed_walk_forward_command(home, tmp_path, capsys):
    # the seed README's walk-forward line, on SAMPLE, with fewer trials and folds to stay quick
    code = main(["optimize", "--universe", "SAMPLE", "--factor-method", "ica", "--n-components",
                 "4", "--walk-forward", "--train-window", "90", "--test-window", "30",
                 "--technique", "bayesian", "--methods", "sharpe", "momentum", "risk_parity",
                 "--export-weights", str(tmp_path / "w.csv"), "--output",
                 str(tmp_path / "r.json"), *FAST])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "verdict:" in out.out
    weights = pd.read_csv(tmp_path / "w.csv")
    assert list(weights.columns) == ["factor", "name", "weight", "average_weight"]
    assert weights["weight"].abs().sum() == pytest.approx(1.0)
    assert weights["average_weight"].abs().sum() == pytest.approx(1.0)
    results = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(results, results_schema())
    assert load_results(tmp_path / "r.json")["universe"]["label"] == "SAMPLE"
    assert results["factor_model"]["method"] == "ica"
    # the 4 latest complete folds of the grid, then the trailing partial one
    assert len(results["folds"]) == 5
    assert [f["partial"] for f in results["folds"]] == [False] * 4 + [True]
    assert results["overfitting"]["n_trials"] >= 4 * 20
    assert set(results["weights"]) == set(weights["factor"])
    # the weights in force now are the latest fold's, and the CSV says the same
    assert results["weights"] == results["folds"][-1]["weights"]
    assert dict(zip(weights["factor"], weights["weight"])) == pytest.approx(results["weights"])
    assert results["factor_model"]["min_coverage"] == 0.9
    assert results["factor_model"]["universe"] == "SAMPLE"
    for fold in results["folds"]:
        assert sum(abs(v) for v in fold["weights"].values()) == pytest.approx(1.0)


@pytest.mark.parametrize("technique", ["bayesian", "differential", "gradient"])
def test_single_fit_each_technique_is_reproducible(home, tmp_path, capsys, technique):
    args = ["optimize", "--universe", "SAMPLE", "--factor-method", "pca", "--n-components", "4",
            "--lookback", "126", "--technique", technique, "--methods", "sharpe", "min_variance",
            "--trials", "25", "--start", "2018-01-01", "--seed", "7"]
    assert main(args + ["--output", str(tmp_path / "a.json")]) == 0
    assert main(args + ["--output", str(tmp_path / "b.json")]) == 0
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    assert a["weights"] == b["weights"]
    assert a["optimization"]["walk_forward"] is False and len(a["folds"]) == 1
    capsys.readouterr()


def test_sqlite_storage_url_keeps_every_trial(home, tmp_path, capsys):
    import optuna

    url = f"sqlite:///{tmp_path / 'study.db'}"
    assert main(["optimize", "--universe", "SAMPLE", "-k", "3", "--lookback", "100",
                 "--trials", "12", "--storage", url, "--start", "2019-01-01",
                 "--output", str(tmp_path / "r.json")]) == 0
    study_name = json.loads((tmp_path / "r.json").read_text())["optimization"]["study_name"]
    study = optuna.load_study(study_name=study_name, storage=url)
    assert len(study.trials) == 12
    capsys.readouterr()


@pytest.mark.parametrize("argv, fragment", [
    (["--technique", "magic"], "technique"),
    (["--methods", "sharpe", "astrology"], "astrology"),
    (["--trials", "0"], "--trials must be at least 1"),
    (["--walk-forward", "--train-window", "5000"], "too few"),
    # silent flags (point-in-time issue, item 8): each is refused instead of ignored
    (["--walk-forward", "--lookback", "126"], "--lookback sets the window of a single fit"),
    (["--lookback", "100000"], "--lookback 100000 is more than the"),
    (["--min-coverage", "0"], "--min-coverage must be"),
])
def test_bad_input(home, tmp_path, capsys, argv, fragment):
    code = main(["optimize", "--universe", "SAMPLE", "-k", "3", "--start", "2019-01-01",
                 "--output", str(tmp_path / "r.json"), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_results_file_checks(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"schema": "something-else"}))
    with pytest.raises(Exception, match="not an eqf optimize results file"):
        load_results(bad)
    bad.write_text("{not json")
    with pytest.raises(Exception, match="not a readable JSON"):
        load_results(bad)


def test_storage_passwords_never_reach_run_records():
    from equity_factors.workflows.optimize import redact_url

    assert redact_url("postgresql://bob:s3cr3t@db:5432/optuna") == "postgresql://bob:***@db:5432/optuna"
    assert redact_url("mysql+pymysql://u:p%40ss@h/db") == "mysql+pymysql://u:***@h/db"
    assert redact_url("sqlite:////tmp/study.db") == "sqlite:////tmp/study.db"
