"""Walk-forward backtests, costs and attribution (pure).

The engine (:func:`run_engine`) turns target weights into daily gross, cost and net returns,
holdings, positions and trades under a :class:`CostModel`; :mod:`.attribution` splits the
returns into factor, specific and cost parts and Brinson-Fachler sector effects;
:mod:`.summary` gives the tear-sheet statistics. No I/O here (see ``docs/backtest.md``).
"""

from __future__ import annotations

from equity_factors.backtest.attribution import (
    CASH,
    BrinsonResult,
    brinson_fachler,
    carino_factors,
    factor_attribution,
    factor_exposures,
    risk_attribution,
)
from equity_factors.backtest.costs import COST_FIELDS, CostModel
from equity_factors.backtest.engine import FILLS, RETURN_COLUMNS, EngineResult, Fill, run_engine
from equity_factors.backtest.summary import (
    DEFAULT_SWEEP_BPS,
    TEAR_SHEET_KEYS,
    break_even_bps,
    cost_sweep,
    tear_sheet,
)

__all__ = [
    "CASH",
    "COST_FIELDS",
    "DEFAULT_SWEEP_BPS",
    "FILLS",
    "RETURN_COLUMNS",
    "TEAR_SHEET_KEYS",
    "BrinsonResult",
    "CostModel",
    "EngineResult",
    "Fill",
    "break_even_bps",
    "brinson_fachler",
    "carino_factors",
    "cost_sweep",
    "factor_attribution",
    "factor_exposures",
    "risk_attribution",
    "run_engine",
    "tear_sheet",
]
