"""``eqf optimize``: factor weights by walk-forward (or single-window) optimization, with an
honest overfitting report. Writes the weights CSV and the versioned results JSON that
``eqf basket`` reads."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from equity_factors import __version__
from equity_factors.data.outputs import csv_bytes, json_bytes
from equity_factors.data.runs import Run
from equity_factors.errors import UserError
from equity_factors.metrics import performance_summary
from equity_factors.optimize import single_fit, walk_forward
from equity_factors.workflows.context import Context
from equity_factors.workflows.discover import neutral_names
from equity_factors.workflows.factors import FactorFit, FactorRequest, fit_factors

RESULTS_SCHEMA = "equity-factors/optimization-results"
RESULTS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class OptimizeRequest:
    """The flags of ``eqf optimize`` (factor model flags live in ``factors``)."""

    factors: FactorRequest
    technique: str = "bayesian"
    methods: tuple[str, ...] = ("sharpe", "momentum", "risk_parity")
    objective: str = "sharpe"
    search: str = "blend"
    long_only: bool = False
    trials: int = 200
    walk_forward: bool = False
    train_window: int = 90
    test_window: int = 30
    max_folds: int = 20
    lookback: int = 252
    storage: str | None = None
    n_jobs: int = 1
    seed: int = 42

    def validate(self) -> None:
        if self.trials < 1:
            raise UserError("--trials must be at least 1")
        if self.walk_forward and (self.train_window < 10 or self.test_window < 1):
            raise UserError("--train-window must be >= 10 and --test-window >= 1")
        if self.max_folds < 1:
            raise UserError("--max-folds must be at least 1")
        if self.n_jobs < 1:
            raise UserError("--n-jobs must be at least 1")


@dataclass(frozen=True)
class OptimizeOutcome:
    fit: FactorFit
    result: Any  # optimize.WalkForwardResult
    results: dict[str, Any]
    weights: pd.DataFrame
    run: Run
    files: dict[str, Path] = field(default_factory=dict)
    names: pd.DataFrame | None = None


def default_storage(ctx: Context) -> Any:
    """Optuna storage kept in the data directory: an append-only journal file (fast, no server)."""
    from equity_factors.data.optuna_journal import journal_storage

    return journal_storage(ctx.data_dir)  # one journal per run, removed afterwards


def results_schema() -> dict[str, Any]:
    """The JSON Schema of the results file (shipped with the package)."""
    text = resources.files("equity_factors.workflows").joinpath("optimization_results.schema.json")
    return json.loads(text.read_text())


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for idx, row in frame.iterrows():
        rec = {"fold": int(idx) if not isinstance(idx, str) else idx}
        for k, v in row.items():
            rec[str(k)] = v.strftime("%Y-%m-%d") if isinstance(v, pd.Timestamp) else v
        out.append(rec)
    return out


def optimize(ctx: Context, request: OptimizeRequest, *, argv: list[str],
             export_weights: str | Path | None = None, output: str | Path | None = None,
             names_fn=None, factor_names_output: str | Path | None = None,
             progress=None) -> OptimizeOutcome:
    """Fit factors out of sample, optimize their weights, and write weights + results JSON."""
    request.validate()
    run = Run(ctx.data_dir, "optimize", argv, {})
    fit = fit_factors(ctx, request.factors)
    run.lap("factors")
    factor_returns = fit.result.factor_returns.dropna(how="all")
    storage = request.storage if request.storage else default_storage(ctx)
    study = f"eqf-{run.run_id}"
    common = dict(technique=request.technique, methods=request.methods,
                  objective=request.objective, n_trials=request.trials,
                  search=request.search, long_only=request.long_only, storage=storage,
                  n_jobs=request.n_jobs, random_state=request.seed, study_name=study)
    if request.walk_forward:
        span = request.train_window + request.max_folds * request.test_window
        if len(factor_returns) < request.train_window + request.test_window:
            raise UserError(
                f"{len(factor_returns)} days of out-of-sample factor returns are too few for "
                f"--train-window {request.train_window} + --test-window {request.test_window}; "
                "lower them or widen --start/--end")
        window = factor_returns.iloc[-span:]
        n_folds = (len(window) - request.train_window) // request.test_window
        bar = progress("optimizing folds x trials", n_folds * request.trials) if progress else None
        result = walk_forward(window, request.train_window, request.test_window,
                              callback=(lambda i, n: bar(i)) if bar else None, **common)
    else:
        if len(factor_returns) < min(request.lookback, 20):
            raise UserError("too few out-of-sample factor returns to optimize; widen the period")
        bar = progress("optimizing trials", request.trials) if progress else None
        result = single_fit(factor_returns, request.lookback,
                            callback=(lambda i, n: bar(i)) if bar else None, **common)
    run.lap("optimize")
    names = names_fn(fit) if names_fn else neutral_names(fit.result.factor_names)
    name_of = dict(zip(names["factor"], names["name"]))
    weights = pd.DataFrame({"factor": result.average_weights.index,
                            "name": [name_of.get(f, f) for f in result.average_weights.index],
                            "weight": result.average_weights.to_numpy()})
    report = result.report
    oos = result.out_of_sample_returns
    blended_in_sample = (factor_returns.fillna(0.0) @ result.average_weights.reindex(
        factor_returns.columns).fillna(0.0))
    perf = {"in_sample_full_period": _perf(blended_in_sample)}
    if len(oos):
        perf["out_of_sample"] = _perf(oos)
    f = fit.request
    results = {
        "schema": RESULTS_SCHEMA,
        "schema_version": RESULTS_SCHEMA_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "version": __version__,
        "universe": {"spec": f.universe, "label": fit.universe.label,
                     "n_stocks": len(fit.panel.symbols), "data_fingerprint": fit.panel.fingerprint},
        "factor_model": {"method": f.method, "n_components": f.n_components,
                         "lookback": f.lookback, "refit": f.refit, "mode": f.mode, "seed": f.seed,
                         "start": f.start, "end": f.end,
                         "first_date": str(factor_returns.index[0].date()),
                         "last_date": str(factor_returns.index[-1].date())},
        "optimization": {"technique": request.technique.lower(),
                         "methods": [m.lower() for m in request.methods],
                         "objective": request.objective.lower(), "search": request.search.lower(),
                         "long_only": request.long_only, "trials_per_fold": request.trials,
                         "walk_forward": request.walk_forward,
                         "train_window": request.train_window if request.walk_forward else None,
                         "test_window": request.test_window if request.walk_forward else None,
                         "lookback": None if request.walk_forward else request.lookback,
                         "seed": request.seed, "study_name": study},
        "weights": {str(k): float(v) for k, v in result.average_weights.items()},
        "weights_note": ("mean of the folds' weights, rescaled to sum |w| = 1"
                         if request.walk_forward else "weights of the single in-sample fit"),
        "factor_names": {str(k): str(v) for k, v in name_of.items()},
        "folds": [
            {**rec, "weights": {str(k): float(v) for k, v in result.weights.iloc[i].items()}}
            for i, rec in enumerate(_frame_records(result.fold_table()))
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
             "results": run.add("optimization_results.json", payload, output)}
    if factor_names_output or names_fn:
        files["names"] = run.add("factor_names.csv", csv_bytes(names, index=False),
                                 factor_names_output)
    run.params.update({"factors": asdict(f), **{k: v for k, v in asdict(request).items()
                                               if k != "factors"}})
    run.params["storage"] = redact_url(request.storage)
    run.finish(fingerprint=fit.panel.fingerprint, seed=request.seed,
               headline={"verdict": report.verdict, "status": report.status,
                         **{k: results["overfitting"][k] for k in
                            ("in_sample_sharpe", "out_of_sample_sharpe", "n_trials", "dsr", "pbo")}})
    return OptimizeOutcome(fit, result, results, weights, run, files, names)


def redact_url(url: Any) -> str | None:
    """A storage URL safe for run records: ``scheme://user:***@host/db`` (passwords hidden)."""
    import re

    if url is None:
        return None
    if not isinstance(url, str):
        return "custom"
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _perf(returns: pd.Series) -> dict[str, float]:
    s = performance_summary(returns.dropna())
    return {k: float(s[k]) for k in ("annualized_return", "annualized_volatility", "sharpe_ratio",
                                     "max_drawdown", "n_periods")}


def load_results(path: str | Path) -> dict[str, Any]:
    """Read and validate an optimization results file (schema name and version checked)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: no such results file; create one with `eqf optimize "
                        "--output FILE`") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not a readable JSON results file ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != RESULTS_SCHEMA:
        raise UserError(f"{path} is not an eqf optimize results file (schema "
                        f"{data.get('schema') if isinstance(data, dict) else None!r}); create "
                        "one with `eqf optimize --output FILE`")
    if data.get("schema_version") != RESULTS_SCHEMA_VERSION:
        raise UserError(f"{path} has results schema version {data.get('schema_version')}, this "
                        f"eqf reads version {RESULTS_SCHEMA_VERSION}; rerun eqf optimize")
    import jsonschema

    try:
        jsonschema.validate(data, results_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "top level"
        raise UserError(f"{path} does not match the results schema at {where}: "
                        f"{exc.message}") from None
    return data
