"""Factor-mimicking portfolios and factor matching: naive oracles and invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.factors import match_factors, mimicking_weights, portfolio_returns


def test_weights_have_unit_gross_and_keep_direction() -> None:
    b = pd.DataFrame({"F1": [2.0, 1.0, 1.0], "F2": [1.0, -3.0, 0.0], "F3": [0.0, 0.0, 0.0]},
                     index=["A", "B", "C"])
    w = mimicking_weights(b)
    # DESIGN.md section 6: w_k = B[:, k] / sum_i |B[i, k]|
    np.testing.assert_allclose(w["F1"], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(w["F2"], [0.25, -0.75, 0.0])
    np.testing.assert_allclose(w["F3"], 0.0)  # no loadings: no position, no division by 0


def test_portfolio_returns_match_a_naive_loop_and_missing_earns_zero() -> None:
    rng = np.random.default_rng(0)
    r = pd.DataFrame(rng.normal(0, 0.02, (30, 5)), columns=list("ABCDE"),
                     index=pd.bdate_range("2020-01-01", periods=30))
    r.iloc[5, 1] = np.nan
    r.iloc[10:, 3] = np.nan  # delisted
    w = pd.DataFrame(rng.normal(size=(4, 2)), index=["A", "B", "D", "Z"], columns=["F1", "F2"])
    got = portfolio_returns(r, w)
    for t in range(len(r)):
        for f in w.columns:
            expected = 0.0
            for sym in w.index:
                ret = r[sym].iloc[t] if sym in r.columns else np.nan
                expected += w.loc[sym, f] * (0.0 if np.isnan(ret) else ret)
            assert got[f].iloc[t] == pytest.approx(expected, rel=1e-12, abs=1e-15)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4))
def test_match_factors_undoes_a_permutation_and_sign_flips(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    prev = rng.normal(size=(40, k))
    perm = rng.permutation(k)
    flips = rng.choice([-1.0, 1.0], size=k)
    cur = prev[:, perm] * flips + 0.05 * rng.normal(size=(40, k))
    order, signs, stab = match_factors(prev, cur)
    aligned = cur[:, order] * signs
    for j in range(k):
        assert np.corrcoef(aligned[:, j], prev[:, j])[0, 1] > 0.9
    assert np.all((stab > 0.9) & (stab <= 1.0 + 1e-12))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_match_factors_maximizes_total_abs_cosine_like_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    prev, cur = rng.normal(size=(15, 3)), rng.normal(size=(15, 3))
    order, signs, stab = match_factors(prev, cur)

    def cos(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    best = max(itertools.permutations(range(3)),
               key=lambda p: sum(abs(cos(prev[:, j], cur[:, p[j]])) for j in range(3)))
    assert sum(stab) == pytest.approx(sum(abs(cos(prev[:, j], cur[:, best[j]]))
                                          for j in range(3)))
    for j in range(3):  # signs make every matched cosine non-negative
        assert cos(prev[:, j], signs[j] * cur[:, order[j]]) >= 0
