"""The layers of DESIGN.md section 3, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "equity_factors"

COMPUTATION = ("factors", "naming", "optimize", "signals", "regime", "portfolio", "metrics",
               "types", "errors", "window_cache")
#: package -> the project packages it must never import
FORBIDDEN = {
    **{pkg: ("data", "cli", "workflows", "report", "dashboard", "backtest") for pkg in COMPUTATION},
    "backtest": ("data", "cli", "workflows", "report", "dashboard"),
    "data": ("cli", "workflows", "report", "dashboard"),
    "report": ("data", "cli", "workflows", "dashboard"),  # no I/O: frames in, HTML out
    "dashboard": ("cli",),
    "workflows": ("cli", "dashboard"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m.split(".")[1] for m in found if m.startswith("equity_factors.") and "." in m}


def _modules(package: str) -> list[Path]:
    single = SRC / f"{package}.py"
    return [single] if single.exists() else sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers(package):
    bad = {str(p.relative_to(SRC)): sorted(_imports(p) & set(FORBIDDEN[package]))
           for p in _modules(package)}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_check_sees_imports():
    assert "data" in _imports(SRC / "workflows" / "factors.py")
