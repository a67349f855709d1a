"""``eqf routine``: the daily pre-market routine in one command, on one screen."""

from __future__ import annotations

import argparse

from equity_factors.cli.common import (
    add_factor_model,
    add_period,
    add_universe,
    context,
    factor_request,
)
from equity_factors.cli.console import console, progress_factory
from equity_factors.cli.flags import add_flags


def cmd_routine(args: argparse.Namespace) -> int:
    from equity_factors.workflows.routine import RoutineRequest, routine, summary_lines

    request = RoutineRequest(factor_request(args), n_regimes=args.n_regimes,
                             predict=args.predict, threshold=args.threshold,
                             top_pct=args.top_pct, bottom_pct=args.bottom_pct,
                             results=args.results, basket=args.basket)
    request.validate()  # before any data is read
    with progress_factory() as progress:
        out = routine(context(args, progress), request, argv=args.argv,
                      output_dir=args.output_dir)
    for line in summary_lines(out, width=min(console.width, 80)):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"files in {args.output_dir}", markup=False, highlight=False, soft_wrap=True)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "routine", parents=[common], help="the morning: regime, alerts, candidates, basket",
        description="Fetch what is missing (with an Alpha Vantage key), then the regime now and "
                    "its forecast, extreme alerts, cross-section candidates and, with --results, "
                    "today's basket and its trades against --basket (yesterday's). Each stage "
                    "writes the files its own command writes.")
    add_universe(p, "routine")
    add_period(p, "routine")
    add_flags(p, "routine", ["results", "basket", "n_regimes", "predict", "threshold",
                             "top_pct", "bottom_pct"])
    g = p.add_argument_group("factor model (of the regime and signal stages)")
    add_factor_model(g, "routine")
    p.add_argument("--output-dir", default=".", help="where to write files (default: here)")
    p.set_defaults(handler=cmd_routine)
