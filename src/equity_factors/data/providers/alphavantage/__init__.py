"""The Alpha Vantage provider: client, rate limiter, response classification, parsing,
split/dividend adjustment and symbol aliases (see ``shared/reference/alphavantage.md``).

The names below load their module on first use (PEP 562): a command that only asks whether a
key is set (``config.load_config``) does not import the HTTP client and its dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from equity_factors._lazy import lazy_exports

if TYPE_CHECKING:  # the real names for type checkers and IDEs
    from equity_factors.data.providers.alphavantage.adjust import adjusted_close, merge_bars
    from equity_factors.data.providers.alphavantage.classify import (
        Kind,
        classify_csv,
        classify_json,
    )
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
    from equity_factors.data.providers.alphavantage.provider import (
        AlphaVantageProvider,
        PriceResult,
    )
    from equity_factors.data.providers.alphavantage.redaction import redact
    from equity_factors.data.providers.alphavantage.state import ProviderState
    from equity_factors.data.providers.alphavantage.symbols import api_symbol, canonical_symbol

_HOME = {
    "adjusted_close": "adjust", "merge_bars": "adjust",
    "Kind": "classify", "classify_csv": "classify", "classify_json": "classify",
    "AlphaVantageClient": "client",
    "AlphaVantageConfig": "config", "RetryPolicy": "config", "load_config": "config",
    "AlphaVantageError": "errors", "DailyLimitReached": "errors", "FetchStopped": "errors",
    "InvalidApiKey": "errors", "PremiumRequired": "errors", "SymbolNotFound": "errors",
    "Throttled": "errors", "TransientFailure": "errors",
    "RateLimiter": "limiter",
    "AlphaVantageProvider": "provider", "PriceResult": "provider",
    "redact": "redaction",
    "ProviderState": "state",
    "api_symbol": "symbols", "canonical_symbol": "symbols",
}

__all__ = [
    "AlphaVantageClient", "AlphaVantageConfig", "AlphaVantageError", "AlphaVantageProvider",
    "DailyLimitReached", "FetchStopped", "InvalidApiKey", "Kind", "PremiumRequired",
    "PriceResult", "ProviderState", "RateLimiter", "RetryPolicy", "SymbolNotFound", "Throttled",
    "TransientFailure", "adjusted_close", "api_symbol", "canonical_symbol", "classify_csv",
    "classify_json", "load_config", "merge_bars", "redact",
]


__getattr__, __dir__ = lazy_exports(__name__, {k: f".{v}" for k, v in _HOME.items()})
