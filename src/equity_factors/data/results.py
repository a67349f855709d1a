"""Result files the workflows read back: the optimization results JSON (versioned, validated
against the schema shipped beside this module), an earlier trade basket, and a run's saved table."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from equity_factors.data.paths import DataDir
from equity_factors.errors import UserError

RESULTS_SCHEMA = "equity-factors/optimization-results"
RESULTS_SCHEMA_VERSION = 2


def results_schema() -> dict[str, Any]:
    """The JSON Schema of the results file (shipped with the package)."""
    text = resources.files("equity_factors.data").joinpath("optimization_results.schema.json")
    return json.loads(text.read_text())


def load_results(path: str | Path) -> dict[str, Any]:
    """Read and validate an optimization results file (schema name and version checked)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: no such results file; create one with `eqf optimize "
                        "--output FILE`") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not a readable JSON results file ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != RESULTS_SCHEMA:
        raise UserError(f"{path} is not an eqf optimize results file (schema "
                        f"{data.get('schema') if isinstance(data, dict) else None!r}); create "
                        "one with `eqf optimize --output FILE`")
    if data.get("schema_version") != RESULTS_SCHEMA_VERSION:
        raise UserError(f"{path} has results schema version {data.get('schema_version')}, this "
                        f"eqf reads version {RESULTS_SCHEMA_VERSION}; rerun eqf optimize")
    import jsonschema

    try:
        jsonschema.validate(data, results_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "top level"
        raise UserError(f"{path} does not match the results schema at {where}: "
                        f"{exc.message}") from None
    return data


def read_basket(path: str | Path, flag: str = "--diff") -> pd.DataFrame:
    """An earlier ``trade_basket.csv`` (for the trade diff)."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{flag} {path}: no such file; give a trade_basket.csv from an earlier "
                        "run")
    try:
        return pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise UserError(f"{flag} {path} cannot be read as CSV ({exc})") from None


def read_run_table(data_dir: DataDir, run_id: str, name: str) -> pd.DataFrame | None:
    """A CSV a run saved in its folder, or None when it is missing or unreadable."""
    path = data_dir.runs / run_id / name
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except (OSError, ValueError):
        return None
