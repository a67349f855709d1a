"""Shared by every analysis command: universe -> panel -> factor model, with a Parquet cache."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from equity_factors import __version__
from equity_factors.data.cache import FrameCache, cache_key
from equity_factors.data.panel import Panel, load_panel
from equity_factors.data.universe import ResolvedUniverse, resolve_universe
from equity_factors.data.window_store import DiskWindowCache
from equity_factors.errors import UserError
from equity_factors.factors import (
    FACTOR_METHODS,
    FactorModelResult,
    fit_factor_model,
    normalize_method,
)
from equity_factors.types import MODES, FactorMethod, FitMode
from equity_factors.window_cache import WindowCache
from equity_factors.workflows.context import Context
from equity_factors.workflows.requests import Request


@dataclass(frozen=True)
class FactorRequest(Request):
    """What to fit: a universe over a period with one method (the factor flags every command
    that fits factors shares)."""

    universe: str
    method: FactorMethod = "pca"
    n_components: int = 10
    start: str | None = None
    end: str | None = None
    lookback: int = 252
    refit: int = 21
    mode: FitMode = "rolling"
    seed: int = 42
    min_coverage: float = 0.9

    def normalized(self) -> FactorRequest:
        method = normalize_method(self.method)
        mode = str(self.mode).lower()
        if mode not in MODES:
            raise UserError(f"--mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.n_components < 1:
            raise UserError("-k/--n-components must be at least 1")
        if self.lookback < 20:
            raise UserError("--lookback must be at least 20 trading days")
        if self.refit < 1:
            raise UserError("--refit must be at least 1 trading day")
        if not 0 < float(self.min_coverage) <= 1:
            raise UserError(f"--min-coverage must be a number in (0, 1], not {self.min_coverage}")
        return replace(self, method=method, mode=cast(FitMode, mode))


@dataclass(frozen=True)
class FactorFit:
    """A fitted factor model with the panel it came from."""

    request: FactorRequest
    universe: ResolvedUniverse
    panel: Panel
    result: FactorModelResult
    cached: bool
    notes: tuple[str, ...] = ()
    #: per-window cache hits and misses of this fit (empty on a whole-request hit)
    window_stats: dict[str, dict[str, int]] = field(default_factory=dict)


def resolve(ctx: Context, spec: str) -> ResolvedUniverse:
    """Resolve a universe, fetching it on demand when an Alpha Vantage key is set."""
    from equity_factors.data.providers.alphavantage.config import load_config

    config = load_config()
    on_demand = None
    if config.api_key:  # the fetch machinery (an HTTP client) is imported only when usable
        from equity_factors.workflows.fetch import make_on_demand_fetcher

        on_demand = make_on_demand_fetcher(ctx, config)
    return resolve_universe(ctx.store, ctx.data_dir, spec, on_demand=on_demand)


def load_universe_panel(ctx: Context, spec: str, start: str | None = None,
                        end: str | None = None,
                        extra_fields: tuple[str, ...] = ()) -> tuple[ResolvedUniverse, Panel]:
    """Resolve ``spec`` and load its returns panel over [start, end]."""
    _check_dates(start, end)
    universe = resolve(ctx, spec)
    return universe, load_panel(ctx.store, universe, start, end, extra_fields=extra_fields)


def _check_dates(start: str | None, end: str | None) -> None:
    for flag, value in (("--start", start), ("--end", end)):
        if value is not None:
            try:
                pd.Timestamp(value)
            except (ValueError, TypeError):
                raise UserError(f"{flag} {value!r} is not a date; use YYYY-MM-DD") from None
    if start and end and pd.Timestamp(start) >= pd.Timestamp(end):
        raise UserError(f"--start {start} is not before --end {end}")


def parse_as_of(ctx: Context, universe: ResolvedUniverse, as_of: str | None,
                flag: str = "--as-of") -> str | None:
    """``as_of`` as YYYY-MM-DD, refused (one line) when it is not a date or lies after the last
    stored bar of the universe (a date in the future would silently mean "the latest")."""
    if as_of is None:
        return None
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise UserError(f"{flag} {as_of!r} is not a date; use YYYY-MM-DD") from None
    coverage = ctx.store.coverage(list(universe.symbols))
    if not coverage.empty:
        last = pd.Timestamp(coverage["last_date"].max())
        if ts.normalize() > last:
            raise UserError(f"{flag} {ts:%Y-%m-%d} is after the last stored bar of "
                            f"{universe.label} ({last:%Y-%m-%d}); pick a date up to it or fetch "
                            "newer data")
    return str(ts.date())


def characteristics_for(
    ctx: Context, panel: Panel
) -> tuple[dict[str, pd.DataFrame], pd.Series | None, list[str]]:
    """Point-in-time characteristics for the fundamental method, and the stocks' sectors.

    size = log(market cap), value = log(book-to-market), earnings_yield, from stored
    fundamentals (each counts from its reported date); momentum (12-1) and low volatility from
    the returns. Returns (characteristics, sectors, notes on what was unavailable).
    """
    # the fundamental method's module (scikit-learn's estimator base) only when it is used
    from equity_factors.factors.fundamental import asof_characteristics, technical_characteristics

    notes = []
    chars: dict[str, pd.DataFrame] = {}
    fund = ctx.store.fundamentals(panel.symbols, ["market_cap", "book_to_market", "earnings_yield"])
    if not fund.empty:
        asof = asof_characteristics(fund, panel.returns.index, panel.symbols)
        if "market_cap" in asof:
            chars["size"] = np.log(asof["market_cap"].where(asof["market_cap"] > 0))
        if "book_to_market" in asof:
            chars["value"] = np.log(asof["book_to_market"].where(asof["book_to_market"] > 0))
        if "earnings_yield" in asof:
            chars["earnings_yield"] = asof["earnings_yield"]
    missing = [c for c in ("size", "value", "earnings_yield") if c not in chars]
    if missing:
        notes.append(f"no stored fundamentals for {', '.join(missing)}: the fundamental method "
                     "uses the characteristics it has")
    tech = technical_characteristics(panel.returns)
    chars.update(tech)
    info = ctx.store.symbol_info(panel.symbols)
    sectors = info["sector"].reindex(panel.symbols) if "sector" in info else None
    if sectors is not None and sectors.isna().all():
        sectors = None
    return chars, sectors, notes


_FRAMES = ("factor_returns", "loadings", "weights", "weights_history", "stability", "fits")


def result_to_frames(result: FactorModelResult) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """A FactorModelResult as Parquet-ready frames plus JSON metadata."""
    frames = {name: getattr(result, name) for name in _FRAMES}
    frames["explained_variance_ratio"] = result.explained_variance_ratio.rename("value").to_frame()
    if result.coefficients is not None:
        frames["coefficients"] = result.coefficients
    meta = {f.name: getattr(result, f.name) for f in fields(result)
            if f.name not in _FRAMES and f.name not in ("explained_variance_ratio", "coefficients")}
    meta["warnings"] = list(result.warnings)
    meta["params"] = {k: v for k, v in dict(result.params).items()
                      if isinstance(v, (int, float, str, bool, type(None)))}
    return frames, meta


def result_from_frames(frames: dict[str, pd.DataFrame], meta: dict[str, Any]) -> FactorModelResult:
    """The inverse of :func:`result_to_frames`."""
    kwargs = {name: frames[name] for name in _FRAMES}
    kwargs["explained_variance_ratio"] = frames["explained_variance_ratio"]["value"].rename(None)
    kwargs["coefficients"] = frames.get("coefficients")
    kwargs.update(meta)
    kwargs["warnings"] = tuple(meta.get("warnings", ()))
    return FactorModelResult(**kwargs)


def open_window_cache(ctx: Context) -> DiskWindowCache:
    """The per-window results cache of the data directory (``cache/windows.sqlite``)."""
    return DiskWindowCache(ctx.data_dir)


def fit_factors(ctx: Context, request: FactorRequest, *, use_cache: bool = True,
                panel: Panel | None = None,
                universe: ResolvedUniverse | None = None,
                window_cache: WindowCache | None = None) -> FactorFit:
    """Fit (or read from the cache) the factor model a request describes.

    Two levels of cache, both skipped with ``use_cache=False``: the whole result keyed by the
    request and the panel's fingerprint, then each rolling window's fit keyed by its own data
    (``window_cache``, default the data directory's), so one more day of data refits only the
    windows it adds.
    """
    request = request.normalized()
    if panel is None or universe is None:
        universe, panel = load_universe_panel(ctx, request.universe, request.start, request.end)
    n_stocks = panel.returns.shape[1]
    notes: list[str] = list(panel.notes)
    if request.method != "fundamental" and request.n_components >= n_stocks:
        raise UserError(
            f"-k {request.n_components} is not smaller than the {n_stocks} usable stocks of "
            f"{universe.label}; lower -k/--n-components below {n_stocks} or use a larger universe")
    if request.mode == "rolling" and request.lookback >= len(panel.returns) - 1:
        raise UserError(
            f"--lookback {request.lookback} leaves no out-of-sample days in {len(panel.returns)} "
            "days of data; lower --lookback or widen --start/--end")
    key = cache_key(fingerprint=panel.fingerprint, version=__version__,
                    **{k: getattr(request, k) for k in ("method", "n_components", "lookback",
                                                        "refit", "mode", "seed", "min_coverage")})
    cache = FrameCache(ctx.data_dir, "factors")
    if use_cache and (hit := cache.get(key)) is not None:
        return FactorFit(request, universe, panel, result_from_frames(*hit), True, tuple(notes))
    kwargs: dict[str, Any] = {}
    k: int | None = request.n_components
    if request.method == "fundamental":
        chars, sectors, notes_c = characteristics_for(ctx, panel)
        notes += notes_c
        if k is not None and k > len(chars):
            notes.append(f"the fundamental method has {len(chars)} characteristics here; "
                         f"-k {k} reduced to {len(chars)}")
            k = len(chars)
        kwargs.update(characteristics=chars, sectors=sectors)
    bar = ctx.progress(f"fitting {request.method} factors", None)
    own = window_cache is None and use_cache
    wcache = open_window_cache(ctx) if own else window_cache if use_cache else None
    before = wcache.stats.as_dict().get("factors", {}) if wcache is not None else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kept in result.warnings and printed by the CLI
            result = fit_factor_model(panel.returns, request.method, k, mode=request.mode,
                                      lookback=request.lookback, refit=request.refit,
                                      min_coverage=request.min_coverage,
                                      random_state=request.seed,
                                      callback=lambda i, n: bar(i, total=n),
                                      window_cache=wcache, **kwargs)
    finally:
        if wcache is not None:
            flush = getattr(wcache, "close" if own else "flush", None)
            if flush is not None:
                flush()
    stats = {}
    if wcache is not None:
        after = wcache.stats.as_dict().get("factors", {"hits": 0, "misses": 0})
        stats = {"factors": {k_: after.get(k_, 0) - before.get(k_, 0)
                             for k_ in ("hits", "misses")}}
    windows = stats.get("factors", {})
    # a result the window cache rebuilt whole (nothing was fitted) is not stored again: a later
    # read would save about what writing it costs now (0.2 s for a thousand stocks over ten
    # years, every new day)
    rebuilt_whole = windows.get("hits", 0) > 0 and windows.get("misses", 0) == 0
    if not rebuilt_whole:
        cache.put(key, *result_to_frames(result))
    return FactorFit(request, universe, panel, result, False, tuple(notes), stats)


def fit_or_reuse(ctx: Context, request: FactorRequest, prepared: FactorFit | None = None,
                 **kwargs: Any) -> FactorFit:
    """``prepared`` when it is the fit of ``request`` (a routine hands one stage's fit to the
    next: the same request on the same data), else :func:`fit_factors`."""
    if prepared is not None and prepared.request == request.normalized():
        return prepared
    return fit_factors(ctx, request, **kwargs)


__all__ = ["FACTOR_METHODS", "FactorFit", "FactorRequest", "characteristics_for", "fit_factors",
           "fit_or_reuse",
           "load_universe_panel", "open_window_cache", "resolve", "result_from_frames",
           "result_to_frames"]
