"""Stable names across refits: a matched factor keeps its name unless its evidence changed.

The rule
    Every factor of the new table is paired with at most one factor of the previous table by an
    assignment (scipy ``linear_sum_assignment``) on the mean absolute difference of their theme
    scores (``score_<theme>`` columns, NaN counted as 0), plus ``LABEL_PENALTY`` when the factor
    ids differ (so F3 pairs with F3 when the evidence is as close; a refit that reorders the
    factors still pairs them by evidence). A paired factor keeps the previous name,
    description, confidence and namer when

    * the offline rules reach the same ``theme`` (same style(s) with the same signs, the same
      sectors on the same sides, or the market with the same sign), and
    * the score of that theme (each style of a combined one; the sector score; the market
      score) moved by at most ``MATERIAL_CHANGE`` (0.25). A ``mixed`` factor also needs the same
      top long / short sectors and no score moving by more than that.

    Otherwise the evidence changed materially and the new name stands. A factor whose sign
    flipped between two fits changes theme (value+ -> value-), so it is renamed ("Value" ->
    "Growth"): its returns are the negative of the earlier ones. The evidence columns are always
    the new ones; ``kept_previous`` says which names were carried over.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from equity_factors.errors import UserError
from equity_factors.naming.table import NAME_COLUMNS, SCORE_THEMES

MATERIAL_CHANGE = 0.25
LABEL_PENALTY = 0.05
_REPEAT = re.compile(r" \(\d+\)$")


def _scores(frame: pd.DataFrame) -> np.ndarray:
    cols = [f"score_{t}" for t in SCORE_THEMES]
    out = np.zeros((len(frame), len(cols)))
    for j, col in enumerate(cols):
        if col in frame.columns:
            out[:, j] = pd.to_numeric(frame[col], errors="coerce").fillna(0.0).to_numpy()
    return out


def _theme_scores(theme: str) -> list[str] | None:
    """Score columns a theme rests on (None = all of them, for ``mixed``)."""
    if theme.startswith("market"):
        return ["score_market"]
    if theme.startswith("sector:"):
        return ["score_sector"]
    if theme.startswith("style:"):
        return [f"score_{part[:-1]}" for part in theme[len("style:"):].split(",") if part]
    return None


def match_previous(current: pd.DataFrame, previous: pd.DataFrame) -> dict[int, int]:
    """Pair rows of ``current`` with rows of ``previous`` (positions), see the module rule.

    Returns
    -------
    dict current position -> previous position, only for pairs that keep their name.
    """
    if previous is None or len(previous) == 0 or len(current) == 0:
        return {}
    a, b = _scores(current), _scores(previous)
    diff = np.abs(a[:, None, :] - b[None, :, :])
    same_label = (current["factor"].astype(str).to_numpy()[:, None]
                  == previous["factor"].astype(str).to_numpy()[None, :])
    cost = diff.mean(axis=2) + LABEL_PENALTY * ~same_label
    rows, cols = linear_sum_assignment(cost)
    themes_now = current["theme"].astype(str).to_numpy()
    themes_then = previous["theme"].astype(str).to_numpy()
    columns = [f"score_{t}" for t in SCORE_THEMES]
    kept = {}
    for i, j in zip(rows, cols):
        if themes_now[i] != themes_then[j]:
            continue
        own = _theme_scores(themes_now[i])
        if own is None:
            sides = [c for c in ("top_sector_long", "top_sector_short")
                     if c in current.columns and c in previous.columns]
            if any(str(current[c].iloc[i]) != str(previous[c].iloc[j]) for c in sides):
                continue
            moved = float(diff[i, j].max())
        else:
            moved = max(float(diff[i, j, columns.index(c)]) for c in own if c in columns)
        if moved <= MATERIAL_CHANGE:
            kept[int(i)] = int(j)
    return kept


def stabilize_names(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Carry earlier names over to factors whose evidence did not change materially.

    Parameters
    ----------
    current : DataFrame
        A names table (:func:`~equity_factors.naming.table.names_frame`).
    previous : DataFrame or None
        An earlier names table with its evidence columns (e.g. a ``factor_names.csv`` read
        back); None or empty changes nothing.

    Returns
    -------
    DataFrame
        ``current`` with ``name, description, confidence, namer`` taken from the matched
        previous rows and ``kept_previous`` True there. Names stay unique (a kept name that
        another factor already uses wins; the other gets " (2)").
    """
    out = current.copy()
    if "kept_previous" not in out.columns:
        out["kept_previous"] = False
    if previous is None or len(previous) == 0:
        return out
    missing = [c for c in ("factor", "name", "theme") if c not in previous.columns]
    if missing:
        raise UserError(f"the previous factor names lack the column(s) {missing}; pass a "
                        "factor_names.csv written by eqf")
    previous = previous.reset_index(drop=True)
    kept = match_previous(out, previous)
    for i, j in kept.items():
        for col in NAME_COLUMNS[1:]:
            if col in previous.columns:
                value = previous.at[j, col]
                if col == "confidence":
                    value = float(pd.to_numeric(value, errors="coerce"))
                elif pd.isna(value):
                    value = ""
                elif col == "name":  # a repeat number belongs to the old table
                    value = _REPEAT.sub("", str(value))
                out.at[out.index[i], col] = value
        out.at[out.index[i], "kept_previous"] = True
    out["kept_previous"] = out["kept_previous"].astype(bool)
    return unique_names(out)


def unique_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Suffix repeated names with " (2)", " (3)"...; kept names keep theirs, then factor order."""
    out = frame.copy()
    kept = out["kept_previous"].astype(bool).to_numpy() if "kept_previous" in out \
        else np.zeros(len(out), dtype=bool)
    order = sorted(range(len(out)), key=lambda p: (not kept[p], p))
    taken = {str(out["name"].iloc[p]) for p in range(len(out)) if kept[p]}
    seen: set[str] = set()
    for p in order:
        name = str(out["name"].iloc[p])
        if name in seen:
            count = 2
            while f"{name} ({count})" in seen or f"{name} ({count})" in taken:
                count += 1
            name = f"{name} ({count})"
            out.at[out.index[p], "name"] = name
        seen.add(name)
    return out


__all__ = ["LABEL_PENALTY", "MATERIAL_CHANGE", "match_previous", "stabilize_names",
           "unique_names"]
