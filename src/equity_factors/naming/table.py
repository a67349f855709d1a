"""The factor_names table: per factor its name, who named it and the main evidence figures."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from equity_factors.errors import UserError
from equity_factors.naming.evidence import MARKET_REFERENCES, FactorEvidence, format_holdings
from equity_factors.naming.offline import STYLES, FactorName, short_sector

#: Columns every names table starts with (the contract of ``factor_names.csv``).
NAME_COLUMNS: tuple[str, ...] = ("factor", "name", "description", "confidence", "namer")
#: Themes whose signed scores are written as ``score_<theme>`` (used to match names later).
SCORE_THEMES: tuple[str, ...] = ("market", "sector", *STYLES)
#: Characteristics whose exposure is written as ``exposure_<name>`` when known.
EXPOSURE_COLUMNS: tuple[str, ...] = ("size", "value", "earnings_yield", "momentum",
                                     "low_volatility", "beta")


def _best_reference(ev: FactorEvidence) -> tuple[str, float]:
    """The reference with the largest |correlation|: raw for market series, market-neutral
    for the rest (marked ``(neutral)``)."""
    options = [(abs(v), k, v) for k, v in ev.reference_corr.items()
               if k in MARKET_REFERENCES and math.isfinite(v)]
    options += [(abs(v), f"{k} (neutral)", v) for k, v in ev.neutral_corr.items()
                if math.isfinite(v)]
    if not options:
        return "", float("nan")
    _, label, value = max(options, key=lambda o: (o[0], o[1]))
    return label, value


def names_frame(evidence: Sequence[FactorEvidence], names: Sequence[FactorName]) -> pd.DataFrame:
    """Assemble the names table.

    Parameters
    ----------
    evidence : sequence of FactorEvidence
    names : sequence of FactorName
        One per factor, same order.

    Returns
    -------
    DataFrame of shape (n_factors, n_columns)
        ``factor, name, description, confidence, namer`` then: ``theme`` (the offline rules'
        verdict), ``top_holdings`` / ``bottom_holdings`` ("SYM:+0.0812, ..."),
        ``top_sector_long`` / ``top_sector_short`` (largest / smallest sector tilt),
        ``sector_r2``, ``net_weight``, ``long_share``, ``corr_market``, ``best_reference``,
        ``best_reference_corr``, ``exposure_<characteristic>`` (weighted average z-score),
        ``score_<theme>`` (signed theme scores of the rules), ``evidence_hash``,
        ``kept_previous`` (False here; see
        :func:`~equity_factors.naming.stability.stabilize_names`).
    """
    if len(evidence) != len(names):
        raise UserError("names and evidence differ in length; name every factor once")
    rows = []
    for ev, nm in zip(evidence, names):
        if ev.factor != nm.factor:
            raise UserError(f"name of {nm.factor} given for factor {ev.factor}; keep one order")
        tilt = ev.sector_tilt
        best_label, best_corr = _best_reference(ev)
        market_corr = next((ev.reference_corr[k] for k in MARKET_REFERENCES
                            if k in ev.reference_corr), float("nan"))
        row = {
            "factor": ev.factor, "name": nm.name, "description": nm.description,
            "confidence": float(nm.confidence), "namer": nm.namer, "theme": nm.theme,
            "top_holdings": format_holdings(ev.top_holdings),
            "bottom_holdings": format_holdings(ev.bottom_holdings),
            "top_sector_long": (short_sector(max(tilt, key=lambda s: (tilt[s], s)))
                                if tilt else ""),
            "top_sector_short": (short_sector(min(tilt, key=lambda s: (tilt[s], s)))
                                 if tilt else ""),
            "sector_r2": ev.sector_r2, "net_weight": ev.net, "long_share": ev.long_share,
            "corr_market": market_corr, "best_reference": best_label,
            "best_reference_corr": best_corr,
        }
        for c in EXPOSURE_COLUMNS:
            row[f"exposure_{c}"] = ev.exposures.get(c, float("nan"))
        for t in SCORE_THEMES:
            row[f"score_{t}"] = float(nm.scores.get(t, float("nan")))
        row["evidence_hash"] = ev.digest()
        row["kept_previous"] = False
        rows.append(row)
    frame = pd.DataFrame(rows)
    empty = [f"exposure_{c}" for c in EXPOSURE_COLUMNS if frame[f"exposure_{c}"].isna().all()]
    frame = frame.drop(columns=empty)
    for col in frame.columns:
        if col.startswith(("score_", "exposure_")) or col in ("confidence", "sector_r2",
                                                              "net_weight", "long_share",
                                                              "corr_market",
                                                              "best_reference_corr"):
            frame[col] = frame[col].astype(np.float64)
    return frame


__all__ = ["EXPOSURE_COLUMNS", "NAME_COLUMNS", "SCORE_THEMES", "names_frame"]
