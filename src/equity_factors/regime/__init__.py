"""Market regimes: Gaussian HMM fits, forward filtering, regime-conditional statistics (pure).

:mod:`.hmm` builds the features (:func:`~.hmm.regime_features`), fits the model
(:class:`~.hmm.RegimeHMM`), produces the point-in-time path (:func:`~.hmm.detect_regimes`),
predicts regimes ahead and learns per-regime factor statistics and allocations.
"""
