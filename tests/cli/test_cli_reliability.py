"""Reliability at the edges: unwritable outputs refused before work, messages that name the data
directory in use, housekeeping of Optuna journals and unfinished run folders."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest


def run(*argv, env=None):
    proc = subprocess.run([sys.executable, "-m", "equity_factors", *argv], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("eqf: error: ") and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("argv, fragment", [
    (["optimize", "--universe", "SAMPLE", "--output", "/proc/x.json"], "--output /proc/x.json"),
    (["optimize", "--universe", "SAMPLE", "--export-weights", "/proc/w.csv"], "--export-weights"),
    (["optimize", "--universe", "SAMPLE", "--factor-names-output", "/proc/n.csv"],
     "--factor-names-output"),
    (["discover", "--universe", "SAMPLE", "--output-dir", "/proc/out"], "--output-dir /proc/out"),
    (["signals", "cross-section", "--universe", "SAMPLE", "--output-dir", "/proc/o"],
     "--output-dir"),
    (["signals", "extremes", "--universe", "SAMPLE", "--output-dir", "/proc/o"], "--output-dir"),
    (["signals", "momentum", "--universe", "SAMPLE", "--factor", "F1", "--output-dir", "/proc/o"],
     "--output-dir"),
    (["regime", "detect", "--universe", "SAMPLE", "--output-dir", "/proc/o"], "--output-dir"),
    (["basket", "--results", "r.json", "--universe", "SAMPLE", "-o", "/proc/b.csv"], "--output"),
    (["demo", "--output-dir", "/proc/demo"], "--output-dir /proc/demo"),
])
def test_unwritable_output_is_refused_before_any_work(tmp_path, argv, fragment):
    data = tmp_path / "data"
    code, out, err = run("--data-dir", str(data), *argv)
    assert code == 2, err
    line = one_line_error(err)
    assert fragment in line and "choose a folder you can write to" in line
    assert not (data / "runs").exists()  # no run folder, not even an empty one
    assert not (data / "store.sqlite").exists()  # refused before the data was touched


def test_output_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    code, _, err = run("--data-dir", str(tmp_path / "d"), "discover", "--universe", "SAMPLE",
                       "--output-dir", str(tmp_path / "taken"))
    assert code == 2 and "is a file, not a folder" in one_line_error(err)


def test_corrupt_store_advice_names_the_data_dir_and_is_safe_to_follow(tmp_path):
    other = tmp_path / "home"  # EQF_HOME: must survive following the advice literally
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    code, _, _ = run("data", "fetch", "--universe", "SAMPLE", env={"EQF_HOME": str(other)})
    assert code == 0
    broken = tmp_path / "broken dir"
    broken.mkdir()
    (broken / "store.sqlite").write_bytes(b"garbage" * 5000)
    code, _, err = run("--data-dir", str(broken), "data", "status",
                       env={"EQF_HOME": str(other)})
    line = one_line_error(err)
    assert code == 2 and "corrupted" in line
    advice = line.split("`")[1]
    assert advice == f"eqf clean --all --yes --data-dir {shlex.quote(str(broken))}"
    code, _, err = run(*shlex.split(advice)[1:], env={"EQF_HOME": str(other)})
    assert code == 0, err
    assert not (broken / "store.sqlite").exists()
    assert (other / "store.sqlite").exists() and (other / "keep.txt").read_text() == "mine"


def test_optuna_journals_do_not_pile_up_and_clean_all_removes_them(tmp_path):
    data = tmp_path / "data"
    for _ in range(2):
        code, _, err = run("--data-dir", str(data), "optimize", "--universe", "SAMPLE", "-k", "3",
                           "--start", "2019-01-01", "--technique", "bayesian", "--trials", "5",
                           "--output", str(tmp_path / "r.json"))
        assert code == 0, err
    folder = data / "optuna"
    # the default storage is in memory (finished folds go to cache/trials): no journal at all
    assert not folder.exists() or list(folder.iterdir()) == []
    assert list((data / "cache" / "trials").glob("*/meta.json"))
    folder.mkdir(exist_ok=True)  # journals of an older version, or of --storage journal:...
    stale = folder / "20200101T000000-1-abcdef.journal"
    stale.write_bytes(b"x" * 1000)
    os.utime(stale, (0, 0))
    code, out, _ = run("--data-dir", str(data), "clean")
    assert code == 0 and not stale.exists()
    (folder / "left.journal").write_text("x")
    (data / "runs" / ".20200101T000000.000Z-discover-abc123.tmp").mkdir()
    code, out, _ = run("--data-dir", str(data), "clean", "--all", "--yes")
    assert code == 0 and not folder.exists() and not (data / "runs").exists()


def test_clean_all_without_yes_names_the_data_dir(tmp_path):
    code, _, err = run("--data-dir", str(tmp_path), "clean", "--all")
    assert code == 2
    assert f"eqf clean --all --yes --data-dir {tmp_path}" in one_line_error(err)


def test_malformed_eqf_now_is_one_line_before_any_work(tmp_path):
    code, _, err = run("--data-dir", str(tmp_path / "d"), "data", "fetch", "--universe", "SAMPLE",
                       env={"EQF_NOW": "next tuesday"})
    assert code == 2 and "EQF_NOW='next tuesday' is not a time" in one_line_error(err)
    assert not (tmp_path / "d" / "store.sqlite").exists()


def test_eqf_now_moves_the_data_layer_clock(tmp_path):
    code, _, err = run("--data-dir", str(tmp_path), "data", "fetch", "--universe", "SAMPLE",
                       env={"EQF_NOW": "2024-06-08T10:00:00Z"})
    assert code == 0, err
    code, out, _ = run("--data-dir", str(tmp_path), "data", "status")
    assert "2024-06-08T10:00" in out  # the fetch log's time


@pytest.mark.slow
def test_two_commands_needing_the_same_fit_run_at_once(syn_home, tmp_path):
    # Before: 2-3 of 4 such pairs crashed with "OSError: Cannot save file into a non-existent
    # directory: .../cache/factors/.<key>.tmp" (a temp folder shared by the writers).
    import shutil

    for pair in range(2):
        data = shutil.copytree(syn_home, tmp_path / f"d{pair}")
        shutil.rmtree(data / "cache", ignore_errors=True)
        common = ["--universe", "SYN50", "-k", "3", "--start", "2019-01-01"]
        procs = [subprocess.Popen([sys.executable, "-m", "equity_factors", "--data-dir",
                                   str(data), *argv, *common, "--output-dir",
                                   str(tmp_path / f"o{pair}{i}")],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i, argv in enumerate((["discover"], ["signals", "cross-section"]))]
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
        entries = [p for p in (data / "cache" / "factors").iterdir()]
        assert len(entries) == 1 and (entries[0] / "meta.json").is_file()  # one whole entry
