"""Write result files atomically: to a temporary name beside the target, then rename.

A command computes everything first and writes last, so a failure leaves no half-written file.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (creating parent folders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def csv_bytes(frame: pd.DataFrame, index: bool = True, float_format: str | None = None) -> bytes:
    """A DataFrame as CSV bytes."""
    return frame.to_csv(index=index, float_format=float_format).encode()


def json_bytes(obj: Any) -> bytes:
    """An object as indented JSON bytes (NaN written as null)."""
    return (json.dumps(_clean(obj), indent=2, sort_keys=False, default=_default) + "\n").encode()


def figure_bytes(fig: Any, dpi: int = 110) -> bytes:
    """A matplotlib figure as PNG bytes, rendered by the Agg canvas (no backend, no pyplot).

    A figure built with ``matplotlib.figure.Figure`` gets an Agg canvas; a figure made by
    pyplot keeps its own and is closed afterwards (released from pyplot's registry).
    """
    import sys

    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if type(fig.canvas) is FigureCanvasBase:
        FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
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
