"""The ``files`` provider: the user's own CSV or Parquet prices, long or wide.

Long: columns ``date``, ``symbol`` (or ``ticker``) and ``adj_close`` or ``close``, optionally
open/high/low/volume/dividend/split. Wide: a ``date`` column and one price column per symbol.
Column names are matched case-insensitively. Every problem is reported as one
:class:`~equity_factors.errors.DataError` naming the file, the first offending row and the fix;
nothing is written to the store unless the whole file is valid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from equity_factors.data.providers.base import BARS_COLUMNS
from equity_factors.errors import DataError

DATE_NAMES = ("date", "timestamp", "datetime", "day")
SYMBOL_NAMES = ("symbol", "ticker")
PRICE_FIELDS = ("open", "high", "low", "close", "adj_close", "volume", "dividend", "split")
_ALIASES = {"adjclose": "adj_close", "adj close": "adj_close", "adjusted_close": "adj_close",
            "adjusted close": "adj_close"}


def read_price_file(path: str | Path) -> pd.DataFrame:
    """Read and validate a price file; returns a long frame with :data:`BARS_COLUMNS`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; give the path of a CSV or Parquet price file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".gz"):
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif suffix in (".parquet", ".pq"):
            raw = pd.read_parquet(path)
        else:
            raise DataError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet")
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault
        raise DataError(f"{path}: cannot be read as {suffix[1:]} ({exc}); check the file") from None
    if raw.empty:
        raise DataError(f"{path}: the file has no rows")
    columns = {str(c).strip().lower(): c for c in raw.columns}
    renamed = {orig: _ALIASES.get(low, low) for low, orig in columns.items()}
    frame = raw.rename(columns=renamed)
    date_col = next((c for c in DATE_NAMES if c in frame.columns), None)
    if date_col is None:
        raise DataError(f"{path}: no date column (looked for {', '.join(DATE_NAMES)}); "
                        "name the column of dates 'date' (YYYY-MM-DD)")
    frame = frame.rename(columns={date_col: "date"})
    frame["date"] = _parse_dates(frame["date"], path)
    symbol_col = next((c for c in SYMBOL_NAMES if c in frame.columns), None)
    long = _from_long(frame, symbol_col, path) if symbol_col else _from_wide(frame, path)
    _check_values(long, path)
    dup = long.duplicated(["date", "symbol"], keep=False)
    if dup.any():
        first = long[dup].iloc[0]
        raise DataError(
            f"{path}: {int(dup.sum())} rows repeat a (date, symbol) pair (first: "
            f"{first['date']:%Y-%m-%d} {first['symbol']}); keep one row per symbol per day")
    return long.sort_values(["symbol", "date"]).reset_index(drop=True)


def _parse_dates(values: pd.Series, path: Path) -> pd.Series:
    text = values.astype(str).str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}: {int(bad.sum())} dates cannot be read (first: row {pos + 2}, "
            f"{text.iloc[pos]!r}); write dates as YYYY-MM-DD")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.normalize()


def _numeric(values: pd.Series, column: str, path: Path) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype(str).str.strip()
    empty = text.isin(["", "nan", "NaN", "NA", "null", "None"])
    out = pd.to_numeric(text.where(~empty), errors="coerce")
    bad = out.isna() & ~empty
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}: column {column!r} has {int(bad.sum())} non-numeric values (first: row "
            f"{pos + 2}, {text.iloc[pos]!r}); use plain numbers, empty for missing")
    return out.astype(float)


def _from_long(frame: pd.DataFrame, symbol_col: str, path: Path) -> pd.DataFrame:
    frame = frame.rename(columns={symbol_col: "symbol"})
    if "adj_close" not in frame.columns and "close" not in frame.columns:
        raise DataError(f"{path}: a long file needs a 'close' or 'adj_close' column")
    out = pd.DataFrame({"date": frame["date"], "symbol": frame["symbol"].astype(str).str.strip()})
    if (out["symbol"] == "").any():
        raise DataError(f"{path}: some rows have an empty symbol; fill in the symbol column")
    for field in PRICE_FIELDS:
        out[field] = _numeric(frame[field], field, path) if field in frame.columns else np.nan
    if "adj_close" not in frame.columns:
        out["adj_close"] = out["close"]
    if "close" not in frame.columns:
        out["close"] = out["adj_close"]
    out = out.dropna(subset=["adj_close"])
    return out[list(BARS_COLUMNS)]


def _from_wide(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    symbols = [c for c in frame.columns if c != "date"]
    if not symbols:
        raise DataError(f"{path}: a wide file needs one price column per symbol after 'date'")
    if frame["date"].duplicated().any():
        d = frame.loc[frame["date"].duplicated(), "date"].iloc[0]
        raise DataError(f"{path}: the date {d:%Y-%m-%d} appears twice; keep one row per day")
    values = pd.DataFrame({s: _numeric(frame[s], str(s), path) for s in symbols})
    values.index = frame["date"]
    long = values.stack().rename("adj_close").reset_index()
    long.columns = ["date", "symbol", "adj_close"]
    long = long.dropna(subset=["adj_close"])
    long["symbol"] = long["symbol"].astype(str).str.strip().str.upper()
    long["close"] = long["adj_close"]
    for col in BARS_COLUMNS:
        if col not in long.columns:
            long[col] = np.nan
    return long[list(BARS_COLUMNS)]


def _check_values(long: pd.DataFrame, path: Path) -> None:
    for field in ("open", "high", "low", "close", "adj_close"):
        bad = long[field].notna() & (long[field] <= 0)
        if bad.any():
            row = long[bad].iloc[0]
            raise DataError(
                f"{path}: {int(bad.sum())} {field} prices are zero or negative (first: "
                f"{row['date']:%Y-%m-%d} {row['symbol']} {row[field]}); prices must be > 0")
    if (long["volume"].notna() & (long["volume"] < 0)).any():
        raise DataError(f"{path}: negative volume; volumes must be >= 0")
    if long.empty:
        raise DataError(f"{path}: no prices found")
