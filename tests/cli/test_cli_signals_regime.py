"""``eqf signals ...`` and ``eqf regime detect`` end to end on SAMPLE (the seed's lines)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from equity_factors.cli.main import main


@pytest.fixture()
def home(sample_home, monkeypatch):
    monkeypatch.setenv("EQF_HOME", str(sample_home))
    return sample_home


def test_extremes_with_trades(home, tmp_path, capsys):
    assert main(["signals", "extremes", "--universe", "SAMPLE", "--threshold", "1.0", "--trade",
                 "--start", "2012-01-01", "--output-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    z = pd.read_csv(tmp_path / "factor_zscores.csv", index_col=0)
    assert list(z.index) == [f"F{i}" for i in range(1, 6)]
    alerts = pd.read_csv(tmp_path / "extreme_alerts.csv")
    assert ({"factor", "kind", "zscore", "hit_rate", "action", "size", "holding_days"}
            <= set(alerts.columns))
    assert (alerts["zscore"].abs() > 1.0).all()
    expected = (z[(z["return_z"].abs() > 1) ].index.tolist()
                + z[(z["level_z"].abs() > 1)].index.tolist())
    assert sorted(alerts["factor"]) == sorted(expected)


def test_momentum_by_id_writes_chart_and_state(home, tmp_path, capsys):
    assert main(["signals", "momentum", "--universe", "SAMPLE", "--factor", "f2", "--start",
                 "2012-01-01", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    state = json.loads((tmp_path / "momentum_F2.json").read_text())
    assert state["signal"] in ("BUY", "SELL", "HOLD") and state["signal"] in out
    assert (tmp_path / "momentum_F2.png").read_bytes()[:4] == b"\x89PNG"
    ind = pd.read_csv(tmp_path / "momentum_F2.csv", index_col=0)
    assert ind["rsi"].dropna().between(0, 100).all()


def test_unknown_factor_is_a_clear_error(home, tmp_path, capsys):
    code = main(["signals", "momentum", "--universe", "SAMPLE", "--factor", "F99", "--start",
                 "2012-01-01", "--output-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "unknown factor 'F99'" in err


def test_cross_section_lists(home, tmp_path, capsys):
    assert main(["signals", "cross-section", "--universe", "SAMPLE", "--top-pct", "0.1",
                 "--bottom-pct", "0.1", "--start", "2012-01-01", "--output-dir",
                 str(tmp_path)]) == 0
    capsys.readouterr()
    ranking = pd.read_csv(tmp_path / "cross_section_rankings.csv", index_col=0)
    assert len(ranking) == 20 and ranking["rank"].tolist() == list(range(1, 21))
    assert len(pd.read_csv(tmp_path / "long_candidates.csv")) == 2
    assert len(pd.read_csv(tmp_path / "short_candidates.csv")) == 2
    assert ranking["sector"].notna().all()


def test_regime_detect(home, tmp_path, capsys):
    assert main(["regime", "detect", "--universe", "SAMPLE", "--regimes", "3", "--predict", "5",
                 "--start", "2010-01-01", "--restarts", "2", "--output-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    current = json.loads((tmp_path / "regime_current.json").read_text())
    assert current["regime"] in (0, 1, 2)
    assert abs(sum(current["forecast"].values()) - 1) < 1e-9
    forecast = pd.read_csv(tmp_path / "regime_forecast.csv", index_col=0)
    assert len(forecast) == 5
    assert ((forecast.sum(axis=1) - 1).abs() < 1e-9).all()
    path = pd.read_csv(tmp_path / "regime_path.csv", index_col=0, parse_dates=True)
    assert path["regime"].dropna().isin([0, 1, 2]).all()
    alloc = pd.read_csv(tmp_path / "regime_allocation.csv", index_col=0)
    assert len(alloc) == 3
    assert (tmp_path / "regime.png").exists()
    # labels from the states' statistics: a rising state is never a crisis; spells reported
    summary = pd.read_csv(tmp_path / "regime_summary.csv", index_col=0)
    assert not ((summary["label"] == "Crisis") & (summary["ann_mean"] > 0)).any()
    assert summary["mean_spell_days"].dropna().gt(0).all()
    crisis = summary[summary["label"] == "Crisis"]
    assert (crisis["expected_duration"] >= 5).all()


@pytest.mark.parametrize("argv, fragment", [
    (["--regimes", "1"], "--regimes must be at least 2"),
    (["--start", "2020-01-01"], "too few"),
    (["--start", "2022-01-01"], "leaves no out-of-sample days"),
])
def test_regime_bad_input(home, tmp_path, capsys, argv, fragment):
    code = main(["regime", "detect", "--universe", "SAMPLE", "--output-dir", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err
