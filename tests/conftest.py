"""Shared fixtures: a throwaway data directory per test, never the user's ~/.equity_factors."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (CI stays reproducible); set
# HYPOTHESIS_PROFILE=explore locally to search with fresh random examples.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own EQF_HOME unless it sets one itself."""
    home = tmp_path_factory.mktemp("eqf_home")
    monkeypatch.setenv("EQF_HOME", str(home))
    for var in ("ALPHAVANTAGE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory):
    """A data directory with the SAMPLE universe stored once for the whole session."""
    from equity_factors.data.ingest import ingest_sample
    from equity_factors.data.paths import resolve_data_dir
    from equity_factors.data.store import Store

    home = tmp_path_factory.mktemp("sample_home")
    dd = resolve_data_dir(home)
    ingest_sample(Store(dd.store_path))
    return home


@pytest.fixture()
def private_sample_home(sample_home, tmp_path, monkeypatch):
    """A private copy of the SAMPLE data directory (without its caches and runs), set as
    ``EQF_HOME``: for tests that change the store or the cache."""
    import shutil

    target = tmp_path / "home"
    shutil.copytree(sample_home, target, ignore=shutil.ignore_patterns("cache", "runs"))
    monkeypatch.setenv("EQF_HOME", str(target))
    return target


@pytest.fixture(scope="session")
def syn_home(tmp_path_factory):
    """A data directory with the synthetic SYN50 universe (seed 42, 20 years) stored once."""
    from equity_factors.data.ingest import ingest_synthetic
    from equity_factors.data.paths import resolve_data_dir
    from equity_factors.data.store import Store

    home = tmp_path_factory.mktemp("syn_home")
    dd = resolve_data_dir(home)
    ingest_synthetic(Store(dd.store_path), dd, 50, 42)
    return home


def pytest_configure(config):
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory):
    """A data directory holding the runs of every ``eqf demo`` stage, plus a fabricated
    ``backtest`` run (``equity_factors.testing.backtest_run``, dated before the demo's runs so
    it is never the latest). Made once per test session, shared by the xdist workers (under a
    file lock in their common temp folder); tests must not write into it (copy it first)."""
    import fcntl
    import shutil

    from equity_factors.testing.backtest_run import write_backtest_run
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.demo import run_demo

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, common to the workers
    home = root / "demo_home"
    with open(root / "demo_home.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "READY").exists():
            shutil.rmtree(home, ignore_errors=True)  # left half-made by a killed session
            ctx = Context.create(str(home))
            run_demo(ctx, home / "demo-out")
            write_backtest_run(ctx.data_dir.runs, run_id=FABRICATED_BACKTEST, years=3,
                               walks=4, factors=5, names=20)
            (home / "READY").write_text("made by tests/conftest.py::demo_home\n")
    return home


FABRICATED_BACKTEST = "20000101T000000.000Z-backtest-fab001"
