"""``eqf data fetch`` and the on-demand fetch of analysis commands: Alpha Vantage into the store.

The synchronisation itself (what to ask for, the rate limit, the daily budget, the response
cache, merging bars) lives with its provider, in
:mod:`equity_factors.data.providers.alphavantage.sync`; this is the workflow entry point.
"""

from __future__ import annotations

from equity_factors.data.providers.alphavantage.sync import (
    FetchReport,
    Plan,
    SymbolOutcome,
    SyncContext,
    fetch,
    latest_close,
    make_on_demand_fetcher,
    no_key_error,
    plan_symbol,
)

__all__ = ["FetchReport", "Plan", "SymbolOutcome", "SyncContext", "fetch", "latest_close",
           "make_on_demand_fetcher", "no_key_error", "plan_symbol"]
