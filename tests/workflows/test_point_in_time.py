"""Point in time, stage by stage, through the workflow functions the CLI calls.

For every stage: outputs dated up to D are identical (1) when the prices after D change and
(2) when the data ends at D (``end=D``) instead of going on, on a market where some stocks list
30 days before D (so the old whole-period history filter would have moved them in and out) and
one delists after it. DESIGN.md section 5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest, fit_factors

N_DAYS = 760
D_ROW = 640  # D = dates[D_ROW]
N_STOCKS = 36
NEW_LISTINGS = ("NEW1", "NEW2", "NEW3")  # list 30 rows before D


def _market(seed: int = 0):
    """Three planted factors (market, two spreads), t(5) noise, listings and a delisting."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-02", periods=N_DAYS)
    f = rng.normal([0.0003, 0.0002, 0.0], [0.009, 0.005, 0.004], (N_DAYS, 3))
    betas = np.column_stack([rng.uniform(0.6, 1.4, N_STOCKS + 3),
                             rng.normal(0, 1, N_STOCKS + 3), rng.normal(0, 1, N_STOCKS + 3)])
    noise = rng.standard_t(5, (N_DAYS, N_STOCKS + 3)) * 0.008
    returns = f @ betas.T + noise
    names = [f"S{i:02d}" for i in range(N_STOCKS)] + list(NEW_LISTINGS)
    frame = pd.DataFrame(returns, index=dates, columns=names)
    frame.iloc[: D_ROW - 30, N_STOCKS:] = np.nan  # new listings
    frame.iloc[D_ROW + 40:, 0] = np.nan  # S00 delists after D
    return frame


def _bars(returns: pd.DataFrame) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(1)
    out = {}
    for s in returns:
        r = returns[s].dropna()
        close = 40.0 * np.cumprod(1.0 + r.to_numpy())
        gap = rng.normal(0.0, 0.003, len(r))  # the open: a gap from the previous close
        opened = np.r_[close[0], close[:-1]] * (1.0 + gap)
        out[s] = pd.DataFrame({"adj_close": close, "close": close, "open": opened,
                               "volume": rng.integers(200_000, 900_000, len(r)).astype(float)},
                              index=r.index)
    return out


def _store(root, returns: pd.DataFrame) -> Context:
    ctx = Context.create(str(root))
    ctx.store.write_bars(_bars(returns), source="test")
    ctx.store.save_universe("PIT", list(returns.columns), source="test")
    return ctx


@pytest.fixture(scope="module")
def markets(tmp_path_factory):
    """Store A; store B = A with every price after D changed; D."""
    base = _market()
    d = base.index[D_ROW]
    changed = base.copy()
    after = changed.index > d
    changed.loc[after] = changed.loc[after] * -1.7 + 0.004
    a = _store(tmp_path_factory.mktemp("pit_a"), base)
    b = _store(tmp_path_factory.mktemp("pit_b"), changed)
    return a, b, d


def _upto(frame, d):
    return frame.loc[frame.index <= d]


FACTOR_KW = dict(universe="PIT", n_components=3, lookback=126, refit=21, seed=3)


def _three_fits(markets, **kw):
    a, b, d = markets
    req = FactorRequest(**{**FACTOR_KW, **kw})
    full_a = fit_factors(a, req, use_cache=False)
    full_b = fit_factors(b, req, use_cache=False)
    cut = fit_factors(a, FactorRequest(**{**FACTOR_KW, **kw, "end": str(d.date())}),
                      use_cache=False)
    return full_a, full_b, cut, d


METHODS = ["pca", "ica", "nmf", "sparse_pca", "factor", "fundamental",
           pytest.param("autoencoder", marks=pytest.mark.slow)]


@pytest.mark.parametrize("method", METHODS)
def test_discover_factor_returns_and_weights_up_to_d(markets, method):
    if method == "autoencoder":
        pytest.importorskip("torch")
    full_a, full_b, cut, d = _three_fits(markets, method=method)
    ref = _upto(cut.result.factor_returns, d)
    assert ref.notna().any().all()
    for other in (full_a, full_b):
        got = _upto(other.result.factor_returns, d)
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
        hist_ref = cut.result.weights_history
        hist = other.result.weights_history
        hist = hist[hist["fit_date"] <= cut.result.fits["apply_start"].iloc[-1]]
        pd.testing.assert_frame_equal(hist.reset_index(drop=True).astype({"symbol": str}),
                                      hist_ref.reset_index(drop=True).astype({"symbol": str}),
                                      check_exact=True, check_categorical=False)
    # the new listings were in the store before D but count only from their 63rd return
    assert set(NEW_LISTINGS) <= set(cut.panel.dropped)
    assert _upto(full_a.panel.returns[list(NEW_LISTINGS)], d).isna().all().all()


def test_optimize_walk_forward_folds_up_to_d(markets, tmp_path):
    from equity_factors.workflows.optimize import OptimizeRequest, optimize

    a, b, d = markets
    runs = {}
    for name, ctx, end in (("full_a", a, None), ("full_b", b, None), ("cut", a, str(d.date()))):
        req = OptimizeRequest(factors=FactorRequest(**{**FACTOR_KW, "end": end}),
                              technique="bayesian", trials=12, walk_forward=True,
                              train_window=126, test_window=42, max_folds=50, seed=5)
        runs[name] = optimize(ctx, req, argv=["test"], output=tmp_path / f"{name}.json")
    cut = runs["cut"]
    ref_folds = list(cut.result.folds)
    assert ref_folds[-1].partial
    for name in ("full_a", "full_b"):
        folds = {f.fold: f for f in runs[name].result.folds}
        for f in ref_folds:
            g = folds[f.fold]
            assert (g.train_start, g.train_end) == (f.train_start, f.train_end)
            pd.testing.assert_series_equal(g.weights, f.weights, check_exact=True)
            n = len(f.out_of_sample_returns)
            pd.testing.assert_series_equal(g.out_of_sample_returns.iloc[:n],
                                           f.out_of_sample_returns, check_exact=True)
    assert runs["cut"].results["factor_model"]["end"] == str(d.date())


@pytest.fixture(scope="module")
def results_files(markets, tmp_path_factory):
    from equity_factors.workflows.optimize import OptimizeRequest, optimize

    a, b, d = markets
    folder = tmp_path_factory.mktemp("pit_results")
    out = {}
    for name, ctx, end in (("full_a", a, None), ("full_b", b, None), ("cut", a, str(d.date()))):
        req = OptimizeRequest(factors=FactorRequest(**{**FACTOR_KW, "end": end}),
                              technique="gradient", search="direct", trials=10,
                              walk_forward=True, train_window=126, test_window=42, seed=5)
        optimize(ctx, req, argv=["test"], output=folder / f"{name}.json")
        out[name] = folder / f"{name}.json"
    return out


def test_basket_as_of_d_is_the_basket_of_a_run_ending_at_d(markets, results_files, tmp_path):
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.basket import BasketRequest, basket

    a, b, d = markets
    spec = BasketSpec(long_pct=0.2, short_pct=0.2, capital=100_000, net_exposure=0.0)
    made = []
    for ctx, results in ((a, "full_a"), (b, "full_b"), (a, "cut")):
        req = BasketRequest(results=str(results_files[results]), universe="PIT", spec=spec,
                            as_of=str(d.date()))
        made.append(basket(ctx, req, argv=["test"], output=tmp_path / f"{results}.csv"))
    ref = made[-1].basket.positions.reset_index(drop=True)
    assert len(ref) > 0
    for other in made[:2]:
        pd.testing.assert_frame_equal(other.basket.positions.reset_index(drop=True), ref,
                                      check_exact=True)
        pd.testing.assert_series_equal(other.theta, made[-1].theta, check_exact=True)
    assert "in force on" in made[0].theta_note


def test_signals_extremes_and_momentum_up_to_d(markets):
    from equity_factors.signals.extremes import extreme_alerts
    from equity_factors.workflows.signals import (
        ExtremesRequest,
        MomentumRequest,
        extremes,
        momentum,
    )

    a, b, d = markets
    req_cut = FactorRequest(**{**FACTOR_KW, "end": str(d.date())})
    cut = extremes(a, ExtremesRequest(req_cut, threshold=1.0, trade=True), argv=["test"])
    cut_b = extremes(b, ExtremesRequest(req_cut, threshold=1.0, trade=True), argv=["test"])
    pd.testing.assert_frame_equal(cut.result.zscores, cut_b.result.zscores, check_exact=True)
    # the full data's factor returns judged as of D give the same alerts as the run ending at D
    for ctx in (a, b):
        full = fit_factors(ctx, FactorRequest(**FACTOR_KW))
        again = extreme_alerts(full.result.factor_returns.dropna(how="all"), 1.0, trade=True,
                               as_of=d)
        pd.testing.assert_frame_equal(again.alerts, cut.result.alerts, check_exact=True)
        pd.testing.assert_frame_equal(again.zscores, cut.result.zscores, check_exact=True)
    mom_cut = momentum(a, MomentumRequest(req_cut, factor="F1"), argv=["test"]).result.indicators
    for ctx in (a, b):
        mom = momentum(ctx, MomentumRequest(FactorRequest(**FACTOR_KW), factor="F1"),
                       argv=["test"])
        pd.testing.assert_frame_equal(_upto(mom.result.indicators, d), mom_cut,
                                      check_exact=True)


def test_cross_section_with_results_uses_the_fold_in_force(markets, results_files):
    from equity_factors.workflows.signals import CrossSectionRequest, cross_section

    a, b, d = markets
    req = FactorRequest(**{**FACTOR_KW, "end": str(d.date())})
    ranks = []
    for ctx, results in ((a, "full_a"), (b, "full_b"), (a, "cut")):
        out = cross_section(ctx, CrossSectionRequest(req, top_pct=0.2, bottom_pct=0.2,
                                                     results=str(results_files[results])),
                            argv=["test"])
        ranks.append(out.result.ranking.ranking)
    for other in ranks[:2]:
        pd.testing.assert_frame_equal(other, ranks[-1], check_exact=True)


def test_regime_path_up_to_d(markets):
    from equity_factors.workflows.regime import RegimeRequest, detect

    a, b, d = markets
    paths = []
    for ctx, end in ((a, None), (b, None), (a, str(d.date()))):
        req = RegimeRequest(FactorRequest(**{**FACTOR_KW, "end": end}), n_regimes=2,
                            refit_every=126, min_train=252, restarts=2)
        out = detect(ctx, req, argv=["test"])
        paths.append(pd.concat([out.result.probabilities, out.result.labels], axis=1))
    ref = paths[-1]
    assert ref.iloc[:, 0].notna().sum() > 100
    for other in paths[:2]:
        pd.testing.assert_frame_equal(_upto(other, d), ref, check_exact=True)


@pytest.mark.parametrize("strategy,extra", [
    ("basket", {"optimize": True, "trials": 8}),
    ("basket", {"fill": "next-open", "shares": True, "rebalance": "weekly"}),
    ("factor-signals", {}),
    ("regime", {"n_regimes": 2, "regime_min_train": 252, "regime_refit_every": 126,
                "regime_restarts": 2}),
])
def test_backtest_outputs_up_to_d(markets, tmp_path, strategy, extra):
    """Every backtest file's rows dated up to D: the same with prices after D changed and with
    the data ending at D. The rows of the cut run's last (partial) walk are included."""
    from equity_factors.backtest.costs import CostModel
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.backtest import BacktestRequest, backtest

    a, b, d = markets
    outs = []
    for ctx, end in ((a, None), (b, None), (a, str(d.date()))):
        req = BacktestRequest(FactorRequest(**{**FACTOR_KW, "end": end}), strategy=strategy,
                              train_size=126, test_size=42, seed=5,
                              spec=BasketSpec(long_pct=0.2, short_pct=0.2, capital=1e6),
                              costs=CostModel(per_share=0.005, min_commission=1.0,
                                              cash_rate=0.02), **extra)
        outs.append(backtest(ctx, req, argv=["test"]))
    cut = outs[-1]
    assert cut.returns.index[-1] == d and len(cut.returns) > 200
    assert cut.engine.turnover.gt(0).sum() >= 5
    for other in outs[:2]:
        pd.testing.assert_frame_equal(_upto(other.returns, d), cut.returns, check_exact=True)
        pd.testing.assert_frame_equal(_upto(other.attribution, d), cut.attribution,
                                      check_exact=True)
        for name in ("positions", "trades"):
            mine = getattr(cut, name).reset_index(drop=True)
            theirs = getattr(other, name)
            # dated by execution: a close fill on D trades for D+1, which the cut run cannot
            executed = pd.to_datetime(theirs["date"])
            held_by_d = executed <= d if extra.get("fill") == "next-open" else executed < d
            theirs = theirs[held_by_d].reset_index(drop=True)
            pd.testing.assert_frame_equal(theirs, mine, check_exact=True)
        done = cut.walks[~cut.walks["partial"]]
        pd.testing.assert_frame_equal(other.walks.iloc[:len(done)], done, check_exact=True)


def test_sweep_points_up_to_d(markets):
    """Each grid point of ``eqf sweep`` is a backtest run: its daily returns up to D are the same
    with prices after D changed and with the data ending at D (the grid's summary statistics
    cover the whole period, so only the dated rows are compared)."""
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.backtest import BacktestRequest
    from equity_factors.workflows.sweep import SweepRequest, sweep

    a, b, d = markets
    tables = []
    for ctx, end in ((a, None), (b, None), (a, str(d.date()))):
        template = BacktestRequest(FactorRequest(**{**FACTOR_KW, "end": end}), train_size=126,
                                   test_size=42, seed=5,
                                   spec=BasketSpec(long_pct=0.2, short_pct=0.2, capital=1e6))
        out = sweep(ctx, SweepRequest(template, methods=("pca",), ks=(2, 3), lookbacks=(126,)),
                    argv=["test"])
        tables.append([pd.read_csv(ctx.data_dir.root / "runs" / run_id / "backtest_returns.csv",
                                   index_col="date", parse_dates=True)
                       for run_id in out.table["run_id"]])
    for cut in tables[-1]:
        assert cut.index[-1] == d and len(cut) > 200 and cut["net"].abs().gt(0).sum() > 100
    for other in tables[:2]:
        for theirs, mine in zip(other, tables[-1]):
            assert len(theirs) > len(mine)
            pd.testing.assert_frame_equal(_upto(theirs, d), mine, check_exact=True)
