"""The benchmark cases. Functions named ``case_*`` run inside a child process (see run.py)."""

from __future__ import annotations

import time
from pathlib import Path

UNIVERSE_N = 3000


# --------------------------------------------------------------------------- store
def generate_store(home: str, n: str = str(UNIVERSE_N)) -> dict:
    """Simulate SYN<n> over 20 years and store it (bars, fundamentals, holdings, truth)."""
    from equity_factors.data.ingest import ingest_synthetic
    from equity_factors.data.paths import resolve_data_dir
    from equity_factors.data.store import Store

    dd = resolve_data_dir(home)
    t0 = time.perf_counter()
    symbols = ingest_synthetic(Store(dd.store_path), dd, int(n), 42)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "symbols": len(symbols)}


def panel_load(home: str, universe: str = f"SYN{UNIVERSE_N}") -> dict:
    """Load the returns panel (dates x symbols) of a stored universe from the store."""
    from equity_factors.data.panel import load_panel
    from equity_factors.data.paths import resolve_data_dir
    from equity_factors.data.store import Store
    from equity_factors.data.universe import resolve_universe

    dd = resolve_data_dir(home)
    store = Store(dd.store_path)
    uni = resolve_universe(store, dd, universe)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        panel = load_panel(store, uni)
        times.append(time.perf_counter() - t0)
    return {"seconds_best": round(min(times), 3), "seconds_all": [round(t, 3) for t in times],
            "shape": list(panel.returns.shape)}


def build_naive(home: str, naive_path: str, universe: str = f"SYN{UNIVERSE_N}") -> dict:
    """Copy the universe's adjusted closes into a plain long table (the naive design)."""
    import sqlite3

    from equity_factors.data.paths import resolve_data_dir
    from equity_factors.data.store import Store

    dd = resolve_data_dir(home)
    store = Store(dd.store_path)
    members, _ = store.universe(universe)
    conn = sqlite3.connect(naive_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE bars_long (symbol TEXT, date TEXT, adj_close REAL, "
                 "PRIMARY KEY (symbol, date)) WITHOUT ROWID")
    for i in range(0, len(members), 200):
        prices, _ = store.load_prices(members[i : i + 200])
        long = prices["adj_close"].stack().reset_index()
        long.columns = ["date", "symbol", "adj_close"]
        conn.executemany("INSERT INTO bars_long VALUES (?, ?, ?)",
                         zip(long["symbol"], long["date"].dt.strftime("%Y-%m-%d"),
                             long["adj_close"]))
        conn.commit()
    rows = conn.execute("SELECT COUNT(*) FROM bars_long").fetchone()[0]
    conn.close()
    return {"rows": rows}


def naive_load(naive_path: str) -> dict:
    """The naive baseline: SELECT the long table, then pandas pivot to dates x symbols."""
    import sqlite3

    import pandas as pd

    t0 = time.perf_counter()
    conn = sqlite3.connect(naive_path)
    long = pd.read_sql_query("SELECT date, symbol, adj_close FROM bars_long", conn)
    conn.close()
    wide = long.pivot(index="date", columns="symbol", values="adj_close")
    wide.index = pd.to_datetime(wide.index)
    wide.pct_change(fill_method=None)
    return {"seconds": round(time.perf_counter() - t0, 3), "shape": list(wide.shape)}


def section_store(child, workdir: Path) -> dict:
    home = workdir / "store-home"
    gen = child("generate_store", str(home))
    load = child("panel_load", str(home))
    naive_path = workdir / "naive.sqlite"
    if not naive_path.exists():
        child("build_naive", str(home), str(naive_path))
    naive = child("naive_load", str(naive_path))
    return {
        "generate_and_store_SYN3000_20y": {**gen, "target_seconds": 60},
        "panel_load_SYN3000_20y": {**load, "target_seconds": 1.0, "target_peak_rss_mb": 1536},
        "naive_long_sql_pivot": naive,
        "speedup_vs_naive": round(naive["seconds"] / load["seconds_best"], 1),
        "target_speedup": 10,
    }


# --------------------------------------------------------------------------- factors
def rolling_fit(home: str, method: str, n_stocks: str, years: str = "10") -> dict:
    """Rolling factor fit (k=12, lookback 252, refit 21) on the first n stocks of SYN3000."""
    import warnings

    from equity_factors.data.panel import load_panel
    from equity_factors.data.paths import resolve_data_dir
    from equity_factors.data.store import Store
    from equity_factors.data.universe import ResolvedUniverse, resolve_universe
    from equity_factors.factors import fit_factor_model

    dd = resolve_data_dir(home)
    store = Store(dd.store_path)
    full = resolve_universe(store, dd, f"SYN{UNIVERSE_N}")
    uni = ResolvedUniverse("bench", "bench", full.symbols[: int(n_stocks)], ())
    start = str(2025 - int(years)) + "-01-01"
    panel = load_panel(store, uni, start=start)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit_factor_model(panel.returns, method, 12, mode="rolling", lookback=252,
                                  refit=21, random_state=0)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "n_stocks": panel.returns.shape[1],
            "n_days": panel.returns.shape[0], "n_fits": len(result.fits),
            "mean_daily_vol": float(result.factor_returns.std().mean())}


def section_factors(child, workdir: Path) -> dict:
    home = workdir / "store-home"
    if not (home / "store.sqlite").exists():
        child("generate_store", str(home))
    out: dict = {}
    for method, target in (("pca", 20), ("ica", 90)):
        runs = {n: child("rolling_fit", str(home), method, str(n)) for n in (500, 1000, 3000)}
        per_stock = {n: r["seconds"] / n for n, r in runs.items()}
        out[method] = {
            "runs": runs,
            "target_seconds_3000": target,
            "target_peak_rss_mb_3000": 2048,
            # cost per stock at 3000 vs 500: <= ~1 means no worse than linear
            "cost_per_stock_ratio_3000_vs_500": round(per_stock[3000] / per_stock[500], 2),
        }
    return out


# --------------------------------------------------------------------------- optimize
def walk_forward_bench(home: str) -> dict:
    """eqf optimize's workflow: SYN1000, PCA k=12 rolling factors, 20 folds x 200 trials."""
    import os
    import time as _t

    os.environ["EQF_HOME"] = home
    from equity_factors.data.panel import load_panel
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, resolve
    from equity_factors.workflows.optimize import OptimizeRequest, optimize

    ctx = Context.create(home)
    uni = resolve(ctx, "SYN1000")  # generated on first use
    t0 = _t.perf_counter()
    load_panel(ctx.store, uni, start="2012-01-01")
    load_seconds = _t.perf_counter() - t0
    request = OptimizeRequest(
        factors=FactorRequest(universe="SYN1000", method="pca", n_components=12,
                              start="2012-01-01"),
        walk_forward=True, train_window=90, test_window=30, max_folds=20, trials=200)
    t0 = _t.perf_counter()
    out = optimize(ctx, request, argv=["bench"])
    total = _t.perf_counter() - t0
    return {"seconds_end_to_end": round(total, 2), "panel_load_seconds": round(load_seconds, 2),
            "seconds_excluding_data_load": round(total - load_seconds, 2),
            "timings": out.run.timings, "folds": len(out.result.folds),
            "trials": out.results["overfitting"]["n_trials"]}


def section_optimize(child, workdir: Path) -> dict:
    home = workdir / "optimize-home"
    return {"walk_forward_SYN1000_20x200": {**child("walk_forward_bench", str(home)),
                                            "target_seconds": 60}}


SECTIONS = {"store": section_store, "factors": section_factors, "optimize": section_optimize}


# --------------------------------------------------------------------------- routine (cache)
def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, round(time.perf_counter() - t0, 3), round(time.process_time() - c0, 3)


def regime_sample(home: str, end: str, fresh: str = "0") -> dict:
    """``regime detect`` on SAMPLE up to ``end`` (in-process, imports excluded); ``fresh=1``
    empties the results cache first (a cold run)."""
    import warnings

    from equity_factors.data.ingest import ingest_sample
    from equity_factors.data.window_store import clear_cache
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest
    from equity_factors.workflows.regime import RegimeRequest, detect

    ctx = Context.create(home)
    if ctx.store.universe("SAMPLE") is None:
        ingest_sample(ctx.store)
    if fresh == "1":
        clear_cache(ctx.data_dir)
    request = RegimeRequest(FactorRequest("SAMPLE", n_components=5, end=end), n_regimes=3,
                            predict=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, wall, cpu = _timed(lambda: detect(ctx, request, argv=["bench"],
                                               output_dir=Path(home) / "out"))
    return {"seconds": wall, "cpu_seconds": cpu, "fit_seconds": out.run.timings.get("fit"),
            "cache": out.run.folder.joinpath("run.json").exists()
            and __import__("json").loads(out.run.folder.joinpath("run.json").read_text())
            .get("cache"),
            "restarts_spent": sum(f.n_restarts_run for f in out.result.fits),
            "refits": len(out.result.fits)}


def discover_syn(home: str, end: str, fresh: str = "0") -> dict:
    """``discover`` rolling PCA (k=10) on SYN1000 over 10 years up to ``end``."""
    import warnings

    from equity_factors.data.window_store import clear_cache
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.discover import discover
    from equity_factors.workflows.factors import FactorRequest, resolve

    ctx = Context.create(home)
    resolve(ctx, "SYN1000")  # generated on first use
    if fresh == "1":
        clear_cache(ctx.data_dir)
    # the same start for the cold and the warm run: one more day at the end, nothing else
    request = FactorRequest("SYN1000", n_components=10, start="2014-06-27", end=end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, wall, cpu = _timed(lambda: discover(ctx, request, argv=["bench"],
                                                 output_dir=Path(home) / "out"))
    return {"seconds": wall, "cpu_seconds": cpu, "n_fits": len(out.fit.result.fits),
            "window_stats": out.fit.window_stats}


def routine_syn(home: str, end: str, fresh: str = "0") -> dict:
    """``eqf routine`` on SYN1000 up to ``end`` (regime, alerts, candidates)."""
    import warnings

    from equity_factors.data.window_store import clear_cache
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, resolve
    from equity_factors.workflows.routine import RoutineRequest, routine

    ctx = Context.create(home)
    resolve(ctx, "SYN1000")
    if fresh == "1":
        clear_cache(ctx.data_dir)
    request = RoutineRequest(FactorRequest("SYN1000", n_components=5, start="2014-01-01",
                                           end=end))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, wall, cpu = _timed(lambda: routine(ctx, request, argv=["bench"],
                                                output_dir=Path(home) / "out"))
    return {"seconds": wall, "cpu_seconds": cpu, "stages": out.seconds, "cache": out.cache}


def section_routine(child, workdir: Path) -> dict:
    """Cold vs warm after one more day (each run a fresh process; imports not timed)."""
    sample = str(workdir / "routine-sample")
    cold = child("regime_sample", sample, "2022-12-27", "1")
    warm = child("regime_sample", sample, "2022-12-28")
    syn = str(workdir / "routine-syn")
    d_cold = child("discover_syn", syn, "2024-06-27", "1")
    d_warm = child("discover_syn", syn, "2024-06-28")
    child("routine_syn", syn, "2024-06-27")
    r_warm = child("routine_syn", syn, "2024-06-28")
    return {
        "regime_detect_SAMPLE_cold": {**cold, "target_seconds": 5},
        "regime_detect_SAMPLE_warm_one_more_day": {**warm, "target_seconds": 1},
        "discover_rolling_SYN1000_10y_cold": d_cold,
        "discover_rolling_SYN1000_10y_warm_one_more_day": d_warm,
        "discover_warm_over_cold": round(d_warm["seconds"] / d_cold["seconds"], 3),
        "target_discover_warm_over_cold": 0.10,
        "routine_SYN1000_warm_one_more_day": {**r_warm, "target_seconds": 5},
        "load_average": list(__import__("os").getloadavg()),
    }


SECTIONS["routine"] = section_routine
