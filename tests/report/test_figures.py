"""Figures are built without pyplot or a backend, and carry the axes and artists they promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from equity_factors.data.outputs import figure_bytes
from equity_factors.report.figures import (
    cumulative_returns_figure,
    growth_label,
    indicator_figure,
    regime_colours,
    regime_figure,
)

DATES = pd.bdate_range("2020-01-01", periods=400)


@pytest.fixture(scope="module")
def returns():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(0.0003, 0.01, (len(DATES), 3)), index=DATES,
                        columns=["F1", "F2", "F3"])


def test_import_chooses_no_backend_and_leaves_rcparams():
    """In a fresh process without MPLBACKEND (the conftest sets it for the test run), importing
    the figures module and rendering a figure neither selects a backend nor imports pyplot nor
    changes any rcParam."""
    code = textwrap.dedent("""
        import json, sys
        import matplotlib
        before_backend = matplotlib.rcParams._get_backend_or_none()
        rc = matplotlib.rcParams
        # raw values: reading rcParams["backend"] (as .items() does) would itself resolve one
        before = {k: repr(dict.__getitem__(rc, k)) for k in rc.keys() if k != "backend"}
        import pandas as pd
        import equity_factors.report.figures as figures
        from equity_factors.data.outputs import figure_bytes
        idx = pd.bdate_range("2020-01-01", periods=30)
        png = figure_bytes(figures.cumulative_returns_figure(pd.DataFrame({"F1": [0.01] * 30},
                                                                          index=idx)))
        after = {k: repr(dict.__getitem__(rc, k)) for k in rc.keys() if k != "backend"}
        print(json.dumps({
            "before_backend": before_backend,
            "after_backend": matplotlib.rcParams._get_backend_or_none(),
            "changed": sorted(k for k in before if before[k] != after.get(k)),
            "pyplot": "matplotlib.pyplot" in sys.modules,
            "png": png[:8] == b"\\x89PNG\\r\\n\\x1a\\n",
        }))
    """)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["before_backend"] is None  # the check is meaningful: nothing chose one before
    assert seen["after_backend"] is None
    assert seen["changed"] == []
    assert seen["pyplot"] is False
    assert seen["png"] is True


def test_growth_labels_are_plain_multiples():
    assert [growth_label(v) for v in (0.25, 0.5, 1, 2, 4, 1024)] == [
        "0.25x", "0.5x", "1x", "2x", "4x", "1,024x"]
    assert growth_label(1.5) == "1.5x"
    assert growth_label(0.0) == "" and growth_label(float("nan")) == ""


def test_cumulative_returns_figure(returns):
    fig = cumulative_returns_figure(returns, {"F1": "market", "F2": "F2"}, title="T")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "T" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "date" and "growth of 1" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["F1: market", "F2", "F3"]
    wealth = (1 + returns).cumprod()
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["F1: market"].get_ydata(), wealth["F1"].to_numpy())
    assert len({ln.get_color() for ln in ax.get_lines()[:3]}) == 3
    figure_bytes(fig)  # draws the ticks
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all(lbl.endswith("x") for lbl in labels), labels
    assert not any("10^" in lbl or "times" in lbl for lbl in labels)


def test_indicator_figure(returns):
    level = (1 + returns["F1"]).cumprod()
    fig = indicator_figure(level, {"RSI": returns["F1"] * 100 + 50, "MACD": returns[["F1", "F2"]]},
                           title="momentum", guides={"RSI": (30, 70)})
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    top, rsi, macd = fig.axes
    assert top.get_title() == "momentum" and rsi.get_ylabel() == "RSI"
    assert len(rsi.get_lines()) == 1 + 2  # the series and its two guides
    assert [t.get_text() for t in macd.get_legend().get_texts()] == ["F1", "F2"]
    assert macd.get_xlabel() == "date"


def test_regime_figure_colours_and_legend(returns):
    level = (1 + returns["F1"]).cumprod()
    codes = pd.Series(np.nan, index=DATES)
    codes.iloc[100:200] = 0
    codes.iloc[200:300] = 2
    codes.iloc[300:] = 1
    labels = {0: "Low-vol bull", 1: "High-vol bull", 2: "Extreme-vol bear"}
    fig = regime_figure(level, codes, labels, title="regimes")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["0: Low-vol bull", "1: High-vol bull", "2: Extreme-vol bear",
                      "no regime yet"]
    from matplotlib.patches import PathPatch

    # one compound path of spans per colour, in order of first appearance: unknown, 0, 2, 1
    spans = [a for a in ax.get_children() if isinstance(a, PathPatch)]
    assert [a.get_gid() for a in spans] == ["regime--1", "regime-0", "regime-2", "regime-1"]
    colours = [to_hex(a.get_facecolor()) for a in spans]
    assert colours[1:] == [regime_colours(3)[0], regime_colours(3)[2], regime_colours(3)[1]]
    assert len(set(colours)) == 4
    assert all(a.get_alpha() >= 0.25 for a in spans)
    # contiguous: each span ends where the next begins (no white gaps between regimes)
    edges = sorted((poly[:, 0].min(), poly[:, 0].max())
                   for a in spans for poly in a.get_path().to_polygons())
    assert len(edges) == 4
    assert all(a[1] == b[0] for a, b in zip(edges, edges[1:]))
    # a spell per run of equal codes, however many there are
    many = pd.Series(np.arange(len(DATES)) % 3, index=DATES, dtype=float)
    fig = regime_figure(level, many, labels)
    shaded = [a for a in fig.axes[0].get_children() if isinstance(a, PathPatch)]
    assert sum(len(a.get_path().to_polygons()) for a in shaded) == len(DATES)
    assert ax.get_yscale() == "log"


def test_regime_colours_are_distinct():
    for n in range(2, 9):
        assert len(set(regime_colours(n))) == n


def _figures(returns):
    """Each chart with the widest labels it meets: a 30-year history (multiples to 1,024x),
    indicator values in the hundred thousands and a long title."""
    long = pd.bdate_range("1994-01-03", periods=7800)
    rng = np.random.default_rng(1)
    level = pd.Series(np.exp(np.cumsum(rng.normal(0.0009, 0.01, len(long)))), index=long)
    codes = pd.Series(np.repeat(rng.integers(0, 3, 780), 10).astype(float), index=long)
    title = "SAMPLE (20 stocks): equal-weighted market with regimes (point-in-time, filtered)"
    wide = pd.DataFrame(rng.normal(0.001, 0.01, (len(long), 12)), index=long,
                        columns=[f"F{i}" for i in range(1, 13)])
    return {
        "cumulative": cumulative_returns_figure(wide, {"F1": "market beta"}, title=title),
        "indicator": indicator_figure(level, {"RSI": pd.Series(rng.uniform(0, 100, len(long)),
                                                                index=long),
                                              "volume": pd.Series(rng.uniform(-15_000, 150_000,
                                                                              len(long)),
                                                                  index=long)},
                                      title=title, guides={"RSI": (30, 70)}),
        "regime": regime_figure(level, codes, {0: "calm bull", 1: "normal",
                                               2: "stressed bear (transient)"}, title=title),
    }


def test_charts_keep_every_text_inside_the_canvas(returns):
    """The charts have fixed margins (no layout engine): every tick label, axis label, title and
    legend text lies inside the figure even with the widest labels they meet."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for name, fig in _figures(returns).items():
        assert fig.get_layout_engine() is None, name
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        # what a "tight" crop would keep: every drawn text and artist, in inches
        drawn = fig.get_tightbbox(renderer)
        page = fig.bbox_inches
        assert drawn.x0 >= page.x0 - 0.01 and drawn.y0 >= page.y0 - 0.01 \
            and drawn.x1 <= page.x1 + 0.01 and drawn.y1 <= page.y1 + 0.01, (name, drawn, page)
        # the room is not wasted either: the drawn area reaches within 0.35 in of each edge
        assert drawn.x0 < 0.35 and drawn.y0 < 0.35 and page.x1 - drawn.x1 < 0.35 \
            and page.y1 - drawn.y1 < 0.35, (name, drawn, page)
        # and the axes do not overlap (stacked panels keep a gap)
        boxes = [ax.get_window_extent(renderer) for ax in fig.axes]
        assert all(a.y0 >= b.y1 for a, b in zip(boxes, boxes[1:])), name


def test_saving_a_chart_draws_it_once(returns):
    """A layout engine or ``bbox_inches="tight"`` makes savefig draw the figure twice (a dry
    run to measure the text); the charts' fixed margins save in one draw, and ``crop=True``
    still crops a figure that asks for it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for name, fig in _figures(returns).items():
        draws: list[object] = []
        FigureCanvasAgg(fig).mpl_connect("draw_event", draws.append)
        png = figure_bytes(fig)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(draws) == 1, (name, len(draws))
    plain = Figure(figsize=(4, 3))
    plain.add_subplot().plot([0, 1], [0, 1])
    draws = []
    FigureCanvasAgg(plain).mpl_connect("draw_event", draws.append)
    figure_bytes(plain, crop=True)
    assert len(draws) == 2
