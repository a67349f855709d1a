"""Flags shared by the analysis commands, and small helpers for their output."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from equity_factors.cli.console import console
from equity_factors.cli.flags import add_flags, factor_fields
from equity_factors.workflows.context import Context

if TYPE_CHECKING:
    from equity_factors.workflows.naming import Namer


def context(args: argparse.Namespace, progress=None) -> Context:
    return Context.create(getattr(args, "data_dir", None), progress)


def add_universe(p: argparse.ArgumentParser | argparse._ArgumentGroup, command: str) -> None:
    """``--universe`` from the flag table (:mod:`equity_factors.cli.flags`)."""
    add_flags(p, command, ["factors.universe"])


def add_period(p: argparse.ArgumentParser | argparse._ArgumentGroup, command: str) -> None:
    """``--start`` and ``--end`` from the flag table."""
    add_flags(p, command, ["factors.start", "factors.end"])


def add_factor_model(p: argparse.ArgumentParser | argparse._ArgumentGroup, command: str) -> None:
    """The factor-model flags of ``command`` from the flag table: the same flags and defaults
    for every command that fits factors (so caches are shared). ``--method`` defaults to None
    (= pca) so that a command reading a results file can tell a method the user typed."""
    add_flags(p, command, factor_fields(command))


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


def add_naming(p: argparse.ArgumentParser | argparse._ArgumentGroup, command: str) -> None:
    p.add_argument("--name-factors", action="store_true",
                   help="name the factors (offline rules, or an LLM when OPENAI_API_KEY is set)")
    add_flags(p, command, ["namer"])


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
