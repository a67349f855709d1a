"""``eqf demo``: the whole workflow on bundled data."""

from __future__ import annotations

import argparse

from equity_factors.cli.console import console, progress_factory, table
from equity_factors.workflows.context import Context
from equity_factors.workflows.demo import run_demo


def cmd_demo(args: argparse.Namespace) -> int:
    import pandas as pd

    with progress_factory() as progress:
        ctx = Context.create(getattr(args, "data_dir", None), progress)
        result = run_demo(ctx, args.output_dir, say=lambda s: console.print(f"[bold]>[/] {s}"))
    frame = pd.DataFrame(result.stages, columns=["stage", "result"]).set_index("stage")
    console.print(table(frame, title="Demo"))
    # the demo's one answer, kept on one line to copy or grep (never wrapped at the console
    # width, unlike the other commands' path lines, see cli.common.print_path)
    console.print(f"results in {result.output_dir}", markup=False, soft_wrap=True)
    if result.report is not None:
        console.print(f"report in {result.report}", markup=False, soft_wrap=True)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common], help="run the whole workflow on bundled data",
                       description="Runs every stage on the bundled SAMPLE universe (real prices "
                                   "of 20 S&P 500 stocks) and writes the results to one folder.")
    p.add_argument("--output-dir", default="eqf-demo",
                   help="where to write results (default eqf-demo)")
    p.set_defaults(handler=cmd_demo)
