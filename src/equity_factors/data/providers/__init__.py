"""Data providers behind one protocol: sample, synthetic, files, alphavantage."""
