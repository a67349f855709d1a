"""Importing the user's own price files: long and wide, CSV and Parquet, and every bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.data.providers.files import read_price_file
from equity_factors.errors import DataError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_long_csv_with_ohlcv(tmp_path):
    path = write(tmp_path, "p.csv", "Date,Symbol,Open,High,Low,Close,Adj Close,Volume\n"
                 "2020-01-02,AAA,10,11,9,10.5,10.4,100\n2020-01-03,AAA,10.5,12,10,11,10.9,200\n"
                 "2020-01-02,BBB,5,5,5,5,5,\n")
    long = read_price_file(path)
    assert long["symbol"].tolist() == ["AAA", "AAA", "BBB"]
    assert long["adj_close"].tolist() == [10.4, 10.9, 5.0]
    assert long["volume"].isna().tolist() == [False, False, True]


def test_long_close_only_sets_adj_close(tmp_path):
    path = write(tmp_path, "p.csv", "date,ticker,close\n2020-01-02,AAA,10\n")
    assert read_price_file(path)["adj_close"].tolist() == [10.0]


def test_wide_csv_and_parquet_agree(tmp_path):
    wide = pd.DataFrame({"date": ["2020-01-02", "2020-01-03"], "AAA": [1.0, 1.1],
                         "BBB": [2.0, np.nan]})
    csv = tmp_path / "w.csv"
    wide.to_csv(csv, index=False)
    pq = tmp_path / "w.parquet"
    wide.to_parquet(pq)
    a, b = read_price_file(csv), read_price_file(pq)
    assert len(a) == 3
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("text, message", [
    ("day_x,AAA\n2020-01-02,1\n", "no date column"),
    ("date,AAA\n2020-01-02,1\n2020-02-31,2\n", "dates cannot be read.*row 3.*2020-02-31"),
    ("date,symbol,close\n2020-01-02,A,1\n2020-01-02,A,2\n", "repeat a \\(date, symbol\\) pair"),
    ("date,AAA\n2020-01-02,1\n2020-01-02,2\n", "appears twice"),
    ("date,symbol,close\n2020-01-02,A,-1\n", "zero or negative"),
    ("date,AAA\n2020-01-02,0\n", "zero or negative"),
    ("date,symbol,close\n2020-01-02,A,abc\n", "non-numeric.*'abc'"),
    ("date,symbol,open\n2020-01-02,A,1\n", "needs a 'close' or 'adj_close'"),
    ("date\n", "no rows"),
])
def test_bad_files_raise_one_clear_error(tmp_path, text, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError, match=message) as info:
        read_price_file(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_price_file(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="unknown file type"):
        read_price_file(write(tmp_path, "p.xlsx", "x"))
