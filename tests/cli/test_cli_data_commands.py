"""``eqf data ...``, ``eqf clean`` and every bad input of the foundation, end to end."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from equity_factors.cli.main import main
from equity_factors.data.schema import SCHEMA_VERSION


def run(*argv):
    """Run eqf as a user would (a real process); returns (code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "equity_factors", *argv], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    return proc.returncode, proc.stdout, proc.stderr


def one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("eqf: error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_import_status_health_vacuum(tmp_path, capsys):
    path = tmp_path / "prices.csv"
    path.write_text("date,symbol,close\n" + "".join(
        f"2020-01-{d:02d},{s},{10 + d + i}\n" for d in range(1, 29) for i, s in enumerate("AB")))
    assert main(["data", "import", str(path), "--universe", "MINE"]) == 0
    assert "imported 56 bars of 2 symbols as universe MINE" in capsys.readouterr().out
    assert main(["data", "status", "--symbols", "A"]) == 0
    out = capsys.readouterr().out
    assert "MINE" in out and "files" in out and "2020-01-28" in out
    assert main(["data", "health"]) == 0
    out = capsys.readouterr().out
    assert "integrity" in out and "ok" in out and "wal" in out
    assert main(["data", "vacuum"]) == 0


def test_unknown_universe_exits_2_with_one_line():
    code, _, err = run("data", "fetch", "--universe", "NOPE123")
    assert code == 2
    assert "ALPHAVANTAGE_API_KEY" in one_line_error(err)


@pytest.mark.parametrize("content, fragment", [
    ("when,AAA\n2020-01-02,1\n", "no date column"),
    ("date,AAA\nyesterday,1\n", "dates cannot be read"),
    ("date,symbol,close\n2020-01-02,A,1\n2020-01-02,A,1\n", "repeat a (date, symbol) pair"),
    ("date,symbol,close\n2020-01-02,A,0\n", "zero or negative"),
    ("date,symbol,close\n2020-01-02,A,ten\n", "non-numeric"),
])
def test_bad_files_exit_2_and_write_nothing(tmp_path, capsys, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["data", "import", str(path), "--universe", "BAD"]) == 2
    err = capsys.readouterr().err
    assert fragment in one_line_error(err)
    assert main(["data", "status"]) == 0
    assert "BAD" not in capsys.readouterr().out


def test_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run("--data-dir", str(blocker / "sub"), "data", "status")
    assert code == 2
    assert "not writable" in one_line_error(err)


def test_newer_store_and_corrupted_store(tmp_path):
    newer = tmp_path / "newer"
    newer.mkdir()
    conn = sqlite3.connect(newer / "store.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    code, _, err = run("--data-dir", str(newer), "data", "status")
    assert code == 2 and "newer than this equity-factors" in one_line_error(err)

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "store.sqlite").write_bytes(b"garbage" * 5000)
    code, _, err = run("data", "health", "--data-dir", str(broken))
    assert code == 2 and "eqf clean --all" in one_line_error(err)
    code, out, err = run("clean", "--all", "--yes", "--data-dir", str(broken))
    assert code == 0, err
    assert not (broken / "store.sqlite").exists()
    code, out, _ = run("data", "status", "--data-dir", str(broken))
    assert code == 0 and "empty" in out


def test_clean_all_needs_yes_without_a_terminal(capsys):
    assert main(["clean", "--all"]) == 2  # pytest's stdin is not a terminal
    assert "--yes" in capsys.readouterr().err


def test_usage_errors_are_one_line_exit_2():
    code, _, err = run("data", "import")
    assert code == 2
    assert "eqf: error:" in err and "Traceback" not in err
    code, _, err = run("nosuchcommand")
    assert code == 2
