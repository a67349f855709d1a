"""The optional extras, checked in one place: each import of a heavy optional package goes
through :func:`require`, which says which extra installs it. The project's own modules are
always imported plainly (a broken import is a bug to see, not a feature to hide)."""

from __future__ import annotations

import importlib
from types import ModuleType

from equity_factors.errors import UserError

#: module -> (what needs it, how to install it)
EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("the autoencoder method", "pip install 'equity-factors[deep]' (or pip install "
                                        "torch==2.13.0 for the CPU build)"),
    "streamlit": ("the dashboard", "pip install 'equity-factors[dashboard]'"),
    "plotly": ("interactive charts", "pip install 'equity-factors[dashboard]'"),
    "ray": ("--executor ray", "pip install 'equity-factors[distributed]'"),
    "distributed": ("--executor dask", "pip install 'equity-factors[distributed]'"),
}


def missing_message(module: str) -> str:
    """The one line printed when ``module`` is not installed."""
    what, how = EXTRAS[module]
    return f"{what} needs {module}: {how}"


def require(module: str) -> ModuleType:
    """Import an optional package, or raise a :class:`UserError` saying how to install it."""
    if module not in EXTRAS:
        raise KeyError(f"{module} is not one of the optional extras: {', '.join(EXTRAS)}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:  # the package is there but one of its own imports failed
            raise
        raise UserError(missing_message(module)) from None
