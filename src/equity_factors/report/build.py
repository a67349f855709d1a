"""Which runs have a report, and the report of a run: its facts and its sections."""

from __future__ import annotations

from collections.abc import Callable

from equity_factors.report.blocks import ReportDocument, RunFiles, Section
from equity_factors.report.sections import backtest, basket, discover, optimize, regime, signals
from equity_factors.types import REPORT_KINDS

#: Report kinds (``--kind``) -> the section builder. A run's kind is the first word of its
#: command ("signals momentum" -> "signals", "regime detect" -> "regime").
BUILDERS: dict[str, Callable[[RunFiles], list[Section]]] = {
    "discover": discover.sections,
    "optimize": optimize.sections,
    "basket": basket.sections,
    "signals": signals.sections,
    "regime": regime.sections,
    "backtest": backtest.sections,
}
KINDS: tuple[str, ...] = REPORT_KINDS
assert set(KINDS) == set(BUILDERS)


def kind_of(command: str) -> str:
    """The report kind of a run's command (``"signals extremes"`` -> ``"signals"``)."""
    return command.split(" ", 1)[0] if command else ""


def has_report(command: str) -> bool:
    return kind_of(command) in BUILDERS


def facts(files: RunFiles) -> tuple[tuple[str, str], ...]:
    """What every report starts with: command line, run id, data fingerprint, dates, version."""
    rec = files.record
    argv = rec.get("argv") or []
    params = rec.get("params") or {}
    factors: dict = params["factors"] if isinstance(params.get("factors"), dict) else params
    head = rec.get("headline") or {}
    first = head.get("first_date") or factors.get("start")
    last = head.get("last_date") or head.get("as_of") or head.get("date") or factors.get("end")
    rows = [("command line", "eqf " + " ".join(str(a) for a in argv)),
            ("command", files.command), ("run id", files.run_id),
            ("data fingerprint", str(rec.get("data_fingerprint"))),
            ("data period", f"{first or 'first stored date'} .. {last or 'last stored date'}"),
            ("run at (UTC)", str(rec.get("started_at", ""))),
            ("seconds", str(rec.get("seconds", ""))),
            ("eqf version", str(rec.get("version", ""))),
            ("seed", str(rec.get("seed")))]
    universe = factors.get("universe") or params.get("universe")
    if universe:
        rows.insert(2, ("universe", str(universe)))
    return tuple(rows)


def build_document(files: RunFiles) -> ReportDocument:
    """The report of one run (raises ``KeyError`` for a command without a report)."""
    kind = kind_of(files.command)
    sections = BUILDERS[kind](files)
    return ReportDocument(f"eqf {files.command}: {files.run_id}", facts(files), tuple(sections))
