"""Every dashboard page on the demo's data directory (Streamlit's AppTest, in process): it
renders without exceptions, shows its title, tables and charts; picking another run changes
what is shown; starting a workflow records its run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

import equity_factors.dashboard as dashboard  # noqa: E402

VIEWS = Path(dashboard.__file__).parent / "views"
TIMEOUT = 120


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=TIMEOUT)
    return at.run()


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _trace_names(at: AppTest) -> set[str]:
    return {str(t.get("name")) for spec in _specs(at) for t in spec["data"]}


@pytest.fixture()
def demo_env(demo_home, monkeypatch):
    monkeypatch.setenv("EQF_HOME", str(demo_home))
    return demo_home


@pytest.mark.parametrize("name, title, n_charts, traces", [
    ("factors", "Factors", 3, {"F1: Market beta", "mean |cosine|"}),
    ("optimization", "Optimization", 5, {"in-sample (train)", "out-of-sample (test)",
                                         "PBO (CSCV)", "best objective"}),
    ("basket", "Basket", 3, {"long", "short", "basket exposure"}),
    ("signals", "Signals", 1, set()),
    ("regime", "Regime", 4, {"market (growth of 1)", "0: Low-vol bull"}),
    ("backtest", "Backtest", 10, {"basket (net)", "net Sharpe", "train Sharpe"}),
])
def test_report_pages_show_the_latest_run(demo_env, name, title, n_charts, traces):
    at = _page(name)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [title]
    assert len(at.get("plotly_chart")) == n_charts
    assert traces <= _trace_names(at)
    if name == "optimization":  # the trial history: one best-so-far line per fold
        assert any(n.startswith("fold ") for n in _trace_names(at))
    assert len(at.dataframe) >= 2  # the run facts and at least one table
    picker = at.selectbox[0]
    assert picker.label == "Run" and picker.value in picker.options[0]  # the latest


def test_data_page_lists_universes_coverage_fetches_and_runs(demo_env):
    at = _page("data")
    assert not at.exception
    assert [h.value for h in at.header] == ["Universes", "Coverage", "Last fetches",
                                            "Recorded runs"]
    universes = at.dataframe[0].value
    assert "SAMPLE" in set(universes["name"])
    assert at.metric[0].value == "9"  # 8 demo runs with a report + the fabricated backtest


def test_picking_another_run_changes_what_is_shown(demo_env):
    at = _page("signals")
    picker = at.selectbox(key="run_signals")
    assert "-signals-cross-section-" in picker.value
    assert {"Cross-sectional ranking"} <= {h.value for h in at.header}
    momentum = next(o for o in picker.options if "momentum" in o)
    run_id = momentum.rsplit(" ", 1)[-1]
    at = picker.select(run_id).run()
    assert not at.exception
    assert "Momentum of F1" in {h.value for h in at.header}
    assert {"RSI", "MACD", "ADX", "+DI", "-DI"} <= _trace_names(at)


def test_starting_a_workflow_records_its_run(demo_home, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("demo-out"))
    monkeypatch.setenv("EQF_HOME", str(home))
    before = {p.name for p in (home / "runs").iterdir()}
    at = _page("run")
    assert not at.exception and at.title[0].value == "Run a workflow"
    assert at.selectbox(key="workflow").value == "discover"
    at.number_input(key="discover-n_components").set_value(3)
    at.text_input(key="discover-start").set_value("2019-01-01")
    at = at.button(key="start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    new = {p.name for p in (home / "runs").iterdir()} - before
    assert len(new) == 1 and "-discover-" in next(iter(new))
    record = json.loads((home / "runs" / next(iter(new)) / "run.json").read_text())
    assert record["params"]["n_components"] == 3 and record["argv"] == ["dashboard"]
    assert any("recorded run" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) == 3  # the new run's report


def test_a_bad_form_value_is_one_error_line_and_records_nothing(demo_home, tmp_path,
                                                                 monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("demo-out"))
    monkeypatch.setenv("EQF_HOME", str(home))
    before = sorted(p.name for p in (home / "runs").iterdir())
    at = _page("run")
    at.text_input(key="discover-universe").set_value("NOSUCHUNIVERSE")
    at = at.button(key="start").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "NOSUCHUNIVERSE" in at.error[0].value
    assert sorted(p.name for p in (home / "runs").iterdir()) == before
