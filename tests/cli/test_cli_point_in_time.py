"""The point-in-time fixes end to end through ``eqf`` (one test per fixed behaviour).

A market imported from a CSV with stocks that list 30 days before D: every command's output
dated up to D is the same with ``--end D`` as with data going on, the basket takes the weights in
force on its date, folds are anchored, and silent flags are refused.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from equity_factors.cli.main import main

N_DAYS, D_ROW, N_STOCKS = 700, 600, 30


@pytest.fixture(scope="module")
def pit_home(tmp_path_factory):
    """An EQF_HOME with universe PITX imported from a long CSV (close and volume)."""
    rng = np.random.default_rng(11)
    dates = pd.bdate_range("2016-01-04", periods=N_DAYS)
    f = rng.normal([0.0003, 0.0002, 0.0], [0.009, 0.005, 0.004], (N_DAYS, 3))
    n = N_STOCKS + 3
    betas = np.column_stack([rng.uniform(0.6, 1.4, n), rng.normal(0, 1, n), rng.normal(0, 1, n)])
    r = f @ betas.T + rng.standard_t(5, (N_DAYS, n)) * 0.008
    names = [f"S{i:02d}" for i in range(N_STOCKS)] + ["NEW1", "NEW2", "NEW3"]
    rows = []
    for j, s in enumerate(names):
        first = D_ROW - 30 if s.startswith("NEW") else 0
        close = 30.0 * np.cumprod(1.0 + r[first:, j])
        rows.append(pd.DataFrame({"date": dates[first:].strftime("%Y-%m-%d"), "symbol": s,
                                  "close": close, "volume": 500_000.0}))
    home = tmp_path_factory.mktemp("pit_cli_home")
    csv = home / "pitx.csv"
    pd.concat(rows).to_csv(csv, index=False)
    assert main(["--data-dir", str(home), "data", "import", str(csv), "--universe", "PITX"]) == 0
    return home, dates


@pytest.fixture()
def home(pit_home, monkeypatch, capsys):
    monkeypatch.setenv("EQF_HOME", str(pit_home[0]))
    yield pit_home
    capsys.readouterr()


def _d(home, rows_after=0) -> str:
    return str(home[1][D_ROW + rows_after].date())


FACTORS = ["--universe", "PITX", "-k", "3", "--refit", "21"]
WALK = ["optimize", *FACTORS, "--factor-lookback", "126", "--walk-forward", "--train-window",
        "126", "--test-window", "42", "--technique", "gradient", "--search", "direct",
        "--trials", "10", "--max-folds", "50"]


@pytest.mark.parametrize("method", ["pca", "fundamental"])
def test_item1_discover_up_to_d_is_the_same_with_end_d(home, tmp_path, method):
    d = _d(home)
    for name, extra in (("full", []), ("cut", ["--end", d])):
        assert main(["discover", *FACTORS, "--lookback", "126", "--method", method,
                     "--output-dir", str(tmp_path / name), *extra]) == 0
    full = pd.read_csv(tmp_path / "full" / "factor_returns.csv", index_col=0, dtype=str)
    cut = pd.read_csv(tmp_path / "cut" / "factor_returns.csv", index_col=0, dtype=str)
    assert cut.index[-1] == d and len(cut) > 200
    pd.testing.assert_frame_equal(full.loc[:d], cut)  # to the last printed digit


@pytest.fixture(scope="module")
def results(pit_home, tmp_path_factory):
    """Walk-forward results on all the data and on data ending at D (written by eqf)."""
    import os

    folder = tmp_path_factory.mktemp("pit_results")
    os.environ["EQF_HOME"] = str(pit_home[0])
    d = str(pit_home[1][D_ROW].date())
    for name, extra in (("full", []), ("cut", ["--end", d]),
                        ("later", ["--end", str(pit_home[1][D_ROW + 10].date())])):
        assert main([*WALK, "--output", str(folder / f"{name}.json"), *extra]) == 0
    assert main(["optimize", *FACTORS, "--factor-lookback", "126", "--lookback", "126",
                 "--technique", "gradient", "--trials", "10",
                 "--output", str(folder / "single.json")]) == 0
    return {p.stem: p for p in folder.glob("*.json")}


def test_item2_basket_as_of_d_is_what_a_run_ending_at_d_trades(home, results, tmp_path):
    d = _d(home)
    for name in ("full", "cut"):
        assert main(["basket", "--results", str(results[name]), "--universe", "PITX",
                     "--long-pct", "0.2", "--short-pct", "0.2", "--as-of", d,
                     "-o", str(tmp_path / f"{name}.csv")]) == 0
    full = (tmp_path / "full.csv").read_text()
    assert full == (tmp_path / "cut.csv").read_text() and full.count("\n") > 5
    summary = json.loads((tmp_path / "cut_summary.json").read_text())  # named after -o
    assert "in force on " + d in summary["theta_note"]


def test_item2_single_fit_trained_after_the_date_is_refused(home, results, tmp_path, capsys):
    code = main(["basket", "--results", str(results["single"]), "--universe", "PITX",
                 "--as-of", _d(home), "-o", str(tmp_path / "b.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "would look ahead" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "b.csv").exists()


def test_item3_ten_more_days_leave_earlier_folds_bit_identical(results):
    cut = json.loads(results["cut"].read_text())["folds"]
    later = {f["fold"]: f for f in json.loads(results["later"].read_text())["folds"]}
    assert len(cut) >= 5
    for fold in cut[:-1]:  # every complete fold
        twin = later[fold["fold"]]
        assert (twin["train_start"], twin["train_end"], twin["test_end"]) == (
            fold["train_start"], fold["train_end"], fold["test_end"])
        assert twin["weights"] == fold["weights"]  # floats written by json: bit for bit
        assert twin["out_of_sample_sharpe"] == fold["out_of_sample_sharpe"]
    assert cut[-1]["partial"] and later[cut[-1]["fold"]]["weights"] == cut[-1]["weights"]


def test_item4_fundamental_factors_are_unit_gross_portfolios(home, tmp_path):
    assert main(["discover", *FACTORS, "--method", "fundamental", "--output-dir",
                 str(tmp_path)]) == 0
    summary = pd.read_csv(tmp_path / "factor_summary.csv", index_col=0)
    np.testing.assert_allclose(summary["gross"], 1.0, rtol=1e-9)  # sum |w| of the latest fit
    vol = pd.read_csv(tmp_path / "factor_returns.csv", index_col=0).std()
    assert (vol < 0.02).all()  # a stock portfolio's daily volatility, not a coefficient's


def test_item5_risk_based_weights_short_a_losing_factor(home, tmp_path):
    out = tmp_path / "eq.json"
    assert main(["optimize", *FACTORS, "--factor-lookback", "126", "--walk-forward",
                 "--train-window", "126", "--test-window", "42", "--methods", "equal",
                 "--trials", "3", "--output", str(out)]) == 0
    assert main(["discover", *FACTORS, "--lookback", "126", "--output-dir", str(tmp_path)]) == 0
    returns = pd.read_csv(tmp_path / "factor_returns.csv", index_col=0, parse_dates=True)
    shorted = 0
    for fold in json.loads(out.read_text())["folds"]:
        mean = returns.loc[fold["train_start"]:fold["train_end"]].mean()
        for factor, w in fold["weights"].items():
            assert np.sign(w) == (1.0 if mean[factor] >= 0 else -1.0)
            shorted += w < 0
    assert shorted > 0  # the market has losing factors in some windows


def test_item6_cross_section_takes_the_model_and_weights_of_the_results(home, results,
                                                                        tmp_path, capsys):
    d = _d(home)
    code = main(["signals", "cross-section", "--universe", "PITX", "--method", "ica",
                 "--results", str(results["full"]), "--output-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "holds weights of pca factors, not ica" in err
    assert main(["signals", "cross-section", "--universe", "PITX", "--results",
                 str(results["full"]), "--end", d, "--top-pct", "0.2", "--bottom-pct", "0.2",
                 "--output-dir", str(tmp_path)]) == 0
    assert main(["basket", "--results", str(results["full"]), "--universe", "PITX",
                 "--long-pct", "0.2", "--short-pct", "0.2", "--as-of", d,
                 "-o", str(tmp_path / "b.csv")]) == 0
    basket = pd.read_csv(tmp_path / "b.csv")
    longs = pd.read_csv(tmp_path / "long_candidates.csv", index_col=0)
    shorts = pd.read_csv(tmp_path / "short_candidates.csv", index_col=0)
    assert set(basket.loc[basket["side"] == "LONG", "ticker"]) == set(longs.index)
    assert set(basket.loc[basket["side"] == "SHORT", "ticker"]) == set(shorts.index)


@pytest.mark.parametrize("argv, fragment", [
    (["basket", "--results", "{full}", "--universe", "PITX", "--as-of", "2030-01-01"],
     "is after the last stored bar of PITX"),
    (["optimize", *FACTORS, "--walk-forward", "--lookback", "126"], "drop --lookback"),
    (["optimize", *FACTORS, "--lookback", "100000"], "--lookback 100000 is more than"),
    (["regime", "detect", "--universe", "PITX", "--min-coverage", "1.5"], "--min-coverage"),
])
def test_item8_silent_flags_are_refused(home, results, tmp_path, capsys, argv, fragment):
    argv = [a.format(full=results["full"]) for a in argv]
    code = main([*argv, "--output-dir" if argv[0] == "regime" else "-o" if argv[0] == "basket"
                 else "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["optimize"], ["regime", "detect"], ["discover"],
                                     ["signals", "cross-section"]])
def test_item8_every_factor_command_offers_the_factor_flags(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = capsys.readouterr().out
    for flag in ("--min-coverage", "--refit", "-k"):
        assert flag in text


def test_item8_results_record_the_whole_factor_request(home, tmp_path):
    out = tmp_path / "r.json"
    assert main([*WALK, "--min-coverage", "0.8", "--output", str(out)]) == 0
    model = json.loads(out.read_text())["factor_model"]
    assert model["min_coverage"] == 0.8 and model["lookback"] == 126
    assert {"universe", "method", "n_components", "refit", "mode", "seed", "start", "end"} <= set(
        model)


def test_item9_the_in_sample_dsr_is_labelled(home, results, capsys):
    assert main([*WALK, "--end", _d(home)]) == 0
    out = capsys.readouterr().out
    assert "DSR of the selected in-sample trial" in out
    assert "in-sample selected trial: DSR" in out.replace("\n", " ")


def test_item7_one_symbol_running_past_the_others_does_not_break_the_universe(home, tmp_path,
                                                                             capsys):
    """An imported symbol whose bars go on 60 days after the universe's: the panel ends at the
    universe's last day, with a note, instead of fit windows that hold one stock."""
    dates = pd.bdate_range(home[1][-1] - pd.Timedelta(days=400), periods=340)
    late = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "symbol": "LATE",
                         "close": 20.0 * np.cumprod(1 + np.random.default_rng(3).normal(
                             0, 0.01, len(dates)))})
    csv = tmp_path / "late.csv"
    late.to_csv(csv, index=False)
    assert main(["data", "import", str(csv), "--universe", "LATEONE"]) == 0
    assert dates[-1] > home[1][-1] + pd.Timedelta(days=60)
    capsys.readouterr()
    assert main(["discover", "--universe", "PITX,LATE", "-k", "3", "--lookback", "126",
                 "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.replace("\n", " ")
    assert f"the panel ends {home[1][-1]:%Y-%m-%d}" in out and "LATE" in out
    returns = pd.read_csv(tmp_path / "factor_returns.csv", index_col=0)
    assert returns.index[-1] == f"{home[1][-1]:%Y-%m-%d}"
