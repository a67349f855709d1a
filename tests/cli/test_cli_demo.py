"""``eqf demo`` runs every available stage on bundled data and writes real files."""

from __future__ import annotations

import json

import pandas as pd

from equity_factors.cli.main import main


def test_demo_writes_every_stage(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"results in {out}" in printed
    returns = pd.read_csv(out / "discover" / "factor_returns.csv", index_col=0)
    assert returns.shape[1] == 5 and len(returns) > 1000
    results = json.loads((out / "optimize" / "optimization_results.json").read_text())
    assert results["universe"]["label"] == "SAMPLE"
    # the 12 latest complete folds of the anchored grid, then the trailing partial one
    assert len(results["folds"]) == 13 and results["folds"][-1]["partial"]
    assert results["overfitting"]["verdict"]
    weights = pd.read_csv(out / "optimize" / "optimal_weights.csv")
    assert abs(weights["weight"].abs().sum() - 1) < 1e-6  # the CSV keeps 8 significant digits
    names = pd.read_csv(out / "discover" / "factor_names.csv")
    assert names["namer"].eq("offline").all() and names["name"].ne(names["factor"]).all()
    basket = pd.read_csv(out / "basket" / "trade_basket.csv")
    assert set(basket["side"]) == {"LONG", "SHORT"}
    assert (out / "signals" / "factor_zscores.csv").exists()
    assert (out / "signals" / "momentum_F1.png").exists()
    assert (out / "signals" / "cross_section_rankings.csv").exists()
    current = json.loads((out / "regime" / "regime_current.json").read_text())
    assert current["label"] in printed
    summary = json.loads((out / "backtest" / "backtest_summary.json").read_text())
    assert summary["n_walks"] == 10 and summary["verdict"]
    assert len(pd.read_csv(out / "backtest" / "backtest_returns.csv")) >= 10 * 63
    for stage in ("data", "discover", "optimize", "basket", "signals", "regime", "backtest",
                  "report"):
        assert stage in printed
    # the last stage writes the offline report of the backtest and prints its path
    report = out / "report.html"
    assert f"report in {report}" in printed
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>") and "eqf demo backtest" in text
