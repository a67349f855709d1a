"""Trading signals: technical indicators, extremes, momentum states, cross-sectional ranks (pure)."""
