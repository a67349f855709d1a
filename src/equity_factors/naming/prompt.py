"""The LLM namer without the network: chat messages, their hash, validation of the JSON answer."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass

from equity_factors.naming.evidence import FactorEvidence
from equity_factors.naming.offline import FactorName

#: Bumped whenever the prompt changes, so cached names of an older prompt are not reused.
PROMPT_VERSION = "1"
MAX_NAME_CHARS = 60
MAX_NAME_WORDS = 8
MAX_DESCRIPTION_CHARS = 300

SYSTEM_PROMPT = """\
You name the factors of a statistical equity factor model for an active trader.
You receive the evidence about ONE factor as JSON:
- its portfolio weights have unit gross exposure (absolute weights sum to 1; positive = long),
  with the top and bottom holdings, the net weight and the net weight per sector;
- sector_r2: how much of the weights sector membership explains (adjusted R^2);
- characteristic_correlation / characteristic_exposure_z: cross-sectional correlation of the
  weights with, and weighted average z-score of, size (log market cap), value (log
  book-to-market), earnings_yield, momentum (12-1 month return), low_volatility (minus
  volatility) and beta;
- reference_correlation: correlation of the factor's daily returns with reference series
  (market = equal-weighted universe; SP500; ls_X = top minus bottom third of characteristic X;
  factor ETFs MTUM, QUAL, SIZE, USMV, VLUE); market_neutral_reference_correlation: the same
  with the market removed from both;
- rule_based_suggestion: what deterministic rules concluded.
Answer with ONE JSON object and nothing else:
{"name": "...", "description": "...", "confidence": 0.0}
- name: at most 6 words describing the long side, e.g. "Market beta", "Small-cap value",
  "Tech vs Energy", "Low-volatility defensives"; when the evidence is mixed start with "Mixed:".
- description: one sentence citing the evidence for the name.
- confidence: a number from 0 to 1, low when the evidence is weak or mixed.
Use only the evidence given."""


@dataclass(frozen=True)
class LLMAnswer:
    """A validated answer: name, one-line description, confidence in [0, 1]."""

    name: str
    description: str
    confidence: float


class AnswerError(ValueError):
    """The model's answer cannot be used; ``reason`` is a short phrase for the namer column."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def build_messages(evidence: FactorEvidence, suggestion: FactorName) -> list[dict[str, str]]:
    """The chat messages asking for one factor's name.

    Parameters
    ----------
    evidence : FactorEvidence
    suggestion : FactorName
        The offline namer's verdict, shown as a hint.

    Returns
    -------
    list of {"role", "content"}
        A system message and a user message holding the evidence as canonical JSON (sorted
        keys), so equal evidence gives byte-identical messages.
    """
    payload = {
        "evidence": evidence.to_dict(),
        "rule_based_suggestion": {"name": suggestion.name, "theme": suggestion.theme,
                                  "confidence": round(float(suggestion.confidence), 2)},
    }
    user = "Name this factor.\n" + json.dumps(payload, sort_keys=True, separators=(", ", ": "))
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def messages_hash(messages: list[dict[str, str]]) -> str:
    """The cache key of a request: sha256 (32 hex digits) of the prompt version and messages."""
    text = json.dumps({"v": PROMPT_VERSION, "messages": messages}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*(.*?)\s*```\s*$", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean_text(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def parse_answer(content: str | None, refusal: str | None = None) -> LLMAnswer:
    """Validate a chat completion's message.

    Accepted: one JSON object (optionally inside a Markdown code fence) with ``name`` (1 to 60
    characters, at most 8 words), ``description`` (text, cut to 300 characters) and
    ``confidence`` (a number in [0, 1], or a string holding one).

    Parameters
    ----------
    content : str or None
        The message content.
    refusal : str or None
        The message's refusal field (OpenAI's structured refusals).

    Raises
    ------
    AnswerError
        ``refused``, ``empty answer``, ``malformed JSON`` or ``invalid answer: <what>``.
    """
    if refusal:
        raise AnswerError("refused")
    if content is None or not str(content).strip():
        raise AnswerError("empty answer")
    text = str(content).strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise AnswerError("malformed JSON") from None
    if not isinstance(data, dict):
        raise AnswerError("malformed JSON")
    if "refusal" in data and data.get("refusal") and "name" not in data:
        raise AnswerError("refused")
    name = data.get("name")
    if not isinstance(name, str) or not _clean_text(name):
        raise AnswerError("invalid answer: no name")
    name = _clean_text(name)
    if len(name) > MAX_NAME_CHARS or len(name.split()) > MAX_NAME_WORDS:
        raise AnswerError("invalid answer: name too long")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise AnswerError("invalid answer: description is not text")
    description = _clean_text(description)
    if len(description) > MAX_DESCRIPTION_CHARS:
        description = description[: MAX_DESCRIPTION_CHARS - 3].rstrip() + "..."
    raw = data.get("confidence")
    if isinstance(raw, bool):
        raise AnswerError("invalid answer: confidence is not a number")
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raise AnswerError("invalid answer: confidence is not a number") from None
    if not isinstance(raw, (int, float)) or not math.isfinite(float(raw)):
        raise AnswerError("invalid answer: confidence is not a number")
    confidence = float(raw)
    if not 0.0 <= confidence <= 1.0:
        raise AnswerError("invalid answer: confidence not in [0, 1]")
    return LLMAnswer(name, description, confidence)


__all__ = ["MAX_DESCRIPTION_CHARS", "MAX_NAME_CHARS", "PROMPT_VERSION", "SYSTEM_PROMPT",
           "AnswerError", "LLMAnswer", "build_messages", "messages_hash", "parse_answer"]
