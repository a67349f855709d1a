"""A report as one self-contained HTML page: plotly.js embedded once (the first figure), the
later figures as ``<div>``s with their JSON, tables as HTML tables; no external URL anywhere,
so the file opens with no network."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from equity_factors._optional import require
from equity_factors.report.blocks import Chart, ReportDocument, Table, Text
from equity_factors.report.figspec import to_json

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:16px 28px 60px}
h1{font-size:22px;margin:18px 0 8px} h2{font-size:19px;margin:34px 0 8px;
border-bottom:2px solid #ddd;padding-bottom:4px} h3{font-size:15px;margin:18px 0 4px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 4px;background:#fff}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right;vertical-align:top}
th{background:#f0f0f0} td.t{text-align:left}
.facts td{text-align:left} .caption{color:#555;font-size:12.5px;margin:2px 0 14px}
.note{font-size:13.5px;margin:6px 0} .verdict{font-size:14.5px;font-weight:600;padding:8px 12px;
background:#eef4fb;border-left:4px solid #1f77b4;margin:8px 0}
.warning{font-size:13.5px;padding:6px 12px;background:#fff4e5;border-left:4px solid #ff7f0e}
.chart{background:#fff;border:1px solid #e4e4e4;margin:8px 0 2px;padding:4px}
nav{font-size:13px;margin:8px 0 0} nav a{margin-right:12px;color:#1f77b4}
.scroll{max-height:480px;overflow:auto;display:inline-block;max-width:100%}
"""

#: Largest number of table rows written in full (the rest is summarized by a note).
MAX_TABLE_ROWS = 400

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                  "modeBarButtonsToRemove": ["sendDataToCloud"]}
_CONFIG_JSON = to_json(_PLOTLY_CONFIG)


def _cell(value: object) -> tuple[str, bool]:
    """(text, is_text) for a table cell: numbers to 4 significant digits."""
    if isinstance(value, (bool, np.bool_)):
        return str(value), True
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}", False
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not np.isfinite(v):
            return "", False
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.4g}", False
        return (f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.4g}"), False
    return ("" if value is None or (not isinstance(value, str) and pd.isna(value))
            else str(value)), True


def table_html(frame: pd.DataFrame, index: bool = False) -> str:
    """An HTML table (escaped) of at most :data:`MAX_TABLE_ROWS` rows."""
    shown = frame.head(MAX_TABLE_ROWS)
    if index:
        shown = shown.reset_index()
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for row in shown.itertuples(index=False):
        cells = []
        for value in row:
            text, is_text = _cell(value)
            cells.append(f"<td class=\"t\">{html.escape(text)}</td>" if is_text
                         else f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (f"<p class=\"caption\">first {MAX_TABLE_ROWS} of {len(frame):,} rows (the run's "
            "CSV has them all)</p>" if len(frame) > MAX_TABLE_ROWS else "")
    return (f"<div class=\"scroll\"><table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>" + more)


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"


def plotly_js() -> str:
    """The plotly.js bundled with the installed plotly (read from its package data, as
    ``plotly.offline.get_plotlyjs`` does, without importing plotly's Python modules)."""
    require("plotly")
    from importlib import resources

    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_text(
        encoding="utf-8")


def chart_html(figure: Mapping[str, Any], div_id: str, include_plotlyjs: bool = False) -> str:
    """A figure (plotly's JSON: ``{"data": [...], "layout": {...}}``) as a ``<div>`` and the
    script drawing it, laid out as ``plotly.io.to_html(full_html=False)`` does;
    ``include_plotlyjs`` puts plotly.js itself first."""
    layout = dict(figure.get("layout") or {})
    if layout.get("template") == "none":  # plotly.py's name for no template: plotly.js defaults
        del layout["template"]
    height = layout.get("height")
    lib = ("<script type=\"text/javascript\">window.PlotlyConfig = {MathJaxConfig: 'local'};"
           "</script><script charset=\"utf-8\" type=\"text/javascript\">" + plotly_js()
           + "</script>") if include_plotlyjs else ""
    return (f"<div style=\"height:{int(height) if height else 450}px; width:100%;\">{lib}"
            f"<div id=\"{div_id}\" class=\"plotly-graph-div\" style=\"height:100%; "
            "width:100%;\"></div><script type=\"text/javascript\">window.PLOTLYENV=window."
            f"PLOTLYENV || {{}};if (document.getElementById(\"{div_id}\")) {{Plotly.newPlot("
            f"\"{div_id}\", {to_json(figure.get('data') or [])}, {to_json(layout)}, "
            f"{_CONFIG_JSON})}};</script></div>")


def _parts(doc: ReportDocument) -> Iterator[str]:
    yield ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<title>{html.escape(doc.title)}</title>"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<style>{_CSS}</style></head><body><main>")
    yield f"<h1>{html.escape(doc.title)}</h1>"
    yield ("<table class=\"facts\">" + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in doc.facts)
        + "</table>")
    yield "<nav>" + "".join(f"<a href=\"#{_anchor(s.title)}\">{html.escape(s.title)}</a>"
                            for s in doc.sections) + "</nav>"
    first = True
    n_chart = 0
    for section in doc.sections:
        yield f"<h2 id=\"{_anchor(section.title)}\">{html.escape(section.title)}</h2>"
        for block in section.blocks:
            if isinstance(block, Chart):
                n_chart += 1
                yield f"<h3>{html.escape(block.title)}</h3>"
                div = chart_html(block.figure, f"chart-{n_chart}", include_plotlyjs=first)
                first = False
                yield f"<div class=\"chart\">{div}</div>"
                if block.caption:
                    yield f"<p class=\"caption\">{html.escape(block.caption)}</p>"
            elif isinstance(block, Table):
                yield f"<h3>{html.escape(block.title)}</h3>"
                yield table_html(block.frame, block.index)
                if block.caption:
                    yield f"<p class=\"caption\">{html.escape(block.caption)}</p>"
            elif isinstance(block, Text):
                yield f"<p class=\"{block.kind}\">{html.escape(block.text)}</p>"
    yield "</main></body></html>\n"


def render_html(doc: ReportDocument) -> str:
    """The whole report as one HTML string (plotly.js inline once; no external reference)."""
    return "".join(_parts(doc))
