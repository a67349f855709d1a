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


# --------------------------------------------------------------------------- scale
def _window(n_days: int = 90, k: int = 12, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(0.0003, 0.01, (n_days, k)),
                        index=pd.bdate_range("2020-01-01", periods=n_days),
                        columns=[f"F{i + 1}" for i in range(k)])


def _add_trials(spec: dict) -> dict:
    """One worker of the storage benchmark: ``n`` trials of eqf's objective on one study."""
    import time as _t

    from equity_factors.data.optuna_journal import open_storage
    from equity_factors.data.trial_cache import TrialCache
    from equity_factors.optimize import optimize_weights

    storage = open_storage(spec["url"]) if spec["url"] else None
    cache = TrialCache(Path(spec["cache"])) if spec.get("cache") else None
    t0 = _t.time()
    optimize_weights(_window(), "bayesian", n_trials=spec["n"], random_state=spec["seed"],
                     storage=storage, study_name=spec["study"], checkpoint=cache)
    return {"start": t0, "end": _t.time(), "n": spec["n"]}


def storage_rate(kind: str, workers: str, url: str, workdir: str, total: str = "300") -> dict:
    """Trials/s of ``total`` trials of eqf's objective (90 days x 12 factors, blend of 3
    methods, multivariate TPE) split over ``workers`` processes on one study (``default``: an
    in-memory study per worker, i.e. folds in parallel, with the trial cache)."""
    import shutil

    from equity_factors.distributed import run_tasks

    n, w = int(total), int(workers)
    for i in range(w):  # a fresh trial cache: measure trials, not replays
        shutil.rmtree(Path(workdir) / f"trials-{w}-{i}", ignore_errors=True)
    specs = [{"url": url or None, "n": n // w, "seed": i, "study": f"bench-{kind}-{w}",
              "cache": str(Path(workdir) / f"trials-{w}-{i}") if kind == "default" else None}
             for i in range(w)]
    # warm the worker processes (imports) so the clock measures trials, not start-up
    run_tasks(_window, [1] * w, workers=w)
    out = run_tasks(_add_trials, specs, workers=w)
    wall = max(o["end"] for o in out) - min(o["start"] for o in out)
    return {"trials": n, "workers": w, "seconds": round(wall, 2),
            "trials_per_second": round(n / wall, 1)}


def floor_seconds(n_studies: int, n_trials: int = 200, n_params: int = 3) -> float:
    """Optuna's TPE alone: ``n_studies`` in-memory studies of ``n_trials`` trials each on a
    trivial objective, with eqf's sampler settings (multivariate, seeded, first trial
    enqueued, ask/tell)."""
    import time as _t
    import warnings

    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {f"p{i}": FloatDistribution(0.0, 1.0) for i in range(n_params)}
    t0 = _t.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in range(n_studies):
            study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(
                seed=s, multivariate=True))
            study.enqueue_trial({k: 1.0 for k in dists})
            for _ in range(n_trials):
                trial = study.ask(dists)
                study.tell(trial, sum(trial.params.values()))
    return _t.perf_counter() - t0


def walk_forward_vs_floor(home: str) -> dict:
    """The optimize benchmark (SYN1000, PCA k=12, 20 folds x 200 trials) with the default
    storage, the previous default (a journal file) and the floor, in one process."""
    import os
    import shutil
    import tempfile
    import time as _t

    os.environ["EQF_HOME"] = home
    from equity_factors.data.optuna_journal import open_storage
    from equity_factors.data.panel import load_panel
    from equity_factors.optimize import walk_forward
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, fit_factors, resolve
    from equity_factors.workflows.optimize import OptimizeRequest, optimize

    ctx = Context.create(home)
    uni = resolve(ctx, "SYN1000")
    t0 = _t.perf_counter()
    load_panel(ctx.store, uni, start="2012-01-01")
    load_seconds = _t.perf_counter() - t0
    factors = FactorRequest(universe="SYN1000", method="pca", n_components=12, start="2012-01-01")
    request = OptimizeRequest(factors=factors, walk_forward=True, train_window=90,
                              test_window=30, max_folds=20, trials=200)
    shutil.rmtree(Path(home) / "cache", ignore_errors=True)  # factors and trials from scratch
    t0 = _t.perf_counter()
    out = optimize(ctx, request, argv=["bench"])
    total = _t.perf_counter() - t0
    n_studies = len(out.result.folds)
    t0 = _t.perf_counter()
    again = optimize(ctx, request, argv=["bench"])  # every fold from the trial cache
    replay = _t.perf_counter() - t0
    assert again.results["weights"] == out.results["weights"]
    floor = floor_seconds(n_studies)
    # the previous default: the same folds on an Optuna journal file (fsync per write)
    fr = fit_factors(ctx, factors).result.factor_returns.dropna(how="all")
    journal = Path(tempfile.mkdtemp()) / "studies.journal"
    t0 = _t.perf_counter()
    walk_forward(fr, 90, 30, max_folds=20, n_trials=200, random_state=42,
                 storage=open_storage(f"journal:{journal}"), study_name="before")
    before = _t.perf_counter() - t0
    opt = out.run.timings["optimize"]
    return {"folds": n_studies, "trials": out.results["overfitting"]["n_trials"],
            "panel_load_seconds": round(load_seconds, 2),
            "factors_seconds": out.run.timings["factors"], "optimize_seconds": opt,
            "seconds_excluding_data_load": round(total - load_seconds, 2),
            "rerun_from_trial_cache_seconds": round(replay, 2),
            "floor_seconds": round(floor, 2),
            "floor_trials_per_second": round(n_studies * 200 / floor, 1),
            "ratio_to_floor": round((total - load_seconds) / floor, 2),
            "optimize_ratio_to_floor": round(opt / floor, 2),
            "journal_file_optimize_seconds": round(before, 2),
            "journal_file_ratio_to_floor": round(before / floor, 2), "target_ratio": 2.0}


def executors_walk(home: str) -> dict:
    """The same walk-forward (20 folds x 200 trials) serially and on local processes, a local
    Ray and a local Dask with 2 workers; identical results checked; overhead per task."""
    import os
    import time as _t

    import numpy as np

    os.environ["EQF_HOME"] = home
    from equity_factors.distributed import run_tasks, task_map
    from equity_factors.optimize import walk_forward
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, fit_factors

    ctx = Context.create(home)
    fr = fit_factors(ctx, FactorRequest(universe="SYN1000", method="pca", n_components=12,
                                        start="2012-01-01")).result.factor_returns
    fr = fr.dropna(how="all")
    kw = dict(max_folds=20, n_trials=200, random_state=42)
    t0 = _t.perf_counter()
    serial = walk_forward(fr, 90, 30, **kw)
    out: dict = {"folds": len(serial.folds), "serial_seconds": round(_t.perf_counter() - t0, 2)}

    def same(result) -> bool:
        return bool(result.weights.equals(serial.weights) and all(
            np.array_equal(a.optimization.trial_objectives, b.optimization.trial_objectives)
            for a, b in zip(serial.folds, result.folds)))

    for name in ("local", "ray", "dask"):
        t0 = _t.perf_counter()
        cluster = None
        if name == "ray":
            import ray

            ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        elif name == "dask":
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                   scheduler_kwargs={"dashboard": False}, host="127.0.0.1")
            client = Client(cluster)
        # start the workers and import eqf's optimizer in them (a fixed cost per worker,
        # reported as the start), so the walk below measures the folds
        run_tasks(exec, ["import equity_factors.optimize.walkforward"] * 4, executor=name,
                  workers=2)
        start = _t.perf_counter() - t0
        t0 = _t.perf_counter()
        result = walk_forward(fr, 90, 30, map_fn=task_map(name, workers=2), **kw)
        seconds = _t.perf_counter() - t0
        t0 = _t.perf_counter()
        run_tasks(abs, range(200), executor=name, workers=2)
        per_task_ms = (_t.perf_counter() - t0) / 200 * 1000
        out[name] = {"seconds": round(seconds, 2), "start_seconds": round(start, 2),
                     "speedup_vs_serial": round(out["serial_seconds"] / seconds, 2),
                     "overhead_per_task_ms": round(per_task_ms, 2), "identical": same(result)}
        if name == "ray":
            ray.shutdown()
        elif cluster is not None:
            client.close()
            cluster.close()
    return out


def scale_rates(child, workdir: Path) -> dict:
    """Trials/s per storage, measured one after the other (ratios hold better than seconds on
    a shared machine)."""
    from equity_factors.testing.postgres import TemporaryPostgres

    rates: dict = {}
    with TemporaryPostgres() as pg:
        for kind, url in (("default", ""), ("journal", f"journal:{workdir / 'bench.journal'}"),
                          ("sqlite", f"sqlite:///{workdir / 'bench.db'}"),
                          ("postgresql", pg.url)):
            for workers in ((1,) if kind == "sqlite" else (1, 2)):
                for p in workdir.glob("bench.journal*"):
                    p.unlink()
                (workdir / "bench.db").unlink(missing_ok=True)
                rates[f"{kind}_{workers}"] = {
                    **child("storage_rate", kind, str(workers), url, str(workdir)),
                    "storage": kind}
    return rates


def section_scale(child, workdir: Path) -> dict:
    home = workdir / "optimize-home"
    return {"trials_per_second": scale_rates(child, workdir),
            "walk_forward_vs_floor": child("walk_forward_vs_floor", str(home)),
            "executors": child("executors_walk", str(home))}

SECTIONS = {"store": section_store, "factors": section_factors, "optimize": section_optimize,
            "scale": section_scale}
