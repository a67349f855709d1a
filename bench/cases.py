"""The benchmark cases. Functions named ``case_*`` run inside a child process (see run.py)."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path
from typing import Any

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


# --------------------------------------------------------------------------- backtest workflow
def backtest_seed_line(home: str, trials: str = "200") -> dict:
    """The seed's line on SYN1000 x 10 years: eqf backtest --train-size 252 --test-size 63
    --walks 10 --optimize (200 trials a walk), the rolling PCA factors of discover."""
    import os
    import time as _t

    os.environ["EQF_HOME"] = home
    from equity_factors.data.panel import load_panel
    from equity_factors.workflows.backtest import BacktestRequest, backtest
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, resolve

    _import_lazy_modules()
    ctx = Context.create(home)
    uni = resolve(ctx, "SYN1000")  # generated on first use
    t0 = _t.perf_counter()
    load_panel(ctx.store, uni, start="2015-01-01", extra_fields=("close", "volume"))
    load_seconds = _t.perf_counter() - t0
    request = BacktestRequest(FactorRequest(universe="SYN1000", start="2015-01-01"),
                              train_size=252, test_size=63, walks=10, optimize=True,
                              trials=int(trials))
    t0 = _t.perf_counter()
    out = backtest(ctx, request, argv=["bench"])
    total = _t.perf_counter() - t0
    return {"seconds_end_to_end": round(total, 2), "panel_load_seconds": round(load_seconds, 2),
            "timings": out.run.timings, "walks": out.summary["n_walks"],
            "days": out.summary["n_days"], "rebalances": out.summary["n_rebalances"],
            "net_sharpe": out.summary["net"]["sharpe"]}


def section_backtest_workflow(child, workdir: Path) -> dict:
    """The seed line cold (an empty data directory but SYN1000), then again in a fresh process
    with the results cache of the first run (the issue's "warm cache from a previous run")."""
    home = workdir / "backtest-home"
    cold = child("backtest_seed_line", str(home))
    warm = child("backtest_seed_line", str(home))
    return {"seed_line_SYN1000_10y": {**cold, "target_seconds": 60},
            "seed_line_SYN1000_10y_warm_cache": warm,
            "seed_line_warm_over_cold": round(warm["seconds_end_to_end"]
                                              / cold["seconds_end_to_end"], 3)}


# --------------------------------------------------------------------------- backtest
def _backtest_market(n_stocks: int, n_days: int, rebalance: int, seed: int = 0):
    """A seeded market and long/short target weights (300 + 300 names at 1/300 each side).

    Monthly (``rebalance`` > 1): a new random basket each time. Daily: yesterday's basket
    with 5 % of the names swapped, so the daily case trades like a real daily rebalance.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2000-01-03", periods=n_days)
    tickers = [f"S{i:04d}" for i in range(n_stocks)]
    r = rng.normal(0.0003, 0.02, (n_days, n_stocks))
    prices = 100.0 * np.cumprod(1.0 + r, axis=0)
    rows = np.arange(1, n_days, rebalance)
    k = min(300, n_stocks // 4)
    w = np.zeros((rows.size, n_stocks))
    order = rng.permutation(n_stocks)
    for j in range(rows.size):
        if rebalance > 1 or j == 0:
            order = rng.permutation(n_stocks)
        else:
            swap = rng.choice(n_stocks, max(2, n_stocks // 20), replace=False)
            order[swap] = order[rng.permutation(swap)]
        w[j, order[:k]] = 1.0 / k
        w[j, order[k:2 * k]] = -1.0 / k
    returns = pd.DataFrame(r, index=dates, columns=tickers)
    targets = pd.DataFrame(w, index=dates[rows], columns=tickers)
    return returns, targets, pd.DataFrame(prices, index=dates, columns=tickers)


def engine_run(n_stocks: str, n_days: str, rebalance: str) -> dict:
    """run_engine alone (default costs, no prices) on 3000 x 5000 with the given rebalance."""
    from equity_factors.backtest import CostModel, run_engine

    returns, targets, _ = _backtest_market(int(n_stocks), int(n_days), int(rebalance))
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_engine(returns, targets, CostModel())
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "n_stocks": int(n_stocks), "n_days": int(n_days), "rebalances": len(targets),
            "trades": len(res.trades), "final_equity": float(res.returns["equity"].iloc[-1])}


def vectorbt_compare(n_stocks: str, n_days: str, rebalance: str, fee_bps: str = "10") -> dict:
    """The engine and vectorbt on identical target weights and fees; same equity path?

    vectorbt: ``Portfolio.from_orders`` with ``size_type="targetpercent"``, one group with
    shared cash (``group_by=True, cash_sharing=True``), sells before buys (``call_seq="auto"``),
    orders at the close of the execution bar, ``fees`` = ``fee_bps`` of order value. vectorbt
    books a trade's fees on the execution bar, the engine on the next row, so the comparison
    adds each bar's fees back to vectorbt's value (its value *before* that bar's trading costs),
    which must equal the engine's equity every day; net returns are compared the same way.
    """
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    from equity_factors.backtest import CostModel, run_engine

    returns, targets, prices = _backtest_market(int(n_stocks), int(n_days), int(rebalance))
    fee = float(fee_bps) / 1e4
    costs = CostModel(commission_bps=float(fee_bps), half_spread_bps=0, impact=0,
                      borrow_rate=0)
    t0 = time.perf_counter()
    res = run_engine(prices.pct_change(), targets, costs, capital=1e6)
    ours = time.perf_counter() - t0
    # vectorbt orders on the execution bar: the row before each target date
    size = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    exec_rows = prices.index.get_indexer(targets.index) - 1
    size.iloc[exec_rows] = targets.to_numpy()

    def run():
        return vbt.Portfolio.from_orders(
            prices, size, size_type="targetpercent", direction="both", fees=fee,
            group_by=True, cash_sharing=True, call_seq="auto", init_cash=1e6,
            max_orders=int(np.isfinite(size.to_numpy()).sum()), freq="1D")

    t0 = time.perf_counter()
    pf = run()
    value = pf.value()
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    pf = run()
    value = pf.value()
    warm = time.perf_counter() - t0
    rec = pf.orders.records
    fees_per_bar = np.bincount(rec["idx"], weights=rec["fees"], minlength=len(prices))
    pre_fee = value.to_numpy() + fees_per_bar
    start = prices.index.get_loc(res.returns.index[0])
    eq = res.returns["equity"].to_numpy()
    vb_eq = pre_fee[start:]
    vb_prev = np.concatenate([[pre_fee[start - 1]], pre_fee[start:-1]])
    vb_net = vb_eq / vb_prev - 1.0
    return {
        "n_stocks": int(n_stocks), "n_days": int(n_days), "rebalances": len(targets),
        "fee_bps": float(fee_bps), "engine_seconds": round(ours, 3),
        "vectorbt_seconds_cold": round(cold, 2), "vectorbt_seconds_warm": round(warm, 2),
        "vectorbt_version": vbt.__version__,
        "time_ratio_vectorbt_warm_over_engine": round(warm / ours, 2),
        "max_abs_diff_net_returns": float(np.max(np.abs(res.returns["net"].to_numpy()
                                                        - vb_net))),
        "max_rel_diff_equity": float(np.max(np.abs(eq / vb_eq - 1.0))),
        "vectorbt_orders": int(len(rec)), "engine_orders": int(len(res.trades)),
        "note": "vectorbt's call_seq='auto' orders each bar's columns with an insertion sort "
                "(O(n^2) per bar), which dominates its time at thousands of columns; orders "
                "below 1e-9 of equity are not placed by the engine but are by vectorbt",
    }


def _vectorbt_available() -> str:
    """'' when vectorbt imports (installing it with pip if missing), else why not."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("vectorbt") is None:
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "vectorbt"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return "vectorbt is not installed and pip could not install it: " + \
                proc.stderr.strip().splitlines()[-1:][0] if proc.stderr.strip() else "pip failed"
    check = subprocess.run([sys.executable, "-c", "import vectorbt"], capture_output=True,
                           text=True)
    return "" if check.returncode == 0 else "vectorbt does not import: " + \
        check.stderr.strip().splitlines()[-1]


def section_backtest(child, workdir: Path) -> dict:
    out: dict = {
        "engine_3000x5000_monthly": {**child("engine_run", "3000", "5000", "21"),
                                     "target_seconds": 2, "target_peak_rss_mb": 2048},
        "engine_3000x5000_daily": {**child("engine_run", "3000", "5000", "1"),
                                   "target_seconds": 5, "target_peak_rss_mb": 2048},
    }
    why = _vectorbt_available()
    if why:
        out["vectorbt"] = {"absent": why}
    else:
        out["vectorbt_3000x5000_monthly"] = child("vectorbt_compare", "3000", "5000", "21")
        out["vectorbt_500x2500_daily"] = child("vectorbt_compare", "500", "2500", "1")
    return out


# --------------------------------------------------------------------------- report
def report_backtest(home: str) -> dict:
    """``write_report`` of a fabricated backtest run: 20 years, 10 walks, 12 factors."""
    from equity_factors.testing.backtest_run import write_backtest_run
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.report import write_report

    ctx = Context.create(home)
    write_backtest_run(ctx.data_dir.runs, years=20, walks=10, factors=12, names=100)
    t0 = time.perf_counter()
    out = write_report(ctx, "latest", kind="backtest")
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "megabytes": round(out.size / 1e6, 2),
            "charts": out.n_charts}


def dashboard_home(home: str) -> dict:
    """A data directory with SYN1000 runs (discover, optimize, regime) for the dashboard."""
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.discover import discover
    from equity_factors.workflows.factors import FactorRequest
    from equity_factors.workflows.optimize import OptimizeRequest, optimize
    from equity_factors.workflows.regime import RegimeRequest, detect

    ctx = Context.create(home)
    factors = FactorRequest(universe="SYN1000", method="pca", n_components=12,
                            start="2012-01-01")
    discover(ctx, factors, argv=["bench"])
    optimize(ctx, OptimizeRequest(factors=factors, walk_forward=True, train_window=126,
                                  test_window=21, max_folds=10, trials=20), argv=["bench"])
    detect(ctx, RegimeRequest(FactorRequest(universe="SYN1000", n_components=5,
                                            start="2012-01-01"), n_regimes=3), argv=["bench"])
    return {"runs": 3}


def _first_page(cmd: list[str], env: dict, port: int, title: str) -> tuple[float, float, Any]:
    """Start a Streamlit server (``cmd``), wait for its health check, open its first page in
    headless Chromium; returns (seconds to up, seconds to the page's title and table, page
    helpers) and stops the server."""
    import os
    import signal
    import subprocess
    import urllib.request

    from playwright.sync_api import sync_playwright

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    extra = None
    try:
        t_start = time.perf_counter()
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        up = time.perf_counter() - t_start
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            t0 = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_selector(f"h1:has-text('{title}')")
            page.wait_for_selector("[data-testid='stDataFrame']")
            first = time.perf_counter() - t0
            if title == "Data":  # the dashboard: then its Factors page's charts
                t0 = time.perf_counter()
                page.locator('[data-testid="stSidebarNav"] a', has_text="Factors").first.click()
                page.wait_for_selector(".js-plotly-plot .main-svg")
                extra = time.perf_counter() - t0
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return up, first, extra


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dashboard_first_page(home: str) -> dict:
    """Seconds from ``eqf dashboard`` answering its health check to the first page rendered
    in headless Chromium (title and tables), then to the Factors page's charts drawn; and the
    same first-page time of a two-line Streamlit app at the same moment (the floor set by
    Streamlit and the browser on this machine)."""
    import os
    import sys
    import tempfile

    port = _port()
    up, first, factors = _first_page(
        [sys.executable, "-m", "equity_factors", "dashboard", "--port", str(port)],
        {**os.environ, "EQF_HOME": home}, port, "Data")
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "baseline.py"
        app.write_text('import streamlit as st\nst.title("Baseline")\n'
                       'st.dataframe({"a": [1, 2]})\n')
        port = _port()
        _, baseline, _ = _first_page(
            [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless=true",
             "--browser.gatherUsageStats=false", "--server.address=127.0.0.1",
             f"--server.port={port}"], dict(os.environ), port, "Baseline")
    return {"server_up_seconds": round(up, 2), "first_page_seconds": round(first, 2),
            "factors_page_seconds": round(factors or 0.0, 2),
            "baseline_streamlit_first_page_seconds": round(baseline, 2)}


def section_report(child, workdir: Path) -> dict:
    out = {"backtest_20y_10walks_12factors": {**child("report_backtest",
                                                      str(workdir / "report-home")),
                                              "target_seconds": 3, "target_megabytes": 8}}
    home = workdir / "dashboard-home"
    if not (home / "bench-ready").is_file():
        child("dashboard_home", str(home))
        (home / "bench-ready").write_text("SYN1000 runs made\n")
    out["dashboard_SYN1000"] = {**child("dashboard_first_page", str(home)),
                                "target_first_page_seconds": 3}
    return out


SECTIONS = {"store": section_store, "factors": section_factors, "optimize": section_optimize,
            "backtest": section_backtest, "backtest_workflow": section_backtest_workflow,
            "report": section_report}


# --------------------------------------------------------------------------- routine (cache)
def _import_lazy_modules() -> None:
    """Import what eqf loads on first use (the estimators with scikit-learn, k-means, SciPy's
    statistics and signal modules): the cases time the work, not imports, cold runs included."""
    import importlib

    for name in ("equity_factors.factors.estimators", "sklearn.cluster", "sklearn.covariance",
                 "scipy.stats", "scipy.signal"):
        importlib.import_module(name)


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

    _import_lazy_modules()
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
            "restarts_abandoned": sum(f.n_abandoned for f in out.result.fits),
            "em_iterations": sum(f.em_iterations for f in out.result.fits),
            "em_row_iterations": sum(f.em_iterations * f.n_train for f in out.result.fits),
            "refits": len(out.result.fits)}


def discover_syn(home: str, end: str, fresh: str = "0", method: str = "pca") -> dict:
    """``discover`` rolling ``method`` (k=10) on SYN1000 over 10 years up to ``end``.

    Also times, after the run, the two things every run pays whatever the cache holds: loading
    the panel from the store and writing the entry of the whole-result cache.
    """
    import warnings

    from equity_factors.data.cache import FrameCache
    from equity_factors.data.window_store import clear_cache
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.discover import discover
    from equity_factors.workflows.factors import (
        FactorRequest,
        load_universe_panel,
        resolve,
        result_to_frames,
    )

    _import_lazy_modules()
    ctx = Context.create(home)
    resolve(ctx, "SYN1000")  # generated on first use
    if fresh == "1":
        clear_cache(ctx.data_dir)
    # the same start for the cold and the warm run: one more day at the end, nothing else
    request = FactorRequest("SYN1000", method=method, n_components=10, start="2014-06-27",
                            end=end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, wall, cpu = _timed(lambda: discover(ctx, request, argv=["bench"],
                                                 output_dir=Path(home) / "out"))
    _, panel_s, _ = _timed(lambda: load_universe_panel(ctx, "SYN1000", request.start, end))
    scratch = FrameCache(ctx.data_dir, "bench-scratch")
    _, put_s, _ = _timed(lambda: scratch.put("entry", *result_to_frames(out.fit.result)))
    shutil.rmtree(scratch.root, ignore_errors=True)
    return {"seconds": wall, "cpu_seconds": cpu, "stages": dict(out.run.timings),
            "n_fits": len(out.fit.result.fits), "window_stats": out.fit.window_stats,
            "method": method, "panel_load_seconds": panel_s, "result_cache_put_seconds": put_s}


def routine_syn(home: str, end: str, fresh: str = "0") -> dict:
    """``eqf routine`` on SYN1000 up to ``end`` (regime, alerts, candidates)."""
    import warnings

    from equity_factors.data.window_store import clear_cache
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest, resolve
    from equity_factors.workflows.routine import RoutineRequest, routine

    _import_lazy_modules()
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
    # the same pair with a method whose fits cost more than the I/O around them
    i_cold = child("discover_syn", syn, "2024-06-27", "0", "ica")
    i_warm = child("discover_syn", syn, "2024-06-28", "0", "ica")
    child("routine_syn", syn, "2024-06-27")
    r_warm = child("routine_syn", syn, "2024-06-28")
    # what every discover run pays whatever the cache holds: reading the panel, the summary and
    # writing the files (a warm run skips the whole-result entry: nothing was fitted)
    fixed = round(d_warm["panel_load_seconds"] + d_warm["stages"].get("write", 0.0)
                  + d_warm["stages"].get("summary", 0.0), 3)
    return {
        "regime_detect_SAMPLE_cold": {**cold, "target_seconds": 5},
        "regime_detect_SAMPLE_warm_one_more_day": {**warm, "target_seconds": 1},
        "discover_rolling_SYN1000_10y_cold": d_cold,
        "discover_rolling_SYN1000_10y_warm_one_more_day": d_warm,
        "discover_warm_over_cold": round(d_warm["seconds"] / d_cold["seconds"], 3),
        "discover_warm_over_cold_cpu": round(d_warm["cpu_seconds"] / d_cold["cpu_seconds"], 3),
        "discover_fit_stage_warm_over_cold": round(
            d_warm["stages"].get("fit", 0) / max(d_cold["stages"].get("fit", 1e-9), 1e-9), 3),
        "target_discover_warm_over_cold": 0.10,
        "discover_fixed_seconds": fixed,
        "discover_fixed_over_cold": round(fixed / d_cold["seconds"], 3),
        "discover_ica_SYN1000_10y_cold": i_cold,
        "discover_ica_SYN1000_10y_warm_one_more_day": i_warm,
        "discover_ica_warm_over_cold": round(i_warm["seconds"] / i_cold["seconds"], 3),
        "routine_SYN1000_warm_one_more_day": {**r_warm, "target_seconds": 5},
        "load_average": list(__import__("os").getloadavg()),
    }


SECTIONS["routine"] = section_routine


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


@contextlib.contextmanager
def _local_cluster(name: str, warm_import: str | None, warm_local: bool = True):
    """A local Ray or Dask cluster of 2 workers for the ``with`` block (nothing for
    ``local``), its workers having imported ``warm_import`` (a fixed cost per worker, timed by
    the caller as the start, so what follows measures the work); shut down afterwards."""
    from equity_factors.distributed import run_tasks

    cluster = client = None
    if name == "ray":
        import ray

        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    elif name == "dask":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                               scheduler_kwargs={"dashboard": False}, host="127.0.0.1")
        client = Client(cluster)
    try:
        if warm_import and (warm_local or name != "local"):
            run_tasks(exec, [f"import {warm_import}"] * 4, executor=name, workers=2)
        yield
    finally:
        if name == "ray":
            ray.shutdown()
        elif cluster is not None:
            client.close()
            cluster.close()


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
        # a serial run just before each executor: on a shared machine the load moves within
        # minutes, and a ratio of neighbours in time holds better than one against the first
        t0 = _t.perf_counter()
        walk_forward(fr, 90, 30, **kw)
        serial_before = _t.perf_counter() - t0
        load_before = os.getloadavg()[0]
        t0 = _t.perf_counter()
        with _local_cluster(name, "equity_factors.optimize.walkforward"):
            start = _t.perf_counter() - t0
            t0 = _t.perf_counter()
            result = walk_forward(fr, 90, 30, map_fn=task_map(name, workers=2), **kw)
            seconds = _t.perf_counter() - t0
            t0 = _t.perf_counter()
            run_tasks(abs, range(200), executor=name, workers=2)
            per_task_ms = (_t.perf_counter() - t0) / 200 * 1000
        out[name] = {"seconds": round(seconds, 2), "start_seconds": round(start, 2),
                     "serial_seconds_just_before": round(serial_before, 2),
                     "load_average_before": round(load_before, 2),
                     "speedup_vs_serial": round(serial_before / seconds, 2),
                     "speedup_vs_first_serial": round(out["serial_seconds"] / seconds, 2),
                     "overhead_per_task_ms": round(per_task_ms, 2), "identical": same(result)}
    return out


def sweep_executors(home: str) -> dict:
    """A 12-point ``eqf sweep`` (pca, ica x k 2, 3, 5 x lookback 126, 189; basket backtests
    of 4 walks on SAMPLE) serially, on 2 local processes, a local Ray and a local Dask with 2
    workers; each from an empty results cache, tables checked identical to the serial one."""
    import os
    import shutil
    import time as _t

    os.environ["EQF_HOME"] = home
    from equity_factors.data.ingest import ingest_sample
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.backtest import BacktestRequest
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest
    from equity_factors.workflows.sweep import SWEEP_COLUMNS, SweepRequest, sweep

    ctx = Context.create(home)
    if ctx.store.universe("SAMPLE") is None:
        ingest_sample(ctx.store)
    template = BacktestRequest(FactorRequest(universe="SAMPLE", start="2016-01-01", refit=42),
                               train_size=126, test_size=63, walks=4,
                               spec=BasketSpec(long_pct=0.25, short_pct=0.25))
    grid = dict(methods=("pca", "ica"), ks=(2, 3, 5), lookbacks=(126, 189))
    cols = [c for c in SWEEP_COLUMNS if c != "run_id"]

    def run(executor: str, workers: int):
        shutil.rmtree(Path(home) / "cache", ignore_errors=True)  # every run from scratch
        t0 = _t.perf_counter()
        out = sweep(ctx, SweepRequest(template, executor=executor, workers=workers, **grid),
                    argv=["bench"])
        return out, _t.perf_counter() - t0

    serial, serial_s = run("local", 1)
    out: dict = {"points": len(serial.table), "serial_seconds": round(serial_s, 2)}
    for name in ("local", "ray", "dask"):
        t0 = _t.perf_counter()
        with _local_cluster(name, "equity_factors.workflows.backtest", warm_local=False):
            start = _t.perf_counter() - t0
            result, seconds = run(name, 2)
        out[name] = {"seconds": round(seconds, 2), "cluster_start_seconds": round(start, 2),
                     "speedup_vs_serial": round(serial_s / seconds, 2),
                     "identical": bool(result.table[cols].equals(serial.table[cols]))}
    out["load_average"] = list(os.getloadavg())
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
            "executors": child("executors_walk", str(home)),
            "sweep_12_points": child("sweep_executors", str(workdir / "sweep-home"))}


SECTIONS["scale"] = section_scale


# --------------------------------------------------------------------------- syn5000
SYN5000_K = 12


def syn5000_stage(home: str, stage: str, trials: str = "50", walks: str = "3") -> dict:
    """One stage of SYN5000 x 20 years end to end, each in its own process (its peak RSS is
    its own): ``fetch`` (generate + store), ``discover`` (rolling PCA k=12), ``optimize``
    (walk-forward 20 folds x ``trials``), ``basket``, ``backtest`` (basket strategy, ``walks``
    walks of 252 + 63 days). The stages share the data directory and its caches, as a user
    running the commands one after the other does."""
    import json
    import os
    import time as _t
    import warnings

    os.environ["EQF_HOME"] = home
    from equity_factors.workflows.context import Context
    from equity_factors.workflows.factors import FactorRequest

    ctx = Context.create(home)
    factors = FactorRequest(universe="SYN5000", method="pca", n_components=SYN5000_K)
    out_dir = Path(home) / "out"
    state = Path(home) / "bench-state.json"
    info: dict = {"stage": stage}
    t0, c0 = _t.perf_counter(), _t.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if stage == "fetch":
            from equity_factors.workflows.data import fetch_bundled

            info["symbols"] = len(fetch_bundled(ctx, "SYN5000", replace=True))
        elif stage == "discover":
            from equity_factors.workflows.discover import DiscoverRequest, discover

            d = discover(ctx, DiscoverRequest(factors), argv=["bench"], output_dir=out_dir)
            res = d.fit.result
            info.update(n_fits=len(res.fits), n_days=int(res.factor_returns.shape[0]),
                        n_stocks=int(res.loadings.shape[0]))
        elif stage == "optimize":
            from equity_factors.workflows.optimize import OptimizeRequest, optimize

            o = optimize(ctx, OptimizeRequest(factors=factors, walk_forward=True,
                                              max_folds=20, trials=int(trials)),
                         argv=["bench"], output=out_dir / "optimization_results.json")
            state.write_text(json.dumps({"results": str(o.files["results"])}))
            info.update(folds=len(o.result.folds), trials=o.results["overfitting"]["n_trials"],
                        timings=o.run.timings)
        elif stage == "basket":
            from equity_factors.workflows.basket import BasketRequest, basket

            results = json.loads(state.read_text())["results"]
            b = basket(ctx, BasketRequest(results=results, universe="SYN5000"), argv=["bench"],
                       output=out_dir / "basket.csv")
            info.update(positions=int(len(b.basket.positions)), timings=b.run.timings)
        elif stage == "backtest":
            from equity_factors.workflows.backtest import BacktestRequest, backtest

            bt = backtest(ctx, BacktestRequest(factors, train_size=252, test_size=63,
                                               walks=int(walks)), argv=["bench"])
            info.update(walks=bt.summary["n_walks"], days=bt.summary["n_days"],
                        rebalances=bt.summary["n_rebalances"], timings=bt.run.timings)
        else:
            raise ValueError(f"unknown stage {stage!r}")
    info.update(seconds=round(_t.perf_counter() - t0, 2),
                cpu_seconds=round(_t.process_time() - c0, 2))
    return info


def section_syn5000(child, workdir: Path) -> dict:
    """SYN5000 x 20 years end to end; time and peak memory per stage (target: 8 GB each)."""
    import os

    home = str(workdir / "syn5000-home")
    stages = {s: child("syn5000_stage", home, s)
              for s in ("fetch", "discover", "optimize", "basket", "backtest")}
    return {"stages": stages, "target_peak_rss_mb": 8192, "target_seconds_per_stage": 600,
            "load_average": list(os.getloadavg())}


SECTIONS["syn5000"] = section_syn5000
