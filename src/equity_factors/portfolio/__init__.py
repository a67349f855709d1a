"""Portfolio construction: composite scores and tradeable baskets (pure)."""
