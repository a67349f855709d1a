"""Parsing of Alpha Vantage bodies: placeholders are missing (never 0), decimals, shapes."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equity_factors.data.providers.alphavantage.parse import (
    BALANCE_SHEET_LAG_DAYS,
    align_events,
    parse_balance_sheet,
    parse_daily,
    parse_decimal,
    parse_earnings,
    parse_etf_profile,
    parse_events,
    parse_listing_status,
    parse_number,
    parse_numbers,
    parse_overview,
)


@pytest.mark.parametrize("raw", ["None", "none", "-", "", "  ", "N/A", "n/a", "null", "NULL",
                                 None, "nan"])
def test_placeholders_are_missing_never_zero(raw):
    assert parse_decimal(raw) is None
    assert math.isnan(parse_number(raw))


@pytest.mark.parametrize(("raw", "expected"), [
    ("306.7500", Decimal("306.75")), ("133.0", Decimal("133")), ("1.0000", Decimal(1)),
    ("5687955", Decimal(5687955)), ("0.0223", Decimal("0.0223")), ("-0.12", Decimal("-0.12")),
    ("1.8418%", Decimal("0.018418")), (2, Decimal(2)), (0.5, Decimal("0.5")),
])
def test_numbers_parse_as_decimals(raw, expected):
    assert parse_decimal(raw) == expected


@settings(max_examples=25, deadline=None)
@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4),
       st.sampled_from(["{:.4f}", "{:.1f}", "{}"]))
def test_number_formats_agree(value, fmt):
    # "133.0" and "133.0000" are the same number: never compare strings.
    text = fmt.format(value)
    assert parse_decimal(text) == Decimal(text)
    assert parse_number(text) == float(Decimal(text))


def _series(rows, adjusted, refreshed="2025-11-06"):
    key_names = (["1. open", "2. high", "3. low", "4. close", "5. adjusted close", "6. volume",
                  "7. dividend amount", "8. split coefficient"] if adjusted else
                 ["1. open", "2. high", "3. low", "4. close", "5. volume"])
    return {"Meta Data": {"1. Information": "x", "2. Symbol": "IBM",
                          "3. Last Refreshed": refreshed},
            "Time Series (Daily)": {d: dict(zip(key_names, v, strict=True)) for d, v in rows}}


def test_daily_adjusted_newest_first_becomes_ascending():
    payload = _series([
        ("2020-08-31", ["444.6100", "500.1400", "440.1100", "498.3200", "498.3200",
                        "115847020", "0.0000", "5.0000"]),
        ("2020-08-28", ["2295.0", "2318.49", "2186.52", "2213.4", "442.68", "20081189", "0.0",
                        "1.0"]),
    ], adjusted=True)
    series = parse_daily(payload, adjusted=True)
    frame = series.frame
    assert list(frame.index) == [pd.Timestamp("2020-08-28"), pd.Timestamp("2020-08-31")]
    assert frame.loc["2020-08-31", "split"] == 5.0
    assert frame.loc["2020-08-28", "adj_close"] == pytest.approx(442.68)
    assert frame.loc["2020-08-31", "volume"] == 115847020
    assert series.last_refreshed == pd.Timestamp("2025-11-06")


def test_daily_raw_has_no_adjusted_close_and_drops_rows_without_close():
    payload = _series([("2025-11-06", ["1", "2", "0.5", "None", "10"]),
                       ("2025-11-05", ["1", "2", "0.5", "1.5", "None"])], adjusted=False)
    frame = parse_daily(payload, adjusted=False).frame
    assert list(frame.index) == [pd.Timestamp("2025-11-05")]
    assert np.isnan(frame["adj_close"]).all()
    assert np.isnan(frame.loc["2025-11-05", "volume"])  # "None" volume is missing, not 0
    assert frame.loc["2025-11-05", "dividend"] == 0 and frame.loc["2025-11-05", "split"] == 1


def test_partial_bar_of_a_trading_day_is_dropped():
    payload = _series([("2019-08-26", ["1", "2", "0.5", "1.2", "10"]),
                       ("2019-08-23", ["1", "2", "0.5", "1.1", "10"])], adjusted=False,
                      refreshed="2019-08-26 15:27:34")
    series = parse_daily(payload, adjusted=False)
    assert series.dropped_partial
    assert list(series.frame.index) == [pd.Timestamp("2019-08-23")]


def test_events_align_to_trading_days_and_drop_future():
    dates = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-05"])
    divs = parse_events({"symbol": "X", "data": [
        {"ex_dividend_date": "2024-03-01", "amount": "0.50"},  # declared, future
        {"ex_dividend_date": "2024-01-04", "amount": "0.25"},  # holiday -> next trading day
        {"ex_dividend_date": "2024-01-03", "amount": "None"},  # missing amount: skipped
        {"ex_dividend_date": "2023-12-01", "amount": "0.25"},  # before the first day
    ]}, "ex_dividend_date", "amount")
    assert align_events(dates, divs, "sum").tolist() == [0.0, 0.0, 0.25]
    splits = parse_events({"symbol": "X", "data": [
        {"effective_date": "2024-01-03", "split_factor": "2.0000"}]}, "effective_date",
        "split_factor")
    assert align_events(dates, splits, "prod").tolist() == [1.0, 2.0, 1.0]


def test_etf_profile_skips_cash_and_canonicalises():
    payload = {"net_assets": "1", "holdings": [
        {"symbol": "NVDA", "description": "NVIDIA CORP", "weight": "0.0948"},
        {"symbol": "BRK.B", "description": "n/a", "weight": "0.0217"},
        {"symbol": "n/a", "description": "CASH", "weight": "0.0018"},
        {"symbol": "XYZ", "description": "X", "weight": "None"},
    ]}
    frame = parse_etf_profile(payload)
    assert frame["symbol"].tolist() == ["NVDA", "BRK-B"]
    assert frame["weight"].tolist() == pytest.approx([0.0948, 0.0217])


def test_overview_snapshot_counts_from_the_fetch_date():
    payload = {"Symbol": "IBM", "AssetType": "Common Stock", "Name": "International Business "
               "Machines", "Sector": "TECHNOLOGY", "Industry": "INFORMATION TECHNOLOGY SERVICES",
               "LatestQuarter": "2025-09-30", "MarketCapitalization": "286748705000",
               "SharesOutstanding": "934000000", "BookValue": "29.13", "EPS": "6.92",
               "PERatio": "None", "TrailingPE": "-", "Beta": "0.713", "PriceToBookRatio": "10.5"}
    ov = parse_overview(payload, "IBM", pd.Timestamp("2025-11-07"))
    assert ov.info["sector"] == "Technology" and ov.info["name"].startswith("International")
    f = ov.fundamentals.set_index("field")
    assert (f["reported_date"] == pd.Timestamp("2025-11-07")).all()
    assert (f["period_end"] == pd.Timestamp("2025-09-30")).all()
    assert np.isnan(f.at["pe_ratio", "value"]) and np.isnan(f.at["trailing_pe", "value"])
    assert f.at["beta", "value"] == pytest.approx(0.713)
    assert f.at["book_to_market", "value"] == pytest.approx(29.13 * 934e6 / 286748705000)
    assert f.at["earnings_yield", "value"] == pytest.approx(6.92 * 934e6 / 286748705000)


def test_earnings_count_from_reported_date_post_market_next_day():
    payload = {"symbol": "AAPL", "quarterlyEarnings": [
        {"fiscalDateEnding": "2024-12-31", "reportedDate": "2025-01-30", "reportedEPS": "2.40",
         "estimatedEPS": "None", "surprise": "None", "surprisePercentage": "None",
         "reportTime": "post-market"},
        {"fiscalDateEnding": "2024-09-30", "reportedDate": "2024-10-31", "reportedEPS": "1.64",
         "estimatedEPS": "1.60", "surprise": "0.04", "surprisePercentage": "2.5",
         "reportTime": "pre-market"}]}
    frame = parse_earnings(payload, "AAPL")
    eps = frame[frame["field"] == "eps"].set_index("period_end")
    assert eps.at[pd.Timestamp("2024-12-31"), "reported_date"] == pd.Timestamp("2025-01-31")
    assert eps.at[pd.Timestamp("2024-09-30"), "reported_date"] == pd.Timestamp("2024-10-31")
    # A "None" estimate is not a row (and never a 0).
    assert not ((frame["field"] == "eps_estimate")
                & (frame["period_end"] == pd.Timestamp("2024-12-31"))).any()


def test_balance_sheet_lag():
    payload = {"symbol": "X", "quarterlyReports": [
        {"fiscalDateEnding": "2024-06-30", "totalAssets": "100", "totalShareholderEquity": "40",
         "goodwill": "None"}]}
    frame = parse_balance_sheet(payload, "X")
    assert set(frame["field"]) == {"total_assets", "book_equity"}
    lag = pd.Timestamp("2024-06-30") + pd.Timedelta(days=BALANCE_SHEET_LAG_DAYS)
    assert (frame["reported_date"] == lag).all()


def test_listing_status_csv_quotes_and_nulls():
    text = ("symbol,name,exchange,assetType,ipoDate,delistingDate,status\r\n"
            "A,Agilent Technologies Inc,NYSE,Stock,1999-11-18,null,Active\r\n"
            'BRK.B,"Berkshire Hathaway, Inc",NYSE,Stock,1996-05-09,,Active\r\n'
            "AACC,Asset Acceptance Capital Corp,NASDAQ,Stock,2004-02-05,2013-10-17,Delisted\r\n")
    frame = parse_listing_status(text).set_index("symbol")
    assert frame.at["BRK-B", "name"] == "Berkshire Hathaway, Inc"
    assert pd.isna(frame.at["A", "delist_date"]) and pd.isna(frame.at["BRK-B", "delist_date"])
    assert frame.at["AACC", "delist_date"] == pd.Timestamp("2013-10-17")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(
    st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4).map(str),
    st.sampled_from(["None", "-", "", "N/A", "null", " 1.5 ", "133.0", "1.0000"])),
    min_size=1, max_size=30))
def test_vectorised_numbers_match_scalar_decimal_parsing(values):
    fast = parse_numbers(values)
    slow = np.array([parse_number(v) for v in values])
    np.testing.assert_array_equal(fast, slow)
