"""Finished in-memory Optuna studies kept in the data directory, so a rerun skips them.

The default storage of ``eqf optimize`` is Optuna's in-memory one (the fastest for one
process, see the README's benchmarks); this cache makes it resumable. When a fold's study has
run all its trials, the parameters of its trials are written to
``cache/trials/<key>/meta.json`` (the key is a digest of the train window's numbers, the settings,
the seed and the Optuna version: see
:class:`equity_factors.optimize.techniques.TrialCheckpoint`). A rerun of a killed walk-forward
finds the folds already done and replays their trials (the same result, bit for bit, as an
uninterrupted run); only the folds not finished are optimized again, from their start.

Entries are JSON (never pickle), laid out like every cache entry (a folder holding its
``meta.json``) and made visible atomically (written in a hidden folder, then renamed), so a kill
never leaves half an entry; entries unused for :data:`STALE_SECONDS` are removed, and
``eqf clean`` removes the folder with the other caches.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from equity_factors.data.outputs import write_bytes
from equity_factors.data.paths import DataDir

STALE_SECONDS = 3 * 24 * 3600.0
NAMESPACE = "trials"


@dataclass(frozen=True)
class TrialCache:
    """A :class:`~equity_factors.optimize.techniques.TrialCheckpoint` in a folder (picklable:
    it travels with fold tasks to the local worker processes)."""

    folder: Path

    @classmethod
    def of(cls, data_dir: DataDir) -> TrialCache:
        """The cache of a data directory (stale entries removed)."""
        cache = cls(data_dir.cache / NAMESPACE)
        cache.prune()
        return cache

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"bad trial cache key {key!r}")
        return self.folder / key / "meta.json"

    def load(self, key: str) -> np.ndarray | None:
        """The trials' parameters (n_trials, n_params) saved under ``key``, or None."""
        path = self._path(key)
        try:
            data = json.loads(path.read_bytes())
            params = np.array(data["params"], dtype=float)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or unreadable (a partly copied folder): recompute
        with contextlib.suppress(OSError):
            os.utime(path.parent)  # in use: not stale
        return params if params.ndim == 2 and len(data.get("names", [])) == params.shape[1] \
            else None

    def save(self, key: str, names: Sequence[str], params: np.ndarray) -> None:
        """Record a finished study's trial parameters (atomically)."""
        body = {"names": list(names), "params": np.asarray(params, dtype=float).tolist()}
        final = self._path(key).parent
        tmp = self.folder / f".{key}.{secrets.token_hex(4)}.tmp"
        write_bytes(tmp / "meta.json", json.dumps(body, separators=(",", ":")).encode())
        try:
            os.rename(tmp, final)
        except OSError:
            if self.load(key) is None:  # a damaged entry (a copy cut short): replace it
                shutil.rmtree(final, ignore_errors=True)
                with contextlib.suppress(OSError):
                    os.rename(tmp, final)
            # else another run saved the same key first: the same trials, keep theirs
            shutil.rmtree(tmp, ignore_errors=True)

    def prune(self, older_than: float = STALE_SECONDS) -> int:
        """Delete entries not used for ``older_than`` seconds; how many were deleted."""
        removed = 0
        now = time.time()
        if not self.folder.is_dir():
            return 0
        for path in self.folder.iterdir():
            with contextlib.suppress(OSError):
                age = now - path.stat().st_mtime
                # entries unused for long, and hidden folders of saves killed midway
                if age > older_than or (path.name.startswith(".") and age > 3600.0):
                    shutil.rmtree(path)
                    removed += 1
        return removed
