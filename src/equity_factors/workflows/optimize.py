"""``eqf optimize``: factor weights by walk-forward (or single-window) optimization, with an
honest overfitting report. Writes the weights CSV and the versioned results JSON that
``eqf basket`` reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from equity_factors import __version__
from equity_factors._urls import redact_text, redact_url
from equity_factors.data.optuna_journal import open_storage
from equity_factors.data.outputs import csv_bytes, json_bytes
from equity_factors.data.results import RESULTS_SCHEMA, RESULTS_SCHEMA_VERSION
from equity_factors.data.runs import Run
from equity_factors.data.trial_cache import TrialCache
from equity_factors.distributed import check_executor, run_tasks, task_map
from equity_factors.errors import UserError
from equity_factors.metrics import performance_summary
from equity_factors.optimize import WalkForwardResult, single_fit, walk_forward
from equity_factors.types import Objective, Search, Technique, WeightingMethod
from equity_factors.window_cache import WindowCache
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import (
    FactorFit,
    FactorRequest,
    fit_factors,
    open_window_cache,
)
from equity_factors.workflows.naming import Namer, names_for
from equity_factors.workflows.requests import Request

#: Every trial of every fold (objective, best so far, parameters), in the run folder beside
#: the results: see :meth:`equity_factors.optimize.WalkForwardResult.trial_table`.
TRIALS_NAME = "optimization_trials.csv"


@dataclass(frozen=True)
class OptimizeRequest(Request):
    """The flags of ``eqf optimize`` (factor model flags live in ``factors``; ``namer`` None
    keeps neutral F1..Fk labels, as in
    :class:`~equity_factors.workflows.discover.DiscoverRequest`)."""

    factors: FactorRequest
    technique: Technique = "bayesian"
    methods: tuple[WeightingMethod, ...] = ("sharpe", "momentum", "risk_parity")
    objective: Objective = "sharpe"
    search: Search = "blend"
    long_only: bool = False
    trials: int = 200
    walk_forward: bool = False
    train_window: int = 90
    test_window: int = 30
    max_folds: int = 20
    lookback: int = 252
    storage: str | None = None
    study: str | None = None
    workers: int = 1
    executor: str = "local"
    address: str | None = None
    n_jobs: int = 1
    seed: int = 42
    namer: Namer | None = None

    def validate(self) -> None:
        if self.trials < 1:
            raise UserError("--trials must be at least 1")
        if self.walk_forward and (self.train_window < 10 or self.test_window < 1):
            raise UserError("--train-window must be >= 10 and --test-window >= 1")
        if self.max_folds < 1:
            raise UserError("--max-folds must be at least 1")
        if self.n_jobs < 1:
            raise UserError("--n-jobs must be at least 1")
        check_executor(self.executor, self.address, self.workers)
        if self.study and not self.storage:
            raise UserError("--study names a study in a shared --storage; pass --storage URL "
                            "too (e.g. postgresql+psycopg2://USER@HOST:5432/DB)")
        if self.storage and self.technique.lower() != "bayesian":
            raise UserError("--storage holds Optuna trials: it needs --technique bayesian")
        if not self.storage and not self.walk_forward and (
                self.workers > 1 or self.executor.lower() != "local"):
            raise UserError("a single fit is one study: --workers and --executor need "
                            "--walk-forward (folds in parallel) or --storage (trials in "
                            "parallel on a shared study)")


@dataclass(frozen=True)
class OptimizeOutcome:
    fit: FactorFit
    result: WalkForwardResult
    results: dict[str, Any]
    weights: pd.DataFrame
    run: Run
    files: dict[str, Path] = field(default_factory=dict)
    names: pd.DataFrame | None = None


def study_name_for(fit: FactorFit, request: OptimizeRequest) -> str:
    """The study a ``--storage`` run uses without ``--study``: a digest of the data and of the
    settings, so the same command on another machine (same data) joins the same study."""
    import hashlib

    keep = {k: v for k, v in request.to_dict().items()
            if k not in ("storage", "study", "workers", "executor", "address", "n_jobs",
                         "namer", "seed")}
    text = json_bytes({"fingerprint": fit.panel.fingerprint, "request": keep})
    return "eqf-" + hashlib.sha256(text).hexdigest()[:12]


@dataclass(frozen=True, eq=False)
class TrialsTask:
    """One worker's share of a shared study: add ``n_trials`` trials to each fold's study.

    Picklable: it travels to a local process, a Ray or a Dask worker with the factor returns
    (dates x factors, small), which every worker needs; nothing else is read there.
    """

    factor_returns: pd.DataFrame
    storage: str
    study: str
    walk_forward: bool
    train_window: int
    test_window: int
    max_folds: int
    lookback: int
    options: dict[str, Any]


def add_trials(task: TrialsTask, callback: Callable[[int, int], None] | None = None) -> int:
    """Add ``task.options["n_trials"]`` trials to the task's study (per fold); returns the
    trials added. Each worker samples with fresh entropy: trials of a shared study come from
    several workers in an order no seed fixes."""
    from equity_factors.data.optuna_journal import open_storage

    storage = open_storage(task.storage)
    kwargs = dict(task.options, storage=storage, random_state=None, study_name=task.study,
                  callback=callback)
    if task.walk_forward:
        result = walk_forward(task.factor_returns, task.train_window, task.test_window,
                              max_folds=task.max_folds, **kwargs)
    else:
        result = single_fit(task.factor_returns, task.lookback, **kwargs)
    return len(result.folds) * int(task.options["n_trials"])


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for idx, row in frame.iterrows():
        rec = {"fold": int(idx) if not isinstance(idx, str) else idx}
        for k, v in row.items():
            if v is None or v is pd.NaT:  # a fold with no test day yet has no test dates
                v = None
            elif isinstance(v, pd.Timestamp):
                v = v.strftime("%Y-%m-%d")
            elif hasattr(v, "item"):
                v = v.item()
            rec[str(k)] = v
        out.append(rec)
    return out


def optimize(ctx: Context, request: OptimizeRequest, *, argv: list[str],
             export_weights: str | Path | None = None, output: str | Path | None = None,
             factor_names_output: str | Path | None = None,
             progress=None) -> OptimizeOutcome:
    """Fit factors out of sample, optimize their weights, and write weights + results JSON."""
    request.validate()
    if request.storage:  # fail on a bad URL before any work
        open_storage(request.storage)
    run = Run(ctx.data_dir, "optimize", [redact_text(a, request.storage) for a in argv], {})
    with open_window_cache(ctx) as cache:
        return _optimize(ctx, request, run, cache, export_weights, output,
                         factor_names_output, progress)


def _optimize(ctx: Context, request: OptimizeRequest, run: Run, cache: WindowCache,
              export_weights: str | Path | None, output: str | Path | None,
              factor_names_output: str | Path | None, progress: Any) -> OptimizeOutcome:
    fit = fit_factors(ctx, request.factors, window_cache=cache)
    run.lap("factors")
    factor_returns = fit.result.factor_returns.dropna(how="all")
    executor = check_executor(request.executor, request.address, request.workers)
    parallel = request.workers > 1 or executor != "local"
    common: dict[str, Any] = dict(technique=request.technique, methods=request.methods,
                                  objective=request.objective, n_trials=request.trials,
                                  search=request.search, long_only=request.long_only,
                                  n_jobs=request.n_jobs)
    if request.walk_forward:
        if len(factor_returns) < request.train_window + request.test_window:
            raise UserError(
                f"{len(factor_returns)} days of out-of-sample factor returns are too few for "
                f"--train-window {request.train_window} + --test-window {request.test_window}; "
                "lower them or widen --start/--end")
        n_complete = (len(factor_returns) - request.train_window) // request.test_window
        n_folds = min(n_complete, request.max_folds) + 1  # + the trailing partial fold
    else:
        if request.lookback > len(factor_returns):
            raise UserError(
                f"--lookback {request.lookback} is more than the {len(factor_returns)} days of "
                "out-of-sample factor returns; lower it or widen --start/--end")
        if len(factor_returns) < min(request.lookback, 20):
            raise UserError("too few out-of-sample factor returns to optimize; widen the period")
        n_folds = 1
    study: str | None = None
    if request.storage:
        # A shared study: this command's workers add trials to every fold's study, then the
        # results are built from each study as it stands (other machines' trials included).
        study = request.study or study_name_for(fit, request)
        task = TrialsTask(factor_returns, request.storage, study, request.walk_forward,
                          request.train_window, request.test_window, request.max_folds,
                          request.lookback, common)
        if parallel:
            run_tasks(add_trials, [task] * request.workers, executor=executor,
                      address=request.address, workers=request.workers)
        else:
            add_trials(task, _trial_progress(progress, f"adding trials to study {study}",
                                             n_folds * request.trials))
        run.lap("trials")
        storage = open_storage(request.storage)
        options: dict[str, Any] = dict(common, n_trials=0, storage=storage, study_name=study,
                                       random_state=request.seed)
        map_fn = None
    else:
        # In memory (the fastest storage for one process), resumable by the trial cache:
        # finished folds are kept and replayed by a rerun. A cluster joined by --address
        # writes no cache (its workers' disks are not this data directory).
        trials = TrialCache.of(ctx.data_dir) if not request.address else None
        options = dict(common, random_state=request.seed, checkpoint=trials)
        map_fn = task_map(executor, request.address, request.workers) if parallel else None
        if request.walk_forward:
            # the run's own in-memory studies: each fold is a point-in-time window result
            # (walk_forward caches folds only when it runs them here; on an executor it still
            # caches each fold's PBO, which the driver computes and keys by the trials' content)
            options["window_cache"] = cache
    shown = None if request.storage else progress  # reading a study needs no progress bar
    if request.walk_forward:
        result = walk_forward(factor_returns, request.train_window, request.test_window,
                              max_folds=request.max_folds, map_fn=map_fn,
                              callback=_trial_progress(shown, "optimizing folds x trials",
                                                       n_folds * request.trials), **options)
    else:
        result = single_fit(factor_returns, request.lookback,
                            callback=_trial_progress(shown, "optimizing trials",
                                                     request.trials), **options)
    run.lap("optimize")
    names = names_for(ctx, fit, request.namer)
    name_of = dict(zip(names["factor"], names["name"]))
    current = result.folds[-1]
    factors_index = result.average_weights.index
    weights = pd.DataFrame({"factor": factors_index,
                            "name": [name_of.get(f, f) for f in factors_index],
                            "weight": current.weights.reindex(factors_index).to_numpy()})
    if request.walk_forward:
        weights["average_weight"] = result.average_weights.to_numpy()
    report = result.report
    oos = result.out_of_sample_returns
    blended_in_sample = (factor_returns.fillna(0.0) @ result.average_weights.reindex(
        factor_returns.columns).fillna(0.0))
    perf = {"in_sample_full_period": _perf(blended_in_sample)}
    if len(oos):
        perf["out_of_sample"] = _perf(oos)
    f = fit.request
    # the request as it ran (normalized factor request), safe to record (password hidden)
    recorded = replace(request, factors=f, storage=redact_url(request.storage))
    trained = f"{current.train_start:%Y-%m-%d}..{current.train_end:%Y-%m-%d}"
    results: dict[str, Any] = {
        "schema": RESULTS_SCHEMA,
        "schema_version": RESULTS_SCHEMA_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "version": __version__,
        "universe": {"spec": f.universe, "label": fit.universe.label,
                     "n_stocks": len(fit.panel.symbols), "data_fingerprint": fit.panel.fingerprint},
        "request": recorded.to_dict(),
        "factor_model": {**f.to_dict(),
                         "first_date": str(factor_returns.index[0].date()),
                         "last_date": str(factor_returns.index[-1].date())},
        "optimization": {"technique": request.technique.lower(),
                         "methods": [m.lower() for m in request.methods],
                         "objective": request.objective.lower(), "search": request.search.lower(),
                         "long_only": request.long_only, "trials_per_fold": request.trials,
                         "walk_forward": request.walk_forward,
                         "train_window": request.train_window if request.walk_forward else None,
                         "test_window": request.test_window if request.walk_forward else None,
                         "max_folds": request.max_folds if request.walk_forward else None,
                         "lookback": None if request.walk_forward else request.lookback,
                         "seed": request.seed, "study_name": study,
                         "storage": redact_url(request.storage) or "memory (trial cache)"},
        "weights": {str(k): float(v) for k, v in current.weights.items()},
        "weights_note": (f"weights of fold {current.fold} (trained {trained}), in force after "
                         f"{current.train_end:%Y-%m-%d}; eqf basket and signals use the fold "
                         "in force on their own date" if request.walk_forward
                         else f"weights of the single fit on {trained}"),
        "average_weights": {str(k): float(v) for k, v in result.average_weights.items()},
        "factor_names": {str(k): str(v) for k, v in name_of.items()},
        "folds": [
            {**rec, "weights": {str(k): float(v)
                                for k, v in result.weights.loc[rec["fold"]].items()}}
            for rec in _frame_records(result.fold_table())
        ],
        "overfitting": {k: (v if not hasattr(v, "item") else v.item())
                        for k, v in report.summary().to_dict().items()},
        "overfitting_folds": _frame_records(report.folds) if report.folds is not None else [],
        "performance": perf,
    }
    payload = json_bytes(results)
    files = {"weights": run.add("optimal_weights.csv", csv_bytes(weights, index=False,
                                                                 float_format="%.8g"),
                                export_weights),
             "results": run.add("optimization_results.json", payload, output),
             "trials": run.add(TRIALS_NAME, csv_bytes(result.trial_table(), index=False,
                                                      float_format="%.8g"))}
    if factor_names_output or request.namer:
        files["names"] = run.add("factor_names.csv", csv_bytes(names, index=False),
                                 factor_names_output)
    run.params.update(recorded.to_dict())
    run.finish(fingerprint=fit.panel.fingerprint, seed=request.seed,
               headline={"verdict": report.verdict, "status": report.status,
                         **{k: results["overfitting"][k] for k in
                            ("in_sample_sharpe", "out_of_sample_sharpe", "n_trials", "dsr",
                             "pbo")}},
               cache=cache.stats.as_dict())
    return OptimizeOutcome(fit, result, results, weights, run, files, names)


def weights_in_force(data: dict[str, Any], as_of: str | pd.Timestamp, source: str
                     ) -> tuple[pd.Series, str]:
    """The factor weights of a results file in force at the close of ``as_of``, and a note.

    Walk-forward results: the weights of the latest fold whose training ended on or before
    ``as_of``. A single fit trained past ``as_of`` would look ahead and is refused.
    """
    ts = pd.Timestamp(as_of)
    folds = data["folds"]
    walk = data["optimization"]["walk_forward"]
    eligible = [f for f in folds if pd.Timestamp(f["train_end"]) <= ts]
    if not eligible:
        first = folds[0]["train_end"]
        if walk:
            raise UserError(
                f"{source}: no walk-forward fold had finished training by {ts:%Y-%m-%d} (the "
                f"earliest kept fold trained through {first}); use a later --as-of, or rerun "
                "eqf optimize with a larger --max-folds or an earlier --start")
        raise UserError(
            f"{source} is a single fit trained through {first}, after {ts:%Y-%m-%d}: its "
            "weights would look ahead; use walk-forward results (eqf optimize --walk-forward) "
            f"or an --as-of on or after {first}")
    fold = eligible[-1]
    note = (f"weights of fold {fold['fold']} (trained {fold['train_start']}..{fold['train_end']}"
            f"), in force on {ts:%Y-%m-%d}" if walk
            else f"weights of the single fit on {fold['train_start']}..{fold['train_end']}")
    return pd.Series(fold["weights"], dtype=float), note


def results_factor_request(data: dict[str, Any], universe: str, label: str, end: str | None,
                           source: str, method: str | None = None,
                           method_flag: str = "--method") -> FactorRequest:
    """The factor model a results file was optimized on, refit on data up to ``end``.

    Refuses (one line) a universe or an explicit ``method`` that differs from the file's.
    """
    from equity_factors.factors import normalize_method

    model = OptimizeRequest.from_dict(data["request"]).factors
    expected = data["universe"]["label"]
    if label.upper() != expected.upper():
        raise UserError(f"{source} was optimized on universe {expected}, not {label}; pass "
                        f"--universe {expected} or rerun eqf optimize")
    if method and normalize_method(method) != model.method:
        raise UserError(
            f"{source} holds weights of {model.method} factors, not "
            f"{normalize_method(method)}; pass {method_flag} {model.method} (or leave it out)")
    return replace(model, universe=universe, end=end)


def _trial_progress(progress: Any, label: str, total: int
                    ) -> Callable[[int, int], None] | None:
    """An optimizer callback ``(i, n)`` advancing a progress bar, or None without one."""
    if progress is None:
        return None
    bar = progress(label, total)
    return lambda i, n: bar(i)


def _perf(returns: pd.Series) -> dict[str, float]:
    s = performance_summary(returns.dropna())
    return {k: float(s[k]) for k in ("annualized_return", "annualized_volatility", "sharpe_ratio",
                                     "max_drawdown", "n_periods")}
