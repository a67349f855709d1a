"""Where things live on disk: the data directory (``EQF_HOME``) and its sub-folders."""

from __future__ import annotations

import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path

from equity_factors.errors import StoreError

DEFAULT_HOME = Path("~/.equity_factors")
STORE_FILENAME = "store.sqlite"


@dataclass(frozen=True)
class DataDir:
    """The data directory and the places inside it.

    ``root/store.sqlite`` is the SQLite store, ``root/cache/`` holds derived caches (Parquet and
    JSON only; ``eqf clean`` empties it), ``root/runs/<id>/`` one folder per recorded run and
    ``root/synthetic/`` the ground truth of generated synthetic markets.
    """

    root: Path

    @property
    def store_path(self) -> Path:
        return self.root / STORE_FILENAME

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def synthetic(self) -> Path:
        return self.root / "synthetic"


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> DataDir:
    """The data directory: ``--data-dir`` if given, else ``EQF_HOME``, else ``~/.equity_factors``.

    The folder is created if missing and must be writable; otherwise a :class:`StoreError` says
    which folder and how to choose another.
    """
    raw = cli_value or os.environ.get("EQF_HOME") or DEFAULT_HOME
    root = Path(raw).expanduser()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StoreError(
            f"data directory {root} is not writable ({reason}); "
            "point --data-dir or EQF_HOME at a folder you can write to"
        ) from None
    return DataDir(root)


def eqf_command(root: str | os.PathLike[str], command: str) -> str:
    """``eqf <command> --data-dir <root>``: how a message names a command, so that following it
    literally acts on the data directory in use (never on ``EQF_HOME`` or the default)."""
    return f"eqf {command} --data-dir {shlex.quote(str(root))}"
