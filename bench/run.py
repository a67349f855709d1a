"""Run the benchmarks and write their figures to a JSON file.

Each measurement runs in a fresh child process so its peak memory (``ru_maxrss``) is its own.
Usage: ``python -m bench.run [--only store,factors,optimize,backtest,report,routine,scale,syn5000]
[--output bench/results.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cases


def child(case: str, *args: str) -> dict:
    """Run ``bench.cases.<case>(*args)`` in a new process; returns its JSON plus peak RSS."""
    code = ("import json, resource, sys; from bench import cases; "
            f"out = cases.{case}(*sys.argv[1:]); "
            "out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
            "print(json.dumps(out))")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    if proc.returncode != 0:
        raise RuntimeError(f"bench case {case} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "memory_gib": round(mem, 1), "python": sys.version.split()[0],
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "load_average_at_start": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--only", default="store,factors,optimize,backtest,backtest_workflow,"
                        "report,routine,scale,syn5000")
    parser.add_argument("--output", default="bench/results.json")
    parser.add_argument("--workdir", default=None, help="where to put the benchmark stores")
    args = parser.parse_args(argv)
    wanted = {w.strip() for w in args.only.split(",")}
    results: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                     "machine": machine()}
    out_path = Path(args.output)
    if out_path.is_file():  # keep sections not rerun
        previous = json.loads(out_path.read_text())
        results.update({k: v for k, v in previous.items() if k not in ("when", "machine")})
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="eqf-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for name, fn in cases.SECTIONS.items():
        if name in wanted:
            print(f"== {name}", flush=True)
            t0 = time.time()
            results[name] = fn(child, workdir)
            print(json.dumps(results[name], indent=2), flush=True)
            print(f"   ({time.time() - t0:.0f} s)", flush=True)
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
