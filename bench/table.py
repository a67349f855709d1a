"""Render bench/results.json as the README's benchmark table (``python -m bench.table``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(results: dict) -> str:
    m, st, f = results["machine"], results["store"], results["factors"]
    o = results["optimize"]["walk_forward_SYN1000_20x200"]
    load = st["panel_load_SYN3000_20y"]
    rows = [
        ("Generate + store SYN3000 x 20 years (5,217 days)",
         f"{st['generate_and_store_SYN3000_20y']['seconds']:.1f} s", "<= 60 s"),
        ("Panel load SYN3000 x 20 years from the store (3 loads in one process: "
         + ", ".join(f"{x:.2f}" for x in load["seconds_all"]) + " s)",
         f"{max(load['seconds_all']):.2f} s worst, peak {load['peak_rss_mb']:.0f} MB",
         "<= 1.0 s, < 1.5 GB"),
        ("Naive long-table SQL read + pandas pivot, same data, same run",
         f"{st['naive_long_sql_pivot']['seconds']:.1f} s (best panel load is "
         f"{st['speedup_vs_naive']:.0f}x faster)", ">= 10x slower"),
    ]
    for meth, target in (("pca", 20), ("ica", 90)):
        runs = f[meth]["runs"]
        sizes = " / ".join(f"{runs[n]['n_stocks']:,}" for n in ("500", "1000", "3000"))
        rows.append((f"Rolling {meth.upper()}, k=12, 10 years, lookback 252, refit 21 "
                     f"({sizes} usable stocks of the first 500 / 1000 / 3000 of SYN3000)",
                     " / ".join(f"{runs[n]['seconds']:.1f}" for n in ("500", "1000", "3000"))
                     + f" s; peak {runs['3000']['peak_rss_mb']:.0f} MB; cost per stock at 3000 "
                     f"vs 500: {f[meth]['cost_per_stock_ratio_3000_vs_500']}x",
                     f"<= {target} s at 3000, < 2 GB, no worse than linear"))
    rows.append(("Walk-forward 20 folds x 200 Bayesian trials, 12 PCA factors, SYN1000 "
                 "(factor fit + optimization)",
                 f"{o['seconds_excluding_data_load']:.1f} s (factors {o['timings']['factors']:.1f}"
                 f" s, optimize {o['timings']['optimize']:.1f} s); data load "
                 f"{o['panel_load_seconds']:.2f} s", "<= 60 s excluding data load"))
    rows.extend(_backtest_rows(results.get("backtest")))
    seed = (results.get("backtest_workflow") or {}).get("seed_line_SYN1000_10y")
    if seed:
        t = seed["timings"]
        rows.append(("The seed's backtest line on SYN1000 x 10 years: `--train-size 252 "
                     "--test-size 63 --walks 10 --optimize`, 200 trials a walk, monthly baskets "
                     f"({seed['rebalances']} rebalances, {seed['days']} days traded)",
                     f"{seed['seconds_end_to_end']:.1f} s (optimize {t['optimize']:.1f} s, "
                     f"targets {t['targets']:.1f} s, engine {t['engine']:.2f} s, attribution "
                     f"{t['attribution']:.1f} s)", "<= 60 s"))
        warm = results["backtest_workflow"].get("seed_line_SYN1000_10y_warm_cache")
        if warm:
            tw = warm["timings"]
            rows.append(("The same line again in a new process, with the results cache of the "
                         "first run",
                         f"{warm['seconds_end_to_end']:.1f} s = "
                         f"{results['backtest_workflow']['seed_line_warm_over_cold']:.2f}x the "
                         f"cold run (factors {tw['factors']:.1f} s, optimize "
                         f"{tw['optimize']:.1f} s, targets {tw['targets']:.1f} s)", "report"))
    rep = results.get("report")

    def _before_after(b: dict) -> str:
        ab = b.get("same_session_ab")
        if not ab:
            return ""
        from statistics import median

        before, after = median(ab["before_seconds"]), median(ab["after_seconds"])
        return (f" (alternated in one session, medians: previous builder {before:.2f} s, this "
                f"one {after:.2f} s, {before / after:.1f}x faster)")

    if rep:
        b, d = rep["backtest_20y_10walks_12factors"], rep["dashboard_SYN1000"]
        rows.append(("`eqf report` of a backtest: 20 years, 10 walks, 12 factors (fabricated "
                     f"run, {b['charts']} charts)",
                     f"{b['seconds']:.2f} s, {b['megabytes']:.1f} MB" + _before_after(b),
                     "<= 3 s, <= 8 MB"))
        rows.append(("`eqf dashboard` on SYN1000 runs: first page rendered in headless Chromium "
                     f"after the server is up (server up in {d['server_up_seconds']:.1f} s; "
                     f"Factors page charts {d['factors_page_seconds']:.1f} s)",
                     f"{d['first_page_seconds']:.2f} s (a two-line Streamlit app, same moment: "
                     f"{d.get('baseline_streamlit_first_page_seconds', float('nan')):.2f} s)",
                     "<= 3 s"))
    if "routine" in results:
        rows.extend(routine_rows(results["routine"]))
    if "syn5000" in results:
        rows.append(syn5000_row(results["syn5000"]))
    head = (f"Measured on {m['cpus']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
            f"{m['platform']} (a shared machine; load average at start "
            f"{m['load_average_at_start'][0]:.1f}); sections may come from different runs of "
            "`make bench` (`bench/results.json` keeps sections not rerun).\n\n")
    return head + "| benchmark | measured | target |\n|---|---|---|\n" + "\n".join(
        f"| {a} | {b} | {c} |" for a, b, c in rows)


def _backtest_rows(bt: dict | None) -> list[tuple[str, str, str]]:
    """Rows of the backtest section (none when it has not been run)."""
    if not bt:
        return []
    rows = []
    for key, label in (("engine_3000x5000_monthly", "monthly"), ("engine_3000x5000_daily",
                                                                  "daily")):
        run = bt[key]
        rows.append((f"Backtest engine, 3,000 stocks x 5,000 days, {label} rebalancing "
                     f"({run['rebalances']:,} rebalances, {run['trades']:,} orders, default "
                     "costs)", f"{run['seconds']:.2f} s (CPU {run['cpu_seconds']:.2f} s"
                     + (f", load average {run['load_average']:.1f}" if "load_average" in run
                        else "") + f"), peak {run['peak_rss_mb']:.0f} MB",
                     f"<= {run['target_seconds']} s, <= 2 GB"))
    for key in ("vectorbt_3000x5000_monthly", "vectorbt_500x2500_daily"):
        vb = bt.get(key)
        if vb:
            rows.append((f"Same targets and fees in vectorbt {vb['vectorbt_version']} "
                         f"({vb['n_stocks']:,} x {vb['n_days']:,}, {vb['rebalances']:,} "
                         "rebalances)",
                         f"vectorbt {vb['vectorbt_seconds_warm']:.2f} s warm "
                         f"({vb['vectorbt_seconds_cold']:.1f} s cold) vs engine "
                         f"{vb['engine_seconds']:.2f} s; max net-return difference "
                         f"{vb['max_abs_diff_net_returns']:.1e}",
                         "same net returns to 1e-8; faster"))
    if "vectorbt" in bt:
        rows.append(("Side by side with vectorbt", bt["vectorbt"]["absent"], "-"))
    return rows


def routine_rows(r: dict) -> list[tuple[str, str, str]]:
    """The results cache: cold vs warm after one more day (wall and CPU seconds)."""
    def t(x: dict) -> str:
        return f"{x['seconds']:.2f} s (CPU {x['cpu_seconds']:.2f} s)"

    cold, warm = r["regime_detect_SAMPLE_cold"], r["regime_detect_SAMPLE_warm_one_more_day"]
    load = r.get("load_average", [float("nan")])[0]
    other = r.get("other_runs_this_session", {})
    before = other.get("before_this_session", {})

    def runs(key: str) -> str:
        seen = other.get(key)
        return f"; other runs {', '.join(f'{x:.1f}' for x in seen)} s" if seen else ""

    def was(key: str, fmt: str = "{:.1f} s") -> str:
        return f"; before {fmt.format(before[key])}" if key in before else ""

    fixed = ""
    if "discover_fixed_seconds" in r:
        warm_d = r["discover_rolling_SYN1000_10y_warm_one_more_day"]
        fixed = (f"; what any run pays (panel {warm_d['panel_load_seconds']:.2f} s, summary and "
                 f"files {r['discover_fixed_seconds'] - warm_d['panel_load_seconds']:.2f} s) "
                 f"is {r['discover_fixed_over_cold']:.0%} of the cold run")
    ica = []
    if "discover_ica_warm_over_cold" in r:
        ica_runs = other.get("discover_ica_warm_over_cold", [])
        ica.append((
            "discover rolling ICA k=10, SYN1000 x 10 years: cold / warm one more day",
            f"{r['discover_ica_SYN1000_10y_cold']['seconds']:.2f} s / "
            f"{r['discover_ica_SYN1000_10y_warm_one_more_day']['seconds']:.2f} s = "
            f"{r['discover_ica_warm_over_cold']:.0%}"
            + ("; other runs " + ", ".join(f"{x:.0%}" for x in ica_runs) if ica_runs else ""),
            "(the same target: a method whose fits cost more)"))
    pairs = other.get("discover_SYN1000_cold_warm_seconds", [])
    disc_runs = "; other runs " + ", ".join(f"{w / c:.0%}" for c, w in pairs) if pairs else ""
    return [
        ("regime detect SAMPLE --regimes 3 --predict 5, cold (empty cache; in process)",
         t(cold) + f"; fit stage (factors + HMM) {cold['fit_seconds']:.2f} s; "
         f"{cold['restarts_spent']} restarts over {cold['refits']} refits, "
         f"{cold.get('em_iterations', 0):,} EM iterations"
         + runs("regime_detect_SAMPLE_cold_seconds") + was("regime_cold"), "<= 5 s"),
        ("regime detect SAMPLE, warm, one more day",
         t(warm) + f"; fit {warm['fit_seconds']:.2f} s, the rest is mostly writing outputs"
         + runs("regime_detect_SAMPLE_warm_seconds") + was("regime_warm"),
         "<= 1 s"),
        ("discover rolling PCA k=10, SYN1000 x 10 years: cold / warm one more day",
         f"{r['discover_rolling_SYN1000_10y_cold']['seconds']:.2f} s / "
         f"{r['discover_rolling_SYN1000_10y_warm_one_more_day']['seconds']:.2f} s = "
         f"{r['discover_warm_over_cold']:.0%}" + disc_runs
         + was("discover_warm_over_cold", "{:.0%}") + fixed, "<= 10 %"),
        *ica,
        ("eqf routine SYN1000 (regime, alerts, candidates), warm, one more day",
         t(r["routine_SYN1000_warm_one_more_day"]) + f"; load average {load:.1f}"
         + runs("routine_SYN1000_warm_seconds") + was("routine_warm"), "<= 5 s"),
    ]


def syn5000_row(r: dict) -> tuple[str, str, str]:
    """SYN5000 x 20 years end to end: seconds and peak memory of each stage (own process)."""
    st = r["stages"]
    labels = {"fetch": "fetch (generate + store)", "discover": "discover (rolling PCA k=12, "
              f"{st['discover'].get('n_fits', '?')} fits)",
              "optimize": f"optimize --walk-forward ({st['optimize'].get('folds', '?')} folds x "
              "50 trials)", "basket": "basket",
              "backtest": f"backtest ({st['backtest'].get('walks', '?')} walks)"}
    parts = "; ".join(f"{labels[k]} {v['seconds']:.0f} s, {v['peak_rss_mb'] / 1024:.1f} GB"
                      for k, v in st.items())
    worst = max(v["peak_rss_mb"] for v in st.values()) / 1024
    return ("SYN5000 x 20 years (5,217 days x 5,000 stocks) end to end, each stage in its own "
            f"process (load average after {r['load_average'][0]:.1f})",
            f"{parts}; worst peak {worst:.1f} GB", "each stage <= 8 GB, <= 10 min")


def render_scale(results: dict) -> str:
    """The ``scale`` section: trials/s per storage, walk-forward vs the floor, executors."""
    sc = results["scale"]
    r = sc["trials_per_second"]
    names = {"default": "embedded default (in memory + trial cache; 2 workers = 2 folds at "
                        "once)", "journal": "journal file (`journal:FILE`)",
             "sqlite": "SQLite (`sqlite:///FILE.db`)", "postgresql": "PostgreSQL 15, loopback"}
    rows = ["| storage | 1 worker | 2 workers |", "|---|---|---|"]
    for kind, label in names.items():
        one, two = r.get(f"{kind}_1"), r.get(f"{kind}_2")
        rows.append(f"| {label} | {one['trials_per_second']:.0f} trials/s | "
                    + (f"{two['trials_per_second']:.0f} trials/s |" if two else "- |"))
    w = sc["walk_forward_vs_floor"]
    rows += ["", "| walk-forward SYN1000, 12 PCA factors, "
             f"{w['folds']} folds x 200 trials | seconds | x floor |", "|---|---|---|",
             f"| floor: Optuna TPE alone, {w['folds']} x 200 trivial trials in memory "
             f"({w['floor_trials_per_second']:.0f} trials/s) | {w['floor_seconds']:.1f} | 1 |",
             f"| default storage: factor fit + optimization (factors {w['factors_seconds']:.1f} "
             f"s) | {w['seconds_excluding_data_load']:.1f} | {w['ratio_to_floor']:.2f} |",
             f"| default storage: optimization only | {w['optimize_seconds']:.1f} | "
             f"{w['optimize_ratio_to_floor']:.2f} |",
             f"| previous default (journal file): optimization only | "
             f"{w['journal_file_optimize_seconds']:.1f} | {w['journal_file_ratio_to_floor']:.2f} |",
             f"| rerun, every fold from the trial cache | "
             f"{w['rerun_from_trial_cache_seconds']:.1f} | - |"]
    e = sc["executors"]
    rows += ["", f"| walk-forward {e['folds']} folds x 200 trials, 2 workers | seconds | "
             "serial just before | speed-up vs serial | start | overhead per task | identical |",
             "|---|---|---|---|---|---|---|",
             f"| serial | {e['serial_seconds']:.1f} | - | 1 | - | - | - |"]
    for name in ("local", "ray", "dask"):
        x = e[name]
        before = x.get("serial_seconds_just_before")
        rows.append(f"| {name} | {x['seconds']:.1f} | "
                    + (f"{before:.1f} (load {x['load_average_before']:.1f})" if before else "-")
                    + f" | {x['speedup_vs_serial']:.2f}x | "
                    f"{x['start_seconds']:.1f} s | {x['overhead_per_task_ms']:.1f} ms | "
                    f"{'yes' if x['identical'] else 'NO'} |")
    sw = sc.get("sweep_12_points")
    if sw:
        rows += ["", f"| `eqf sweep`, {sw['points']} points (pca, ica x k 2, 3, 5 x lookback "
                 "126, 189; SAMPLE, 4 walks each), 2 workers, empty cache each time | seconds | "
                 "speed-up vs serial | cluster start | identical |", "|---|---|---|---|---|",
                 f"| serial | {sw['serial_seconds']:.1f} | 1 | - | - |"]
        for name in ("local", "ray", "dask"):
            x = sw[name]
            rows.append(f"| {name} | {x['seconds']:.1f} | {x['speedup_vs_serial']:.2f}x | "
                        f"{x['cluster_start_seconds']:.1f} s | "
                        f"{'yes' if x['identical'] else 'NO'} |")
    return "\n".join(rows)


def main() -> int:
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    readme = ROOT / "README.md"
    text = readme.read_text()
    new = re.sub(r"(<!-- bench-table -->\n).*?(\n\n## )", lambda mt: mt.group(1) + render(results)
                 + mt.group(2), text, count=1, flags=re.S)
    if "scale" in results:
        new = re.sub(r"(<!-- scale-table -->\n).*?(\n\n## )", lambda mt: mt.group(1)
                     + render_scale(results) + mt.group(2), new, count=1, flags=re.S)
    readme.write_text(new)
    print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
