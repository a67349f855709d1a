"""Factor weight optimization: weighting methods, search techniques, overfitting statistics (pure)."""
