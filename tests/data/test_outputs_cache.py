"""Output files, run folders and the results cache under concurrent writers and bad paths."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equity_factors.data.cache import FrameCache
from equity_factors.data.outputs import check_output_paths, summary_name, write_bytes
from equity_factors.data.paths import DataDir, eqf_command
from equity_factors.data.runs import Run, list_runs
from equity_factors.errors import UserError


def _frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return {"a": pd.DataFrame(rng.normal(size=(200, 30))).rename(columns=str),
            "b": pd.DataFrame({"x": np.arange(50.0)})}


def _put_same_key(root: str, barrier, queue) -> None:
    cache = FrameCache(DataDir(Path(root)), "factors")
    barrier.wait()
    try:
        for _ in range(5):
            cache.put("samekey", _frames(), {"n": 1})
            got = cache.get("samekey")
            assert got is not None and got[1] == {"n": 1}
        queue.put("ok")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        queue.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_writers_of_one_cache_entry_all_succeed(tmp_path):
    # The bug: every writer used the temp folder ".<key>.tmp", so one writer's rmtree/rename
    # pulled the folder away from another ("Cannot save file into a non-existent directory").
    n = 6
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_put_same_key, args=(str(tmp_path), barrier, queue))
             for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    results = [queue.get(timeout=5) for _ in procs]
    assert results == ["ok"] * n
    cache = FrameCache(DataDir(tmp_path), "factors")
    frames, meta = cache.get("samekey")
    pd.testing.assert_frame_equal(frames["a"], _frames()["a"])
    leftovers = [p.name for p in (tmp_path / "cache" / "factors").iterdir() if p.name != "samekey"]
    assert leftovers == []  # no temporary folder left behind


def test_a_damaged_entry_is_replaced(tmp_path):
    cache = FrameCache(DataDir(tmp_path), "factors")
    (tmp_path / "cache" / "factors" / "k").mkdir(parents=True)
    (tmp_path / "cache" / "factors" / "k" / "junk").write_text("x")
    assert cache.get("k") is None
    cache.put("k", _frames(), {})
    assert cache.get("k") is not None


@pytest.mark.parametrize("nameless", [True, False])
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_get_the_permissions_of_a_plain_write(tmp_path, umask, nameless, monkeypatch):
    if not nameless:  # the mkstemp route (no O_TMPFILE on this file system)
        monkeypatch.setattr("equity_factors.data.outputs._write_nameless", lambda *a: False)
    old = os.umask(umask)
    try:
        target = write_bytes(tmp_path / "out.csv", b"a,b\n")
        with open(tmp_path / "plain.csv", "w") as fh:
            fh.write("a,b\n")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.csv").stat().st_mode) == 0o666 & ~umask
    assert target.read_bytes() == b"a,b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "plain.csv"]  # no temp


def test_a_temp_file_left_by_a_killed_writer_is_swept(tmp_path, monkeypatch):
    monkeypatch.setattr("equity_factors.data.outputs._write_nameless", lambda *a: False)
    stale = tmp_path / ".out.csv.abc123.tmp"
    stale.write_text("half")
    os.utime(stale, (0, 0))
    write_bytes(tmp_path / "out.csv", b"x")
    assert not stale.exists()


def test_check_output_paths_refuses_unwritable_places(tmp_path):
    check_output_paths(files={"--output": tmp_path / "new" / "deeper" / "x.json"},
                       folders={"--output-dir": tmp_path / "made" / "later"})
    assert not (tmp_path / "new").exists() and not (tmp_path / "made").exists()  # nothing made
    with pytest.raises(UserError, match="cannot write --output /proc/x.json"):
        check_output_paths(files={"--output": "/proc/x.json"})
    (tmp_path / "afile").write_text("x")
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_output_paths(folders={"--output-dir": tmp_path / "afile"})
    with pytest.raises(UserError, match="is a folder"):
        check_output_paths(files={"--output": tmp_path})
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_output_paths(files={"--output": tmp_path / "afile" / "x.json"})


def test_run_folder_appears_only_with_its_record(tmp_path):
    dd = DataDir(tmp_path)
    run = Run(dd, "discover", ["discover"], {})
    run.add("factor_returns.csv", b"x\n")
    assert not run.folder.exists() and run.staging.is_dir()
    assert list_runs(dd) == []
    record = run.finish(fingerprint="f", seed=1)
    assert record == run.folder / "run.json" and not run.staging.exists()
    data = json.loads(record.read_text())
    assert data["outputs"]["factor_returns.csv"] == str(run.folder / "factor_returns.csv")
    assert (run.folder / "factor_returns.csv").read_bytes() == b"x\n"
    assert [r["run_id"] for r in list_runs(dd)] == [run.run_id]


def test_summary_is_named_after_the_basket_file():
    assert summary_name("out/trade_basket.csv") == "basket_summary.json"
    assert summary_name("out/basket_130_30.csv") == "basket_130_30_summary.json"


def test_commands_in_messages_name_the_data_directory():
    assert eqf_command("/data/my dir", "clean --all --yes") == \
        "eqf clean --all --yes --data-dir '/data/my dir'"


def test_load_truth_accepts_a_str_path(syn_home):
    from equity_factors.data.ingest import load_truth

    truth = load_truth(str(syn_home), "SYN50")
    assert truth is not None
    with pytest.raises(UserError, match=f"--data-dir {syn_home}"):
        load_truth(str(syn_home), "SYN77")


def test_entries_unused_for_a_week_are_removed_by_the_next_write(tmp_path):
    import time

    from equity_factors.data.cache import STALE_SECONDS

    cache = FrameCache(DataDir(tmp_path), "factors")
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    for key in ("old", "read", "fresh"):
        cache.put(key, {"f": frame}, {})
    past = time.time() - STALE_SECONDS - 60
    for key in ("old", "read"):
        os.utime(cache.root / key / "meta.json", (past, past))
    assert cache.get("read") is not None  # a read keeps an entry alive
    cache.put("new", {"f": frame}, {})
    assert sorted(p.name for p in cache.root.iterdir()) == ["fresh", "new", "read"]
    pd.testing.assert_frame_equal(cache.get("read")[0]["f"], frame)
