"""Parameter names of the Python API -> the flags a user types, for error messages.

The computation raises :class:`~equity_factors.errors.ParameterError` naming parameters; the CLI
prints the same line with flags. A parameter maps to ``--name-with-dashes`` unless the command
spells it otherwise (the factor model's ``lookback`` is ``--factor-lookback`` in ``optimize``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from equity_factors.distributed.executor import EXECUTORS
from equity_factors.types import (
    FACTOR_METHODS,
    FILLS,
    MODES,
    NAMERS,
    REPORT_KINDS,
    SIZINGS,
    STRATEGIES,
    WEIGHTING_METHODS,
)

#: Spelled the same way by every command.
COMMON = {"n_factors": "-k", "n_components": "-k", "n_trials": "--trials"}

#: Per command, ``scope.parameter`` (or ``parameter``) -> flag.
BY_COMMAND = {
    "optimize": {"factors.lookback": "--factor-lookback", "factors.method": "--factor-method",
                 "optimizer.lookback": "--lookback"},
    "basket": {"factors.method": "--factor-method", "basket.method": "--factor-method"},
}


def flag_for(command: str, scope: str, parameter: str) -> str:
    """The flag of ``parameter`` (of ``scope``) in ``command`` (e.g. ``"optimize"``)."""
    table = BY_COMMAND.get(command, {})
    for key in (f"{scope}.{parameter}", parameter):
        if key in table:
            return table[key]
    return COMMON.get(parameter, "--" + parameter.replace("_", "-"))


#: The table of the request flags: for every command, each request field (a dotted path into
#: nested requests) and the flag that sets it, with its argparse settings, default and help.
#: The parsers are built from it (:func:`add_flags`), ``--help`` shows its defaults, and
#: ``tests/cli/test_cli_flags.py`` checks that every request field is in it and that each default
#: equals the request's. Only output locations and ``--name-factors`` are declared elsewhere.
#: (Defaults are written here rather than read from the request classes so that ``eqf --help``
#: stays fast: the requests live beside heavy imports.)


@dataclass(frozen=True)
class Flag:
    """One flag: its option strings, the ``args`` attribute it fills, and argparse settings."""

    names: tuple[str, ...]
    dest: str
    help: str
    default: Any = None
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    action: str | None = None
    nargs: str | None = None
    metavar: str | None = None
    required: bool = False
    show_default: bool = True

    def add_to(self, parser: Any) -> None:
        kwargs: dict[str, Any] = {"dest": self.dest, "help": self._help()}
        if self.action:
            kwargs["action"] = self.action
        else:
            kwargs["default"] = list(self.default) if isinstance(self.default, tuple) \
                else self.default
            for key in ("type", "choices", "nargs", "metavar"):
                if getattr(self, key) is not None:
                    kwargs[key] = getattr(self, key)
            if self.metavar is None and self.choices is None:
                kwargs["metavar"] = "N" if self.type is int else "X" if self.type is float \
                    else "VALUE"
        if self.required:
            kwargs["required"] = True
        parser.add_argument(*self.names, **kwargs)

    def _help(self) -> str:
        if self.action or not self.show_default or self.default is None or self.required:
            return self.help
        shown = " ".join(map(str, self.default)) if isinstance(self.default, tuple) \
            else self.default
        return f"{self.help} (default {shown})"


def _factors(k: int, *, method: tuple[str, ...] = ("--method",),
             lookback: tuple[str, ...] = ("--lookback",), mode: bool = True,
             seed: bool = True) -> dict[str, Flag]:
    """The factor flags every command that fits factors shares (``factors.*``)."""
    out = {
        "factors.universe": Flag(("--universe", "--symbols"), "universe",
                                 "universe name, ETF, comma list of symbols/ETFs, or @file.txt "
                                 "(e.g. SAMPLE, SYN500, \"SPY,QQQ,IWM\")", metavar="U",
                                 required=True),
        "factors.start": Flag(("--start",), "start", "first date used (YYYY-MM-DD)",
                              metavar="DATE"),
        "factors.end": Flag(("--end",), "end", "last date used (YYYY-MM-DD)", metavar="DATE"),
        "factors.method": Flag(method, "method", f"factor method: {', '.join(FACTOR_METHODS)} "
                               "(case-insensitive; default pca)", metavar="METHOD"),
        "factors.n_components": Flag(("-k", "--n-components"), "n_components",
                                     "number of factors", default=k, type=int),
        "factors.lookback": Flag(lookback, "factor_lookback",
                                 "trading days in each rolling factor fit window", default=252,
                                 type=int),
        "factors.refit": Flag(("--refit",), "refit", "refit the factors every N trading days",
                              default=21, type=int),
        "factors.min_coverage": Flag(("--min-coverage",), "min_coverage",
                                     "a stock enters a fit window only with returns on this "
                                     "share of its days", default=0.9, type=float),
        "factors.seed": Flag(("--seed",), "seed", "random seed", default=42, type=int),
    }
    if not seed:  # the command's own --seed sets it too
        del out["factors.seed"]
    if mode:
        out["factors.mode"] = Flag(("--mode",), "mode", "rolling out-of-sample fits or one "
                                   "in-sample fit (it looks ahead)", default="rolling",
                                   choices=MODES)
    return out


_NAMER = Flag(("--namer",), "namer", "with --name-factors: auto (llm when OPENAI_API_KEY is set, "
              "else offline), offline or llm", default="auto", choices=NAMERS)

COMMAND_FLAGS: dict[str, dict[str, Flag]] = {
    "discover": {**_factors(10), "namer": _NAMER},
    "optimize": {
        **_factors(10, method=("--factor-method", "--method"), lookback=("--factor-lookback",),
                   mode=False, seed=False),
        "technique": Flag(("--technique",), "technique", "bayesian (Optuna TPE), differential "
                          "(scipy DE) or gradient", default="bayesian", metavar="NAME"),
        "methods": Flag(("--methods",), "methods", "weighting methods to blend: "
                        f"{', '.join(WEIGHTING_METHODS)}", nargs="+", metavar="METHOD",
                        default=("sharpe", "momentum", "risk_parity")),
        "objective": Flag(("--objective",), "objective", "sharpe, sortino or calmar",
                          default="sharpe", metavar="NAME"),
        "search": Flag(("--search",), "search", "blend of the methods' weights, direct factor "
                       "weights, or both", default="blend", metavar="NAME"),
        "long_only": Flag(("--long-only",), "long_only", "no negative factor weights (and no "
                          "orientation of losing factors)", action="store_true", default=False),
        "trials": Flag(("--trials",), "trials", "trials (objective evaluations for DE/gradient "
                       "budgets) per fold", default=200, type=int),
        "lookback": Flag(("--lookback",), "lookback", "without --walk-forward: optimize on the "
                         "last N days of factor returns (default 252)", type=int),
        "walk_forward": Flag(("--walk-forward",), "walk_forward", "optimize on each train "
                             "window, apply to the next test window", action="store_true",
                             default=False),
        "train_window": Flag(("--train-window",), "train_window", "days per train window",
                             default=90, type=int),
        "test_window": Flag(("--test-window",), "test_window", "days per test window",
                            default=30, type=int),
        "max_folds": Flag(("--max-folds",), "max_folds", "keep the latest N complete folds of "
                          "the anchored grid", default=20, type=int),
        "storage": Flag(("--storage",), "storage", "a shared Optuna study: "
                        "postgresql+psycopg2://USER:PASSWORD@HOST:PORT/DB (several machines), "
                        "journal:FILE (several processes of one machine) or sqlite:///FILE.db; "
                        "each worker adds --trials trials per fold (default: in memory, "
                        "finished folds cached in the data dir)", metavar="URL"),
        "study": Flag(("--study",), "study", "study name in --storage (walk-forward: one study "
                      "per fold, NAME-fold-<j>); the same name on another machine joins it "
                      "(default: derived from the data and settings)", metavar="NAME"),
        "workers": Flag(("--workers",), "workers", "worker processes: with --storage each adds "
                        "--trials trials to the shared studies; without, walk-forward folds "
                        "run in parallel", default=1, type=int),
        "executor": Flag(("--executor",), "executor", "where the workers run: local processes, "
                         "a Ray or a Dask cluster", default="local", choices=EXECUTORS),
        "address": Flag(("--address",), "address", "the Ray (ray://HOST:10001, HOST:6379) or "
                        "Dask (tcp://HOST:8786) cluster to join (default: start a local one "
                        "with --workers CPUs)", metavar="ADDR"),
        "n_jobs": Flag(("--n-jobs",), "n_jobs", "parallel Optuna workers", default=1, type=int),
        "seed": Flag(("--seed",), "seed", "random seed", default=42, type=int),
        "namer": _NAMER,
    },
    "basket": {
        "results": Flag(("--results",), "results", "results JSON from eqf optimize --output",
                        metavar="JSON", required=True),
        "universe": Flag(("--universe", "--symbols"), "universe",
                         "the universe the results were optimized on", metavar="U",
                         required=True),
        "factor_method": Flag(("--factor-method",), "factor_method", "must match the results' "
                              "factor method (checked; default: theirs)", metavar="METHOD"),
        "spec.long_pct": Flag(("--long-pct",), "long_pct", "top share of stocks long",
                              default=0.05, type=float),
        "spec.short_pct": Flag(("--short-pct",), "short_pct", "bottom share of stocks short",
                               default=0.05, type=float),
        "spec.capital": Flag(("--capital",), "capital", "capital in $", default=100_000.0,
                             type=float),
        "spec.net_exposure": Flag(("--net-exposure",), "net_exposure", "net exposure n: 1.0 all "
                                  "long, 0 market neutral, -1 all short", default=0.0,
                                  type=float),
        "spec.gross_exposure": Flag(("--gross-exposure",), "gross_exposure", "gross exposure g: "
                                    "long book = capital*(g+n)/2, short book = capital*(g-n)/2",
                                    default=1.0, type=float),
        "spec.sizing": Flag(("--sizing",), "sizing", "within a side: proportional to "
                            "|composite| (score) or equal", default="score", choices=SIZINGS),
        "spec.max_weight": Flag(("--max-weight",), "max_weight", "cap on one position as a "
                                "fraction of capital (excess redistributed)", type=float),
        "spec.min_price": Flag(("--min-price",), "min_price", "skip stocks below this price",
                               default=0.0, type=float),
        "spec.min_adv": Flag(("--min-adv",), "min_adv", "skip stocks below this average daily "
                             "dollar volume (when known)", default=0.0, type=float),
        "as_of": Flag(("--as-of",), "as_of", "basket date: the weights in force then, data up "
                      "to it (default: the last stored date)", metavar="DATE"),
        "diff": Flag(("--diff",), "diff", "also write the trades from this earlier basket to "
                     "the new one", metavar="PREVIOUS_CSV"),
    },
    "signals extremes": {
        **_factors(5),
        "threshold": Flag(("--threshold",), "threshold", "|z| threshold", default=2.0,
                          type=float),
        "trade": Flag(("--trade",), "trade", "add a trade per alert: buy/sell the factor basket, "
                      "size, holding days", action="store_true", default=False),
    },
    "signals momentum": {
        **_factors(5),
        "factor": Flag(("--factor",), "factor", "factor id or name", default="F1", metavar="F"),
    },
    "signals cross-section": {
        **_factors(5),
        "top_pct": Flag(("--top-pct",), "top_pct", "share of stocks long", default=0.1,
                        type=float),
        "bottom_pct": Flag(("--bottom-pct",), "bottom_pct", "share of stocks short",
                           default=0.1, type=float),
        "results": Flag(("--results",), "results", "optimization results JSON: rank by its "
                        "optimized composite, with its factor model (the weights in force on "
                        "the last date)", metavar="JSON"),
    },
    "regime detect": {
        **_factors(5, mode=False),
        "n_regimes": Flag(("--regimes",), "n_regimes", "number of regimes", default=3, type=int),
        "predict": Flag(("--predict",), "predict", "forecast horizon in days", default=5,
                        type=int),
        "refit_every": Flag(("--refit-every",), "refit_every", "refit the HMM every N days",
                            default=252, type=int),
        "min_train": Flag(("--min-train",), "min_train", "days before the first fit",
                          default=504, type=int),
        "restarts": Flag(("--restarts",), "restarts", "HMM restarts per fit", default=5,
                         type=int),
    },
    "report": {
        "kind": Flag(("--kind",), "kind", "with latest: the newest run of this kind; with a run "
                     f"id: checked ({', '.join(REPORT_KINDS)})", choices=REPORT_KINDS),
    },
    "dashboard": {
        "port": Flag(("--port",), "port", "port to serve on", default=8501, type=int),
        "host": Flag(("--host",), "host", "address to serve on (another than 127.0.0.1 makes "
                     "the dashboard reachable from other machines)", default="127.0.0.1",
                     metavar="ADDRESS"),
    },
    "routine": {
        **_factors(5, mode=False),
        "n_regimes": Flag(("--regimes",), "n_regimes", "number of regimes", default=3, type=int),
        "predict": Flag(("--predict",), "predict", "regime forecast horizon in days", default=5,
                        type=int),
        "threshold": Flag(("--threshold",), "threshold", "|z| threshold of the extreme alerts",
                          default=2.0, type=float),
        "top_pct": Flag(("--top-pct",), "top_pct", "share of stocks long (candidates)",
                        default=0.1, type=float),
        "bottom_pct": Flag(("--bottom-pct",), "bottom_pct", "share of stocks short "
                           "(candidates)", default=0.1, type=float),
        "results": Flag(("--results",), "results", "optimization results JSON: rank by its "
                        "composite and size today's basket", metavar="JSON"),
        "basket": Flag(("--basket",), "basket", "yesterday's trade_basket.csv: also write the "
                       "trades to today's (needs --results)", metavar="PREVIOUS_CSV"),
    },
}

_OPT = COMMAND_FLAGS["optimize"]
_BASKET = COMMAND_FLAGS["basket"]
COMMAND_FLAGS["backtest"] = {
    **_factors(10, mode=False, seed=False),
    "strategy": Flag(("--strategy",), "strategy", "basket (the optimized blend as a basket), "
                     "factor-signals (factor portfolios on momentum/extreme signals) or regime "
                     "(the allocation of the regime at the previous close)", default="basket",
                     choices=STRATEGIES),
    "train_size": Flag(("--train-size",), "train_size", "days of factor returns each walk "
                       "trains on", default=252, type=int),
    "test_size": Flag(("--test-size",), "test_size", "days each walk trades out of sample (and "
                      "the step between walks)", default=63, type=int),
    "walks": Flag(("--walks",), "walks", "the latest N complete walks of the anchored grid "
                  "(default: all that fit)", type=int),
    "optimize": Flag(("--optimize",), "optimize", "optimize the blend on each walk's train "
                     "window (else the --methods blended equally)", action="store_true",
                     default=False),
    **{k: _OPT[k] for k in ("technique", "methods", "objective", "search", "long_only",
                            "trials")},
    "rebalance": Flag(("--rebalance",), "rebalance", "rebuild the basket: daily, weekly, "
                      "monthly or every N trading days", default="monthly", metavar="RULE"),
    **{k: v for k, v in _BASKET.items() if k.startswith("spec.")},
    "costs.commission_bps": Flag(("--commission-bps",), "commission_bps", "commission, bps of "
                                 "traded notional", default=1.0, type=float),
    "costs.half_spread_bps": Flag(("--spread-bps", "--half-spread-bps"), "half_spread_bps",
                                  "half the bid-ask spread paid on each trade, bps of traded "
                                  "notional", default=5.0, type=float),
    "costs.per_share": Flag(("--per-share",), "per_share", "commission in $ per share (with "
                            "--shares or prices), 0 = off", default=0.0, type=float),
    "costs.min_commission": Flag(("--min-commission",), "min_commission", "minimum per-share "
                                 "commission per order in $", default=0.0, type=float),
    "costs.impact": Flag(("--impact",), "impact", "volume-share impact k: price moves by "
                         "k*(shares/volume)^2 where volume is stored", default=0.1, type=float),
    "costs.volume_cap": Flag(("--volume-cap",), "volume_cap", "most of a day's volume one order "
                             "may fill (the rest is dropped)", default=0.025, type=float),
    "costs.borrow_rate": Flag(("--borrow-rate",), "borrow_rate", "annual short borrow rate on "
                              "the short book, accrued daily", default=0.005, type=float),
    "costs.cash_rate": Flag(("--cash-rate",), "cash_rate", "annual rate earned (or paid) on "
                            "cash", default=0.0, type=float),
    "fill": Flag(("--fill",), "fill", "close: trade at the close of the decision day; "
                 "next-open: at the next open (needs stored opens)", default="close",
                 choices=FILLS),
    "shares": Flag(("--shares",), "shares", "trade whole shares at the fill price",
                   action="store_true", default=False),
    "benchmark": Flag(("--benchmark",), "benchmark", "a stored symbol (e.g. SP500, SPY) "
                      "(default: the equal-weighted universe)", metavar="SYMBOL"),
    "membership": Flag(("--membership",), "membership", "point-in-time: the holdings snapshot "
                       "known on each date; latest: today's holdings throughout (biased, to "
                       "compare)", default="point-in-time", choices=("point-in-time", "latest")),
    "threshold": Flag(("--threshold",), "threshold", "factor-signals: |z| of a factor's level "
                      "beyond which it is traded against", default=2.0, type=float),
    "n_regimes": Flag(("--regimes",), "n_regimes", "regime: number of regimes", default=3,
                      type=int),
    "regime_min_train": Flag(("--regime-min-train",), "regime_min_train", "regime: days "
                             "before the first HMM fit", default=504, type=int),
    "regime_refit_every": Flag(("--regime-refit-every",), "regime_refit_every", "regime: "
                               "refit the HMM every N days", default=252, type=int),
    "regime_restarts": Flag(("--regime-restarts",), "regime_restarts", "regime: HMM restarts "
                            "per fit", default=3, type=int),
    "seed": Flag(("--seed",), "seed", "random seed", default=42, type=int),
}

#: Request fields set without a flag of their own, and why (checked by name by the test).
DERIVED = {
    "factors.method": "--method defaults to None (= pca) so a command reading a results file "
                      "can tell a method the user typed",
    "factors.mode": "optimize, regime and backtest fit rolling factors only (no --mode: "
                    "in-sample fits look ahead)",
    "namer": "None unless --name-factors; then --namer (momentum names with the offline namer)",
    "lookback": "optimize: None unless given, so --walk-forward can refuse it (252 otherwise)",
    "check_method": "the --method the user typed, refused when the results file's differs",
    "costs.periods_per_year": "252 trading days a year, as every metric assumes",
    "factors.n_components": "signals and regime default to 5 factors, discover and optimize to 10",
}

#: field path -> the flag's first option string, per command (derived from the table).
REQUEST_FLAGS: dict[str, dict[str, str]] = {
    command: {field: flag.names[0] for field, flag in table.items()}
    for command, table in COMMAND_FLAGS.items()}
REQUEST_FLAGS["signals momentum"]["namer"] = ""
REQUEST_FLAGS["signals cross-section"]["check_method"] = "--method"
REQUEST_FLAGS["optimize"]["factors.mode"] = ""
REQUEST_FLAGS["optimize"]["factors.seed"] = "--seed"
REQUEST_FLAGS["regime detect"]["factors.mode"] = ""
REQUEST_FLAGS["backtest"]["factors.mode"] = ""
REQUEST_FLAGS["backtest"]["factors.seed"] = "--seed"
REQUEST_FLAGS["backtest"]["costs.periods_per_year"] = ""
REQUEST_FLAGS["routine"]["factors.mode"] = ""


def add_flags(parser: Any, command: str, fields: Iterable[str] | None = None) -> None:
    """Add the table's flags of ``command`` (or only ``fields`` of it, in that order)."""
    table = COMMAND_FLAGS[command]
    for field in (fields if fields is not None else table):
        table[field].add_to(parser)


def factor_fields(command: str) -> list[str]:
    """The ``factors.*`` fields of ``command`` other than universe and period."""
    return [f for f in COMMAND_FLAGS[command] if f.startswith("factors.")
            and f not in ("factors.universe", "factors.start", "factors.end")]
