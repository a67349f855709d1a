"""Exceptions of the Alpha Vantage provider; every message is already redacted (no API key)."""

from __future__ import annotations

from equity_factors.errors import ProviderError, UserError


class AlphaVantageError(ProviderError):
    """Alpha Vantage could not deliver what was asked (not the user's input)."""


class DailyLimitReached(AlphaVantageError):
    """The key's daily call budget is used up (the server's notice or ALPHAVANTAGE_CALLS_PER_DAY).

    ``resume_after`` is a human-readable hint of when to rerun.
    """

    def __init__(self, message: str, resume_after: str) -> None:
        super().__init__(message)
        self.resume_after = resume_after


class PremiumRequired(AlphaVantageError):
    """The function (or a parameter value such as ``outputsize=full``) needs a premium key."""

    def __init__(self, message: str, function: str, parameter: bool) -> None:
        super().__init__(message)
        self.function = function
        self.parameter = parameter


class SymbolNotFound(AlphaVantageError):
    """Alpha Vantage knows no data for this symbol (``{}`` or ``Invalid API call``)."""

    def __init__(self, message: str, symbol: str) -> None:
        super().__init__(message)
        self.symbol = symbol


class Throttled(AlphaVantageError):
    """Throttle notices kept coming after the bounded number of waits."""


class TransientFailure(AlphaVantageError):
    """HTTP 5xx, timeouts, dropped connections or garbled bodies after the bounded retries."""


class FetchStopped(AlphaVantageError):
    """The fetch was asked to stop (Ctrl-C, or another worker hit the daily limit)."""


class InvalidApiKey(UserError):
    """Alpha Vantage rejected the key (``Error Message`` about the apikey, or the demo key)."""
