"""Versioned schema migrations of the SQLite store (``PRAGMA user_version`` holds the version)."""

from __future__ import annotations

# Each entry upgrades the store from version i to i + 1. Never edit a released entry: append.
MIGRATIONS: tuple[str, ...] = (
    # v1: the foundation tables.
    """
    CREATE TABLE symbols (
        id          INTEGER PRIMARY KEY,
        symbol      TEXT NOT NULL UNIQUE,
        name        TEXT,
        sector      TEXT,
        industry    TEXT,
        asset_type  TEXT,
        source      TEXT,
        list_date   TEXT,
        delist_date TEXT,
        updated_at  TEXT
    );
    -- Daily bars stored column-wise: ONE row per symbol whose BLOBs are little-endian arrays
    -- (dates int32 days since 1970-01-01, the price fields float64, NaN where unknown), sorted
    -- by date. A panel of 3000 symbols is 3000 row reads instead of 15 million; an incremental
    -- fetch merges its new days into the symbol's arrays inside one short transaction.
    CREATE TABLE bars (
        symbol_id  INTEGER PRIMARY KEY REFERENCES symbols(id),
        n          INTEGER NOT NULL,
        first_date INTEGER NOT NULL,
        last_date  INTEGER NOT NULL,
        dates      BLOB NOT NULL,
        open       BLOB NOT NULL,
        high       BLOB NOT NULL,
        low        BLOB NOT NULL,
        close      BLOB NOT NULL,
        adj_close  BLOB NOT NULL,
        volume     BLOB NOT NULL,
        dividend   BLOB NOT NULL,
        split      BLOB NOT NULL,
        digest     TEXT NOT NULL,
        source     TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE holdings (
        etf     TEXT NOT NULL,
        symbol  TEXT NOT NULL,
        weight  REAL NOT NULL,
        as_of   TEXT NOT NULL,
        source  TEXT,
        PRIMARY KEY (etf, as_of, symbol)
    ) WITHOUT ROWID;
    -- Point-in-time fundamentals: a value counts from its reported_date, not its period_end.
    CREATE TABLE fundamentals (
        symbol        TEXT NOT NULL,
        field         TEXT NOT NULL,
        period_end    TEXT NOT NULL,
        reported_date TEXT NOT NULL,
        value         REAL,
        source        TEXT,
        PRIMARY KEY (symbol, field, period_end, reported_date)
    ) WITHOUT ROWID;
    CREATE TABLE fetch_log (
        id          INTEGER PRIMARY KEY,
        source      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        target      TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL,
        rows        INTEGER,
        message     TEXT
    );
    CREATE INDEX fetch_log_target ON fetch_log (target, kind);
    CREATE TABLE universes (
        name       TEXT PRIMARY KEY,
        source     TEXT NOT NULL,
        params     TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE universe_members (
        universe TEXT NOT NULL REFERENCES universes(name) ON DELETE CASCADE,
        symbol   TEXT NOT NULL,
        PRIMARY KEY (universe, symbol)
    ) WITHOUT ROWID;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
