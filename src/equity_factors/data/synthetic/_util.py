"""Array helpers shared by the simulation steps (unit-variance Student-t draws, row-wise
cumulative products, fast string columns, wide frames)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa


def _student_t(rng: np.random.Generator, df: float, size: tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance (df > 2)."""
    return rng.standard_t(df, size=size) * math.sqrt((df - 2.0) / df)


def _cumprod_rows(growth: np.ndarray, start: np.ndarray) -> np.ndarray:
    """``start * cumprod(growth, axis=0)`` by a loop over rows (numpy's axis-0 cumprod is slow)."""
    out = np.empty_like(growth)
    np.multiply(start, growth[0], out=out[0])
    for t in range(1, growth.shape[0]):
        np.multiply(out[t - 1], growth[t], out=out[t])
    return out


def _str_take(values: Iterable[object], idx: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[idx]`` as a pandas ``str`` array, built in Arrow (much faster than objects)."""
    table = pa.array([str(v) for v in values], type=pa.large_string())
    return pd.array(table.take(pa.array(np.asarray(idx, dtype=np.int64))), dtype="str")


def _wide_factory(
    dates: pd.DatetimeIndex, symbols: pd.Index
) -> Callable[[np.ndarray], pd.DataFrame]:
    """A function turning an array of shape (n_dates, n_symbols) into a wide frame."""

    def make(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=dates.copy(), columns=symbols.copy(), copy=False)

    return make
