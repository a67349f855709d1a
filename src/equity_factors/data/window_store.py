"""The per-window results cache on disk: one SQLite file of checksummed numpy arrays.

``cache/windows.sqlite`` holds one row per window result (key, kind, schema, checksum, size,
payload). A payload is a small JSON header (names, dtypes, shapes) followed by the raw bytes of
numeric arrays: no pickle, nothing executable. WAL mode and a busy timeout let several commands
read and write at once; a command's new entries go in one short transaction at :meth:`flush`
(``INSERT OR IGNORE``: two processes that computed the same window computed the same arrays).

Damage is detected, never trusted: a payload whose checksum, schema or layout does not match,
or a database file SQLite cannot read (truncated, overwritten), is reported once (one warning
line), dropped, and the window is recomputed. The cache never makes a command fail: when the
file cannot be used at all, the command runs without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import struct
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from equity_factors.data.paths import DataDir
from equity_factors.window_cache import CACHE_SCHEMA, Arrays, CacheStats

__all__ = ["CACHE_FILENAME", "DiskWindowCache", "cache_size", "clear_cache"]

CACHE_FILENAME = "windows.sqlite"
_MAGIC = b"EQFW"
_KINDS = set("biufc")  # numeric dtypes only: never objects
_FLUSH_BYTES = 64 * 2**20
_SQL_CHUNK = 500  # keys per query (under SQLite's bound on variables)


def _stderr(message: str) -> None:
    sys.stderr.write(f"eqf: warning: {message}\n")


def encode_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Arrays as bytes: magic, header length, JSON header, then each array's raw bytes."""
    parts, header = [], []
    for name, value in arrays.items():
        a = np.ascontiguousarray(np.asarray(value))
        if a.dtype.kind not in _KINDS:
            raise TypeError(f"window cache entries hold numeric arrays only, not {a.dtype} "
                            f"({name})")
        header.append([name, a.dtype.str, list(a.shape)])
        parts.append(a.tobytes())
    head = json.dumps({"schema": CACHE_SCHEMA, "arrays": header}).encode()
    return b"".join([_MAGIC, struct.pack("<I", len(head)), head, *parts])


def decode_arrays(payload: bytes) -> Arrays:
    """The inverse of :func:`encode_arrays`; ValueError on any mismatch."""
    if payload[:4] != _MAGIC or len(payload) < 8:
        raise ValueError("not a window cache payload")
    (n,) = struct.unpack("<I", payload[4:8])
    head = json.loads(payload[8:8 + n])
    if head.get("schema") != CACHE_SCHEMA:
        raise ValueError(f"schema {head.get('schema')} is not {CACHE_SCHEMA}")
    out: Arrays = {}
    pos = 8 + n
    for name, dtype_str, shape in head["arrays"]:
        dtype = np.dtype(dtype_str)
        if dtype.kind not in _KINDS:
            raise ValueError(f"dtype {dtype_str} is not numeric")
        size = dtype.itemsize * math.prod(int(n) for n in shape)
        chunk = payload[pos:pos + size]
        if len(chunk) != size:
            raise ValueError("truncated payload")
        out[name] = np.frombuffer(chunk, dtype=dtype).reshape(shape).copy()
        pos += size
    if pos != len(payload):
        raise ValueError("trailing bytes in payload")
    return out


def _checksum(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


class DiskWindowCache:
    """A :class:`~equity_factors.window_cache.WindowCache` in ``data_dir/cache/windows.sqlite``.

    Parameters
    ----------
    data_dir : DataDir
    report : callable(str), optional
        Where the one warning line about damaged entries goes (default: stderr).
    busy_timeout_ms : int, optional
        How long to wait for another process's write (default ``SQLITE_BUSY_TIMEOUT_MS`` or
        30000).
    """

    def __init__(self, data_dir: DataDir, *, report: Callable[[str], None] | None = None,
                 busy_timeout_ms: int | None = None) -> None:
        self.path = data_dir.cache / CACHE_FILENAME
        self.stats = CacheStats()
        self._report = report or _stderr
        self._reported = False
        self._timeout = (busy_timeout_ms if busy_timeout_ms is not None
                         else int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "30000"))) / 1000.0
        self._conn: sqlite3.Connection | None = None
        self._disabled = False
        self._pending: dict[str, tuple[str, bytes]] = {}
        self._pending_bytes = 0

    # -- connection and damage
    def _connect(self) -> sqlite3.Connection | None:
        if self._disabled:
            return None
        if self._conn is not None:
            return self._conn
        for attempt in (0, 1):
            conn = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=self._timeout)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, kind TEXT NOT "
                    "NULL, schema INTEGER NOT NULL, checksum TEXT NOT NULL, nbytes INTEGER NOT "
                    "NULL, created REAL NOT NULL, payload BLOB NOT NULL)")
                conn.execute("SELECT COUNT(*) FROM entries WHERE key = ?", ("",)).fetchone()
                self._conn = conn
                return conn
            except sqlite3.DatabaseError as exc:
                if conn is not None:
                    with contextlib.suppress(sqlite3.Error):
                        conn.close()
                if attempt == 0:
                    self._damaged(f"the results cache {self.path} is unreadable ({exc}); it "
                                  "was removed and its results are recomputed")
                    self._remove_files()
            except OSError:
                break
        self._disabled = True  # run without a cache rather than fail the command
        return None

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(self.path) + suffix).unlink()

    def _damaged(self, message: str) -> None:
        self.stats.dropped += 1
        if not self._reported:
            self._reported = True
            self._report(message)

    def _drop(self, key: str, why: str) -> None:
        self._damaged(f"a damaged results-cache entry ({why}) was dropped and recomputed "
                      f"({self.path}); further damaged entries are dropped silently")
        conn = self._connect()
        if conn is not None:
            with contextlib.suppress(sqlite3.Error), conn:
                conn.execute("DELETE FROM entries WHERE key = ?", (key,))

    # -- protocol
    def get(self, key: str) -> Arrays | None:
        pending = self._pending.get(key)
        row: tuple | None = None
        if pending is not None:
            row = (CACHE_SCHEMA, _checksum(pending[1]), pending[1])
        else:
            conn = self._connect()
            if conn is not None:
                try:
                    row = conn.execute("SELECT schema, checksum, payload FROM entries WHERE "
                                       "key = ?", (key,)).fetchone()
                except sqlite3.DatabaseError as exc:
                    self._close()
                    self._damaged(f"the results cache {self.path} is unreadable ({exc}); it "
                                  "was removed and its results are recomputed")
                    self._remove_files()
                    row = None
        return self._decoded(key, row)

    def _decoded(self, key: str, row: tuple | None) -> Arrays | None:
        kind = CacheStats.kind(key)
        if row is None:
            self.stats.misses[kind] += 1
            return None
        schema, checksum, payload = row
        try:
            if schema != CACHE_SCHEMA:
                raise ValueError(f"schema {schema}, expected {CACHE_SCHEMA}")
            payload = bytes(payload)
            if _checksum(payload) != checksum:
                raise ValueError("checksum mismatch")
            arrays = decode_arrays(payload)
        except (ValueError, TypeError, KeyError, struct.error) as exc:
            self._drop(key, str(exc))
            self.stats.misses[kind] += 1
            return None
        self.stats.hits[kind] += 1
        return arrays

    def get_many(self, keys: list[str]) -> dict[str, Arrays]:
        """:meth:`get` of many keys in a few queries (a rolling fit asks for hundreds)."""
        rows: dict[str, tuple] = {}
        for key in keys:
            pending = self._pending.get(key)
            if pending is not None:
                rows[key] = (CACHE_SCHEMA, _checksum(pending[1]), pending[1])
        wanted = [k for k in keys if k not in rows]
        conn = self._connect() if wanted else None
        if conn is not None:
            try:
                for i in range(0, len(wanted), _SQL_CHUNK):
                    chunk = wanted[i:i + _SQL_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    for key, *rest in conn.execute(
                            f"SELECT key, schema, checksum, payload FROM entries WHERE key IN "
                            f"({marks})", chunk):
                        rows[key] = tuple(rest)
            except sqlite3.DatabaseError as exc:
                self._close()
                self._damaged(f"the results cache {self.path} is unreadable ({exc}); it was "
                              "removed and its results are recomputed")
                self._remove_files()
                rows = {k: v for k, v in rows.items() if k in self._pending}
        out = {}
        for key in keys:
            arrays = self._decoded(key, rows.get(key))
            if arrays is not None:
                out[key] = arrays
        return out

    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        payload = encode_arrays(arrays)
        self.stats.puts[CacheStats.kind(key)] += 1
        self._pending[key] = (CacheStats.kind(key), payload)
        self._pending_bytes += len(payload)
        if self._pending_bytes > _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the entries put since the last flush (one transaction)."""
        if not self._pending:
            return
        rows = [(key, kind, CACHE_SCHEMA, _checksum(p), len(p), time.time(), p)
                for key, (kind, p) in self._pending.items()]
        self._pending.clear()
        self._pending_bytes = 0
        conn = self._connect()
        if conn is None:
            return
        try:
            with conn:
                conn.executemany("INSERT OR IGNORE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 rows)
        except sqlite3.OperationalError:
            pass  # busy past the timeout or disk full: the entries are only a cache
        except sqlite3.DatabaseError as exc:
            self._close()
            self._damaged(f"the results cache {self.path} is unreadable ({exc}); it was "
                          "removed")
            self._remove_files()

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        """Flush and close the connection."""
        self.flush()
        self._close()

    def __enter__(self) -> DiskWindowCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cache_size(data_dir: DataDir) -> dict[str, int]:
    """Bytes and entries of the caches: ``{"bytes": b, "window_entries": n, "files": f}``."""
    root = data_dir.cache
    total = files = 0
    if root.exists():
        for path in root.rglob("*"):
            with contextlib.suppress(OSError):
                if path.is_file():
                    total += path.stat().st_size
                    files += 1
    entries = 0
    db = root / CACHE_FILENAME
    if db.is_file():
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                entries = int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.Error:
            entries = -1  # unreadable: the next command that uses it replaces it
    return {"bytes": total, "window_entries": entries, "files": files}


def clear_cache(data_dir: DataDir) -> bool:
    """Delete the cache folder (window results and request results); True if it existed."""
    import shutil

    if data_dir.cache.exists():
        shutil.rmtree(data_dir.cache)
        return True
    return False
