"""``eqf demo``: every stage that exists, on the bundled SAMPLE universe, into one folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from equity_factors.data.ingest import ingest_sample
from equity_factors.workflows.context import Context

Say = Callable[[str], None]

UNIVERSE = "SAMPLE"
START = "2012-01-01"  # the last ~11 years of the bundled prices keep the demo quick


@dataclass(frozen=True)
class DemoResult:
    output_dir: Path
    stages: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (stage, summary)
    report: Path | None = None  # the HTML report the last stage wrote


def _stages() -> list[tuple[str, Callable]]:
    return [("data", _data), ("discover", _discover), ("optimize", _optimize),
            ("basket", _basket), ("signals", _signals), ("regime", _regime),
            ("backtest", _backtest), ("report", _report)]


def run_demo(ctx: Context, output_dir: str | Path, say: Say = lambda s: None) -> DemoResult:
    """Run the whole workflow on SAMPLE, writing each stage's outputs under ``output_dir``."""
    out = Path(output_dir).resolve()
    stages: list[tuple[str, str]] = []
    state: dict = {}
    plan = _stages()
    for i, (name, fn) in enumerate(plan, start=1):
        say(f"{i}/{len(plan)} {name}")
        stages.append((name, fn(ctx, out, state)))
    return DemoResult(out, tuple(stages), state.get("report"))


def _data(ctx: Context, out: Path, state: dict) -> str:
    members = ingest_sample(ctx.store)
    return f"{len(members)} real S&P 500 stocks (1990-2022) stored in {ctx.data_dir.store_path}"


def _discover(ctx: Context, out: Path, state: dict) -> str:
    from equity_factors.workflows.discover import DiscoverRequest, discover
    from equity_factors.workflows.factors import FactorRequest

    request = FactorRequest(universe=UNIVERSE, method="pca", n_components=5, start=START)
    outcome = discover(ctx, DiscoverRequest(request, namer="offline"), argv=["demo", "discover"],
                       output_dir=out / "discover")
    state["factor_request"] = request
    names = ", ".join(f"{f}={n}" for f, n in zip(outcome.names["factor"], outcome.names["name"]))
    return f"PCA, 5 rolling out-of-sample factors: {names} -> {out / 'discover'}"


def _optimize(ctx: Context, out: Path, state: dict) -> str:
    from equity_factors.workflows.optimize import OptimizeRequest, optimize

    request = OptimizeRequest(factors=state["factor_request"], walk_forward=True,
                              train_window=126, test_window=21, max_folds=12, trials=40,
                              namer="offline")
    folder = out / "optimize"
    outcome = optimize(ctx, request, argv=["demo", "optimize"],
                       export_weights=folder / "optimal_weights.csv",
                       output=folder / "optimization_results.json",
                       factor_names_output=folder / "factor_names.csv")
    state["results_path"] = folder / "optimization_results.json"
    ov = outcome.results["overfitting"]
    return (f"walk-forward 12 folds x 40 Bayesian trials: in-sample Sharpe "
            f"{ov['in_sample_sharpe']:.2f}, out-of-sample {ov['out_of_sample_sharpe']:.2f} -> "
            f"{ov['status']}")


def _basket(ctx: Context, out: Path, state: dict) -> str:
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.basket import BasketRequest, basket

    spec = BasketSpec(long_pct=0.25, short_pct=0.25, capital=100_000, net_exposure=0.0)
    request = BasketRequest(results=str(state["results_path"]), universe=UNIVERSE, spec=spec,
                            factor_method="pca")
    outcome = basket(ctx, request, argv=["demo", "basket"], output=out / "basket" /
                     "trade_basket.csv")
    s = outcome.summary
    return (f"market-neutral basket: {s.n_long} long / {s.n_short} short, gross "
            f"${s.gross_dollars:,.0f} -> {out / 'basket'}")


def _signals(ctx: Context, out: Path, state: dict) -> str:
    from equity_factors.workflows.signals import run_all_signals

    return run_all_signals(ctx, state["factor_request"], out / "signals")


def _regime(ctx: Context, out: Path, state: dict) -> str:
    from equity_factors.workflows.regime import RegimeRequest, detect

    outcome = detect(ctx, RegimeRequest(state["factor_request"], n_regimes=3, predict=5),
                     argv=["demo", "regime"], output_dir=out / "regime")
    return f"current regime: {outcome.current_label} -> {out / 'regime'}"


def _backtest(ctx: Context, out: Path, state: dict) -> str:
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.backtest import BacktestRequest, backtest

    request = BacktestRequest(state["factor_request"], train_size=252, test_size=63, walks=10,
                              optimize=True, trials=40,
                              spec=BasketSpec(long_pct=0.25, short_pct=0.25, capital=100_000))
    outcome = backtest(ctx, request, argv=["demo", "backtest"], output_dir=out / "backtest")
    state["backtest_run"] = outcome.run.run_id
    s = outcome.summary
    return (f"10 walks x 63 days out of sample, monthly baskets, after costs: net Sharpe "
            f"{s['net']['sharpe']:.2f} (gross {s['gross']['sharpe']:.2f}) -> "
            f"{out / 'backtest'}")
def _report(ctx: Context, out: Path, state: dict) -> str:
    from equity_factors.workflows.report import write_report

    outcome = write_report(ctx, state.get("backtest_run", "latest"), output=out / "report.html")
    state["report"] = outcome.path
    return f"offline HTML report of the {outcome.kind} run ({outcome.n_charts} charts) -> " \
           f"{outcome.path}"
