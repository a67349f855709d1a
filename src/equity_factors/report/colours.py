"""Colours shared by the matplotlib figures and the plotly report (no plotting import, so
the dashboard and the report load without matplotlib)."""

from __future__ import annotations

#: Qualitative colours (matplotlib's tab10), one per series; tab20 beyond ten.
_SERIES_10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
              "#7f7f7f", "#bcbd22", "#17becf")
_SERIES_20 = ("#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728",
              "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2",
              "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5")

#: Regime shading, calm to volatile (regimes are numbered by volatility): green, blue, orange,
#: red, then further distinct hues. Two regimes take green/red, three green/orange/red.
_REGIME_COLOURS = ("#2ca02c", "#1f77b4", "#ff7f0e", "#d62728", "#9467bd", "#8c564b",
                   "#e377c2", "#17becf")
REGIME_ALPHA = 0.35
NO_REGIME_COLOUR = "#bdbdbd"


def series_colours(n: int) -> list[str]:
    """``n`` distinguishable colours for line series (repeats only beyond 20)."""
    palette = _SERIES_10 if n <= 10 else _SERIES_20
    return [palette[i % len(palette)] for i in range(n)]


def regime_colours(n_regimes: int) -> list[str]:
    """One distinct colour per regime code ``0..n_regimes-1`` (calm to volatile)."""
    if n_regimes <= 2:
        return [_REGIME_COLOURS[0], _REGIME_COLOURS[3]][:max(n_regimes, 1)]
    if n_regimes == 3:
        return [_REGIME_COLOURS[0], _REGIME_COLOURS[2], _REGIME_COLOURS[3]]
    return [_REGIME_COLOURS[i % len(_REGIME_COLOURS)] for i in range(n_regimes)]
