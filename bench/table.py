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
    if "routine" in results:
        rows.extend(routine_rows(results["routine"]))
    head = (f"Measured on {m['cpus']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
            f"{m['platform']} (a shared machine; load average at start "
            f"{m['load_average_at_start'][0]:.1f}); sections may come from different runs of "
            "`make bench` (`bench/results.json` keeps sections not rerun).\n\n")
    return head + "| benchmark | measured | target |\n|---|---|---|\n" + "\n".join(
        f"| {a} | {b} | {c} |" for a, b, c in rows)


def routine_rows(r: dict) -> list[tuple[str, str, str]]:
    """The results cache: cold vs warm after one more day (wall and CPU seconds)."""
    def t(x: dict) -> str:
        return f"{x['seconds']:.2f} s (CPU {x['cpu_seconds']:.2f} s)"

    cold, warm = r["regime_detect_SAMPLE_cold"], r["regime_detect_SAMPLE_warm_one_more_day"]
    load = r.get("load_average", [float("nan")])[0]
    return [
        ("regime detect SAMPLE --regimes 3 --predict 5, cold (empty cache; in process)",
         t(cold) + f"; fit stage (factors + HMM) {cold['fit_seconds']:.2f} s; "
         f"{cold['restarts_spent']} restarts over {cold['refits']} refits", "<= 5 s"),
        ("regime detect SAMPLE, warm, one more day",
         t(warm) + f"; fit {warm['fit_seconds']:.2f} s, the rest is writing outputs (PNG)",
         "<= 1 s"),
        ("discover rolling PCA k=10, SYN1000 x 10 years: cold / warm one more day",
         f"{r['discover_rolling_SYN1000_10y_cold']['seconds']:.2f} s / "
         f"{r['discover_rolling_SYN1000_10y_warm_one_more_day']['seconds']:.2f} s = "
         f"{r['discover_warm_over_cold']:.0%}", "<= 10 %"),
        ("eqf routine SYN1000 (regime, alerts, candidates), warm, one more day",
         t(r["routine_SYN1000_warm_one_more_day"]) + f"; load average {load:.1f}", "<= 5 s"),
    ]


def main() -> int:
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    readme = ROOT / "README.md"
    text = readme.read_text()
    new = re.sub(r"(<!-- bench-table -->\n).*?(\n\n## )", lambda mt: mt.group(1) + render(results)
                 + mt.group(2), text, count=1, flags=re.S)
    readme.write_text(new)
    print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
