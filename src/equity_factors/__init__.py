"""equity-factors: find, name, blend, trade and backtest the hidden factors of an equity
universe."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
