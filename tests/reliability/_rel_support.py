"""Helpers of the reliability tests: real ``eqf`` processes, kills, and the invariants that must
hold after any of them (imported by name: pytest's rootdir import mode puts this folder on
sys.path)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from equity_factors.data.store import Store

VOLATILE_KEYS = {"created_at", "run_id", "study_name"}


def eqf(data_dir: Path, *argv: str, env: dict | None = None, cwd: Path | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``eqf --data-dir DATA ARGV`` as a user would (a real process)."""
    return subprocess.run([sys.executable, "-m", "equity_factors", "--data-dir", str(data_dir),
                           *argv], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def run_and_kill(data_dir: Path, argv: list[str], delay: float, env: dict | None = None,
                 cwd: Path | None = None) -> tuple[bool, float]:
    """Start the command, SIGKILL it after ``delay`` seconds. Returns (killed, seconds): False
    when it had finished, successfully, before."""
    began = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "equity_factors", "--data-dir", str(data_dir),
                             *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, cwd=cwd, env={**os.environ, **(env or {})})
    try:
        _, err = proc.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        return True, delay
    assert proc.returncode == 0, err
    return False, time.monotonic() - began


def timed(data_dir: Path, argv: list[str], **kw) -> float:
    """Seconds of a warm run: the command runs twice and the second is timed, since a run
    after the first reuses the per-window results cache; kill times drawn within it then
    interrupt cold and warm runs alike."""
    for _ in range(2):
        began = time.monotonic()
        done = eqf(data_dir, *argv, **kw)
        assert done.returncode == 0, done.stderr
    return time.monotonic() - began


def copy_data_dir(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def assert_no_partial_outputs(*folders: Path, runs: Path | None = None) -> None:
    """No temporary or half-written file anywhere under the output folders, nor inside a
    visible run folder of ``runs`` (a killed run's hidden staging folder ``runs/.<id>.tmp`` is
    allowed: it is never listed, see :func:`assert_runs_have_records`, and removed when stale)."""
    for folder in folders:
        if folder.exists():
            leftovers = [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
            assert leftovers == [], leftovers
    if runs is not None and runs.exists():
        for run in runs.iterdir():
            if run.name.startswith(".") and run.name.endswith(".tmp"):
                continue
            leftovers = [p for p in run.rglob("*") if p.name.endswith(".tmp")]
            assert leftovers == [], leftovers


def assert_runs_have_records(data_dir: Path) -> None:
    """Every (visible) run folder holds a readable run.json; unfinished runs stay hidden."""
    runs = data_dir / "runs"
    if not runs.exists():
        return
    for folder in runs.iterdir():
        if folder.name.startswith("."):
            assert folder.name.endswith(".tmp"), folder  # a staging folder, never listed
            continue
        record = json.loads((folder / "run.json").read_text())
        assert record["run_id"] == folder.name


def assert_cache_entries_whole(data_dir: Path) -> None:
    root = data_dir / "cache"
    if not root.exists():
        return
    for namespace in root.iterdir():
        if namespace.is_file():  # the per-window cache: one SQLite file, whole after a kill
            if namespace.suffix == ".sqlite":
                import sqlite3

                conn = sqlite3.connect(f"file:{namespace}?mode=ro", uri=True)
                try:
                    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok", namespace
                finally:
                    conn.close()
            continue
        for entry in namespace.iterdir():
            if not entry.name.startswith("."):
                assert (entry / "meta.json").is_file(), entry


def assert_store_ok(data_dir: Path) -> None:
    path = data_dir / "store.sqlite"
    if path.exists():
        assert Store(path).health()["integrity"] == "ok"


def assert_invariants(data_dir: Path, *outputs: Path) -> None:
    assert_no_partial_outputs(*outputs, runs=data_dir / "runs")
    assert_runs_have_records(data_dir)
    assert_cache_entries_whole(data_dir)
    assert_store_ok(data_dir)


def normalized(obj):
    """A results JSON without the fields that name the run (ids, times)."""
    if isinstance(obj, dict):
        return {k: normalized(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [normalized(v) for v in obj]
    return obj
