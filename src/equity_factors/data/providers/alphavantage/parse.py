"""Parse Alpha Vantage bodies (already classified as data) into frames.

Numbers arrive as strings ("306.7500", "133.0", "5687955") and are parsed as decimals
(:class:`decimal.Decimal`), then stored as floats. The placeholders "None", "-", "", "N/A",
"null" (any case) are missing values, never 0. Dates are ``YYYY-MM-DD`` (a time suffix is
ignored). Rows come newest first; every frame returned here is sorted oldest first.

Point in time (every fundamental counts from its ``reported_date``):

* OVERVIEW is a snapshot of today: market cap and P/E move with the price, and even the
  statement-derived ratios are only known to be current on the day they are read. Its rows get
  ``period_end = LatestQuarter`` (the fetch date when missing) and ``reported_date`` = the fetch
  date, never an earlier day. Repeated fetches build a history of snapshots.
* EARNINGS quarterly rows count from ``reportedDate``; a ``post-market`` report counts from the
  next business day (it was published after that day's close). A row without a reportedDate
  gets the balance-sheet lag below.
* BALANCE_SHEET has no reported date. A quarterly report counts from ``fiscalDateEnding`` +
  :data:`BALANCE_SHEET_LAG_DAYS` (90) calendar days: the SEC deadline is 40-45 days for a 10-Q
  and 60-90 days for a 10-K, so 90 days is late enough for every filer class.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.data.providers.alphavantage.symbols import canonical_symbol, is_placeholder

SERIES_KEY = "Time Series (Daily)"
BALANCE_SHEET_LAG_DAYS = 90
MISSING_TOKENS = frozenset({"", "none", "-", "--", "n/a", "na", "null", "nan", "."})
FUNDAMENTAL_COLUMNS = ["symbol", "field", "period_end", "reported_date", "value"]
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_BAR_NAMES = {"open": "open", "high": "high", "low": "low", "close": "close",
              "adjusted close": "adj_close", "volume": "volume", "dividend amount": "dividend",
              "split coefficient": "split"}
BAR_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume", "dividend", "split"]

#: OVERVIEW key -> stored field.
OVERVIEW_FIELDS: dict[str, str] = {
    "MarketCapitalization": "market_cap",
    "SharesOutstanding": "shares_outstanding",
    "PERatio": "pe_ratio",
    "TrailingPE": "trailing_pe",
    "ForwardPE": "forward_pe",
    "PEGRatio": "peg_ratio",
    "PriceToBookRatio": "price_to_book",
    "PriceToSalesRatioTTM": "price_to_sales",
    "EVToRevenue": "ev_to_revenue",
    "EVToEBITDA": "ev_to_ebitda",
    "BookValue": "book_value_per_share",
    "EPS": "eps_ttm",
    "DilutedEPSTTM": "diluted_eps_ttm",
    "RevenuePerShareTTM": "revenue_per_share",
    "RevenueTTM": "revenue_ttm",
    "GrossProfitTTM": "gross_profit_ttm",
    "EBITDA": "ebitda",
    "ProfitMargin": "profit_margin",
    "OperatingMarginTTM": "operating_margin",
    "ReturnOnAssetsTTM": "return_on_assets",
    "ReturnOnEquityTTM": "return_on_equity",
    "QuarterlyEarningsGrowthYOY": "earnings_growth_yoy",
    "QuarterlyRevenueGrowthYOY": "revenue_growth_yoy",
    "DividendPerShare": "dividend_per_share",
    "DividendYield": "dividend_yield",
    "Beta": "beta",
    "AnalystTargetPrice": "analyst_target_price",
}

#: BALANCE_SHEET key -> stored field.
BALANCE_SHEET_FIELDS: dict[str, str] = {
    "totalAssets": "total_assets",
    "totalLiabilities": "total_liabilities",
    "totalShareholderEquity": "book_equity",
    "totalCurrentAssets": "current_assets",
    "totalCurrentLiabilities": "current_liabilities",
    "cashAndCashEquivalentsAtCarryingValue": "cash",
    "longTermDebt": "long_term_debt",
    "shortTermDebt": "short_term_debt",
    "retainedEarnings": "retained_earnings",
    "goodwill": "goodwill",
    "inventory": "inventory",
    "commonStockSharesOutstanding": "shares_outstanding",
}

#: EARNINGS quarterly key -> stored field.
EARNINGS_FIELDS: dict[str, str] = {
    "reportedEPS": "eps",
    "estimatedEPS": "eps_estimate",
    "surprise": "eps_surprise",
    "surprisePercentage": "eps_surprise_pct",
}


# ----------------------------------------------------------------------------------- scalars
def parse_decimal(value: Any) -> Decimal | None:
    """A number as a Decimal, or None for a placeholder ("None", "-", "", "N/A", "null")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    text = str(value).strip()
    if text.lower() in MISSING_TOKENS:
        return None
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return number / 100 if percent else number


def parse_number(value: Any) -> float:
    """A number as a float; NaN for a placeholder (never 0)."""
    number = parse_decimal(value)
    return float(number) if number is not None else math.nan


def parse_date(value: Any) -> pd.Timestamp | None:
    """``YYYY-MM-DD`` (optionally followed by a time) -> Timestamp; None for a placeholder."""
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() in MISSING_TOKENS or not _DATE_RE.match(text):
        return None
    try:
        return pd.Timestamp(text[:10])
    except ValueError:
        return None


def _title(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return None if text.lower() in MISSING_TOKENS else text.title()


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return None if text.lower() in MISSING_TOKENS else text


# ----------------------------------------------------------------------------------- prices
@dataclass(frozen=True)
class DailySeries:
    """One parsed daily series.

    Attributes
    ----------
    frame : DataFrame of shape (n_days, 8)
        Index ``date`` ascending; columns open, high, low, close, adj_close, volume, dividend,
        split. ``adj_close`` is NaN for the raw (unadjusted) series; dividend 0 and split 1
        off event days.
    last_refreshed : Timestamp or None
        ``Meta Data / 3. Last Refreshed`` (date part).
    dropped_partial : bool
        Whether today's partial bar was dropped (Last Refreshed carried an intraday time).
    """

    frame: pd.DataFrame
    last_refreshed: pd.Timestamp | None
    dropped_partial: bool


def _bar_name(key: str) -> str | None:
    name = key.split(". ", 1)[-1].strip().lower().replace("_", " ")
    return _BAR_NAMES.get(name)


def parse_numbers(values: list[Any] | pd.Series) -> np.ndarray:
    """Vectorised :func:`parse_number` for long columns: placeholders -> NaN, the rest parsed by
    C code. Decimal strings give the same doubles either way (both round correctly)."""
    text = pd.Series(values, dtype=object).astype(str).str.strip()
    missing = text.str.lower().isin(MISSING_TOKENS)
    out = np.array(pd.to_numeric(text.where(~missing, None), errors="coerce"), dtype=float)
    out[~np.isfinite(out)] = np.nan
    return out


def parse_daily(payload: dict[str, Any], adjusted: bool) -> DailySeries:
    """Parse TIME_SERIES_DAILY(_ADJUSTED) JSON; rows without a close are dropped."""
    series = payload.get(SERIES_KEY) or {}
    keys: list[str] = []
    records: list[dict[str, Any]] = []
    names: dict[str, str | None] = {}
    for key, values in (series.items() if isinstance(series, dict) else []):
        if not isinstance(values, dict):
            continue
        rec: dict[str, Any] = {}
        for fieldname, raw in values.items():
            if fieldname not in names:
                names[fieldname] = _bar_name(str(fieldname))
            column = names[fieldname]
            if column is not None:
                rec[column] = raw
        keys.append(str(key).strip()[:10])
        records.append(rec)
    raw = pd.DataFrame.from_records(records, columns=BAR_COLUMNS)
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(keys, dtype=object), format="%Y-%m-%d",
                                            errors="coerce"), name="date")
    frame = pd.DataFrame({c: parse_numbers(raw[c]) for c in BAR_COLUMNS}, index=index)
    frame = frame[frame.index.notna()]
    frame = frame[~frame.index.duplicated(keep="first")].sort_index()
    frame = frame[frame["close"].notna() & (frame["close"] > 0)]
    frame["dividend"] = frame["dividend"].fillna(0.0)
    frame["split"] = frame["split"].fillna(1.0).where(lambda s: s > 0, 1.0)
    if adjusted and frame["adj_close"].isna().any():
        # A hole in the adjusted close: carry the adjustment factor of the next day.
        factor = (frame["adj_close"] / frame["close"]).bfill().ffill()
        frame["adj_close"] = frame["adj_close"].fillna(frame["close"] * factor)
    if not adjusted:
        frame["adj_close"] = np.nan
    meta = payload.get("Meta Data") or {}
    raw_refreshed = next((str(v) for k, v in meta.items() if "last refreshed" in str(k).lower()),
                         "")
    last = parse_date(raw_refreshed)
    dropped = False
    time_part = raw_refreshed.strip()[10:].strip()
    if last is not None and time_part and time_part < "16:00" and last in frame.index:
        frame = frame.drop(index=last)  # the bar of a day still trading
        dropped = True
    return DailySeries(frame, last, dropped)


def parse_events(payload: dict[str, Any], date_key: str, value_key: str) -> pd.Series:
    """DIVIDENDS (ex_dividend_date, amount) or SPLITS (effective_date, split_factor) -> Series
    indexed by date, ascending; rows with a missing date or value are skipped."""
    dates, values = [], []
    for row in payload.get("data") or []:
        if not isinstance(row, dict):
            continue
        day, value = parse_date(row.get(date_key)), parse_number(row.get(value_key))
        if day is None or math.isnan(value) or value <= 0:
            continue
        dates.append(day)
        values.append(value)
    out = pd.Series(values, index=pd.DatetimeIndex(dates, name="date"), dtype="float64")
    return out.sort_index()


def align_events(dates: pd.DatetimeIndex, events: pd.Series, combine: str) -> np.ndarray:
    """Place events on trading days: an event on a non-trading day moves to the next trading
    day; events before the first or after the last date are dropped (future declared
    dividends). ``combine`` is "sum" (dividends, default 0) or "prod" (splits, default 1)."""
    out = np.zeros(len(dates)) if combine == "sum" else np.ones(len(dates))
    if len(dates) == 0 or events.empty:
        return out
    values = events.to_numpy(dtype=float)
    pos = dates.searchsorted(events.index, side="left")
    inside = (pos < len(dates)) & (events.index >= dates[0])
    for p, v in zip(pos[inside], values[inside], strict=True):
        if combine == "sum":
            out[p] += v
        else:
            out[p] *= v
    return out


# ----------------------------------------------------------------------------------- holdings
def parse_etf_profile(payload: dict[str, Any]) -> pd.DataFrame:
    """ETF_PROFILE holdings -> DataFrame (symbol, weight, description), largest first.

    "n/a" cash lines are skipped, symbols are made canonical (duplicates summed) and weights are
    fractions (0.0948 = 9.48 %); should a fund ever report percentages (weights summing to
    more than 1.5), they are divided by 100.
    """
    rows = []
    for item in payload.get("holdings") or []:
        if not isinstance(item, dict) or is_placeholder(item.get("symbol")):
            continue
        weight = parse_number(item.get("weight"))
        if math.isnan(weight) or weight < 0:
            continue
        rows.append((canonical_symbol(str(item["symbol"])), weight,
                     _text(item.get("description")) or ""))
    frame = pd.DataFrame(rows, columns=["symbol", "weight", "description"])
    if frame.empty:
        return frame.astype({"weight": "float64"})
    if frame["weight"].sum() > 1.5:
        frame["weight"] = frame["weight"] / 100.0
    frame = (frame.groupby("symbol", sort=False, as_index=False)
             .agg(weight=("weight", "sum"), description=("description", "first")))
    return frame.sort_values("weight", ascending=False, kind="stable", ignore_index=True)


# ----------------------------------------------------------------------------------- fundamentals
def _fundamental_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=FUNDAMENTAL_COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    for col in ("period_end", "reported_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.sort_values(["period_end", "field"], kind="stable", ignore_index=True)


@dataclass(frozen=True)
class Overview:
    """OVERVIEW parsed: symbol metadata and point-in-time snapshot rows."""

    info: dict[str, Any]
    fundamentals: pd.DataFrame


def parse_overview(payload: dict[str, Any], symbol: str, fetched_on: pd.Timestamp) -> Overview:
    """OVERVIEW -> metadata (name, sector, industry, asset_type, exchange, currency) and
    snapshot fundamentals (reported_date = ``fetched_on``; see the module docstring).

    Besides the raw ratios, ``book_to_market`` = BookValue x SharesOutstanding / MarketCap and
    ``earnings_yield`` = EPS x SharesOutstanding / MarketCap are derived (the names the
    fundamental factors use). A placeholder is stored as a missing value: the latest snapshot
    saying "no P/E" must override an older P/E.
    """
    fetched_on = pd.Timestamp(fetched_on).normalize()
    period_end = parse_date(payload.get("LatestQuarter")) or fetched_on
    period_end = min(period_end, fetched_on)
    info = {
        "symbol": symbol,
        "name": _text(payload.get("Name")),
        "sector": _title(payload.get("Sector")),
        "industry": _title(payload.get("Industry")),
        "asset_type": _text(payload.get("AssetType")),
        "exchange": _text(payload.get("Exchange")),
        "currency": _text(payload.get("Currency")),
    }
    values = {field: parse_number(payload.get(key)) for key, field in OVERVIEW_FIELDS.items()
              if key in payload}
    cap, shares = values.get("market_cap", math.nan), values.get("shares_outstanding", math.nan)
    if cap > 0 and shares > 0:
        values["book_to_market"] = values.get("book_value_per_share", math.nan) * shares / cap
        values["earnings_yield"] = values.get("eps_ttm", math.nan) * shares / cap
    rows = [(symbol, field, period_end, fetched_on, value) for field, value in values.items()]
    return Overview(info, _fundamental_frame(rows))


def _next_business_day(day: pd.Timestamp) -> pd.Timestamp:
    return day + pd.offsets.BDay(1)


def parse_earnings(payload: dict[str, Any], symbol: str) -> pd.DataFrame:
    """EARNINGS quarterlyEarnings -> long point-in-time rows (missing values skipped)."""
    rows = []
    for item in payload.get("quarterlyEarnings") or []:
        period = parse_date(item.get("fiscalDateEnding"))
        if period is None:
            continue
        reported = parse_date(item.get("reportedDate"))
        if reported is None:
            reported = period + pd.Timedelta(days=BALANCE_SHEET_LAG_DAYS)
        elif str(item.get("reportTime", "")).strip().lower() == "post-market":
            reported = _next_business_day(reported)
        for key, field in EARNINGS_FIELDS.items():
            value = parse_number(item.get(key))
            if not math.isnan(value):
                rows.append((symbol, field, period, reported, value))
    return _fundamental_frame(rows)


def parse_balance_sheet(payload: dict[str, Any], symbol: str,
                        lag_days: int = BALANCE_SHEET_LAG_DAYS) -> pd.DataFrame:
    """BALANCE_SHEET quarterlyReports -> long rows counting from fiscalDateEnding + ``lag_days``."""
    rows = []
    for item in payload.get("quarterlyReports") or []:
        period = parse_date(item.get("fiscalDateEnding"))
        if period is None:
            continue
        reported = period + pd.Timedelta(days=lag_days)
        for key, field in BALANCE_SHEET_FIELDS.items():
            value = parse_number(item.get(key))
            if not math.isnan(value):
                rows.append((symbol, field, period, reported, value))
    return _fundamental_frame(rows)


# ----------------------------------------------------------------------------------- listings
LISTING_HEADER = ("symbol", "name", "exchange", "assetType", "ipoDate", "delistingDate", "status")


def parse_listing_status(text: str) -> pd.DataFrame:
    """LISTING_STATUS CSV -> DataFrame (symbol, name, exchange, asset_type, list_date,
    delist_date, status); "null"/empty dates are NaT. A real CSV parser handles quoted names."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(reader, [])]
    index = {h: i for i, h in enumerate(header)}
    rows = []
    for row in reader:
        if not row or len(row) < len(header):
            continue

        def get(name: str, row: list[str] = row) -> str:
            return row[index[name]].strip() if name in index else ""

        symbol = get("symbol")
        if is_placeholder(symbol):
            continue
        rows.append((canonical_symbol(symbol), _text(get("name")), _text(get("exchange")),
                     _text(get("assetType")), parse_date(get("ipoDate")),
                     parse_date(get("delistingDate")), _text(get("status"))))
    frame = pd.DataFrame(rows, columns=["symbol", "name", "exchange", "asset_type", "list_date",
                                        "delist_date", "status"])
    for col in ("list_date", "delist_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame
