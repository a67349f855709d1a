"""``eqf report`` (the HTML report of a run) and ``eqf dashboard`` (Streamlit)."""

from __future__ import annotations

import argparse

from equity_factors.cli.common import context, print_path
from equity_factors.cli.console import console
from equity_factors.cli.flags import add_flags


def cmd_report(args: argparse.Namespace) -> int:
    from equity_factors.workflows.report import write_report

    out = write_report(context(args), args.run_id, output=args.output, kind=args.kind)
    console.print(f"{out.kind} report of run {out.run_id}: {out.n_charts} charts, "
                  f"{out.size / 1e6:.1f} MB, opens offline", markup=False, highlight=False,
                  soft_wrap=True)
    print_path("wrote", out.path)
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    import signal
    import subprocess

    from equity_factors._optional import require
    from equity_factors.dashboard.server import (
        LOCALHOST,
        check_port,
        streamlit_command,
        streamlit_env,
    )

    require("streamlit")
    require("plotly")
    check_port(args.host, args.port)
    ctx = context(args)
    if args.host != LOCALHOST:
        console.print(f"[yellow]warning:[/] serving on {args.host}: other machines that can "
                      f"reach it see your data and can start workflows; the default "
                      f"{LOCALHOST} keeps it to this machine")
    console.print(f"dashboard on http://{args.host}:{args.port} (data {ctx.data_dir.root}); "
                  "Ctrl-C stops it", markup=False, highlight=False)
    proc = subprocess.Popen(streamlit_command(args.host, args.port),
                            env=streamlit_env(ctx.data_dir.root))

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)  # a terminated eqf stops its server too
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common], help="write the HTML report of a run",
                       description="One self-contained interactive HTML file (plotly, no "
                                   "network needed) of a recorded run: its command line, data "
                                   "fingerprint, dates and version, then its figures and "
                                   "tables.")
    p.add_argument("run_id", metavar="RUN_ID", help="a run id (or a unique prefix of one), or "
                                                    "latest")
    add_flags(p, "report")
    p.add_argument("-o", "--output", default=None,
                   help="HTML file to write (default runs/<id>/report.html in the data dir)")
    p.set_defaults(handler=cmd_report)


def register_dashboard(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("dashboard", parents=[common], help="serve the Streamlit dashboard",
                       description="Browse the recorded runs with the report's figures and "
                                   "start workflows, in the browser (Streamlit, this machine "
                                   "only unless --host says otherwise).")
    add_flags(p, "dashboard")
    p.set_defaults(handler=cmd_dashboard)
