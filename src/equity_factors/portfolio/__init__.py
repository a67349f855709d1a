"""Portfolio construction: composite scores and tradeable baskets (pure)."""

from __future__ import annotations

from equity_factors.portfolio.basket import (
    BASKET_COLUMNS,
    DIFF_COLUMNS,
    Basket,
    BasketSpec,
    BasketSummary,
    CompositeScores,
    Sizing,
    build_basket,
    composite_scores,
    diff_baskets,
    factor_exposure,
)
from equity_factors.portfolio.inputs import average_dollar_volume, last_close

__all__ = [
    "BASKET_COLUMNS",
    "DIFF_COLUMNS",
    "Basket",
    "BasketSpec",
    "BasketSummary",
    "CompositeScores",
    "Sizing",
    "average_dollar_volume",
    "build_basket",
    "composite_scores",
    "diff_baskets",
    "factor_exposure",
    "last_close",
]
