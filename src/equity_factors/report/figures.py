"""Figures as matplotlib objects: the caller saves them (nothing here writes or shows)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")  # no display: figures are rendered to files
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def cumulative_returns_figure(returns: pd.DataFrame, labels: Mapping[str, str] | None = None,
                              title: str = "Cumulative factor returns") -> Figure:
    """Compounded growth of 1 for each column of ``returns`` (dates x series)."""
    fig, ax = plt.subplots(figsize=(10, 5.5))
    wealth = (1.0 + returns.fillna(0.0)).cumprod()
    for col in wealth.columns:
        label = str(col) if not labels or labels.get(col) in (None, col) else f"{col}: {labels[col]}"
        ax.plot(wealth.index, wealth[col].to_numpy(), lw=1.1, label=label)
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.set_ylabel("growth of 1 (log scale)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(wealth.columns) > 6 else 1, loc="upper left")
    fig.tight_layout()
    return fig


def indicator_figure(level: pd.Series, panels: Mapping[str, pd.DataFrame | pd.Series],
                     title: str, guides: Mapping[str, tuple[float, ...]] | None = None) -> Figure:
    """A price-like level on top and one indicator per panel below (shared dates)."""
    n = 1 + len(panels)
    fig, axes = plt.subplots(n, 1, figsize=(10, 2.2 * n + 1), sharex=True)
    axes = np.atleast_1d(axes)
    axes[0].plot(level.index, level.to_numpy(), lw=1.1, color="black")
    axes[0].set_title(title)
    axes[0].grid(True, alpha=0.3)
    for ax, (name, data) in zip(axes[1:], panels.items()):
        frame = data.to_frame(name) if isinstance(data, pd.Series) else data
        for col in frame.columns:
            ax.plot(frame.index, frame[col].to_numpy(), lw=1.0, label=str(col))
        for y in (guides or {}).get(name, ()):
            ax.axhline(y, color="0.5", lw=0.7, ls="--")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        if len(frame.columns) > 1:
            ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def regime_figure(level: pd.Series, regimes: pd.Series, labels: Mapping[int, str] | None = None,
                  title: str = "Market with detected regimes") -> Figure:
    """The market level with each day shaded by its regime (integer codes in ``regimes``)."""
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.plot(level.index, level.to_numpy(), lw=1.0, color="black")
    codes = regimes.reindex(level.index)
    colors = plt.get_cmap("RdYlGn_r")(np.linspace(0.1, 0.9, max(int(codes.max()) + 1, 2)))
    values = codes.to_numpy()
    start = 0
    seen: set[int] = set()
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if not pd.isna(values[start]):
                code = int(values[start])
                label = None if code in seen else (labels or {}).get(code, f"regime {code}")
                seen.add(code)
                ax.axvspan(level.index[start], level.index[i - 1], color=colors[code], alpha=0.3,
                           lw=0, label=label)
            start = i
    ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
