"""The workflow API, command by command: a typed request in, a typed outcome and files out.

What the CLI calls, called directly (the CLI tests stay thin). Each run records its request
whole in ``run.json``, and the record reads back into an equal request.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from equity_factors.data.results import load_results
from equity_factors.optimize import WalkForwardResult
from equity_factors.portfolio import Basket, BasketSpec, BasketSummary
from equity_factors.regime.hmm import RegimeFactorStats, RegimeResult
from equity_factors.signals.extremes import ExtremesResult
from equity_factors.signals.momentum import MomentumResult
from equity_factors.workflows.basket import BasketRequest, basket
from equity_factors.workflows.context import Context
from equity_factors.workflows.discover import DiscoverRequest, discover
from equity_factors.workflows.factors import FactorRequest
from equity_factors.workflows.optimize import OptimizeRequest, optimize
from equity_factors.workflows.regime import RegimeRequest, detect
from equity_factors.workflows.signals import (
    CrossSectionRequest,
    CrossSectionSignals,
    ExtremesRequest,
    MomentumRequest,
    cross_section,
    extremes,
    momentum,
)

FACTORS = FactorRequest(universe="SAMPLE", method="pca", n_components=3, start="2018-01-01",
                        lookback=126)
ARGV = ["tests/workflows"]


@pytest.fixture(scope="module")
def ctx(sample_home):
    return Context.create(str(sample_home))


def _record(outcome) -> dict:
    return json.loads((outcome.run.folder / "run.json").read_text())


@pytest.fixture(scope="module")
def optimized(ctx, tmp_path_factory):
    out = tmp_path_factory.mktemp("wf") / "results.json"
    request = OptimizeRequest(factors=FACTORS, technique="gradient", search="direct", trials=8,
                              walk_forward=True, train_window=63, test_window=21, max_folds=4,
                              namer="offline", seed=3)
    return request, optimize(ctx, request, argv=ARGV, output=out), out


def test_discover(ctx, tmp_path):
    request = DiscoverRequest(FACTORS, namer="offline")
    out = discover(ctx, request, argv=ARGV, output_dir=tmp_path)
    returns = pd.read_csv(tmp_path / "factor_returns.csv", index_col=0, parse_dates=True)
    assert list(returns.columns) == ["F1", "F2", "F3"]
    np.testing.assert_allclose(returns.to_numpy(), out.fit.result.factor_returns.to_numpy(),
                               rtol=1e-7, equal_nan=True)  # written with 8 significant digits
    assert (returns.index == out.fit.result.factor_returns.index).all()
    names = pd.read_csv(tmp_path / "factor_names.csv")
    assert names["namer"].eq("offline").all()
    assert set(out.files) >= {"factor_returns.csv", "factor_summary.csv",
                              "cumulative_factor_returns.png"}
    params = _record(out)["params"]
    assert DiscoverRequest.from_dict({"factors": {k: params[k] for k in FACTORS.to_dict()},
                                      "namer": params["namer"]}) == request


def test_optimize(optimized):
    request, out, path = optimized
    assert isinstance(out.result, WalkForwardResult)
    assert out.result.folds[-1].partial
    data = load_results(path)
    # the results file holds the whole request, read back into the same request
    assert OptimizeRequest.from_dict(data["request"]) == request
    assert OptimizeRequest.from_dict(_record(out)["params"]) == request
    assert data["weights"] == {k: pytest.approx(v) for k, v in
                               out.result.current_weights.items()}
    assert set(out.files) == {"weights", "results", "trials", "names"}


def test_basket(ctx, optimized, tmp_path):
    _, _, path = optimized
    request = BasketRequest(results=str(path), universe="SAMPLE",
                            spec=BasketSpec(long_pct=0.2, short_pct=0.2, capital=50_000))
    out = basket(ctx, request, argv=ARGV, output=tmp_path / "b.csv")
    assert isinstance(out.basket, Basket) and isinstance(out.summary, BasketSummary)
    written = pd.read_csv(tmp_path / "b.csv")
    assert list(written["ticker"]) == list(out.basket.positions["ticker"])
    assert json.loads((tmp_path / "b_summary.json").read_text())["n_long"] == out.summary.n_long
    assert BasketRequest.from_dict(_record(out)["params"]) == request


def test_signals(ctx, optimized, tmp_path):
    _, _, path = optimized
    ex = extremes(ctx, ExtremesRequest(FACTORS, threshold=1.5, trade=True), argv=ARGV,
                  output_dir=tmp_path)
    assert isinstance(ex.result, ExtremesResult)
    assert len(pd.read_csv(tmp_path / "extreme_alerts.csv")) == len(ex.result.alerts)
    assert ExtremesRequest.from_dict(_record(ex)["params"]) == ExtremesRequest(
        FACTORS, threshold=1.5, trade=True)
    mo = momentum(ctx, MomentumRequest(FACTORS, factor="F2"), argv=ARGV, output_dir=tmp_path)
    assert isinstance(mo.result, MomentumResult) and mo.result.signal in ("BUY", "SELL", "HOLD")
    assert (tmp_path / "momentum_F2.png").stat().st_size > 1000
    cs_request = CrossSectionRequest(FACTORS, top_pct=0.2, bottom_pct=0.2, results=str(path))
    cs = cross_section(ctx, cs_request, argv=ARGV, output_dir=tmp_path)
    assert isinstance(cs.result, CrossSectionSignals) and "in force on" in cs.result.basis
    ranking = pd.read_csv(tmp_path / "cross_section_rankings.csv", index_col=0)
    assert np.all(np.diff(ranking["score"].to_numpy()) <= 0)
    assert CrossSectionRequest.from_dict(_record(cs)["params"]) == cs_request


def test_regime(ctx, tmp_path):
    request = RegimeRequest(FACTORS, n_regimes=2, refit_every=252, min_train=252, restarts=1)
    out = detect(ctx, request, argv=ARGV, output_dir=tmp_path)
    assert isinstance(out.result, RegimeResult) and isinstance(out.stats, RegimeFactorStats)
    path = pd.read_csv(tmp_path / "regime_path.csv", index_col=0)
    assert path["regime"].dropna().isin([0, 1]).all()
    assert RegimeRequest.from_dict(_record(out)["params"]) == request


def test_optimize_ending_on_a_fold_boundary(ctx, tmp_path):
    """Data ending exactly where a fold's training ends: that fold has no test day yet, is
    recorded with null test dates, and its weights are the ones in force."""
    from equity_factors.workflows.factors import fit_factors

    index = fit_factors(ctx, FACTORS).result.factor_returns.dropna(how="all").index
    end = index[63 + 3 * 21 - 1]  # train 63 + 3 test windows of 21: fold 3 trains to the end
    request = OptimizeRequest(factors=FactorRequest(**{**FACTORS.to_dict(),
                                                      "end": str(end.date())}),
                              technique="gradient", search="direct", trials=5,
                              walk_forward=True, train_window=63, test_window=21, seed=1)
    out = optimize(ctx, request, argv=ARGV, output=tmp_path / "r.json")
    last = load_results(tmp_path / "r.json")["folds"][-1]
    assert last["partial"] and last["test_start"] is None and last["test_end"] is None
    assert last["train_end"] == str(end.date())
    assert out.results["weights"] == last["weights"]
