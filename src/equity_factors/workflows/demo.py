"""``eqf demo``: every stage that exists, on the bundled SAMPLE universe, into one folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from equity_factors.data.ingest import ingest_sample
from equity_factors.workflows.context import Context

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    output_dir: Path
    stages: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (stage, summary)


def run_demo(ctx: Context, output_dir: str | Path, say: Say = lambda s: None) -> DemoResult:
    """Run the whole workflow on SAMPLE, writing each stage's outputs under ``output_dir``."""
    out = Path(output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    stages: list[tuple[str, str]] = []

    say("1/1 storing the bundled SAMPLE universe (20 real S&P 500 stocks, 1990-2022)")
    members = ingest_sample(ctx.store)
    stages.append(("data", f"{len(members)} stocks stored in {ctx.data_dir.store_path}"))
    return DemoResult(out, tuple(stages))
