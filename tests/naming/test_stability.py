"""Stable names: matched factors keep earlier names unless the evidence changed materially."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.errors import UserError
from equity_factors.naming.evidence import FactorEvidence
from equity_factors.naming.offline import name_offline
from equity_factors.naming.stability import MATERIAL_CHANGE, stabilize_names, unique_names
from equity_factors.naming.table import NAME_COLUMNS, names_frame


def _ev(factor: str, **kw) -> FactorEvidence:
    base = dict(factor=factor, as_of=pd.Timestamp("2024-01-02"), n_assets=200, n_long=100,
                n_short=100, net=0.0, long_share=0.5, top_holdings=(("AAA", 0.02),),
                bottom_holdings=(("ZZZ", -0.02),))
    base.update(kw)
    return FactorEvidence(**base)


def _table(shift: float = 0.0, momentum: float = 0.8) -> pd.DataFrame:
    tilt = {"Energy": 0.3, "Financials": 0.0, "Utilities": -0.25}
    evidence = [
        _ev("F1", n_long=200, n_short=0, net=1.0, long_share=1.0,
            reference_corr={"market": 0.97}),
        _ev("F2", char_corr={"value": 0.75 + shift, "size": -0.1}),
        _ev("F3", char_corr={"momentum": momentum}),
        _ev("F4", sector_net=tilt, sector_tilt=tilt, sector_r2=0.7),
    ]
    return names_frame(evidence, name_offline(evidence))


def test_table_columns():
    t = _table()
    assert tuple(t.columns[:5]) == NAME_COLUMNS
    assert {"theme", "top_holdings", "top_sector_long", "best_reference", "score_value",
            "evidence_hash", "kept_previous"} <= set(t.columns)
    assert list(t["name"]) == ["Market beta", "Value", "Momentum", "Energy vs Utilities"]


def test_unchanged_evidence_keeps_earlier_names_even_hand_edited_ones():
    previous = _table()
    previous["name"] = [f"My name {i}" for i in range(4)]
    previous["namer"] = "llm:some-model"
    out = stabilize_names(_table(), previous)
    assert list(out["name"]) == list(previous["name"])
    assert out["kept_previous"].all() and (out["namer"] == "llm:some-model").all()


def test_small_moves_keep_and_material_moves_rename():
    previous = _table()
    previous.loc[previous["factor"] == "F2", "name"] = "Cheap stocks"
    kept = stabilize_names(_table(shift=MATERIAL_CHANGE - 0.05), previous)
    assert kept.set_index("factor").at["F2", "name"] == "Cheap stocks"
    moved = stabilize_names(_table(shift=-(MATERIAL_CHANGE + 0.1)), previous)
    assert moved.set_index("factor").at["F2", "name"] == "Value"
    assert not moved.set_index("factor").at["F2", "kept_previous"]


def test_a_sign_flip_is_a_material_change():
    previous = _table()
    previous.loc[previous["factor"] == "F3", "name"] = "Winners"
    flipped = stabilize_names(_table(momentum=-0.8), previous).set_index("factor")
    assert flipped.at["F3", "name"] == "Reversal (anti-momentum)"
    assert not flipped.at["F3", "kept_previous"]


def test_names_follow_the_evidence_when_factor_ids_are_reordered():
    previous = _table()
    previous["name"] = ["A", "B", "C", "D"]
    current = _table()
    current["factor"] = ["F3", "F1", "F4", "F2"]  # a refit that orders factors differently
    out = stabilize_names(current, previous)
    assert list(out["name"]) == ["A", "B", "C", "D"]
    assert list(out["factor"]) == ["F3", "F1", "F4", "F2"]


def test_previous_read_back_from_csv(tmp_path):
    previous = _table()
    previous.loc[0, "name"] = "Broad market"
    path = tmp_path / "factor_names.csv"
    previous.to_csv(path, index=False)
    out = stabilize_names(_table(), pd.read_csv(path))
    assert out.at[0, "name"] == "Broad market" and out["kept_previous"].all()
    assert out["confidence"].dtype == np.float64


def test_kept_names_stay_unique():
    previous = _table()
    previous["name"] = ["X", "Y", "Z (2)", "W"]
    out = stabilize_names(_table(), previous)
    assert list(out["name"]) == ["X", "Y", "Z", "W"]  # the old repeat number is dropped
    frame = pd.DataFrame({"name": ["A", "A", "A"], "kept_previous": [False, True, False]})
    assert list(unique_names(frame)["name"]) == ["A (2)", "A", "A (3)"]


def test_no_previous_changes_nothing_and_bad_previous_is_a_user_error():
    t = _table()
    pd.testing.assert_frame_equal(stabilize_names(t, None), t)
    with pytest.raises(UserError, match="theme"):
        stabilize_names(t, t[["factor", "name"]])
