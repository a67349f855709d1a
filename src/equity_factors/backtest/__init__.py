"""Walk-forward backtests, costs and attribution (pure)."""
