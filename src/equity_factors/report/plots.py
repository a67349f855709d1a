"""Small figure helpers shared by the report sections. Figures are plotly's JSON built as plain
dicts (:mod:`equity_factors.report.figspec`): no plotly import and no validation while a
report is built; plotly.js draws them (the HTML report embeds it, the dashboard has it)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from equity_factors.report import figspec
from equity_factors.report.colours import regime_colours, series_colours

__all__ = ["go", "subplots", "layout", "dated", "values", "regime_colours", "series_colours",
           "SIDE_COLOURS"]

SIDE_COLOURS = {"LONG": "#2ca02c", "SHORT": "#d62728"}


def go() -> Any:
    """The figure builders (``Figure``, ``Scatter``, ``Bar``, ``Heatmap``), used as
    ``plotly.graph_objects`` would be."""
    return figspec


def subplots(**kwargs: Any) -> figspec.Figure:
    """Stacked plots sharing their x axis (see :func:`figspec.make_subplots`)."""
    return figspec.make_subplots(**kwargs)


#: The look of every chart, set directly on the layout: white background, light grid, the series
#: colours (plotly's "plotly_white" template carries defaults for every trace type and is
#: several times slower to validate per figure, measured here).
_LOOK = dict(template="none", paper_bgcolor="white", plot_bgcolor="white",
             font=dict(color="#2a3f5f"), colorway=list(series_colours(10)),
             hoverlabel=dict(align="left"))
_AXIS = dict(gridcolor="#ebebeb", linecolor="#c8c8c8", zerolinecolor="#d8d8d8",
             automargin=True, showgrid=True)


def layout(fig: Any, title: str = "", height: int = 420, y_title: str = "",
           x_title: str = "", legend: bool = True) -> Any:
    """The common look (white background, light grid), compact margins, legend on top, hover
    by date (dates are ``YYYY-MM-DD`` text already: see :mod:`figspec`)."""
    del title  # the page shows the title above the chart (HTML heading, dashboard subheader)
    fig.update_layout(**_LOOK, height=height, margin=dict(l=60, r=20, t=40, b=40),
                      showlegend=legend,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0.0),
                      hovermode="x unified")
    fig.update_xaxes(**_AXIS)
    fig.update_yaxes(**_AXIS)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    if x_title:
        fig.update_xaxes(title_text=x_title)
    return fig


def dated(frame: pd.DataFrame, column: str = "date") -> pd.DataFrame:
    """``frame`` indexed by its ``column`` parsed as dates (sorted); the frame itself when it
    already has a DatetimeIndex."""
    if isinstance(frame.index, pd.DatetimeIndex):
        return frame.sort_index()
    out = frame.copy()
    out[column] = pd.to_datetime(out[column])
    return out.set_index(column).sort_index()


def values(series: pd.Series, digits: int = 6) -> np.ndarray:
    """A float array rounded to ``digits`` significant decimals (smaller embedded JSON)."""
    return np.round(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float), digits)


def numeric_columns(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    """The numeric columns of ``frame`` not in ``exclude``, in order."""
    return [c for c in frame.columns if c not in exclude
            and pd.api.types.is_numeric_dtype(frame[c])]


def growth_axis(fig: Any, levels: list[Any], title: str = "growth of 1 (log scale)") -> Any:
    """A log y axis with ticks at powers of two labelled as multiples (0.5x, 1x, 2x, 4x...),
    on the primary y axis, spanning the finite positive values of ``levels`` (arrays or series)."""
    finite = [np.asarray(v, dtype=float) for v in levels]
    data: Any = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in finite]) if finite else []
    lo, hi = (float(np.min(data)), float(np.max(data))) if len(data) else (0.5, 2.0)
    k_lo, k_hi = int(np.floor(np.log2(lo))), int(np.ceil(np.log2(hi)))
    step = max(1, (k_hi - k_lo) // 8)
    ticks = [2.0 ** k for k in range(k_lo, k_hi + 1, step)]
    fig.update_layout(yaxis=dict(type="log", tickvals=ticks, title_text=title,
                                 ticktext=[f"{t:,.4g}x" for t in ticks]))
    return fig
