"""A results cache of DataFrames as Parquet files (never pickle), keyed by the request.

``cache/<namespace>/<key>/`` holds one ``<name>.parquet`` per frame and ``meta.json``. Entries
are written to a temporary folder and renamed, so a reader never sees half an entry. ``eqf clean``
deletes the whole cache.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from equity_factors.data.paths import DataDir


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
        return frames, meta.get("meta", {})

    def put(self, key: str, frames: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> Path:
        folder = self.root / key
        tmp = self.root / f".{key}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, frame in frames.items():
            frame.to_parquet(tmp / f"{name}.parquet")
        (tmp / "meta.json").write_text(json.dumps({"frames": list(frames), "meta": dict(meta)},
                                                  default=str))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        return folder
