"""Terminal output helpers: one rich console, tables from DataFrames, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

# Not a terminal (pipes, CI, tests): a fixed width of 120 so tables and lines are not cut at 80.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, highlight=False)


def table(frame: pd.DataFrame, title: str | None = None, index: bool = True,
          float_format: str = "{:,.4f}", max_rows: int = 40) -> Table:
    """A rich Table from a DataFrame (first ``max_rows`` rows)."""
    t = Table(title=title, show_lines=False, header_style="bold")
    cols = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    for c in cols:
        t.add_column(c)
    for idx, row in frame.head(max_rows).iterrows():
        if isinstance(idx, pd.Timestamp) and idx == idx.normalize():
            idx = idx.strftime("%Y-%m-%d")
        cells = [str(idx)] if index else []
        for v in row:
            if isinstance(v, pd.Timestamp):
                cells.append(v.strftime("%Y-%m-%d") if v == v.normalize() else str(v))
            elif isinstance(v, float):
                cells.append("" if pd.isna(v) else float_format.format(v))
            else:
                cells.append("" if v is None else str(v))
        t.add_row(*cells)
    if len(frame) > max_rows:
        t.caption = f"... {len(frame) - max_rows} more rows"
    return t


def kv_table(items: dict, title: str | None = None) -> Table:
    """A two-column table of key/value pairs."""
    t = Table(title=title, show_header=False)
    t.add_column(style="bold")
    t.add_column()
    for k, v in items.items():
        t.add_row(str(k), str(v))
    return t


@contextmanager
def progress_factory() -> Iterator[Callable[[str, int | None], Callable[..., None]]]:
    """Yields ``make(label, total) -> advance(done=None, **fields)`` backed by one rich Progress.

    Hidden when stderr is not a terminal (CI, pipes): no progress noise in captured output.
    """
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err_console, transient=True, disable=not sys.stderr.isatty(),
    )

    def make(label: str, total: int | None) -> Callable[..., None]:
        task = progress.add_task(label, total=total, info="")

        def advance(done: int | None = None, info: str = "") -> None:
            if done is None:
                progress.advance(task)
            else:
                progress.update(task, completed=done)
            if info:
                progress.update(task, info=info)

        return advance

    with progress:
        yield make
