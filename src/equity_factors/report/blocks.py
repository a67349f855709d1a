"""The pieces a report is made of: what a run saved (:class:`RunFiles`) and what is shown
(:class:`Section` of :class:`Chart`, :class:`Table` and :class:`Text` blocks).

The same blocks serve the HTML report (:mod:`equity_factors.report.html`) and the dashboard,
which renders each block with Streamlit. Nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class RunFiles:
    """A recorded run as the report sees it.

    Parameters
    ----------
    record : dict
        The run's ``run.json`` (command, argv, params, data_fingerprint, version, headline...).
    tables : mapping name -> DataFrame
        Every CSV of the run folder, read as is (no index set, dates left as text).
    documents : mapping name -> object
        Every JSON file of the run folder other than ``run.json``.
    """

    record: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    documents: Mapping[str, Any] = field(default_factory=dict)

    @property
    def command(self) -> str:
        return str(self.record.get("command", ""))

    @property
    def run_id(self) -> str:
        return str(self.record.get("run_id", ""))

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def document(self, name: str) -> Any:
        return self.documents.get(name)


@dataclass(frozen=True)
class Chart:
    """A plotly figure with a title and a caption saying what it measures."""

    title: str
    figure: Any
    caption: str = ""


@dataclass(frozen=True)
class Table:
    """A table (shown with its index when ``index``), with a caption."""

    title: str
    frame: pd.DataFrame
    caption: str = ""
    index: bool = False


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text (``kind``: "note", "verdict" or "warning")."""

    text: str
    kind: str = "note"


Block = Chart | Table | Text


@dataclass(frozen=True)
class Section:
    """A titled group of blocks (one report section, one dashboard tab)."""

    title: str
    blocks: tuple[Block, ...]

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Chart))


@dataclass(frozen=True)
class ReportDocument:
    """A whole report: a title, the run's facts (label -> value) and the sections."""

    title: str
    facts: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(c for s in self.sections for c in s.charts)
