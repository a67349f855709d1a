"""Terminal output helpers: one rich console, tables from DataFrames, progress bars."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO

import pandas as pd
from rich.console import Console, ConsoleDimensions
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

#: Width when standard output is not a terminal and ``COLUMNS`` is not set (pipes, CI, tests).
PIPE_WIDTH = 80


def console_width(stream: IO[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> int:
    """The width to print at: ``COLUMNS`` when set, else the terminal's width when ``stream``
    (default standard output) is a terminal, else :data:`PIPE_WIDTH`."""
    environ = os.environ if environ is None else environ
    columns = str(environ.get("COLUMNS", "")).strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = sys.stdout if stream is None else stream
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns or PIPE_WIDTH
    except (AttributeError, OSError, ValueError):
        pass
    return PIPE_WIDTH


class _Console(Console):
    """A rich Console whose width is :func:`console_width`, read again at every print (so a
    changed ``COLUMNS``, or a redirected ``sys.stdout``, is honoured); rich alone would take the
    width of whichever standard stream is a terminal, even when output goes to a pipe."""

    def __init__(self, *args, width: int | None = None, **kwargs) -> None:
        super().__init__(*args, width=width, **kwargs)
        self._width = width  # rich froze COLUMNS as it was at import; read it at print time

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        if self._width is not None:  # set explicitly: keep it
            return size
        return ConsoleDimensions(console_width(self.file), size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = _Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

#: Short, distinct header labels for the long column names of the summaries (a table fits 80
#: columns; rich would otherwise cut two "annualized_..." headers to the same "annualized_…").
HEADER_LABELS: dict[str, str] = {
    "annualized_return": "ann ret", "ann_return": "ann ret",
    "annualized_volatility": "ann vol", "ann_volatility": "ann vol", "ann_vol": "ann vol",
    "ann_mean": "ann mean", "sharpe_ratio": "Sharpe", "sharpe": "Sharpe",
    "max_drawdown": "max DD", "explained_variance_ratio": "EVR", "mean_stability": "stab",
    "min_stability": "min stab", "daily_volatility": "daily vol",
    "in_sample_sharpe": "IS Sharpe", "out_of_sample_sharpe": "OOS Sharpe",
    "average_weight": "avg weight", "optimized_weight": "opt weight",
    "basket_exposure": "exposure", "test_start": "test start", "test_end": "test end",
    "return_z": "ret z", "level_deviation": "level dev", "level_z": "level z",
    "half_life": "half-life", "hit_rate": "hit rate", "holding_days": "hold days",
    "n_events": "events", "persistence": "persist", "expected_duration": "exp spell",
    "share_of_days": "share", "mean_spell_days": "mean spell",
    "position_dollars": "dollars", "target_weight": "weight",
    "composite_score": "score", "last_price": "price", "net_dollars": "net $",
    "percentile": "pctile",
}


def header_label(name: object, labels: Mapping[str, str] | None = None) -> str:
    """The printed header of column ``name``: ``labels`` first, then :data:`HEADER_LABELS`."""
    key = str(name)
    if labels and key in labels:
        return labels[key]
    return HEADER_LABELS.get(key, key)


def _cell(v: object, float_format: str) -> str:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else str(v)
    if isinstance(v, float):
        return "" if pd.isna(v) else float_format.format(v)
    return "" if v is None else str(v)


def table(frame: pd.DataFrame, title: str | None = None, index: bool = True,
          float_format: str = "{:,.4f}", max_rows: int = 40,
          columns: Sequence[str] | None = None,
          labels: Mapping[str, str] | None = None,
          formats: Mapping[str, str] | None = None) -> Table:
    """A rich Table from a DataFrame (first ``max_rows`` rows).

    ``columns`` picks (and orders) the columns shown, default all; headers are the short labels
    of :func:`header_label` (``labels`` overrides them); ``formats`` maps a column to its own
    number format (default ``float_format``). Numbers and short values never wrap;
    when the table is wider than the console, rich narrows the text columns, which wrap at
    spaces and fold inside a word only when a word is wider than its column.
    """
    if columns is not None:
        frame = frame[list(columns)]
    t = Table(title=title, show_lines=False, header_style="bold")
    names = ([frame.index.name or ""] if index else []) + list(frame.columns)
    rows = []
    for idx, *row in frame.head(max_rows).itertuples(index=True, name=None):  # keeps dtypes
        if isinstance(idx, pd.Timestamp) and idx == idx.normalize():
            idx = idx.strftime("%Y-%m-%d")
        rows.append(([str(idx)] if index else [])
                    + [_cell(v, (formats or {}).get(str(c), float_format))
                       for c, v in zip(frame.columns, row)])
    offset = 1 if index else 0
    for j, name in enumerate(names):
        is_index = j < offset
        dtype = None if is_index else frame.dtypes.iloc[j - offset]
        numeric = dtype is not None and pd.api.types.is_numeric_dtype(dtype) \
            and not pd.api.types.is_bool_dtype(dtype)
        widest = max((len(cells[j]) for cells in rows), default=0)
        header = header_label(name, labels) if not is_index else str(name)
        # numbers and short ids keep their width (rich narrows only the text columns)
        t.add_column(Text(header), justify="right" if numeric else "left", overflow="fold",
                     no_wrap=numeric or widest <= 10)
    for cells in rows:  # Text, not markup: a "[...]" in a name or label is printed as is
        t.add_row(*(Text(c) for c in cells))
    if len(frame) > max_rows:
        t.caption = f"... {len(frame) - max_rows} more rows"
    return t


def kv_table(items: dict, title: str | None = None) -> Table:
    """A two-column table of key/value pairs."""
    t = Table(title=title, show_header=False)
    t.add_column(style="bold", overflow="fold")
    t.add_column(overflow="fold")
    for k, v in items.items():
        t.add_row(str(k), str(v))
    return t


@contextmanager
def progress_factory() -> Iterator[Callable[[str, int | None], Callable[..., None]]]:
    """Yields ``make(label, total) -> advance(done=None, info="", total=None)`` backed by one
    rich Progress (``total`` sets or corrects the bar's total).

    Hidden when stderr is not a terminal (CI, pipes): no progress noise in captured output.
    """
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err_console, transient=True, disable=not sys.stderr.isatty(),
    )

    def make(label: str, total: int | None) -> Callable[..., None]:
        task = progress.add_task(label, total=total, info="")

        def advance(done: int | None = None, info: str = "", total: int | None = None) -> None:
            if total is not None:  # a step may learn its total once it starts
                progress.update(task, total=total)
            if done is None:
                progress.advance(task)
            else:
                progress.update(task, completed=done)
            if info:
                progress.update(task, info=info)

        return advance

    with progress:
        yield make
