"""Names of a package that load their module on first use (PEP 562).

A package lists where each name lives; importing the package then costs nothing for the names a
command does not touch (the HTTP client, scikit-learn and the SciPy modules it pulls in).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``homes`` maps a name to the module
    (absolute, or relative to ``package`` when it starts with ``.``) that defines it; the
    first access imports it and keeps the name in the package."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(home, package if home.startswith(".") else None)
        value = getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(homes))

    return __getattr__, __dir__
