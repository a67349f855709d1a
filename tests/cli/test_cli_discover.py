"""``eqf discover`` end to end on the bundled SAMPLE universe, for every method."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from equity_factors.cli.main import main

METHODS = ["pca", "ICA", "nmf", "sparse_pca", "factor", "fundamental", "autoencoder"]


@pytest.fixture()
def home(sample_home, monkeypatch):
    monkeypatch.setenv("EQF_HOME", str(sample_home))
    return sample_home


@pytest.mark.parametrize("method", METHODS)
def test_discover_every_method(home, tmp_path, capsys, method):
    if method == "autoencoder":
        pytest.importorskip("torch")
    out = tmp_path / "out"
    code = main(["discover", "--symbols", "SAMPLE", "--method", method, "-k", "3",
                 "--start", "2016-01-01", "--lookback", "126", "--refit", "63",
                 "--output-dir", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    returns = pd.read_csv(out / "factor_returns.csv", index_col=0, parse_dates=True)
    assert returns.shape[1] == 3  # fundamental on SAMPLE: momentum, low vol, beta
    assert returns.index[0] >= pd.Timestamp("2016-01-01")
    vol = returns.std()
    assert ((vol > 0.001) & (vol < 0.05)).all(), vol  # a stock portfolio's range, never 500%
    loadings = pd.read_csv(out / "factor_loadings.csv", index_col=0)
    assert len(loadings) == 20
    names = pd.read_csv(out / "factor_names.csv")
    assert list(names.columns[:5]) == ["factor", "name", "description", "confidence", "namer"]
    summary = pd.read_csv(out / "factor_summary.csv", index_col=0)
    for col in ("annualized_return", "annualized_volatility", "sharpe_ratio", "max_drawdown",
                "explained_variance_ratio", "mean_stability", "top", "bottom"):
        assert col in summary.columns
    assert (out / "cumulative_factor_returns.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run_id = captured.out.split("run ", 1)[1].split()[0]
    run_dir = home / "runs" / run_id
    record = json.loads((run_dir / "run.json").read_text())
    assert record["command"] == "discover" and record["data_fingerprint"]
    assert record["params"]["method"] == method.lower()
    assert ((run_dir / "factor_returns.csv").read_bytes()
            == (out / "factor_returns.csv").read_bytes())


def test_weights_are_unit_gross_and_cache_reused(home, tmp_path, capsys):
    args = ["discover", "--universe", "sample", "--method", "pca", "-k", "4", "--start",
            "2018-01-01", "--lookback", "126", "--output-dir", str(tmp_path)]
    assert main(args) == 0
    first = pd.read_csv(tmp_path / "factor_returns.csv", index_col=0)
    capsys.readouterr()
    assert main(args) == 0
    assert "(cached)" in capsys.readouterr().out
    second = pd.read_csv(tmp_path / "factor_returns.csv", index_col=0)
    pd.testing.assert_frame_equal(first, second)
    cache = list((home / "cache" / "factors").glob("*/meta.json"))
    assert cache and not list((home / "cache").rglob("*.pkl"))


@pytest.mark.parametrize("argv, fragment", [
    (["-k", "20"], "-k 20 is not smaller than the 20 usable stocks"),
    (["--method", "magic"], "unknown factor method"),
    (["--lookback", "5000", "--start", "2020-01-01"], "leaves no out-of-sample days"),
    (["--start", "2020-13-01"], "is not a date"),
    (["--universe", "NOPE"], "unknown universe or symbol 'NOPE'"),
])
def test_bad_input(home, tmp_path, capsys, argv, fragment):
    base = ["discover", "--universe", "SAMPLE", "--output-dir", str(tmp_path / "o")]
    code = main(base + argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # nothing half-written
