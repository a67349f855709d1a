"""Trading signals: technical indicators, extremes, momentum states, cross-sectional ranks.

Pure computation on pandas objects (no I/O):

* :mod:`.indicators` - EMA, RSI, MACD, ADX (+ close-only variant), rolling z-score, exactly as
  TA-Lib computes them (seeds, lookbacks, zero-division rules), without TA-Lib.
* :mod:`.extremes` - factors whose daily return or cumulative level is beyond a z threshold, with
  point-in-time reversion hit rates, AR(1) half-lives and optional trade suggestions.
* :mod:`.momentum` - RSI/MACD/ADX/z-score of one factor, their states and a BUY/SELL/HOLD score.
* :mod:`.cross_section` - stocks ranked by a composite factor score, long/short candidates.
"""
