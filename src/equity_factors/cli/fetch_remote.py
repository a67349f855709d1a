"""``eqf data fetch`` for real data (Alpha Vantage)."""

from __future__ import annotations

import argparse
import os

from equity_factors.data.universe import BUNDLED_HINT
from equity_factors.errors import UserError


def run(args: argparse.Namespace) -> int:
    if not os.environ.get("ALPHAVANTAGE_API_KEY"):
        raise UserError(
            f"fetching {args.universe} needs an Alpha Vantage key: set ALPHAVANTAGE_API_KEY "
            f"(or put it in .env); without one use the {BUNDLED_HINT}")
    raise UserError("the Alpha Vantage provider is not available in this version yet; use the "
                    f"{BUNDLED_HINT}, or import a file with `eqf data import`")
