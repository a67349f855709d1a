"""``eqf routine``: the morning in one command.

Fetch what is missing (Alpha Vantage, only when a key is set and the universe is not bundled),
then the regime now and its forecast, the extreme alerts, the cross-section candidates and,
with a results file, the basket and its trades against yesterday's. Each stage is the single
command's own workflow, so it writes the same files (into ``output_dir``) and its own run
record; the stages share the per-window results cache, so a morning with one more day of data
refits only the windows that day adds, and the factor fit of the regime stage is handed to the
signal stages (the same request on the same data) instead of being loaded again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from equity_factors.data.synthetic import parse_synthetic_universe
from equity_factors.errors import UserError
from equity_factors.signals.extremes import ExtremesResult
from equity_factors.workflows.basket import BasketOutcome, BasketRequest, basket
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest
from equity_factors.workflows.regime import RegimeOutcome, RegimeRequest, detect
from equity_factors.workflows.requests import Request
from equity_factors.workflows.signals import (
    CrossSectionRequest,
    CrossSectionSignals,
    ExtremesRequest,
    SignalsOutcome,
    cross_section,
    extremes,
)


@dataclass(frozen=True)
class RoutineRequest(Request):
    """The flags of ``eqf routine``: the factor model of the regime and signal stages, the
    regime and signal settings, and the optional results file and previous basket."""

    factors: FactorRequest
    n_regimes: int = 3
    predict: int = 5
    threshold: float = 2.0
    top_pct: float = 0.1
    bottom_pct: float = 0.1
    results: str | None = None
    basket: str | None = None

    def validate(self) -> None:
        if self.basket and not self.results:
            raise UserError("--basket (yesterday's basket) needs --results (the optimizer's "
                            "results to size today's); add --results or drop --basket")
        if self.basket and not Path(self.basket).is_file():
            raise UserError(f"--basket {self.basket}: no such file; pass yesterday's "
                            "trade_basket.csv")
        if self.results and not Path(self.results).is_file():
            raise UserError(f"--results {self.results}: no such file; pass the JSON written by "
                            "eqf optimize --output")
        if self.n_regimes < 2:
            raise UserError(f"--regimes must be at least 2, not {self.n_regimes}")
        if self.predict < 1:
            raise UserError(f"--predict must be at least 1 day, not {self.predict}")
        if self.threshold <= 0:
            raise UserError(f"--threshold must be positive, not {self.threshold}")


@dataclass(frozen=True)
class RoutineOutcome:
    """What each stage produced (None for a stage that did not run) and how long it took."""

    fetch_note: str
    regime: RegimeOutcome
    alerts: SignalsOutcome[ExtremesResult]
    candidates: SignalsOutcome[CrossSectionSignals]
    basket: BasketOutcome | None
    seconds: dict[str, float] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    cache: dict[str, dict[str, int]] = field(default_factory=dict)


def _fetch_missing(ctx: Context, universe: str) -> str:
    """Fetch what the universe lacks when a key is set; a one-line note of what happened."""
    upper = universe.upper()
    if upper == "SAMPLE" or parse_synthetic_universe(upper) is not None:
        return "bundled universe: nothing to fetch"
    from equity_factors.data.providers.alphavantage.config import load_config

    config = load_config()
    if not config.api_key:
        return "no ALPHAVANTAGE_API_KEY: using the stored data"
    from equity_factors.workflows.fetch import fetch

    report = fetch(ctx, universe, config=config)
    reason = report.reason()
    lines = report.text().strip().splitlines()
    return (f"fetch incomplete: {reason}" if reason
            else lines[0] if lines else "fetched what was missing")


def _merge(total: dict[str, dict[str, int]], run_json: Path) -> None:
    import json

    try:
        cache = json.loads(run_json.read_text()).get("cache", {})
    except (OSError, ValueError):
        return
    for kind, counts in cache.items():
        slot = total.setdefault(kind, {"hits": 0, "misses": 0})
        for k in ("hits", "misses"):
            slot[k] += int(counts.get(k, 0))


def routine(ctx: Context, request: RoutineRequest, *, argv: list[str],
            output_dir: str | Path | None = None) -> RoutineOutcome:
    """Run the morning's stages in order; see the module docstring."""
    request.validate()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    note = _fetch_missing(ctx, request.factors.universe)
    seconds["fetch"] = time.perf_counter() - t0
    out = Path(output_dir) if output_dir is not None else None

    def lap(name: str, t: float) -> None:
        seconds[name] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    regime = detect(ctx, RegimeRequest(request.factors, n_regimes=request.n_regimes,
                                       predict=request.predict), argv=argv, output_dir=out)
    lap("regime", t)
    t = time.perf_counter()
    alerts = extremes(ctx, ExtremesRequest(request.factors, threshold=request.threshold,
                                           trade=True), argv=argv, output_dir=out,
                      fit=regime.fit)
    lap("extremes", t)
    t = time.perf_counter()
    candidates = cross_section(ctx, CrossSectionRequest(
        request.factors, top_pct=request.top_pct, bottom_pct=request.bottom_pct,
        results=request.results), argv=argv, output_dir=out, fit=regime.fit)
    lap("cross_section", t)
    made: BasketOutcome | None = None
    if request.results:
        t = time.perf_counter()
        made = basket(ctx, BasketRequest(results=request.results,
                                         universe=request.factors.universe, diff=request.basket),
                      argv=argv, output=out / "trade_basket.csv" if out else None,
                      diff_output=out / "basket_trades.csv" if out else None)
        lap("basket", t)
    files: dict[str, Path] = {**regime.files, **alerts.files, **candidates.files,
                              **(made.files if made else {})}
    cache: dict[str, dict[str, int]] = {}
    for run in [regime.run, alerts.run, candidates.run] + ([made.run] if made else []):
        _merge(cache, run.folder / "run.json")
    seconds["total"] = round(time.perf_counter() - t0, 3)
    return RoutineOutcome(note, regime, alerts, candidates, made, seconds, files, cache)


def summary_lines(outcome: RoutineOutcome, width: int = 80) -> list[str]:
    """The morning on one screen: plain lines no wider than ``width``."""
    r = outcome.regime
    res = r.result
    lines = [f"data   {outcome.fetch_note}"]
    probs = " ".join(f"{k}:{v:.2f}" for k, v in res.current_probabilities.items())
    lines.append(f"regime {res.probabilities.index[-1]:%Y-%m-%d} {res.current_regime} "
                 f"({res.current_label})  P {probs}")
    ahead = r.forecast.iloc[-1]
    lines.append(f"       in {len(r.forecast)} days: " + " ".join(
        f"{k}:{v:.2f}" for k, v in ahead.items()))
    a = outcome.alerts.result
    lines.append(f"alerts {len(a.alerts)} beyond |z| > {a.threshold:g} on {a.as_of:%Y-%m-%d}")
    for _, row in a.alerts.head(5).iterrows():
        action = f" -> {row['action']}" if "action" in row and isinstance(row["action"], str) \
            else ""
        lines.append(f"       {row['factor']} {row['kind']} z {row['zscore']:+.2f}{action}")
    ranking = outcome.candidates.result.ranking

    def names(frame: Any) -> str:
        return " ".join(str(s) for s in list(frame.index)[:8]) or "-"

    lines.append(f"long   {names(ranking.long)}")
    lines.append(f"short  {names(ranking.short)}")
    b = outcome.basket
    if b is not None:
        s = b.summary
        lines.append(f"basket {s.n_long} long / {s.n_short} short, gross ${s.gross_dollars:,.0f}"
                     f", net ${s.net_dollars:,.0f}")
        if b.trades is not None:
            orders = b.trades[b.trades["trade_shares"] != 0]
            buys = float(orders.loc[orders["trade_shares"] > 0, "trade_dollars"].sum())
            sells = float(-orders.loc[orders["trade_shares"] < 0, "trade_dollars"].sum())
            lines.append(f"trades {len(orders)} orders vs yesterday: buy ${abs(buys):,.0f}, "
                         f"sell ${abs(sells):,.0f} (basket_trades.csv)")
            for _, row in orders.head(5).iterrows():
                lines.append(f"       {row['action']} {abs(int(row['trade_shares']))} "
                             f"{row['ticker']} ({row['change'].lower()})")
    cached = outcome.cache
    hits = sum(v["hits"] for v in cached.values())
    total = hits + sum(v["misses"] for v in cached.values())
    lines.append(f"cache  {hits}/{total} windows reused; {outcome.seconds['total']:.1f} s; "
                 f"{len(outcome.files)} files")
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]
