"""``eqf report``: the self-contained HTML report of a recorded run, and the run listings the
dashboard shows. Reads the run's files through ``data/``, builds the report with ``report/``,
writes it atomically; nothing is recomputed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from equity_factors.data.outputs import write_bytes
from equity_factors.data.run_files import (
    list_records,
    read_record,
    read_run_outputs,
    resolve_run_id,
)
from equity_factors.errors import UserError
from equity_factors.report.blocks import ReportDocument, RunFiles
from equity_factors.report.build import KINDS, build_document, kind_of
from equity_factors.report.html import render_html
from equity_factors.workflows.context import Context

REPORT_NAME = "report.html"


@dataclass(frozen=True)
class ReportOutcome:
    """Where the report went and what it holds."""

    path: Path
    size: int
    run_id: str
    kind: str
    n_charts: int


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise UserError(f"--kind {kind!r} is not a report kind; choose one of {', '.join(KINDS)}")


def runs(ctx: Context, kind: str | None = None) -> pd.DataFrame:
    """The recorded runs that have a report (of ``kind`` when given), newest first: run_id,
    kind, command, started_at, seconds, universe, headline."""
    _check_kind(kind)
    rows = []
    for rec in list_records(ctx.data_dir):
        k = kind_of(rec["command"])
        if k not in KINDS or (kind is not None and k != kind):
            continue
        params = rec.get("params") or {}
        factors: dict = params["factors"] if isinstance(params.get("factors"), dict) \
            else params
        rows.append({"run_id": rec["run_id"], "kind": k, "command": rec["command"],
                     "started_at": rec.get("started_at"), "seconds": rec.get("seconds"),
                     "universe": factors.get("universe") or params.get("universe"),
                     "headline": rec.get("headline") or {}})
    return pd.DataFrame(rows, columns=["run_id", "kind", "command", "started_at", "seconds",
                                       "universe", "headline"])


def find_run(ctx: Context, run_id: str = "latest", kind: str | None = None) -> str:
    """The id of the run ``run_id`` (an id, a unique prefix of one, or ``latest``: the newest
    run with a report, of ``kind`` when given); a one-line error when there is none."""
    _check_kind(kind)
    if run_id == "latest":
        listed = runs(ctx, kind)
        if not len(listed):
            what = f"{kind} run" if kind else "run with a report"
            raise UserError(f"no {what} in {ctx.data_dir.runs}; run `eqf "
                            f"{kind or 'demo'}` first (reports exist for: {', '.join(KINDS)})")
        return str(listed["run_id"].iloc[0])
    resolved = resolve_run_id(ctx.data_dir, run_id)
    record = read_record(ctx.data_dir, resolved)
    k = kind_of(record["command"])
    if k not in KINDS:
        raise UserError(f"run {resolved} is an `eqf {record['command']}` run, which has no report "
                        f"(reports exist for: {', '.join(KINDS)})")
    if kind is not None and k != kind:
        raise UserError(f"run {resolved} is a {k} run, not {kind}; drop --kind or pick a "
                        f"{kind} run")
    return resolved


def load_run(ctx: Context, run_id: str) -> RunFiles:
    """A run's record and files, as the report builders take them."""
    record = read_record(ctx.data_dir, run_id)
    tables, documents = read_run_outputs(ctx.data_dir, run_id)
    return RunFiles(record, tables, documents)


def document(ctx: Context, run_id: str = "latest", kind: str | None = None) -> ReportDocument:
    """The report of a run as blocks (the dashboard renders these)."""
    return build_document(load_run(ctx, find_run(ctx, run_id, kind)))


def write_report(ctx: Context, run_id: str = "latest", output: str | os.PathLike[str] | None =
                 None, kind: str | None = None) -> ReportOutcome:
    """Write the HTML report of a run (``output``, default ``runs/<id>/report.html``).

    Parameters
    ----------
    ctx : Context
    run_id : str
        A run id, a unique prefix of one, or ``"latest"``.
    output : path, optional
        Where to write the report; default inside the run folder.
    kind : str, optional
        With ``latest``: the newest run of this kind (discover, optimize, basket, signals,
        regime, backtest); with an id: checked.
    """
    resolved = find_run(ctx, run_id, kind)
    files = load_run(ctx, resolved)
    doc = build_document(files)
    data = render_html(doc).encode()
    target = Path(output) if output is not None else ctx.data_dir.runs / resolved / REPORT_NAME
    write_bytes(target, data)
    return ReportOutcome(target.resolve(), len(data), resolved, kind_of(files.command),
                         len(doc.charts))


def run_file(ctx: Context, run_id: str, name: str) -> Path:
    """The path of output ``name`` in the folder of run ``run_id`` (an id, prefix or latest)."""
    return ctx.data_dir.runs / find_run(ctx, run_id) / name
