"""Factor discovery: estimators, factor-mimicking portfolios, rolling out-of-sample fits (pure computation)."""
