"""``eqf data fetch`` for real data (Alpha Vantage): parse, call the workflow, print the table."""

from __future__ import annotations

import argparse

from equity_factors.cli.console import console, err_console, progress_factory, table
from equity_factors.data.providers.alphavantage import load_config
from equity_factors.workflows.context import Context
from equity_factors.workflows.fetch import fetch, no_key_error


def run(args: argparse.Namespace) -> int:
    """Fetch ``args.universe`` from Alpha Vantage; exit 0 when complete, 1 when a rerun has work."""
    config = load_config()
    if not config.api_key:
        raise no_key_error(args.universe)
    with progress_factory() as progress:
        ctx = Context.create(getattr(args, "data_dir", None), progress)
        report = fetch(ctx, args.universe, start=args.start, refresh=bool(args.refresh),
                       fundamentals=bool(getattr(args, "fundamentals", False)),
                       listing_status=bool(getattr(args, "listing_status", False)),
                       config=config, replace=bool(getattr(args, "replace", False)))
    for note in report.notes:
        console.print(note)
    console.print(table(report.summary(), title=f"Alpha Vantage fetch of {report.spec}"))
    failures = report.failures()
    if not failures.empty:
        console.print(table(failures, title="Failed or not fetched", index=False))
    console.print(f"{report.calls} calls in {report.seconds:,.1f} s "
                  f"({report.rate_per_minute:,.1f}/min, limit "
                  f"{config.calls_per_minute:g}/min); {report.cached_answers} answers reused "
                  f"from the store; key tier: {report.tier}")
    if report.budget:
        console.print(report.budget)
    if report.universe:
        console.print(f"universe {report.universe} stored: {len(report.members)} members")
    if report.stopped:
        err_console.print(f"stopped early: {report.stopped}")
    elif report.exit_code == 2:
        err_console.print(f"eqf: error: {report.reason()}")
    elif report.exit_code:
        err_console.print("some symbols are left; rerun the same command to retry them")
    return report.exit_code
