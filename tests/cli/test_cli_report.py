"""``eqf report`` and ``eqf dashboard`` end to end: files written, and bad input refused with
one line and exit code 2 before anything is written."""

from __future__ import annotations

import json
import shutil
import socket

import pytest
from conftest import FABRICATED_BACKTEST  # noqa: E402

from equity_factors.cli.main import main
from equity_factors.dashboard.server import SETTINGS, streamlit_command


@pytest.fixture()
def home(demo_home, tmp_path, monkeypatch):
    """A private copy of the demo data directory (these tests add runs and files to it)."""
    copy = tmp_path / "home"
    shutil.copytree(demo_home, copy, ignore=shutil.ignore_patterns("demo-out"))
    monkeypatch.setenv("EQF_HOME", str(copy))
    return copy


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("eqf: error: ") and "\n" not in err, err
    return err


def test_report_latest_goes_into_the_run_folder(home, capsys):
    assert main(["report", "latest"]) == 0
    printed = capsys.readouterr().out
    latest = sorted(p.name for p in (home / "runs").iterdir())[-1]
    target = home / "runs" / latest / "report.html"
    assert target.is_file() and str(target) in printed and "wrote" in printed
    assert "backtest report of run" in printed  # the demo's last run is its backtest


def test_report_by_kind_id_or_prefix_to_a_chosen_file(home, tmp_path):
    out = tmp_path / "bt" / "report.html"
    assert main(["report", FABRICATED_BACKTEST, "--kind", "backtest", "-o", str(out)]) == 0
    text = out.read_text()
    assert "eqf backtest --universe SYN500" in text and "Cost sweep" in text
    discover = next(p.name for p in (home / "runs").iterdir() if "-discover-" in p.name)
    out2 = tmp_path / "d.html"
    assert main(["report", discover[:22], "--kind", "discover", "-o", str(out2)]) == 0
    assert "Cumulative factor returns" in out2.read_text()


@pytest.mark.parametrize("args, message", [
    (["report", "no-such-run"], "no run 'no-such-run' in"),
    (["report", "2"], "matches"),
    (["report", "latest", "--kind", "nothing"], "invalid choice"),
    (["report", "OPT", "--kind", "discover"], "is a optimize run, not discover"),
])
def test_bad_run_ids_and_kinds(home, capsys, args, message):
    if args[1] == "OPT":
        args = [args[0], next(p.name for p in (home / "runs").iterdir() if "-optimize-" in
                              p.name), *args[2:]]
    before = sorted(str(p) for p in home.rglob("*"))
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    assert code == 2
    assert message in _one_line_error(capsys)
    assert sorted(str(p) for p in home.rglob("*")) == before  # nothing written


def test_a_run_of_a_kind_without_a_report(home, capsys):
    folder = home / "runs" / "20990101T000000.000Z-data-fetch-aaaaaa"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"run_id": folder.name,
                                                 "command": "data fetch", "argv": []}))
    assert main(["report", folder.name]) == 2
    assert "has no report" in _one_line_error(capsys)
    assert main(["report", "latest"]) == 0  # latest skips it: newest run *with* a report


def test_an_unreadable_run_record(home, capsys):
    folder = home / "runs" / "20990101T000000.000Z-discover-bbbbbb"
    folder.mkdir()
    (folder / "run.json").write_text("{not json")
    assert main(["report", folder.name]) == 2
    err = _one_line_error(capsys)
    assert "unreadable" in err and "run.json" in err
    assert not (folder / "report.html").exists()


def test_no_runs_at_all(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EQF_HOME", str(tmp_path / "empty"))
    assert main(["report", "latest"]) == 2
    assert "eqf demo" in _one_line_error(capsys)


def test_an_output_that_cannot_be_written(home, capsys):
    assert main(["report", "latest", "-o", "/proc/report.html"]) == 2
    assert "cannot write --output /proc/report.html" in _one_line_error(capsys)


def test_dashboard_refuses_a_port_in_use(home, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    err = _one_line_error(capsys)
    assert f"port {port} on 127.0.0.1 is in use" in err and "--port" in err


def test_dashboard_refuses_a_bad_port_and_host(home, capsys):
    assert main(["dashboard", "--port", "70000"]) == 2
    assert "1..65535" in _one_line_error(capsys)
    assert main(["dashboard", "--host", "no-such-host.invalid"]) == 2
    assert "--host" in _one_line_error(capsys)


def test_the_server_command_keeps_everything_on_the_machine():
    cmd = streamlit_command("127.0.0.1", 8501)
    assert "--browser.gatherUsageStats=false" in cmd and SETTINGS["server.headless"] == "true"
    assert "--server.address=127.0.0.1" in cmd and "--server.port=8501" in cmd
    assert cmd[cmd.index("run") + 1].endswith("dashboard/app.py")
