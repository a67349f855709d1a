"""Worker process for the store concurrency and crash tests (run as a script, not collected)."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd

from equity_factors.data.store import Store, to_day_numbers, utc_now

ROWS = 50


def frame(k: int) -> pd.DataFrame:
    dates = pd.bdate_range("2020-01-01", periods=ROWS)
    close = 100.0 + np.arange(ROWS) + k
    return pd.DataFrame({"close": close, "adj_close": close}, index=dates)


def writer(path: str, wid: int, seconds: float) -> None:
    store = Store(path)
    written, errors = [], []
    deadline = time.time() + seconds
    k = 0
    while time.time() < deadline:
        symbol = f"W{wid}_{k:05d}"
        try:
            store.write_bars({symbol: frame(k)}, source="test")
            written.append(symbol)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(f"{type(exc).__name__}: {exc}")
        k += 1
    print(json.dumps({"written": written, "errors": errors}))


def reader(path: str, seconds: float) -> None:
    store = Store(path)
    reads, errors = 0, []
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            symbols = list(store.coverage().index)
            if symbols:
                prices, _ = store.load_prices(symbols[-200:])
                assert prices["adj_close"].shape[1] == len(symbols[-200:])
            reads += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"reads": reads, "errors": errors}))


def crash(path: str) -> None:
    """Commit one batch, then die (SIGKILL from the parent) inside a second transaction."""
    store = Store(path)
    store.write_bars({"COMMITTED": frame(0)}, source="test")
    with store.transaction() as conn:
        ids = store._symbol_ids(conn, [f"PARTIAL_{i}" for i in range(50)], create=True)
        for i in range(50):
            f = frame(i)
            store._write_symbol_bars(conn, ids[f"PARTIAL_{i}"], to_day_numbers(f.index),
                                     {"adj_close": f["adj_close"].to_numpy()}, "test", utc_now())
        print("inside", flush=True)
        time.sleep(60)


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "writer":
        writer(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif role == "reader":
        reader(sys.argv[2], float(sys.argv[3]))
    elif role == "crash":
        crash(sys.argv[2])
