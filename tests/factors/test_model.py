"""fit_factor_model: naive oracle, no look-ahead, scale, identity tracking, edge cases."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import subspace_angles

from equity_factors.errors import ConvergenceWarning, UserError
from equity_factors.factors import PCAFactors, fit_factor_model

LOOKBACK, REFIT = 60, 15


def _naive_rolling_pca(returns: pd.DataFrame, k: int, lookback: int, refit: int,
                       min_coverage: float) -> pd.DataFrame:
    """DESIGN.md section 6 written as plainly as possible (pandas, brute-force matching)."""
    returns = returns.dropna(how="all")
    out = []
    prev = None
    for p in range(lookback, len(returns), refit):
        window = returns.iloc[p - lookback:p]
        window = window.loc[:, window.notna().sum() >= min_coverage * lookback]
        loadings = PCAFactors(n_factors=k).fit(window).loadings_  # each column sums > 0
        w = loadings / loadings.abs().sum()
        if prev is not None:
            common = prev.index.intersection(w.index)
            a, b = prev.loc[common], w.loc[common]
            cos = (a.T @ b) / np.outer(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0))
            best = max(itertools.permutations(range(k)),
                       key=lambda perm: sum(abs(cos.iloc[j, perm[j]]) for j in range(k)))
            cols = [w.columns[best[j]] for j in range(k)]
            signs = [np.sign(cos.iloc[j, best[j]]) for j in range(k)]
            w = pd.DataFrame({prev.columns[j]: w[cols[j]] * signs[j] for j in range(k)})
        block = returns.iloc[p:p + refit][w.index].fillna(0.0)
        out.append(block @ w)
        prev = w
    return pd.concat(out)


def test_rolling_pca_matches_naive_implementation(small_panel) -> None:
    res = fit_factor_model(small_panel, "pca", 3, lookback=LOOKBACK, refit=REFIT)
    naive = _naive_rolling_pca(small_panel, 3, LOOKBACK, REFIT, 0.9)
    assert res.factor_returns.index.equals(naive.index)
    np.testing.assert_allclose(res.factor_returns.to_numpy(), naive.to_numpy(),
                               rtol=1e-9, atol=1e-12)


def _replace_after(returns: pd.DataFrame, cut: int, seed: int) -> pd.DataFrame:
    noisy = returns.copy()
    rng = np.random.default_rng(seed)
    tail = rng.normal(0.0, 0.05, size=(len(returns) - cut, returns.shape[1]))
    noisy.iloc[cut:] = np.where(returns.iloc[cut:].isna(), np.nan, tail)
    return noisy


_ICA = {"max_iter": 100}  # a 60-day window rarely converges; the cap keeps the test quick


@pytest.fixture(scope="module")
def rolling_base(small_panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {m: fit_factor_model(small_panel, m, 3, lookback=LOOKBACK, refit=REFIT,
                                    random_state=0, **(_ICA if m == "ica" else {}))
                for m in ("pca", "ica")}


@pytest.mark.filterwarnings("ignore::equity_factors.errors.ConvergenceWarning")
@settings(max_examples=8, deadline=None)
@given(cut=st.integers(LOOKBACK + 1, 259), method=st.sampled_from(["pca", "ica"]))
def test_no_look_ahead_rolling(small_panel, rolling_base, cut: int, method: str) -> None:
    base = rolling_base[method]
    noisy = fit_factor_model(_replace_after(small_panel, cut, cut), method, 3,
                             lookback=LOOKBACK, refit=REFIT, random_state=0,
                             **(_ICA if method == "ica" else {}))
    date = small_panel.index[cut]
    before = base.factor_returns.index < date
    assert before.sum() == cut - LOOKBACK
    # bit-identical, not merely close
    assert np.array_equal(base.factor_returns[before].to_numpy(),
                          noisy.factor_returns[before].to_numpy())
    hist_a = base.weights_history[base.weights_history["fit_date"] <= date]
    hist_b = noisy.weights_history[noisy.weights_history["fit_date"] <= date]
    pd.testing.assert_frame_equal(hist_a.reset_index(drop=True), hist_b.reset_index(drop=True))
    # and the future did change something (the test can fail)
    assert not base.factor_returns[~before].equals(noisy.factor_returns[~before])


def test_weights_history_reproduces_factor_returns(small_panel) -> None:
    res = fit_factor_model(small_panel, "pca", 3, lookback=LOOKBACK, refit=REFIT)
    for _, fit in res.fits.iterrows():
        w = res.weights_at(fit["apply_start"])
        np.testing.assert_allclose(w.abs().sum().to_numpy(), 1.0, rtol=1e-12)  # unit gross
        period = small_panel.loc[fit["apply_start"]:fit["apply_end"], w.index].fillna(0.0)
        np.testing.assert_allclose((period @ w).to_numpy(),
                                   res.factor_returns.loc[period.index].to_numpy(), atol=1e-15)
    pd.testing.assert_frame_equal(res.weights_at(res.fits["apply_start"].iloc[-1]),
                                  res.weights.rename_axis("symbol"), check_names=False)
    with pytest.raises(UserError, match="no factor weights in force"):
        res.weights_at(small_panel.index[0])


@pytest.mark.parametrize("method", ["pca", "ica", "nmf", "sparse_pca", "factor"])
def test_factor_volatility_is_that_of_a_stock_portfolio(make_planted, method: str) -> None:
    # realistic scale: market 1 %/day, three styles 0.4-0.6 %/day, stock-specific 2 %/day
    p = make_planted(n_stocks=150, n_days=500, n_factors=4, seed=11,
                     factor_vol=(0.010, 0.006, 0.005, 0.004), idio_vol=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fit_factor_model(p.returns, method, 4, lookback=250, refit=50, random_state=0)
    vol = res.factor_returns.std()
    assert ((vol > 0.001) & (vol < 0.05)).all(), vol
    gross = res.weights_history.assign(a=lambda d: d["weight"].abs()).groupby(
        ["fit_date", "factor"], observed=True)["a"].sum()
    np.testing.assert_allclose(gross.to_numpy(), 1.0, rtol=1e-12)


def test_identity_is_tracked_through_a_variance_swap_and_universe_changes() -> None:
    # Factors 2 and 3 swap variance half-way, so PCA's variance order swaps too; a few stocks
    # delist and a few list between refits. Tracking must keep F2 = planted factor 2.
    rng = np.random.default_rng(21)
    n, t = 120, 800
    load = rng.normal(size=(n, 3))
    load[:, 0] = 1.0 + 0.3 * rng.normal(size=n)
    vol = np.tile([0.010, 0.007, 0.0035], (t, 1))
    vol[t // 2:, 1:] = [0.0035, 0.007]
    f = rng.standard_t(5, size=(t, 3)) / np.sqrt(5 / 3) * vol
    r = f @ load.T + rng.standard_t(5, size=(t, n)) / np.sqrt(5 / 3) * 0.01
    frame = pd.DataFrame(r, index=pd.bdate_range("2015-01-01", periods=t),
                         columns=[f"S{i:03d}" for i in range(n)])
    frame.iloc[300:, :5] = np.nan  # delist
    frame.iloc[:450, 5:10] = np.nan  # list late
    res = fit_factor_model(frame, "pca", 3, lookback=200, refit=20)
    assert res.fits["n_assets"].nunique() > 1  # the universe did change
    hist = res.weights_history
    first_sign = None
    prev = None
    for fit_date in res.fits["apply_start"]:
        w = res.weights_at(fit_date)
        planted = load[[frame.columns.get_loc(s) for s in w.index]]
        cos = np.array([w.iloc[:, j] @ planted[:, j] / np.linalg.norm(w.iloc[:, j])
                        / np.linalg.norm(planted[:, j]) for j in range(3)])
        first_sign = np.sign(cos) if first_sign is None else first_sign
        assert (cos * first_sign > 0.8).all(), (fit_date, cos)  # same factor, same sign
        if prev is not None:  # consecutive fits agree in sign over their common stocks
            common = prev.index.intersection(w.index)
            assert (np.sum(prev.loc[common].to_numpy() * w.loc[common].to_numpy(), axis=0)
                    > 0).all()
        prev = w
    assert first_sign[0] > 0  # the market factor is long
    assert res.stability.iloc[1:].min().min() > 0.8
    # the variance order did swap: without tracking F2 and F3 would have changed places
    first = fit_factor_model(frame.iloc[:200 + 20], "pca", 3, lookback=200, refit=20)
    assert first.explained_variance_ratio["F2"] > first.explained_variance_ratio["F3"]
    assert res.explained_variance_ratio["F3"] > res.explained_variance_ratio["F2"]
    assert len(hist) > 0


def test_permuting_stocks_permutes_weights(small_panel) -> None:
    perm = np.random.default_rng(2).permutation(small_panel.shape[1])
    a = fit_factor_model(small_panel, "pca", 3, lookback=LOOKBACK, refit=REFIT)
    b = fit_factor_model(small_panel.iloc[:, perm], "pca", 3, lookback=LOOKBACK, refit=REFIT)
    np.testing.assert_allclose(b.factor_returns.to_numpy(), a.factor_returns.to_numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(b.loadings.loc[a.loadings.index].to_numpy(),
                               a.loadings.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(b.weights.loc[a.weights.index].to_numpy(),
                               a.weights.to_numpy(), atol=1e-12)


def test_in_sample_mode_is_one_fit_over_everything(small_panel) -> None:
    res = fit_factor_model(small_panel, "pca", 3, mode="In-Sample", min_coverage=0.5)
    assert res.mode == "in-sample" and res.lookback is None and res.refit is None
    assert len(res.fits) == 1 and res.stability.isna().all().all()
    assert res.factor_returns.index.equals(small_panel.index)
    expected = small_panel[res.weights.index].fillna(0.0) @ res.weights
    np.testing.assert_allclose(res.factor_returns.to_numpy(), expected.to_numpy(), atol=1e-15)
    assert (res.weights.sum() > 0).all()  # deterministic orientation


def test_drop_counts_and_reasons(make_planted) -> None:
    r = make_planted(n_stocks=20, n_days=120, n_factors=2, seed=4).returns.copy()
    r["LATE"] = r.iloc[:, 0]
    r.iloc[:50, r.columns.get_loc("LATE")] = np.nan  # 10 of the first window's 60 days
    r["FLAT"] = 0.0
    r["HOLES"] = r.iloc[:, 1]
    r.iloc[::8, r.columns.get_loc("HOLES")] = np.nan  # 12.5 % missing: below 90 % coverage
    r["NEVER"] = np.nan
    res = fit_factor_model(r, "pca", 2, lookback=60, refit=30)
    first = res.fits.iloc[0]
    assert first["n_assets"] == 20
    assert first["n_dropped_coverage"] == 2  # LATE, HOLES (NEVER was not listed: not dropped)
    assert first["n_dropped_constant"] == 1  # FLAT
    assert first["n_dropped"] == 3
    assert "FLAT" not in res.weights.index and "NEVER" not in res.weights.index
    loose = fit_factor_model(r, "pca", 2, lookback=60, refit=30, min_coverage=0.8)
    assert loose.fits.iloc[0]["n_dropped_coverage"] == 1  # HOLES now passes; LATE does not


def test_a_day_without_any_return_is_not_a_trading_day(small_panel) -> None:
    holiday = pd.DataFrame(np.nan, index=[small_panel.index[100] + pd.Timedelta(hours=12)],
                           columns=small_panel.columns)
    with_holiday = pd.concat([small_panel, holiday]).sort_index()
    a = fit_factor_model(small_panel, "pca", 3, lookback=LOOKBACK, refit=REFIT)
    b = fit_factor_model(with_holiday, "pca", 3, lookback=LOOKBACK, refit=REFIT)
    pd.testing.assert_frame_equal(a.factor_returns, b.factor_returns, check_freq=False)


def test_too_many_factors_is_a_user_error(small_panel) -> None:
    with pytest.raises(UserError) as info:
        fit_factor_model(small_panel.iloc[:, 2:8], "pca", 6, lookback=LOOKBACK, refit=REFIT)
    message = str(info.value)
    assert "k=6" in message and "has 6" in message and "lower n_factors" in message
    assert "\n" not in message
    # the CLI names the flag instead of the parameter
    assert "lower -k" in info.value.with_flags(lambda scope, name: {"n_factors": "-k"}.get(
        name, name))
    with pytest.raises(UserError, match="more than lookback=300"):
        fit_factor_model(small_panel, "pca", 3, lookback=300)


def test_rolling_non_convergence_warns_once_and_returns_a_result(small_panel) -> None:
    with pytest.warns(ConvergenceWarning) as record:
        res = fit_factor_model(small_panel, "ica", 3, lookback=LOOKBACK, refit=REFIT,
                               random_state=0, max_iter=2)
    messages = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    assert len(messages) == 1
    n = len(res.fits)
    assert f"in {n} of {n} fits" in messages[0] and "raise max_iter" in messages[0]
    assert res.warnings == (messages[0],)
    assert not res.fits["converged"].any() and (res.fits["n_iter"] == 2).all()
    assert res.factor_returns.notna().all().all()


def test_all_zero_sparse_factor_warns_and_earns_zero(small_panel) -> None:
    with pytest.warns(ConvergenceWarning, match="all-zero loadings.*lower the penalty"):
        res = fit_factor_model(small_panel, "sparse_pca", 3, lookback=LOOKBACK, refit=REFIT,
                               alpha=1e6)
    assert (res.weights.abs().sum() == 0).all()
    assert (res.factor_returns == 0).all().all()


def test_bad_options_are_user_errors(small_panel) -> None:
    with pytest.raises(UserError, match="unknown mode 'walk'; choose one of: rolling, in-sample"):
        fit_factor_model(small_panel, "pca", 3, mode="walk")
    with pytest.raises(UserError, match="fundamental method only"):
        fit_factor_model(small_panel, "pca", 3, characteristics={})
    with pytest.raises(UserError, match="min.coverage"):
        fit_factor_model(small_panel, "pca", 3, min_coverage=1.5)
    with pytest.raises(UserError, match="unknown factor method 'svd'"):
        fit_factor_model(small_panel, "svd", 3)


@pytest.mark.filterwarnings("ignore::equity_factors.errors.ConvergenceWarning")
def test_same_seed_same_result(small_panel) -> None:
    a = fit_factor_model(small_panel, "ICA", 3, lookback=LOOKBACK, refit=REFIT, random_state=5,
                         max_iter=100)
    b = fit_factor_model(small_panel, "ica", 3, lookback=LOOKBACK, refit=REFIT, random_state=5,
                         max_iter=100)
    pd.testing.assert_frame_equal(a.factor_returns, b.factor_returns, check_freq=False)
    assert a.method == "ica" and a.random_state == 5


def test_summary_lists_holdings(small_panel) -> None:
    res = fit_factor_model(small_panel, "pca", 3, lookback=LOOKBACK, refit=REFIT)
    summary = res.summary()
    assert list(summary.index) == ["F1", "F2", "F3"]
    np.testing.assert_allclose(summary["gross"], 1.0)
    top = res.weights["F1"].idxmax()
    assert summary.loc["F1", "top"].startswith(f"{top}:")
    assert summary["mean_stability"].between(0, 1).all()


def test_pca_recovers_the_synthetic_markets_factors() -> None:
    synthetic = pytest.importorskip("equity_factors.data.synthetic")
    market = synthetic.simulate_market(synthetic.SyntheticConfig(n_stocks=500, n_days=1260))
    truth = market.truth
    returns = truth.returns
    k = len(truth.factor_names)  # 16 planted: market, 11 sectors, 4 styles
    res = fit_factor_model(returns, "pca", k, lookback=252, refit=21)
    fit = res.fits.iloc[-1]
    symbols = res.loadings.index
    window = returns.loc[fit["fit_start"]:fit["fit_end"], symbols]
    sd = window.std().to_numpy()
    # The planted common component of the window's returns, loadings as of each day.
    common = np.zeros(window.shape)
    blocks = np.searchsorted(truth.refresh_dates, window.index, side="right") - 1
    for b in np.unique(blocks):
        rows = np.flatnonzero(blocks == b)
        loadings = truth.loadings_at(window.index[rows[0]]).reindex(symbols).fillna(0.0)
        common[rows] = truth.factor_returns.loc[window.index[rows]].to_numpy() @ \
            loadings.to_numpy().T
    common = np.where(window.isna(), 0.0, (common - common.mean(axis=0)) / sd)
    q, _ = np.linalg.qr(res.loadings.to_numpy())
    share = np.linalg.norm(q.T @ common.T) ** 2 / np.linalg.norm(common) ** 2
    # The 16 PCA loadings capture over 90 % of the planted common variance (random 16-dim
    # subspaces of 500 stocks: about 3 %); see the report for why a per-direction angle bound
    # is not attainable here (small sectors sit at the noise edge of a 252-day window).
    assert share > 0.9
    beta = truth.static_loadings.loc[symbols, "market"].to_numpy() / sd
    assert np.degrees(subspace_angles(res.loadings.to_numpy(), beta[:, None])).max() < 8.0


def test_callback_counts_the_windows_and_changes_nothing(small_panel, rolling_base) -> None:
    calls: list[tuple[int, int]] = []
    result = fit_factor_model(small_panel, "pca", 3, lookback=LOOKBACK, refit=REFIT,
                              random_state=0, callback=lambda i, n: calls.append((i, n)))
    n_windows = len(range(LOOKBACK, len(small_panel), REFIT))
    assert n_windows == len(result.fits) > 1
    assert calls == [(i, n_windows) for i in range(1, n_windows + 1)]
    pd.testing.assert_frame_equal(result.factor_returns, rolling_base["pca"].factor_returns)
    one: list[tuple[int, int]] = []
    fit_factor_model(small_panel, "pca", 3, mode="in-sample",
                     callback=lambda i, n: one.append((i, n)))
    assert one == [(1, 1)]
