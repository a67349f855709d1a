"""A fold's optimization looked up in (and stored to) a window cache.

The key is the technique's parameters, the fold's seed and a digest of the fold's train data
(float64 bytes, dates, factor names): one more day of factor returns adds a fold and reuses the
others; a changed factor return reruns exactly the folds whose train window holds it. Only a
study of its own is cacheable: with ``n_jobs > 1`` trials race (not reproducible), and a shared
Optuna ``storage`` counts other processes' trials, so its result is not a function of the
window. The caller passes a cache only with a storage no one else writes to (``eqf optimize``
does so with its per-run journal, never with ``--storage``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from equity_factors import __version__
from equity_factors.optimize.techniques import OptimizationResult, optimize_weights
from equity_factors.window_cache import WindowCache, digest_block, window_key

__all__ = ["cacheable", "optimize_cached"]

_NOT_PARAMS = ("storage", "study_name", "callback", "n_jobs")
#: What an entry holds; in the key, so entries written before ``trial_params`` (layout 1)
#: are never read back without them.
LAYOUT = 2


def cacheable(optimize_kwargs: Mapping[str, Any]) -> bool:
    """Whether a fold's result depends on its window and parameters alone (one worker)."""
    return int(optimize_kwargs.get("n_jobs", 1)) == 1


def _text(a: np.ndarray) -> str:
    return bytes(np.asarray(a, dtype=np.uint8)).decode()


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _to_arrays(r: OptimizationResult) -> dict[str, np.ndarray]:
    meta = {"technique": r.technique, "objective": r.objective, "search": r.search,
            "long_only": r.long_only, "factors": [str(c) for c in r.weights.index],
            "blend": [str(c) for c in r.method_blend.index],
            "methods": [str(c) for c in r.method_weights.columns],
            "date_unit": np.datetime_data(r.in_sample_returns.index.dtype)[0],
            "freq": getattr(r.in_sample_returns.index, "freqstr", None),
            "axis_names": [r.weights.index.name, r.method_blend.index.name,
                           r.method_weights.columns.name, r.trial_returns.columns.name,
                           r.in_sample_returns.index.name],
            "param_names": [str(c) for c in r.trial_params.columns]}
    return {
        "meta": _bytes(json.dumps(meta)),
        "dates": np.asarray(r.in_sample_returns.index.asi8, dtype=np.int64),
        "weights": r.weights.to_numpy(dtype=float),
        "blend": r.method_blend.to_numpy(dtype=float),
        "method_weights": np.ascontiguousarray(r.method_weights.to_numpy(dtype=float)),
        "objective_value": np.array([r.objective_value]),
        "n_trials": np.array([r.n_trials], dtype=np.int64),
        "trial_objectives": np.asarray(r.trial_objectives, dtype=float),
        "trial_columns": np.asarray(r.trial_returns.columns, dtype=np.int64),
        "trial_returns": np.ascontiguousarray(r.trial_returns.to_numpy(dtype=float)),
        "in_sample": r.in_sample_returns.to_numpy(dtype=float),
        "trial_params": np.ascontiguousarray(r.trial_params.to_numpy(dtype=float)),
    }


def _from_arrays(a: Mapping[str, np.ndarray], factor_dtype: Any) -> OptimizationResult:
    meta = json.loads(_text(a["meta"]))
    dates = pd.DatetimeIndex(a["dates"].astype(f"datetime64[{meta['date_unit']}]"),
                             freq=meta.get("freq"))
    factors = pd.Index(meta["factors"], dtype=factor_dtype)
    f_name, b_name, m_name, t_name, d_name = meta["axis_names"]
    factors.name = f_name
    dates.name = d_name
    return OptimizationResult(
        weights=pd.Series(a["weights"], index=factors, name="weight"),
        method_blend=pd.Series(a["blend"], index=pd.Index(meta["blend"], name=b_name),
                               name="blend", dtype=float),
        method_weights=pd.DataFrame(a["method_weights"].reshape(len(factors), -1),
                                    index=factors,
                                    columns=pd.Index(meta["methods"], name=m_name)),
        objective_value=float(a["objective_value"][0]),
        n_trials=int(a["n_trials"][0]),
        trial_objectives=a["trial_objectives"],
        trial_returns=pd.DataFrame(a["trial_returns"], index=dates,
                                   columns=pd.Index(a["trial_columns"], name=t_name)),
        in_sample_returns=pd.Series(a["in_sample"], index=dates, name="portfolio"),
        technique=meta["technique"], objective=meta["objective"], search=meta["search"],
        long_only=bool(meta["long_only"]),
        trial_params=pd.DataFrame(
            a["trial_params"].reshape(-1, len(meta["param_names"])),
            columns=pd.Index(meta["param_names"], name="parameter"),
        ).rename_axis("trial"),
    )


def optimize_cached(train: pd.DataFrame, window_cache: WindowCache | None, *,
                    random_state: Any, periods_per_year: int, **kwargs: Any
                    ) -> OptimizationResult:
    """:func:`optimize_weights` on ``train``, through ``window_cache`` when the fold allows it."""
    if window_cache is None or not cacheable(kwargs) or not isinstance(
            train.index, pd.DatetimeIndex) or not isinstance(random_state, (int, np.integer)):
        return optimize_weights(train, random_state=random_state,
                                periods_per_year=periods_per_year, **kwargs)
    params = {k: (list(v) if isinstance(v, (tuple, list)) else v)
              for k, v in kwargs.items() if k not in _NOT_PARAMS}
    params.update(seed=int(random_state), periods_per_year=int(periods_per_year),
                  version=__version__, layout=LAYOUT)
    key = window_key("optimize", params, digest_block(train.to_numpy(dtype=float),
                                                      train.index, train.columns))
    hit = window_cache.get(key)
    if hit is not None:
        return _from_arrays(hit, train.columns.dtype)
    result = optimize_weights(train, random_state=int(random_state),
                              periods_per_year=periods_per_year, **kwargs)
    window_cache.put(key, _to_arrays(result))
    return result
