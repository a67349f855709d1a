"""``csv_bytes`` writes exactly what ``DataFrame.to_csv`` writes (oracle: pandas itself), on its
fast path for plain tables and on the fallback for everything else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.data.outputs import _plain_csv, csv_bytes

TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"'\n\r;x-é")), max_size=6)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.sampled_from([0.0, -0.0, 1e16, 1e-5, 123456789.0, 0.1, 2.5e-300]))


@st.composite
def frames(draw):
    n = draw(st.integers(0, 25))
    kind = draw(st.sampled_from(["dates", "range", "strings", "ints"]))
    if kind == "dates":
        index = pd.bdate_range("2020-01-01", periods=n, name=draw(st.sampled_from([None, "date"])))
    elif kind == "range":
        index = pd.RangeIndex(n)
    elif kind == "strings":
        index = pd.Index(draw(st.lists(TEXT, min_size=n, max_size=n)), dtype=object,
                         name="symbol")
    else:
        index = pd.Index(draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)))
    data = {}
    for j in range(draw(st.integers(1, 5))):
        col = draw(st.sampled_from(["float", "int", "bool", "str", "Int64", "object"]))
        name = f"c{j}" if j else draw(st.sampled_from(["c0", "p,1", 'q"', "x y"]))
        if col == "float":
            data[name] = np.array(draw(st.lists(FLOATS, min_size=n, max_size=n)), dtype=float)
        elif col == "int":
            data[name] = np.array(draw(st.lists(st.integers(-2**62, 2**62), min_size=n,
                                                max_size=n)), dtype=np.int64)
        elif col == "bool":
            data[name] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)),
                                  dtype=bool)
        elif col == "Int64":
            data[name] = pd.array(draw(st.lists(st.one_of(st.none(), st.integers(-2**62, 2**62)),
                                                min_size=n, max_size=n)), dtype="Int64")
        elif col == "object":  # text with None and NaN in an object column
            data[name] = pd.Series(draw(st.lists(st.one_of(TEXT, st.none(), st.just(np.nan)),
                                                 min_size=n, max_size=n)), dtype=object,
                                   index=range(n)).to_numpy()
        else:  # pandas' text dtype (missing values allowed)
            data[name] = pd.array(draw(st.lists(st.one_of(TEXT, st.none()), min_size=n,
                                                max_size=n)), dtype="str")
    return pd.DataFrame(data, index=index)


@settings(max_examples=150, deadline=None)
@given(frames(), st.booleans(), st.sampled_from([None, "%.6g", "%.12g", "%.4f", "%.3e"]))
def test_same_bytes_as_pandas(frame, index, float_format):
    assert _plain_csv(frame, index, float_format) is not None  # the fast path was taken
    assert csv_bytes(frame, index=index, float_format=float_format) == \
        frame.to_csv(index=index, float_format=float_format).encode()


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": [1.5, np.nan]}, index=pd.DatetimeIndex(["2020-01-01 10:00", "2020-01-02"])),
    pd.DataFrame({"a": [1.5, 2.0]}, index=pd.date_range("2020-01-01", periods=2, tz="UTC")),
    pd.DataFrame({"a": pd.array([1, None], dtype="Int32")}),
    pd.DataFrame({"a": pd.Categorical(["x", "y"])}),
    pd.DataFrame({"a": pd.Series([1, "x"], dtype=object)}),
    pd.DataFrame({"a": np.array([1.5, 2.25], dtype=np.float32)}),
    pd.DataFrame({"a": pd.to_datetime(["2020-01-01", "2020-01-02"])}),
    pd.DataFrame({("a", "b"): [1.0, 2.0]}),
    pd.DataFrame({1: [1.0, 2.0]}),
    pd.DataFrame({"a": [1.0, 2.0]}, index=pd.MultiIndex.from_tuples([("x", 1), ("y", 2)])),
    pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index([0.5, 1.5])),
], ids=["intraday", "tz", "nullable-int", "categorical", "mixed-objects", "float32",
        "datetime-column", "tuple-columns", "int-columns", "multiindex", "float-index"])
def test_other_tables_go_to_pandas(frame):
    assert _plain_csv(frame, True, "%.6g") is None
    assert csv_bytes(frame, float_format="%.6g") == frame.to_csv(float_format="%.6g").encode()


def test_edge_shapes():
    for frame in (pd.DataFrame(), pd.DataFrame(index=pd.RangeIndex(3)), pd.DataFrame({"a": []}),
                  pd.DataFrame({"": [1.0, 2.0]}), pd.DataFrame({"a": [np.nan]})):
        for index in (True, False):
            assert csv_bytes(frame, index=index, float_format="%.6g") == \
                frame.to_csv(index=index, float_format="%.6g").encode()


def test_daily_result_table():
    """The shape of ``regime_path.csv``: dates, integer codes, labels and probabilities."""
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("1994-01-03", periods=7800, name="date")
    frame = pd.DataFrame({"regime": rng.integers(0, 3, len(dates)),
                          "label": rng.choice(["calm bull", "stressed, bear"], len(dates)),
                          "p_regime_0": rng.random(len(dates)),
                          "market_return": rng.normal(0, 0.01, len(dates))}, index=dates)
    frame.iloc[:30, 2:] = np.nan
    assert csv_bytes(frame, float_format="%.6g") == frame.to_csv(float_format="%.6g").encode()
