"""A fabricated ``backtest`` run folder with plausible data, written to the file contract the
report reads (for tests and benchmarks of the report before real backtest runs exist).

The numbers are random but consistent: net = gross - costs, equity compounds net, the
attribution parts add up to the total, the sector effects to their total.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SECTORS = ("Tech", "Financials", "Health Care", "Energy", "Industrials", "Staples",
           "Utilities", "Materials")


def write_backtest_run(runs_dir: str | Path, run_id: str = "20260101T000000.000Z-backtest-abc123",
                       years: int = 20, walks: int = 10, factors: int = 12, names: int = 60,
                       seed: int = 0) -> Path:
    """Write ``runs_dir/<run_id>/`` with run.json and every backtest_* file; returns the
    folder."""
    rng = np.random.default_rng(seed)
    folder = Path(runs_dir) / run_id
    folder.mkdir(parents=True, exist_ok=True)
    dates = pd.bdate_range("2003-01-02", periods=252 * years)
    n = len(dates)
    benchmark = rng.normal(0.0003, 0.011, n)
    gross = 0.2 * benchmark + rng.normal(0.0003, 0.006, n)
    rebalance = np.zeros(n, dtype=bool)
    rebalance[::21] = True
    turnover = np.where(rebalance, rng.uniform(0.05, 0.35, n), 0.0)
    commission = turnover * 2 * 5e-4
    slippage = turnover * 2 * 3e-4
    borrow = np.full(n, 0.004 / 252 * 0.5)
    net = gross - commission - slippage - borrow
    equity = 1_000_000 * np.cumprod(1 + net)
    returns = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "gross": gross,
                            "commission": commission, "slippage": slippage, "borrow": borrow,
                            "net": net, "equity": equity, "benchmark": benchmark,
                            "turnover": turnover})
    returns.to_csv(folder / "backtest_returns.csv", index=False, float_format="%.8g")
    fnames = [f"F{i + 1}" for i in range(factors)]
    contrib = rng.normal(0, 0.0015, (n, factors))
    costs = -(commission + slippage + borrow)
    attribution = pd.DataFrame(contrib, columns=fnames)
    attribution.insert(0, "date", returns["date"])
    attribution["specific"] = gross - contrib.sum(axis=1)
    attribution["costs"] = costs
    attribution["total"] = net
    attribution.to_csv(folder / "backtest_attribution.csv", index=False, float_format="%.8g")
    tickers = [f"S{i:03d}" for i in range(names)]
    rows, trades = [], []
    walk_len = n // walks
    for d in np.flatnonzero(rebalance):
        w = rng.normal(0, 1, names)
        w = w / np.abs(w).sum()
        for t, wi in zip(tickers, w):
            shares = int(wi * equity[d] / 50)
            rows.append((returns["date"][d], t, wi, shares, "LONG" if wi > 0 else "SHORT",
                         min(d // walk_len, walks - 1)))
            if rng.random() < 0.3:
                trades.append((returns["date"][d], t, shares // 5, shares // 5 * 50.0,
                               abs(shares // 5 * 50.0) * 8e-4))
    pd.DataFrame(rows, columns=["date", "ticker", "weight", "shares", "side", "walk"]).to_csv(
        folder / "backtest_positions.csv", index=False, float_format="%.8g")
    pd.DataFrame(trades, columns=["date", "ticker", "shares", "notional", "cost"]).to_csv(
        folder / "backtest_trades.csv", index=False, float_format="%.8g")
    alloc, sel, inter = (rng.normal(0, 0.01, len(SECTORS)) for _ in range(3))
    pd.DataFrame({"sector": SECTORS, "allocation": alloc, "selection": sel,
                  "interaction": inter, "total": alloc + sel + inter}).to_csv(
        folder / "backtest_sector_attribution.csv", index=False, float_format="%.8g")
    walk_rows = []
    for k in range(walks):
        lo, hi = k * walk_len, min((k + 1) * walk_len, n) - 1
        wts = rng.normal(0, 1, factors)
        wts = wts / np.abs(wts).sum()
        walk_rows.append({"walk": k, "train_start": str((dates[lo] - pd.Timedelta(days=730))
                                                          .date()),
                          "train_end": str((dates[lo] - pd.Timedelta(days=1)).date()),
                          "test_start": str(dates[lo].date()), "test_end": str(dates[hi].date()),
                          "weights": json.dumps(dict(zip(fnames, np.round(wts, 4).tolist()))),
                          "train_sharpe": float(rng.normal(1.5, 0.4)),
                          "test_sharpe": float(rng.normal(0.4, 0.6)),
                          "turnover": float(turnover[lo:hi].sum()),
                          "cost_drag": float((commission + slippage + borrow)[lo:hi].sum()),
                          "hit_rate": float((net[lo:hi] > 0).mean())})
    pd.DataFrame(walk_rows).to_csv(folder / "backtest_walks.csv", index=False)
    block = {"annual_return": 0.05, "annual_volatility": 0.1, "sharpe": 0.5, "sortino": 0.7,
             "calmar": 0.3, "max_drawdown": -0.18, "annual_turnover": 2.4, "hit_rate": 0.52,
             "beta": 0.2, "alpha": 0.03, "information_ratio": 0.1, "tracking_error": 0.12}
    summary = {"strategy": "factor blend", "benchmark": "equal-weighted universe",
               "net": block, "gross": {**block, "sharpe": 0.8, "annual_return": 0.08},
               "break_even_bps": 21.5,
               "cost_sweep": [{"bps": b, "net_sharpe": 0.8 - b * 0.037} for b in
                              (0, 5, 10, 20, 30, 50)],
               "oos_sharpe": {"value": 0.5, "ci_low": 0.05, "ci_high": 0.95},
               "deflated_sharpe": 0.71, "pbo": 0.34, "verdict": "credible: positive net Sharpe "
               "out of sample after costs",
               "survivorship": {"snapshot_as_of": None, "biased": False,
                                "note": "the synthetic market lists and delists stocks"},
               "notes": ["fabricated data for tests"]}
    (folder / "backtest_summary.json").write_text(json.dumps(summary, indent=2))
    record = {"schema_version": 1, "run_id": run_id, "command": "backtest",
              "argv": ["backtest", "--universe", "SYN500", "--walks", str(walks)],
              "params": {"factors": {"universe": "SYN500", "start": str(dates[0].date()),
                                     "end": None}},
              "data_fingerprint": "fabricated0001", "seed": seed, "version": "0.1.0",
              "started_at": "2026-01-01T00:00:00+00:00", "seconds": 1.0, "timings": {},
              "outputs": {}, "headline": {"first_date": str(dates[0].date()),
                                          "last_date": str(dates[-1].date())}}
    (folder / "run.json").write_text(json.dumps(record, indent=2))
    return folder
