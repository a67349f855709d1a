"""Rolling factor fits through a window cache: bit-identical to cold, exact invalidation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from equity_factors.factors import fit_factor_model
from equity_factors.window_cache import MemoryWindowCache

LOOKBACK, REFIT = 60, 10


@pytest.fixture(scope="module")
def returns():
    rng = np.random.default_rng(3)
    n, m = 260, 25
    f = rng.normal(scale=0.01, size=(n, 3))
    r = f @ rng.normal(size=(3, m)) + rng.normal(scale=0.01, size=(n, m))
    frame = pd.DataFrame(r, index=pd.bdate_range("2015-01-01", periods=n),
                         columns=[f"S{i:02d}" for i in range(m)])
    frame.iloc[:80, 3] = np.nan  # a late listing
    frame.iloc[150:, 7] = np.nan  # a delisting
    return frame


def fit(returns, cache=None, method="pca"):
    return fit_factor_model(returns, method, 3, lookback=LOOKBACK, refit=REFIT,
                            random_state=0, window_cache=cache)


def assert_same(a, b):
    for name in ("factor_returns", "loadings", "weights", "stability", "fits",
                 "weights_history"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    pd.testing.assert_series_equal(a.explained_variance_ratio, b.explained_variance_ratio,
                                   check_exact=True)


def windows(n_rows):
    return [(p - LOOKBACK, p) for p in range(LOOKBACK, n_rows, REFIT)]


@pytest.mark.filterwarnings("ignore:ICA did not converge")
@pytest.mark.parametrize("method", ["pca", "ica"])
def test_warm_equals_cold_and_one_more_day_reuses_every_window(returns, method):
    cache = MemoryWindowCache()
    short = returns.iloc[:-1]
    first = fit(short, cache, method)
    n_windows = len(windows(len(short)))
    assert cache.stats.misses["factors"] == n_windows and cache.stats.hits["factors"] == 0
    assert_same(first, fit(short, None, method))
    assert_same(fit(short, cache, method), first)  # all hits
    assert cache.stats.hits["factors"] == n_windows
    # one more day: the earlier windows are hits; a new window only if the day starts one
    cache.stats.hits.clear()
    cache.stats.misses.clear()
    longer = fit(returns, cache, method)
    new = len(windows(len(returns))) - n_windows
    assert cache.stats.misses["factors"] == new
    assert cache.stats.hits["factors"] == n_windows
    assert_same(longer, fit(returns, None, method))


def test_changed_price_invalidates_exactly_the_windows_that_used_it(returns):
    cache = MemoryWindowCache()
    fit(returns, cache)
    # a corrected price on day t changes the returns of t and t+1
    t = 95
    changed = returns.copy()
    changed.iloc[t, 5] *= 1.5
    changed.iloc[t + 1, 5] *= 0.5
    cache.stats.misses.clear()
    warm = fit(changed, cache)
    expected = sum(1 for a, b in windows(len(returns)) if a <= t + 1 and t < b)
    assert expected > 0
    assert cache.stats.misses["factors"] == expected
    assert_same(warm, fit(changed, None))
    # a stock with no return in a window cannot change it: a new all-NaN column reuses all
    cache.stats.misses.clear()
    extra = changed.assign(ZZZ=np.nan)
    extra.iloc[-15:, -1] = 0.01  # rows 245.. : only the last fit window [190, 250) holds them
    fit(extra, cache)
    assert cache.stats.misses["factors"] == 1


def test_in_sample_mode_and_fundamental_untouched(returns):
    cache = MemoryWindowCache()
    a = fit_factor_model(returns, "pca", 3, mode="in-sample", random_state=0,
                         window_cache=cache)
    b = fit_factor_model(returns, "pca", 3, mode="in-sample", random_state=0,
                         window_cache=cache)
    assert cache.stats.as_dict() == {"factors": {"hits": 1, "misses": 1}}
    assert_same(a, b)
    fit_factor_model(returns, "fundamental", None, window_cache=cache)
    assert cache.stats.as_dict() == {"factors": {"hits": 1, "misses": 1}}


_FIT_IN_A_NEW_PROCESS = """
import json, sys, warnings
warnings.simplefilter("ignore")
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest, fit_factors
ctx = Context.create(sys.argv[1])
fit = fit_factors(ctx, FactorRequest("SAMPLE", n_components=3, start="2018-01-01",
                                     end=sys.argv[2]))
print(json.dumps({"sklearn": "sklearn" in sys.modules, "stats": fit.window_stats,
                  "returns": fit.result.factor_returns.to_numpy().tolist()}))
"""


def test_a_fit_rebuilt_from_the_window_cache_imports_no_scikit_learn(private_sample_home,
                                                                    tmp_path):
    """The estimators (scikit-learn, 1.6 s to import with the SciPy it pulls in) load only when
    a window has to be fitted: one more day rebuilds the fit from the cache without them, with
    the same factor returns as a cold fit of that day."""
    import json
    import shutil
    import subprocess
    import sys

    def fit(home, end):
        out = subprocess.run([sys.executable, "-c", _FIT_IN_A_NEW_PROCESS, str(home), end],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    cold = fit(private_sample_home, "2021-06-01")
    assert cold["sklearn"] and cold["stats"]["factors"]["misses"] > 0
    warm = fit(private_sample_home, "2021-06-02")  # inside the last window: nothing to fit
    assert warm["stats"]["factors"]["misses"] == 0 and warm["stats"]["factors"]["hits"] > 0
    assert not warm["sklearn"]
    fresh = tmp_path / "fresh"
    shutil.copytree(private_sample_home, fresh, ignore=shutil.ignore_patterns("cache", "runs"))
    again = fit(fresh, "2021-06-02")
    assert again["sklearn"] and again["returns"] == warm["returns"]
