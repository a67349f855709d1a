"""``eqf backtest``: the whole strategy walk-forward, with costs, attribution and overfitting.

The walks lie on the grid of :func:`~equity_factors.optimize.walkforward.fold_grid` over the
out-of-sample factor returns, anchored to their first day: walk j trains on ``train_size`` days
and trades the next ``test_size`` days, so the test windows tile the backtest period and new data
only adds walks. Each walk's choices (blend weights, regime allocation) come from its training
window; inside the test window the targets are reset on every rebalance day from data up to the
previous close (:mod:`equity_factors.backtest.strategies`), and the engine
(:func:`~equity_factors.backtest.engine.run_engine`) books the returns, costs and trades.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.backtest.attribution import brinson_fachler, factor_attribution
from equity_factors.backtest.costs import CostModel
from equity_factors.backtest.engine import EngineResult, run_engine
from equity_factors.backtest.strategies import (
    basket_targets,
    factor_signal_states,
    parse_rebalance,
    rebalance_dates,
    regime_change_days,
    regime_targets,
    signal_targets,
)
from equity_factors.backtest.summary import break_even_bps, cost_sweep, tear_sheet
from equity_factors.data.outputs import csv_bytes, json_bytes
from equity_factors.data.panel import Panel, load_panel
from equity_factors.data.runs import Run
from equity_factors.errors import ParameterError, UserError
from equity_factors.metrics import sharpe_ratio
from equity_factors.optimize.overfitting.sharpe import probabilistic_sharpe_ratio, sharpe_moments
from equity_factors.optimize.overfitting.verdict import overfitting_verdict
from equity_factors.optimize.techniques import MIN_TRAIN_ROWS
from equity_factors.optimize.walkforward import fold_grid, walk_forward
from equity_factors.optimize.weighting import compute_weights, resolve_method
from equity_factors.portfolio import BasketSpec
from equity_factors.types import FILLS, STRATEGIES, Strategy
from equity_factors.window_cache import WindowCache
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import (
    FactorRequest,
    fit_factors,
    open_window_cache,
    resolve,
)
from equity_factors.workflows.requests import Request

MEMBERSHIPS = ("point-in-time", "latest")
COST_SWEEP_BPS = (0, 5, 10, 20, 30, 40, 50)
OUTPUT_FILES = ("backtest_returns.csv", "backtest_positions.csv", "backtest_trades.csv",
                "backtest_attribution.csv", "backtest_sector_attribution.csv",
                "backtest_walks.csv", "backtest_summary.json")


@dataclass(frozen=True)
class BacktestRequest(Request):
    """The flags of ``eqf backtest``.

    ``factors`` is the rolling factor model (as in ``discover``); ``spec`` the basket rules of
    ``eqf basket`` (its ``capital`` is the starting equity); ``costs`` the cost model
    (``CostModel.none()`` for ``--costs none``).
    """

    factors: FactorRequest
    strategy: Strategy = "basket"
    train_size: int = 252
    test_size: int = 63
    walks: int | None = None
    optimize: bool = False
    technique: str = "bayesian"
    methods: tuple[str, ...] = ("sharpe", "momentum", "risk_parity")
    objective: str = "sharpe"
    search: str = "blend"
    long_only: bool = False
    trials: int = 200
    rebalance: str = "monthly"
    spec: BasketSpec = field(default_factory=BasketSpec)
    costs: CostModel = field(default_factory=CostModel)
    fill: str = "close"
    shares: bool = False
    benchmark: str | None = None
    membership: str = "point-in-time"
    threshold: float = 2.0
    n_regimes: int = 3
    regime_min_train: int = 504
    regime_refit_every: int = 252
    regime_restarts: int = 3
    seed: int = 42

    def validate(self) -> None:
        """The checks that need no data (one line each, before anything is read)."""
        if self.strategy not in STRATEGIES:
            raise ParameterError(f"unknown strategy {self.strategy!r}; use one of "
                                 f"{', '.join(STRATEGIES)}", "strategy")
        if self.test_size < 1:
            raise ParameterError(f"--test-size must be at least 1 day, not {self.test_size}",
                                 "test_size")
        if self.train_size < MIN_TRAIN_ROWS:
            raise ParameterError(
                f"--train-size {self.train_size} is too short: the optimizer needs at least "
                f"{MIN_TRAIN_ROWS} days of factor returns per walk", "train_size")
        if self.optimize and self.train_size < 2 * MIN_TRAIN_ROWS + 1:
            raise ParameterError(
                f"--train-size {self.train_size} is too short for --optimize: its overfitting "
                f"checks split the window, give at least {2 * MIN_TRAIN_ROWS + 1} days",
                "train_size")
        if self.walks is not None and self.walks < 1:
            raise ParameterError(f"--walks must be at least 1, not {self.walks}", "walks")
        if self.trials < 1:
            raise ParameterError(f"--trials must be at least 1, not {self.trials}", "trials")
        if self.fill not in FILLS:
            raise ParameterError(f"--fill must be close or next-open, not {self.fill!r}", "fill")
        if self.membership not in MEMBERSHIPS:
            raise ParameterError(f"--membership must be point-in-time or latest, not "
                                 f"{self.membership!r}", "membership")
        parse_rebalance(self.rebalance)
        for m in self.methods:
            resolve_method(m)
        if self.shares and self.spec.capital <= 0:
            raise ParameterError("--shares needs a positive --capital", "capital")
        if self.strategy == "regime" and self.n_regimes < 2:
            raise ParameterError(f"--regimes must be at least 2, not {self.n_regimes}",
                                 "n_regimes")


@dataclass(frozen=True)
class Walk:
    walk: int
    train: pd.DatetimeIndex
    test: pd.DatetimeIndex
    partial: bool
    weights: pd.Series
    train_sharpe: float


@dataclass(frozen=True)
class BacktestOutcome:
    request: BacktestRequest
    engine: EngineResult
    returns: pd.DataFrame
    positions: pd.DataFrame
    trades: pd.DataFrame
    walks: pd.DataFrame
    attribution: pd.DataFrame
    sector_attribution: pd.DataFrame
    summary: dict[str, Any]
    run: Run
    files: dict[str, Path] = field(default_factory=dict)
    report: Path | None = None


def _check_benchmark(ctx: Context, benchmark: str | None) -> None:
    if benchmark is None or benchmark.lower() in ("equal", "universe"):
        return
    if ctx.store.coverage([benchmark]).empty and ctx.store.coverage([benchmark.upper()]).empty:
        raise UserError(f"benchmark {benchmark!r} is not stored; fetch it (eqf data fetch "
                        f"--universe {benchmark}) or leave --benchmark out for the "
                        "equal-weighted universe")


def _walk_grid(n_rows: int, request: BacktestRequest) -> list[tuple[int, slice, slice, bool]]:
    """The chosen walks: the latest ``walks`` complete ones of the anchored grid, plus the
    trailing partial walk when it has test days."""
    grid = fold_grid(n_rows, request.train_size, request.test_size)
    complete = [g for g in grid if not g[3]]
    fits = len(complete)
    if request.walks is not None and request.walks > fits:
        raise UserError(
            f"--walks {request.walks} does not fit: {n_rows} days of out-of-sample factor "
            f"returns hold {fits} walks of --train-size {request.train_size} + --test-size "
            f"{request.test_size}; ask for at most {fits}, shorten the windows or widen "
            "--start/--end")
    if fits == 0:
        raise UserError(
            f"{n_rows} days of out-of-sample factor returns hold no walk of --train-size "
            f"{request.train_size} + --test-size {request.test_size}; shorten the windows or "
            "widen --start/--end")
    if request.walks is not None:
        complete = complete[-request.walks:]
    trailing = [g for g in grid if g[3] and g[2].stop > g[2].start]
    return complete + trailing


def _up_front_walks(panel: Panel, request: BacktestRequest) -> None:
    """Refuse too many walks before fitting anything: the factor returns start ``lookback``
    days into the panel, so their length is known from the panel alone."""
    lookback = request.factors.lookback or 0
    n_rows = max(0, len(panel.returns) - lookback)
    _walk_grid(n_rows, request)


class _FactorWeights:
    """Factor-mimicking weights in force on a day (from the rolling fit's history)."""

    def __init__(self, history: pd.DataFrame, factors: list[str]) -> None:
        self.factors = factors
        self.dates = pd.DatetimeIndex(sorted(history["fit_date"].unique()))
        self._groups = {pd.Timestamp(k): g for k, g in history.groupby("fit_date", sort=True)}
        self._cache: dict[pd.Timestamp, pd.DataFrame] = {}

    def fit_date(self, day: pd.Timestamp) -> pd.Timestamp:
        k = int(self.dates.searchsorted(day, side="right")) - 1
        if k < 0:
            raise UserError(f"no factor weights in force on {day:%Y-%m-%d}")
        return self.dates[k]

    def __call__(self, day: pd.Timestamp) -> pd.DataFrame:
        fd = self.fit_date(day)
        if fd not in self._cache:
            self._cache[fd] = self._wide(self._groups[fd])
        return self._cache[fd]

    def _wide(self, part: pd.DataFrame) -> pd.DataFrame:
        """One fit's (symbol, factor, weight) rows as symbols (sorted) x ``factors``, 0 where
        a pair is absent: what ``pivot`` + ``reindex`` + ``fillna(0)`` give, placed by the
        columns' category codes (a pivot of 50,000 text rows costs 12 ms, one per fit in force).
        """
        sym = pd.Categorical(part["symbol"])
        fac = pd.Categorical(part["factor"])
        if (sym.codes < 0).any() or (fac.codes < 0).any():
            raise ValueError("the weights history has a row without a symbol or a factor")
        used = np.unique(sym.codes)
        labels = np.array([str(x) for x in sym.categories[used]], dtype=object)
        order = np.argsort(labels, kind="stable")  # pivot sorts the symbols as text
        row_of = np.empty(len(sym.categories), dtype=np.int64)
        row_of[used[order]] = np.arange(len(used))
        col_of = {f: j for j, f in enumerate(self.factors)}
        fac_col = np.array([col_of.get(str(f), -1) for f in fac.categories], dtype=np.int64)
        rows, cols = row_of[sym.codes], fac_col[fac.codes]
        keep = cols >= 0
        if len(np.unique(rows * len(self.factors) + cols)) != len(part):
            raise ValueError("the weights history has a (fit date, symbol, factor) twice")
        values = np.zeros((len(used), len(self.factors)))
        values[rows[keep], cols[keep]] = part["weight"].to_numpy(dtype=float)[keep]
        values[np.isnan(values)] = 0.0  # a NaN weight pivots to NaN, then filled like a gap
        return pd.DataFrame(values, index=pd.Index(list(labels[order]), name="symbol"),
                            columns=pd.Index(self.factors, name="factor"))

    def sequence(self, days: pd.DatetimeIndex | None = None
                 ) -> list[tuple[pd.Timestamp, pd.DataFrame]]:
        """``(fit_date, W)`` for every fit, or only for the fits in force on one of ``days``
        (the same schedule on those days: a superseded or later fit applies to none of them;
        at SYN5000 x 20 years each W is a pivot of ~50,000 rows, 0.1 s, and there are 234)."""
        dates = self.dates
        if days is not None and len(days) and len(dates):
            which = dates.searchsorted(pd.DatetimeIndex(days), side="right") - 1
            used = np.unique(which[which >= 0])
            dates = dates[used] if used.size else dates[:1]
        return [(d, self(d)) for d in dates]


class Membership:
    """Who is in the universe at the close before a day: the latest holdings snapshot dated
    before the day (the earliest snapshot before it exists), loaded once per snapshot, plus
    ``delisted`` names (symbol -> delisting date) counted in until they delist."""

    def __init__(self, as_of: list[pd.Timestamp], members: list[pd.Index],
                 delisted: dict[str, pd.Timestamp] | None = None) -> None:
        self.as_of = pd.DatetimeIndex(as_of)
        self.members = members
        self.delisted = delisted or {}

    def snapshot(self, day: pd.Timestamp) -> int:
        return max(0, int(self.as_of.searchsorted(pd.Timestamp(day), side="left")) - 1)

    def _extra(self, day: pd.Timestamp) -> list[str]:
        return [s for s, gone in self.delisted.items() if pd.Timestamp(day) <= gone]

    def __call__(self, day: pd.Timestamp) -> pd.Index:
        base = self.members[self.snapshot(day)]
        extra = self._extra(day)
        return base.append(pd.Index(extra)).unique() if extra else base

    def mask(self, days: pd.DatetimeIndex, columns: pd.Index) -> np.ndarray:
        """Boolean (days x columns): member at the close before each day."""
        # set lookups: Index.isin on pandas' text dtype costs ~8 ms a snapshot for 1,000 names
        labels = [str(c) for c in columns]
        per_snapshot = np.array([[c in held for c in labels] for held in
                                 (set(map(str, m)) for m in self.members)],
                                dtype=bool).reshape(len(self.members), len(columns))
        # each day's snapshot as :meth:`snapshot` picks it, for all days in one search
        which = np.maximum(0, self.as_of.searchsorted(pd.DatetimeIndex(days), side="left") - 1)
        out = per_snapshot[which]
        for sym, gone in self.delisted.items():
            if sym in columns:
                out[:, columns.get_loc(sym)] |= np.asarray(days <= gone)
        return out


def _delisted_names(ctx: Context, etf: str, start: str | None) -> dict[str, pd.Timestamp]:
    """Stocks that delisted before the ETF's earliest stored snapshot (so no snapshot can list
    them) and after ``start``, with prices in the store: the survivors' missing dead, as the
    symbol table knows them (Alpha Vantage's LISTING_STATUS, a synthetic market's truth)."""
    dates = ctx.store.holdings_dates(etf)
    if not dates:
        return {}
    info = ctx.store.symbol_info()
    if "delist_date" not in info:
        return {}
    gone = pd.to_datetime(info["delist_date"], errors="coerce")
    keep = gone.notna() & (gone < pd.Timestamp(dates[0]))
    if start:
        keep &= gone > pd.Timestamp(start)
    if "asset_type" in info:
        keep &= info["asset_type"].fillna("Stock").astype(str).str.lower().eq("stock")
    candidates = [str(s) for s in info.index[keep]]
    stored = set(ctx.store.coverage(candidates).index.astype(str)) if candidates else set()
    return {s: gone[s] for s in candidates if s in stored}


def _members(ctx: Context, label: str, membership: str, start: pd.Timestamp,
             delisted: dict[str, pd.Timestamp] | None = None
             ) -> tuple[Membership | None, dict[str, Any]]:
    """The universe's membership through time, and the survivorship note of the summary."""
    etf = next((e for e in ctx.store.etfs() if e.upper() == label.upper()), None)
    if etf is None:
        return None, {"snapshot_as_of": None, "biased": True, "membership": "fixed list",
                      "note": f"{label} has no holdings history: every date uses today's list "
                              "of members, so stocks that left it (delisted, dropped) are "
                              "missing and the results are biased upward"}
    dates = ctx.store.holdings_dates(etf)
    if membership == "latest":
        dates = dates[-1:]
    snaps = [pd.Index(ctx.store.holdings(etf, as_of=d)["symbol"].astype(str)) for d in dates]
    dead = delisted if membership != "latest" else None
    members = Membership([pd.Timestamp(d) for d in dates], snaps, dead)
    if membership == "latest":
        return members, {
            "snapshot_as_of": dates[-1], "biased": True, "membership": "latest",
            "note": f"--membership latest: every date uses the {etf} holdings of {dates[-1]}, "
                    "so stocks that left it are missing (survivorship bias)"}
    if pd.Timestamp(dates[0]) >= start:
        added = (f"; {len(dead)} stocks that delisted before then (the symbol table's "
                 "delistings with stored prices) are counted in until they delist, which "
                 "removes part of the bias" if dead else
                 "; fetch delistings (eqf data fetch --listing-status) and their prices to "
                 "count them in")
        return members, {
            "snapshot_as_of": dates[0], "biased": True, "membership": "point-in-time",
            "delisted_added": sorted(dead) if dead else [],
            "note": f"the earliest {etf} holdings are of {dates[0]}, not before the backtest "
                    f"starts ({start:%Y-%m-%d}): earlier dates use them, so stocks that left "
                    "the ETF before then are missing and the results are biased upward"
                    + added}
    return members, {
        "snapshot_as_of": dates[0], "biased": False, "membership": "point-in-time",
        "note": f"each date uses the {etf} holdings snapshot known then ({len(dates)} "
                f"snapshots from {dates[0]}) and only stocks trading then"}


def _blend_weights(train: pd.DataFrame, methods: tuple[str, ...], long_only: bool) -> pd.Series:
    """Without --optimize: the weighting methods of --methods on the train window, blended
    equally and scaled to unit gross."""
    parts = [compute_weights(m, train, long_only=long_only).reindex(train.columns).fillna(0.0)
             for m in methods]
    blend = sum(parts) / len(parts)
    gross = float(np.abs(blend).sum())
    return blend / gross if gross > 0 else pd.Series(1.0 / train.shape[1], index=train.columns)


def _benchmark_returns(ctx: Context, request: BacktestRequest, returns: pd.DataFrame,
                       members_at: Membership | None
                       ) -> tuple[pd.Series, pd.DataFrame, str]:
    """The benchmark's daily returns over ``returns.index``, the equal weights of the universe
    (for the sector attribution) and its label."""
    live = returns.notna()
    if members_at is not None:
        live &= members_at.mask(pd.DatetimeIndex(returns.index), returns.columns)
    values = returns.to_numpy(dtype=float)
    alive = live.to_numpy()
    # each day's mean over exactly the live names (a sum over all columns would round
    # differently as names with no data that day come and go)
    bench = np.array([values[i, alive[i]].mean() if alive[i].any() else np.nan
                      for i in range(len(values))])
    counts = alive.sum(axis=1)
    ew = pd.DataFrame(np.where(alive, 1.0 / np.maximum(counts, 1)[:, None], 0.0),
                      index=returns.index, columns=returns.columns)
    if request.benchmark is None or request.benchmark.lower() in ("equal", "universe"):
        return pd.Series(bench, index=returns.index, name="benchmark"), ew, \
            "equal-weighted universe"
    universe = resolve(ctx, request.benchmark)
    panel = load_panel(ctx.store, universe, None, f"{returns.index[-1]:%Y-%m-%d}",
                       min_history=2)
    series = panel.returns.iloc[:, 0].reindex(returns.index)
    return series.rename("benchmark"), ew, universe.label


def backtest(ctx: Context, request: BacktestRequest, *, argv: list[str],
             output_dir: str | Path | None = None, report: bool = False) -> BacktestOutcome:
    """Run the strategy walk-forward and write the backtest files (module docstring)."""
    request.validate()
    _check_benchmark(ctx, request.benchmark)
    f = request.factors.normalized()
    if f.mode != "rolling":
        raise UserError("the backtest fits rolling factors only (an in-sample fit looks ahead)")
    universe = resolve(ctx, f.universe)
    etf = next((e for e in ctx.store.etfs() if e.upper() == universe.label.upper()), None)
    delisted = _delisted_names(ctx, etf, f.start) if etf and request.membership != "latest" \
        else {}
    if delisted:  # the dead the latest holdings cannot know (survivorship, see _members)
        universe = replace(universe, symbols=tuple(dict.fromkeys(
            [*universe.symbols, *sorted(delisted)])))
    fields = ("close", "volume", "open") if request.fill == "next-open" else ("close", "volume")
    panel = load_panel(ctx.store, universe, f.start, f.end, extra_fields=fields)
    if request.fill == "next-open" and panel.extra["open"].isna().all().all():
        raise UserError(f"--fill next-open needs stored open prices and {universe.label} has "
                        "none (SAMPLE stores closes only); use --fill close")
    _up_front_walks(panel, replace(request, factors=f))
    run = Run(ctx.data_dir, "backtest", argv, request.to_dict())
    with open_window_cache(ctx) as cache:  # point-in-time fits shared with every command
        fit = fit_factors(ctx, f, panel=panel, universe=universe, window_cache=cache)
        run.lap("factors")
        factor_returns = fit.result.factor_returns.dropna(how="all")
        chosen = _walk_grid(len(factor_returns), request)
        weights_at = _FactorWeights(fit.result.weights_history, fit.result.factor_names)

        wf = None
        if request.strategy == "basket" and request.optimize:
            bar = ctx.progress("optimizing walks x trials", len(chosen) * request.trials)
            wf = walk_forward(factor_returns, request.train_size, request.test_size,
                              max_folds=request.walks, technique=request.technique,
                              methods=request.methods, objective=request.objective,
                              n_trials=request.trials, search=request.search,
                              long_only=request.long_only, storage=None, window_cache=cache,
                              random_state=request.seed, callback=lambda i, n: bar(i, total=n))
            run.lap("optimize")
        regimes = None
        if request.strategy == "regime":
            regimes = _regimes(ctx, request, fit.panel.returns, factor_returns, cache)
            run.lap("regimes")
        states = None
        if request.strategy == "factor-signals":
            states = _signal_states(factor_returns, request.threshold)

        close = panel.extra["close"].where(panel.extra["close"].notna(), panel.prices)
        volume = panel.extra.get("volume")
        info = ctx.store.symbol_info(list(panel.returns.columns))
        sectors = info.get("sector")  # indexed by symbol
        first_test = factor_returns.index[chosen[0][2].start]
        members_at, survivorship = _members(ctx, universe.label, request.membership,
                                            first_test, delisted)
        walks: list[Walk] = []
        targets_parts, walk_of_day, notes = [], {}, []
        fold_by_index = {fr.fold: fr for fr in wf.folds} if wf is not None else {}
        for j, train, test, partial in chosen:
            train_days = factor_returns.index[train]
            test_days = factor_returns.index[test]
            train_data = factor_returns.iloc[train]
            days = rebalance_dates(test_days, request.rebalance)
            if request.strategy == "basket":
                if wf is not None:
                    fold = fold_by_index[j]
                    theta, train_sr = fold.weights, fold.in_sample_sharpe
                else:
                    theta = _blend_weights(train_data, request.methods, request.long_only)
                    train_sr = float(sharpe_ratio(train_data.fillna(0.0) @ theta))
                targets, tnotes = basket_targets(days, weights_at, theta, request.spec, close,
                                                 volume, sectors, members_at)
                notes += tnotes
            elif request.strategy == "factor-signals":
                assert states is not None
                targets = signal_targets(days, weights_at, states, request.spec.gross_exposure,
                                         panel.returns.columns)
                sig = states.shift(1).reindex(train_days).fillna(0.0)
                active = sig.abs().sum(axis=1)
                train_r = (sig.mul(train_data.fillna(0.0)).sum(axis=1)
                           / active.where(active > 0)).fillna(0.0)
                train_sr = float(sharpe_ratio(train_r))
                theta = states.shift(1).reindex(test_days).mean().fillna(0.0)  # mean state held
            else:
                assert regimes is not None
                from equity_factors.regime.hmm import regime_allocation, regime_factor_stats

                stats = regime_factor_stats(train_data, regimes.reindex(train_days),
                                            request.n_regimes)
                allocation = regime_allocation(stats)
                days = days.union(regime_change_days(test_days, regimes))
                targets, _held = regime_targets(days, weights_at, regimes, allocation,
                                                request.spec.gross_exposure, panel.returns.columns)
                theta = allocation.mean(axis=0)  # reported: the allocation averaged over regimes
                reg_prev = regimes.shift(1).reindex(train_days)
                alloc_r = [float(train_data.loc[d].fillna(0.0) @ allocation.loc[int(r)])
                           if pd.notna(r) and int(r) in allocation.index else 0.0
                           for d, r in reg_prev.items()]
                train_sr = float(sharpe_ratio(pd.Series(alloc_r, index=train_days)))
            walks.append(Walk(j, train_days, test_days, partial, theta, train_sr))
            targets_parts.append(targets)
            for d in test_days:
                walk_of_day[d] = j
        targets = pd.concat(targets_parts).sort_index()
        targets = targets.loc[~targets.index.duplicated(keep="last")]
        run.lap("targets")

        days = factor_returns.index[chosen[0][2].start:chosen[-1][2].stop]
        returns = panel.returns.reindex(index=days)
        engine_kwargs = _engine_inputs(panel, request, days, close, volume)
        # from the close before the first day: a close fill of the first targets trades there
        engine_returns = panel.returns.reindex(index=engine_kwargs["prices"].index)
        engine = run_engine(engine_returns, targets.reindex(columns=returns.columns).fillna(0.0),
                            request.costs, capital=request.spec.capital, **engine_kwargs)
        run.lap("engine")
        bench, bench_weights, bench_label = _benchmark_returns(ctx, request, returns, members_at)
        table = engine.returns.copy()
        table["benchmark"] = bench.reindex(table.index)
        attribution = factor_attribution(engine.holdings, returns,
                                         weights_at.sequence(engine.holdings.index),
                                         table["gross"], table["net"])
        sector_of = (sectors.reindex(returns.columns).fillna("Unknown") if sectors is not None
                     else pd.Series("Unknown", index=returns.columns))
        brinson = brinson_fachler(engine.holdings, bench_weights.reindex(engine.holdings.index),
                                  returns, sector_of)
        run.lap("attribution")
        walk_table = _walk_table(walks, table, engine)
        summary = _summary(request, table, engine, walk_table, wf, bench_label, survivorship,
                           notes + list(engine.notes))
        # plain strings (the engine's categoricals carry every ticker of the panel as a category)
        positions = engine.positions.astype({"ticker": str, "side": str})
        positions["side"] = positions["side"].str.upper()  # as eqf basket writes it
        trades = engine.trades.astype({"ticker": str})
        walk_of_date = {d: walk_of_day.get(_first_held(d, days, request.fill), np.nan)
                        for d in positions["date"].unique()}  # one per rebalance, not per row
        positions["walk"] = [walk_of_date[d] for d in positions["date"]]
        payloads = {
            "backtest_returns.csv": csv_bytes(table.reset_index().rename(columns={"index": "date"}),
                                              index=False, float_format="%.10g"),
            "backtest_positions.csv": csv_bytes(positions, index=False, float_format="%.10g"),
            "backtest_trades.csv": csv_bytes(trades, index=False, float_format="%.10g"),
            "backtest_attribution.csv": csv_bytes(attribution.reset_index(), index=False,
                                                  float_format="%.10g"),
            "backtest_sector_attribution.csv": csv_bytes(brinson.linked.reset_index(), index=False,
                                                         float_format="%.10g"),
            "backtest_walks.csv": csv_bytes(walk_table, index=False, float_format="%.10g"),
            "backtest_summary.json": json_bytes(summary),
        }
        files = {}
        out = Path(output_dir) if output_dir is not None else None
        for name, blob in payloads.items():
            files[name] = run.add(name, blob, None if out is None else out / name)
        net = summary["net"]
        run.finish(fingerprint=fit.panel.fingerprint, seed=request.seed,
                   headline={"strategy": request.strategy, "walks": len(walks),
                             "net_sharpe": net.get("sharpe"), "net_annual_return":
                             net.get("annual_return"), "verdict": summary["verdict"]})
        report_path = None
        if report:
            report_path = _write_report(ctx, run, out)
        return BacktestOutcome(request, engine, table, positions, trades, walk_table, attribution,
                               brinson.linked,
                               summary, run, files, report_path)


def _first_held(execution: Any, days: pd.DatetimeIndex, fill: str) -> pd.Timestamp:
    """The first held day of a rebalance executed on ``execution`` (the next day for a close
    fill, the same day for a next-open fill)."""
    ts = pd.Timestamp(execution)
    if fill == "next-open":
        return ts
    k = int(days.searchsorted(ts, side="right"))
    return days[k] if k < len(days) else days[0] if ts < days[0] else ts


def _engine_inputs(panel: Panel, request: BacktestRequest, days: pd.DatetimeIndex,
                   close: pd.DataFrame, volume: pd.DataFrame | None) -> dict[str, Any]:
    """Prices, volumes and overnight returns for the engine (one row before the first day so a
    close fill of the first day has its bar)."""
    lo = max(0, int(panel.prices.index.searchsorted(days[0])) - 1)
    idx = panel.prices.index[lo:int(panel.prices.index.searchsorted(days[-1], "right"))]
    kwargs: dict[str, Any] = {"fill": request.fill, "whole_shares": request.shares}
    kwargs["prices"] = close.reindex(idx)
    kwargs["volume"] = volume.reindex(idx) if volume is not None else None
    if request.fill == "next-open":
        opens = panel.extra["open"]
        factor = panel.prices / close  # adjustment factor of the day
        adj_open = (opens * factor).reindex(idx)
        prev_adj_close = panel.prices.reindex(idx).shift(1)
        kwargs["open_returns"] = (adj_open / prev_adj_close - 1.0)
        kwargs["prices"] = opens.reindex(idx)
    return kwargs


def _regimes(ctx: Context, request: BacktestRequest, returns: pd.DataFrame,
             factor_returns: pd.DataFrame, cache: WindowCache) -> pd.Series:
    from equity_factors.regime.hmm import detect_regimes, regime_features

    market = returns.mean(axis=1, skipna=True).rename("market")
    features = regime_features(market.loc[factor_returns.index], factor_returns)
    if len(features) < request.regime_min_train + 21:
        raise UserError(f"{len(features)} days of features are too few for the regime strategy "
                        f"(it trains on {request.regime_min_train} days first); widen "
                        "--start/--end")
    bar = ctx.progress("fitting regimes (HMM refits)", None)
    result = detect_regimes(features, request.n_regimes,
                            refit_every=request.regime_refit_every,
                            min_train=request.regime_min_train,
                            n_restarts=request.regime_restarts, random_state=request.seed,
                            window_cache=cache, callback=lambda i, n: bar(i, total=n))
    return result.regimes.reindex(factor_returns.index)


def _signal_states(factor_returns: pd.DataFrame, threshold: float) -> pd.DataFrame:
    from equity_factors.signals.momentum import momentum_signals

    signal, z = {}, {}
    for col in factor_returns.columns:
        ind = momentum_signals(factor_returns[col].fillna(0.0), name=str(col)).indicators
        signal[col] = ind["signal"]
        z[col] = ind["zscore"]
    return factor_signal_states(pd.DataFrame(signal), pd.DataFrame(z), threshold)


def _walk_table(walks: list[Walk], table: pd.DataFrame, engine: EngineResult) -> pd.DataFrame:
    rows = []
    turnover = engine.turnover
    for w in walks:
        part = table.loc[w.test[0]:w.test[-1]]
        costs = part["commission"] + part["slippage"] + part["borrow"]
        to = turnover[(turnover.index >= w.train[-1]) & (turnover.index <= w.test[-1])]
        nz = part["net"][part["net"] != 0]
        rows.append({
            "walk": w.walk, "train_start": f"{w.train[0]:%Y-%m-%d}",
            "train_end": f"{w.train[-1]:%Y-%m-%d}", "test_start": f"{w.test[0]:%Y-%m-%d}",
            "test_end": f"{w.test[-1]:%Y-%m-%d}", "partial": w.partial,
            "weights": json.dumps({str(k): round(float(v), 8) for k, v in w.weights.items()}),
            "train_sharpe": w.train_sharpe,
            "test_sharpe": float(sharpe_ratio(part["net"])) if len(part) > 2 else np.nan,
            "turnover": float(to.sum()),
            "cost_drag": float(costs.sum()),
            "hit_rate": float((nz > 0).mean()) if len(nz) else np.nan,
        })
    return pd.DataFrame(rows)


def _sharpe_ci(returns: pd.Series, ppy: int = 252, z: float = 1.96) -> dict[str, Any]:
    """Annualized Sharpe ratio with a 95 % interval from the standard error the probabilistic
    Sharpe ratio uses (Bailey & Lopez de Prado 2012, non-normal returns):
    ``se = sqrt((1 - skew*SR + (kurt-1)/4*SR^2) / (T-1))`` per period; and PSR(0)."""
    m = sharpe_moments(returns)
    nan = float("nan")
    if not np.isfinite(m.sharpe) or m.n_obs < 3:
        return {"value": nan, "ci_low": nan, "ci_high": nan, "psr": nan, "n_days": m.n_obs}
    sr = m.sharpe
    var = 1.0 - m.skewness * sr + (m.kurtosis - 1.0) / 4.0 * sr**2
    se = math.sqrt(max(var, 0.0) / (m.n_obs - 1))
    root = math.sqrt(ppy)
    return {"value": sr * root, "ci_low": (sr - z * se) * root, "ci_high": (sr + z * se) * root,
            "psr": probabilistic_sharpe_ratio(sr, m.n_obs, m.skewness, m.kurtosis),
            "n_days": m.n_obs}


def _summary(request: BacktestRequest, table: pd.DataFrame, engine: EngineResult,
             walks: pd.DataFrame, wf: Any, bench_label: str, survivorship: dict[str, Any],
             notes: list[str]) -> dict[str, Any]:
    bench = table["benchmark"]
    turnover = engine.turnover
    traded = (2.0 * table["turnover"]).rename("traded")
    oos = _sharpe_ci(table["net"])
    is_sr = float(walks["train_sharpe"].mean())
    if wf is not None:
        rep = wf.report.summary()
        dsr, pbo, p_noise = (float(rep.get("dsr", np.nan)), float(rep.get("pbo", np.nan)),
                             float(rep.get("p_beats_noise", np.nan)))
    else:
        dsr = pbo = p_noise = float("nan")
    status, verdict = overfitting_verdict(is_sr, oos["value"], oos["psr"], dsr, p_noise, pbo,
                                          True)
    sig = oos["ci_low"] > 0
    verdict = (f"out-of-sample net Sharpe {oos['value']:.2f} (95% CI {oos['ci_low']:.2f} to "
               f"{oos['ci_high']:.2f}) "
               + ("is significantly above zero" if sig else
                  "is indistinguishable from zero") + f"; {verdict}")

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in d.items()}

    return {
        "strategy": request.strategy, "benchmark": bench_label,
        "start": f"{table.index[0]:%Y-%m-%d}", "end": f"{table.index[-1]:%Y-%m-%d}",
        "n_days": int(len(table)), "n_walks": int((~walks["partial"]).sum()),
        "partial_walk": bool(walks["partial"].any()),
        "n_rebalances": int(len(turnover)),
        "capital": request.spec.capital, "final_equity": float(table["equity"].iloc[-1]),
        "costs": {k: getattr(request.costs, k) for k in request.costs.__dataclass_fields__},
        "net": clean(tear_sheet(table["net"], bench, turnover)),
        "gross": clean(tear_sheet(table["gross"], bench, turnover)),
        "break_even_bps": _finite(break_even_bps(table["gross"], traded)),
        "cost_sweep": [clean({"bps": float(b), "net_sharpe": float(r["sharpe"]),
                              "net_annual_return": float(r["annual_return"])})
                       for b, r in cost_sweep(table["gross"], traded, COST_SWEEP_BPS).iterrows()],
        "oos_sharpe": clean(oos),
        "in_sample_sharpe": _finite(is_sr),
        "deflated_sharpe": _finite(dsr), "pbo": _finite(pbo),
        "status": "significant" if sig else "not_significant",
        "overfitting_status": status,
        "verdict": verdict, "survivorship": survivorship,
        "notes": notes[:50] + ([f"... and {len(notes) - 50} more notes"]
                               if len(notes) > 50 else []),
    }


def _finite(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def _write_report(ctx: Context, run: Run, out: Path | None) -> Path | None:
    try:
        from equity_factors.workflows.report import write_report
    except ImportError:  # the report module is optional until installed
        raise UserError("--report needs the report module (eqf report); install the "
                        "dashboard extra: pip install 'equity-factors[dashboard]'") from None
    target = None if out is None else out / "backtest_report.html"
    outcome = write_report(ctx, run.run_id, output=target)
    return Path(outcome.path)


__all__ = ["BacktestOutcome", "BacktestRequest", "OUTPUT_FILES", "backtest"]
