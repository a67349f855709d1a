"""The Alpha Vantage provider: client, rate limiter, response classification, parsing,
split/dividend adjustment and symbol aliases (see ``shared/reference/alphavantage.md``)."""

from __future__ import annotations

from equity_factors.data.providers.alphavantage.adjust import adjusted_close, merge_bars
from equity_factors.data.providers.alphavantage.classify import Kind, classify_csv, classify_json
from equity_factors.data.providers.alphavantage.client import AlphaVantageClient
from equity_factors.data.providers.alphavantage.config import (
    AlphaVantageConfig,
    RetryPolicy,
    load_config,
)
from equity_factors.data.providers.alphavantage.errors import (
    AlphaVantageError,
    DailyLimitReached,
    FetchStopped,
    InvalidApiKey,
    PremiumRequired,
    SymbolNotFound,
    Throttled,
    TransientFailure,
)
from equity_factors.data.providers.alphavantage.limiter import RateLimiter
from equity_factors.data.providers.alphavantage.provider import AlphaVantageProvider, PriceResult
from equity_factors.data.providers.alphavantage.redaction import redact
from equity_factors.data.providers.alphavantage.state import ProviderState
from equity_factors.data.providers.alphavantage.symbols import api_symbol, canonical_symbol

__all__ = [
    "AlphaVantageClient", "AlphaVantageConfig", "AlphaVantageError", "AlphaVantageProvider",
    "DailyLimitReached", "FetchStopped", "InvalidApiKey", "Kind", "PremiumRequired",
    "PriceResult", "ProviderState", "RateLimiter", "RetryPolicy", "SymbolNotFound", "Throttled",
    "TransientFailure", "adjusted_close", "api_symbol", "canonical_symbol", "classify_csv",
    "classify_json", "load_config", "merge_bars", "redact",
]
