"""Reading a recorded run back: its ``run.json`` and the tables and JSON files beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from equity_factors.data.paths import DataDir
from equity_factors.errors import UserError


def run_ids(data_dir: DataDir) -> list[str]:
    """The ids of the recorded runs (folders with a ``run.json``), newest first."""
    if not data_dir.runs.is_dir():
        return []
    return sorted((p.parent.name for p in data_dir.runs.glob("*/run.json")
                   if not p.parent.name.startswith(".")), reverse=True)


def resolve_run_id(data_dir: DataDir, run_id: str) -> str:
    """``run_id`` itself, or the one run whose id starts with it; a one-line error otherwise."""
    ids = run_ids(data_dir)
    if run_id in ids:
        return run_id
    matches = [i for i in ids if i.startswith(run_id)] if run_id else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UserError(f"run id {run_id!r} matches {len(matches)} runs ({', '.join(matches[:3])}"
                        "...); give more of it")
    hint = (f"the latest is {ids[0]}; `eqf report latest` takes it" if ids
            else "no run is recorded yet; run a command such as `eqf demo` first")
    raise UserError(f"no run {run_id!r} in {data_dir.runs}: {hint}")


def read_record(data_dir: DataDir, run_id: str) -> dict[str, Any]:
    """A run's ``run.json``; a one-line error when it is missing or unreadable."""
    path = data_dir.runs / run_id / "run.json"
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"no run {run_id!r} in {data_dir.runs}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"the run record {path} is unreadable ({type(exc).__name__}: {exc}); "
                        "rerun the command that made it, or delete the folder") from None
    if not isinstance(record, dict) or not isinstance(record.get("command"), str):
        raise UserError(f"the run record {path} is not an eqf run record (no command); rerun "
                        "the command that made it, or delete the folder")
    record.setdefault("run_id", run_id)
    return record


def read_run_outputs(data_dir: DataDir, run_id: str
                     ) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every CSV (as read, no index) and JSON file (other than ``run.json``) of a run folder.

    A file that cannot be parsed is left out (the report shows what it has)."""
    folder: Path = data_dir.runs / run_id
    tables: dict[str, pd.DataFrame] = {}
    documents: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        try:
            if path.suffix == ".csv":
                tables[path.name] = pd.read_csv(path)
            elif path.suffix == ".json" and path.name != "run.json":
                documents[path.name] = json.loads(path.read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            continue
    return tables, documents


def list_records(data_dir: DataDir) -> list[dict[str, Any]]:
    """Every readable run record, newest first (unreadable ones skipped)."""
    out = []
    for run_id in run_ids(data_dir):
        try:
            out.append(read_record(data_dir, run_id))
        except UserError:
            continue
    return out
