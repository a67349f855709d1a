"""Walk-forward: planted-factor recovery, noise verdict, no look-ahead, seeds, fold layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.errors import UserError
from equity_factors.optimize.walkforward import single_fit, walk_forward

PLANTED = "F03"


def _factors(seed: int, n_days: int, planted: bool, k: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = rng.normal(0.0, 0.01, (n_days, k))
    if planted:
        # One profitable factor: daily mean 0.08%, vol 0.6% (annualized Sharpe ~2.1).
        data[:, 3] = rng.normal(0.0008, 0.006, n_days)
    return pd.DataFrame(
        data,
        index=pd.bdate_range("2018-01-01", periods=n_days),
        columns=[f"F{i:02d}" for i in range(k)],
    )


@pytest.fixture(scope="module")
def planted():
    # Two years of training per fold: enough for a Sharpe-2 factor to stand out of 11 noise ones.
    return _factors(1, 504 + 6 * 30, planted=True)


@pytest.fixture(scope="module")
def noise():
    return _factors(2, 90 + 6 * 30, planted=False)


@pytest.mark.parametrize(
    ("technique", "search", "n_trials"),
    [("bayesian", "blend", 40), ("gradient", "direct", 60)],
)
def test_walk_forward_finds_the_planted_factor(planted, technique, search, n_trials):
    res = walk_forward(
        planted, 504, 30, technique=technique, search=search, n_trials=n_trials, random_state=3
    )
    top = res.weights.abs().idxmax(axis=1)
    assert (top == PLANTED).mean() >= 5 / 6
    assert res.average_weights.abs().idxmax() == PLANTED
    assert res.average_weights.abs().sum() == pytest.approx(1.0)


def test_noise_verdict_says_overfit(noise):
    res = walk_forward(noise, 90, 30, technique="gradient", search="direct", n_trials=60,
                       random_state=0)
    rep = res.report
    assert rep.status == "likely_overfit"
    assert rep.verdict.startswith("likely overfit")
    assert rep.in_sample_sharpe > 2 * max(rep.out_of_sample_sharpe, 0)
    complete = [f for f in res.folds if not f.partial]
    assert rep.n_trials == sum(f.optimization.n_trials for f in complete)
    assert len(rep.folds) == len(complete) == 6
    # 90 + 6 x 30 rows: the trailing fold trained up to the last row and has no test day yet
    last = res.folds[-1]
    assert last.partial and last.test_start is None and last.train_end == noise.index[-1]


def test_no_look_ahead(planted):
    kwargs = dict(technique="bayesian", n_trials=15, random_state=5)
    data = planted.iloc[: 120 + 5 * 30]
    base = walk_forward(data, 120, 30, **kwargs)
    cut = 2  # alter everything after fold 2's train window
    end = base.folds[cut].train_end
    altered = data.copy()
    after = altered.index > end
    altered.loc[after] = np.random.default_rng(99).normal(0, 0.03, (after.sum(), data.shape[1]))
    moved = walk_forward(altered, 120, 30, **kwargs)
    for f in range(cut + 1):
        pd.testing.assert_series_equal(base.folds[f].weights, moved.folds[f].weights)
        assert base.folds[f].in_sample_sharpe == moved.folds[f].in_sample_sharpe
    assert not base.weights.iloc[cut + 1 :].equals(moved.weights.iloc[cut + 1 :])


def test_seeded_walk_forward_is_reproducible(noise):
    a = walk_forward(noise, 90, 60, technique="bayesian", n_trials=12, random_state=4)
    b = walk_forward(noise, 90, 60, technique="bayesian", n_trials=12, random_state=4)
    pd.testing.assert_frame_equal(a.weights, b.weights)
    pd.testing.assert_series_equal(a.out_of_sample_returns, b.out_of_sample_returns)
    assert a.report.verdict == b.report.verdict


def test_fold_layout_and_stitching(noise):
    ticks = []
    res = walk_forward(noise, 90, 40, technique="differential", n_trials=20, random_state=1,
                       callback=lambda i, n: ticks.append((i, n)))
    n_folds = int(np.ceil((len(noise) - 90) / 40))
    assert len(res.folds) == n_folds
    assert [f.partial for f in res.folds] == [False] * (n_folds - 1) + [True]
    # Every row after the first train window is out of sample exactly once, in order; the
    # trailing partial fold's rows are kept in the fold, out of the stitched statistics.
    partial = res.folds[-1]
    stitched = res.out_of_sample_returns.index.append(partial.out_of_sample_returns.index)
    assert stitched.equals(noise.index[90:])
    assert len(partial.out_of_sample_returns) == (len(noise) - 90) % 40
    for f in res.folds:
        assert f.test_start > f.train_end
        assert noise.index.get_loc(f.test_start) == noise.index.get_loc(f.train_end) + 1
        expected = (noise.loc[f.test_start : f.test_end] @ f.weights).to_numpy()
        np.testing.assert_allclose(f.out_of_sample_returns.to_numpy(), expected)
    assert res.folds[-1].test_end == noise.index[-1]
    assert ticks[-1] == (n_folds * 20, n_folds * 20)
    assert all(b[0] >= a[0] for a, b in zip(ticks, ticks[1:]))
    table = res.fold_table()
    assert list(table["n_trials"]) == [f.optimization.n_trials for f in res.folds]
    trials = res.trial_table()
    assert len(trials) == table["n_trials"].sum()
    for f in res.folds:  # the best so far, by a naive loop over the fold's trials
        part = trials[trials["fold"] == f.fold]
        assert list(part["trial"]) == list(range(f.optimization.n_trials))
        np.testing.assert_array_equal(part["objective"], f.optimization.trial_objectives)
        best, running = -np.inf, []
        for v in f.optimization.trial_objectives:
            best = max(best, v) if np.isfinite(v) else best
            running.append(best if np.isfinite(best) else np.nan)
        np.testing.assert_array_equal(part["best_so_far"], running)
        assert part["best_so_far"].iloc[-1] == f.optimization.objective_value
    assert [c for c in trials.columns if ":" in c] == [f"method:{m}" for m in
                                                      ("sharpe", "momentum", "risk_parity")]


def test_single_fit_is_in_sample_only(noise):
    res = single_fit(noise, lookback=120, technique="gradient", n_trials=30, random_state=0)
    assert res.mode == "single_fit"
    assert len(res.folds) == 1
    assert res.folds[0].train_start == noise.index[-120]
    assert res.out_of_sample_returns.empty
    assert not res.report.out_of_sample
    assert res.report.status in ("in_sample_only", "likely_overfit")
    pd.testing.assert_series_equal(res.average_weights, res.folds[0].weights.rename("weight"))
    assert res.summary()["mode"] == "single_fit"


def test_window_errors(noise):
    with pytest.raises(UserError, match="train_window"):
        walk_forward(noise, 5, 30)
    with pytest.raises(UserError, match="at least train_window \\+ test_window"):
        walk_forward(noise, len(noise) - 10, 30)
    with pytest.raises(UserError, match="max_folds"):
        walk_forward(noise, 90, 30, max_folds=0)


def test_new_data_only_adds_folds(noise):
    """Appending 10 days leaves every earlier fold's weights and OOS returns bit-identical."""
    kwargs = dict(technique="bayesian", n_trials=10, random_state=7)
    short = noise.iloc[:-10]
    a = walk_forward(short, 90, 30, **kwargs)
    longer = noise.copy()
    longer.iloc[-10:] = np.random.default_rng(5).normal(0, 0.05, (10, noise.shape[1]))
    b = walk_forward(longer, 90, 30, **kwargs)
    assert [f.fold for f in b.folds[: len(a.folds) - 1]] == [f.fold for f in a.folds[:-1]]
    for fa, fb in zip(a.folds[:-1], b.folds):
        assert not fa.partial
        pd.testing.assert_series_equal(fa.weights, fb.weights, check_exact=True)
        pd.testing.assert_series_equal(fa.out_of_sample_returns, fb.out_of_sample_returns,
                                       check_exact=True)
    # the partial fold of the short run is the same fold, its test window grown by 10 days
    pa, pb = a.folds[-1], b.folds[len(a.folds) - 1]
    assert pa.fold == pb.fold and pa.partial
    pd.testing.assert_series_equal(pa.weights, pb.weights, check_exact=True)
    pd.testing.assert_series_equal(
        pa.out_of_sample_returns, pb.out_of_sample_returns.iloc[: len(pa.out_of_sample_returns)],
        check_exact=True)


def test_max_folds_keeps_the_latest_folds_uncut(noise):
    kwargs = dict(technique="gradient", search="direct", n_trials=10, random_state=2)
    full = walk_forward(noise, 90, 30, **kwargs)
    cut = walk_forward(noise, 90, 30, max_folds=3, **kwargs)
    complete = [f for f in full.folds if not f.partial]
    assert [f.fold for f in cut.folds] == [f.fold for f in complete[-3:]] + [full.folds[-1].fold]
    for fc in cut.folds:
        ff = next(f for f in full.folds if f.fold == fc.fold)
        assert fc.train_start == ff.train_start and fc.test_end == ff.test_end
        pd.testing.assert_series_equal(fc.weights, ff.weights, check_exact=True)


def test_weights_in_force_on_a_date(noise):
    res = walk_forward(noise, 90, 30, technique="gradient", search="direct", n_trials=10,
                       random_state=2)
    f2 = res.folds[2]
    # set at the close of D, for D+1: fold 2 from its train end until fold 3's training
    # (which ends on fold 2's last test day) is complete
    assert res.weights_at(f2.train_end).fold == 2
    assert res.weights_at(f2.test_end - pd.Timedelta(days=1)).fold == 2
    assert res.folds[3].train_end == f2.test_end
    assert res.weights_at(f2.test_end).fold == 3
    with pytest.raises(UserError, match="no fold"):
        res.weights_at(noise.index[10])
    with pytest.raises(UserError, match="lookback"):
        single_fit(noise, lookback=3)
