"""``eqf optimize``: the blend of factors with the best risk-adjusted return, and how much of it
to believe."""

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
from equity_factors.cli.console import console, kv_table, progress_factory, table
from equity_factors.cli.flags import add_flags
from equity_factors.errors import UserError


def cmd_optimize(args: argparse.Namespace) -> int:
    from equity_factors.workflows.optimize import OptimizeRequest, optimize

    if args.walk_forward and args.lookback is not None:
        raise UserError("--lookback sets the window of a single fit; with --walk-forward each "
                        "fold trains on --train-window days: drop --lookback or --walk-forward")
    factors = factor_request(args)
    request = OptimizeRequest(
        factors=factors, technique=args.technique, methods=tuple(args.methods),
        objective=args.objective, search=args.search, long_only=args.long_only,
        trials=args.trials, walk_forward=args.walk_forward, train_window=args.train_window,
        test_window=args.test_window, max_folds=args.max_folds,
        lookback=252 if args.lookback is None else args.lookback,
        storage=args.storage, study=args.study, workers=args.workers, executor=args.executor,
        address=args.address, n_jobs=args.n_jobs, seed=args.seed, namer=namer(args))
    with progress_factory() as progress:
        ctx = context(args, progress)
        out = optimize(ctx, request, argv=args.argv, export_weights=args.export_weights,
                       output=args.output,
                       factor_names_output=args.factor_names_output, progress=progress)
    result = out.result
    fitting = ("walk-forward " + str(len(result.folds)) + " folds" if request.walk_forward
               else "single in-sample fit on " + str(request.lookback) + " days")
    console.print(f"{out.fit.universe.label}: {out.fit.result.method} factors "
                  f"({out.fit.result.n_factors}), {request.technique}, "
                  f"{fitting}")
    if request.storage:
        opt = out.results["optimization"]
        console.print(f"study {opt['study_name']} on {opt['storage']}: "
                      f"{out.results['overfitting']['n_trials']} trials in all")
    console.print(table(out.weights.set_index("factor"), title="Factor weights"))
    if request.walk_forward:
        console.print(table(result.fold_table()[["test_start", "test_end", "in_sample_sharpe",
                                                 "out_of_sample_sharpe"]].tail(10),
                            title="Last folds (Sharpe annualized)"))
    ov = out.results["overfitting"]
    labels = overfitting_labels(request.walk_forward)
    console.print(kv_table({labels.get(k, k): (f"{v:.3f}" if isinstance(v, float) else v)
                            for k, v in ov.items() if k != "verdict"},
                           title="Overfitting report"))
    style = {"likely_overfit": "bold red", "overstated": "yellow"}.get(
        out.results["overfitting"]["status"], "green")
    console.print(f"[{style}]verdict: {out.results['overfitting']['verdict']}[/]")
    print_notes(list(out.fit.result.warnings) + list(out.fit.notes) + naming_notes(out.names))
    print_files(out.files)
    print_run(out.run)
    return 0


def overfitting_labels(walk_forward: bool) -> dict[str, str]:
    """What each overfitting figure measures, said where it is printed (in-sample figures are
    of the trial the optimizer selected on the train windows, not of the out-of-sample run)."""
    where = "stitched test windows" if walk_forward else "in sample: no test window"
    return {
        "in_sample_sharpe": "in-sample Sharpe (selected trial, train windows)",
        "out_of_sample_sharpe": f"out-of-sample Sharpe ({where})",
        "sharpe_correlation": "corr(in-, out-of-sample Sharpe) over folds",
        "n_trials": "trials (all folds)",
        "psr": ("PSR: P(true OOS Sharpe > 0)" if walk_forward
                else "PSR: P(true Sharpe > 0), in sample"),
        "dsr": "DSR of the selected in-sample trial",
        "p_beats_noise": "P(in-sample Sharpe beats noise)",
        "pbo": "PBO (CSCV over the trials)",
        "prob_oos_loss": "P(OOS loss | CSCV best trial)",
        "degradation_slope": "OOS vs IS Sharpe slope (CSCV)",
        "status": "status",
    }


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "optimize", parents=[common], help="optimize factor weights (walk-forward)",
        description="Fit factors out of sample (rolling), optimize the factor weights and report "
                    "how much of the in-sample Sharpe survives out of sample.")
    add_universe(p, "optimize")
    add_period(p, "optimize")
    g = p.add_argument_group("factor model (rolling, out of sample)")
    add_factor_model(g, "optimize")
    g = p.add_argument_group("optimization")
    add_flags(g, "optimize", ["technique", "methods", "objective", "search", "long_only",
                              "trials", "lookback", "walk_forward", "train_window",
                              "test_window", "max_folds", "seed", "n_jobs"])
    g = p.add_argument_group("more than one process or machine")
    add_flags(g, "optimize", ["storage", "study", "workers", "executor", "address"])
    g = p.add_argument_group("outputs")
    g.add_argument("--export-weights", metavar="CSV", help="write the factor weights here")
    g.add_argument("--output", metavar="JSON",
                   help="write the results JSON here (eqf basket reads it)")
    add_naming(g, "optimize")
    g.add_argument("--factor-names-output", metavar="CSV", help="write the factor names here")
    p.set_defaults(handler=cmd_optimize)
