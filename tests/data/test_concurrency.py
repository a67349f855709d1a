"""Several processes on one store: no "database is locked", nothing lost, crash-safe."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from equity_factors.data.store import Store

WORKER = str(Path(__file__).with_name("_store_worker.py"))


@pytest.mark.slow
def test_two_writers_two_readers_for_20_seconds(tmp_path):
    path = str(tmp_path / "store.sqlite")
    Store(path).ensure_ready()
    seconds = "20"
    procs = [subprocess.Popen([sys.executable, WORKER, "writer", path, str(i), seconds],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in (1, 2)]
    procs += [subprocess.Popen([sys.executable, WORKER, "reader", path, seconds],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in (1, 2)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    errors = [e for r in results for e in r["errors"]]
    assert errors == []
    assert not any("locked" in e for e in errors)
    written = [s for r in results[:2] for s in r["written"]]
    assert len(written) > 50  # both writers made progress
    assert all(r["reads"] > 5 for r in results[2:])
    store = Store(path)
    coverage = store.coverage()
    assert set(written) <= set(coverage.index)
    assert (coverage.loc[written, "rows"] == 50).all()
    assert store.health()["integrity"] == "ok"


def test_sigkill_mid_transaction_leaves_store_consistent(tmp_path):
    path = str(tmp_path / "store.sqlite")
    proc = subprocess.Popen([sys.executable, WORKER, "crash", path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip() == "inside", proc.stderr.read()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store = Store(path)
    health = store.health()
    assert health["integrity"] == "ok"
    assert health["write_lock_held"] is False
    coverage = store.coverage()
    assert list(coverage.index) == ["COMMITTED"]
    assert store.symbol_info().index.tolist() == ["COMMITTED"]  # partial symbols rolled back too
    store.write_bars({"AFTER": store.read_bars("COMMITTED")}, source="test")  # still writable
