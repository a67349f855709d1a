"""``eqf sweep``: the backtest over a grid of model choices, with the overfitting of the choice.

Every point of the grid (factor method x number of factors x lookback) is one full walk-forward
backtest (:func:`equity_factors.workflows.backtest.backtest`, its own run record), run as a task
on the executor (local processes, Ray or Dask). The table compares them out of sample; the
probability of backtest overfitting (CSCV) across the grid's daily net returns and each point's
deflated Sharpe ratio (deflated by the size of the grid) say how much picking the best point is
worth.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.data.outputs import csv_bytes, json_bytes
from equity_factors.data.runs import Run
from equity_factors.errors import UserError
from equity_factors.optimize.overfitting.pbo import pbo_cscv
from equity_factors.optimize.overfitting.sharpe import deflated_sharpe_ratio, sharpe_moments
from equity_factors.workflows.backtest import BacktestRequest, backtest
from equity_factors.workflows.context import Context
from equity_factors.workflows.requests import Request

SWEEP_COLUMNS = ("method", "k", "lookback", "oos_sharpe", "ci_low", "ci_high",
                 "net_annual_return", "gross_annual_return", "annual_turnover", "cost_drag",
                 "dsr", "max_drawdown", "n_days", "run_id")


@dataclass(frozen=True)
class SweepRequest(Request):
    """The grid (``methods`` x ``ks`` x ``lookbacks``) over the ``backtest`` template, and
    where to run it."""

    backtest: BacktestRequest
    methods: tuple[str, ...] = ("pca",)
    ks: tuple[int, ...] = (5,)
    lookbacks: tuple[int, ...] = (252,)
    executor: str = "local"
    address: str | None = None
    workers: int = 1

    def points(self) -> list[BacktestRequest]:
        """The grid's backtest requests, in table order."""
        from equity_factors.factors import normalize_method

        return [replace(self.backtest, factors=replace(self.backtest.factors,
                                                       method=normalize_method(m),
                                                       n_components=int(k),
                                                       lookback=int(lb)))
                for m, k, lb in itertools.product(self.methods, self.ks, self.lookbacks)]

    def validate(self) -> None:
        from equity_factors.distributed.executor import check_executor
        from equity_factors.factors import normalize_method

        if not (self.methods and self.ks and self.lookbacks):
            raise UserError("the grid is empty: give at least one --methods, --k and --lookback")
        for m in self.methods:
            normalize_method(m)
        if any(int(k) < 1 for k in self.ks):
            raise UserError("--k values must be at least 1")
        if any(int(lb) < 20 for lb in self.lookbacks):
            raise UserError("--lookback values must be at least 20 trading days")
        check_executor(self.executor, self.address, self.workers)
        self.backtest.validate()


@dataclass(frozen=True)
class SweepTask:
    """One grid point, picklable: the data directory and the backtest request."""

    data_dir: str
    request: BacktestRequest
    argv: tuple[str, ...]


def run_sweep_point(task: SweepTask) -> dict[str, Any]:
    """Run one grid point's backtest (in whichever process the executor chose) and return
    its table row and daily net returns as plain values."""
    ctx = Context.create(task.data_dir)
    out = backtest(ctx, task.request, argv=list(task.argv))
    s = out.summary
    f = task.request.factors
    gross, net = s["gross"], s["net"]
    row = {"method": f.method, "k": f.n_components, "lookback": f.lookback,
           "oos_sharpe": s["oos_sharpe"]["value"], "ci_low": s["oos_sharpe"]["ci_low"],
           "ci_high": s["oos_sharpe"]["ci_high"],
           "net_annual_return": net["annual_return"], "gross_annual_return":
           gross["annual_return"], "annual_turnover": net["annual_turnover"],
           "cost_drag": (None if gross["annual_return"] is None or net["annual_return"] is None
                         else gross["annual_return"] - net["annual_return"]),
           "max_drawdown": net["max_drawdown"], "n_days": s["n_days"],
           "run_id": out.run.run_id}
    returns = out.returns["net"]
    return {"row": row, "dates": [f"{d:%Y-%m-%d}" for d in returns.index],
            "net": returns.to_numpy(dtype=float).tolist()}


@dataclass(frozen=True)
class SweepOutcome:
    table: pd.DataFrame
    summary: dict[str, Any]
    run: Run
    files: dict[str, Path] = field(default_factory=dict)


def _dsr(net: pd.DataFrame) -> pd.Series:
    """Each point's deflated Sharpe ratio, deflated by the grid: n_trials = points, the trials'
    Sharpe variance = the variance of the points' per-day Sharpe ratios."""
    moments = {c: sharpe_moments(net[c]) for c in net.columns}
    srs = np.array([m.sharpe for m in moments.values()], dtype=float)
    var = float(np.nanvar(srs, ddof=1)) if np.isfinite(srs).sum() > 1 else 0.0
    return pd.Series({c: deflated_sharpe_ratio(m.sharpe, m.n_obs, len(srs), var, m.skewness,
                                               m.kurtosis) for c, m in moments.items()})


def sweep(ctx: Context, request: SweepRequest, *, argv: list[str],
          output_dir: str | Path | None = None) -> SweepOutcome:
    """Backtest every grid point on the executor; write ``sweep_results.csv`` (one row per
    point) and ``sweep_summary.json`` (PBO across the grid, the best point, the verdict)."""
    from equity_factors.distributed.executor import run_tasks

    request.validate()
    points = request.points()
    run = Run(ctx.data_dir, "sweep", argv, request.to_dict())
    tasks = [SweepTask(str(ctx.data_dir.root), p, ("sweep", f"{p.factors.method}",
                                                    f"k={p.factors.n_components}",
                                                    f"lookback={p.factors.lookback}"))
             for p in points]
    if request.executor == "local" and request.workers <= 1:
        results = [run_sweep_point(t) for t in tasks]  # serial, in this process
    else:
        results = run_tasks(run_sweep_point, tasks, executor=request.executor,
                            address=request.address, workers=request.workers)
    run.lap("backtests")
    table = pd.DataFrame([r["row"] for r in results])
    labels = [f"{r['method']}/k{r['k']}/lb{r['lookback']}" for r in table.to_dict("records")]
    net = pd.concat([pd.Series(r["net"], index=pd.to_datetime(r["dates"]), name=lbl)
                     for r, lbl in zip(results, labels)], axis=1).dropna()
    table["dsr"] = _dsr(net).reindex(labels).to_numpy() if len(net) > 2 else np.nan
    table = table[list(SWEEP_COLUMNS)]
    pbo = float("nan")
    if len(points) >= 2 and len(net) >= 32:
        pbo = float(pbo_cscv(net.to_numpy(), n_partitions=16 if len(net) >= 160 else 8).pbo)
    best = int(np.nanargmax(table["oos_sharpe"].to_numpy(dtype=float)))
    b = table.iloc[best]
    verdict = (f"best point {labels[best]}: out-of-sample net Sharpe {b['oos_sharpe']:.2f} "
               f"(95% CI {b['ci_low']:.2f} to {b['ci_high']:.2f}), deflated Sharpe "
               f"{b['dsr']:.2f} over {len(points)} points; PBO across the grid "
               + ("n/a (too few points or days)" if not np.isfinite(pbo) else f"{pbo:.2f}")
               + (" — the choice of model is likely overfit" if np.isfinite(pbo) and pbo >= 0.5
                  else ""))
    summary = {"points": len(points), "common_days": int(len(net)),
               "first_common_day": f"{net.index[0]:%Y-%m-%d}" if len(net) else None,
               "pbo": pbo if np.isfinite(pbo) else None, "best": labels[best],
               "verdict": verdict, "runs": list(table["run_id"])}
    files = {}
    out = Path(output_dir) if output_dir is not None else None
    for name, blob in (("sweep_results.csv", csv_bytes(table, index=False,
                                                       float_format="%.10g")),
                       ("sweep_summary.json", json_bytes(summary))):
        files[name] = run.add(name, blob, None if out is None else out / name)
    run.finish(fingerprint=None, seed=request.backtest.seed,
               headline={"points": len(points), "pbo": summary["pbo"], "best": labels[best]})
    return SweepOutcome(table, summary, run, files)


__all__ = ["SWEEP_COLUMNS", "SweepOutcome", "SweepRequest", "SweepTask", "run_sweep_point",
           "sweep"]
