"""Write result files atomically: to a temporary name beside the target, then rename.

A command computes everything first and writes last, so a failure leaves no half-written file.
A file gets the permissions a plain ``open(path, "w")`` would give (0666 minus the umask), not
the 0600 of a temporary file. :func:`check_output_paths` is called by the CLI before any work, so
an output that cannot be written stops the command at once with one line.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import pandas as pd


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (creating parent folders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (read without changing it for other threads where /proc allows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def csv_bytes(frame: pd.DataFrame, index: bool = True, float_format: str | None = None) -> bytes:
    """A DataFrame as CSV bytes."""
    return frame.to_csv(index=index, float_format=float_format).encode()


def json_bytes(obj: Any) -> bytes:
    """An object as indented JSON bytes (NaN written as null)."""
    return (json.dumps(_clean(obj), indent=2, sort_keys=False, default=_default) + "\n").encode()


def figure_bytes(fig: Any, dpi: int = 110) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed afterwards)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _clean(obj: Any) -> Any:
    import math

    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return _clean(float(obj))
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (pd.Timestamp,)):
        return obj.strftime("%Y-%m-%d")
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def check_output_paths(files: dict[str, str | os.PathLike[str] | None] | None = None,
                       folders: dict[str, str | os.PathLike[str] | None] | None = None) -> None:
    """Check, before any work, that each output can be written; raise one-line UserErrors.

    Parameters
    ----------
    files : mapping flag -> file path (None: not asked for)
    folders : mapping flag -> output folder (None: not asked for)

    A path is writable when its nearest existing ancestor is a folder where a file can be
    created (tried for real with a temporary file, removed at once: permission bits alone lie
    for root and for special file systems such as /proc). Nothing is created otherwise.
    """
    from equity_factors.errors import UserError

    checks = [(flag, Path(p), False) for flag, p in (files or {}).items() if p]
    checks += [(flag, Path(p), True) for flag, p in (folders or {}).items() if p]
    for flag, path, is_folder in checks:
        path = path.expanduser()
        if not is_folder and path.is_dir():
            raise UserError(f"{flag} {path} is a folder; give a file path inside it")
        if is_folder and path.exists() and not path.is_dir():
            raise UserError(f"{flag} {path} is a file, not a folder; give a folder to write into")
        probe = path if is_folder else path.parent
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise UserError(f"{flag} {path}: {probe} is a file, not a folder; choose another "
                            "place to write")
        try:
            with tempfile.NamedTemporaryFile(dir=probe, prefix=".eqf-write-test-"):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise UserError(f"cannot write {flag} {path} (no file can be created in {probe}: "
                            f"{reason}); choose a folder you can write to") from None


def summary_name(basket_file: str | os.PathLike[str] | None) -> str:
    """The summary JSON beside a basket file: ``basket_summary.json`` for the default
    ``trade_basket.csv``, else ``<stem>_summary.json`` (so baskets in one folder keep theirs)."""
    if basket_file is None:
        return "basket_summary.json"
    stem = Path(basket_file).stem
    return "basket_summary.json" if stem == "trade_basket" else f"{stem}_summary.json"
