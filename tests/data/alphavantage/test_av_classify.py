"""Classification of bodies by their text (the reference, sections 2 and 5 item 2).

The notice strings below are copied from shared/reference/alphavantage.md (section 2, exact API
output as collected there); the fake server's TEXTS are checked against the same kinds.
"""

from __future__ import annotations

import json

import pytest

from equity_factors.data.providers.alphavantage.classify import (
    Kind,
    classify_csv,
    classify_json,
    classify_notice,
)
from equity_factors.testing.fake_alphavantage import NOTICE_KEY, TEXTS

REFERENCE = [
    ("Information", "We have detected your API key as ABCDEF and our standard API rate limit is "
     "25 requests per day. Please subscribe to any of the premium plans at "
     "https://www.alphavantage.co/premium/ to instantly remove all daily rate limits.",
     Kind.DAILY),
    ("Information", "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests "
     "per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/"
     " to instantly remove all daily rate limits.", Kind.DAILY),
    ("Information", "Thank you for using Alpha Vantage! Please consider spreading out your free "
     "API requests more sparingly (1 request per second). You may subscribe to any of the premium "
     "plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests "
     "per day), raise the per-second burst limit, and instantly unlock all premium endpoints.",
     Kind.BURST),
    ("Information", "Thank you for using Alpha Vantage! This is a premium endpoint. You may "
     "subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly "
     "unlock all premium endpoints", Kind.PREMIUM),
    ("Information", "Thank you for using Alpha Vantage! The outputsize=full parameter value is a "
     "premium feature for the TIME_SERIES_DAILY endpoint. You may subscribe to any of the premium "
     "plans at https://www.alphavantage.co/premium/ to instantly unlock all premium features",
     Kind.PREMIUM),
    ("Information", "Thank you for using Alpha Vantage! Please contact premium@alphavantage.co if "
     "you are targeting a higher API call volume.", Kind.MINUTE),
    ("Information", "Burst pattern detected. Please consider spreading out your API requests more "
     "evenly across a 1-minute window and query no more than 30 requests per second.",
     Kind.MINUTE),
    ("Information", "The **demo** API key is for demo purposes only. Please claim your free API "
     "key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings. It "
     "takes fewer than 20 seconds.", Kind.INVALID_KEY),
    ("Note", "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per "
     "minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would "
     "like to target a higher API call frequency.", Kind.MINUTE),
    ("Error Message", "the parameter apikey is invalid or missing. Please claim your free API key "
     "on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds.",
     Kind.INVALID_KEY),
    ("Error Message", "Invalid API call. Please retry or visit the documentation "
     "(https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY.", Kind.NOT_FOUND),
    ("Error Message", "This API function (XYZ) does not exist.", Kind.BAD_REQUEST),
]

SERIES = ("Time Series (Daily)",)


@pytest.mark.parametrize(("key", "text", "kind"), REFERENCE)
def test_reference_texts(key, text, kind):
    found = classify_json(json.dumps({key: text}, indent=4), SERIES)
    assert found.kind is kind
    assert found.payload is None  # a notice never passes as data


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_fake_texts_classify_like_the_reference(name):
    expected = {"burst": Kind.BURST, "minute": Kind.MINUTE, "burst_pattern": Kind.MINUTE,
                "note": Kind.MINUTE, "daily": Kind.DAILY, "daily_early": Kind.DAILY,
                "premium": Kind.PREMIUM, "premium_full": Kind.PREMIUM, "demo": Kind.INVALID_KEY,
                "invalid_key": Kind.INVALID_KEY, "invalid_call": Kind.NOT_FOUND,
                "unknown_function": Kind.BAD_REQUEST}[name]
    text = TEXTS[name].format(function="TIME_SERIES_DAILY", key="K")
    assert classify_json(json.dumps({NOTICE_KEY[name]: text}), SERIES).kind is expected


def test_note_and_information_are_alike():
    text = REFERENCE[2][1]
    assert classify_notice(text) is Kind.BURST
    assert classify_json(json.dumps({"Note": text}), SERIES).kind is Kind.BURST


def test_data_needs_the_expected_key():
    ok = classify_json('{"Meta Data": {}, "Time Series (Daily)": {}}', SERIES)
    assert ok.kind is Kind.OK
    # Meta data alone, an empty object, or cut-off JSON is never data.
    assert classify_json('{"Meta Data": {}}', SERIES).kind is Kind.MALFORMED
    assert classify_json("{}", SERIES).kind is Kind.NOT_FOUND
    assert classify_json('{\n    "Meta Da', SERIES).kind is Kind.MALFORMED
    assert classify_json("[]", SERIES).kind is Kind.MALFORMED


HEADER = ("symbol", "name", "exchange")


def test_csv_notice_and_json_in_csv():
    listing = "symbol,name,exchange,assetType,ipoDate,delistingDate,status\r\n"
    assert classify_csv(listing + "I,n,f,o,r,m,a\r\n", HEADER).kind is Kind.CSV_NOTICE
    assert classify_csv(listing + "E,r,r,o,r, ,M\r\n", HEADER).kind is Kind.BAD_REQUEST
    good = listing + "A,Agilent Technologies Inc,NYSE,Stock,1999-11-18,null,Active\r\n"
    assert classify_csv(good, HEADER).kind is Kind.OK
    as_json = json.dumps({"Information": REFERENCE[0][1]})
    assert classify_csv(as_json, HEADER).kind is Kind.DAILY
    assert classify_csv("<html>oops</html>", HEADER).kind is Kind.MALFORMED
