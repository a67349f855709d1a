"""Run records: ``EQF_HOME/runs/<id>/run.json`` beside copies of the run's outputs.

A run folder never exists without its record: outputs are written into a hidden staging folder
``runs/.<id>.tmp/`` and the folder is renamed to ``runs/<id>/`` only once ``run.json`` is in it.
A run killed before that leaves only a staging folder, which listings ignore and later runs (and
``eqf clean``) remove.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from equity_factors import __version__
from equity_factors.data.outputs import current_umask, json_bytes, write_bytes
from equity_factors.data.paths import DataDir

RUN_SCHEMA_VERSION = 1


def new_run_id(command: str) -> str:
    """A sortable, unique run id: UTC time to the millisecond, command, random suffix."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"
    return f"{stamp}-{command.replace(' ', '-')}-{secrets.token_hex(3)}"


@dataclass
class Run:
    """An in-progress run: collects outputs and timings, then writes ``run.json``.

    Outputs are written into the run folder (``add``) and, when the user asked for a path,
    also copied there. Nothing is written until :meth:`add`/:meth:`finish` is called, after the
    computation has succeeded.
    """

    data_dir: DataDir
    command: str
    argv: list[str]
    params: dict[str, Any]
    run_id: str = ""
    started: float = field(default_factory=time.time)
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    _last: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.run_id = self.run_id or new_run_id(self.command)

    @property
    def folder(self) -> Path:
        """The run's folder (it exists once :meth:`finish` has written ``run.json``)."""
        return self.data_dir.runs / self.run_id

    @property
    def staging(self) -> Path:
        """Where outputs go until the record is written."""
        return self.data_dir.runs / f".{self.run_id}.tmp"

    def lap(self, name: str) -> None:
        """Record the seconds since the previous lap under ``name``."""
        now = time.time()
        self.timings[name] = round(now - self._last, 4)
        self._last = now

    def add(self, name: str, data: bytes, user_path: str | os.PathLike[str] | None = None) -> Path:
        """Write one output into the run folder, and to ``user_path`` too when given."""
        write_bytes(self.staging / name, data)
        target = self.folder / name
        if user_path is not None:
            target = write_bytes(Path(user_path), data)
        self.outputs[name] = str(Path(target).resolve())
        return target

    def finish(self, *, fingerprint: str | None, seed: int | None,
               headline: dict[str, Any] | None = None,
               cache: dict[str, Any] | None = None) -> Path:
        """Write ``run.json`` and return its path (``cache``: the results cache's hits and
        misses per kind, recorded when given)."""
        record = {
            "schema_version": RUN_SCHEMA_VERSION,
            "run_id": self.run_id,
            "command": self.command,
            "argv": self.argv,
            "params": self.params,
            "data_fingerprint": fingerprint,
            "seed": seed,
            "version": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "started_at": datetime.fromtimestamp(self.started, UTC).isoformat(),
            "seconds": round(time.time() - self.started, 3),
            "timings": self.timings,
            "outputs": self.outputs,
            "headline": headline or {},
        }
        if cache is not None:
            record["cache"] = cache
        write_bytes(self.staging / "run.json", json_bytes(record))
        os.chmod(self.staging, 0o777 & ~current_umask())
        os.replace(self.staging, self.folder)
        remove_stale_staging(self.data_dir)
        return self.folder / "run.json"


STALE_STAGING_SECONDS = 6 * 3600.0


def remove_stale_staging(data_dir: DataDir, older_than: float = STALE_STAGING_SECONDS) -> int:
    """Delete staging folders of runs that died (untouched for ``older_than`` seconds)."""
    if not data_dir.runs.is_dir():
        return 0
    removed = 0
    now = time.time()
    for path in data_dir.runs.glob(".*.tmp"):
        try:
            if now - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def list_runs(data_dir: DataDir) -> list[dict[str, Any]]:
    """All run records, newest first (unreadable ones skipped)."""
    out: list[dict[str, Any]] = []
    if not data_dir.runs.is_dir():
        return out
    for path in sorted(data_dir.runs.glob("*/run.json"), reverse=True):
        if path.parent.name.startswith("."):
            continue  # a staging folder
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    return out


def remove_runs(data_dir: DataDir) -> int:
    """Delete every run folder; returns how many."""
    if not data_dir.runs.is_dir():
        return 0
    n = sum(1 for p in data_dir.runs.iterdir() if p.is_dir())
    shutil.rmtree(data_dir.runs)
    return n
