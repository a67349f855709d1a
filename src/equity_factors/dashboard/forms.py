"""The workflows the dashboard can start: their form fields and how a form's values become the
workflow's request (the same request types and functions as the CLI)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from equity_factors.report.blocks import ReportDocument
from equity_factors.types import FACTOR_METHODS, STRATEGIES, TECHNIQUES
from equity_factors.workflows.context import Context

ARGV = ["dashboard"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    default: Any
    kind: str = "text"  # text, int, float, choice, bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Started:
    """What a started workflow recorded: its run id, a one-line summary, its report."""

    run_id: str
    summary: str
    document: ReportDocument


_FACTORS = (Field("universe", "Universe", "SAMPLE"),
            Field("method", "Factor method", "pca", "choice", FACTOR_METHODS),
            Field("n_components", "Factors (k)", 5, "int"),
            Field("start", "Start date (YYYY-MM-DD, empty: all)", "2015-01-01"))

WORKFLOWS: dict[str, Form] = {
    "discover": Form(_FACTORS),
    "optimize": Form(_FACTORS + (
        Field("technique", "Technique", "bayesian", "choice", TECHNIQUES),
        Field("trials", "Trials per fold", 20, "int"),
        Field("walk_forward", "Walk forward", True, "bool"),
        Field("train_window", "Train window (days)", 126, "int"),
        Field("test_window", "Test window (days)", 21, "int"),
        Field("max_folds", "Folds", 6, "int"))),
    "basket": Form((
        Field("results", "Results JSON (empty: the latest optimize run's)", ""),
        Field("universe", "Universe", "SAMPLE"),
        Field("long_pct", "Long share", 0.2, "float"),
        Field("short_pct", "Short share", 0.2, "float"),
        Field("capital", "Capital ($)", 100_000.0, "float"))),
}


def backtest_available() -> bool:
    """Whether this installation has the backtest workflow."""
    try:
        return importlib.util.find_spec("equity_factors.workflows.backtest") is not None
    except ModuleNotFoundError:
        return False


if backtest_available():
    WORKFLOWS["backtest"] = Form((
        Field("universe", "Universe", "SAMPLE"),
        Field("method", "Factor method", "pca", "choice", FACTOR_METHODS),
        Field("n_components", "Factors (k)", 5, "int"),
        Field("start", "Start date (YYYY-MM-DD, empty: all)", "2015-01-01"),
        Field("strategy", "Strategy", "basket", "choice", STRATEGIES),
        Field("train_size", "Train days per walk", 252, "int"),
        Field("test_size", "Test days per walk", 63, "int"),
        Field("walks", "Walks (0: all that fit)", 6, "int"),
        Field("optimize", "Optimize each walk's blend", False, "bool"),
        Field("trials", "Trials per walk", 50, "int"),
        Field("long_pct", "Long share", 0.25, "float"),
        Field("short_pct", "Short share", 0.25, "float")))


def _factor_request(values: dict[str, Any]) -> Any:
    from equity_factors.workflows.factors import FactorRequest

    return FactorRequest(universe=str(values["universe"]).strip(), method=values["method"],
                         n_components=int(values["n_components"]),
                         start=str(values.get("start") or "").strip() or None)


def _run(ctx: Context, name: str, values: dict[str, Any]) -> tuple[str, str]:
    """Start workflow ``name``; returns (run id, summary)."""
    if name == "discover":
        from equity_factors.workflows.discover import DiscoverRequest, discover

        found = discover(ctx, DiscoverRequest(_factor_request(values), namer="offline"),
                         argv=ARGV)
        return found.run.run_id, (f"{found.fit.result.n_factors} factors of "
                                  f"{found.fit.universe.label}")
    if name == "optimize":
        from equity_factors.workflows.optimize import OptimizeRequest, optimize

        request = OptimizeRequest(
            factors=_factor_request(values), technique=values["technique"],
            trials=int(values["trials"]), walk_forward=bool(values["walk_forward"]),
            train_window=int(values["train_window"]), test_window=int(values["test_window"]),
            max_folds=int(values["max_folds"]), namer="offline")
        optimized = optimize(ctx, request, argv=ARGV)
        ov = optimized.results["overfitting"]
        return optimized.run.run_id, f"{ov['status']}: {ov['verdict']}"
    if name == "basket":
        from equity_factors.portfolio import BasketSpec
        from equity_factors.workflows.basket import BasketRequest, basket
        from equity_factors.workflows.report import run_file

        results = str(values.get("results") or "").strip() or str(
            run_file(ctx, "latest", "optimization_results.json")
            if _has_optimize(ctx) else "")
        if not results:
            from equity_factors.errors import UserError

            raise UserError("no optimize run yet: start optimize first or give a results JSON")
        spec = BasketSpec(long_pct=float(values["long_pct"]), short_pct=float(values["short_pct"]),
                          capital=float(values["capital"]))
        made = basket(ctx, BasketRequest(results=results, universe=str(values["universe"]),
                                         spec=spec), argv=ARGV)
        s = made.summary
        return made.run.run_id, (f"{s.n_long} long / {s.n_short} short, gross "
                                 f"${s.gross_dollars:,.0f}")
    if name == "backtest":
        from equity_factors.portfolio import BasketSpec
        from equity_factors.workflows.backtest import BacktestRequest, backtest

        walks = int(values["walks"])
        bt_request = BacktestRequest(
            factors=_factor_request(values), strategy=values["strategy"],
            train_size=int(values["train_size"]), test_size=int(values["test_size"]),
            walks=walks if walks > 0 else None, optimize=bool(values["optimize"]),
            trials=int(values["trials"]),
            spec=BasketSpec(long_pct=float(values["long_pct"]),
                            short_pct=float(values["short_pct"])))
        bt_request.validate()
        tested = backtest(ctx, bt_request, argv=ARGV)
        return tested.run.run_id, tested.summary["verdict"]
    raise KeyError(name)


def _has_optimize(ctx: Context) -> bool:
    from equity_factors.workflows.report import runs

    return bool(len(runs(ctx, "optimize")))


def start(ctx: Context, name: str, values: dict[str, Any]) -> Started:
    """Run workflow ``name`` with the form's ``values``; its run's report comes back."""
    from equity_factors.workflows.report import document

    run_id, summary = _run(ctx, name, values)
    return Started(run_id, summary, document(ctx, run_id))
