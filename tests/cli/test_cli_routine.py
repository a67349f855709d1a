"""``eqf routine`` end to end on SAMPLE, and the results cache through the CLI: warm runs and
a corrupt cache give the same files as cold runs; a corrected price refits exactly the windows
that used it; ``clean --cache`` and ``data status``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from equity_factors.cli.main import main

START = "2012-01-01"
RG = ["--start", START, "--min-train", "504"]


@pytest.fixture()
def home(private_sample_home):
    return private_sample_home


def _last_run(home, command):
    runs = sorted(p for p in (home / "runs").iterdir() if p.is_dir() and
                  json.loads((p / "run.json").read_text())["command"] == command)
    return json.loads((runs[-1] / "run.json").read_text())


def _csvs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_routine_end_to_end(home, tmp_path, capsys):
    results = tmp_path / "results.json"
    assert main(["optimize", "--universe", "SAMPLE", "--start", START, "--end", "2022-12-20",
                 "--walk-forward", "--trials", "5", "--max-folds", "3", "-k", "5",
                 "--output", str(results), "--export-weights", str(tmp_path / "w.csv")]) == 0
    day1, day2 = tmp_path / "day1", tmp_path / "day2"
    assert main(["routine", "--universe", "SAMPLE", "--start", START, "--end", "2022-12-20",
                 "--results", str(results), "--output-dir", str(day1)]) == 0
    capsys.readouterr()
    assert main(["routine", "--universe", "SAMPLE", "--start", START, "--end", "2022-12-21",
                 "--results", str(results), "--basket", str(day1 / "trade_basket.csv"),
                 "--output-dir", str(day2)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[0].startswith("data   bundled universe")
    current = json.loads((day2 / "regime_current.json").read_text())
    assert current["date"] == "2022-12-21"
    assert f"regime {current['date']} {current['regime']} ({current['label']})" in out
    for name in ("regime_path.csv", "regime_forecast.csv", "extreme_alerts.csv",
                 "factor_zscores.csv", "long_candidates.csv", "short_candidates.csv",
                 "cross_section_rankings.csv", "trade_basket.csv", "basket_trades.csv",
                 "basket_summary.json", "regime.png"):
        assert (day2 / name).is_file(), name
    # the trades turn yesterday's basket into today's
    trades = pd.read_csv(day2 / "basket_trades.csv")
    old = pd.read_csv(day1 / "trade_basket.csv").set_index("ticker")["shares"]
    new = pd.read_csv(day2 / "trade_basket.csv").set_index("ticker")["shares"]
    t = trades.set_index("ticker")
    assert (t["current_shares"] == old.reindex(t.index).fillna(0)).all()
    assert (t["target_shares"] == new.reindex(t.index).fillna(0)).all()
    assert (t["trade_shares"] == t["target_shares"] - t["current_shares"]).all()
    long = pd.read_csv(day2 / "long_candidates.csv", index_col=0)
    assert " ".join(map(str, long.index[:8])) in out
    # one more day: the earlier windows were reused
    cache = _last_run(home, "regime detect")["cache"]
    assert cache["factors"]["misses"] <= 1 and cache["factors"]["hits"] > 100
    assert cache["regime"]["misses"] == 0
    # the stages wrote what the single commands write
    single = tmp_path / "single"
    assert main(["regime", "detect", "--universe", "SAMPLE", "--start", START, "--end",
                 "2022-12-21", "--output-dir", str(single)]) == 0
    assert main(["signals", "extremes", "--universe", "SAMPLE", "--start", START, "--end",
                 "2022-12-21", "--trade", "--output-dir", str(single)]) == 0
    capsys.readouterr()
    routine_files = _csvs(day2)
    for name, blob in _csvs(single).items():
        assert routine_files[name] == blob, name


def test_routine_refuses_bad_input_before_work(home, tmp_path, capsys):
    assert main(["routine", "--universe", "SAMPLE", "--basket", "yesterday.csv",
                 "--output-dir", str(tmp_path / "o")]) == 2
    assert "needs --results" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _regime(out, end="2022-12-20"):
    return main(["regime", "detect", "--universe", "SAMPLE", *RG, "--end", end,
                 "--output-dir", str(out)])


def _stages(out, end="2022-12-20"):
    """regime detect, signals extremes and cross-section, optimize (walk-forward) into out."""
    period = ["--universe", "SAMPLE", "--start", START, "--end", end]
    codes = [_regime(out, end),
             main(["signals", "extremes", *period, "--trade", "--threshold", "1.0",
                   "--output-dir", str(out)]),
             main(["signals", "cross-section", *period, "--output-dir", str(out)]),
             main(["optimize", *period, "-k", "5", "--walk-forward", "--trials", "5",
                   "--max-folds", "4", "--export-weights", str(out / "optimal_weights.csv"),
                   "--output", str(out / "results.json")])]
    results = json.loads((out / "results.json").read_text())
    for key in ("created_at", "run_id"):
        results.pop(key)
    results["optimization"].pop("study_name")
    (out / "results_stable.json").write_text(json.dumps(results, sort_keys=True))
    return max(codes)


def test_warm_corrupt_and_cold_give_the_same_files(home, tmp_path, capsys):
    assert _stages(tmp_path / "cold") == 0
    assert _stages(tmp_path / "warm") == 0
    assert _last_run(home, "optimize")["cache"]["optimize"]["misses"] == 0
    assert _last_run(home, "regime detect")["cache"]["regime"]["misses"] == 0
    db = home / "cache" / "windows.sqlite"
    blob = db.read_bytes()
    db.write_bytes(blob[: len(blob) // 3] + b"\x00garbage" * 100)  # truncated and overwritten
    for suffix in ("-wal", "-shm"):
        (home / "cache" / f"windows.sqlite{suffix}").unlink(missing_ok=True)
    capsys.readouterr()
    assert _regime(tmp_path / "corrupt") == 0
    err = capsys.readouterr().err
    assert err.count("eqf: warning:") == 1 and "recomputed" in err
    assert _stages(tmp_path / "corrupt") == 0
    capsys.readouterr()
    assert main(["data", "status"]) == 0
    assert "results cache:" in capsys.readouterr().out
    assert main(["clean", "--cache"]) == 0
    assert "window results" in capsys.readouterr().out
    assert not (home / "cache").exists() and (home / "store.sqlite").exists()
    assert _stages(tmp_path / "cold2") == 0
    cold = _csvs(tmp_path / "cold")
    assert {"regime_path.csv", "extreme_alerts.csv", "long_candidates.csv",
            "optimal_weights.csv"} <= set(cold)
    stable = {(tmp_path / d / "results_stable.json").read_text()
              for d in ("cold", "warm", "corrupt", "cold2")}
    assert len(stable) == 1
    assert cold and cold == _csvs(tmp_path / "warm") == _csvs(tmp_path / "corrupt") \
        == _csvs(tmp_path / "cold2")
    assert (tmp_path / "warm" / "regime_current.json").read_bytes() == \
        (tmp_path / "cold" / "regime_current.json").read_bytes()


def test_corrected_price_refits_exactly_the_windows_that_used_it(home, tmp_path, capsys):
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, fit_factors

    assert _regime(tmp_path / "before") == 0
    ctx = Context.create(str(home))
    symbol, day = "AAPL", pd.Timestamp("2016-03-01")
    bars = ctx.store.read_bars(symbol)
    bars.loc[day, "adj_close"] *= 1.03  # a corrected price: the returns of day and the next
    ctx.store.write_bars({symbol: bars}, source=ctx.store.bar_sources([symbol])[symbol])
    assert _regime(tmp_path / "after") == 0
    cache = _last_run(home, "regime detect")["cache"]
    fit = fit_factors(ctx, FactorRequest("SAMPLE", n_components=5, start=START,
                                         end="2022-12-20"), use_cache=False)
    dates = fit.panel.returns.index
    t = dates.get_loc(day)
    touched = {dates[t], dates[t + 1]}
    fits = fit.result.fits
    expected = int(sum(any(a <= d <= b for d in touched)
                       for a, b in zip(fits["fit_start"], fits["fit_end"])))
    assert cache["factors"]["misses"] == expected > 0
    assert cache["factors"]["hits"] == len(fits) - expected
    path = pd.read_csv(tmp_path / "after" / "regime_path.csv", index_col=0, parse_dates=True)
    refit_rows = json.loads((tmp_path / "after" / "regime_current.json").read_text())
    assert refit_rows["date"] == "2022-12-20"
    # every HMM trained on rows up to the change is reused; those trained past it are refitted
    first_feature = path.index[0]
    assert cache["regime"]["misses"] + cache["regime"]["hits"] == len(
        range(504, len(path), 252))
    assert cache["regime"]["misses"] == len([p for p in range(504, len(path), 252)
                                             if path.index[p - 1] >= day]) > 0
    assert first_feature < day
    # and the files equal a cold run on the corrected data
    assert main(["clean", "--cache"]) == 0
    assert _regime(tmp_path / "cold") == 0
    capsys.readouterr()
    assert _csvs(tmp_path / "after") == _csvs(tmp_path / "cold")
    before = pd.read_csv(tmp_path / "before" / "regime_path.csv", index_col=0, parse_dates=True)
    pd.testing.assert_frame_equal(before.loc[: day - pd.Timedelta(days=1)],
                                  path.loc[: day - pd.Timedelta(days=1)])


def test_a_warm_morning_imports_no_scikit_learn_and_no_scipy_stats(home, tmp_path):
    """Imports are most of a shell command's time: on a warm morning (one more day, every fit in
    the cache) ``eqf routine`` and ``eqf regime detect`` load neither scikit-learn nor
    ``scipy.stats``/``scipy.signal`` (together about 3 s here); a cold run does fit."""
    import subprocess
    import sys

    code = ("import sys; from equity_factors.cli.main import main; rc = main(sys.argv[1:]); "
            "print([m for m in ('sklearn', 'scipy.stats', 'scipy.signal') if m in sys.modules]); "
            "raise SystemExit(rc)")

    def run(*argv):
        out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    common = ["--universe", "SAMPLE", "--start", START]
    assert "sklearn" in run("routine", *common, "--end", "2022-12-20",
                            "--output-dir", str(tmp_path / "day1"))
    assert run("routine", *common, "--end", "2022-12-21",
               "--output-dir", str(tmp_path / "day2")) == "[]"
    # the routine's regime stage is this command with 5 factors
    assert run("regime", "detect", *common, "-k", "5", "--end", "2022-12-22",
               "--output-dir", str(tmp_path / "day3")) == "[]"
