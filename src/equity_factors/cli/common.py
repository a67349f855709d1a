"""Flags shared by the analysis commands, and small helpers for their output."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from equity_factors.cli.console import console
from equity_factors.workflows.context import Context

if TYPE_CHECKING:
    from equity_factors.workflows.naming import Namer


def context(args: argparse.Namespace, progress=None) -> Context:
    return Context.create(getattr(args, "data_dir", None), progress)


def add_universe(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--universe", "--symbols", dest="universe", required=required, metavar="U",
                   help="universe name, ETF, comma list of symbols/ETFs, or @file.txt "
                        "(e.g. SAMPLE, SYN500, \"SPY,QQQ,IWM\")")


def add_period(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start", help="first date used (YYYY-MM-DD)")
    p.add_argument("--end", help="last date used (YYYY-MM-DD)")


def add_factor_model(p: argparse.ArgumentParser, method_flags: tuple[str, ...] = ("--method",),
                     default_k: int = 10, lookback_flags: tuple[str, ...] = ("--lookback",),
                     modes: bool = True, seed: bool = True) -> None:
    """The factor-model flags, one definition for every command that fits factors (same
    defaults everywhere, so caches are shared). ``--method`` defaults to None (= pca) so that a
    command reading a results file can tell a method the user typed from the default."""
    from equity_factors.types import FACTOR_METHODS

    p.add_argument(*method_flags, dest="method", default=None, metavar="METHOD",
                   help=f"factor method: {', '.join(FACTOR_METHODS)} (case-insensitive; "
                        "default pca)")
    p.add_argument("-k", "--n-components", dest="n_components", type=int, default=default_k,
                   help=f"number of factors (default {default_k})")
    p.add_argument(*lookback_flags, dest="factor_lookback", type=int, default=252,
                   help="trading days in each rolling factor fit window (default 252)")
    p.add_argument("--refit", type=int, default=21,
                   help="refit the factors every N trading days (default 21)")
    if modes:
        p.add_argument("--mode", choices=("rolling", "in-sample"), default="rolling",
                       help="rolling out-of-sample fits (default) or one in-sample fit")
    p.add_argument("--min-coverage", type=float, default=0.9,
                   help="a stock enters a fit window only with returns on this share of its days "
                        "(default 0.9)")
    if seed:
        p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")


def factor_request(args: argparse.Namespace):
    from equity_factors.workflows.factors import FactorRequest

    return FactorRequest(universe=args.universe, method=args.method or "pca",
                         n_components=args.n_components, start=getattr(args, "start", None),
                         end=getattr(args, "end", None), lookback=args.factor_lookback,
                         refit=args.refit, mode=getattr(args, "mode", "rolling"), seed=args.seed,
                         min_coverage=args.min_coverage)


def print_path(prefix: str, path: str | os.PathLike[str]) -> None:
    """Print ``prefix path`` on one line when it fits the console, else the prefix and then
    the path alone on the next line. A path is never split (it stays copyable): one longer
    than the console is printed whole, past the edge."""
    text = str(path)
    if len(prefix) + 1 + len(text) <= console.width:
        console.print(f"{prefix} {text}", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(prefix, markup=False, highlight=False)
        console.print(text, markup=False, highlight=False, soft_wrap=True)


def print_files(files: Mapping[str, str | os.PathLike[str]]) -> None:
    """One ``wrote <path>`` line per file a command wrote (``files``: output name -> path)."""
    for path in files.values():
        print_path("wrote", path)


def print_run(run) -> None:
    print_path(f"run {run.run_id} recorded in", run.folder)


def print_notes(notes) -> None:
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")


def add_naming(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name-factors", action="store_true",
                   help="name the factors (offline rules, or an LLM when OPENAI_API_KEY is set)")
    p.add_argument("--namer", default="auto", choices=("auto", "offline", "llm"),
                   help="auto (llm when OPENAI_API_KEY is set, else offline), offline or llm")


def namer(args: argparse.Namespace) -> Namer | None:
    """The request's ``namer``: None unless ``--name-factors`` was given, then ``--namer``
    (argparse has checked it against the namers)."""
    return cast("Namer", args.namer) if getattr(args, "name_factors", False) else None


def naming_notes(names) -> list[str]:
    """One note when the LLM namer fell back to offline names."""
    if names is None or "namer" not in names:
        return []
    failed = names["namer"].astype(str).str.startswith("offline (llm failed")
    if failed.any():
        reason = names.loc[failed, "namer"].iloc[0]
        return [f"{int(failed.sum())} factor(s) got offline names: {reason}"]
    return []
