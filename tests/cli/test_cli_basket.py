"""``eqf basket`` on results produced by ``eqf optimize`` (the seed's command lines)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from equity_factors.cli.main import main


@pytest.fixture(scope="module")
def results(sample_home, tmp_path_factory):
    """Walk-forward results on SAMPLE, produced once by eqf optimize."""
    import os

    folder = tmp_path_factory.mktemp("opt")
    old = os.environ.get("EQF_HOME")
    os.environ["EQF_HOME"] = str(sample_home)
    try:
        code = main(["optimize", "--universe", "SAMPLE", "--factor-method", "pca",
                     "--n-components", "4", "--walk-forward", "--train-window", "90",
                     "--test-window", "30", "--trials", "15", "--max-folds", "3",
                     "--start", "2016-01-01", "--output", str(folder / "r.json")])
    finally:
        if old is None:
            os.environ.pop("EQF_HOME")
        else:
            os.environ["EQF_HOME"] = old
    assert code == 0
    return folder / "r.json"


@pytest.fixture()
def home(sample_home, monkeypatch):
    monkeypatch.setenv("EQF_HOME", str(sample_home))
    return sample_home


def test_seed_basket_command(home, results, tmp_path, capsys):
    out = tmp_path / "trade_basket.csv"
    code = main(["basket", "--results", str(results), "--universe", "SAMPLE", "--factor-method",
                 "pca", "--long-pct", "0.2", "--short-pct", "0.2", "--capital", "100000",
                 "--net-exposure", "0.0", "-o", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    basket = pd.read_csv(out)
    for col in ("ticker", "composite_score", "target_weight", "side", "position_dollars",
                "shares", "last_price", "sector", "top_factors"):
        assert col in basket.columns
    assert (basket["side"] == "LONG").sum() == 4 and (basket["side"] == "SHORT").sum() == 4
    long = basket.loc[basket["side"] == "LONG", "position_dollars"].sum()
    short = -basket.loc[basket["side"] == "SHORT", "position_dollars"].sum()
    assert abs(long - short) <= basket["last_price"].sum()  # net 0 within one share each
    assert long + short <= 100_000
    assert (basket.loc[basket["side"] == "LONG", "shares"] >= 0).all()
    assert (basket.loc[basket["side"] == "SHORT", "shares"] <= 0).all()
    # shares * last price is what is executed
    assert (basket["shares"] * basket["last_price"] - basket["position_dollars"]).abs().max() < 1e-6
    assert "weights of fold" in printed.out and "in force on" in printed.out
    summary = json.loads((tmp_path / "basket_summary.json").read_text())
    assert summary["n_long"] == 4


def test_all_long_says_the_short_side_has_no_capital(home, results, tmp_path, capsys):
    code = main(["basket", "--results", str(results), "--universe", "SAMPLE", "--long-pct",
                 "0.1", "--short-pct", "0.1", "--net-exposure", "1.0", "-o",
                 str(tmp_path / "b.csv")])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "short" in printed.out.lower() and "no capital" in printed.out.lower()
    assert (pd.read_csv(tmp_path / "b.csv")["side"] == "LONG").all()


def test_diff_against_previous_basket(home, results, tmp_path, capsys):
    first = tmp_path / "first.csv"
    as_of = json.loads(results.read_text())["folds"][1]["train_end"]
    assert main(["basket", "--results", str(results), "--universe", "SAMPLE", "--long-pct",
                 "0.2", "--short-pct", "0.2", "--as-of", as_of, "-o", str(first)]) == 0
    second = tmp_path / "second.csv"
    assert main(["basket", "--results", str(results), "--universe", "SAMPLE", "--long-pct",
                 "0.2", "--short-pct", "0.2", "--diff", str(first), "-o", str(second)]) == 0
    capsys.readouterr()
    trades = pd.read_csv(tmp_path / "basket_trades.csv")
    old = pd.read_csv(first).set_index("ticker")["shares"]
    new = pd.read_csv(second).set_index("ticker")["shares"]
    t = trades.set_index("ticker")
    for ticker in set(old.index) | set(new.index):
        assert t.loc[ticker, "trade_shares"] == new.get(ticker, 0) - old.get(ticker, 0)


@pytest.mark.parametrize("argv, fragment", [
    (["--long-pct", "0.7"], "--long-pct"),
    (["--long-pct", "0.5", "--short-pct", "0.6"], "short-pct"),
    (["--net-exposure", "1.5"], "net"),
    (["--capital", "-5"], "capital"),
    (["--factor-method", "ica"], "pass --factor-method pca"),
    (["--universe", "SYN50"], "was optimized on universe SAMPLE"),
])
def test_bad_input(home, results, tmp_path, capsys, argv, fragment):
    base = {"--universe": "SAMPLE"}
    args = ["basket", "--results", str(results), "-o", str(tmp_path / "b.csv")]
    if "--universe" not in argv:
        args += ["--universe", base["--universe"]]
    code = main(args + argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "b.csv").exists()


def test_results_of_the_wrong_schema(home, tmp_path, capsys):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"schema": "equity-factors/optimization-results",
                                 "schema_version": 2, "weights": {}}))
    code = main(["basket", "--results", str(wrong), "--universe", "SAMPLE", "-o",
                 str(tmp_path / "b.csv")])
    assert code == 2
    assert "does not match the results schema" in capsys.readouterr().err


def test_cross_section_ranks_by_the_optimized_composite(home, results, tmp_path, capsys):
    from equity_factors.portfolio import composite_scores
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, fit_factors

    data = json.loads(results.read_text())
    model = data["factor_model"]
    assert main(["signals", "cross-section", "--universe", "SAMPLE", "--method", model["method"],
                 "-k", str(model["n_components"]), "--start", model["start"], "--top-pct", "0.2",
                 "--bottom-pct", "0.2", "--results", str(results), "--output-dir",
                 str(tmp_path)]) == 0
    assert "optimized composite" in capsys.readouterr().out
    ranking = pd.read_csv(tmp_path / "cross_section_rankings.csv", index_col=0)
    fit = fit_factors(Context.create(), FactorRequest(universe="SAMPLE", method=model["method"],
                                                      n_components=model["n_components"],
                                                      start=model["start"], seed=model["seed"]))
    expected = composite_scores(fit.result.weights, pd.Series(data["weights"])).scores
    assert list(ranking.index) == list(expected.sort_values(ascending=False).index)


def test_two_baskets_in_one_folder_keep_their_own_summaries(home, results, tmp_path, capsys):
    common = ["basket", "--results", str(results), "--universe", "SAMPLE"]
    assert main([*common, "--long-pct", "0.2", "--short-pct", "0.2",
                 "-o", str(tmp_path / "trade_basket.csv")]) == 0
    assert main([*common, "--long-pct", "0.25", "--short-pct", "0.1", "--net-exposure", "0.5",
                 "--gross-exposure", "1.5", "-o", str(tmp_path / "basket_130_30.csv")]) == 0
    first = json.loads((tmp_path / "basket_summary.json").read_text())
    second = json.loads((tmp_path / "basket_130_30_summary.json").read_text())
    assert first["net_dollars"] != second["net_dollars"]  # neither overwrote the other
    assert "basket_130_30_summary.json" in capsys.readouterr().out
