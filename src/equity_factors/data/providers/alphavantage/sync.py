"""Synchronise the store with Alpha Vantage: incremental, resumable, rate-limited fetches.

The workflow entry point is ``equity_factors.workflows.fetch`` (this module's ``fetch`` and
``make_on_demand_fetcher``); ``ctx`` is anything with the store, the data directory and a
progress factory (:class:`SyncContext`; the workflows' ``Context`` is one).

``fetch(ctx, "SPY")`` expands an ETF into its holdings (ETF_PROFILE, stored with today's date as
``as_of`` and saved as universe ``SPY``), then fetches the daily bars of every holding and of the
ETF itself; ``fetch(ctx, "AAPL,MSFT,BRK.B")`` fetches a list. For each symbol only what the
store lacks is requested:

* nothing stored, ``refresh``, or ``start`` earlier than the stored history -> the full history
  (``outputsize=full``; a free key only gets the latest 100 days);
* fetched after the latest US close (22:00 UTC on a weekday) -> up to date, no call;
* otherwise the latest 100 days (``compact``) when they reach back to the last stored day, else
  the full history.

New days are merged with the stored ones (a dividend or split in the new days rescales the stored
adjusted closes, see :func:`merge_bars`), and each symbol is written in its own transaction, so an
interrupted fetch (Ctrl-C, kill, daily limit) keeps every finished symbol and a rerun fetches the
rest without duplicating a day. Symbols Alpha Vantage does not know are recorded as failed with
the reason and not asked again for :data:`RETRY_UNKNOWN_DAYS` days (``refresh`` retries them).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from equity_factors.data import clock
from equity_factors.data.paths import DataDir
from equity_factors.data.providers.alphavantage import (
    AlphaVantageClient,
    AlphaVantageConfig,
    AlphaVantageError,
    AlphaVantageProvider,
    DailyLimitReached,
    FetchStopped,
    PremiumRequired,
    ProviderState,
    RateLimiter,
    SymbolNotFound,
    load_config,
    merge_bars,
)
from equity_factors.data.providers.alphavantage.limiter import DAY
from equity_factors.data.providers.alphavantage.redaction import redact
from equity_factors.data.providers.alphavantage.responses import ResponseCache, trading_day
from equity_factors.data.providers.alphavantage.state import SymbolState
from equity_factors.data.providers.alphavantage.symbols import (
    api_symbol,
    canonical_symbol,
    is_valid_symbol,
)
from equity_factors.data.store import FetchRecord, Store, utc_now
from equity_factors.data.universe import BUNDLED_HINT, spec_tokens
from equity_factors.errors import FetchIncomplete, UserError


class SyncContext(Protocol):
    """What a fetch needs from its caller: the store, the data directory, progress bars."""

    @property
    def store(self) -> Store: ...

    @property
    def data_dir(self) -> DataDir: ...

    @property
    def progress(self) -> Callable[[str, int | None], Callable[..., None]]: ...


SOURCE = "alphavantage"
COMPACT_DAYS = 100
RETRY_UNKNOWN_DAYS = 7
Status = Literal["fetched", "up_to_date", "failed", "not_fetched"]
STATUS_LABELS = {"fetched": "fetched", "up_to_date": "up to date", "failed": "failed",
                 "not_fetched": "not fetched"}


# ----------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class SymbolOutcome:
    """What happened to one symbol: ``bars`` = daily bars received and stored."""

    symbol: str
    status: Status
    bars: int = 0
    reason: str = ""


@dataclass(frozen=True)
class FetchReport:
    """The result of :func:`fetch`.

    Attributes
    ----------
    spec : str
        What was asked for.
    universe : str or None
        The universe saved (an ETF's name), if any.
    members : tuple of str
        The symbols the request stands for (an ETF's holdings, or the list).
    outcomes : tuple of SymbolOutcome
        One per symbol attempted (members and the ETF itself).
    calls : int
        API calls made by this fetch (retries included).
    seconds : float
    stopped : str or None
        Why the fetch stopped before the end (the daily limit) and when to resume.
    notes : tuple of str
    tier : str
        What was learnt about the key ("premium", "free ...").
    """

    spec: str
    universe: str | None
    members: tuple[str, ...]
    outcomes: tuple[SymbolOutcome, ...]
    calls: int
    seconds: float
    stopped: str | None = None
    notes: tuple[str, ...] = ()
    tier: str = "unknown"
    cached_answers: int = 0
    budget: str | None = None
    unknown_requested: tuple[str, ...] = ()
    other_source: tuple[str, ...] = ()

    def summary(self) -> pd.DataFrame:
        """Symbols and bars per status (fetched, up to date, failed, not fetched)."""
        rows = []
        for status, label in STATUS_LABELS.items():
            chosen = [o for o in self.outcomes if o.status == status]
            rows.append((label, len(chosen), sum(o.bars for o in chosen)))
        return pd.DataFrame(rows, columns=["status", "symbols", "bars"]).set_index("status")

    def failures(self) -> pd.DataFrame:
        """Failed and not-fetched symbols with the reason."""
        rows = [(o.symbol, STATUS_LABELS[o.status], o.reason) for o in self.outcomes
                if o.status in ("failed", "not_fetched")]
        return pd.DataFrame(rows, columns=["symbol", "status", "reason"])

    def ok_symbols(self) -> list[str]:
        """Symbols with stored bars after this fetch (fetched or up to date)."""
        return [o.symbol for o in self.outcomes if o.status in ("fetched", "up_to_date")]

    @property
    def rate_per_minute(self) -> float:
        """Pace of the calls: intervals between them per minute (n calls span n - 1 intervals,
        so a fetch paced exactly at the limit shows the limit)."""
        if self.seconds > 0 and self.calls > 1:
            return 60.0 * (self.calls - 1) / self.seconds
        return 0.0

    @property
    def exit_code(self) -> int:
        """0 when every symbol is stored or permanently failed; 1 when a rerun has work left;
        2 when symbols the user named are unknown to Alpha Vantage (the others are stored)."""
        left = any(o.status == "not_fetched" for o in self.outcomes)
        retry = any(o.status == "failed" and not o.reason.startswith(("unknown", "stored from"))
                    for o in self.outcomes)
        if self.stopped or left or retry:
            return 1
        return 2 if (self.unknown_requested or self.other_source) else 0

    def reason(self) -> str | None:
        """One line: why this fetch did not deliver everything (None when it did)."""
        if self.stopped:
            return self.stopped
        if self.unknown_requested:
            return (f"unknown to Alpha Vantage: {', '.join(self.unknown_requested)}; check the "
                    "symbols (share classes are written like BRK-B) or drop them")
        if self.other_source:
            return (f"{len(self.other_source)} symbol(s) are stored from another source and were "
                    f"not fetched ({', '.join(self.other_source[:5])}): a symbol's bars come "
                    "from one source; pass --replace to replace them with Alpha Vantage's")
        failed = [o for o in self.outcomes if o.status in ("failed", "not_fetched")
                  and not o.reason.startswith(("unknown", "stored from"))]
        if failed:
            return (f"{len(failed)} symbol(s) failed ({failed[0].symbol}: {failed[0].reason}); "
                    "rerun the same command to retry them")
        return None

    def text(self) -> str:
        """The summary as plain text (for commands that fetched on the way)."""
        lines = list(self.notes)
        lines.append(f"Alpha Vantage fetch of {self.spec}:")
        lines.append(self.summary().to_string())
        failures = self.failures()
        if not failures.empty:
            lines.append(failures.to_string(index=False))
        lines.append(f"{self.calls} calls, {self.cached_answers} answers reused from the store; "
                     f"key tier: {self.tier}")
        if self.budget:
            lines.append(self.budget)
        return "\n".join(lines)


@dataclass(frozen=True)
class Plan:
    """What to do for one symbol: "full", "compact", "up_to_date" or "skip_failed"."""

    action: Literal["full", "compact", "up_to_date", "skip_failed"]
    reason: str = ""


# ----------------------------------------------------------------------------------- planning
def latest_close(now: pd.Timestamp) -> pd.Timestamp:
    """The latest weekday 22:00 UTC at or before ``now``: US markets close at 20:00 or 21:00
    UTC; an hour more for the provider's end-of-day update."""
    now = _utc(now)
    stamp = now.normalize() + pd.Timedelta(hours=22)
    if stamp > now:
        stamp -= pd.Timedelta(days=1)
    while stamp.weekday() >= 5:
        stamp -= pd.Timedelta(days=1)
    return stamp


def _utc(stamp: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(stamp)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _busdays(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return int(np.busday_count(pd.Timestamp(a).date(), pd.Timestamp(b).date()))


def plan_symbol(coverage: tuple[pd.Timestamp, pd.Timestamp] | None, state: SymbolState | None,
                *, now: pd.Timestamp, start: pd.Timestamp | None = None, refresh: bool = False,
                full_allowed: bool | None = None) -> Plan:
    """Decide what one symbol needs (pure function of what is stored and the time).

    Parameters
    ----------
    coverage : (first_date, last_date) of stored bars, or None
    state : the provider's record of the symbol, or None
    now : current time (UTC)
    start : first date wanted, optional
    refresh : fetch the full history again
    full_allowed : whether ``outputsize=full`` works for the key (None: unknown)
    """
    now = _utc(now)
    if refresh:
        return Plan("full", "refresh")
    if (state is not None and state.status == "not_found" and state.checked_at is not None
            and now - state.checked_at < pd.Timedelta(days=RETRY_UNKNOWN_DAYS)):
        return Plan("skip_failed", f"{state.reason or 'unknown to Alpha Vantage'} (checked "
                                   f"{state.checked_at:%Y-%m-%d}; --refresh retries)")
    if coverage is None:
        return Plan("full", "not stored")
    first, last = coverage
    if start is not None and start < first and full_allowed is not False:
        known = state.history_start if state is not None else None
        if known is None or known < first:
            return Plan("full", "earlier history wanted")
    fetched = state.fetched_at if state is not None and state.status != "not_found" else None
    if fetched is not None and fetched >= latest_close(now):
        return Plan("up_to_date")
    if fetched is not None and state is not None and state.last_refreshed is not None:
        provider_last = max(state.last_refreshed, last)
        missing = _busdays(last, provider_last) + _busdays(fetched, now)
    else:
        missing = _busdays(last, now)
    return Plan("compact" if missing <= COMPACT_DAYS - 5 else "full", f"{missing} days missing")


# ----------------------------------------------------------------------------------- session
def _default_workers(calls_per_minute: float) -> int:
    # Enough threads to keep the plan's rate with ~0.5 s responses; the limiter paces them.
    return max(2, min(16, math.ceil(calls_per_minute / 60.0 * 0.5) + 1))


class _Session:
    """Client, limiter, provider and shared flags of one fetch."""

    def __init__(self, ctx: SyncContext, config: AlphaVantageConfig, workers: int | None,
                 transport: object | None, now: pd.Timestamp, refresh: bool = False) -> None:
        self.ctx = ctx
        self.config = config
        self.state = ProviderState(ctx.store)
        self.key_id = self.state.key_id(config.api_key or "")
        self.limiter = RateLimiter(config.calls_per_minute, config.calls_per_day,
                                   store=ctx.store, key_id=self.key_id, clock=clock.time)
        self.workers = workers or _default_workers(config.calls_per_minute)
        self.stop = threading.Event()
        self.responses = ResponseCache(ctx.store, trading_day(now), read=not refresh)
        self.responses.prune()
        self.client = AlphaVantageClient(config, limiter=self.limiter, stop=self.stop,
                                         transport=transport,  # type: ignore[arg-type]
                                         max_connections=self.workers + 1,
                                         responses=self.responses,
                                         on_daily_notice=self.learn_budget)
        self.provider = AlphaVantageProvider(self.client, self.state, self.key_id)
        self.stopped: DailyLimitReached | None = None
        self._lock = threading.Lock()
        self.budget, self.budget_source = self._known_budget()
        self.replace = False
        self.replacing: set[str] = set()
        self.limiter.calls_per_day = self.budget

    # ------------------------------------------------------------------ the daily budget
    @property
    def _budget_name(self) -> str:
        return f"daily_budget:{self.key_id}"

    def _known_budget(self) -> tuple[int | None, str]:
        """ALPHAVANTAGE_CALLS_PER_DAY, else what a daily notice taught in the last 7 days."""
        if self.config.calls_per_day is not None:
            per_day = self.config.calls_per_day
            return per_day, f"ALPHAVANTAGE_CALLS_PER_DAY={per_day}"
        found = self.state.get(self._budget_name)
        if found is None or self.provider.adjusted:
            return None, ""
        learnt = json.loads(found[0])
        if clock.time() - float(learnt["at"]) > 7 * DAY:
            return None, ""
        return int(learnt["calls"]), "learnt from Alpha Vantage's daily-limit notice"

    def learn_budget(self, slot: float, message: str) -> None:
        """A daily-limit notice: the budget is the calls this key made in the 24 hours before
        it (all eqf processes; fewer if the notice quotes a smaller number)."""
        with self.ctx.store.connect() as conn:
            made = conn.execute("SELECT COUNT(*) FROM api_calls WHERE key_hash = ? AND t > ? "
                                "AND t < ?", (self.key_id, slot - DAY, slot)).fetchone()[0]
        quoted = re.search(r"(\d+) requests per day", message)
        calls = min(made, int(quoted.group(1))) if quoted else made
        with self._lock:
            found = self.state.get(self._budget_name)
            if found is not None:
                old = json.loads(found[0])
                if slot - float(old["at"]) < DAY and int(old["calls"]) <= calls:
                    return
            self.state.set(self._budget_name, json.dumps({"calls": max(1, calls), "at": slot}))

    def calls_left(self) -> int | None:
        """Calls left in the trailing 24 hours under the known budget (None: no budget)."""
        if self.budget is None:
            return None
        return max(0, self.budget - self.limiter.calls_in_window(DAY))

    def budget_resets(self) -> str:
        """When the oldest call of the trailing 24 hours leaves the window."""
        with self.ctx.store.connect() as conn:
            oldest = conn.execute("SELECT MIN(t) FROM api_calls WHERE key_hash = ? AND t > ?",
                                  (self.key_id, clock.time() - DAY)).fetchone()[0]
        when = (oldest or clock.time()) + DAY
        return pd.Timestamp(when, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")

    def symbol_cost(self) -> int:
        """Calls one symbol's prices cost with this key (3 on the free route)."""
        return 1 if self.provider.adjusted else 3

    def halt(self, exc: DailyLimitReached) -> None:
        with self._lock:
            if self.stopped is None:
                self.stopped = exc
        self.stop.set()

    def close(self) -> None:
        self.client.close()
        self.limiter.close()


# ----------------------------------------------------------------------------------- entry points
def no_key_error(what: str) -> UserError:
    """The error when a real-data fetch has no key."""
    return UserError(f"fetching {what} needs an Alpha Vantage key: set ALPHAVANTAGE_API_KEY (or "
                     f"put it in .env); without one use the {BUNDLED_HINT}")


def fetch(ctx: SyncContext, spec: str, *, start: str | pd.Timestamp | None = None,
          refresh: bool = False, fundamentals: bool = False, listing_status: bool = False,
          config: AlphaVantageConfig | None = None, workers: int | None = None,
          now: pd.Timestamp | None = None, transport: object | None = None,
          replace: bool = False) -> FetchReport:
    """Fetch what ``spec`` needs from Alpha Vantage into the store.

    Parameters
    ----------
    ctx : Context
        Store, data directory and progress factory.
    spec : str
        An ETF (``SPY``: its holdings become universe ``SPY``), a symbol, a comma list of
        symbols, ``@file.txt``, or a stored universe whose members to fetch.
    start : date, optional
        Store bars from this date on (Alpha Vantage has no date parameters; this filters).
    refresh : bool
        Fetch full histories and holdings again, and retry symbols recorded as unknown.
    fundamentals : bool
        Also fetch OVERVIEW, EARNINGS and BALANCE_SHEET per symbol (3 more calls each).
    listing_status : bool
        Also fetch LISTING_STATUS (active and delisted, 2 calls) into the symbol table.
    config : AlphaVantageConfig, optional
        Default: :func:`load_config` (environment and ``.env``).
    workers : int, optional
        Threads (default from the rate); the limiter paces them all.
    now : Timestamp, optional
        The current time (tests).
    transport : httpx transport, optional
        Replaces the network (tests).
    replace : bool
        Symbols stored from another source (an import, the bundled sample) are refused (no
        call) unless ``replace``: then their bars are replaced by Alpha Vantage's full fetch.

    Returns
    -------
    FetchReport

    Raises
    ------
    UserError
        No key, a bad date, an invalid key (InvalidApiKey).
    """
    config = config or load_config()
    if not config.api_key:
        raise no_key_error(spec)
    start_ts = _parse_start(start)
    now_ts = _utc(now) if now is not None else clock.now()
    began, started_at = time.monotonic(), utc_now()
    session = _Session(ctx, config, workers, transport, now_ts, refresh)
    session.replace = replace
    notes: list[str] = []
    outcomes: list[SymbolOutcome] = []
    universe: str | None = None
    members: list[str] = []
    try:
        try:
            if listing_status:
                notes.append(_fetch_listing(session))
            universe, members, extra = _resolve(session, spec, refresh, now_ts, notes)
        except DailyLimitReached as exc:
            session.halt(exc)
            extra = []
        symbols = list(dict.fromkeys([*members, *extra]))
        if session.stopped is None:
            outcomes = _fetch_symbols(session, symbols, start_ts, refresh,
                                      set(members) if fundamentals else set(), now_ts,
                                      label=universe or spec)
        else:
            outcomes = [SymbolOutcome(s, "not_fetched", 0, "daily limit reached") for s in symbols]
    finally:
        session.close()
    stopped = None
    left = sum(o.status == "not_fetched" for o in outcomes)
    if session.stopped is not None:
        rest = f"to fetch the remaining {left} symbol(s)" if left else "to continue"
        stopped = (f"{session.stopped}; what was fetched is kept: rerun the same command "
                   f"{session.stopped.resume_after} {rest}")
    budget_line = None
    calls_left = session.calls_left()
    if calls_left is not None:
        cost = session.symbol_cost()
        can = calls_left // cost
        budget_line = (f"daily budget ({session.budget} calls, {session.budget_source}): "
                       f"{calls_left} left until {session.budget_resets()}, enough for "
                       f"{min(can, left) if left else can} more symbol(s) at {cost} calls each"
                       + (f"; {left} symbol(s) still to fetch" if left else ""))
        if left and stopped is None:
            stopped = (f"the daily budget ({session.budget_source}) leaves {calls_left} call(s) "
                       f"(a symbol needs {cost}); what was fetched is kept: rerun the same "
                       f"command after {session.budget_resets()} to fetch the remaining {left} "
                       "symbol(s)")
    other = tuple(o.symbol for o in outcomes if o.status == "failed"
                  and o.reason.startswith("stored from"))
    requested = set(_tokens(spec)) if universe is None else set()
    requested = {canonical_symbol(t) for t in requested}
    unknown = tuple(o.symbol for o in outcomes if o.status == "failed"
                    and o.reason.startswith("unknown") and o.symbol in requested)
    report = FetchReport(spec, universe, tuple(members), tuple(outcomes), session.client.attempts,
                         time.monotonic() - began, redact(stopped) if stopped else None,
                         tuple(redact(n) for n in notes), session.provider.tier,
                         session.responses.hits, budget_line, unknown, other)
    summary = report.summary()["symbols"].to_dict()
    ctx.store.log_fetch(FetchRecord(
        SOURCE, "prices", (universe or spec)[:200],
        "stopped" if stopped else ("ok" if report.exit_code == 0 else "partial"),
        int(sum(o.bars for o in outcomes)),
        redact(", ".join(f"{k} {v}" for k, v in summary.items()) + f"; {report.calls} calls")),
        started_at)
    return report


def make_on_demand_fetcher(ctx: SyncContext, config: AlphaVantageConfig | None = None
                           ) -> Callable[[str], list[str] | None] | None:
    """The ``on_demand`` callable for :func:`~equity_factors.data.universe.resolve_universe`.

    Returns None without a key (the resolver then names the bundled universes). With a key, the
    callable fetches a token nothing local knows (an ETF or a symbol) and returns the symbols
    that now have bars, or None when there are none.
    """
    config = config or load_config()
    if not config.api_key:
        return None

    def on_demand(token: str) -> list[str] | None:
        report = fetch(ctx, token, config=config)
        ok = set(report.ok_symbols())
        found = [s for s in report.members if s in ok]
        reason = report.reason()
        if reason is not None or not found:
            # Stop with the fetch's own reason (a daily cap, unknown symbols), not with a
            # later, confusing message about the universe being too small.
            raise FetchIncomplete(
                f"fetching {token} for this command did not complete: "
                + (reason or f"Alpha Vantage has no prices for {token}"),
                details=report.text(), exit_code=report.exit_code or 2)
        return found

    return on_demand


# ----------------------------------------------------------------------------------- steps
def _parse_start(start: str | pd.Timestamp | None) -> pd.Timestamp | None:
    if start is None or start == "":
        return None
    try:
        stamp = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise UserError(f"--start {start!r} is not a date; use YYYY-MM-DD, e.g. 2015-01-01"
                        ) from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize()


def _tokens(spec: str) -> list[str]:
    return spec_tokens(spec, "nothing to fetch; give an ETF such as SPY or symbols like "
                             "AAPL,MSFT")


def _resolve(session: _Session, spec: str, refresh: bool, now: pd.Timestamp,
             notes: list[str]) -> tuple[str | None, list[str], list[str]]:
    """(universe saved, members, extra symbols to fetch) for ``spec``."""
    store = session.ctx.store
    tokens = _tokens(spec)
    if len(tokens) > 1:
        return None, [canonical_symbol(t) for t in tokens], []
    token = tokens[0]
    stored = store.universe(token)
    if stored is not None and stored[1]["source"] != SOURCE:
        notes.append(f"fetching the {len(stored[0])} members of stored universe "
                     f"{stored[1]['name']}")
        return None, list(stored[0]), []
    symbol = canonical_symbol(token)
    if not is_valid_symbol(symbol):
        return None, [symbol], []
    info = store.symbol_info([symbol])
    asset = str(info["asset_type"].iloc[0]).lower() if len(info) and info["asset_type"].notna(
    ).iloc[0] else ""
    if asset and "etf" not in asset and "fund" not in asset:
        return None, [symbol], []  # a stock we already know
    today = now.strftime("%Y-%m-%d")
    held = store.holdings(symbol)
    if not refresh and len(held) and str(held["as_of"].iloc[0]) >= today:
        holdings = held[["symbol", "weight"]]
        notes.append(f"holdings of {symbol} as of {today} reused")
    else:
        try:
            found = session.provider.etf_holdings(symbol)
        except PremiumRequired:
            notes.append(f"ETF_PROFILE is premium-only for this key: {symbol} is fetched as one "
                         "symbol; to fetch an ETF's holdings give them as a list")
            found = None
        if found is None:
            return None, [symbol], []
        holdings = found[["symbol", "weight"]]
        store.write_holdings(symbol, holdings, as_of=today, source=SOURCE)
        notes.append(f"{symbol}: {len(holdings)} holdings as of {today} "
                     f"(weights sum {holdings['weight'].sum():.3f})")
    members = [str(s) for s in holdings["symbol"]]
    store.save_universe(symbol, members, source=SOURCE,
                        params={"etf": symbol, "as_of": today, "reference": [symbol]})
    return symbol, members, [symbol]


def _fetch_listing(session: _Session) -> str:
    frames = []
    for state in ("active", "delisted"):
        frames.append(session.provider.listing_status(state))
    listing = pd.concat(frames, ignore_index=True).drop_duplicates("symbol", keep="first")
    info = listing[["symbol", "name", "asset_type", "list_date", "delist_date"]]
    session.ctx.store.upsert_symbols(info, source=SOURCE)
    delisted = int(listing["delist_date"].notna().sum())
    return (f"listing status: {len(listing) - delisted} active and {delisted} delisted symbols "
            "stored (names, asset types, listing and delisting dates)")


def _fetch_symbols(session: _Session, symbols: list[str], start: pd.Timestamp | None,
                   refresh: bool, fundamentals: set[str], now: pd.Timestamp,
                   label: str) -> list[SymbolOutcome]:
    """Plan every symbol, then fetch those with work in a thread pool (``fundamentals``: the
    symbols whose OVERVIEW, EARNINGS and BALANCE_SHEET are wanted too)."""
    store = session.ctx.store
    coverage = store.coverage(symbols)
    cover = {s: (pd.Timestamp(r.first_date), pd.Timestamp(r.last_date))
             for s, r in coverage.iterrows()}
    states = session.state.symbols(symbols)
    close = latest_close(now)
    outcomes: dict[str, SymbolOutcome] = {}
    tasks: list[tuple[str, Plan, bool]] = []
    sources = store.bar_sources(symbols)
    for symbol in symbols:
        if not is_valid_symbol(symbol):
            outcomes[symbol] = SymbolOutcome(symbol, "failed", 0,
                                             "unknown: not a symbol Alpha Vantage serves")
            continue
        if sources.get(symbol, SOURCE) != SOURCE:
            if not session.replace:  # one source per symbol: never splice two
                outcomes[symbol] = SymbolOutcome(
                    symbol, "failed", 0, f"stored from {sources[symbol]} (a symbol's bars come "
                    "from one source; --replace fetches Alpha Vantage's instead)")
                continue
            session.replacing.add(symbol)
            cover.pop(symbol, None)
        st = states.get(symbol)
        plan = plan_symbol(cover.get(symbol), st, now=now, start=start, refresh=refresh,
                           full_allowed=session.provider.full)
        need_fund = symbol in fundamentals and plan.action != "skip_failed" and (
            refresh or st is None or st.fundamentals_at is None or st.fundamentals_at < close)
        if plan.action == "skip_failed":
            outcomes[symbol] = SymbolOutcome(symbol, "failed", 0, plan.reason)
        elif plan.action == "up_to_date" and not need_fund:
            outcomes[symbol] = SymbolOutcome(symbol, "up_to_date")
        else:
            tasks.append((symbol, plan, need_fund))
    first: list[tuple[str, Plan, bool]] = []
    if tasks and session.budget is not None and (session.provider.adjusted is None or (
            session.provider.full is None and any(p.action == "full" for _, p, _ in tasks))):
        # Unknown entitlements: the first symbol alone learns what a symbol costs this key.
        first, tasks = tasks[:1], tasks[1:]
    bar = session.ctx.progress(f"fetching {label}", len(tasks) + len(first))
    for symbol, plan, need_fund in first:
        outcomes[symbol] = _one(session, symbol, plan, need_fund, start, now)
    if session.stopped is None:
        tasks = _within_budget(session, tasks, outcomes)
    began = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=session.workers, thread_name_prefix="av-fetch")
    futures: dict[Future, str] = {}
    try:
        futures = {pool.submit(_one, session, s, p, f, start, now): s for s, p, f in tasks}
        pending = set(futures)
        done_count = len(first)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                outcome = fut.result()
                outcomes[outcome.symbol] = outcome
                done_count += 1
            calls = session.client.attempts
            elapsed = time.monotonic() - began
            rate = 60.0 * calls / elapsed if elapsed > 0 else 0.0
            bar(done_count, info=f"{calls} calls, {rate:,.0f}/min")
    except BaseException:
        session.stop.set()  # Ctrl-C or a fatal error: finish in-flight symbols, start no more
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for symbol in symbols:
        if symbol not in outcomes:
            outcomes[symbol] = SymbolOutcome(symbol, "not_fetched", 0, "stopped before it")
    return [outcomes[s] for s in symbols]


def _within_budget(session: _Session, tasks: list[tuple[str, Plan, bool]],
                   outcomes: dict[str, SymbolOutcome]) -> list[tuple[str, Plan, bool]]:
    """With a known daily budget, keep the tasks the calls left can finish whole (in order;
    answers already in the response cache cost nothing); the rest are not fetched."""
    left = session.calls_left()
    if left is None or not tasks:
        return tasks
    provider = session.provider
    cached = session.responses.cached_functions([api_symbol(s) for s, _, _ in tasks])
    # Unknown entitlements cost one refused probe each (premium series, full history).
    reserve = int(provider.adjusted is None) + int(
        provider.full is None and any(p.action == "full" for _, p, _ in tasks))
    budget = left - reserve
    kept = []
    for symbol, plan, need_fund in tasks:
        have = cached.get(api_symbol(symbol), set())
        cost = 3 * need_fund
        if plan.action in ("full", "compact"):
            if provider.adjusted:
                cost += "TIME_SERIES_DAILY_ADJUSTED" not in have
            else:
                cost += sum(f not in have for f in ("TIME_SERIES_DAILY", "SPLITS", "DIVIDENDS"))
        if cost <= max(budget, 0):
            budget -= cost
            kept.append((symbol, plan, need_fund))
        else:
            outcomes[symbol] = SymbolOutcome(
                symbol, "not_fetched", 0,
                f"daily budget: the {left} call(s) left today go to the symbols before it "
                f"(this one needs {cost})")
            budget = -1  # keep the order: no later symbol jumps the queue
    return kept


def _one(session: _Session, symbol: str, plan: Plan, fundamentals: bool,
         start: pd.Timestamp | None, now: pd.Timestamp) -> SymbolOutcome:
    """Fetch one symbol; every per-symbol failure becomes an outcome (fatal errors propagate)."""
    status: Status = "up_to_date"
    bars, notes = 0, []
    try:
        if plan.action in ("full", "compact"):
            bars, note = _fetch_prices(session, symbol, plan, start)
            status = "fetched"
            if note:
                notes.append(note)
        if fundamentals:
            try:
                notes.append(_fetch_fundamentals(session, symbol, now))
            except (SymbolNotFound, PremiumRequired) as exc:
                notes.append(f"fundamentals: {exc}")
    except SymbolNotFound as exc:
        reason = _unknown_reason(session, symbol, exc)
        session.state.mark(symbol, "not_found", reason, api_symbol=api_symbol(symbol))
        return SymbolOutcome(symbol, "failed", 0, reason)
    except DailyLimitReached as exc:
        session.halt(exc)
        return SymbolOutcome(symbol, "not_fetched", 0, "daily limit reached")
    except FetchStopped:
        return SymbolOutcome(symbol, "not_fetched", 0, "stopped before it")
    except AlphaVantageError as exc:  # throttled for too long, transient failures, refusals
        reason = redact(exc)
        session.state.mark(symbol, "failed", reason, api_symbol=api_symbol(symbol))
        return SymbolOutcome(symbol, "failed", 0, reason)
    return SymbolOutcome(symbol, status, bars, "; ".join(n for n in notes if n))


def _unknown_reason(session: _Session, symbol: str, exc: SymbolNotFound) -> str:
    info = session.ctx.store.symbol_info([symbol])
    if len(info) and pd.notna(info["delist_date"].iloc[0]):
        return (f"unknown to Alpha Vantage: delisted on {str(info['delist_date'].iloc[0])[:10]} "
                "(no prices for delisted tickers)")
    return "unknown to Alpha Vantage (check the symbol; share classes like BRK-B)"


def _fetch_prices(session: _Session, symbol: str, plan: Plan,
                  start: pd.Timestamp | None) -> tuple[int, str]:
    store = session.ctx.store
    provider = session.provider
    result = provider.daily_bars(symbol, full=plan.action == "full")
    replacing = symbol in session.replacing
    old = store.read_bars(symbol) if plan.reason != "not stored" and not replacing else None
    if old is not None and old.empty:
        old = None
    new = result.frame if start is None else result.frame[result.frame.index >= start]
    note = ""
    if (old is not None and not new.empty and plan.action == "compact"
            and new.index.min() > old.index.max()):
        if provider.full is not False:  # the compact window misses days: get everything
            result = provider.daily_bars(symbol, full=True)
            new = result.frame if start is None else result.frame[result.frame.index >= start]
        else:
            note = (f"gap after {old.index.max():%Y-%m-%d}: a free key only gets the latest "
                    f"{COMPACT_DAYS} days")
    if not result.full and old is None and provider.full is False:
        note = note or f"free key: only the latest {COMPACT_DAYS} days"
    if new.empty:
        session.state.mark(symbol, "ok", "no bars on or after --start",
                           api_symbol=api_symbol(symbol),
                           fetched=True, last_refreshed=result.last_refreshed)
        return 0, "no bars on or after --start"
    frame, ratio = merge_bars(old, new)
    if ratio is None and old is not None:
        note = note or f"gap between stored bars and the new ones after {old.index.max():%Y-%m-%d}"
    store.write_bars({symbol: frame}, source=SOURCE, replace=replacing)
    history_start = result.frame.index.min() if result.full else None
    session.state.mark(symbol, "ok", note or None, api_symbol=api_symbol(symbol), fetched=True,
                       last_refreshed=result.last_refreshed or result.frame.index.max(),
                       history_start=history_start)
    session.responses.forget_series(api_symbol(symbol))  # the stored bars are the record now
    return len(new), note


def _fetch_fundamentals(session: _Session, symbol: str, now: pd.Timestamp) -> str:
    store = session.ctx.store
    provider = session.provider
    today = pd.Timestamp(now.date())
    parts = []
    overview = provider.overview(symbol, today)
    if overview is not None:
        info = {k: v for k, v in overview.info.items()
                if k in ("symbol", "name", "sector", "industry", "asset_type") and v is not None}
        store.upsert_symbols(pd.DataFrame([info]), source=SOURCE)
        parts.append(overview.fundamentals)
    parts.append(provider.earnings(symbol))
    parts.append(provider.balance_sheet(symbol))
    parts = [p for p in parts if not p.empty]
    rows = store.write_fundamentals(pd.concat(parts, ignore_index=True), source=SOURCE) \
        if parts else 0
    session.state.mark(symbol, "ok", None, api_symbol=api_symbol(symbol), fundamentals=True)
    return f"{rows} fundamental values"


__all__ = ["FetchReport", "Plan", "SymbolOutcome", "SyncContext", "fetch", "latest_close",
           "make_on_demand_fetcher", "no_key_error", "plan_symbol"]
