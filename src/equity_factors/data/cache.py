"""A results cache of DataFrames as Parquet files (never pickle), keyed by the request.

``cache/<namespace>/<key>/`` holds one ``<name>.parquet`` per frame and ``meta.json``. Entries
are written to a temporary folder with a unique name and renamed into place, so a reader never
sees half an entry and two processes computing the same entry at once never share a temporary
folder: the first rename wins and the loser keeps (and returns) the winner's entry. ``eqf clean``
deletes the whole cache.

An entry is keyed by the data's fingerprint, so each new day of data makes a new one (several MB
for a universe of a thousand stocks); entries not read or written for :data:`STALE_SECONDS` are
removed by the next write, so a daily routine keeps about a week of them, not a year.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from equity_factors.data.outputs import current_umask
from equity_factors.data.paths import DataDir

#: Entries unused this long are removed by the next :meth:`FrameCache.put` of their namespace.
STALE_SECONDS = 7 * 24 * 3600.0


def cache_key(**parts: Any) -> str:
    """A stable key from named parts (their JSON, sorted)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class FrameCache:
    """Parquet frames under ``data_dir/cache/<namespace>``."""

    def __init__(self, data_dir: DataDir, namespace: str) -> None:
        self.root = data_dir.cache / namespace

    def get(self, key: str) -> tuple[dict[str, pd.DataFrame], dict[str, Any]] | None:
        folder = self.root / key
        meta_path = folder / "meta.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in meta["frames"]}
        except (OSError, ValueError, KeyError):
            return None  # a damaged entry is a miss; it will be rewritten
        with contextlib.suppress(OSError):
            os.utime(meta_path)  # used: not stale
        return frames, meta.get("meta", {})

    def put(self, key: str, frames: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> Path:
        """Write an entry; when another writer finished the same key first, keep theirs.

        Entries are keyed by their request, so two writers of one key hold the same content.
        """
        folder = self.root / key
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temps()
        self.prune()
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{key}.", suffix=".tmp"))
        try:
            for name, frame in frames.items():
                frame.to_parquet(tmp / f"{name}.parquet")
            (tmp / "meta.json").write_text(json.dumps({"frames": list(frames),
                                                       "meta": dict(meta)}, default=str))
            os.chmod(tmp, 0o777 & ~current_umask())
            try:
                tmp.rename(folder)
            except OSError:
                if not (folder / "meta.json").is_file():
                    # a damaged entry (no record): replace it
                    shutil.rmtree(folder, ignore_errors=True)
                    # another writer replaced it meanwhile: theirs stands
                    with contextlib.suppress(OSError):
                        tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return folder

    def prune(self, older_than: float = STALE_SECONDS) -> int:
        """Remove the entries unused for ``older_than`` seconds; returns how many."""
        now, removed = time.time(), 0
        for meta in self.root.glob("*/meta.json"):
            try:
                stale = now - meta.stat().st_mtime > older_than
            except OSError:
                continue
            if stale:
                shutil.rmtree(meta.parent, ignore_errors=True)
                removed += 1
        return removed

    def _remove_stale_temps(self, older_than: float = 3600.0) -> None:
        """Temporary folders of writers that were killed (untouched for an hour)."""
        now = time.time()
        for old in self.root.glob(".*.tmp"):
            try:
                if now - old.stat().st_mtime > older_than:
                    shutil.rmtree(old, ignore_errors=True)
            except OSError:
                continue

