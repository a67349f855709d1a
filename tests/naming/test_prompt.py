"""The LLM prompt and the validation of its JSON answers (no network)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from equity_factors.naming.evidence import FactorEvidence
from equity_factors.naming.offline import FactorName
from equity_factors.naming.prompt import (
    AnswerError,
    build_messages,
    messages_hash,
    parse_answer,
)


def _evidence(net: float = 0.1) -> FactorEvidence:
    return FactorEvidence(factor="F2", as_of=pd.Timestamp("2024-05-01"), n_assets=50, n_long=25,
                          n_short=25, net=net, long_share=0.5,
                          top_holdings=(("AAA", 0.05),), bottom_holdings=(("ZZZ", -0.04),),
                          sector_net={"Energy": 0.2, "Utilities": -0.2},
                          char_corr={"momentum": 0.81}, neutral_corr={"ls_momentum": 0.7})


SUGGESTION = FactorName("F2", "Momentum", "Long past winners.", 0.72, theme="style:momentum+")


def test_messages_carry_the_evidence_and_the_suggestion():
    messages = build_messages(_evidence(), SUGGESTION)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "JSON" in messages[0]["content"]
    payload = json.loads(messages[1]["content"].split("\n", 1)[1])
    assert payload["rule_based_suggestion"]["name"] == "Momentum"
    assert payload["evidence"]["characteristic_correlation"] == {"momentum": 0.81}
    assert payload["evidence"]["top_holdings"] == {"AAA": 0.05}
    assert "F2" not in messages[1]["content"]  # the id is not evidence: the cache ignores it


def test_hash_changes_with_evidence_only():
    a = messages_hash(build_messages(_evidence(), SUGGESTION))
    assert a == messages_hash(build_messages(_evidence(), SUGGESTION))
    assert a != messages_hash(build_messages(_evidence(net=0.3), SUGGESTION))


@pytest.mark.parametrize("content", [
    '{"name": "Momentum", "description": "Winners over losers.", "confidence": 0.8}',
    '```json\n{"name": "Momentum", "description": "Winners over losers.", "confidence": 0.8}\n```',
    '{"name": "  Momentum\\n", "description": "Winners over losers.", "confidence": "0.8"}',
])
def test_valid_answers(content):
    answer = parse_answer(content)
    assert (answer.name, answer.description, answer.confidence) == (
        "Momentum", "Winners over losers.", 0.8)


@pytest.mark.parametrize("content,refusal,reason", [
    (None, "I can't help with that.", "refused"),
    ('{"refusal": "no"}', None, "refused"),
    ("", None, "empty answer"),
    ('{"name": "Momentum", "description": ', None, "malformed JSON"),
    ("Sure! The factor is momentum.", None, "malformed JSON"),
    ('["Momentum"]', None, "malformed JSON"),
    ('{"description": "x", "confidence": 0.5}', None, "invalid answer: no name"),
    ('{"name": "' + "x " * 40 + '", "confidence": 0.5}', None, "invalid answer: name too long"),
    ('{"name": "M", "description": 3, "confidence": 0.5}', None,
     "invalid answer: description is not text"),
    ('{"name": "M", "description": "d", "confidence": 7}', None,
     "invalid answer: confidence not in [0, 1]"),
    ('{"name": "M", "description": "d", "confidence": true}', None,
     "invalid answer: confidence is not a number"),
    ('{"name": "M", "description": "d", "confidence": "high"}', None,
     "invalid answer: confidence is not a number"),
    ('{"name": "M", "description": "d", "confidence": NaN}', None,
     "invalid answer: confidence is not a number"),
])
def test_invalid_answers(content, refusal, reason):
    with pytest.raises(AnswerError) as info:
        parse_answer(content, refusal)
    assert info.value.reason == reason


def test_long_description_is_cut():
    answer = parse_answer(json.dumps({"name": "M", "description": "word " * 200,
                                      "confidence": 0.5}))
    assert len(answer.description) <= 300 and answer.description.endswith("...")
