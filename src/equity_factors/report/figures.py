"""Figures as matplotlib objects: the caller saves them (nothing here writes or shows).

Built with the object-oriented API (``matplotlib.figure.Figure``), never ``pyplot``: no backend
is chosen, no global state (rcParams, the figure registry) is touched, and a figure is saved by
whoever holds it (``data.outputs.figure_bytes`` renders it with the Agg canvas).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

from equity_factors.report.colours import NO_REGIME_COLOUR as _NO_REGIME_COLOUR
from equity_factors.report.colours import REGIME_ALPHA as _REGIME_ALPHA
from equity_factors.report.colours import regime_colours, series_colours

__all__ = ["cumulative_returns_figure", "growth_label", "indicator_figure", "regime_colours",
           "regime_figure", "series_colours"]


def growth_label(value: float, _pos: object = None) -> str:
    """A growth multiple as a plain label: 0.25x, 0.5x, 1x, 2x, 16x, 1,024x."""
    if not np.isfinite(value) or value <= 0:
        return ""
    if value >= 1:
        return f"{value:,.0f}x" if abs(value - round(value)) < 1e-9 else f"{value:,.2g}x"
    return f"{value:.3g}x"


def _growth_axis(ax: Axes, label: str) -> None:
    """Log scale with ticks at powers of two labelled as multiples (no 4x10^0)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=2.0, numticks=12))
    ax.yaxis.set_major_formatter(FuncFormatter(growth_label))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)


def _fixed_margins(fig: Figure, left: float = 0.9, right: float = 0.2, bottom: float = 0.6,
                   top: float = 0.45, gap: float | None = None) -> None:
    """Margins in inches around the axes (``gap``: between stacked axes).

    The charts have one layout (titles, axis labels and legends inside known places), so fixed
    room replaces a layout engine: constrained layout measures every text in an extra draw
    before each save, 40 % of rendering a chart that a daily command writes every morning.
    The room fits tick labels of up to seven characters (the tests check no text is clipped).
    """
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height)
    if gap is not None and fig.axes:
        n = len(fig.axes)
        inner = height - top - bottom
        fig.subplots_adjust(hspace=gap / ((inner - gap * (n - 1)) / n))


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def cumulative_returns_figure(returns: pd.DataFrame, labels: Mapping[str, str] | None = None,
                              title: str = "Cumulative factor returns") -> Figure:
    """Compounded growth of 1 for each column of ``returns`` (dates x series), log scale.

    One line per column (labelled ``F1: name`` when ``labels`` names it) plus a grey line at 1x.
    """
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    wealth = (1.0 + returns.fillna(0.0)).cumprod()
    for col, colour in zip(wealth.columns, series_colours(len(wealth.columns))):
        label = (str(col) if not labels or labels.get(col) in (None, col)
                 else f"{col}: {labels[col]}")
        ax.plot(wealth.index, wealth[col].to_numpy(), lw=1.1, color=colour, label=label)
    ax.axhline(1.0, color="0.45", lw=0.8, ls="--")
    _growth_axis(ax, "growth of 1 (log scale)")
    _date_axis(ax)
    ax.set_xlabel("date")
    ax.set_title(title, fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2 if len(wealth.columns) > 6 else 1, loc="upper left",
              framealpha=0.85)
    _fixed_margins(fig)
    return fig


def indicator_figure(level: pd.Series, panels: Mapping[str, pd.DataFrame | pd.Series],
                     title: str, guides: Mapping[str, tuple[float, ...]] | None = None) -> Figure:
    """A price-like level on top and one indicator per panel below (shared dates).

    ``guides`` draws dashed horizontal lines per panel (e.g. RSI 30/70).
    """
    n = 1 + len(panels)
    fig = Figure(figsize=(10, 2.2 * n + 1))
    axes = np.atleast_1d(fig.subplots(n, 1, sharex=True))
    axes[0].plot(level.index, level.to_numpy(), lw=1.1, color="black")
    axes[0].set_title(title, fontsize=12)
    axes[0].set_ylabel("level (growth of 1)")
    axes[0].grid(True, alpha=0.3)
    for ax, (name, data) in zip(axes[1:], panels.items()):
        frame = data.to_frame(name) if isinstance(data, pd.Series) else data
        for col, colour in zip(frame.columns, series_colours(len(frame.columns))):
            ax.plot(frame.index, frame[col].to_numpy(), lw=1.0, color=colour, label=str(col))
        for y in (guides or {}).get(name, ()):
            ax.axhline(y, color="0.4", lw=0.8, ls="--")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        if len(frame.columns) > 1:
            ax.legend(fontsize=8, loc="upper left", ncol=len(frame.columns), framealpha=0.85)
    _date_axis(axes[-1])
    axes[-1].set_xlabel("date")
    _fixed_margins(fig, gap=0.15)
    return fig


def regime_figure(level: pd.Series, regimes: pd.Series, labels: Mapping[int, str] | None = None,
                  title: str = "Market with detected regimes") -> Figure:
    """The market level (log scale) with each day shaded by its regime.

    ``regimes`` holds integer codes (NaN where no regime is known yet, shaded grey); each code
    gets its own colour and a legend entry ``code: label``.
    """
    fig = Figure(figsize=(10, 5))
    ax = fig.add_subplot()
    codes = regimes.reindex(level.index).to_numpy(dtype=float)
    known = codes[~np.isnan(codes)].astype(int)
    n_codes = max(int(known.max()) + 1 if known.size else 0, len(labels or {}), 2)
    colours = regime_colours(n_codes)
    index = level.index
    # one compound path per colour: a patch (or a polygon of a collection) per spell is
    # transformed one by one through the blended (dates, axes) transform, which made a
    # 30-year chart of short spells take seconds; one path is transformed in one call
    from matplotlib.dates import date2num
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    x = date2num(index.to_pydatetime()) if isinstance(index, pd.DatetimeIndex) \
        else np.asarray(index, dtype=float)
    filled = np.where(np.isnan(codes), -1.0, codes)
    if len(filled):
        starts = np.flatnonzero(np.r_[True, filled[1:] != filled[:-1]])
        stops = np.r_[starts[1:], len(filled)]
        lefts, rights = x[starts], x[np.minimum(stops, len(x) - 1)]
        values = filled[starts]
        for code in dict.fromkeys(values.tolist()):  # in order of first appearance
            sel = values == code
            n = int(sel.sum())
            verts = np.empty((n, 5, 2))
            verts[:, :, 0] = np.c_[lefts[sel], lefts[sel], rights[sel], rights[sel],
                                   lefts[sel]]
            verts[:, :, 1] = [0.0, 1.0, 1.0, 0.0, 0.0]
            kinds = np.tile([MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO,
                             MplPath.CLOSEPOLY], n)
            colour, alpha = ((_NO_REGIME_COLOUR, 0.25) if code < 0
                             else (colours[int(code)], _REGIME_ALPHA))
            ax.add_artist(PathPatch(MplPath(verts.reshape(-1, 2), kinds), facecolor=colour,
                                   alpha=alpha, linewidth=0, transform=ax.get_xaxis_transform(),
                                   gid=f"regime-{int(code)}"))
    ax.plot(index, level.to_numpy(), lw=1.0, color="black", label="market")
    handles = [Patch(facecolor=colours[c], alpha=_REGIME_ALPHA,
                     label=f"{c}: {(labels or {}).get(c, f'regime {c}')}")
               for c in range(n_codes) if c in set(known.tolist()) or c in (labels or {})]
    if np.isnan(codes).any():
        handles.append(Patch(facecolor=_NO_REGIME_COLOUR, alpha=0.25, label="no regime yet"))
    _growth_axis(ax, "growth of 1 (log scale)")
    _date_axis(ax)
    ax.set_xlabel("date")
    ax.set_title(title, fontsize=12)
    ax.grid(True, alpha=0.3)
    ax.legend(handles=handles, fontsize=8, loc="upper left", framealpha=0.9, title="regime",
              title_fontsize=8)
    _fixed_margins(fig)
    return fig
