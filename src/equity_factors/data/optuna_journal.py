"""The default Optuna storage: one append-only journal file per optimize run, in the data dir.

A study's trials are needed only while its run optimizes (the results JSON and the run record
keep what matters), so each process writes its own ``optuna/<time>-<pid>-<hex>.journal`` and
deletes it when it exits; journals of processes that died (untouched for
:data:`STALE_SECONDS`) are deleted by the next run, and ``eqf clean`` deletes the folder. One
shared journal used to grow with every run (46 MB in an afternoon) and outlive ``clean --all``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from equity_factors.data.paths import DataDir

STALE_SECONDS = 6 * 3600.0
FOLDER = "optuna"
_created: list[Path] = []
_lock = threading.Lock()
_registered = False


def journal_folder(data_dir: DataDir) -> Path:
    return data_dir.root / FOLDER


def journal_storage(data_dir: DataDir) -> Any:
    """A fresh Optuna ``JournalStorage`` on a new journal file of this process."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    global _registered
    folder = journal_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{os.getpid()}-{secrets.token_hex(3)}.journal"
    with _lock:
        _created.append(path)
        if not _registered:
            atexit.register(_remove_created)
            _registered = True
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def remove_stale(folder: Path, older_than: float = STALE_SECONDS) -> int:
    """Delete journals (and their lock files) of processes that are gone (a kill skips the
    removal at exit), and any untouched for ``older_than`` seconds."""
    removed = 0
    now = time.time()
    for path in folder.glob("*.journal*"):
        try:
            age = now - path.lstat().st_mtime
            if age > older_than or (age > 5.0 and not _alive(_pid_of(path))):
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _pid_of(path: Path) -> int | None:
    parts = path.name.split("-")
    try:
        return int(parts[1]) if len(parts) >= 3 else None
    except ValueError:
        return None


def _alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists (unknown pids count as alive: kept until stale)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_created() -> None:
    with _lock:
        paths, _created[:] = list(_created), []
    for path in paths:
        for p in (path, path.with_name(path.name + ".lock")):
            with contextlib.suppress(OSError):
                p.unlink()


#: ``--storage`` URL prefixes, and what they open.
STORAGE_KINDS = ("postgresql", "mysql", "sqlite", "journal")


def open_storage(url: str) -> Any:
    """The Optuna storage of a ``--storage`` URL, opened once per process.

    ``postgresql[+driver]://user:password@host:port/db`` and ``mysql+pymysql://...`` (several
    machines), ``sqlite:///file.db`` (one process at a time), ``journal:PATH`` (an Optuna
    journal file: several processes of one machine). An unreachable or malformed URL raises a
    :class:`UserError` with the password hidden.
    """
    import warnings

    import optuna

    from equity_factors._urls import redact_text, redact_url
    from equity_factors.errors import UserError

    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme not in STORAGE_KINDS:
        raise UserError(f"--storage {redact_url(url)!r} is not a storage URL; use "
                        "postgresql+psycopg2://USER:PASSWORD@HOST:PORT/DB, sqlite:///FILE.db or "
                        "journal:FILE")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if scheme == "journal":
                from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

                path = url.split(":", 1)[1]
                path = path[2:] if path.startswith("//") else path
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                return optuna.storages.JournalStorage(
                    JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
            return _rdb_storage(optuna, url)
    except ModuleNotFoundError as exc:
        raise UserError(f"--storage {redact_url(url)!r} needs the Python driver {exc.name}: "
                        "pip install 'equity-factors[distributed]' (psycopg2-binary)") from None
    except Exception as exc:  # SQLAlchemy/driver errors of many types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"cannot open the Optuna storage {redact_url(url)!r} "
                        f"({redact_text(first, url)}); check the URL and that the server "
                        "runs") from None


def _rdb_storage(optuna: Any, url: str, attempts: int = 6) -> Any:
    """``RDBStorage(url)``, retried when another worker is creating Optuna's tables in the
    same fresh database at the same moment (PostgreSQL answers "duplicate key" or "already
    exists" to the loser of that race)."""
    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
        except Exception as exc:
            text = str(exc).lower()
            racing = "duplicate key" in text or "already exists" in text
            if not racing or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover
