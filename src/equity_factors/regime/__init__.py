"""Market regimes: Gaussian HMM fits, forward filtering, regime-conditional statistics (pure)."""
