"""Naming a fit's factors: evidence inputs from the store, offline or LLM names, stable names."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from equity_factors.data.llm import (
    LLMClient,
    LLMConfig,
    LLMFailure,
    cached_name,
    load_llm_config,
    save_name,
)
from equity_factors.data.panel import returns_from_prices
from equity_factors.errors import UserError
from equity_factors.factors import portfolio_returns
from equity_factors.naming.evidence import FactorEvidence, compute_evidence
from equity_factors.naming.offline import FactorName, dedupe_names, name_offline
from equity_factors.naming.prompt import build_messages, messages_hash, parse_answer
from equity_factors.naming.references import (
    equal_weight_market,
    rebalance_dates,
    rolling_beta,
    style_references,
)
from equity_factors.naming.stability import stabilize_names, unique_names
from equity_factors.naming.table import names_frame
from equity_factors.types import NAMERS, Namer
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorFit, characteristics_for

log = logging.getLogger(__name__)

#: Trading days of time-series evidence for rolling fits (at least the fit's lookback).
EVIDENCE_DAYS = 252
#: Reference series of the bundled sample stored beside its stocks (used when present).
STORED_REFERENCES: tuple[str, ...] = ("SP500", "MTUM", "QUAL", "SIZE", "USMV", "VLUE")


def neutral_names(factors: list[str]) -> pd.DataFrame:
    """Names before naming: the factor ids themselves, no description, no confidence."""
    return pd.DataFrame({"factor": factors, "name": factors, "description": "",
                         "confidence": float("nan"), "namer": "none"})


def names_for(ctx: Context, fit: FactorFit, namer: Namer | None) -> pd.DataFrame:
    """The ``factor_names.csv`` table of a command whose request says how to name.

    ``None``: the neutral F1..Fk labels. Otherwise :func:`name_factors` with ``namer``, keeping
    the names of the latest run on the same universe and method by the same kind of namer
    (``auto`` is the LLM when ``OPENAI_API_KEY`` is set, else offline).
    """
    if namer is None:
        return neutral_names(fit.result.factor_names)
    kind = namer if namer != "auto" else ("llm" if load_llm_config().has_key else "offline")
    return name_factors(ctx, fit, namer=namer, previous=previous_names(ctx, fit, kind))


@dataclass(frozen=True)
class NamingInputs:
    """What the evidence is computed from (all point-in-time, aligned to the panel).

    Attributes
    ----------
    sectors : Series or None
        symbol -> sector from the store.
    references : DataFrame of shape (n_dates, n_references)
        ``market`` (equal-weighted universe), ``ls_<characteristic>`` spreads, and the stored
        SP500 / factor ETF returns.
    characteristics : dict name -> DataFrame (dates x symbols)
        size, value, earnings_yield (when fundamentals are stored), momentum, low_volatility,
        beta (trailing 252-day beta on the equal-weighted market).
    as_of : Timestamp
        The last date of the panel (the characteristics' cross-section for the exposures).
    notes : tuple of str
    """

    sectors: pd.Series | None
    references: pd.DataFrame
    characteristics: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    notes: tuple[str, ...] = field(default_factory=tuple)


def normalize_namer(namer: object) -> str:
    """``"Offline"`` -> ``"offline"``; an unknown namer raises UserError listing the valid ones."""
    name = str(namer).strip().lower() if isinstance(namer, str) else ""
    if name not in NAMERS:
        raise UserError(f"unknown namer {namer!r}; choose one of: {', '.join(NAMERS)}")
    return name


def naming_inputs(ctx: Context, fit: FactorFit) -> NamingInputs:
    """Sectors, reference returns and characteristics for naming the factors of ``fit``."""
    panel = fit.panel
    returns = panel.returns
    chars, sectors, notes = characteristics_for(ctx, panel)
    chars = {k: v for k, v in chars.items() if v is not None and v.notna().any().any()}
    market = equal_weight_market(returns)
    # Beta only where it is read: the days before monthly rebalances and the last day.
    rows = rebalance_dates(returns.index).union(returns.index[-1:])
    chars["beta"] = rolling_beta(returns, market, at=rows)
    references = style_references(returns, chars)
    stored = [s for s in STORED_REFERENCES if s not in returns.columns]
    if stored and len(returns.index):
        prices, _ = ctx.store.load_prices(stored, returns.index[0] - pd.Timedelta(days=10),
                                          returns.index[-1])
        adj = prices.get("adj_close")
        if adj is not None and not adj.empty:
            ref = returns_from_prices(adj).reindex(returns.index)
            for col in ref.columns:
                if ref[col].notna().sum() > 0:
                    references[str(col)] = ref[col].to_numpy(dtype=np.float64)
    return NamingInputs(sectors, references, chars, pd.Timestamp(returns.index[-1]),
                        tuple(notes))


def evidence_returns(fit: FactorFit) -> pd.DataFrame:
    """Daily returns of the portfolios a name describes: the latest weights on recent returns.

    A name describes the factor's latest weights. In rolling mode the factor's recorded
    returns come from many refits whose identity can drift over the years, so the time-series
    evidence uses the latest weights applied to the last ``max(lookback, EVIDENCE_DAYS)``
    trading days (the fit window and the days since); in-sample fits use their own returns.
    """
    result = fit.result
    returns = fit.panel.returns
    if result.mode != "rolling":
        return result.factor_returns
    days = max(int(result.lookback or 0), EVIDENCE_DAYS)
    return portfolio_returns(returns.iloc[-days:], result.weights)


def fit_evidence(ctx: Context, fit: FactorFit) -> tuple[FactorEvidence, ...]:
    """The evidence of every factor of ``fit``: its latest weights
    (see :func:`evidence_returns`)."""
    inputs = naming_inputs(ctx, fit)
    return compute_evidence(fit.result.weights, evidence_returns(fit),
                            sectors=inputs.sectors, references=inputs.references,
                            characteristics=inputs.characteristics, as_of=inputs.as_of)


def llm_names(client: LLMClient, evidence: tuple[FactorEvidence, ...],
              offline: tuple[FactorName, ...], store=None,
              skip: frozenset[str] = frozenset()) -> tuple[FactorName, ...]:
    """Ask the LLM for each factor's name (cache first); fall back on the offline name.

    Parameters
    ----------
    client : LLMClient
    evidence, offline : one per factor, same order
    store : Store, optional
        The name cache (by hash of the exact messages and the model).
    skip : set of factor ids
        Factors that keep an earlier name: no request is made for them.
    """
    label = f"llm:{client.model}"
    out = []
    for ev, nm in zip(evidence, offline):
        if nm.factor in skip:
            out.append(nm)
            continue
        messages = build_messages(ev, nm)
        key = messages_hash(messages)
        hit = cached_name(store, key, client.model) if store is not None else None
        if hit is not None:
            out.append(FactorName(nm.factor, hit[0], hit[1], hit[2], label, nm.theme, nm.scores))
            continue
        try:
            answer = client.ask(messages, parse_answer, label=nm.factor)
        except LLMFailure as failure:
            out.append(FactorName(nm.factor, nm.name, nm.description, nm.confidence,
                                  f"offline (llm failed: {client.redact(failure.reason)})",
                                  nm.theme, nm.scores))
            continue
        if store is not None:
            save_name(store, key, client.model, answer.name, answer.description,
                      answer.confidence)
        out.append(FactorName(nm.factor, answer.name, answer.description, answer.confidence,
                              label, nm.theme, nm.scores))
    return dedupe_names(out)


def name_factors(ctx: Context, fit: FactorFit, namer: Namer | str = "auto",
                 previous: pd.DataFrame | None = None, *,
                 llm_config: LLMConfig | None = None,
                 environ: Mapping[str, str] | None = None,
                 client_factory: Callable[[LLMConfig], LLMClient] | None = None
                 ) -> pd.DataFrame:
    """Name the factors of a fit: the ``factor_names.csv`` table.

    Parameters
    ----------
    ctx : Context
    fit : FactorFit
    namer : {"auto", "offline", "llm"}
        ``auto`` = the LLM when ``OPENAI_API_KEY`` is set, else offline.
    previous : DataFrame, optional
        An earlier names table (with its evidence columns): factors whose evidence did not
        change materially keep their earlier names (see ``equity_factors.naming.stability``)
        and cost no LLM request.
    llm_config : LLMConfig, optional
        Default: read from the environment (``OPENAI_*``, ``EQF_LLM_*``, ``.env``).
    environ : mapping, optional
        Variables to read instead of ``os.environ`` (tests).
    client_factory : callable, optional
        Builds the LLM client from the config (tests).

    Returns
    -------
    DataFrame
        Columns ``factor, name, description, confidence, namer`` then the evidence figures
        (:func:`equity_factors.naming.table.names_frame`).
    """
    mode = normalize_namer(namer)
    config = None
    if mode in ("auto", "llm"):
        config = llm_config or load_llm_config(environ, None if environ is None else False)
        if mode == "auto":
            mode = "llm" if config.has_key else "offline"
        elif not config.usable:
            raise UserError("--namer llm needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local "
                            "server); set it or use --namer offline")
    evidence = fit_evidence(ctx, fit)
    offline = name_offline(evidence)
    table = names_frame(evidence, offline)
    table = stabilize_names(table, previous)
    if mode == "llm":
        assert config is not None
        kept = frozenset(table.loc[table["kept_previous"], "factor"].astype(str))
        client = client_factory(config) if client_factory else LLMClient(config)
        named = llm_names(client, evidence, offline, ctx.store, kept)
        fresh = names_frame(evidence, named)
        for col in ("name", "description", "confidence", "namer"):
            table[col] = np.where(table["kept_previous"], table[col], fresh[col])
        table["confidence"] = table["confidence"].astype(np.float64)
        table = unique_names(table)
        failed = [r for r in table["namer"] if str(r).startswith("offline (llm failed")]
        if failed:
            log.warning("LLM naming fell back to offline names for %d of %d factors (%s)",
                        len(failed), len(table), failed[0])
    return table


__all__ = ["EVIDENCE_DAYS", "NAMERS", "STORED_REFERENCES", "Namer", "NamingInputs",
           "evidence_returns", "fit_evidence", "llm_names", "name_factors", "naming_inputs",
           "normalize_namer"]


def previous_names(ctx: Context, fit: FactorFit, namer: str = "offline") -> pd.DataFrame | None:
    """The names table of the latest recorded run on the same universe and factor method whose
    names came from the same kind of namer (``offline`` or ``llm``).

    Passing it as ``previous`` keeps names stable from one run (or refit) to the next: a factor
    matched to an earlier one keeps its name unless its evidence changed materially. Switching
    namer (offline to LLM) starts afresh.
    """
    from equity_factors.data.results import read_run_table
    from equity_factors.data.runs import list_runs

    want_universe = str(fit.request.universe).upper()
    for record in list_runs(ctx.data_dir):
        params = record.get("params", {})
        params = params.get("factors", params)  # optimize nests the factor request
        if (str(params.get("universe", "")).upper() != want_universe
                or params.get("method") != fit.request.method):
            continue
        table = read_run_table(ctx.data_dir, record.get("run_id", ""), "factor_names.csv")
        if (table is not None and "evidence_hash" in table.columns
                and table["namer"].astype(str).str.startswith(namer).all()):
            return table  # a named table of the same namer, not neutral labels
    return None
