"""Data workflows: status, health, vacuum, import, fetch of bundled data, clean."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

import pandas as pd

from equity_factors.data.ingest import import_file, ingest_sample, ingest_synthetic
from equity_factors.data.optuna_journal import journal_folder, remove_stale
from equity_factors.data.paths import DataDir, resolve_data_dir
from equity_factors.data.runs import STALE_STAGING_SECONDS, remove_runs, remove_stale_staging
from equity_factors.data.synthetic import parse_synthetic_universe
from equity_factors.data.window_store import cache_size, clear_cache
from equity_factors.errors import UserError
from equity_factors.workflows.context import Context


@dataclass(frozen=True)
class StoreStatus:
    universes: pd.DataFrame
    coverage: pd.DataFrame
    fetches: pd.DataFrame
    #: the results cache: {"bytes", "window_entries", "files"}
    cache: dict[str, int] | None = None


def status(ctx: Context) -> StoreStatus:
    """Universes, symbols with their date ranges, the last fetches and the cache's size."""
    universes = ctx.store.universes()
    sources = ctx.store.universe_sources()
    universes["bar_sources"] = [sources.get(u, "") for u in universes["name"]]
    return StoreStatus(universes, ctx.store.coverage(), ctx.store.last_fetches(10),
                       cache_size(ctx.data_dir))


def health(ctx: Context) -> dict[str, Any]:
    """Integrity check, journal mode, size, row counts and lock state of the store."""
    return ctx.store.health()


def vacuum(ctx: Context) -> tuple[int, int]:
    """Compact the store; returns bytes before and after."""
    return ctx.store.vacuum()


def import_prices(ctx: Context, path: str, universe: str,
                  replace: bool = False) -> tuple[list[str], int]:
    """Import a CSV/Parquet price file as a named universe (``replace``: see ``import_file``)."""
    return import_file(ctx.store, path, universe, replace=replace)


def fetch_bundled(ctx: Context, universe: str, seed: int | None = None,
                  replace: bool = False) -> list[str]:
    """(Re)create a bundled universe in the store: SAMPLE or SYN<n>[-S<seed>]."""
    upper = universe.upper()
    if upper == "SAMPLE":
        return ingest_sample(ctx.store, replace=replace)
    syn = parse_synthetic_universe(upper)
    if syn is None:
        raise UserError(f"{universe!r} is not a bundled universe (SAMPLE, SYN50 ... SYN5000)")
    n, name_seed = syn
    bar = ctx.progress(f"generating {upper}", n)
    return ingest_synthetic(ctx.store, ctx.data_dir, n, seed if seed is not None else name_seed,
                            progress=lambda done, total: bar(done), replace=replace)


@dataclass(frozen=True)
class CleanReport:
    removed: tuple[str, ...]


def clean(data_dir: str | None, everything: bool, cache_only: bool = False) -> CleanReport:
    """Delete derived caches; with ``everything`` also the store and all runs; with
    ``cache_only`` only the results cache (per-window fits and whole results)."""
    dd: DataDir = resolve_data_dir(data_dir)
    removed = []
    if dd.cache.exists():
        size = cache_size(dd)
        clear_cache(dd)
        removed.append(f"{dd.cache} ({size['bytes'] / 1e6:,.1f} MB, "
                       f"{max(size['window_entries'], 0):,} window results)")
    if cache_only:
        return CleanReport(tuple(removed))
    journals = journal_folder(dd)
    if everything and journals.exists():
        shutil.rmtree(journals)
        removed.append(str(journals))
    elif journals.exists() and remove_stale(journals):
        removed.append(f"stale Optuna journals in {journals}")
    staged = remove_stale_staging(dd, older_than=0.0 if everything else STALE_STAGING_SECONDS)
    if staged and not everything:
        removed.append(f"{staged} unfinished run folders in {dd.runs}")
    if everything:
        for path in dd.root.glob(dd.store_path.name + "*"):
            path.unlink()
            removed.append(str(path))
        n = remove_runs(dd)
        if n:
            removed.append(f"{n} runs in {dd.runs}")
        if dd.synthetic.exists():
            shutil.rmtree(dd.synthetic)
            removed.append(str(dd.synthetic))
    return CleanReport(tuple(removed))
