"""``eqf data {status,health,vacuum,import,fetch}`` and ``eqf clean``."""

from __future__ import annotations

import argparse
import sys

from equity_factors.cli.console import console, kv_table, progress_factory, table
from equity_factors.data.paths import eqf_command, resolve_data_dir
from equity_factors.errors import UserError
from equity_factors.workflows import data as wf
from equity_factors.workflows.context import Context


def _ctx(args: argparse.Namespace, progress=None) -> Context:
    return Context.create(getattr(args, "data_dir", None), progress)


def cmd_status(args: argparse.Namespace) -> int:
    st = wf.status(_ctx(args))
    if st.universes.empty:
        root = _ctx(args).data_dir.root
        fetch = eqf_command(root, 'data fetch --universe SAMPLE')
        console.print(f"The store is empty. Try `{fetch}`"
                      f" or `{eqf_command(root, 'demo')}`.")
        _print_cache(st.cache)
        return 0
    console.print(table(st.universes.set_index("name")[["source", "members", "bar_sources",
                                                        "updated_at"]], title="Universes"))
    cov = st.coverage
    summary = cov.groupby("source").agg(symbols=("rows", "size"), bars=("rows", "sum"),
                                        first=("first_date", "min"), last=("last_date", "max"))
    summary["first"] = summary["first"].dt.strftime("%Y-%m-%d")
    summary["last"] = summary["last"].dt.strftime("%Y-%m-%d")
    console.print(table(summary, title="Stored bars by source"))
    if args.symbols:
        wanted = [s.strip().upper() for s in args.symbols.split(",")]
        sel = cov[cov.index.isin(wanted)].copy()
        for c in ("first_date", "last_date"):
            sel[c] = sel[c].dt.strftime("%Y-%m-%d")
        console.print(table(sel, title="Symbols"))
    if not st.fetches.empty:
        console.print(table(st.fetches, title="Last fetches", index=False))
    _print_cache(st.cache)
    return 0


def _print_cache(size: dict[str, int] | None) -> None:
    if not size:
        return
    entries = "unreadable (rebuilt on next use)" if size["window_entries"] < 0 \
        else f"{size['window_entries']:,} window results"
    console.print(f"results cache: {size['bytes'] / 1e6:,.1f} MB, {entries} "
                  "(eqf clean --cache empties it)", markup=False, highlight=False)


def cmd_health(args: argparse.Namespace) -> int:
    h = wf.health(_ctx(args))
    rows = h.pop("rows")
    h["size"] = f"{h.pop('size_bytes') / 1e6:,.1f} MB"
    console.print(kv_table(h, title="Store health"))
    console.print(kv_table(rows, title="Rows"))
    return 0 if h["integrity"] == "ok" else 1


def cmd_vacuum(args: argparse.Namespace) -> int:
    before, after = wf.vacuum(_ctx(args))
    console.print(f"vacuumed: {before / 1e6:,.1f} MB -> {after / 1e6:,.1f} MB")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    symbols, rows = wf.import_prices(_ctx(args), args.path, args.universe,
                                     replace=bool(args.replace))
    console.print(f"imported {rows:,} bars of {len(symbols)} symbols as universe {args.universe}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from equity_factors.data.synthetic import parse_synthetic_universe

    upper = args.universe.upper()
    if upper == "SAMPLE" or parse_synthetic_universe(upper) is not None:
        with progress_factory() as progress:
            symbols = wf.fetch_bundled(_ctx(args, progress), args.universe, args.seed,
                                       replace=bool(args.replace))
        console.print(f"stored {len(symbols)} symbols of {args.universe}")
        return 0
    from equity_factors.cli import fetch_remote

    return fetch_remote.run(args)


def register_data(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("data", parents=[common], help="fetch, import and inspect stored data",
                       description="Fetch, import and inspect the data in the store.")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", parser_class=type(p))
    dsub.required = True

    s = dsub.add_parser("status", parents=[common],
                        help="universes, symbols, date ranges, last fetches")
    s.add_argument("--symbols", help="also list these symbols (comma list)")
    s.set_defaults(handler=cmd_status)

    s = dsub.add_parser("health", parents=[common],
                        help="integrity check, journal mode, size, row counts, lock state")
    s.set_defaults(handler=cmd_health)

    s = dsub.add_parser("vacuum", parents=[common], help="compact the store file")
    s.set_defaults(handler=cmd_vacuum)

    s = dsub.add_parser("import", parents=[common], help="import a CSV/Parquet price file",
                        description="Import prices from CSV or Parquet, long (date,symbol,close "
                                    "or adj_close[,open,high,low,volume]) or wide (date + one "
                                    "column per symbol).")
    s.add_argument("path", help="the file to import")
    s.add_argument("--universe", required=True, help="name to store the universe under")
    s.add_argument("--replace", action="store_true",
                   help="replace the bars of symbols stored from another source (and a universe "
                        "of that name from another source) instead of refusing")
    s.set_defaults(handler=cmd_import)

    s = dsub.add_parser("fetch", parents=[common], help="fetch or generate a universe's data",
                        description="Store a universe: SAMPLE (bundled real prices), SYN<n> "
                                    "(synthetic, n stocks), or real data from Alpha Vantage.")
    s.add_argument("--universe", "--symbols", dest="universe", required=True,
                   help="SAMPLE, SYN500, an ETF symbol, or a comma list of symbols")
    s.add_argument("--seed", type=int, default=None,
                   help="seed of a synthetic universe (default 42)")
    s.add_argument("--start", help="first date to fetch (YYYY-MM-DD)")
    s.add_argument("--refresh", action="store_true", help="fetch again even if up to date")
    s.add_argument("--fundamentals", action="store_true",
                   help="Alpha Vantage: also fetch OVERVIEW, EARNINGS and BALANCE_SHEET per symbol")
    s.add_argument("--listing-status", action="store_true",
                   help="Alpha Vantage: also store LISTING_STATUS (active and delisted symbols)")
    s.add_argument("--replace", action="store_true",
                   help="replace the bars of symbols stored from another source (a symbol's "
                        "bars come from one source) instead of refusing them")
    s.set_defaults(handler=cmd_fetch)


def cmd_clean(args: argparse.Namespace) -> int:
    if args.all and not args.yes:
        if not sys.stdin.isatty():
            root = resolve_data_dir(getattr(args, "data_dir", None)).root
            raise UserError(f"`eqf clean --all` deletes the store and all runs of {root}; "
                            f"confirm with `{eqf_command(root, 'clean --all --yes')}`")
        answer = input("Delete the store, all runs and caches? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            console.print("nothing deleted")
            return 0
    if args.all and args.cache:
        raise UserError("--cache and --all exclude each other: --cache empties only the "
                        "results cache, --all deletes everything")
    report = wf.clean(getattr(args, "data_dir", None), args.all, cache_only=args.cache)
    if not report.removed:
        console.print("nothing to clean")
    for item in report.removed:
        console.print(f"removed {item}")
    return 0


def register_clean(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("clean", parents=[common], help="delete caches (--all: also store and runs)")
    p.add_argument("--all", action="store_true", help="also delete the store and all runs")
    p.add_argument("--cache", action="store_true",
                   help="only empty the results cache (per-window fits and whole results); "
                        "keeps stale Optuna journals and unfinished runs")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_clean)
