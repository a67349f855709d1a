"""The list of command modules, in the order ``eqf --help`` shows them."""

from __future__ import annotations

from equity_factors.cli import (
                               backtest_cmd,
                               basket_cmd,
                               data_cmd,
                               demo_cmd,
                               discover_cmd,
                               optimize_cmd,
                               report_cmd,
                               routine_cmd,
                               signals_cmd,
                               sweep_cmd,
)

REGISTRY = [
    discover_cmd.register,
    optimize_cmd.register,
    basket_cmd.register,
    backtest_cmd.register,
    sweep_cmd.register,
    signals_cmd.register_signals,
    signals_cmd.register_regime,
    routine_cmd.register,
    data_cmd.register_data,
    data_cmd.register_clean,
    demo_cmd.register,
    report_cmd.register,
    report_cmd.register_dashboard,
]
