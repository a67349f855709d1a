"""Put a provider's data into the store: the bundled sample, a synthetic market, a user's file."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from equity_factors.data.paths import DataDir, eqf_command
from equity_factors.data.providers.base import bars_by_symbol
from equity_factors.data.store import FetchRecord, Store, to_day_numbers, utc_now
from equity_factors.errors import DataError, UserError

Progress = Callable[[int, int], None]
_BATCH = 100  # symbols per write transaction: short transactions, few commits


def ingest_sample(store: Store, replace: bool = False) -> list[str]:
    """Store the bundled real prices as universe ``SAMPLE``; returns its members.

    A symbol already stored from another source (an import, a fetch) is refused with
    :class:`~equity_factors.data.store.SourceConflict` unless ``replace``.
    """
    from equity_factors.data.providers.sample import SAMPLE_UNIVERSE, SampleProvider

    provider = SampleProvider()
    started = utc_now()
    bars = bars_by_symbol(provider.prices())
    store.check_sources(list(bars), provider.name, replace)
    store.upsert_symbols(provider.security_info(), source=provider.name)
    rows = store.write_bars(bars, source=provider.name, replace=replace)
    members = provider.stock_symbols()
    store.save_universe(SAMPLE_UNIVERSE, members, source=provider.name,
                        params={"reference": provider.reference_symbols()})
    store.log_fetch(FetchRecord("sample", "prices", SAMPLE_UNIVERSE, "ok", rows), started)
    return members


def _truth_dir(data_dir: DataDir, universe: str) -> Path:
    return data_dir.synthetic / universe


def ingest_synthetic(store: Store, data_dir: DataDir, n_stocks: int, seed: int,
                     progress: Progress | None = None, replace: bool = False) -> list[str]:
    """Simulate a synthetic market and store it; its ground truth goes to Parquet files."""
    from equity_factors.data.synthetic import (
        SyntheticConfig,
        simulate_market,
        synthetic_universe_name,
    )

    name = synthetic_universe_name(n_stocks, seed)
    started = utc_now()
    market = simulate_market(SyntheticConfig(n_stocks=n_stocks, seed=seed))
    store.check_sources([str(s) for s in market.securities["symbol"]], "synthetic", replace)
    info = market.securities.copy()
    info["asset_type"] = "Stock"
    store.upsert_symbols(info, source="synthetic")
    symbols = [str(s) for s in market.securities["symbol"]]
    days = to_day_numbers(market.prices["adj_close"].index)
    # Views of the simulated (days x symbols) arrays, no copy; each batch takes a symbol-major
    # copy of its own columns (a full copy of the 8 fields is 1.7 GB at SYN5000 x 20 years).
    wide = {f: (frame if list(frame.columns) == symbols else frame.reindex(columns=symbols))
            .to_numpy(dtype=float) for f, frame in market.prices.items()}
    rows = 0
    for i in range(0, len(symbols), _BATCH):
        stop = min(i + _BATCH, len(symbols))
        block = {f: np.ascontiguousarray(a[:, i:stop].T) for f, a in wide.items()}
        listed = ~np.isnan(block["adj_close"])
        batch = {}
        for j in range(i, stop):
            m = listed[j - i]
            batch[symbols[j]] = (days[m], {f: b[j - i, m] for f, b in block.items()})
        rows += store.write_bar_arrays(batch, source="synthetic", replace=replace)
        if progress:
            progress(stop, len(symbols))
    del wide
    store.write_fundamentals(market.fundamentals, source="synthetic")
    store.write_holdings_many(market.holdings, source="synthetic")
    save_truth(data_dir, name, market.truth)
    store.save_universe(name, symbols, source="synthetic",
                        params={"n_stocks": n_stocks, "seed": seed,
                                "start": market.config.start, "end": market.config.end})
    store.log_fetch(FetchRecord("synthetic", "prices", name, "ok", rows), started)
    return symbols


def save_truth(data_dir: DataDir, universe: str, truth) -> Path:
    """Write a synthetic market's ground truth as Parquet files (one per frame)."""
    folder = _truth_dir(data_dir, universe)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # A temp folder of its own: two processes creating the same universe at once must not
    # pull one folder from under each other (the same seed gives the same truth: either stands).
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        names = []
        for key, frame in truth.to_frames().items():
            frame.to_parquet(tmp / f"{key}.parquet")
            names.append(key)
        (tmp / "index.json").write_text(json.dumps({"frames": names}))
        shutil.rmtree(folder, ignore_errors=True)
        # another writer's complete folder is in place
        with contextlib.suppress(OSError):
            tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def load_truth(data_dir: DataDir | str | Path, universe: str):
    """The ground truth of a stored synthetic universe (``GroundTruth``).

    ``data_dir`` is a :class:`DataDir` or the data directory's path (``str`` or ``Path``).
    """
    from equity_factors.data.synthetic import GroundTruth

    if not isinstance(data_dir, DataDir):
        data_dir = DataDir(Path(data_dir).expanduser())

    folder = _truth_dir(data_dir, universe)
    index = folder / "index.json"
    if not index.is_file():
        raise UserError(f"no ground truth for {universe!r} in {data_dir.root}; generate it with "
                        f"`{eqf_command(data_dir.root, 'data fetch --universe ' + universe)}`")
    names = json.loads(index.read_text())["frames"]
    return GroundTruth.from_frames({n: pd.read_parquet(folder / f"{n}.parquet") for n in names})


def import_file(store: Store, path: str | Path, universe: str,
                replace: bool = False) -> tuple[list[str], int]:
    """Validate a user's price file, store its bars and save it as universe ``universe``.

    Refused before anything is written: a bundled universe's name (``SAMPLE``, ``SYN<n>``),
    a universe stored from another source (unless ``replace``), and symbols whose bars come
    from another source (unless ``replace``, which replaces those bars: never a splice).
    """
    from equity_factors.data.providers.files import read_price_file
    from equity_factors.data.synthetic import parse_synthetic_universe

    if not universe or not universe.replace("_", "").replace("-", "").isalnum():
        raise DataError(f"universe name {universe!r} must be letters, digits, '-' or '_'")
    if universe.upper() == "SAMPLE" or parse_synthetic_universe(universe.upper()) is not None:
        raise DataError(f"{universe} is the name of a bundled universe; import under another "
                        f"name, e.g. --universe MY_{universe.upper()}")
    existing = store.universe(universe)
    if existing is not None and existing[1]["source"] != "files" and not replace:
        raise DataError(f"universe {existing[1]['name']} is already stored from "
                        f"{existing[1]['source']}; import under another name, or pass "
                        "--replace to make it this file's universe")
    started = utc_now()
    long = read_price_file(path)  # raises before anything is written
    bars = bars_by_symbol(long)
    symbols = list(bars)
    store.check_sources(symbols, "files", replace)
    store.upsert_symbols(pd.DataFrame({"symbol": list(bars)}), source="files")
    rows = 0
    for i in range(0, len(symbols), _BATCH):
        rows += store.write_bars({s: bars[s] for s in symbols[i : i + _BATCH]}, source="files",
                                 replace=replace)
    store.save_universe(universe, symbols, source="files",
                        params={"path": str(Path(path).resolve())})
    store.log_fetch(FetchRecord("files", "prices", universe, "ok", rows), started)
    return symbols, rows
