"""Cross-sectional ranking: hand-built scores, tail sizes, ties, invariants, bad percentages."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.signals.cross_section import cs_composite_score, cs_rank, n_selected


def test_ranks_sides_and_sectors():
    scores = pd.Series([0.3, -1.2, 2.5, 0.0, 1.1, -0.4, 0.9, -2.0, 0.5, 1.8],
                       index=list("ABCDEFGHIJ"))
    sectors = pd.Series({"C": "Tech", "H": "Energy", "J": "Tech"})
    res = cs_rank(scores, 0.1, 0.2, sectors=sectors)
    r = res.ranking
    assert list(r.index[:3]) == ["C", "J", "E"]
    assert r.loc["C", "rank"] == 1 and r.loc["H", "rank"] == 10
    assert r.loc["C", "percentile"] == 100.0 and r.loc["H", "percentile"] == 0.0
    assert r.loc["E", "percentile"] == pytest.approx(100 * 7 / 9)
    assert list(res.long.index) == ["C"]  # ceil(0.1 * 10) = 1
    assert list(res.short.index) == ["H", "B"]  # ceil(0.2 * 10) = 2, worst first
    assert r.loc["C", "sector"] == "Tech" and r.loc["H", "sector"] == "Energy"
    assert pd.isna(r.loc["A", "sector"])
    assert (r["side"] == "").sum() == 7
    assert res.summary().loc["LONG", "count"] == 1


def test_tail_size_rule():
    assert n_selected(0.1, 25) == 3  # ceil(2.5)
    assert n_selected(0.07, 100) == 7  # 0.07 * 100 = 7.000000000000001 must not become 8
    assert n_selected(0.01, 10) == 1  # at least one
    assert n_selected(0.5, 7) == 4


def test_ties_broken_by_symbol_and_nan_dropped():
    scores = pd.Series({"b": 1.0, "a": 1.0, "c": np.nan, "d": 0.0})
    res = cs_rank(scores, 0.3, 0.3)
    assert list(res.ranking.index) == ["a", "b", "d"]
    assert list(res.ranking["side"]) == ["LONG", "", "SHORT"]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 60), top=st.floats(0.01, 0.5), bottom=st.floats(0.01, 0.5),
       seed=st.integers(0, 1000))
def test_invariants(n, top, bottom, seed):
    rng = np.random.default_rng(seed)
    scores = pd.Series(rng.standard_normal(n), index=[f"S{i:03d}" for i in range(n)])
    n_long = max(1, math.ceil(top * n - 1e-9))
    n_short = max(1, math.ceil(bottom * n - 1e-9))
    if n_long + n_short > n:
        with pytest.raises(UserError, match="too few"):
            cs_rank(scores, top, bottom)
        return
    res = cs_rank(scores, top, bottom)
    shuffled = cs_rank(scores.sample(frac=1.0, random_state=seed), top, bottom)
    pd.testing.assert_frame_equal(res.ranking, shuffled.ranking)  # order of input irrelevant
    assert len(res.long) == n_long and len(res.short) == n_short
    assert res.long["score"].min() > res.short["score"].max()
    assert list(res.ranking["rank"]) == list(range(1, n + 1))
    assert res.ranking["score"].is_monotonic_decreasing


def test_bad_percentages():
    scores = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0})
    for top, bottom in [(0.0, 0.1), (0.6, 0.1), (0.1, -0.1), (0.1, 0.51)]:
        with pytest.raises(UserError, match=r"\(0, 0.5\]"):
            cs_rank(scores, top, bottom)
    with pytest.raises(UserError, match="too few"):
        cs_rank(scores, 0.5, 0.5)  # 2 + 2 > 3
    with pytest.raises(UserError, match="twice"):
        cs_rank(pd.Series([1.0, 2.0], index=["a", "a"]))
    with pytest.raises(UserError, match="no stock"):
        cs_rank(pd.Series({"a": np.nan}))


def test_composite_score():
    exposures = pd.DataFrame({"F1": [1.0, 2.0, 3.0], "F2": [3.0, 1.0, 2.0], "F3": [5.0] * 3},
                             index=["x", "y", "z"])
    # column z-scores: F1 -> [-1, 0, 1], F2 -> [1, -1, 0], F3 constant -> 0
    eq = cs_composite_score(exposures)
    np.testing.assert_allclose(eq.to_numpy(), [0.0, -1 / 3, 1 / 3])
    w = cs_composite_score(exposures, pd.Series({"F1": 2.0, "F2": -1.0}))
    np.testing.assert_allclose(w.to_numpy(), [-3.0, 1.0, 2.0])
    with pytest.raises(UserError, match="not in the exposures"):
        cs_composite_score(exposures, pd.Series({"F9": 1.0}))
