"""Names and sizes shared by every part of the synthetic market (sectors, factors, fields)."""

from __future__ import annotations

__all__ = [
    "DEFAULT_SEED",
    "FACTOR_NAMES",
    "FUNDAMENTAL_FIELDS",
    "MAX_STOCKS",
    "MIN_DAYS",
    "MIN_STOCKS",
    "PRICE_FIELDS",
    "REGIMES",
    "SECTORS",
    "SECTOR_CODES",
    "STYLE_FACTORS",
]

SECTORS: tuple[str, ...] = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)
#: Three-letter code of each sector, used in sector ETF names (``SYN500-TEC``).
SECTOR_CODES: dict[str, str] = {
    "Communication Services": "COM",
    "Consumer Discretionary": "CDI",
    "Consumer Staples": "CST",
    "Energy": "ENE",
    "Financials": "FIN",
    "Health Care": "HLC",
    "Industrials": "IND",
    "Information Technology": "TEC",
    "Materials": "MAT",
    "Real Estate": "RLE",
    "Utilities": "UTL",
}
STYLE_FACTORS: tuple[str, ...] = ("size", "value", "momentum", "low_vol")
REGIMES: tuple[str, ...] = ("calm", "stressed", "crisis")
FACTOR_NAMES: tuple[str, ...] = (
    "market",
    *(f"sector:{s}" for s in SECTORS),
    *STYLE_FACTORS,
)
MIN_STOCKS = 20
MAX_STOCKS = 5000
DEFAULT_SEED = 42
MIN_DAYS = 63
FUNDAMENTAL_FIELDS: tuple[str, ...] = (
    "market_cap",
    "book_to_market",
    "earnings_yield",
    "shares_outstanding",
)
PRICE_FIELDS: tuple[str, ...] = (
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "dividend",
    "split",
)
