"""Helpers of the distributed tests (imported by name: pytest's rootdir import mode puts this
folder on sys.path)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

PG_USER, PG_PASSWORD, PG_DB = "eqf", "s3cr3t-Pw9", "optuna"
#: The walk-forward every executor test runs (5 folds x 25 trials).
KW = dict(technique="bayesian", n_trials=25, random_state=11)


def wait_for(predicate, timeout: float = 120.0, every: float = 0.2):
    """Poll ``predicate`` until it returns a true value (returned) or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate.__name__}")


def assert_same_walk(a, b):
    """Every number of two walk-forward results is identical (not merely close)."""
    pd.testing.assert_frame_equal(a.weights, b.weights, check_exact=True)
    pd.testing.assert_series_equal(a.out_of_sample_returns, b.out_of_sample_returns,
                                   check_exact=True)
    for fa, fb in zip(a.folds, b.folds, strict=True):
        assert np.array_equal(fa.optimization.trial_objectives,
                              fb.optimization.trial_objectives, equal_nan=True)
        pd.testing.assert_frame_equal(fa.optimization.trial_returns,
                                      fb.optimization.trial_returns, check_exact=True)
    pd.testing.assert_series_equal(a.report.summary(), b.report.summary(), check_exact=True)
