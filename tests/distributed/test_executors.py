"""``run_tasks`` on local processes, a local Ray and a local Dask cluster (2 workers each, real
engines started by the fixtures): results in task order, and a walk-forward identical, bit for
bit, to the serial run under the same seed, from the pure function to ``eqf optimize``."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest
from _dist_support import KW, assert_same_walk

from equity_factors.cli.main import main
from equity_factors.distributed import run_tasks, task_map
from equity_factors.errors import UserError
from equity_factors.optimize import walk_forward

# one xdist worker runs every distributed test: one PostgreSQL, Ray and Dask per run
pytestmark = pytest.mark.xdist_group("distributed")

SRC = Path(__file__).resolve().parents[2] / "src" / "equity_factors"


@pytest.mark.parametrize("executor", ["local", "ray", "dask"])
def test_results_come_back_in_task_order(executor, request):
    if executor != "local":
        request.getfixturevalue({"ray": "ray_cluster", "dask": "dask_client"}[executor])
    tasks = list(range(-12, 12))
    assert run_tasks(abs, tasks, executor=executor, workers=2) == [abs(t) for t in tasks]
    assert run_tasks(abs, [], executor=executor) == []


@pytest.mark.parametrize("executor", ["local", "ray", "dask"])
def test_order_holds_when_later_tasks_finish_first(executor, request):
    if executor != "local":
        request.getfixturevalue({"ray": "ray_cluster", "dask": "dask_client"}[executor])
    import time

    delays = [0.4, 0.0, 0.3, 0.0, 0.1, 0.0]  # a lambda: pickled by value to every engine
    assert run_tasks(lambda d: (time.sleep(d), d)[1], delays, executor=executor,
                     workers=2) == delays
    with pytest.raises(ZeroDivisionError):
        run_tasks(lambda d: 1 / d, [1.0, 0.0, 2.0], executor=executor, workers=2)


def test_local_walk_forward_equals_serial(factor_returns, serial):
    assert_same_walk(serial, walk_forward(factor_returns, 90, 30,
                                          map_fn=task_map("local", workers=2), **KW))
    assert_same_walk(serial, walk_forward(factor_returns, 90, 30,
                                          map_fn=task_map("local", workers=1), **KW))


def test_ray_walk_forward_equals_serial(ray_cluster, factor_returns, serial):
    assert_same_walk(serial, walk_forward(factor_returns, 90, 30, map_fn=task_map("ray"), **KW))


def test_dask_walk_forward_equals_serial(dask_client, factor_returns, serial):
    assert_same_walk(serial, walk_forward(factor_returns, 90, 30, map_fn=task_map("dask"),
                                          **KW))


def test_progress_is_reported_per_fold_with_a_map(factor_returns):
    seen = []
    walk_forward(factor_returns, 90, 30, map_fn=task_map("local", workers=1),
                 callback=lambda i, n: seen.append((i, n)), **KW)
    assert seen == [(25 * (j + 1), 25 * 5) for j in range(5)]


def test_cli_walk_forward_is_the_same_on_every_executor(sample_home, tmp_path, monkeypatch,
                                                        capsys, ray_cluster, dask_client):
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    monkeypatch.setenv("EQF_HOME", str(home))
    argv = ["optimize", "--universe", "SAMPLE", "-k", "3", "--start", "2019-01-01",
            "--walk-forward", "--max-folds", "3", "--trials", "12"]
    results, trials = {}, {}
    for name, extra in (("serial", []), ("local", ["--workers", "2"]),
                        ("ray", ["--executor", "ray"]), ("dask", ["--executor", "dask"])):
        shutil.rmtree(home / "cache" / "trials", ignore_errors=True)  # no replay: recompute
        out = tmp_path / f"{name}.json"
        assert main([*argv, *extra, "--output", str(out)]) == 0, capsys.readouterr().err
        data = json.loads(out.read_text())
        trials[name] = (home / "runs" / data["run_id"] / "optimization_trials.csv").read_bytes()
        for key in ("created_at", "run_id", "request"):
            data.pop(key)
        results[name] = data
    capsys.readouterr()
    assert len(results["serial"]["folds"]) == 4
    for name in ("local", "ray", "dask"):
        assert results[name] == results["serial"], name
        assert trials[name] == trials["serial"], name  # every trial, not just the best


@pytest.mark.parametrize("argv, fragment", [
    (["--address", "tcp://127.0.0.1:1"], "--address joins a Ray or Dask cluster"),
    (["--workers", "2"], "a single fit is one study"),
    (["--executor", "dask"], "a single fit is one study"),
    (["--study", "x"], "--study names a study in a shared --storage"),
    (["--workers", "0", "--walk-forward"], "--workers must be at least 1"),
    (["--storage", "redis://h/0"], "is not a storage URL"),
    (["--storage", "sqlite:///x.db", "--technique", "gradient"], "needs --technique bayesian"),
])
def test_bad_flags_are_one_line(sample_home, monkeypatch, capsys, tmp_path, argv, fragment):
    monkeypatch.setenv("EQF_HOME", str(sample_home))
    code = main(["optimize", "--universe", "SAMPLE", "-k", "3", "--start", "2019-01-01",
                 "--output", str(tmp_path / "r.json"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r.json").exists()


def test_unknown_executor():
    with pytest.raises(UserError, match="unknown executor 'spark'; choose from: local, ray"):
        run_tasks(abs, [1], executor="spark")


def test_pure_code_never_imports_the_executors():
    for path in (SRC / "optimize").rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree)
                  if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(m.startswith(("equity_factors.distributed", "ray", "dask",
                                     "distributed")) for m in names), path
