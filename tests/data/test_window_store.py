"""The on-disk window cache: exact round trips, damage detected/reported once/dropped, a
truncated file replaced, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3

import numpy as np
import pytest

from equity_factors.data.paths import resolve_data_dir
from equity_factors.data.window_store import (
    DiskWindowCache,
    cache_size,
    clear_cache,
    decode_arrays,
    encode_arrays,
)
from equity_factors.window_cache import WindowCache

ARRAYS = {"w": np.random.default_rng(0).normal(size=(7, 3)), "i": np.arange(5),
          "flag": np.array([True]), "empty": np.zeros((0, 4)), "nan": np.array([np.nan, 1.0])}


def _same(a, b):
    assert set(a) == set(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
        assert a[k].tobytes() == b[k].tobytes()  # bit for bit, NaN included


def test_round_trip_and_refusals():
    _same(decode_arrays(encode_arrays(ARRAYS)), ARRAYS)
    with pytest.raises(TypeError, match="numeric"):
        encode_arrays({"o": np.array(["a"], dtype=object)})
    payload = encode_arrays(ARRAYS)
    for bad in (payload[:-3], payload + b"x", b"PICK" + payload[4:]):
        with pytest.raises(ValueError):
            decode_arrays(bad)


def test_disk_cache_hits_across_instances(tmp_path):
    dd = resolve_data_dir(tmp_path)
    with DiskWindowCache(dd) as cache:
        assert isinstance(cache, WindowCache)
        assert cache.get("factors-a") is None
        cache.put("factors-a", ARRAYS)
        _same(cache.get("factors-a"), ARRAYS)  # visible before the flush
    other = DiskWindowCache(dd)
    _same(other.get("factors-a"), ARRAYS)
    assert other.stats.as_dict() == {"factors": {"hits": 1, "misses": 0}}
    size = cache_size(dd)
    assert size["window_entries"] == 1 and size["bytes"] > 0
    other.close()
    assert clear_cache(dd) and cache_size(dd)["bytes"] == 0


def _corrupt(path, sql, *params):
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, params)
    conn.close()


@pytest.mark.parametrize("damage", ["payload", "checksum", "schema", "truncated_payload"])
def test_damaged_entry_reported_once_dropped_and_missed(tmp_path, damage):
    dd = resolve_data_dir(tmp_path)
    with DiskWindowCache(dd) as cache:
        cache.put("regime-a", ARRAYS)
        cache.put("regime-b", ARRAYS)
    path = dd.cache / "windows.sqlite"
    for key in ("regime-a", "regime-b"):
        if damage == "payload":
            _corrupt(path, "UPDATE entries SET payload = CAST(? AS BLOB) WHERE key = ?",
                     b"EQFW" + b"\x00" * 40, key)
        elif damage == "checksum":
            _corrupt(path, "UPDATE entries SET checksum = 'x' WHERE key = ?", key)
        elif damage == "schema":
            _corrupt(path, "UPDATE entries SET schema = 999 WHERE key = ?", key)
        else:
            _corrupt(path, "UPDATE entries SET payload = substr(payload, 1, 20) WHERE key = ?",
                     key)
    lines: list[str] = []
    cache = DiskWindowCache(dd, report=lines.append)
    assert cache.get("regime-a") is None and cache.get("regime-b") is None
    assert len(lines) == 1 and "damaged" in lines[0]  # reported once
    assert cache.stats.dropped == 2 and cache.stats.misses["regime"] == 2
    cache.close()
    assert cache_size(dd)["window_entries"] == 0  # dropped, to be recomputed


def test_unreadable_file_replaced(tmp_path):
    dd = resolve_data_dir(tmp_path)
    with DiskWindowCache(dd) as cache:
        for i in range(50):
            cache.put(f"factors-{i}", ARRAYS)
    path = dd.cache / "windows.sqlite"
    data = path.read_bytes()
    path.write_bytes(data[:1000] + b"\xff" * 3000)  # truncated and overwritten
    for suffix in ("-wal", "-shm"):
        (dd.cache / f"windows.sqlite{suffix}").unlink(missing_ok=True)
    lines: list[str] = []
    cache = DiskWindowCache(dd, report=lines.append)
    assert cache.get("factors-1") is None
    cache.put("factors-1", ARRAYS)
    cache.close()
    assert len(lines) == 1 and "unreadable" in lines[0]
    _same(DiskWindowCache(dd).get("factors-1"), ARRAYS)


def _writer(root: str, offset: int) -> None:
    dd = resolve_data_dir(root)
    for round_ in range(5):
        with DiskWindowCache(dd) as cache:
            for i in range(40):
                key = f"factors-{(i + offset + round_) % 60}"
                if cache.get(key) is None:
                    cache.put(key, {"v": np.full(100, (i + offset + round_) % 60, dtype=float)})


def test_concurrent_writers(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), o)) for o in (0, 7, 13)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    dd = resolve_data_dir(tmp_path)
    cache = DiskWindowCache(dd, report=lambda m: pytest.fail(m))
    for i in range(57):  # every key some writer computed (offsets 0..17 + 0..39)
        got = cache.get(f"factors-{i}")
        assert got is not None and (got["v"] == i).all()
