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
    # v2: state of remote providers (Alpha Vantage). The API key itself is never stored: calls
    # are ledgered under a salted HMAC of it (salt in provider_state), so that two processes
    # using the same key share one rate budget.
    """
    CREATE TABLE api_calls (
        key_hash TEXT NOT NULL,
        t        REAL NOT NULL
    );
    -- t = the reserved call time in seconds since the epoch (may lie a little in the future).
    CREATE INDEX api_calls_key_t ON api_calls (key_hash, t);
    CREATE TABLE provider_state (
        provider   TEXT NOT NULL,
        name       TEXT NOT NULL,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (provider, name)
    ) WITHOUT ROWID;
    -- Per provider and symbol: the last outcome (ok, not_found, failed) with its reason, when it
    -- was checked and fetched, the provider's latest date at that fetch, the first date of the
    -- last full-history fetch and when fundamentals were last fetched.
    CREATE TABLE provider_symbols (
        provider        TEXT NOT NULL,
        symbol          TEXT NOT NULL,
        api_symbol      TEXT,
        status          TEXT NOT NULL,
        reason          TEXT,
        checked_at      TEXT NOT NULL,
        fetched_at      TEXT,
        last_refreshed  TEXT,
        history_start   TEXT,
        fundamentals_at TEXT,
        PRIMARY KEY (provider, symbol)
    ) WITHOUT ROWID;
    """,
    # v3: factor names given by an LLM, cached by (evidence hash, model) so that naming the same
    # evidence again costs no call. No key, prompt or endpoint is stored.
    """
    CREATE TABLE llm_names (
        evidence_hash TEXT NOT NULL,
        model         TEXT NOT NULL,
        name          TEXT NOT NULL,
        description   TEXT NOT NULL,
        confidence    REAL NOT NULL,
        created_at    TEXT NOT NULL,
        PRIMARY KEY (evidence_hash, model)
    ) WITHOUT ROWID;
    """,
    # v4: every provider answer that cost an API call, so that a rerun (after a daily cap, a
    # kill, a crash) never pays for the same call twice. Keyed by function, symbol, the other
    # parameters (canonical JSON; never the key) and the trading day the answer belongs to.
    # data_day: the last date of the data it was used with (events answers are reused on later
    # days while the prices they adjust are at most a few trading days newer). Bodies are
    # zlib-compressed text.
    """
    CREATE TABLE api_responses (
        provider    TEXT NOT NULL,
        function    TEXT NOT NULL,
        symbol      TEXT NOT NULL,
        params      TEXT NOT NULL,
        trading_day TEXT NOT NULL,
        data_day    TEXT,
        body        BLOB NOT NULL,
        fetched_at  TEXT NOT NULL,
        PRIMARY KEY (provider, function, symbol, params, trading_day)
    ) WITHOUT ROWID;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
