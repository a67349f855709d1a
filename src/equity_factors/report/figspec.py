"""Plotly figures as plain data: the small part of ``plotly.graph_objects`` the report uses
(``Figure``, ``Scatter``, ``Bar``, ``Heatmap``, ``make_subplots``, ``add_hline``...), built as
dicts with no validation.

A :class:`Figure` is a ``dict`` ``{"data": [...], "layout": {...}}`` in plotly's JSON schema,
so Streamlit's ``st.plotly_chart`` takes it as is and the HTML report encodes it once
(:func:`to_json`). Building the report's figures with ``plotly.graph_objects`` spent most of a
large report's time validating and deep-copying (measured: see the README's report
benchmark); the figures here hold the same JSON. Plotly's conventions are kept: "magic
underscores" (``marker_color="red"`` is ``marker={"color": "red"}``), updates merge into
nested dicts, ``title="x"`` is ``title={"text": "x"}``, dates are ``YYYY-MM-DD`` text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Bar", "Figure", "Heatmap", "Scatter", "Trace", "make_subplots", "to_json"]


def _array(value: Any) -> Any:
    """Array-likes as numpy arrays (dates as ``YYYY-MM-DD`` text); anything else as is."""
    if isinstance(value, (pd.Series, pd.Index)):
        if isinstance(value.dtype, pd.DatetimeTZDtype):
            value = value.tz_localize(None) if isinstance(value, pd.Index) \
                else value.dt.tz_localize(None)
        value = value.to_numpy()
    if isinstance(value, np.ndarray):
        if np.issubdtype(value.dtype, np.datetime64):
            return np.datetime_as_string(value, unit="D")
        if value.dtype == object:
            return value.tolist()
    return value


#: Plotly property names that hold an underscore themselves.
_UNDERSCORED = ("paper_bgcolor", "plot_bgcolor", "error_x", "error_y", "error_z")


def _nest(key: str, value: Any) -> tuple[str, Any]:
    """``("marker_color", v)`` -> ``("marker", {"color": v})`` (plotly's magic underscores)."""
    if "_" not in key or key in _UNDERSCORED:
        return key, value
    head = next((n for n in _UNDERSCORED if key.startswith(n + "_")), key.split("_", 1)[0])
    rest = key[len(head) + 1:]
    inner_key, inner = _nest(rest, value)
    return head, {inner_key: inner}


def _merge(target: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``updates`` into ``target`` as plotly's ``update`` does (nested dicts merged,
    other values replaced), magic underscores and string titles expanded."""
    for raw_key, raw_value in updates.items():
        key, value = _nest(str(raw_key), raw_value)
        if key == "title" and isinstance(value, str):
            value = {"text": value}
        if isinstance(value, Mapping):
            current = target.get(key)
            target[key] = _merge(current if isinstance(current, dict) else {}, value)
        else:
            target[key] = _array(value)
    return target


class Trace(dict):
    """One trace (``{"type": ..., ...}``); its properties also read as attributes
    (``trace.y``, ``trace.name``; None when not set), as on a plotly trace."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)


def _trace(kind: str, kwargs: Mapping[str, Any]) -> Trace:
    return Trace(_merge({"type": kind}, kwargs))


def Scatter(**kwargs: Any) -> Trace:  # noqa: N802 (named as plotly's class)
    return _trace("scatter", kwargs)


def Bar(**kwargs: Any) -> Trace:  # noqa: N802
    return _trace("bar", kwargs)


def Heatmap(**kwargs: Any) -> Trace:  # noqa: N802
    return _trace("heatmap", kwargs)


def _axis_name(letter: str, n: int) -> str:
    return f"{letter}axis" if n <= 1 else f"{letter}axis{n}"


def _ref(letter: str, n: int) -> str:
    return letter if n <= 1 else f"{letter}{n}"


class Figure(dict):
    """A figure as plotly's JSON: ``{"data": [traces], "layout": {...}}``.

    Parameters
    ----------
    data : Trace or iterable of Trace, optional
    layout : mapping, optional
    """

    def __init__(self, data: Trace | Iterable[Trace] | None = None,
                 layout: Mapping[str, Any] | None = None) -> None:
        traces = [] if data is None else [data] if isinstance(data, Mapping) else list(data)
        super().__init__(data=[Trace(t) for t in traces], layout={})
        self._rows = 1
        if layout:
            self.update_layout(layout)

    @property
    def data(self) -> list[Trace]:
        return self["data"]

    @property
    def layout(self) -> dict[str, Any]:
        return self["layout"]

    # ---- building
    def add_trace(self, trace: Trace, row: int | None = None, col: int | None = None
                  ) -> Figure:
        trace = Trace(trace)
        if row is not None and row > 1:
            trace["xaxis"], trace["yaxis"] = _ref("x", row), _ref("y", row)
        self.data.append(trace)
        return self

    def update_layout(self, dict1: Mapping[str, Any] | None = None, **kwargs: Any) -> Figure:
        _merge(self.layout, {**(dict1 or {}), **kwargs})
        return self

    def _axes(self, letter: str, row: int | None) -> list[str]:
        if row is not None:
            return [_axis_name(letter, row)]
        found = [k for k in self.layout if k.startswith(f"{letter}axis")
                 and k[5:].isdigit() or k == f"{letter}axis"]
        return sorted(set(found) | {f"{letter}axis"})

    def update_xaxes(self, row: int | None = None, col: int | None = None, **kwargs: Any
                     ) -> Figure:
        for name in self._axes("x", row):
            _merge(self.layout.setdefault(name, {}), kwargs)
        return self

    def update_yaxes(self, row: int | None = None, col: int | None = None, **kwargs: Any
                     ) -> Figure:
        for name in self._axes("y", row):
            _merge(self.layout.setdefault(name, {}), kwargs)
        return self

    def add_hline(self, y: float, line: Mapping[str, Any] | None = None,
                  row: int | None = None, col: int | None = None, **kwargs: Any) -> Figure:
        rows = [row] if row is not None else list(range(1, self._rows + 1))
        for r in rows:
            shape = {"type": "line", "x0": 0, "x1": 1, "xref": f"{_ref('x', r)} domain",
                     "y0": y, "y1": y, "yref": _ref("y", r)}
            _merge(shape, {"line": dict(line or {}), **kwargs})
            self.layout.setdefault("shapes", []).append(shape)
        return self

    def add_vline(self, x: float, line: Mapping[str, Any] | None = None,
                  annotation_text: str | None = None, **kwargs: Any) -> Figure:
        shape = {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1,
                 "yref": "y domain"}
        _merge(shape, {"line": dict(line or {}), **kwargs})
        self.layout.setdefault("shapes", []).append(shape)
        if annotation_text is not None:
            self.layout.setdefault("annotations", []).append(
                {"showarrow": False, "text": annotation_text, "x": x, "xanchor": "left",
                 "xref": "x", "y": 1, "yanchor": "top", "yref": "y domain"})
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"data": [dict(t) for t in self.data], "layout": dict(self.layout)}


def make_subplots(rows: int = 1, cols: int = 1, shared_xaxes: bool = False,
                  vertical_spacing: float | None = None,
                  subplot_titles: Iterable[str] | None = None,
                  row_heights: Sequence[float] | None = None) -> Figure:
    """A one-column grid of ``rows`` stacked plots, laid out as ``plotly.subplots``
    does (top row first, heights in the ratios ``row_heights`` (equal by default),
    ``vertical_spacing`` between them, shared x axes matching the bottom one with tick labels
    on the bottom one only, titles above each)."""
    if cols != 1:
        raise ValueError("make_subplots here lays out one column")
    spacing = 0.3 / rows if vertical_spacing is None else float(vertical_spacing)
    ratios = [1.0] * rows if row_heights is None else [float(h) for h in row_heights]
    if len(ratios) != rows:
        raise ValueError(f"row_heights has {len(ratios)} values for {rows} rows")
    usable = 1.0 - spacing * (rows - 1)
    heights = [usable * h / sum(ratios) for h in ratios]
    fig = Figure()
    fig._rows = rows
    tops = []
    top = 1.0
    for r, height in enumerate(heights, start=1):
        bottom = max(top - height, 0.0)
        tops.append(top)
        x: dict[str, Any] = {"anchor": _ref("y", r), "domain": [0.0, 1.0]}
        if shared_xaxes and r < rows:
            x.update(matches=_ref("x", rows), showticklabels=False)
        fig.layout[_axis_name("x", r)] = x
        fig.layout[_axis_name("y", r)] = {"anchor": _ref("x", r),
                                          "domain": [round(bottom, 12), round(top, 12)]}
        top = bottom - spacing
    titles = list(subplot_titles or [])
    if titles:
        fig.layout["annotations"] = [
            {"font": {"size": 16}, "showarrow": False, "text": t, "x": 0.5,
             "xanchor": "center", "xref": "paper", "y": round(y, 12), "yanchor": "bottom",
             "yref": "paper"} for t, y in zip(titles, tops)]
    return fig


_JSON_ATOMS = (str, int, bool, type(None))


def _plain(value: Any) -> Any:
    """``value`` with numpy arrays and scalars as JSON values (NaN and infinities as null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if all(type(v) in _JSON_ATOMS for v in value):
            return list(value)
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            if np.isfinite(value).all():
                return value.tolist()
            shown = value.astype(object)
            shown[~np.isfinite(value)] = None
            return shown.tolist()
        if value.dtype.kind in "iubUS":
            return value.tolist()
        return _plain(value.tolist())
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value


def to_json(value: Any) -> str:
    """Compact JSON of a figure or a part of one (numpy arrays as lists, NaN as null), safe
    inside an HTML ``<script>``: every ``<`` (only ever inside a string) is written
    ``\\u003c``, so no ``</script>`` or ``<!--`` can end the script early."""
    text = json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return text.replace("<", "\\u003c")
