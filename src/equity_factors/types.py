"""Every option list of the project, spelled once: a ``Literal`` per option and the tuple of
its values derived from it (``get_args``). The computation types its parameters with these
aliases, the CLI takes its ``choices`` and help text from the tuples, and this module imports
nothing heavy, so ``eqf --help`` stays fast.
"""

from __future__ import annotations

from typing import Literal, get_args

FactorMethod = Literal["pca", "ica", "nmf", "sparse_pca", "factor", "autoencoder", "fundamental"]
FitMode = Literal["rolling", "in-sample"]
WeightingMethod = Literal["equal", "sharpe", "momentum", "risk_parity", "min_variance",
                          "max_diversification", "pca"]
Technique = Literal["bayesian", "differential", "gradient"]
Objective = Literal["sharpe", "sortino", "calmar"]
Search = Literal["blend", "direct", "both"]
Sizing = Literal["equal", "score"]
Strategy = Literal["basket", "factor-signals", "regime"]
Fill = Literal["close", "next-open"]
Namer = Literal["auto", "offline", "llm"]
ReportKind = Literal["discover", "optimize", "basket", "signals", "regime", "backtest"]

#: The method names users may type (case-insensitive; ``-`` and ``_`` are interchangeable).
FACTOR_METHODS: tuple[str, ...] = get_args(FactorMethod)
MODES: tuple[str, ...] = get_args(FitMode)
WEIGHTING_METHODS: tuple[str, ...] = get_args(WeightingMethod)
TECHNIQUES: tuple[str, ...] = get_args(Technique)
OBJECTIVES: tuple[str, ...] = get_args(Objective)
SEARCHES: tuple[str, ...] = get_args(Search)
SIZINGS: tuple[str, ...] = get_args(Sizing)
NAMERS: tuple[str, ...] = get_args(Namer)
STRATEGIES: tuple[str, ...] = get_args(Strategy)
FILLS: tuple[str, ...] = get_args(Fill)
REPORT_KINDS: tuple[str, ...] = get_args(ReportKind)
