"""Evidence per factor: holdings, sector tilt, exposures and correlations against naive oracles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.errors import UserError
from equity_factors.naming.evidence import compute_evidence, cs_zscore, format_holdings

SECTORS = ["Energy", "Financials", "Utilities", "Information Technology"]


def _inputs(seed: int = 0, n_assets: int = 40, n_dates: int = 260):
    rng = np.random.default_rng(seed)
    symbols = [f"S{i:02d}" for i in range(n_assets)]
    dates = pd.bdate_range("2022-01-03", periods=n_dates)
    sectors = pd.Series([SECTORS[i % 4] for i in range(n_assets)], index=symbols)
    sectors.iloc[3] = None  # a stock without a sector
    w = pd.DataFrame(rng.normal(size=(n_assets, 3)), index=symbols, columns=["F1", "F2", "F3"])
    w.iloc[5, 0] = 0.0  # not held by F1
    w = w / w.abs().sum()
    returns = pd.DataFrame(rng.normal(0, 0.01, (n_dates, n_assets)), index=dates,
                           columns=symbols)
    fr = pd.DataFrame(returns.to_numpy() @ w.to_numpy(), index=dates, columns=w.columns)
    market = returns.mean(axis=1)
    refs = pd.DataFrame({"market": market,
                         "ls_x": rng.normal(0, 0.01, n_dates) + 0.3 * fr["F2"].to_numpy()},
                        index=dates)
    size = pd.DataFrame(rng.normal(size=(n_dates, n_assets)), index=dates, columns=symbols)
    size.iloc[-1, 7] = np.nan
    return w, fr, sectors, refs, {"size": size}


def test_holdings_sectors_and_exposures_match_naive_computations():
    w, fr, sectors, refs, chars = _inputs()
    ev = {e.factor: e for e in compute_evidence(w, fr, sectors=sectors, references=refs,
                                                characteristics=chars, n_holdings=3)}
    e = ev["F1"]
    col = w["F1"]
    assert e.n_assets == 40 and e.n_long == int((col > 0).sum()) and e.n_short == int(
        (col < 0).sum())
    assert e.net == pytest.approx(col.sum())
    assert [s for s, _ in e.top_holdings] == list(col.sort_values(ascending=False).index[:3])
    assert [s for s, _ in e.bottom_holdings] == list(col.sort_values().index[:3])
    # sector net weights: a groupby oracle (the stock without a sector is left out)
    naive = col.groupby(sectors).sum()
    for s, v in naive.items():
        assert e.sector_net[s] == pytest.approx(v)
    assert list(e.sector_net) == sorted(e.sector_net, key=lambda s: -e.sector_net[s])
    # exposure = sum w z with z the clipped population z-score on the last date, 0 if unknown
    x = chars["size"].iloc[-1]
    z = ((x - x.mean()) / x.std(ddof=0)).clip(-3, 3).fillna(0.0)
    assert e.exposures["size"] == pytest.approx(float((col * z).sum()))
    ok = x.notna()
    assert e.char_corr["size"] == pytest.approx(np.corrcoef(col[ok], z[ok])[0, 1])
    # time series: raw correlation and the market-neutral one (residuals of lstsq on [1, m])
    f = fr["F1"].to_numpy()
    m = refs["market"].to_numpy()
    assert e.reference_corr["market"] == pytest.approx(np.corrcoef(f, m)[0, 1])
    design = np.column_stack([np.ones_like(m), m])
    res_f = f - design @ np.linalg.lstsq(design, f, rcond=None)[0]
    y = refs["ls_x"].to_numpy()
    res_y = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert e.neutral_corr["ls_x"] == pytest.approx(np.corrcoef(res_f, res_y)[0, 1])
    assert "market" not in e.neutral_corr
    assert e.daily_volatility == pytest.approx(fr["F1"].std())


def test_sector_r2_is_the_adjusted_r2_of_a_dummy_regression():
    w, fr, sectors, refs, chars = _inputs(seed=1)
    e = compute_evidence(w, fr, sectors=sectors)[1]
    known = sectors.notna()
    y = w["F2"][known].to_numpy()
    dummies = pd.get_dummies(sectors[known]).to_numpy(dtype=float)
    fitted = dummies @ np.linalg.lstsq(dummies, y, rcond=None)[0]
    n, g = len(y), dummies.shape[1]
    r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    adj = 1 - (1 - r2) * (n - 1) / (n - g)
    assert e.sector_r2 == pytest.approx(max(adj, 0.0))


def test_a_pure_sector_portfolio_is_explained_by_sectors():
    w, fr, sectors, _, _ = _inputs(seed=2)
    pure = pd.DataFrame({"F1": np.where(sectors == "Energy", 1.0, 0.0)}, index=w.index)
    pure = pure / pure.abs().sum()
    e = compute_evidence(pure, fr[["F1"]], sectors=sectors)[0]
    assert e.sector_r2 > 0.95
    assert next(iter(e.sector_net)) == "Energy"
    assert e.sector_tilt["Energy"] > 0.7


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(40))))
def test_evidence_does_not_depend_on_stock_order(perm):
    w, fr, sectors, refs, chars = _inputs(seed=3)
    cols = [w.index[i] for i in perm]
    base = compute_evidence(w, fr, sectors=sectors, references=refs, characteristics=chars)
    moved = compute_evidence(w.loc[cols], fr, sectors=sectors.loc[cols[::-1]], references=refs,
                             characteristics={"size": chars["size"][cols]})
    assert [e.to_dict() for e in base] == [e.to_dict() for e in moved]
    assert [e.digest() for e in base] == [e.digest() for e in moved]


def test_digest_ignores_factor_id_and_is_stable():
    w, fr, sectors, refs, chars = _inputs(seed=4)
    a = compute_evidence(w, fr, sectors=sectors, references=refs, characteristics=chars)
    renamed = compute_evidence(w.rename(columns={"F1": "G9"}), fr.rename(columns={"F1": "G9"}),
                               sectors=sectors, references=refs, characteristics=chars)
    assert a[0].digest() == renamed[0].digest()
    assert len({e.digest() for e in a}) == 3


def test_cs_zscore_and_format_holdings():
    z = cs_zscore(pd.Series([1.0, 2.0, 3.0, np.nan, 100.0]))
    assert np.isnan(z.iloc[3]) and z.max() <= 3.0
    assert cs_zscore(pd.Series([1.0, 1.0])).isna().all()
    assert format_holdings((("AAPL", 0.0812), ("XOM", -0.05))) == "AAPL:+0.0812, XOM:-0.0500"


def test_bad_inputs_are_user_errors():
    w, fr, *_ = _inputs()
    with pytest.raises(UserError):
        compute_evidence(pd.DataFrame(), fr)
    with pytest.raises(UserError, match="F3"):
        compute_evidence(w, fr[["F1", "F2"]])
