"""The HTML report of every kind of run: self-contained (plotly.js once, no external URL),
the run's facts first, the expected sections and figures, figures true to the run's files."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from equity_factors.metrics import max_drawdown, sharpe_ratio
from equity_factors.report.blocks import RunFiles
from equity_factors.report.build import build_document
from equity_factors.report.html import render_html
from equity_factors.report.sections import backtest as bt
from equity_factors.testing.backtest_run import write_backtest_run
from equity_factors.workflows.context import Context
from equity_factors.workflows.report import load_run, runs, write_report

#: Section titles every report of the kind has.
EXPECTED = {
    "discover": {"Factor returns", "Loadings and holdings", "Factor names and evidence",
                 "Stability across refits"},
    "optimize": {"Weights", "Walk-forward folds", "Overfitting", "Performance"},
    "basket": {"Positions", "Exposures", "Trade diff"},
    "regime": {"Regimes", "States and spells", "Forecast and allocation"},
    "backtest": {"Tear sheet", "Performance", "Turnover and costs", "Attribution",
                 "Positions and walks"},
}


class _Refs(HTMLParser):
    """Every src/href attribute of a page, and its script tags."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.refs += [v or "" for k, v in attrs if k in ("src", "href")]


def _refs(text: str) -> _Refs:
    parser = _Refs()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def ctx(demo_home):
    return Context.create(str(demo_home))


@pytest.fixture(scope="module")
def reports(ctx, tmp_path_factory):
    """kind or command -> (outcome, html text) for every run of the demo data directory."""
    out = {}
    folder = tmp_path_factory.mktemp("reports")
    for row in runs(ctx).itertuples():
        outcome = write_report(ctx, row.run_id, output=folder / f"{row.run_id}.html")
        out[row.command] = (outcome, outcome.path.read_text())
    return out


def test_every_kind_of_demo_run_has_a_report(reports):
    assert set(reports) == {"discover", "optimize", "basket", "signals extremes",
                            "signals momentum", "signals cross-section", "regime detect",
                            "backtest"}


@pytest.mark.parametrize("command", ["discover", "optimize", "basket", "regime detect",
                                     "backtest"])
def test_report_has_the_sections_of_its_kind(reports, command):
    outcome, text = reports[command]
    titles = set(re.findall(r'<h2 id="[^"]*">([^<]*)</h2>', text))
    assert EXPECTED[outcome.kind] <= titles


def test_each_report_starts_with_the_runs_facts(reports, ctx):
    for command, (outcome, text) in reports.items():
        record = json.loads((ctx.data_dir.runs / outcome.run_id / "run.json").read_text())
        head = text[:text.index("<h2")]
        assert "eqf " + " ".join(record["argv"]) in head, command
        assert str(record["data_fingerprint"]) in head
        assert f"<th>eqf version</th><td>{record['version']}</td>" in head
        assert "<th>data period</th>" in head and "<th>run at (UTC)</th>" in head


def test_plotly_js_is_embedded_once_and_every_chart_drawn(reports):
    for command, (outcome, text) in reports.items():
        assert outcome.n_charts >= 1, command
        assert text.count("Plotly.newPlot(") == outcome.n_charts
        # the library's banner appears once: one inline copy of plotly.js
        assert len(re.findall(r"\* plotly\.js v\d", text)) == 1, command
        assert outcome.size == len(text.encode())


def test_no_external_reference_in_any_src_or_href(reports):
    for command, (_, text) in reports.items():
        parsed = _refs(text)
        assert parsed.scripts >= 2
        bad = [r for r in parsed.refs if re.match(r"\s*(https?:)?//", r, re.I)]
        assert bad == [], command
        assert all(r.startswith("#") for r in parsed.refs), command  # only in-page anchors


def test_the_report_is_a_pure_function_of_the_run_files(ctx, reports):
    """Building twice from the same files gives the same page (no clock, no recomputation)."""
    outcome, text = reports["optimize"]
    again = render_html(build_document(load_run(ctx, outcome.run_id)))
    assert again == text


# --------------------------------------------------------------------------- backtest figures
@pytest.fixture(scope="module")
def bt_files(tmp_path_factory):
    folder = write_backtest_run(tmp_path_factory.mktemp("bt"), years=4, walks=5, factors=6,
                                names=20, seed=3)
    tables = {p.name: pd.read_csv(p) for p in folder.glob("*.csv")}
    documents = {"backtest_summary.json": json.loads((folder / "backtest_summary.json")
                                                     .read_text())}
    record = json.loads((folder / "run.json").read_text())
    return RunFiles(record, tables, documents)


def _charts(files: RunFiles) -> dict:
    return {c.title: c.figure for c in build_document(files).charts}


def test_backtest_report_has_every_figure_of_the_contract(bt_files):
    assert set(_charts(bt_files)) == {
        "Equity curve", "Underwater", "Monthly returns", "Rolling Sharpe and volatility",
        "Turnover and cost drag", "Cost sweep", "Factor attribution", "Sector attribution",
        "Exposure", "Walks"}
    tables = {b.title for s in build_document(bt_files).sections for b in s.blocks
              if hasattr(b, "frame")}
    assert {"Tear sheet", "Walks", "Sector attribution", "Largest trades"} <= tables


def test_equity_and_underwater_follow_the_returns_file(bt_files):
    raw = bt_files.table("backtest_returns.csv")
    charts = _charts(bt_files)
    equity = np.asarray(charts["Equity curve"].data[0].y, dtype=float)
    np.testing.assert_allclose(equity, raw["equity"] / raw["equity"].iloc[0], rtol=1e-5)
    under = np.asarray(charts["Underwater"].data[0].y, dtype=float)
    # the deepest point is metrics.max_drawdown of the net returns (equity compounds net)
    assert under.min() == pytest.approx(float(max_drawdown(raw["net"])), abs=1e-5)
    assert (under <= 1e-12).all()


def test_monthly_returns_compound_each_calendar_month():
    dates = pd.bdate_range("2020-01-01", "2021-06-30")
    net = pd.Series(np.random.default_rng(1).normal(0, 0.01, len(dates)), dates)
    table = bt.monthly_returns(net)
    for (year, month), _ in net.groupby([net.index.year, net.index.month]):
        naive = 1.0
        for d, r in net.items():  # a naive loop over the days of that month
            if d.year == year and d.month == month:
                naive *= 1 + r
        assert table.loc[year, month] == pytest.approx(naive - 1, abs=1e-12)
    assert np.isnan(table.loc[2021, 12])
    assert table.loc[2020, "year"] == pytest.approx(float((1 + net["2020"]).prod() - 1))


def test_rolling_sharpe_is_metrics_sharpe_on_each_window():
    dates = pd.bdate_range("2020-01-01", periods=300)
    net = pd.Series(np.random.default_rng(2).normal(0.0005, 0.01, len(dates)), dates)
    sharpe, vol = bt.rolling_sharpe_vol(net, window=60)
    assert sharpe.iloc[:59].isna().all()
    for end in (59, 150, 299):
        window = net.iloc[end - 59:end + 1]
        assert sharpe.iloc[end] == pytest.approx(float(sharpe_ratio(window)), rel=1e-9)
        assert vol.iloc[end] == pytest.approx(float(window.std() * np.sqrt(252)), rel=1e-9)


def test_cost_drag_is_positive_whichever_sign_the_file_uses(bt_files):
    raw = bt.dated(bt_files.table("backtest_returns.csv"))
    flipped = raw.copy()
    flipped[list(bt.COSTS)] = -flipped[list(bt.COSTS)]
    pd.testing.assert_frame_equal(bt.cost_drag(raw), bt.cost_drag(flipped))
    assert (bt.cost_drag(raw) >= 0).all().all()


def test_attribution_bars_add_up_to_the_yearly_total(bt_files):
    fig = _charts(bt_files)["Factor attribution"]
    bars = [t for t in fig.data if t.type == "bar"]
    total = next(t for t in fig.data if t.name == "total")
    stacked = np.sum([np.asarray(t.y, dtype=float) for t in bars], axis=0)
    np.testing.assert_allclose(stacked, np.asarray(total.y, dtype=float), atol=1e-5)
    assert {t.name for t in bars} >= {"F1", "F6", "specific", "costs"}


def test_columns_are_read_by_name_extra_ones_ignored_missing_files_tolerated(bt_files):
    tables = dict(bt_files.tables)
    returns = tables["backtest_returns.csv"].copy()
    returns["leverage"] = 1.0
    tables["backtest_returns.csv"] = returns[list(reversed(returns.columns))]
    walks = tables["backtest_walks.csv"].copy()
    walks["new_column"] = "x"
    tables["backtest_walks.csv"] = walks
    for gone in ("backtest_positions.csv", "backtest_trades.csv",
                 "backtest_sector_attribution.csv"):
        tables.pop(gone)
    files = RunFiles(bt_files.record, tables, bt_files.documents)
    charts = _charts(files)
    assert {"Equity curve", "Factor attribution", "Walks"} <= set(charts)
    assert "Sector attribution" not in charts
    text = render_html(build_document(files))
    assert "new_column" in text and "Plotly.newPlot(" in text


def test_tear_sheet_shows_net_and_gross_and_the_summary_statistics(bt_files):
    doc = build_document(bt_files)
    sheet = next(b for s in doc.sections for b in s.blocks if getattr(b, "title", "") ==
                 "Tear sheet")
    rows = dict(zip(sheet.frame["statistic"], sheet.frame["net"]))
    assert rows["Sharpe"] == "0.500" and rows["max drawdown"] == "-18.00%"
    assert rows["break-even cost (bps)"] == "21.500"
    assert rows["out-of-sample Sharpe [95% CI]"] == "0.500 [0.050, 0.950]"
    assert rows["PBO"] == "0.340"
    texts = [b.text for s in doc.sections for b in s.blocks if hasattr(b, "kind")]
    assert any(t.startswith("credible") for t in texts)
    assert any(t.startswith("Survivorship:") for t in texts)


def test_tables_are_escaped_formatted_and_capped():
    from equity_factors.report.html import MAX_TABLE_ROWS, table_html

    frame = pd.DataFrame({"name": ["<script>x</script>"] * (MAX_TABLE_ROWS + 5),
                          "value": [1234.5678] * (MAX_TABLE_ROWS + 5)})
    text = table_html(frame)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert text.count("<tr>") == MAX_TABLE_ROWS + 1  # header + the first rows
    assert "1,234.57" in text and f"first {MAX_TABLE_ROWS} of {MAX_TABLE_ROWS + 5:,} rows" in text


def test_a_run_without_plotly_figures_still_renders(tmp_path):
    """A basket run with an empty basket and no summary: sections with notes, no chart, and
    then no plotly.js at all."""
    files = RunFiles({"command": "basket", "run_id": "x", "argv": ["basket"]}, {}, {})
    doc = build_document(files)
    assert doc.charts == ()
    text = render_html(doc)
    assert "Plotly" not in text and "no basket saved" in text
