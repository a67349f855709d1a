"""Factor naming: evidence, the offline rule-based namer and the LLM namer."""

from __future__ import annotations

from equity_factors.naming.evidence import FactorEvidence, compute_evidence, cs_zscore
from equity_factors.naming.offline import FactorName, name_factor, name_offline, theme_scores
from equity_factors.naming.prompt import (
    AnswerError,
    LLMAnswer,
    build_messages,
    messages_hash,
    parse_answer,
)
from equity_factors.naming.references import (
    equal_weight_market,
    long_short_returns,
    rolling_beta,
    style_references,
)
from equity_factors.naming.stability import stabilize_names
from equity_factors.naming.table import NAME_COLUMNS, names_frame

__all__ = [
    "NAME_COLUMNS",
    "AnswerError",
    "FactorEvidence",
    "FactorName",
    "LLMAnswer",
    "build_messages",
    "compute_evidence",
    "cs_zscore",
    "equal_weight_market",
    "long_short_returns",
    "messages_hash",
    "name_factor",
    "name_offline",
    "names_frame",
    "parse_answer",
    "rolling_beta",
    "stabilize_names",
    "style_references",
    "theme_scores",
]
