"""name_factors on the bundled sample through the store: inputs, table, stability across refits."""

from __future__ import annotations

import pandas as pd
import pytest

from equity_factors.data.ingest import ingest_sample
from equity_factors.factors import portfolio_returns
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest, fit_factors
from equity_factors.workflows.naming import (
    EVIDENCE_DAYS,
    evidence_returns,
    fit_evidence,
    name_factors,
    naming_inputs,
    normalize_namer,
)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    context = Context.create(str(tmp_path_factory.mktemp("naming_workflow_home")))
    ingest_sample(context.store)
    return context


def _fit(ctx, end: str | None = None):
    return fit_factors(ctx, FactorRequest(universe="SAMPLE", method="pca", n_components=4,
                                          start="2015-01-01", end=end))


def test_inputs_come_from_the_store(ctx):
    fit = _fit(ctx)
    inputs = naming_inputs(ctx, fit)
    assert inputs.sectors["AAPL"] == "Information Technology"
    # the sample's reference series stored beside the stocks, and the built spreads
    assert {"market", "SP500", "MTUM", "QUAL", "SIZE", "USMV", "VLUE", "ls_momentum",
            "ls_low_volatility", "ls_beta"} <= set(inputs.references.columns)
    assert inputs.references.index.equals(fit.panel.returns.index)
    assert {"momentum", "low_volatility", "beta"} <= set(inputs.characteristics)
    assert inputs.as_of == fit.panel.returns.index[-1]


def test_rolling_fits_are_described_by_their_latest_weights(ctx):
    """The time-series evidence of a rolling fit is the latest weights on the last year, not
    the factor's long history (whose identity may drift across refits)."""
    fit = _fit(ctx)
    assert fit.result.mode == "rolling"
    got = evidence_returns(fit)
    days = max(fit.result.lookback, EVIDENCE_DAYS)
    want = portfolio_returns(fit.panel.returns.iloc[-days:], fit.result.weights)
    pd.testing.assert_frame_equal(got, want)
    ev = fit_evidence(ctx, fit)
    assert ev[0].n_obs == days and ev[0].reference_corr["market"] > 0.9


def test_offline_table_for_the_sample(ctx):
    fit = _fit(ctx)
    names = name_factors(ctx, fit, "Offline")
    assert list(names["factor"]) == ["F1", "F2", "F3", "F4"]
    assert names.at[0, "name"] == "Market beta"  # PC1 of 20 large caps: all long
    assert names.at[0, "best_reference"] in ("market", "SP500")
    assert names.at[0, "corr_market"] > 0.9
    assert (names["namer"] == "offline").all()
    assert names["name"].is_unique
    assert names["confidence"].between(0, 1).all()
    assert names["top_sector_long"].ne("").all()
    again = name_factors(ctx, fit, "offline")
    pd.testing.assert_frame_equal(names, again)  # deterministic


def test_names_survive_a_monthly_refit(ctx):
    """A rolling fit one month later: factors whose evidence did not change materially keep
    their earlier (here hand-written) names."""
    before = name_factors(ctx, _fit(ctx, "2022-09-30"), "offline")
    before["name"] = ["Broad market", "Oil over tech", "Oil over staples", "Pharma vs food"]
    after = name_factors(ctx, _fit(ctx, "2022-10-31"), "offline", previous=before)
    assert after["kept_previous"].all()
    assert list(after["name"]) == list(before["name"])
    fresh = name_factors(ctx, _fit(ctx, "2022-10-31"), "offline")
    assert list(fresh["name"]) != list(before["name"])


def test_unknown_namer():
    from equity_factors.errors import UserError

    assert normalize_namer(" LLM ") == "llm"
    with pytest.raises(UserError, match="auto, offline, llm"):
        normalize_namer("gpt")


def test_cli_runs_keep_names_from_the_previous_run(sample_home, monkeypatch, tmp_path, capsys):
    """A second discover run on the same universe and method reuses the earlier names."""
    from equity_factors.cli.main import main

    monkeypatch.setenv("EQF_HOME", str(sample_home))
    args = ["discover", "--universe", "SAMPLE", "-k", "4", "--start", "2015-01-01",
            "--name-factors", "--namer", "offline"]
    assert main(args + ["--output-dir", str(tmp_path / "a")]) == 0
    first = pd.read_csv(tmp_path / "a" / "factor_names.csv")
    assert not first["kept_previous"].any()
    assert main(args + ["--end", "2022-12-20", "--output-dir", str(tmp_path / "b")]) == 0
    second = pd.read_csv(tmp_path / "b" / "factor_names.csv")
    kept = second[second["kept_previous"]]
    assert len(kept) >= 2  # matched factors whose evidence barely moved keep their names
    for _, row in kept.iterrows():
        assert row["name"] in set(first["name"])
    capsys.readouterr()
