"""The trading-cost model of the backtest engine: commission, spread, impact, borrow, cash."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from equity_factors.errors import ParameterError

__all__ = ["COST_FIELDS", "CostModel"]

#: The fields that are costs: :meth:`CostModel.scaled` multiplies these (not the volume cap,
#: the cash rate or the calendar).
COST_FIELDS = ("commission_bps", "half_spread_bps", "per_share", "min_commission", "impact",
               "borrow_rate")


@dataclass(frozen=True)
class CostModel:
    """What trading and holding a book costs (all non-negative; see ``docs/backtest.md``).

    Parameters
    ----------
    commission_bps : float, default 1.0
        Commission in basis points of traded notional.
    half_spread_bps : float, default 5.0
        Half the bid-ask spread (slippage) in basis points of traded notional.
    per_share : float, default 0.0
        Dollars of commission per share traded, charged per order as
        ``max(min_commission, per_share * |shares|)``; 0 turns it off. Needs prices and capital.
    min_commission : float, default 0.0
        Minimum dollars per order of the per-share commission (only when ``per_share > 0``).
    impact : float, default 0.1
        Volume-share impact ``k``: where the bar's volume is known, the fill price moves against
        the order by ``k * (shares / volume) ** 2`` of the price (as zipline's
        ``VolumeShareSlippage``), so an order pays ``k * (|shares| / volume) ** 2 * |notional|``,
        booked as slippage.
    volume_cap : float, default 0.025
        The largest fraction of the bar's volume one order may fill, in (0, 1]; the rest of the
        order is **dropped** (not carried to the next bar), and the engine's notes say how much.
    borrow_rate : float, default 0.005
        Annual borrow fee on the short market value, accrued daily as ``rate / periods_per_year``
        whether or not the position trades.
    cash_rate : float, default 0.0
        Annual interest on the cash balance ``1 - sum(signed weights)`` (negative cash pays it),
        accrued daily as ``rate / periods_per_year`` and counted in the gross return.
    periods_per_year : int, default 252
        Days per year for the daily accruals.

    Raises
    ------
    ParameterError
        A field that is negative or not finite, ``volume_cap`` outside (0, 1], or
        ``periods_per_year`` not a positive integer; the message names the field.
    """

    commission_bps: float = 1.0
    half_spread_bps: float = 5.0
    per_share: float = 0.0
    min_commission: float = 0.0
    impact: float = 0.1
    volume_cap: float = 0.025
    borrow_rate: float = 0.005
    cash_rate: float = 0.0
    periods_per_year: int = 252

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "periods_per_year":
                continue
            value = getattr(self, f.name)
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise ParameterError(f"{f.name} {value!r} is not a number; pass a number >= 0",
                                     f.name, scope="costs") from None
            if not math.isfinite(v) or v < 0:
                raise ParameterError(f"{f.name} {value!r} must be a finite number >= 0; costs "
                                     "and rates cannot be negative", f.name, scope="costs")
            object.__setattr__(self, f.name, v)
        if not 0.0 < self.volume_cap <= 1.0:
            raise ParameterError(f"volume_cap {self.volume_cap:g} is outside (0, 1]; pass the "
                                 "largest fraction of a bar's volume an order may fill, e.g. "
                                 "0.025", "volume_cap", scope="costs")
        ppy = self.periods_per_year
        if isinstance(ppy, bool) or not isinstance(ppy, int) or ppy <= 0:
            raise ParameterError(f"periods_per_year {ppy!r} must be a positive integer, e.g. 252",
                                 "periods_per_year", scope="costs")

    @classmethod
    def none(cls, volume_cap: float = 0.025) -> CostModel:
        """No costs and no cash interest: every cost field and ``cash_rate`` are 0.

        Its ``net`` equals its ``gross`` exactly. The volume cap is not a cost and keeps its
        default, so orders are capped as in a run with the default costs (pass
        ``volume_cap=1.0`` for fills up to the whole bar). Its gross returns differ from the
        gross of a costly run only because costs lower the equity that later trades are sized
        on (a second-order effect).
        """
        return cls(commission_bps=0.0, half_spread_bps=0.0, per_share=0.0, min_commission=0.0,
                   impact=0.0, volume_cap=volume_cap, borrow_rate=0.0, cash_rate=0.0)

    def scaled(self, factor: float) -> CostModel:
        """The same model with every cost field (:data:`COST_FIELDS`) multiplied by ``factor``.

        ``cash_rate``, ``volume_cap`` and ``periods_per_year`` are unchanged, so the positions
        are the same and the commission, slippage and borrow columns scale by ``factor``.
        """
        try:
            f = float(factor)
        except (TypeError, ValueError):
            raise ParameterError(f"factor {factor!r} is not a number; pass a number >= 0",
                                 "factor", scope="costs") from None
        if not math.isfinite(f) or f < 0:
            raise ParameterError(f"factor {factor!r} must be a finite number >= 0", "factor",
                                 scope="costs")
        return replace(self, **{name: getattr(self, name) * f for name in COST_FIELDS})

    @property
    def is_zero(self) -> bool:
        """True when no cost field is positive (cash interest may still be)."""
        return all(getattr(self, name) == 0.0 for name in COST_FIELDS)
