"""The SQLite store: one file, per-operation connections, short write transactions.

Why it does not lock up (the seed's "database is locked" errors): every operation opens its own
connection with a busy timeout (``SQLITE_BUSY_TIMEOUT_MS``, default 30000) and closes it when done;
writes take the write lock up front (``BEGIN IMMEDIATE``) so two writers queue instead of
deadlocking on a lock upgrade, and each transaction is short (one symbol or one small batch). The
journal is WAL, so readers never block the writer and the writer never blocks readers. There is no
connection pool and no connection is shared between threads.

Dates inside ``bars`` arrays are integers (days since 1970-01-01); everywhere else ISO text.
Every statement is parameterized.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.data.paths import eqf_command
from equity_factors.data.schema import MIGRATIONS, SCHEMA_VERSION
from equity_factors.errors import DataError, StoreError

BAR_FIELDS = ("open", "high", "low", "close", "adj_close", "volume", "dividend", "split")
_CHUNK = 900  # bound on SQL variables per statement
_EPOCH = np.datetime64("1970-01-01", "D")


def utc_now() -> str:
    """The current UTC time as ISO text (seconds), from :mod:`equity_factors.data.clock`."""
    from equity_factors.data import clock

    if not clock.offset_seconds():
        return datetime.now(UTC).replace(microsecond=0).isoformat()
    return datetime.fromtimestamp(int(clock.time()), UTC).isoformat()


def to_day_numbers(dates: Any) -> np.ndarray:
    """Dates (anything pandas reads) -> int32 days since 1970-01-01."""
    values = pd.DatetimeIndex(dates).values.astype("datetime64[D]")
    return (values - _EPOCH).astype(np.int32)


def from_day_numbers(days: np.ndarray) -> pd.DatetimeIndex:
    """int days since 1970-01-01 -> DatetimeIndex (ns)."""
    stamps = _EPOCH + np.asarray(days, dtype="timedelta64[D]")
    return pd.DatetimeIndex(stamps.astype("datetime64[ns]"))


def busy_timeout_ms() -> int:
    """The busy timeout from ``SQLITE_BUSY_TIMEOUT_MS`` (default 30000 ms)."""
    raw = os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "30000")
    try:
        value = int(raw)
    except ValueError:
        raise StoreError(
            f"SQLITE_BUSY_TIMEOUT_MS must be a whole number of milliseconds, not {raw!r}"
        ) from None
    if value < 0:
        raise StoreError("SQLITE_BUSY_TIMEOUT_MS must be >= 0")
    return value


def _blob(values: np.ndarray, dtype: str = "<f8") -> bytes:
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


class SourceConflict(DataError):
    """Bars of a symbol come from one source: a write from another source was refused.

    ``conflicts`` maps symbol -> the source its stored bars come from.
    """

    def __init__(self, conflicts: Mapping[str, str], source: str) -> None:
        self.conflicts = dict(conflicts)
        self.source = source
        names = sorted(self.conflicts)
        shown = ", ".join(f"{s} ({self.conflicts[s]})" for s in names[:5])
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        super().__init__(
            f"{len(names)} symbol(s) already stored from another source: {shown}{more}; a "
            f"symbol's bars come from one source, so {source} bars were not written: pass "
            f"--replace to replace them with the {source} ones, or store the data under other "
            "symbol names")


@dataclass(frozen=True)
class FetchRecord:
    """One line of the fetch log."""

    source: str
    kind: str
    target: str
    status: str
    rows: int | None = None
    message: str | None = None


class Store:
    """The SQLite store at ``path``. Cheap to create; opening migrates the schema if needed.

    Parameters
    ----------
    path : path-like
        The SQLite file. Its folder must exist.
    timeout_ms : int, optional
        Busy timeout; default from ``SQLITE_BUSY_TIMEOUT_MS``.
    """

    def __init__(self, path: str | os.PathLike[str], timeout_ms: int | None = None) -> None:
        self.path = Path(path)
        self.timeout_ms = busy_timeout_ms() if timeout_ms is None else int(timeout_ms)
        self._ready = False

    # ------------------------------------------------------------------ connections
    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout_ms / 1000.0, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_ms)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._translate(exc) from None
        return conn

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection for one operation (autocommit mode), always closed."""
        self.ensure_ready()
        conn = self._open()
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction: ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error)."""
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def _translate(self, exc: sqlite3.DatabaseError) -> Exception:
        text = str(exc)
        if "not a database" in text or "malformed" in text or "disk image" in text:
            return StoreError(
                f"the store {self.path} is corrupted ({text}); recover with "
                f"`{eqf_command(self.path.parent, 'clean --all --yes')}` (deletes the store and "
                "runs of that data directory) and fetch the data again"
            )
        if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
            return StoreError(
                f"the store {self.path} stayed locked for {self.timeout_ms} ms ({text}); "
                "wait for the other eqf process or raise SQLITE_BUSY_TIMEOUT_MS"
            )
        return exc

    def ensure_ready(self) -> None:
        """Create or migrate the schema once per Store object; refuse newer or corrupted files."""
        if self._ready:
            return
        with self._migration_lock():
            self._ensure_schema()
        self._ready = True

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """An OS file lock beside the store while checking/migrating the schema: changing the
        journal mode of a new file fails at once (no busy wait) if another process is doing it
        too, so first-time opens from several processes take turns here."""
        import fcntl

        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fh = open(lock_path, "a+b")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise StoreError(f"cannot create {lock_path} ({exc.strerror}); check the data "
                             "directory's permissions") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    def _ensure_schema(self) -> None:
        conn = self._open()
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store {self.path} has schema version {version}, newer than this "
                    f"equity-factors knows ({SCHEMA_VERSION}); upgrade equity-factors or use "
                    "another --data-dir"
                )
            if version < SCHEMA_VERSION:
                if version == 0:
                    # Large pages: a symbol's arrays are read as few long overflow chains.
                    conn.execute("PRAGMA page_size = 65536")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Re-read under the write lock: another process may have migrated meanwhile.
                    version = conn.execute("PRAGMA user_version").fetchone()[0]
                    for step in range(version, SCHEMA_VERSION):
                        for statement in _split_sql(MIGRATIONS[step]):
                            conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {step + 1}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None
        finally:
            conn.close()

    # ------------------------------------------------------------------ symbols
    def _symbol_ids(
        self, conn: sqlite3.Connection, symbols: Iterable[str], create: bool = False,
        source: str | None = None,
    ) -> dict[str, int]:
        symbols = list(dict.fromkeys(symbols))
        found: dict[str, int] = {}
        for i in range(0, len(symbols), _CHUNK):
            chunk = symbols[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for sym, sid in conn.execute(
                f"SELECT symbol, id FROM symbols WHERE symbol IN ({marks})", chunk
            ):
                found[sym] = sid
        if create:
            missing = [s for s in symbols if s not in found]
            now = utc_now()
            for sym in missing:
                cur = conn.execute(
                    "INSERT INTO symbols (symbol, source, updated_at) VALUES (?, ?, ?)",
                    (sym, source, now),
                )
                assert cur.lastrowid is not None
                found[sym] = int(cur.lastrowid)
        return found

    def upsert_symbols(self, info: pd.DataFrame, source: str) -> None:
        """Insert or update symbol metadata: columns symbol and any of name, sector, industry,
        asset_type, list_date, delist_date."""
        cols = [c for c in ("name", "sector", "industry", "asset_type", "list_date", "delist_date")
                if c in info.columns]
        now = utc_now()
        with self.transaction() as conn:
            ids = self._symbol_ids(conn, info["symbol"], create=True, source=source)
            rows = []
            for rec in info.to_dict("records"):
                values = [_sql_value(rec.get(c)) for c in cols]
                rows.append((*values, source, now, ids[rec["symbol"]]))
            if cols:
                assign = ", ".join(f"{c} = ?" for c in cols)
                conn.executemany(
                    f"UPDATE symbols SET {assign}, source = ?, updated_at = ? WHERE id = ?", rows
                )

    def symbol_info(self, symbols: Sequence[str] | None = None) -> pd.DataFrame:
        """Symbol metadata (symbol, name, sector, industry, asset_type, list_date, delist_date)."""
        query = ("SELECT symbol, name, sector, industry, asset_type, source, list_date, "
                 "delist_date FROM symbols")
        with self.connect() as conn:
            if symbols is None:
                frame = pd.read_sql_query(query + " ORDER BY symbol", conn)
            else:
                parts = []
                symbols = list(symbols)
                for i in range(0, len(symbols), _CHUNK):
                    chunk = symbols[i : i + _CHUNK]
                    parts.append(pd.read_sql_query(
                        query + f" WHERE symbol IN ({','.join('?' * len(chunk))})", conn,
                        params=chunk))
                frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
                    columns=["symbol", "name", "sector", "industry", "asset_type", "source",
                             "list_date", "delist_date"])
        return frame.set_index("symbol")

    # ------------------------------------------------------------------ bars
    def write_bars(self, bars: Mapping[str, pd.DataFrame], source: str,
                   replace: bool = False) -> int:
        """Write daily bars of several symbols in ONE transaction; returns rows written.

        Parameters
        ----------
        bars : mapping symbol -> DataFrame indexed by date
            Columns among open, high, low, close, adj_close, volume, dividend, split;
            ``adj_close`` is required. Existing rows of the same (symbol, date) are replaced.
        source : str
            Provider name, recorded with the symbol.
        replace : bool
            Bars of a symbol come from one source: a symbol stored from another source raises
            :class:`SourceConflict` (nothing is written) unless ``replace``, which drops its
            stored bars first (never a splice of two sources).
        """
        arrays = {}
        for symbol, frame in bars.items():
            if frame is None or len(frame) == 0:
                continue
            frame = frame.sort_index()
            arrays[symbol] = (to_day_numbers(frame.index), {
                f: frame[f].to_numpy(dtype=float) for f in BAR_FIELDS if f in frame.columns})
        return self.write_bar_arrays(arrays, source, replace=replace)

    def write_bar_arrays(
        self, bars: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]], source: str,
        replace: bool = False,
    ) -> int:
        """Like :meth:`write_bars` with arrays: symbol -> (ascending days since 1970-01-01,
        {field: float array}); fields left out are unknown (NaN)."""
        total = 0
        now = utc_now()
        with self.transaction() as conn:
            ids = self._symbol_ids(conn, bars.keys(), create=True, source=source)
            stored = self._bar_sources(conn, list(ids.values()))
            conflicts = {s: stored[i] for s, i in ids.items()
                         if i in stored and stored[i] != source}
            if conflicts and not replace:
                raise SourceConflict(conflicts, source)
            if conflicts:
                conn.executemany("DELETE FROM bars WHERE symbol_id = ?",
                                 [(ids[s],) for s in conflicts])
            for symbol, (days, fields) in bars.items():
                if len(days):
                    total += self._write_symbol_bars(conn, ids[symbol], np.asarray(days),
                                                     fields, source, now)
        return total

    def _write_symbol_bars(
        self, conn: sqlite3.Connection, sid: int, days: np.ndarray,
        fields: Mapping[str, np.ndarray], source: str, now: str
    ) -> int:
        n = len(days)
        if n > 1 and not (np.diff(days) > 0).all():
            raise StoreError("bars to write contain the same date twice (or are not sorted)")
        new = {f: (np.asarray(fields[f], dtype=float) if f in fields else np.full(n, np.nan))
               for f in BAR_FIELDS}
        if np.isnan(new["adj_close"]).any():
            raise StoreError("bars to write have a missing adj_close")
        # Merge with what is stored: new days replace old ones, the rest is kept.
        row = conn.execute(
            f"SELECT dates, {', '.join(BAR_FIELDS)} FROM bars WHERE symbol_id = ?", (sid,)
        ).fetchone()
        if row is not None:
            old_days = np.frombuffer(row[0], dtype="<i4")
            keep = ~np.isin(old_days, days)
            merged_days = np.concatenate([old_days[keep], days])
            order = np.argsort(merged_days, kind="stable")
            new = {f: np.concatenate([np.frombuffer(row[j], dtype="<f8")[keep], new[f]])[order]
                   for j, f in enumerate(BAR_FIELDS, start=1)}
            days = merged_days[order]
        blobs = [_blob(new[f]) for f in BAR_FIELDS]
        day_blob = _blob(days, "<i4")
        digest = hashlib.sha1(b"".join([day_blob, *blobs])).hexdigest()
        conn.execute(
            f"INSERT OR REPLACE INTO bars (symbol_id, n, first_date, last_date, dates, "
            f"{', '.join(BAR_FIELDS)}, digest, source, updated_at) "
            f"VALUES ({', '.join('?' * (8 + len(BAR_FIELDS)))})",
            (sid, len(days), int(days[0]), int(days[-1]), day_blob, *blobs, digest, source, now),
        )
        return n

    @staticmethod
    def _bar_sources(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            for sid, src in conn.execute(
                    f"SELECT symbol_id, source FROM bars WHERE symbol_id IN "
                    f"({','.join('?' * len(chunk))})", chunk):
                out[int(sid)] = str(src)
        return out

    def bar_sources(self, symbols: Sequence[str]) -> dict[str, str]:
        """symbol -> the source of its stored bars (symbols without bars are left out)."""
        with self.connect() as conn:
            ids = self._symbol_ids(conn, symbols)
            found = self._bar_sources(conn, list(ids.values()))
        return {s: found[i] for s, i in ids.items() if i in found}

    def check_sources(self, symbols: Sequence[str], source: str, replace: bool = False) -> None:
        """Raise :class:`SourceConflict` before any work when ``symbols`` are stored from
        another source (unless ``replace``)."""
        conflicts = {s: src for s, src in self.bar_sources(symbols).items() if src != source}
        if conflicts and not replace:
            raise SourceConflict(conflicts, source)

    def universe_sources(self) -> dict[str, str]:
        """universe -> its members' bar sources with counts, e.g. ``"sample 25"``."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT m.universe, b.source, COUNT(*) FROM universe_members m "
                "JOIN symbols s ON s.symbol = m.symbol JOIN bars b ON b.symbol_id = s.id "
                "GROUP BY m.universe, b.source ORDER BY m.universe, COUNT(*) DESC").fetchall()
        out: dict[str, list[str]] = {}
        for universe, src, n in rows:
            out.setdefault(universe, []).append(f"{src} {n}")
        return {u: ", ".join(parts) for u, parts in out.items()}

    def read_series(
        self, symbols: Sequence[str], fields: Sequence[str] = ("adj_close",)
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]], dict[str, str]]:
        """The stored arrays of ``symbols`` (full history, no alignment).

        Returns
        -------
        days : dict symbol -> int32 array of days since 1970-01-01 (ascending)
        values : dict symbol -> dict field -> float64 array (same length)
        digests : dict symbol -> content digest
        Symbols without bars are absent.
        """
        bad = [f for f in fields if f not in BAR_FIELDS]
        if bad:
            raise ValueError(f"unknown price field(s) {bad}; valid: {BAR_FIELDS}")
        symbols = list(dict.fromkeys(symbols))
        rows: dict[str, tuple] = {}
        select = ", ".join(f"b.{f}" for f in fields)
        with self.connect() as conn:
            for i in range(0, len(symbols), _CHUNK):
                chunk = symbols[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for rec in conn.execute(
                    f"SELECT s.symbol, b.digest, b.dates, {select} FROM bars b "
                    f"JOIN symbols s ON s.id = b.symbol_id WHERE s.symbol IN ({marks})",
                    chunk,
                ):
                    rows[rec[0]] = rec[1:]
        present = [s for s in symbols if s in rows]
        days = {s: np.frombuffer(rows[s][1], dtype="<i4") for s in present}
        values = {s: {f: np.frombuffer(rows[s][2 + k], dtype="<f8") for k, f in enumerate(fields)}
                  for s in present}
        return days, values, {s: rows[s][0] for s in present}

    def load_prices(
        self,
        symbols: Sequence[str],
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        fields: Sequence[str] = ("adj_close",),
    ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """Wide price matrices (dates x symbols) for ``fields``, read from the column-wise bars.

        Returns
        -------
        prices : dict field -> DataFrame of shape (n_dates, n_symbols)
            The date index is the union of the symbols' dates in [start, end]; NaN where a
            symbol has no bar. Columns keep the order of ``symbols`` (those with data).
        digests : dict symbol -> content digest (for data fingerprints)
        """
        days, values, digests = self.read_series(symbols, fields)
        present = list(days)
        out = align_series([days[s] for s in present],
                           {f: [values[s][f] for s in present] for f in fields},
                           present, start, end)
        return out, digests

    def read_bars(self, symbol: str, start: Any = None, end: Any = None) -> pd.DataFrame:
        """The daily bars of one symbol as a DataFrame indexed by date (empty if none)."""
        prices, _ = self.load_prices([symbol], start, end, fields=BAR_FIELDS)
        frame = pd.DataFrame({f: prices[f][symbol] for f in BAR_FIELDS if symbol in prices[f]})
        frame.index.name = "date"
        return frame

    def coverage(self, symbols: Sequence[str] | None = None) -> pd.DataFrame:
        """Per symbol: rows, first and last date of stored bars."""
        query = ("SELECT s.symbol, b.n AS rows, b.first_date, b.last_date, b.source, "
                 "b.updated_at FROM bars b JOIN symbols s ON s.id = b.symbol_id")
        with self.connect() as conn:
            frame = pd.read_sql_query(query, conn)
        if symbols is not None:
            frame = frame[frame["symbol"].isin(list(symbols))]
        for col in ("first_date", "last_date"):
            frame[col] = from_day_numbers(frame[col].to_numpy())
        return frame.set_index("symbol").sort_index()

    # ------------------------------------------------------------------ holdings, fundamentals
    def write_holdings(self, etf: str, holdings: pd.DataFrame, as_of: str, source: str) -> int:
        """Replace the holdings of ``etf`` as of ``as_of``: columns symbol, weight (fractions)."""
        frame = holdings.assign(etf=etf, as_of=as_of)
        return self.write_holdings_many(frame, source)

    def write_holdings_many(self, frame: pd.DataFrame, source: str) -> int:
        """Replace several holdings snapshots in one transaction: columns etf, as_of, symbol,
        weight."""
        as_of = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
        etfs, as_of = frame["etf"].astype(str).tolist(), as_of.tolist()
        rows = list(zip(etfs, frame["symbol"].astype(str).tolist(),
                        frame["weight"].astype(float).tolist(), as_of, [source] * len(frame)))
        with self.transaction() as conn:
            conn.executemany("DELETE FROM holdings WHERE etf = ? AND as_of = ?",
                             sorted(set(zip(etfs, as_of))))
            conn.executemany(
                "INSERT INTO holdings (etf, symbol, weight, as_of, source) VALUES (?, ?, ?, ?, ?)",
                rows)
        return len(rows)

    def holdings(self, etf: str, as_of: str | None = None) -> pd.DataFrame:
        """Holdings of ``etf``: the latest snapshot on or before ``as_of`` (default: latest)."""
        with self.connect() as conn:
            if as_of is None:
                row = conn.execute("SELECT MAX(as_of) FROM holdings WHERE etf = ?",
                                   (etf,)).fetchone()
            else:
                row = conn.execute("SELECT MAX(as_of) FROM holdings WHERE etf = ? AND as_of <= ?",
                                   (etf, str(as_of))).fetchone()
            if row is None or row[0] is None:
                return pd.DataFrame(columns=["symbol", "weight", "as_of"])
            return pd.read_sql_query(
                "SELECT symbol, weight, as_of FROM holdings WHERE etf = ? AND as_of = ? "
                "ORDER BY weight DESC", conn, params=(etf, row[0]))

    def holdings_dates(self, etf: str) -> list[str]:
        """The ``as_of`` dates of every stored holdings snapshot of ``etf``, ascending."""
        with self.connect() as conn:
            return [r[0] for r in conn.execute(
                "SELECT DISTINCT as_of FROM holdings WHERE etf = ? ORDER BY as_of", (etf,))]

    def etfs(self) -> list[str]:
        """ETFs whose holdings are stored."""
        with self.connect() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT etf FROM holdings ORDER BY etf")]

    def write_fundamentals(self, frame: pd.DataFrame, source: str) -> int:
        """Write point-in-time fundamentals: columns symbol, field, period_end, reported_date,
        value."""
        period = pd.to_datetime(frame["period_end"]).dt.strftime("%Y-%m-%d")
        reported = pd.to_datetime(frame["reported_date"]).dt.strftime("%Y-%m-%d")
        values = pd.to_numeric(frame["value"], errors="coerce").astype(float)
        # Plain Python lists: iterating pandas' Arrow-backed strings row by row is slow.
        rows = list(zip(frame["symbol"].astype(str).tolist(), frame["field"].astype(str).tolist(),
                        period.tolist(), reported.tolist(),
                        values.astype(object).where(values.notna(), None).tolist(),
                        [source] * len(frame)))
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO fundamentals (symbol, field, period_end, reported_date, "
                "value, source) VALUES (?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def fundamentals(self, symbols: Sequence[str],
                     fields: Sequence[str] | None = None) -> pd.DataFrame:
        """Point-in-time fundamentals of ``symbols`` (long frame; dates as Timestamps)."""
        parts = []
        symbols = list(symbols)
        with self.connect() as conn:
            for i in range(0, len(symbols), _CHUNK):
                chunk = symbols[i : i + _CHUNK]
                query = ("SELECT symbol, field, period_end, reported_date, value FROM fundamentals "
                         f"WHERE symbol IN ({','.join('?' * len(chunk))})")
                params = list(chunk)
                if fields:
                    query += f" AND field IN ({','.join('?' * len(fields))})"
                    params += list(fields)
                parts.append(pd.read_sql_query(query, conn, params=params))
        frame = (pd.concat(parts, ignore_index=True) if parts else
                 pd.DataFrame(columns=["symbol", "field", "period_end", "reported_date", "value"]))
        for col in ("period_end", "reported_date"):
            frame[col] = pd.to_datetime(frame[col])
        return frame

    # ------------------------------------------------------------------ universes
    def save_universe(self, name: str, members: Sequence[str], source: str,
                      params: Mapping[str, Any] | None = None) -> None:
        """Create or replace a named universe and its members."""
        now = utc_now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO universes (name, source, params, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET source = excluded.source, "
                "params = excluded.params, updated_at = excluded.updated_at",
                (name, source, json.dumps(dict(params or {}), sort_keys=True), now, now),
            )
            conn.execute("DELETE FROM universe_members WHERE universe = ?", (name,))
            conn.executemany("INSERT INTO universe_members (universe, symbol) VALUES (?, ?)",
                             [(name, s) for s in dict.fromkeys(members)])

    def universe(self, name: str) -> tuple[list[str], dict[str, Any]] | None:
        """(members, info) of a stored universe, or None. Names are case-insensitive."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT name, source, params, updated_at FROM universes "
                "WHERE name = ? COLLATE NOCASE",
                (name,)).fetchone()
            if row is None:
                return None
            members = [r[0] for r in conn.execute(
                "SELECT symbol FROM universe_members WHERE universe = ? ORDER BY symbol",
                (row[0],))]
        info = {"name": row[0], "source": row[1], "params": json.loads(row[2] or "{}"),
                "updated_at": row[3]}
        return members, info

    def universes(self) -> pd.DataFrame:
        """All stored universes with member counts."""
        with self.connect() as conn:
            return pd.read_sql_query(
                "SELECT u.name, u.source, u.params, u.updated_at, COUNT(m.symbol) AS members "
                "FROM universes u LEFT JOIN universe_members m ON m.universe = u.name "
                "GROUP BY u.name ORDER BY u.name", conn)

    # ------------------------------------------------------------------ fetch log
    def log_fetch(self, record: FetchRecord, started_at: str | None = None) -> None:
        """Append one line to the fetch log."""
        now = utc_now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO fetch_log (source, kind, target, started_at, finished_at, status, "
                "rows, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.source, record.kind, record.target, started_at or now, now, record.status,
                 record.rows, record.message))

    def last_fetches(self, limit: int = 20) -> pd.DataFrame:
        """The most recent fetch-log lines."""
        with self.connect() as conn:
            return pd.read_sql_query(
                "SELECT source, kind, target, finished_at, status, rows, message FROM fetch_log "
                "ORDER BY id DESC LIMIT ?", conn, params=(int(limit),))

    # ------------------------------------------------------------------ maintenance
    def health(self) -> dict[str, Any]:
        """Integrity check, journal mode, size, row counts and whether a write lock is held."""
        self.ensure_ready()
        conn = self._open()
        try:
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
                      for t in ("symbols", "bars", "holdings", "fundamentals",
                                "fetch_log", "universes")}
            counts["bar_days"] = conn.execute("SELECT COALESCE(SUM(n), 0) FROM bars").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None
        finally:
            conn.close()
        probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            probe.execute("PRAGMA busy_timeout = 0")
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            locked = False
        except sqlite3.OperationalError:
            locked = True
        finally:
            probe.close()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*")
                   if p.is_file())
        return {
            "path": str(self.path),
            "integrity": "ok" if integrity == ["ok"] else "; ".join(integrity[:5]),
            "journal_mode": journal,
            "schema_version": version,
            "size_bytes": size,
            "write_lock_held": locked,
            "busy_timeout_ms": self.timeout_ms,
            "rows": counts,
        }

    def vacuum(self) -> tuple[int, int]:
        """Checkpoint the WAL and VACUUM; returns (bytes before, bytes after)."""
        before = self.health()["size_bytes"]
        with self.connect() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after = self.health()["size_bytes"]
        return before, after


def day_bounds(start: Any = None, end: Any = None) -> tuple[int | None, int | None]:
    """[start, end] as day numbers (None = open), converted once for many :func:`window_span`."""
    lo = None if start is None else int(to_day_numbers([start])[0])
    hi = None if end is None else int(to_day_numbers([end])[0])
    return lo, hi


def window_span(days: np.ndarray, start: Any = None, end: Any = None, *,
                bounds: tuple[int | None, int | None] | None = None) -> tuple[int, int]:
    """The slice [a, b) of sorted ``days`` inside [start, end] (None = open).

    ``bounds`` (from :func:`day_bounds`) replaces ``start``/``end``: converting a date costs
    more than the search, and a panel asks once per symbol.
    """
    lo, hi = bounds if bounds is not None else day_bounds(start, end)
    a = 0 if lo is None else int(np.searchsorted(days, lo, "left"))
    b = len(days) if hi is None else int(np.searchsorted(days, hi, "right"))
    return a, b


def align_series(day_arrays: list[np.ndarray], value_arrays: Mapping[str, list[np.ndarray]],
                 columns: list[str], start: Any = None, end: Any = None) -> dict[str, pd.DataFrame]:
    """Per-symbol arrays -> one DataFrame per field on the union calendar inside [start, end].

    The calendar is built without sorting 10^7 numbers (a presence mask over the day range),
    and each symbol's values are written into its own contiguous row of a symbol-major matrix
    whose transpose pandas takes without copying.
    """
    bounds = day_bounds(start, end)
    spans = [window_span(d, bounds=bounds) for d in day_arrays]
    used = [d[a:b] for d, (a, b) in zip(day_arrays, spans) if b > a]
    if used:
        first = min(int(u[0]) for u in used)
        last = max(int(u[-1]) for u in used)
        seen = np.zeros(last - first + 1, dtype=bool)
        for u in used:
            seen[u - first] = True
        calendar = (np.flatnonzero(seen) + first).astype(np.int32)
        position = np.cumsum(seen) - 1  # day - first -> row in the calendar
    else:
        first, calendar, position = 0, np.array([], dtype=np.int32), np.array([], dtype=int)
    index = from_day_numbers(calendar)
    index.name = "date"
    rows_of = [position[d[a:b] - first] for d, (a, b) in zip(day_arrays, spans)]
    out: dict[str, pd.DataFrame] = {}
    for field, arrays in value_arrays.items():
        matrix = np.full((len(columns), len(calendar)), np.nan)
        for j, vals in enumerate(arrays):
            a, b = spans[j]
            matrix[j, rows_of[j]] = vals[a:b]
        out[field] = pd.DataFrame(matrix.T, index=index, columns=pd.Index(columns, name="symbol"),
                                  copy=False)
    return out


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements: comments dropped first, then split on ';'."""
    code = "\n".join(ln for ln in script.splitlines() if not ln.strip().startswith("--"))
    return [part.strip() for part in code.split(";") if part.strip()]


def _sql_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return value
