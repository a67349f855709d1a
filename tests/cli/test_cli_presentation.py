"""Terminal output: the console width rule, short table headers, commands that fit 80 columns
and list the files they wrote."""

from __future__ import annotations

import fcntl
import io
import os
import struct
import termios

import pandas as pd
import pytest

from equity_factors.cli.common import print_files
from equity_factors.cli.console import PIPE_WIDTH, console, console_width, table
from equity_factors.cli.main import main


def test_console_width_rule():
    assert console_width(io.StringIO(), {}) == PIPE_WIDTH == 80  # a pipe
    assert console_width(io.StringIO(), {"COLUMNS": "132"}) == 132
    assert console_width(io.StringIO(), {"COLUMNS": "junk"}) == 80
    master, slave = os.openpty()  # a terminal 101 columns wide
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 101, 0, 0))
        with os.fdopen(os.dup(slave), "w") as tty:
            assert tty.isatty()
            assert console_width(tty, {}) == 101
            assert console_width(tty, {"COLUMNS": "60"}) == 60  # COLUMNS wins
    finally:
        os.close(master)
        os.close(slave)


def test_console_follows_columns_at_print_time(monkeypatch):
    monkeypatch.setenv("COLUMNS", "57")
    assert console.width == 57
    monkeypatch.setenv("COLUMNS", "93")
    assert console.width == 93


def _render(renderable, width: int) -> list[str]:
    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, width=width, highlight=False).print(renderable)
    return buf.getvalue().splitlines()


def test_table_short_distinct_headers_and_picked_columns():
    frame = pd.DataFrame({"annualized_return": [0.1], "annualized_volatility": [0.2],
                          "sharpe_ratio": [0.5], "max_drawdown": [-0.3],
                          "explained_variance_ratio": [0.4], "mean_stability": [0.9],
                          "top": ["AAPL:+0.1"]}, index=pd.Index(["F1"], name="factor"))
    t = table(frame, columns=["annualized_return", "annualized_volatility", "sharpe_ratio",
                              "max_drawdown", "explained_variance_ratio", "mean_stability"])
    headers = [str(c.header) for c in t.columns]
    assert headers == ["factor", "ann ret", "ann vol", "Sharpe", "max DD", "EVR", "stab"]
    assert all(len(line) <= 80 for line in _render(t, 80))
    labelled = table(frame, columns=["sharpe_ratio"], labels={"sharpe_ratio": "SR"})
    assert [str(c.header) for c in labelled.columns] == ["factor", "SR"]


def test_table_text_is_not_markup():
    frame = pd.DataFrame({"label": ["[bold]x[/bold]"], "E[spell]": [1.0]})
    text = "\n".join(_render(table(frame, index=False), 80))
    assert "[bold]x[/bold]" in text and "E[spell]" in text


def test_print_files_one_line_per_file(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    long = "/" + "d" * 90 + "/f.csv"  # longer than the console: printed whole, never split
    print_files({"a": "out/a.csv", "b": long})
    assert capsys.readouterr().out.splitlines() == ["wrote out/a.csv", "wrote", long]


@pytest.fixture()
def short_home(sample_home, tmp_path, monkeypatch):
    """The SAMPLE store behind a short relative --data-dir, in a fresh working folder, so the
    printed paths (run folder, outputs) are short enough for 80 columns."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h").symlink_to(sample_home, target_is_directory=True)
    monkeypatch.setenv("COLUMNS", "80")
    return tmp_path


COMMANDS = {
    "discover": (["discover", "--universe", "SAMPLE", "-k", "5"],
                 ["factor_returns.csv", "factor_summary.csv", "cumulative_factor_returns.png"]),
    "optimize": (["optimize", "--universe", "SAMPLE", "--trials", "20", "--walk-forward",
                  "--max-folds", "3", "--start", "2015-01-01", "--output", "out/res.json"],
                 ["res.json"]),
    "extremes": (["signals", "extremes", "--universe", "SAMPLE", "--threshold", "1.0",
                  "--trade", "--start", "2012-01-01"],
                 ["extreme_alerts.csv", "factor_zscores.csv"]),
    "regime": (["regime", "detect", "--universe", "SAMPLE", "--restarts", "2", "--start",
                "2010-01-01"],
               ["regime_path.csv", "regime_forecast.csv", "regime_summary.csv",
                "regime_factor_stats.csv", "regime_allocation.csv", "regime_current.json",
                "regime.png"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_fits_80_columns_and_lists_its_files(name, short_home, capsys):
    argv, written = COMMANDS[name]
    if name != "optimize":
        argv = [*argv, "--output-dir", "out"]
    assert main([*argv, "--data-dir", "h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    too_long = [ln for ln in lines if len(ln) > 80]
    assert not too_long, "\n".join(too_long)
    for line in lines:  # no header (or cell) cut short by rich
        assert "…" not in line, line
    for file in written:
        assert f"wrote out/{file}" in lines
        assert (short_home / "out" / file).stat().st_size > 0
    assert any(ln.startswith("run ") and ln.endswith(" recorded in") for ln in lines)
    if name in ("discover", "extremes"):  # the tables really are laid out in 80 columns
        assert max(len(ln) for ln in lines) >= 60
