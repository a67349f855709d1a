"""``eqf sweep``: the backtest over a grid of factor models, and how honest the pick is."""

from __future__ import annotations

import argparse

from equity_factors.cli.backtest_cmd import add_costs_switch, backtest_request
from equity_factors.cli.common import add_period, add_universe, context, print_files, print_run
from equity_factors.cli.console import console, progress_factory, table
from equity_factors.cli.flags import COMMAND_FLAGS, add_flags

#: The backtest flags a sweep takes as they are (the grid replaces method, k and lookback;
#: --methods names the grid's factor methods here, so the blend keeps its default methods).
_GRID = ("factors.method", "factors.n_components", "factors.lookback", "methods")


def cmd_sweep(args: argparse.Namespace) -> int:
    from equity_factors.workflows.sweep import SweepRequest, sweep

    args.method, args.n_components, args.factor_lookback = args.methods[0], args.k[0], \
        args.lookback[0]
    template = backtest_request(args, blend_methods=COMMAND_FLAGS["backtest"]["methods"].default)
    request = SweepRequest(template, methods=tuple(args.methods), ks=tuple(args.k),
                           lookbacks=tuple(args.lookback), executor=args.executor,
                           address=args.address, workers=args.workers)
    request.validate()
    with progress_factory() as progress:
        out = sweep(context(args, progress), request, argv=args.argv,
                    output_dir=args.output_dir)
    console.print(table(out.table.drop(columns=["run_id", "n_days"]), index=False,
                        title=f"{len(out.table)} backtests (out-of-sample, annualized)",
                        labels={"oos_sharpe": "OOS SR", "net_annual_return": "net ret",
                                "gross_annual_return": "gross ret",
                                "annual_turnover": "turnover", "cost_drag": "cost drag",
                                "max_drawdown": "max DD", "lookback": "lookbk"},
                        columns=["method", "k", "lookback", "oos_sharpe", "ci_low", "ci_high",
                                 "net_annual_return", "annual_turnover", "cost_drag", "dsr"],
                        float_format="{:,.2f}"))
    console.print(f"verdict: {out.summary['verdict']}")
    print_files(out.files)
    print_run(out.run)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sweep", parents=[common], help="backtest a grid of factor models",
                       description="Run eqf backtest for every combination of factor method, "
                                   "number of factors and lookback (on local processes, Ray or "
                                   "Dask) and compare them out of sample, with the probability "
                                   "of backtest overfitting across the grid.")
    add_universe(p, "backtest")
    add_period(p, "backtest")
    p.add_argument("--methods", nargs="+", default=["pca"], metavar="METHOD",
                   help="factor methods of the grid (default pca)")
    p.add_argument("--k", nargs="+", type=int, default=[5], metavar="N",
                   help="numbers of factors of the grid (default 5)")
    p.add_argument("--lookback", nargs="+", type=int, default=[252], metavar="DAYS",
                   help="rolling fit windows of the grid (default 252)")
    table_ = COMMAND_FLAGS["backtest"]
    add_flags(p, "backtest", [k for k in table_ if k not in _GRID and k not in (
        "factors.universe", "factors.start", "factors.end")])
    add_costs_switch(p)
    p.add_argument("--executor", choices=("local", "ray", "dask"), default="local",
                   help="where the grid's backtests run (default local processes)")
    p.add_argument("--address", default=None, help="a Ray or Dask cluster to join")
    p.add_argument("--workers", type=int, default=1,
                   help="backtests at once (local processes or a local cluster's workers)")
    p.add_argument("--output-dir", default="sweep", help="folder for sweep_results.csv and "
                   "sweep_summary.json (default ./sweep)")
    p.set_defaults(handler=cmd_sweep)
