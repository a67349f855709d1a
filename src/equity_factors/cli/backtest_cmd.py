"""``eqf backtest``: would the strategy have worked, walk-forward, after costs?"""

from __future__ import annotations

import argparse

from equity_factors.cli.common import (
    add_factor_model,
    add_period,
    add_universe,
    context,
    factor_request,
    print_files,
    print_notes,
    print_path,
    print_run,
)
from equity_factors.cli.console import console, kv_table, progress_factory, table
from equity_factors.cli.flags import COMMAND_FLAGS, add_flags

#: The tear-sheet rows printed, with their labels.
SHEET = {"annual_return": "annual return", "annual_volatility": "annual volatility",
         "sharpe": "Sharpe", "sortino": "Sortino", "calmar": "Calmar",
         "max_drawdown": "max drawdown", "annual_turnover": "turnover (one-way, a year)",
         "hit_rate": "hit rate (days up)", "beta": "beta to benchmark",
         "alpha": "alpha (annual)", "information_ratio": "information ratio"}


def backtest_request(args: argparse.Namespace, blend_methods: tuple[str, ...] | None = None):
    """The :class:`BacktestRequest` of the parsed flags (checked before any data is read);
    ``blend_methods`` replaces ``--methods`` (``eqf sweep`` uses that flag for its grid)."""
    from equity_factors.backtest.costs import CostModel
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.backtest import BacktestRequest

    spec = BasketSpec(
        long_pct=args.long_pct, short_pct=args.short_pct, capital=args.capital,
        net_exposure=args.net_exposure, gross_exposure=args.gross_exposure, sizing=args.sizing,
        max_weight=args.max_weight, min_price=args.min_price, min_adv=args.min_adv)
    if args.costs == "none":
        costs = CostModel.none()
    else:
        costs = CostModel(commission_bps=args.commission_bps,
                          half_spread_bps=args.half_spread_bps, per_share=args.per_share,
                          min_commission=args.min_commission, impact=args.impact,
                          volume_cap=args.volume_cap, borrow_rate=args.borrow_rate,
                          cash_rate=args.cash_rate)
    request = BacktestRequest(
        factors=factor_request(args), strategy=args.strategy, train_size=args.train_size,
        test_size=args.test_size, walks=args.walks, optimize=args.optimize,
        technique=args.technique,
        methods=tuple(blend_methods if blend_methods is not None else args.methods),
        objective=args.objective,
        search=args.search, long_only=args.long_only, trials=args.trials,
        rebalance=args.rebalance, spec=spec, costs=costs, fill=args.fill, shares=args.shares,
        benchmark=args.benchmark, membership=args.membership, threshold=args.threshold,
        n_regimes=args.n_regimes, regime_min_train=args.regime_min_train,
        regime_refit_every=args.regime_refit_every, regime_restarts=args.regime_restarts,
        seed=args.seed)
    request.validate()
    return request


def cmd_backtest(args: argparse.Namespace) -> int:
    from equity_factors.workflows.backtest import backtest

    request = backtest_request(args)
    with progress_factory() as progress:
        out = backtest(context(args, progress), request, argv=args.argv,
                       output_dir=args.output_dir, report=args.report)
    s = out.summary
    console.print(f"{request.factors.universe}: {request.strategy} strategy, {s['n_walks']} "
                  f"walks of {request.train_size}+{request.test_size} days, "
                  f"{s['start']}..{s['end']}, {s['n_rebalances']} rebalances; benchmark "
                  f"{s['benchmark']}")
    sheet = {label: (f"{s['net'].get(k):.3f}" if s["net"].get(k) is not None else "n/a",
                     f"{s['gross'].get(k):.3f}" if s["gross"].get(k) is not None else "n/a")
             for k, label in SHEET.items() if k in s["net"]}
    import pandas as pd

    console.print(table(pd.DataFrame(sheet, index=["net", "gross"]).T, title="Tear sheet"))
    walks = out.walks.set_index("walk")[["test_start", "train_sharpe", "test_sharpe",
                                         "turnover", "cost_drag"]].tail(12)
    console.print(table(walks, title="Last walks (Sharpe annualized; costs summed)",
                        labels={"test_start": "trades from", "train_sharpe": "train SR",
                                "test_sharpe": "test SR", "cost_drag": "costs"},
                        float_format="{:,.3f}"))
    extra = {"final equity": f"{s['final_equity']:,.0f} (from {s['capital']:,.0f})",
             "break-even cost": "n/a" if s["break_even_bps"] is None
             else f"{s['break_even_bps']:.1f} bps of traded notional",
             "deflated Sharpe (selected trials)": "n/a (no --optimize)"
             if s["deflated_sharpe"] is None else f"{s['deflated_sharpe']:.3f}",
             "PBO": "n/a (no --optimize)" if s["pbo"] is None else f"{s['pbo']:.3f}"}
    console.print(kv_table(extra, title="Costs and overfitting"))
    style = "green" if s["status"] == "significant" else "yellow"
    console.print(f"[{style}]verdict: {s['verdict']}[/]")
    if s["survivorship"].get("biased"):
        console.print(f"[yellow]survivorship:[/] {s['survivorship']['note']}")
    print_notes(s["notes"][:5])
    print_files(out.files)
    if out.report is not None:
        print_path("report", out.report)
    print_run(out.run)
    return 0


def add_costs_switch(p: argparse.ArgumentParser) -> None:
    """``--costs default|none`` (not a request field: ``none`` replaces the cost flags)."""
    p.add_argument("--costs", choices=("default", "none"), default="default",
                   help="none: every cost zero (the gross result); default: the cost flags")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backtest", parents=[common], help="walk-forward backtest with costs",
                       description="Backtest a strategy walk-forward: each walk learns on its "
                                   "train window and trades the next test window out of "
                                   "sample, with commissions, spread, impact and borrow; "
                                   "writes returns, positions, trades, attribution and a "
                                   "tear sheet.")
    add_universe(p, "backtest")
    add_period(p, "backtest")
    add_factor_model(p, "backtest")
    table_ = COMMAND_FLAGS["backtest"]
    add_flags(p, "backtest", [k for k in table_ if not k.startswith("factors.")])
    add_costs_switch(p)
    p.add_argument("--output-dir", default="backtest",
                   help="folder for the backtest files (default ./backtest)")
    p.add_argument("--report", action="store_true",
                   help="also write the HTML report of the run (backtest_report.html)")
    p.set_defaults(handler=cmd_backtest)
