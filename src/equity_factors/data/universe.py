"""Turn what the user typed after ``--universe`` / ``--symbols`` into a list of symbols.

Accepted, alone or comma-separated (the union is taken, in order): a stored universe name
(``SAMPLE``, an imported one, ``SYN500``), a bundled one not yet stored (``SAMPLE``,
``SYN<n>[-S<seed>]``: created on first use), an ETF whose holdings are stored (its latest
snapshot), a symbol with stored bars, or ``@file.txt`` (one entry per line, ``#`` comments).
Names are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from equity_factors.data.paths import DataDir, eqf_command
from equity_factors.data.store import Store
from equity_factors.errors import UserError

BUNDLED_HINT = ("bundled universes: SAMPLE (20 real S&P 500 stocks), SYN50 ... SYN5000 "
                "(synthetic)")


@dataclass(frozen=True)
class ResolvedUniverse:
    """The symbols a universe specification stands for."""

    spec: str
    label: str
    symbols: tuple[str, ...]
    parts: tuple[tuple[str, str, int], ...]  # (token, what it was, number of symbols)


OnDemand = Callable[[str], list[str] | None]


def spec_tokens(spec: str, empty: str = "empty universe; give a name such as SAMPLE or a list "
                                         "like AAPL,MSFT") -> list[str]:
    """The entries of a universe spec: comma-separated names, ``@file`` lists expanded (one or
    more per line, ``#`` comments). ``empty`` is the message when nothing is left."""
    out: list[str] = []
    for raw in str(spec).split(","):
        token = raw.strip()
        if not token:
            continue
        if token.startswith("@"):
            path = Path(token[1:]).expanduser()
            if not path.is_file():
                raise UserError(f"universe file {path} not found; give @path/to/symbols.txt")
            for line in path.read_text().splitlines():
                line = line.split("#", 1)[0].strip()
                out.extend(t.strip() for t in line.split(",") if t.strip())
        else:
            out.append(token)
    if not out:
        raise UserError(empty)
    return out


def resolve_universe(store: Store, data_dir: DataDir, spec: str, *,
                     on_demand: OnDemand | None = None) -> ResolvedUniverse:
    """Resolve ``spec`` to symbols, creating bundled universes in the store on first use.

    Parameters
    ----------
    on_demand : callable, optional
        Called with a token nothing local knows; returns its symbols after fetching them (the
        Alpha Vantage provider when a key is set) or None.
    """
    from equity_factors.data.ingest import ingest_sample, ingest_synthetic
    from equity_factors.data.synthetic import parse_synthetic_universe

    symbols: dict[str, None] = {}
    parts = []
    etfs = {e.upper(): e for e in store.etfs()}
    for token in spec_tokens(spec):
        upper = token.upper()
        stored = store.universe(token)
        kind = "universe"
        if stored is not None:
            members = stored[0]
        elif upper == "SAMPLE":
            members = ingest_sample(store)
        elif (syn := parse_synthetic_universe(upper)) is not None:
            members = ingest_synthetic(store, data_dir, *syn)
        elif upper in etfs:
            kind = "etf"
            members = [s for s in store.holdings(etfs[upper])["symbol"]]
        elif not store.coverage([upper]).empty:
            kind, members = "symbol", [upper]
        elif not store.coverage([token]).empty:
            kind, members = "symbol", [token]
        elif on_demand is not None and (fetched := on_demand(upper)) is not None:
            kind, members = "fetched", fetched
        else:
            raise UserError(
                f"unknown universe or symbol {token!r}: not in the store; {BUNDLED_HINT}; or "
                f"import a file ({eqf_command(data_dir.root, 'data import PATH --universe NAME')}"
                "), or set ALPHAVANTAGE_API_KEY and run "
                f"{eqf_command(data_dir.root, 'data fetch --universe ' + upper)}")
        parts.append((token, kind, len(members)))
        symbols.update(dict.fromkeys(members))
    label = "+".join(p[0].upper() if p[1] != "symbol" else p[0] for p in parts)
    if len(label) > 60:
        label = f"{parts[0][0].upper()}+{len(parts) - 1}more"
    return ResolvedUniverse(spec, label, tuple(symbols), tuple(parts))
