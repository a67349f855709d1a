"""Walk-forward and single-window factor-weight optimization with an overfitting report.

Walk-forward folds lie on a grid anchored to the first usable row: fold j trains on rows
``[j*test, j*test + train)`` of the factor returns and is tested on the next ``test`` rows, so
every row after the first train window is out of sample exactly once, and more data only adds
folds (a fold's rows, seed and study name depend on j alone: past folds stay bit-identical).
A trailing fold whose test window is not complete yet (down to no test day at all: its weights
are the ones in force for the next day) is kept and marked ``partial``; it is left out of the
stitched out-of-sample returns and of the overfitting statistics. Weights of a fold are fitted on
its train rows only and earn the returns of the rows after them (a row's return runs from the
previous close to its close), which keeps every number point in time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from equity_factors._random import SeedLike, derive_seed
from equity_factors.errors import ParameterError, UserError
from equity_factors.metrics import sharpe_ratio
from equity_factors.optimize._fold_cache import optimize_cached
from equity_factors.optimize.overfitting import OverfittingReport, overfitting_report
from equity_factors.optimize.techniques import MIN_TRAIN_ROWS, OptimizationResult
from equity_factors.window_cache import WindowCache

__all__ = ["FoldResult", "FoldTask", "WalkForwardResult", "fold_grid", "run_fold_task",
           "single_fit", "walk_forward"]


@dataclass(frozen=True, eq=False)
class FoldResult:
    """One fold: where it trained, where it was tested, what it chose and how it did.

    Attributes
    ----------
    fold : int
    train_start, train_end : Timestamp
        First and last date of the train window (inclusive).
    test_start, test_end : Timestamp or None
        First and last date of the test window (None for a single fit).
    weights : Series of shape (n_factors,)
    method_blend : Series of shape (n_methods,)
    in_sample_sharpe : float
        Annualized Sharpe of ``weights`` on the train window.
    out_of_sample_sharpe : float
        Annualized Sharpe on the test window (NaN for a single fit or a 1-day window).
    out_of_sample_returns : Series of shape (n_test,)
    optimization : OptimizationResult
    partial : bool
        The test window is shorter than the grid's (the trailing fold); left out of the fold
        statistics.
    """

    fold: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp | None
    test_end: pd.Timestamp | None
    weights: pd.Series
    method_blend: pd.Series
    in_sample_sharpe: float
    out_of_sample_sharpe: float
    out_of_sample_returns: pd.Series
    optimization: OptimizationResult
    partial: bool = False


@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """Result of :func:`walk_forward` (``mode="walk_forward"``) or :func:`single_fit`.

    Attributes
    ----------
    mode : {"walk_forward", "single_fit"}
    folds : tuple of FoldResult
        Complete folds, then the trailing partial one if any (``fold`` is the grid index).
    weights : DataFrame of shape (n_folds, n_factors)
        Each fold's weights, indexed by the grid index.
    average_weights : Series of shape (n_factors,)
        Mean of the complete folds' weights, rescaled to ``sum |w| = 1`` (the fold's weights
        for a single fit). Descriptive only: on a date, the weights in force are those of
        :meth:`weights_at`.
    out_of_sample_returns : Series
        Stitched test-window returns of the complete folds (empty for a single fit).
    report : OverfittingReport
    train_window : int
    test_window : int or None
    """

    mode: Literal["walk_forward", "single_fit"]
    folds: tuple[FoldResult, ...]
    weights: pd.DataFrame
    average_weights: pd.Series
    out_of_sample_returns: pd.Series
    report: OverfittingReport
    train_window: int
    test_window: int | None

    @property
    def current_weights(self) -> pd.Series:
        """The weights in force after the last date: those of the latest fold."""
        return self.folds[-1].weights

    def weights_at(self, date: object) -> FoldResult:
        """The fold in force on ``date``: the latest whose training ended on or before it."""
        ts = pd.Timestamp(date)
        eligible = [f for f in self.folds if f.train_end <= ts]
        if not eligible:
            raise UserError(f"no fold's training ended by {ts:%Y-%m-%d}; the first ended "
                             f"{self.folds[0].train_end:%Y-%m-%d}")
        return eligible[-1]

    def fold_table(self) -> pd.DataFrame:
        """One row per fold: dates, in/out-of-sample Sharpe, trials, objective, partial."""
        return pd.DataFrame(
            [
                {
                    "train_start": f.train_start,
                    "train_end": f.train_end,
                    "test_start": f.test_start,
                    "test_end": f.test_end,
                    "in_sample_sharpe": f.in_sample_sharpe,
                    "out_of_sample_sharpe": f.out_of_sample_sharpe,
                    "n_trials": f.optimization.n_trials,
                    "objective_value": f.optimization.objective_value,
                    "partial": f.partial,
                }
                for f in self.folds
            ],
            index=pd.Index([f.fold for f in self.folds], name="fold"),
        )

    def trial_table(self) -> pd.DataFrame:
        """One row per trial of every fold: ``fold``, ``trial`` (evaluation number within the
        fold, from 0), ``objective`` (NaN where undefined), ``best_so_far`` (the best
        objective up to and including the trial) and the trial's search parameters (columns
        as in :attr:`OptimizationResult.trial_params`)."""
        parts = []
        for f in self.folds:
            o = f.optimization
            values = np.asarray(o.trial_objectives, dtype=float)
            head = pd.DataFrame({"fold": np.full(values.size, f.fold, dtype=np.int64),
                                 "trial": np.arange(values.size, dtype=np.int64),
                                 "objective": values,
                                 "best_so_far": np.fmax.accumulate(values) if values.size
                                 else values})
            params = o.trial_params.reset_index(drop=True)
            if len(params) == values.size and params.shape[1]:
                head = pd.concat([head, params.rename(columns=str)], axis=1)
            parts.append(head)
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["fold", "trial", "objective", "best_so_far"])
        table.columns.name = None
        return table

    def summary(self) -> pd.Series:
        """Headline numbers (mode, folds, trials and the overfitting report's summary)."""
        head = pd.Series(
            {
                "mode": self.mode,
                "n_folds": len(self.folds),
                "train_window": self.train_window,
                "test_window": self.test_window,
            },
            dtype=object,
        )
        return pd.concat([head, self.report.summary()])


def _fold_seed(random_state: SeedLike, fold: int) -> SeedLike:
    if random_state is None:
        return None
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    return derive_seed(int(random_state), "walk_forward", fold)


def _prepare(factor_returns: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(factor_returns, pd.DataFrame):
        raise TypeError("factor_returns must be a DataFrame of shape (n_dates, n_factors)")
    data = factor_returns.astype(float).dropna(how="all")
    if not data.index.is_monotonic_increasing:
        data = data.sort_index()
    return data


@dataclass(frozen=True, eq=False)
class FoldTask:
    """Everything one fold needs, picklable: its rows, seed and optimizer settings.

    A fold is computed by :func:`run_fold_task` from this alone, so folds can run in other
    processes or machines (``walk_forward(map_fn=...)``) with the same result as in this one.
    """

    fold: int
    train: pd.DataFrame
    test: pd.DataFrame | None
    random_state: SeedLike
    study_name: str | None
    periods_per_year: int
    optimize_kwargs: dict[str, Any]
    partial: bool = False
    callback: Callable[[int, int], None] | None = None  # only in this process (serial map)
    window_cache: WindowCache | None = None  # only in this process (serial map)


def run_fold_task(task: FoldTask) -> FoldResult:
    """Optimize one fold's weights on its train rows and apply them to its test rows."""
    ppy = task.periods_per_year
    train_data = task.train
    opt = optimize_cached(
        train_data,
        task.window_cache,
        random_state=task.random_state,
        study_name=task.study_name,
        callback=task.callback,
        periods_per_year=ppy,
        **task.optimize_kwargs,
    )
    if task.test is not None:
        test_data = task.test
        oos = pd.Series(
            test_data.fillna(0.0).to_numpy() @ opt.weights.reindex(test_data.columns).to_numpy(),
            index=test_data.index,
            name="portfolio",
        )
        if len(test_data):
            oos_sr = float(sharpe_ratio(oos, periods_per_year=ppy))
            test_start, test_end = test_data.index[0], test_data.index[-1]
        else:  # the trailing fold trained up to the last row: weights for the next day
            oos_sr, test_start, test_end = np.nan, None, None
    else:
        oos = pd.Series(dtype=float, name="portfolio")
        oos_sr, test_start, test_end = np.nan, None, None
    return FoldResult(
        fold=task.fold,
        train_start=train_data.index[0],
        train_end=train_data.index[-1],
        test_start=test_start,
        test_end=test_end,
        weights=opt.weights,
        method_blend=opt.method_blend,
        in_sample_sharpe=float(sharpe_ratio(opt.in_sample_returns, periods_per_year=ppy)),
        out_of_sample_sharpe=oos_sr,
        out_of_sample_returns=oos,
        optimization=opt,
        partial=task.partial,
    )


def _run_folds(tasks: list[FoldTask], n_trials: int,
               callback: Callable[[int, int], None] | None,
               map_fn: Callable[..., Any] | None) -> list[FoldResult]:
    """Run the fold tasks serially (progress per trial) or through ``map_fn`` (per fold)."""
    total = len(tasks) * n_trials
    if map_fn is None:
        out = []
        for i, task in enumerate(tasks):
            if callback is not None:
                base = i * n_trials

                def fold_callback(done: int, n: int, base: int = base) -> None:
                    callback(base + min(done, n_trials), total)

                task = replace(task, callback=fold_callback)
            out.append(run_fold_task(task))
            if callback is not None:
                callback((i + 1) * n_trials, total)
        return out
    out = []
    for i, result in enumerate(map_fn(run_fold_task, tasks)):
        out.append(result)
        if callback is not None:
            callback((i + 1) * n_trials, total)
    return out


def _collect(
    mode: Literal["walk_forward", "single_fit"],
    folds: list[FoldResult],
    columns: pd.Index,
    train_window: int,
    test_window: int | None,
    periods_per_year: int,
    window_cache: WindowCache | None = None,
) -> WalkForwardResult:
    weights = pd.DataFrame(
        [f.weights.reindex(columns) for f in folds],
        index=pd.Index([f.fold for f in folds], name="fold"),
        columns=columns,
    )
    complete = [f for f in folds if not f.partial] or folds[-1:]
    avg = weights.loc[[f.fold for f in complete]].mean(axis=0)
    gross = avg.abs().sum()
    avg = avg / gross if gross > 0 else pd.Series(1.0 / len(columns), index=columns)
    walk = mode == "walk_forward"
    oos = (
        pd.concat([f.out_of_sample_returns for f in complete]) if walk
        else pd.Series(dtype=float, name="portfolio")
    )
    report = overfitting_report(
        [f.optimization.in_sample_returns for f in complete],
        [f.optimization.trial_returns for f in complete],
        [f.optimization.n_trials for f in complete],
        [f.out_of_sample_returns for f in complete] if walk else None,
        periods_per_year=periods_per_year,
        n_factors=len(columns),
        window_cache=window_cache,
    )
    return WalkForwardResult(
        mode=mode,
        folds=tuple(folds),
        weights=weights,
        average_weights=avg.rename("weight"),
        out_of_sample_returns=oos,
        report=report,
        train_window=train_window,
        test_window=test_window,
    )


def fold_grid(n_rows: int, train_window: int, test_window: int
              ) -> list[tuple[int, slice, slice, bool]]:
    """The walk-forward grid over ``n_rows`` rows, anchored to the first row.

    Returns ``(j, train, test, partial)`` for every fold whose train window fits: fold j trains
    on rows ``[j*test, j*test + train)`` and tests on the next ``test_window`` rows (fewer, down
    to none, for the trailing ``partial`` fold). Appending rows never changes an earlier fold.
    """
    out = []
    for j, s in enumerate(range(0, n_rows - train_window + 1, test_window)):
        stop = s + train_window + test_window
        out.append((j, slice(s, s + train_window), slice(s + train_window, min(stop, n_rows)),
                    stop > n_rows))
    return out


def walk_forward(
    factor_returns: pd.DataFrame,
    train_window: int = 90,
    test_window: int = 30,
    *,
    max_folds: int | None = None,
    random_state: SeedLike = None,
    study_name: str | None = None,
    callback: Callable[[int, int], None] | None = None,
    periods_per_year: int = 252,
    window_cache: WindowCache | None = None,
    map_fn: Callable[..., Any] | None = None,
    **optimize_kwargs: Any,
) -> WalkForwardResult:
    """Optimize weights on each train window and apply them to the following test window.

    Folds lie on the grid of :func:`fold_grid`, anchored to the first row, so new rows only
    add folds; fold j's seed and study name derive from j.

    Parameters
    ----------
    factor_returns : DataFrame of shape (n_dates, n_factors)
        Out-of-sample factor returns (rows that are all NaN are dropped; in a train window rows
        with any NaN are dropped; in a test window a missing factor return counts as 0).
    train_window : int, default 90
        Rows per train window (>= 10).
    test_window : int, default 30
        Rows per test window, and the step between folds.
    max_folds : int, optional
        Keep only the latest ``max_folds`` complete folds of the grid (and the trailing partial
        one); the kept folds are the same ones as without the limit, not a new cut.
    random_state : int, Generator or None
        Each fold gets its own seed derived from it and the fold's grid index.
    study_name : str, optional
        Optuna study name prefix; fold j uses ``f"{study_name}-fold-{j}"``.
    callback : callable(i, n), optional
        Progress over all folds' trials: ``i`` done of ``n = n_folds * n_trials`` (after each
        trial when serial, after each fold with ``map_fn``).
    periods_per_year : int, default 252
    window_cache : WindowCache, optional
        Each fold's result is looked up under its train data's digest, the parameters and the
        fold's seed, so new rows reuse every earlier fold bit for bit. Pass one only when the
        study is the fold's own (no ``storage`` shared with other processes); with
        ``n_jobs > 1`` it is not used.
    map_fn : callable(fn, tasks) -> iterable, optional
        How the folds are run: ``None`` runs them one after the other here; an executor's map
        (e.g. ``equity_factors.distributed.task_map("local", workers=2)``) runs
        :func:`run_fold_task` on each :class:`FoldTask` elsewhere and must yield the results
        in task order. Folds are independent and seeded by their grid index, so the result is
        the same whichever map runs them.
    **optimize_kwargs
        Passed to :func:`~equity_factors.optimize.techniques.optimize_weights` (``technique``,
        ``methods``, ``objective``, ``n_trials``, ``search``, ``long_only``, ``storage``,
        ``n_jobs``, ``max_kept_trials``).

    Returns
    -------
    WalkForwardResult
    """
    if int(train_window) < MIN_TRAIN_ROWS:
        raise ParameterError(
            f"train_window must be at least {MIN_TRAIN_ROWS} days, got {train_window}",
            "train_window", scope="optimizer")
    if int(test_window) < 1:
        raise ParameterError(f"test_window must be at least 1 day, got {test_window}",
                             "test_window", scope="optimizer")
    if max_folds is not None and int(max_folds) < 1:
        raise ParameterError(f"max_folds must be at least 1, got {max_folds}",
                             "max_folds", scope="optimizer")
    train_window, test_window = int(train_window), int(test_window)
    data = _prepare(factor_returns)
    n = len(data)
    grid = fold_grid(n, train_window, test_window)
    complete = [g for g in grid if not g[3]]
    if not complete:
        raise ParameterError(
            f"walk-forward needs at least train_window + test_window = "
            f"{train_window + test_window} days of factor returns, got {n}; shorten the "
            "windows or load more history",
            "train_window", "test_window", scope="optimizer")
    if max_folds is not None:
        complete = complete[-int(max_folds):]
    chosen = complete + [g for g in grid if g[3]]
    n_trials = int(optimize_kwargs.get("n_trials", 200))
    tasks = [
        FoldTask(j, data.iloc[train], data.iloc[test], _fold_seed(random_state, j),
                 f"{study_name}-fold-{j}" if study_name else None, periods_per_year,
                 dict(optimize_kwargs), partial,
                 window_cache=window_cache if map_fn is None else None)
        for j, train, test, partial in chosen
    ]
    folds = _run_folds(tasks, n_trials, callback, map_fn)
    # the folds' PBO is keyed by their trials' content, so the cache serves it on every map
    return _collect("walk_forward", folds, data.columns, train_window, test_window,
                    periods_per_year, window_cache)


def single_fit(
    factor_returns: pd.DataFrame,
    lookback: int | None = None,
    *,
    random_state: SeedLike = None,
    study_name: str | None = None,
    callback: Callable[[int, int], None] | None = None,
    periods_per_year: int = 252,
    **optimize_kwargs: Any,
) -> WalkForwardResult:
    """Optimize weights once on the last ``lookback`` rows (reported as in-sample only).

    Parameters
    ----------
    factor_returns : DataFrame of shape (n_dates, n_factors)
    lookback : int or None, default None
        Number of most recent rows to fit on; None uses all rows.
    random_state, study_name, callback, periods_per_year, **optimize_kwargs
        As in :func:`walk_forward` (the study name is used as given).

    Returns
    -------
    WalkForwardResult with ``mode="single_fit"``, one fold and no out-of-sample returns.
    """
    data = _prepare(factor_returns)
    if lookback is not None:
        if int(lookback) < MIN_TRAIN_ROWS:
            raise ParameterError(f"lookback must be at least {MIN_TRAIN_ROWS} days, got {lookback}",
                                 "lookback", scope="optimizer")
        data = data.iloc[-int(lookback):]
    n_trials = int(optimize_kwargs.get("n_trials", 200))
    task = FoldTask(0, data, None, random_state, study_name, periods_per_year,
                    dict(optimize_kwargs))
    fold = _run_folds([task], n_trials, callback, None)[0]
    return _collect("single_fit", [fold], data.columns, len(data), None, periods_per_year)

