"""Sections of an ``optimize`` run: weights per fold, in- vs out-of-sample Sharpe per fold, the
search per fold and its trial history (``optimization_trials.csv``), and the overfitting panel
(PSR, DSR, PBO, verdict)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from equity_factors.report.blocks import Chart, RunFiles, Section, Table, Text
from equity_factors.report.plots import go, layout, series_colours, values

#: What each overfitting figure measures (shown beside its value).
OVERFITTING_LABELS = {
    "in_sample_sharpe": ("In-sample Sharpe", "of the trial selected on the train windows"),
    "out_of_sample_sharpe": ("Out-of-sample Sharpe", "of the stitched test windows"),
    "sharpe_correlation": ("IS/OOS correlation", "across folds: do good train windows predict "
                           "good test windows?"),
    "n_trials": ("Trials", "every objective evaluation counts"),
    "psr": ("PSR", "probabilistic Sharpe ratio of the out-of-sample returns (P[true Sharpe > 0])"),
    "dsr": ("DSR", "deflated Sharpe ratio of the selected in-sample trial, for the number of "
            "trials"),
    "p_beats_noise": ("P(beats noise)", "probability the selected blend beats the best blend of "
                      "as many pure-noise factors"),
    "pbo": ("PBO", "probability of backtest overfitting (CSCV): the in-sample best is below the "
            "out-of-sample median"),
    "prob_oos_loss": ("P(OOS loss)", "share of CSCV splits whose selected trial loses out of "
                      "sample"),
    "degradation_slope": ("Degradation slope", "OOS Sharpe per unit of IS Sharpe across splits"),
}


def _folds(results: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for f in results.get("folds", []):
        row = {k: v for k, v in f.items() if k != "weights"}
        row.update({f"w_{k}": v for k, v in (f.get("weights") or {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def weights_chart(folds: pd.DataFrame, names: dict[str, str]) -> Chart:
    g = go()
    wcols = [c for c in folds.columns if c.startswith("w_")]
    x = [f"{r.fold}{' (partial)' if r.partial else ''}<br>{r.test_start or ''}"
         for r in folds.itertuples()]
    fig = g.Figure()
    for col, colour in zip(wcols, series_colours(len(wcols))):
        f = col[2:]
        fig.add_trace(g.Bar(x=x, y=values(folds[col]), name=f"{f}: {names[f]}" if f in names
                            else f, marker_color=colour))
    layout(fig, "Factor weights per fold", height=420, y_title="weight (sum |w| = 1)",
           x_title="fold (test window start)")
    fig.update_layout(barmode="relative", hovermode="closest")
    return Chart("Factor weights per fold", fig, "The blend weights chosen on each train window "
                 "and applied to the next test window (negative = factor shorted); the last "
                 "fold may be partial: its weights are the ones in force now.")


def sharpe_chart(folds: pd.DataFrame) -> Chart:
    g = go()
    full = folds[~folds["partial"].astype(bool)] if "partial" in folds else folds
    x = [str(f) for f in full["fold"]]
    fig = g.Figure([g.Bar(x=x, y=values(full["in_sample_sharpe"]), name="in-sample (train)",
                          marker_color="#1f77b4"),
                    g.Bar(x=x, y=values(full["out_of_sample_sharpe"]),
                          name="out-of-sample (test)", marker_color="#ff7f0e")])
    layout(fig, "In-sample vs out-of-sample Sharpe per fold", height=380,
           y_title="annualized Sharpe", x_title="fold")
    fig.update_layout(barmode="group", hovermode="closest")
    return Chart("In-sample vs out-of-sample Sharpe per fold", fig, "Sharpe of the selected "
                 "weights on their train window and on the following test window; a large gap "
                 "is the overfitting the panel below measures.")


def search_chart(folds: pd.DataFrame) -> Chart | None:
    if "objective_value" not in folds:
        return None
    g = go()
    fig = g.Figure([g.Scatter(x=[str(f) for f in folds["fold"]],
                              y=values(folds["objective_value"]), mode="lines+markers",
                              name="best objective", line=dict(color="#2ca02c")),
                    g.Bar(x=[str(f) for f in folds["fold"]], y=folds.get("n_trials"),
                          name="trials", yaxis="y2", marker_color="rgba(127,127,127,0.3)")])
    layout(fig, "Search per fold: best objective and trials", height=360,
           y_title="best train objective", x_title="fold")
    fig.update_layout(yaxis2=dict(overlaying="y", side="right", title="trials", showgrid=False),
                      hovermode="closest")
    return Chart("Search per fold", fig, "The best objective the search reached on each train "
                 "window and the trials it took.")


#: Most trials drawn per fold in the trial history (evenly spaced, the best always kept).
MAX_TRIALS_SHOWN = 2000


def trials_chart(trials: pd.DataFrame, folds: pd.DataFrame) -> Chart | None:
    """Objective of every trial (dots) and the best so far (line), one colour per fold."""
    if not {"fold", "trial", "objective"} <= set(trials.columns) or not len(trials):
        return None
    g = go()
    partial = (set(folds.loc[folds["partial"].astype(bool), "fold"]) if
               {"fold", "partial"} <= set(folds.columns) else set())
    fold_ids = list(dict.fromkeys(trials["fold"]))
    fig = g.Figure()
    for fold, colour in zip(fold_ids, series_colours(len(fold_ids))):
        part = trials[trials["fold"] == fold]
        objective = pd.to_numeric(part["objective"], errors="coerce")
        best = (pd.to_numeric(part["best_so_far"], errors="coerce") if "best_so_far" in part
                else objective.cummax())
        shown = part.index
        if len(part) > MAX_TRIALS_SHOWN:
            pick = np.unique(np.linspace(0, len(part) - 1, MAX_TRIALS_SHOWN).round().astype(int))
            top = int(np.nanargmax(objective.to_numpy())) if objective.notna().any() else 0
            shown = part.index[np.union1d(pick, [top])]
        label = f"fold {fold}{' (partial)' if fold in partial else ''}"
        fig.add_trace(g.Scatter(x=part.loc[shown, "trial"].to_numpy(),
                                y=values(objective.loc[shown]), mode="markers", name=label,
                                legendgroup=label, showlegend=False,
                                marker=dict(color=colour, size=4, opacity=0.45)))
        fig.add_trace(g.Scatter(x=part["trial"].to_numpy(), y=values(best), mode="lines",
                                name=label, legendgroup=label,
                                line=dict(color=colour, width=1.6, shape="hv")))
    layout(fig, "Trial history per fold", height=420, y_title="train objective",
           x_title="trial (evaluation order)")
    fig.update_layout(hovermode="closest")
    return Chart("Trial history", fig, "Every trial's objective on its fold's train window "
                 "(dots) and the best so far (line), one colour per fold: a line still rising "
                 "at the last trial means more trials could find better weights; a best found "
                 "early and never beaten is the search converging (or overfitting the window). "
                 "Click a fold in the legend to hide it.")


def overfitting_table(ov: dict[str, Any]) -> Table:
    rows = [(label, ov.get(key), what) for key, (label, what) in OVERFITTING_LABELS.items()
            if key in ov]
    return Table("Overfitting panel", pd.DataFrame(rows, columns=["figure", "value",
                                                                  "what it measures"]),
                 "Bailey & Lopez de Prado's statistics of the whole walk-forward search.")


def fold_stats_chart(ov_folds: pd.DataFrame) -> Chart | None:
    cols = [c for c in ("dsr", "p_beats_noise", "pbo") if c in ov_folds]
    if not cols or not len(ov_folds):
        return None
    g = go()
    labels = {"dsr": "DSR (selected trial)", "p_beats_noise": "P(beats noise)",
              "pbo": "PBO (CSCV)"}
    fig = g.Figure([g.Scatter(x=[str(f) for f in ov_folds["fold"]], y=values(ov_folds[c]),
                              mode="lines+markers", name=labels[c]) for c in cols])
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dot", width=1))
    layout(fig, "Overfitting statistics per fold", height=340, y_title="probability",
           x_title="fold (0 = first complete fold)")
    fig.update_yaxes(range=[0, 1.02])
    return Chart("Overfitting statistics per fold", fig, "Per fold: the deflated Sharpe ratio "
                 "and P(beats noise) of the selected trial (higher is better) and the PBO of "
                 "the fold's trials (lower is better; 0.5 dotted).")


def sections(files: RunFiles) -> list[Section]:
    results = files.document("optimization_results.json")
    if not isinstance(results, dict):
        return [Section("Optimization", (Text("no optimization_results.json in the run"),))]
    names = {str(k): str(v) for k, v in (results.get("factor_names") or {}).items()}
    folds = _folds(results)
    out: list[Section] = []
    weights = pd.DataFrame({"factor": list(results.get("weights", {}))})
    if len(weights):
        weights["name"] = weights["factor"].map(names)
        weights["weight"] = weights["factor"].map(results["weights"])
        weights["average_weight"] = weights["factor"].map(results.get("average_weights", {}))
    blocks: list = []
    if results.get("weights_note"):
        blocks.append(Text(str(results["weights_note"])))
    if len(weights):
        blocks.append(Table("Weights in force", weights, "weight: the latest fold's, in force "
                            "after the last date; average_weight: mean of the complete folds."))
    if len(folds) and any(c.startswith("w_") for c in folds.columns):
        blocks.append(weights_chart(folds, names))
    out.append(Section("Weights", tuple(blocks)))
    blocks = []
    if len(folds) and {"in_sample_sharpe", "out_of_sample_sharpe"} <= set(folds.columns):
        blocks.append(sharpe_chart(folds))
        chart = search_chart(folds)
        if chart is not None:
            blocks.append(chart)
        trials = files.table("optimization_trials.csv")
        chart = trials_chart(trials, folds) if trials is not None else None
        if chart is not None:
            blocks.append(chart)
        elif "objective_value" in folds:
            blocks.append(Text("No per-trial history in this run's folder (no "
                               "optimization_trials.csv: an older run); the chart above "
                               "shows each fold's best objective."))
        cols = [c for c in ("fold", "train_start", "train_end", "test_start", "test_end",
                            "in_sample_sharpe", "out_of_sample_sharpe", "n_trials", "partial")
                if c in folds.columns]
        blocks.append(Table("Folds", folds[cols], "Train and test dates of every fold."))
    if blocks:
        out.append(Section("Walk-forward folds", tuple(blocks)))
    ov = results.get("overfitting") or {}
    if ov:
        blocks = [Text(str(ov.get("verdict", "")), kind="verdict"), overfitting_table(ov)]
        chart = fold_stats_chart(pd.DataFrame(results.get("overfitting_folds") or []))
        if chart is not None:
            blocks.append(chart)
        out.append(Section("Overfitting", tuple(blocks)))
    perf = results.get("performance") or {}
    if perf:
        out.append(Section("Performance", (Table("Performance of the blend", pd.DataFrame(
            perf).T, "in_sample_full_period: the final weights over the whole period (looks "
            "ahead); out_of_sample: the stitched test windows.", index=True),)))
    return out
