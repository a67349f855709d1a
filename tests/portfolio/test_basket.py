"""Tests for portfolio.basket: composite scores, selection, capped sizing, whole shares, diffs."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.portfolio import (
    BASKET_COLUMNS,
    DIFF_COLUMNS,
    Basket,
    BasketSpec,
    build_basket,
    composite_scores,
    diff_baskets,
    factor_exposure,
)
from equity_factors.portfolio.basket import _capped_weights

HYP = settings(max_examples=50, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])


def _universe(n: int, seed: int) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    tickers = [f"T{i:04d}" for i in range(n)]
    scores = pd.Series(rng.normal(0, 0.01, n), index=tickers)
    prices = pd.Series(np.round(rng.lognormal(np.log(60), 1.0, n), 2) + 0.5, index=tickers)
    return scores, prices


# --------------------------------------------------------------------------------------------
# composite scores
# --------------------------------------------------------------------------------------------

def test_composite_scores_match_naive_loop():
    rng = np.random.default_rng(1)
    w = pd.DataFrame(rng.normal(size=(7, 4)), index=list("ABCDEFG"),
                     columns=["F1", "F2", "F3", "F4"])
    w = w / w.abs().sum()
    theta = pd.Series({"F3": 0.7, "F1": -0.2, "F4": 0.1})
    out = composite_scores(w, theta)
    for t in w.index:  # oracle: the definition, one stock at a time
        expect = sum(theta[f] * w.loc[t, f] for f in theta.index)
        assert out.scores[t] == pytest.approx(expect, abs=1e-15)
        for f in theta.index:
            assert out.contributions.loc[t, f] == pytest.approx(theta[f] * w.loc[t, f])
    assert list(out.contributions.columns) == ["F3", "F1", "F4"]  # F2 unused
    np.testing.assert_allclose(out.contributions.sum(axis=1), out.scores)


def test_composite_scores_errors_and_nan():
    w = pd.DataFrame({"F1": [0.5, -0.5, np.nan], "F2": [0.2, 0.3, -0.5]}, index=["A", "B", "C"])
    with pytest.raises(UserError, match="F9.*not in the fitted factor portfolios"):
        composite_scores(w, pd.Series({"F1": 1.0, "F9": 0.5}))
    with pytest.raises(UserError, match="empty"):
        composite_scores(w, pd.Series(dtype=float))
    with pytest.raises(UserError, match="not finite"):
        composite_scores(w, pd.Series({"F1": np.nan}))
    out = composite_scores(w, pd.Series({"F1": 1.0, "F2": 1.0}))
    assert np.isnan(out.scores["C"])  # a stock with an unknown weight gets no score
    assert out.scores["A"] == pytest.approx(0.7)
    assert composite_scores(w, pd.Series({"F2": 2.0})).scores["C"] == pytest.approx(-1.0)


# --------------------------------------------------------------------------------------------
# hand-built example with a known answer
# --------------------------------------------------------------------------------------------

HAND_SCORES = pd.Series({"A": 0.04, "B": 0.01, "C": 0.005, "D": 0.0, "E": -0.001,
                         "F": -0.002, "G": 0.003, "H": -0.004, "I": -0.02, "J": -0.03})
HAND_PRICES = pd.Series({"A": 100.0, "B": 30.0, "C": 10.0, "D": 10.0, "E": 10.0,
                         "F": 10.0, "G": 10.0, "H": 10.0, "I": 70.0, "J": 50.0})


def test_hand_built_basket():
    # capital 10,000, n = 0, g = 1: long book 5,000, short book 5,000; 10 stocks, 20% -> 2 each.
    # Longs A (0.04), B (0.01): weights 0.04/0.05 * 0.5 = 0.4 and 0.1 -> $4,000 and $1,000
    #   -> 40 shares of A at 100, floor(1000/30) = 33 shares of B ($990).
    # Shorts J (-0.03), I (-0.02): 0.3 and 0.2 -> $3,000 and $2,000
    #   -> -60 shares of J at 50, -floor(2000/70) = -28 shares of I ($1,960).
    spec = BasketSpec(long_pct=0.2, short_pct=0.2, capital=10_000, net_exposure=0.0)
    b = build_basket(HAND_SCORES, spec, HAND_PRICES,
                     sectors=pd.Series({"A": "Tech", "B": "Energy", "J": "Tech"}))
    p = b.positions
    assert list(p.columns) == list(BASKET_COLUMNS)
    assert p["ticker"].tolist() == ["A", "B", "I", "J"]  # ranked by composite, descending
    assert p["side"].tolist() == ["LONG", "LONG", "SHORT", "SHORT"]
    np.testing.assert_allclose(p["target_weight"], [0.4, 0.1, -0.2, -0.3])
    assert p["shares"].tolist() == [40, 33, -28, -60]
    np.testing.assert_allclose(p["position_dollars"], [4000, 990, -1960, -3000])
    assert p["sector"].tolist() == ["Tech", "Energy", "Unknown", "Tech"]
    s = b.summary()
    assert (s.long_dollars, s.short_dollars) == pytest.approx((4990, 4960))
    assert s.net_dollars == pytest.approx(30) and s.gross_dollars == pytest.approx(9950)
    assert s.residual_cash == pytest.approx(50)
    assert (s.n_long, s.n_short) == (2, 2)
    assert s.sector_net.to_dict() == pytest.approx({"Energy": 990, "Tech": 1000,
                                                    "Unknown": -1960})
    assert b.n_eligible == 10 and b.excluded.empty and b.notes == ()


def test_hand_built_cap_and_equal_sizing():
    # cap 0.35: A's 0.4 is pinned to 0.35 and the excess 0.05 goes to B (0.1 -> 0.15).
    spec = BasketSpec(long_pct=0.2, short_pct=0.2, capital=10_000, net_exposure=0.0,
                      max_weight=0.35)
    p = build_basket(HAND_SCORES, spec, HAND_PRICES).positions
    np.testing.assert_allclose(p["target_weight"], [0.35, 0.15, -0.2, -0.3])
    # equal sizing, net 0.5, gross 1.5: long book 10,000, short book 5,000.
    spec = BasketSpec(long_pct=0.2, short_pct=0.2, capital=10_000, net_exposure=0.5,
                      gross_exposure=1.5, sizing="EQUAL")
    p = build_basket(HAND_SCORES, spec, HAND_PRICES).positions
    np.testing.assert_allclose(p["target_weight"], [0.5, 0.5, -0.25, -0.25])
    assert p["shares"].tolist() == [50, 166, -35, -50]


def test_top_factor_column_format():
    w = pd.DataFrame({"F1": [-0.01, 0.5, -0.49], "F2": [0.3, 0.3, -0.4],
                      "F3": [0.024, 0.0, 0.0]}, index=["X", "Y", "Z"])
    comp = composite_scores(w, pd.Series({"F1": 0.4, "F2": 0.0, "F3": 0.5}))
    # X: F1 -0.004, F2 0 (dropped), F3 +0.012 -> largest |contribution| first
    b = build_basket(comp, BasketSpec(long_pct=0.34, short_pct=0.34, net_exposure=0.0),
                     pd.Series({"X": 10.0, "Y": 10.0, "Z": 10.0}), top_n_factors=3)
    top = dict(zip(b.positions["ticker"], b.positions["top_factors"]))
    assert top["Y"] == "F1:+0.2"
    assert top["Z"] == "F1:-0.196"
    assert "X" not in top  # middle stock, neither side
    b = build_basket(comp.scores, BasketSpec(long_pct=0.5, short_pct=0.5, net_exposure=0.0),
                     pd.Series({"X": 10.0, "Y": 10.0, "Z": 10.0}),
                     contributions=comp.contributions.loc[["X"]].rename(index={"X": "Y"}))
    assert dict(zip(b.positions["ticker"], b.positions["top_factors"]))["Y"] == \
        "F3:+0.012, F1:-0.004"


# --------------------------------------------------------------------------------------------
# invariants (hypothesis)
# --------------------------------------------------------------------------------------------

@st.composite
def basket_cases(draw):
    n = draw(st.integers(2, 300))
    long_k = draw(st.integers(1, 500))    # pct = k / 1000, so floor(pct * n) has an exact oracle
    short_k = draw(st.integers(1, 500))
    g = draw(st.sampled_from([0.5, 1.0, 1.3, 2.0]))
    u = draw(st.sampled_from([-1.0, 0.0, 1.0]) | st.floats(-1.0, 1.0))
    capital = draw(st.floats(1e3, 1e8))
    sizing = draw(st.sampled_from(["equal", "score"]))
    cap = draw(st.none() | st.floats(0.001, 1.0))
    seed = draw(st.integers(0, 2**16))
    return n, long_k, short_k, g, u * g, capital, sizing, cap, seed


def _expected_count(k: int, n: int, book: float) -> int:
    # rounding rule: a side with capital holds max(1, floor(pct * n)), one without none
    return max(1, (k * n) // 1000) if book > 0 else 0


@HYP
@given(basket_cases())
def test_basket_invariants(case):
    n, long_k, short_k, g, net, capital, sizing, cap, seed = case
    scores, prices = _universe(n, seed)
    spec = BasketSpec(long_pct=long_k / 1000, short_pct=short_k / 1000, capital=capital,
                      net_exposure=net, gross_exposure=g, sizing=sizing, max_weight=cap)
    n_long = _expected_count(long_k, n, spec.long_book)
    n_short = _expected_count(short_k, n, spec.short_book)
    long_frac, short_frac = (g + net) / 2, (g - net) / 2
    feasible = cap is None or (cap * n_long >= long_frac * (1 - 1e-12)
                               and cap * n_short >= short_frac * (1 - 1e-12))
    if not feasible:
        with pytest.raises(UserError, match="smallest feasible cap") as err:
            build_basket(scores, spec, prices)
        smallest = float(re.search(r"smallest feasible cap is ([0-9.e-]+)",
                                   str(err.value)).group(1))
        fixed = build_basket(scores, BasketSpec(
            long_pct=spec.long_pct, short_pct=spec.short_pct, capital=capital,
            net_exposure=net, gross_exposure=g, sizing=sizing, max_weight=smallest), prices)
        assert fixed.positions["target_weight"].abs().max() <= smallest + 1e-12
        return
    b = build_basket(scores, spec, prices)
    p = b.positions
    longs, shorts = p[p["side"] == "LONG"], p[p["side"] == "SHORT"]
    # counts follow the documented rounding rule; no stock on both sides
    assert (len(longs), len(shorts)) == (n_long, n_short)
    assert p["ticker"].is_unique
    assert not set(longs["ticker"]) & set(shorts["ticker"])
    # selection: every long scores at least every unselected stock, every short at most
    rest = scores.drop(p["ticker"])
    if len(longs) and len(rest):
        assert longs["composite_score"].min() >= rest.max()
    if len(shorts) and len(rest):
        assert shorts["composite_score"].max() <= rest.min()
    # signs and types
    assert (longs["target_weight"] >= 0).all() and (shorts["target_weight"] <= 0).all()
    assert (longs["shares"] >= 0).all() and (shorts["shares"] <= 0).all()
    assert p["shares"].dtype == np.int64
    np.testing.assert_allclose(p["position_dollars"], p["shares"] * p["last_price"])
    # target weights fill each side's book
    assert longs["target_weight"].sum() == pytest.approx(long_frac if n_long else 0, abs=1e-9)
    assert -shorts["target_weight"].sum() == pytest.approx(short_frac if n_short else 0,
                                                           abs=1e-9)
    # whole shares: long$ - short$ = capital * n and gross = capital * g, each within one
    # share's price per position; rounding toward zero never exceeds a target
    slack = p["last_price"].sum()
    s = b.summary()
    tol = 1e-9 * capital
    assert abs(s.long_dollars - s.short_dollars - capital * net) <= slack + tol
    assert -tol <= capital * g - s.gross_dollars <= slack + tol
    assert s.residual_cash == pytest.approx(capital * g - s.gross_dollars, abs=tol)
    assert (p["position_dollars"].abs() <= p["target_weight"].abs() * capital + tol).all()
    # the cap holds on targets and on executed dollars
    if cap is not None:
        assert (p["target_weight"].abs() <= cap + 1e-12).all()
        assert (p["position_dollars"].abs() <= cap * capital + tol).all()
    # a side without capital is reported, not silently dropped
    for side, book in (("long", spec.long_book), ("short", spec.short_book)):
        if book <= 0:
            assert any(f"{side} side gets no capital" in note for note in b.notes)


@HYP
@given(st.integers(2, 60), st.integers(0, 2**16))
def test_permuting_the_input_does_not_change_the_basket(n, seed):
    scores, prices = _universe(n, seed)
    scores.iloc[: n // 3] = 0.001  # ties: broken by ticker, not input order
    spec = BasketSpec(long_pct=0.3, short_pct=0.2, capital=1e6, net_exposure=0.2)
    perm = np.random.default_rng(seed).permutation(n)
    a = build_basket(scores, spec, prices).positions
    b = build_basket(scores.iloc[perm], spec, prices.iloc[perm[::-1]]).positions
    pd.testing.assert_frame_equal(a, b)


@HYP
@given(st.lists(st.just(0.0) | st.floats(1e-6, 10), min_size=1, max_size=40),
       st.floats(0.01, 1.0),
       st.floats(0.05, 1.0))
def test_capped_weights_match_bisection_oracle(raw, total, cap_mult):
    raw = np.array(raw)
    m = raw.size
    cap = max(total / m, cap_mult * total)  # feasible: m * cap >= total
    w = _capped_weights(raw, total, cap)
    assert w.sum() == pytest.approx(total, rel=1e-9)
    assert (w <= cap * (1 + 1e-12)).all()
    # oracle: capped proportional allocation w_i = min(cap, lam * r_i) with sum = total,
    # solved by bisection on lam (r = raw, or ones when raw is all zero); when the positive
    # raws cannot absorb the total, the zero-raw entries share the rest equally.
    r = raw if raw.sum() > 0 else np.ones(m)
    if cap * (r > 0).sum() > total * (1 + 1e-12):
        lo, hi = 0.0, 1.0
        while np.minimum(cap, hi * r).sum() < total:
            hi *= 2
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.minimum(cap, mid * r).sum() < total else (lo, mid)
        np.testing.assert_allclose(w, np.minimum(cap, hi * r), rtol=1e-7, atol=1e-12)
    else:
        pos = r > 0
        np.testing.assert_allclose(w[pos], cap, rtol=1e-9)
        np.testing.assert_allclose(w[~pos], (total - cap * pos.sum()) / (~pos).sum(),
                                   rtol=1e-7, atol=1e-12)


# --------------------------------------------------------------------------------------------
# factor exposure sign pattern
# --------------------------------------------------------------------------------------------

def _block_weights(k: int, per: int, seed: int) -> pd.DataFrame:
    """Factor k holds only its own block of stocks: half long, half short, each half 0.5."""
    rng = np.random.default_rng(seed)
    w = np.zeros((k * per, k))
    for j in range(k):
        x = rng.uniform(0.5, 1.5, per)
        x[: per // 2] *= 0.5 / x[: per // 2].sum()
        x[per // 2:] *= -0.5 / x[per // 2:].sum()
        w[j * per:(j + 1) * per, j] = x
    return pd.DataFrame(w, index=[f"S{i:03d}" for i in range(k * per)],
                        columns=[f"F{j + 1}" for j in range(k)])


@HYP
@given(st.lists(st.floats(0.05, 1.0) | st.floats(-1.0, -0.05), min_size=3, max_size=3),
       st.integers(0, 1000))
def test_factor_exposure_matches_theta_sign_pattern(theta_vals, seed):
    # Disjoint, zero-net factor portfolios; market neutral with 50%/50% and score sizing puts
    # dollars_i = capital * c_i / (2 S) (S = sum of positive composites = 0.5 sum |theta|), so
    # e_k = theta_k * sum_i w_k,i^2 / (2 S): the sign pattern of theta (up to share rounding).
    w = _block_weights(3, 10, seed)
    theta = pd.Series(theta_vals, index=w.columns)
    comp = composite_scores(w, theta)
    prices = pd.Series(np.random.default_rng(seed).uniform(5, 50, len(w)), index=w.index)
    capital = 1e8
    b = build_basket(comp, BasketSpec(long_pct=0.5, short_pct=0.5, capital=capital,
                                      net_exposure=0.0), prices, factor_weights=w)
    exp = b.summary().factor_exposure
    oracle = theta * (w**2).sum() / (2 * 0.5 * theta.abs().sum())
    np.testing.assert_allclose(exp.to_numpy(), oracle.to_numpy(), atol=1e-5)
    assert (np.sign(exp) == np.sign(theta)).all()
    # the standalone function agrees with the summary
    direct = factor_exposure(b.positions.set_index("ticker")["position_dollars"], w, capital)
    pd.testing.assert_series_equal(direct, exp)


# --------------------------------------------------------------------------------------------
# filters, notes, one-sided baskets
# --------------------------------------------------------------------------------------------

def test_filters_apply_only_where_known():
    scores = pd.Series({"A": 3.0, "B": 2.0, "C": 1.0, "D": -1.0, "E": -2.0, "F": -3.0,
                        "G": np.nan})
    prices = pd.Series({"A": 2.0, "B": 20.0, "C": 20.0, "D": 20.0, "E": 20.0, "G": 20.0})
    adv = pd.Series({"B": 1e3, "C": 1e7, "E": np.nan})  # D unknown (missing), E unknown (NaN)
    spec = BasketSpec(long_pct=0.5, short_pct=0.5, capital=1e5, net_exposure=0.0,
                      min_price=5.0, min_adv=1e6)
    b = build_basket(scores, spec, prices, adv=adv)
    assert b.excluded.to_dict() == {"A": "price below --min-price 5",
                                    "B": "ADV below --min-adv 1e+06",
                                    "F": "no last price", "G": "no composite score"}
    assert b.n_eligible == 3  # C, D, E
    assert b.positions["ticker"].tolist() == ["C", "E"]  # floor(0.5 * 3) = 1 per side
    assert any("unknown volume" in note for note in b.notes)
    # without min_adv the ADV series is ignored
    b = build_basket(scores, BasketSpec(long_pct=0.5, short_pct=0.5, net_exposure=0.0),
                     prices, adv=adv)
    assert b.n_eligible == 5


@pytest.mark.parametrize("net, missing", [(1.0, "short"), (-1.0, "long"), (2.0, "short")])
def test_side_without_capital_is_reported(net, missing):
    scores, prices = _universe(50, 3)
    spec = BasketSpec(long_pct=0.1, short_pct=0.1, capital=1e6, net_exposure=net,
                      gross_exposure=abs(net))
    b = build_basket(scores, spec, prices)
    assert f"the {missing} side gets no capital" in " ".join(b.notes)
    assert (b.positions["side"] == missing.upper()).sum() == 0
    assert len(b.positions) == 5
    s = b.summary()
    assert getattr(s, f"n_{missing}") == 0
    assert s.net_dollars == pytest.approx(1e6 * net, abs=b.positions["last_price"].sum())


def test_zero_share_and_wrong_sign_notes():
    scores = pd.Series({"A": 0.5, "B": 0.4, "C": 0.3, "D": -0.1})
    prices = pd.Series({"A": 10.0, "B": 10.0, "C": 10.0, "D": 1e6})
    b = build_basket(scores, BasketSpec(long_pct=0.5, short_pct=0.5, capital=1000,
                                        net_exposure=0.0), prices)
    assert b.positions.set_index("ticker").loc["D", "shares"] == 0
    text = " ".join(b.notes)
    assert "round to 0 shares" in text and "D" in text
    # all scores positive: the one short (D) has a score of the opposite sign, and it is said
    scores2 = pd.Series({"A": 0.5, "B": 0.4, "C": 0.3, "D": 0.1})
    b = build_basket(scores2, BasketSpec(long_pct=0.5, short_pct=0.25, capital=1e5,
                                         net_exposure=0.0), prices * 0 + 10)
    assert "opposite sign" in " ".join(b.notes)


def test_all_zero_scores_fall_back_to_equal():
    scores = pd.Series(0.0, index=list("ABCD"))
    b = build_basket(scores, BasketSpec(long_pct=0.5, short_pct=0.5, capital=1e4,
                                        net_exposure=0.0), pd.Series(1.0, index=list("ABCD")))
    np.testing.assert_allclose(b.positions["target_weight"].abs(), 0.25)
    assert "sized equally" in " ".join(b.notes)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"long_pct": 0.7}, r"--long-pct 0.7 is outside \(0, 0.5\]"),
    ({"short_pct": 0.0}, r"--short-pct 0 is outside \(0, 0.5\]"),
    ({"long_pct": -0.1}, r"--long-pct -0.1 is outside"),
    ({"long_pct": 0.6, "short_pct": 0.6}, r"\+ --short-pct 0.6 = 1.2 exceeds 1"),
    ({"net_exposure": 1.5}, r"\|--net-exposure 1.5\| exceeds --gross-exposure 1"),
    ({"net_exposure": -0.8, "gross_exposure": 0.5}, r"exceeds --gross-exposure 0.5"),
    ({"capital": -100}, r"--capital -100 must be positive"),
    ({"capital": 0}, r"--capital 0 must be positive"),
    ({"capital": float("nan")}, r"--capital .* not finite"),
    ({"gross_exposure": 0}, r"--gross-exposure 0 must be positive"),
    ({"sizing": "kelly"}, r"unknown --sizing 'kelly'; choose from: equal, score"),
    ({"max_weight": 0}, r"--max-weight 0 must be positive"),
    ({"min_price": -1}, r"--min-price -1 is negative"),
    ({"min_adv": -5}, r"--min-adv -5 is negative"),
    ({"long_pct": "abc"}, r"--long-pct 'abc' is not a number"),
])
def test_bad_spec_raises_one_line_user_error(kwargs, match):
    from equity_factors.cli.flags import flag_for
    from equity_factors.errors import ParameterError

    with pytest.raises(ValueError) as err:  # a library user catches a ValueError ...
        BasketSpec(**kwargs)
    assert isinstance(err.value, ParameterError) and isinstance(err.value, UserError)
    library = str(err.value)
    assert "\n" not in library and "--" not in library  # ... naming parameters, not flags
    assert set(err.value.params) <= set(kwargs) | {"gross_exposure", "short_pct", "long_pct"}
    # the CLI prints the same line with the flags the user typed
    assert re.search(match, err.value.with_flags(lambda s, p: flag_for("basket", s, p)))


def test_infeasible_cap_names_smallest_feasible_cap():
    scores, prices = _universe(100, 0)
    # long book 0.5 of capital over floor(0.05 * 100) = 5 stocks needs a cap of at least 0.1
    spec = BasketSpec(long_pct=0.05, short_pct=0.05, net_exposure=0.0, max_weight=0.05)
    with pytest.raises(UserError, match=r"long book.*smallest feasible cap is 0.1\b"):
        build_basket(scores, spec, prices)
    spec = BasketSpec(long_pct=0.05, short_pct=0.05, net_exposure=0.0, max_weight=0.1)
    assert build_basket(scores, spec, prices).positions["target_weight"].abs().max() == \
        pytest.approx(0.1)


def test_too_few_eligible_stocks():
    spec = BasketSpec(long_pct=0.5, short_pct=0.5, net_exposure=0.0)
    with pytest.raises(UserError, match="only 1 stock"):
        build_basket(pd.Series({"A": 1.0}), spec, pd.Series({"A": 10.0}))
    with pytest.raises(UserError, match="no stock is eligible"):
        build_basket(pd.Series({"A": 1.0}), spec, pd.Series({"B": 10.0}))
    # one stock is enough for a one-sided basket
    b = build_basket(pd.Series({"A": 1.0}), BasketSpec(net_exposure=1.0),
                     pd.Series({"A": 10.0}))
    assert b.positions["shares"].tolist() == [10_000]


# --------------------------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------------------------

def test_diff_new_removed_resized_flipped():
    prev = pd.DataFrame({"ticker": ["AAA", "BBB", "CCC", "DDD", "EEE"],
                         "shares": [100, -50, 10, 20, 7],
                         "last_price": [10.0, 20.0, 30.0, 40.0, 50.0]})
    new = pd.DataFrame({"ticker": ["AAA", "BBB", "DDD", "FFF", "EEE"],
                        "shares": [120, -40, -15, 5, 7],
                        "last_price": [11.0, 21.0, 41.0, 60.0, 51.0]})
    d = diff_baskets(prev, new)
    assert list(d.columns) == list(DIFF_COLUMNS)
    d = d.set_index("ticker")
    expect = {  # ticker: current, target, trade, action, change, price
        "AAA": (100, 120, 20, "BUY", "INCREASE", 11.0),
        "BBB": (-50, -40, 10, "BUY", "DECREASE", 21.0),
        "DDD": (20, -15, -35, "SELL", "FLIP", 41.0),
        "FFF": (0, 5, 5, "BUY", "NEW", 60.0),
        "EEE": (7, 7, 0, "HOLD", "UNCHANGED", 51.0),
        "CCC": (10, 0, -10, "SELL", "CLOSE", 30.0),  # left the basket: previous price
    }
    assert list(d.index) == ["AAA", "BBB", "DDD", "FFF", "EEE", "CCC"]
    for t, (cur, tgt, trade, action, change, price) in expect.items():
        row = d.loc[t]
        assert (row.current_shares, row.target_shares, row.trade_shares) == (cur, tgt, trade)
        assert (row.action, row.change) == (action, change)
        assert row.price == price and row.trade_dollars == pytest.approx(trade * price)
    assert d["trade_shares"].dtype == np.int64
    # applying the trades reaches the target exactly
    np.testing.assert_array_equal(d["current_shares"] + d["trade_shares"], d["target_shares"])


def test_diff_against_a_built_basket_and_bad_files():
    scores, prices = _universe(40, 5)
    b = build_basket(scores, BasketSpec(long_pct=0.1, short_pct=0.1, net_exposure=0.0),
                     prices)
    assert isinstance(b, Basket)
    same = diff_baskets(b.positions, b)
    assert (same["action"] == "HOLD").all() and (same["trade_shares"] == 0).all()
    flat = diff_baskets(pd.DataFrame({"ticker": [], "shares": []}), b)
    assert (flat["change"] == "NEW").all()
    np.testing.assert_allclose(flat["trade_dollars"], b.positions["position_dollars"])
    with pytest.raises(UserError, match="no shares column"):
        diff_baskets(pd.DataFrame({"ticker": ["A"], "position_dollars": [1.0]}), b)
    with pytest.raises(UserError, match="appears twice"):
        diff_baskets(pd.DataFrame({"ticker": ["A", "A"], "shares": [1, 2]}), b)
    with pytest.raises(UserError, match="non-whole"):
        diff_baskets(pd.DataFrame({"ticker": ["A"], "shares": [1.5]}), b)
    # CSV round trip: shares read back as floats/strings still work
    prev = pd.DataFrame({"ticker": [" T0001 "], "shares": ["12.0"]})
    assert diff_baskets(prev, b).set_index("ticker").loc["T0001", "current_shares"] == 12


def test_expected_count_helper_is_floor():
    # guards the oracle itself: 29% of 100 is 29 (float 0.29 * 100 = 28.999...)
    assert _expected_count(290, 100, 1.0) == 29 == math.floor(0.29 * 100 + 1e-9)
    assert BasketSpec(long_pct=0.29, short_pct=0.29, net_exposure=0.0).side_counts(100) == \
        (29, 29)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 6), st.integers(0, 7), st.integers(0, 2**31 - 1))
def test_top_factor_column_matches_a_row_by_row_loop(n, k, top_n, seed):
    """The vectorized column equals ranking each row on its own (oracle: a plain loop):
    largest |contribution| first, ties in column order, NaN and zeros left out."""
    from equity_factors.portfolio.basket import _top_factor_column

    rng = np.random.default_rng(seed)
    special = rng.choice([0.0, np.nan, np.inf, -np.inf, 0.5, -0.5, 1e-9], size=(n, k))
    noise = rng.normal(0, 0.1, (n, k)) * (rng.random((n, k)) < 0.5)
    values = special * rng.choice([1.0, 0.3], size=(n, k)) + noise
    tickers = pd.Index([f"T{i}" for i in range(n)])
    frame = pd.DataFrame(values, index=tickers, columns=[f"F{j + 1}" for j in range(k)])

    def naive(row):
        order = sorted(range(k), key=lambda j: -abs(np.nan_to_num(row[j])))  # stable
        return ", ".join(f"F{j + 1}:{row[j]:+.3g}" for j in order[:top_n]
                         if np.isfinite(row[j]) and row[j] != 0)

    got = _top_factor_column(frame, tickers, top_n)
    assert list(got) == ([naive(r) for r in values] if top_n else [""] * n)
