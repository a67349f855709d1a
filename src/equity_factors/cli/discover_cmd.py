"""``eqf discover``: latent factors of a universe."""

from __future__ import annotations

import argparse

from equity_factors.cli.common import (
    add_factor_model,
    add_naming,
    add_period,
    add_universe,
    context,
    factor_request,
    namer,
    naming_notes,
    print_files,
    print_notes,
    print_run,
)
from equity_factors.cli.console import console, progress_factory, table

#: The columns of factor_summary.csv shown in the terminal (the file has them all).
SUMMARY_COLUMNS = ["name", "annualized_return", "annualized_volatility", "sharpe_ratio",
                   "max_drawdown", "explained_variance_ratio", "mean_stability"]


def cmd_discover(args: argparse.Namespace) -> int:
    from equity_factors.workflows.discover import DiscoverRequest, discover

    request = DiscoverRequest(factor_request(args), namer=namer(args))
    with progress_factory() as progress:
        outcome = discover(context(args, progress), request, argv=args.argv,
                           output_dir=args.output_dir)
    fit = outcome.fit
    console.print(f"{fit.universe.label}: {len(fit.panel.symbols)} stocks "
                  f"({len(fit.panel.dropped)} dropped), {fit.result.method} "
                  f"{fit.result.mode}, {fit.result.n_factors} factors, "
                  f"{fit.result.factor_returns.index[0]:%Y-%m-%d} to "
                  f"{fit.result.factor_returns.index[-1]:%Y-%m-%d}"
                  + (" (cached)" if fit.cached else ""))
    shown = outcome.summary.copy()
    shown.insert(0, "name", outcome.names.set_index("factor")["name"])
    console.print(table(shown, title="Factors", columns=SUMMARY_COLUMNS))
    print_notes(list(fit.result.warnings) + list(fit.notes) + naming_notes(outcome.names))
    print_files(outcome.files)
    print_run(outcome.run)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("discover", parents=[common], help="find the latent factors of a universe",
                       description="Fit a factor model and write factor_returns.csv, "
                                   "factor_loadings.csv, factor_names.csv, factor_summary.csv and "
                                   "cumulative_factor_returns.png.")
    add_universe(p, "discover")
    add_factor_model(p, "discover")
    add_period(p, "discover")
    add_naming(p, "discover")
    p.add_argument("--output-dir", default=".", help="where to write the files (default: here)")
    p.set_defaults(handler=cmd_discover)
