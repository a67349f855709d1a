"""Search techniques that choose factor weights by maximizing a risk-adjusted objective in sample.

What is searched (``search``)
-----------------------------
Let ``R`` be the train window's factor returns (n_dates x n_factors) and ``M`` the matrix whose
columns are the chosen weighting methods' weights on the same window
(:mod:`equity_factors.optimize.weighting`; with ``long_only=False`` ``sharpe`` and ``momentum``
are signed by their score and the risk-based methods weight the factors oriented by the sign of
their train-window mean, so a losing factor is shorted; ``long_only=True`` keeps all long).

``"blend"`` (default)
    Parameters ``a_m in [0, 1]``, one per method; blend ``α = a / Σa`` (a point of the simplex;
    all zero means equal), raw weights ``M α``.
``"direct"``
    One parameter per factor, ``d_i in [-1, 1]`` (``[0, 1]`` with ``long_only``); raw weights ``d``.
``"both"``
    Both sets at once; raw weights ``M a + d`` (the method vectors act as extra search
    directions on top of direct weights).

The factor weights are always ``w = raw / Σ|raw|`` (gross exposure 1; equal weights if ``raw``
is all zero), so the portfolio return on day t is ``r_t = Σ_i w_i R_ti``.

Objective
---------
``"sharpe"`` (default), ``"sortino"`` or ``"calmar"`` of ``r`` on the train window, computed by the
array kernels of :mod:`equity_factors.metrics` (annualized with ``periods_per_year``, risk-free and
target 0). A trial whose objective is undefined (zero volatility, no drawdown) scores NaN and is
never selected.

Techniques
----------
``"bayesian"``
    Optuna's TPE sampler (multivariate, seeded), ``n_trials`` trials; the first trial is the
    equal blend / equal weights. ``storage`` and ``study_name`` let several processes share one
    study (every completed trial of the study counts, including other processes' ones);
    ``n_jobs > 1`` runs trials in threads and is then not reproducible.
``"differential"``
    :func:`scipy.optimize.differential_evolution` (seeded, ``polish=False``, vectorized), with a
    population and number of generations sized to spend about ``n_trials`` evaluations.
``"gradient"``
    Projected gradient ascent with the analytic gradient of the objective with respect to the
    weights (Sharpe and Sortino exactly; Calmar through the running-peak and trough of the
    maximum drawdown), from several seeded starting points (the first is the equal blend),
    with an adaptive step (x1.5 on success, x0.5 on failure).

Every objective evaluation is a trial: ``n_trials`` in the result counts them all, and
``trial_returns`` keeps the distinct trials' daily returns (up to ``max_kept_trials``, evenly
spaced in evaluation order, always including the best) for the DSR and PBO.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from equity_factors._random import SeedLike, check_random_state
from equity_factors._urls import redact_text, redact_url
from equity_factors.errors import ParameterError, UserError
from equity_factors.metrics import _calmar_array, _sharpe_array, _sortino_array
from equity_factors.optimize.weighting import compute_weights, resolve_method
from equity_factors.types import (
    OBJECTIVES,
    SEARCHES,
    TECHNIQUES,
    Objective,
    Search,
    Technique,
    WeightingMethod,
)

__all__ = [
    "DEFAULT_METHODS",
    "OBJECTIVES",
    "SEARCHES",
    "TECHNIQUES",
    "Objective",
    "OptimizationResult",
    "Search",
    "Technique",
    "TrialCheckpoint",
    "objective_gradient",
    "optimize_weights",
    "resolve_option",
]

DEFAULT_METHODS: tuple[WeightingMethod, ...] = ("sharpe", "momentum", "risk_parity")

#: Fewest complete rows a train window may have.
MIN_TRAIN_ROWS = 10
#: Bumped whenever the trials a seed gives change, so old checkpoints are not reused.
CHECKPOINT_VERSION = 1
_BAD = -1e6  # what the searchers see for an undefined objective (NaN): finite, never best


def resolve_option(value: str, valid: Sequence[str], what: str) -> str:
    """Normalize a user-typed option (case-insensitive); UserError listing ``valid`` if unknown."""
    key = str(value).strip().lower().replace("-", "_")
    if key not in valid:
        raise UserError(f"unknown {what} {value!r}; choose from: {', '.join(valid)}")
    return key


# ------------------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class OptimizationResult:
    """The best factor weights found on one train window, and every trial tried.

    Attributes
    ----------
    weights : Series of shape (n_factors,)
        Best factor weights, ``sum |w| = 1``.
    method_blend : Series of shape (n_methods,)
        ``"blend"``: the simplex coefficients over methods. ``"both"``: the method coefficients
        ``a`` scaled like the weights (their sum is the methods' share before cancellation).
        ``"direct"``: empty.
    method_weights : DataFrame of shape (n_factors, n_methods)
        Each weighting method's weights on the window (empty for ``"direct"``).
    objective_value : float
        Best objective (annualized).
    n_trials : int
        Number of objective evaluations.
    trial_objectives : ndarray of shape (n_trials,)
        Objective of every evaluation, in order (NaN where undefined).
    trial_returns : DataFrame of shape (n_dates, n_kept)
        Daily returns of the kept distinct trials on the window; columns are evaluation numbers.
    in_sample_returns : Series of shape (n_dates,)
        Returns of ``weights`` on the window.
    technique, objective, search : str
    long_only : bool
    trial_params : DataFrame of shape (n_trials, n_params)
        The search parameters of every evaluation, in order (rows: evaluation numbers;
        columns named as the study's parameters: ``method:<name>``, ``factor:<name>``; see
        the module docstring for how they give the weights). Empty when not recorded.
    """

    weights: pd.Series
    method_blend: pd.Series
    method_weights: pd.DataFrame
    objective_value: float
    n_trials: int
    trial_objectives: np.ndarray
    trial_returns: pd.DataFrame
    in_sample_returns: pd.Series
    technique: str
    objective: str
    search: str
    long_only: bool
    trial_params: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def train_start(self) -> pd.Timestamp:
        """First date of the train window."""
        return self.in_sample_returns.index[0]

    @property
    def train_end(self) -> pd.Timestamp:
        """Last date of the train window (weights use data up to its close)."""
        return self.in_sample_returns.index[-1]

    def summary(self) -> pd.Series:
        """Headline fields as a Series."""
        return pd.Series(
            {
                "technique": self.technique,
                "objective": self.objective,
                "search": self.search,
                "objective_value": self.objective_value,
                "n_trials": self.n_trials,
                "train_start": self.train_start,
                "train_end": self.train_end,
            },
            dtype=object,
        )


# ------------------------------------------------------------------------------------- objective


def _objective_values(r: np.ndarray, objective: str, ppy: int) -> np.ndarray:
    """Objective of each column of ``r`` (n_dates, n_trials)."""
    if objective == "sharpe":
        return _sharpe_array(r, 0.0, ppy)
    if objective == "sortino":
        out = _sortino_array(r, 0.0, ppy)
        return np.where(np.isinf(out), np.nan, out)
    return _calmar_array(r, ppy)


def objective_gradient(
    returns: np.ndarray, weights: np.ndarray, objective: str = "sharpe", periods_per_year: int = 252
) -> tuple[float, np.ndarray]:
    """Objective of ``r = returns @ weights`` and its analytic gradient with respect to ``weights``.

    Parameters
    ----------
    returns : ndarray of shape (n_dates, n_factors)
    weights : ndarray of shape (n_factors,)
    objective : {"sharpe", "sortino", "calmar"}
    periods_per_year : int, default 252

    Returns
    -------
    value : float
        Same number as the :mod:`equity_factors.metrics` function (NaN where undefined).
    gradient : ndarray of shape (n_factors,)
        NaN-free; zeros where the objective is undefined.
    """
    r = returns @ weights
    t = r.size
    value = float(_objective_values(r.reshape(-1, 1), objective, periods_per_year)[0])
    zero = np.zeros_like(weights, dtype=float)
    if not np.isfinite(value):
        return value, zero
    if objective == "sharpe":
        mu = r.mean()
        dev = r - mu
        s = np.sqrt(dev @ dev / (t - 1))
        g_r = np.sqrt(periods_per_year) * (1.0 / (t * s) - mu * dev / ((t - 1) * s**3))
    elif objective == "sortino":
        mu = r.mean()
        low = np.minimum(r, 0.0)
        d = np.sqrt(low @ low / t)
        g_r = np.sqrt(periods_per_year) * (1.0 / (t * d) - mu * low / (t * d**3))
    else:
        growth = 1.0 + r
        if np.any(growth <= 0):
            return value, zero
        wealth = np.cumprod(growth)
        cagr = wealth[-1] ** (periods_per_year / t) - 1.0
        g_cagr = (periods_per_year / t) * (1.0 + cagr) / growth
        peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
        dd = wealth / peak - 1.0
        trough = int(np.argmin(dd))
        mdd = dd[trough]
        # The peak is the last running maximum before the trough (index -1 means W_0 = 1).
        before = wealth[: trough + 1]
        start = int(np.argmax(before)) if before.max() >= 1.0 else -1
        g_dd = np.zeros(t)
        g_dd[start + 1 : trough + 1] = (1.0 + mdd) / growth[start + 1 : trough + 1]
        g_r = g_cagr / (-mdd) + cagr * g_dd / mdd**2
    return value, returns.T @ g_r


# ------------------------------------------------------------------------------------- problem


class _Problem:
    """The hot path: parameters -> weights -> objective, and the record of every trial."""

    def __init__(
        self,
        returns: np.ndarray,
        method_matrix: np.ndarray,
        search: str,
        long_only: bool,
        objective: str,
        ppy: int,
        budget: int,
        callback: Callable[[int, int], None] | None,
    ) -> None:
        self.r = returns
        self.m = method_matrix
        self.search = search
        self.long_only = long_only
        self.objective = objective
        self.ppy = ppy
        self.k = returns.shape[1]
        self.n_methods = method_matrix.shape[1]
        self.budget = budget
        self.callback = callback
        self.params: list[np.ndarray] = []  # parameters, one row per evaluation
        self.records: list[np.ndarray] = []  # weights, one row per evaluation
        self.values: list[float] = []
        self._lock = threading.Lock()

    # ---- parameter space
    @property
    def dim(self) -> int:
        if self.search == "blend":
            return self.n_methods
        if self.search == "direct":
            return self.k
        return self.n_methods + self.k

    def bounds(self) -> list[tuple[float, float]]:
        lo = 0.0 if self.long_only else -1.0
        if self.search == "blend":
            return [(0.0, 1.0)] * self.n_methods
        if self.search == "direct":
            return [(lo, 1.0)] * self.k
        return [(0.0, 1.0)] * self.n_methods + [(lo, 1.0)] * self.k

    def start(self) -> np.ndarray:
        """The neutral starting point: equal blend, equal direct weights."""
        if self.search == "blend":
            return np.full(self.n_methods, 1.0)
        if self.search == "direct":
            return np.full(self.k, 1.0)
        return np.concatenate([np.full(self.n_methods, 1.0), np.zeros(self.k)])

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw weights for parameters ``x`` of shape (dim,) or (dim, S) -> (k,) or (k, S)."""
        if self.search == "blend":
            total = x.sum(axis=0)
            alpha = np.where(total > 0, x / np.where(total > 0, total, 1.0), 1.0 / self.n_methods)
            return self.m @ alpha
        if self.search == "direct":
            return x
        return self.m @ x[: self.n_methods] + x[self.n_methods :]

    def weights(self, x: np.ndarray) -> np.ndarray:
        raw = self.raw(x)
        gross = np.abs(raw).sum(axis=0)
        equal = np.full_like(raw, 1.0 / self.k)
        return np.where(gross > 1e-15, raw / np.where(gross > 1e-15, gross, 1.0), equal)

    def blend(self, x: np.ndarray) -> np.ndarray:
        if self.search == "blend":
            total = x.sum()
            return x / total if total > 0 else np.full(self.n_methods, 1.0 / self.n_methods)
        if self.search == "direct":
            return np.empty(0)
        gross = np.abs(self.raw(x)).sum()
        a = x[: self.n_methods]
        return a / gross if gross > 1e-15 else a

    # ---- evaluation
    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Objective for parameters (dim,) or (dim, S); records every evaluation."""
        w = self.weights(x)
        w2 = w.reshape(self.k, -1)
        vals = _objective_values(self.r @ w2, self.objective, self.ppy)
        self._record(x.reshape(self.dim, -1).T, w2.T, vals)
        return vals

    def evaluate_weights(self, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective and gradient (w.r.t. the weights) at weights ``w`` of parameters ``x``."""
        value, grad = objective_gradient(self.r, w, self.objective, self.ppy)
        self._record(x.reshape(1, -1), w.reshape(1, -1), np.array([value]))
        return value, grad

    def _record(self, x_rows: np.ndarray, w_rows: np.ndarray, vals: np.ndarray) -> None:
        with self._lock:
            self.params.extend(np.array(x_rows, dtype=float))
            self.records.extend(np.array(w_rows, dtype=float))
            self.values.extend(float(v) for v in vals)
            done = len(self.values)
        if self.callback is not None:
            self.callback(done, self.budget)


# ------------------------------------------------------------------------------------- techniques


@contextmanager
def _quiet_optuna():
    import optuna

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield optuna
    finally:
        optuna.logging.set_verbosity(previous)


def _param_names(problem: _Problem, methods: Sequence[str], factors: Sequence[str]) -> list[str]:
    names = []
    if problem.search in ("blend", "both"):
        names += [f"method:{m}" for m in methods]
    if problem.search in ("direct", "both"):
        names += [f"factor:{f}" for f in factors]
    return names


class TrialCheckpoint(Protocol):
    """Where finished in-memory studies are kept so a rerun does not redo them.

    ``load(key)`` returns the parameters of a finished study's trials (n_trials, n_params), or
    None; ``save(key, names, params)`` records them. Keys are digests of everything the trials
    depend on (the train window's numbers, the settings, the seed, the Optuna version), so a
    checkpoint can never hand back trials of another problem. The implementation (files in the
    data directory) lives outside this pure package:
    :class:`equity_factors.data.trial_cache.TrialCache`.
    """

    def load(self, key: str) -> np.ndarray | None: ...

    def save(self, key: str, names: Sequence[str], params: np.ndarray) -> None: ...


def _study_key(problem: _Problem, names: Sequence[str], n_trials: int, seed: int,
               optuna_version: str) -> str:
    import hashlib

    h = hashlib.sha256()
    for part in (CHECKPOINT_VERSION, optuna_version, problem.search, problem.long_only,
                 problem.objective, problem.ppy, n_trials, seed, "|".join(names),
                 problem.r.shape, problem.m.shape):
        h.update(repr(part).encode())
        h.update(b"\0")
    h.update(np.ascontiguousarray(problem.r).tobytes())
    h.update(np.ascontiguousarray(problem.m).tobytes())
    return h.hexdigest()[:32]


def _replay(problem: _Problem, xs: np.ndarray) -> None:
    """Record the trials ``xs`` (n_trials, dim) as the problem's evaluations, in one batch.

    Every bayesian result is built this way (fresh, from a checkpoint or from a shared
    study), so the numbers do not depend on where the trials came from.
    """
    problem.params, problem.records, problem.values = [], [], []
    cb, problem.callback = problem.callback, None
    problem.evaluate(np.ascontiguousarray(xs.T))
    problem.callback = cb


def _run_bayesian(
    problem: _Problem,
    n_trials: int,
    rng: np.random.Generator,
    names: list[str],
    storage: Any,
    study_name: str | None,
    n_jobs: int,
    checkpoint: TrialCheckpoint | None = None,
) -> None:
    with _quiet_optuna() as optuna:
        from optuna.distributions import FloatDistribution
        from optuna.trial import TrialState

        seed = int(rng.integers(0, 2**31 - 1))
        key = None
        if checkpoint is not None and storage is None:
            key = _study_key(problem, names, n_trials, seed, optuna.__version__)
            xs = checkpoint.load(key)
            if xs is not None and xs.shape == (n_trials, len(names)):
                _replay(problem, xs)
                return
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
        try:
            study = optuna.create_study(
                storage=storage,
                study_name=study_name,
                sampler=sampler,
                direction="maximize",
                load_if_exists=True,
            )
        except Exception as exc:  # optuna/SQLAlchemy raise several types for a bad URL
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            shown = redact_url(storage) if isinstance(storage, str) else "given"
            raise UserError(
                f"cannot open the Optuna storage {shown!r} ({redact_text(first, storage)}); "
                "pass a valid storage URL such as sqlite:///study.db"
            ) from None
        dists = {n: FloatDistribution(lo, hi) for n, (lo, hi) in zip(names, problem.bounds())}
        previous = study.get_trials(deepcopy=False)
        done = [t for t in previous if t.state == TrialState.COMPLETE]
        if done and set(done[0].params) != set(names):
            raise UserError(
                f"the Optuna study {study.study_name!r} was created for other parameters "
                "(factors or methods); use a different study name"
            )
        if not previous and n_trials > 0:
            study.enqueue_trial(dict(zip(names, problem.start())))

        def params_vector(params: dict[str, float]) -> np.ndarray:
            return np.array([params[n] for n in names], dtype=float)

        def score(x: np.ndarray) -> float:
            v = problem.evaluate(x)[0]
            return float(v) if np.isfinite(v) else _BAD

        if n_jobs == 1:
            for _ in range(n_trials):
                trial = study.ask(dists)
                study.tell(trial, score(params_vector(trial.params)))
        elif n_trials > 0:

            def objective(trial: Any) -> float:
                x = np.array([trial.suggest_float(n, dists[n].low, dists[n].high) for n in names])
                return score(x)

            study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs)

        # Every completed trial of the study counts, whoever ran it (a shared study), in
        # trial-number order.
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not trials:
            raise UserError(
                f"the Optuna study {study.study_name!r} has no finished trial yet; run eqf "
                "optimize with --trials 1 or more on it first")
        xs = np.array([params_vector(t.params) for t in trials], dtype=float)
        _replay(problem, xs)
        if key is not None:
            checkpoint.save(key, names, xs)  # type: ignore[union-attr]


def _run_differential(problem: _Problem, n_trials: int, rng: np.random.Generator) -> None:
    from scipy.optimize import differential_evolution

    dim = problem.dim
    target = int(np.clip(n_trials // 10, 5, 15 * dim))
    popsize = max(1, target // dim)
    pop = max(5, popsize * dim)
    maxiter = max(0, n_trials // pop - 1)

    def func(x: np.ndarray) -> np.ndarray:
        v = problem.evaluate(np.asarray(x, dtype=float))
        return -np.where(np.isfinite(v), v, _BAD)

    differential_evolution(
        func,
        problem.bounds(),
        maxiter=maxiter,
        popsize=popsize,
        tol=0.0,
        polish=False,
        rng=int(rng.integers(0, 2**31 - 1)),
        vectorized=True,
        updating="deferred",
    )


def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection onto the probability simplex (Duchi et al. 2008)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    idx = np.arange(1, v.size + 1)
    rho = np.nonzero(u * idx > css - 1.0)[0][-1]
    theta = (css[rho] - 1.0) / (rho + 1.0)
    return np.maximum(v - theta, 0.0)


def _run_gradient(problem: _Problem, n_trials: int, rng: np.random.Generator) -> None:
    n_restarts = int(min(5, max(1, n_trials // 20)))
    per = [n_trials // n_restarts + (1 if i < n_trials % n_restarts else 0)
           for i in range(n_restarts)]
    dim = problem.dim

    def project(x: np.ndarray) -> np.ndarray:
        if problem.search == "blend":
            return _project_simplex(x)
        if problem.search == "direct":
            y = np.maximum(x, 0.0) if problem.long_only else x
            gross = np.abs(y).sum()
            return y / gross if gross > 1e-15 else np.full(dim, 1.0 / dim)
        a = np.maximum(x[: problem.n_methods], 0.0)
        d = x[problem.n_methods :]
        d = np.maximum(d, 0.0) if problem.long_only else d
        y = np.concatenate([a, d])
        gross = np.abs(problem.raw(y)).sum()
        if gross > 1e-15:
            return y / gross
        return np.concatenate([np.zeros(problem.n_methods), np.full(problem.k, 1.0 / problem.k)])

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        raw = problem.raw(x)
        gross = np.abs(raw).sum()
        if gross <= 1e-15:
            w = np.full(problem.k, 1.0 / problem.k)
            v, _ = problem.evaluate_weights(x, w)
            return v, np.zeros(dim)
        w = raw / gross
        v, g_w = problem.evaluate_weights(x, w)
        # Chain rule through the normalization w = raw / |raw|_1 ...
        g_raw = (g_w - np.sign(raw) * (w @ g_w)) / gross
        # ... and through the parameterization.
        if problem.search == "blend":
            total = x.sum()
            g_alpha = problem.m.T @ g_raw
            return v, (g_alpha - (x / total) @ g_alpha) / total if total > 0 else g_alpha
        if problem.search == "direct":
            return v, g_raw
        return v, np.concatenate([problem.m.T @ g_raw, g_raw])

    for i, steps in enumerate(per):
        if steps <= 0:
            continue
        if i == 0:
            x = project(problem.start())
        elif problem.search == "blend":
            x = rng.dirichlet(np.ones(dim))
        else:
            z = rng.normal(size=dim)
            if problem.long_only:
                z = np.abs(z)
            if problem.search == "both":
                z[: problem.n_methods] = np.abs(z[: problem.n_methods])
            x = project(z)
        v, g = value_and_grad(x)
        step = 0.5 / np.sqrt(dim)
        for _ in range(steps - 1):
            norm = np.linalg.norm(g)
            if not np.isfinite(v) or norm == 0 or step < 1e-8:
                break
            cand = project(x + step * g / norm)
            cv, cg = value_and_grad(cand)
            if np.isfinite(cv) and cv > v:
                x, v, g = cand, cv, cg
                step *= 1.5
            else:
                step *= 0.5


# ------------------------------------------------------------------------------------- entry


def _train_matrix(train_returns: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(train_returns, pd.DataFrame):
        raise TypeError("train_returns must be a DataFrame of shape (n_dates, n_factors)")
    clean = train_returns.astype(float).dropna(how="any")
    if clean.shape[1] == 0:
        raise UserError("no factors to optimize: the factor-returns table has no columns")
    if len(clean) < MIN_TRAIN_ROWS:
        raise ParameterError(
            f"the train window has {len(clean)} complete days of factor returns; need at least "
            f"{MIN_TRAIN_ROWS}: lengthen train_window or lookback",
            "train_window", "lookback", scope="optimizer")
    return clean


def _kept_indices(weights: np.ndarray, values: np.ndarray, cap: int) -> np.ndarray:
    """Indices of distinct trials (first occurrence), thinned evenly to ``cap``, best included."""
    _, first = np.unique(np.round(weights, 10), axis=0, return_index=True)
    first = np.sort(first)
    best = int(np.argmax(np.where(np.isfinite(values), values, -np.inf)))
    if len(first) > cap:
        pick = np.unique(np.linspace(0, len(first) - 1, cap).round().astype(int))
        first = first[pick]
    if best not in first:
        first = np.sort(np.append(first[: cap - 1] if len(first) >= cap else first, best))
    return first


def optimize_weights(
    train_returns: pd.DataFrame,
    technique: Technique = "bayesian",
    methods: Sequence[WeightingMethod] = DEFAULT_METHODS,
    objective: Objective = "sharpe",
    n_trials: int = 200,
    random_state: SeedLike = None,
    search: Search = "blend",
    long_only: bool = False,
    storage: str | None = None,
    study_name: str | None = None,
    n_jobs: int = 1,
    callback: Callable[[int, int], None] | None = None,
    *,
    periods_per_year: int = 252,
    max_kept_trials: int = 256,
    checkpoint: TrialCheckpoint | None = None,
) -> OptimizationResult:
    """Find the factor weights that maximize the objective on a train window.

    Parameters
    ----------
    train_returns : DataFrame of shape (n_dates, n_factors)
        Factor returns of the train window only; rows with any NaN are dropped.
    technique : {"bayesian", "differential", "gradient"}, default "bayesian"
    methods : sequence of str, default ("sharpe", "momentum", "risk_parity")
        Weighting methods blended by ``search="blend"`` / ``"both"``
        (see :data:`equity_factors.optimize.weighting.WEIGHTING_METHODS`).
    objective : {"sharpe", "sortino", "calmar"}, default "sharpe"
    n_trials : int, default 200
        Budget of objective evaluations (DE may use slightly fewer or, below 5, more). With a
        ``storage``: the trials this call adds to the study (0 reads the study as it stands).
    random_state : int, Generator or None
        Seed; the same seed gives the same weights (``n_jobs=1``).
    search : {"blend", "direct", "both"}, default "blend"
        What is searched; see the module docstring.
    long_only : bool, default False
        Forbid negative factor weights (and use the long-only variants of all methods).
    storage : str or optuna storage, optional
        Optuna storage URL (``bayesian`` only), e.g. ``postgresql+psycopg2://...``; None keeps
        the study in memory. With a storage the result is built from every completed trial of
        the study (other processes' too), as it stands when this call's trials are done.
    study_name : str, optional
        Optuna study name; an existing study with this name is continued.
    n_jobs : int, default 1
        Optuna worker threads (``bayesian`` only).
    callback : callable(i, n), optional
        Called after each evaluation (or batch of evaluations) with the count done so far and
        the budget, for progress bars.
    periods_per_year : int, default 252
    max_kept_trials : int, default 256
        Cap on the distinct trials whose returns are kept in ``trial_returns``.
    checkpoint : TrialCheckpoint, optional
        ``bayesian`` without a storage: a finished study found there is reused (same trials,
        same result) and a new one is saved there, so an interrupted walk-forward resumes at
        its first unfinished fold.

    Returns
    -------
    OptimizationResult
    """
    tech = resolve_option(technique, TECHNIQUES, "optimization technique")
    obj = resolve_option(objective, OBJECTIVES, "objective")
    srch = resolve_option(search, SEARCHES, "search space")
    if int(n_trials) < (0 if storage is not None and tech == "bayesian" else 1):
        raise ParameterError(f"n_trials must be at least 1, got {n_trials}",
                             "n_trials", scope="optimizer")
    if int(n_jobs) < 1:
        raise ParameterError(f"n_jobs must be at least 1, got {n_jobs}",
                             "n_jobs", scope="optimizer")
    n_trials, n_jobs = int(n_trials), int(n_jobs)
    window = _train_matrix(train_returns)
    rng = check_random_state(random_state)

    names: list[str] = []
    for m in methods if isinstance(methods, (list, tuple)) else list(methods):
        key = resolve_method(m)
        if key not in names:
            names.append(key)
    if srch != "direct" and not names:
        raise ParameterError("no weighting methods to blend; pass methods or use search direct",
                             "methods", "search", scope="optimizer")
    if srch == "direct":
        method_weights = pd.DataFrame(index=window.columns, dtype=float)
    else:
        method_weights = pd.DataFrame(
            {m: compute_weights(m, window, long_only=long_only) for m in names},
            index=window.columns,
        )
        names = list(method_weights.columns)

    r = np.ascontiguousarray(window.to_numpy(dtype=float))
    problem = _Problem(
        r,
        method_weights.to_numpy(dtype=float) if srch != "direct" else np.zeros((r.shape[1], 0)),
        srch,
        bool(long_only),
        obj,
        int(periods_per_year),
        n_trials,
        callback,
    )
    param_names = _param_names(problem, names, [str(c) for c in window.columns])
    if tech == "bayesian":
        _run_bayesian(
            problem, n_trials, rng, param_names, storage, study_name, n_jobs, checkpoint,
        )
    elif tech == "differential":
        _run_differential(problem, n_trials, rng)
    else:
        _run_gradient(problem, n_trials, rng)

    w_all = np.asarray(problem.records, dtype=float).reshape(-1, r.shape[1])
    values = np.asarray(problem.values, dtype=float)
    best = int(np.argmax(np.where(np.isfinite(values), values, -np.inf)))
    w_best = w_all[best]
    blend = problem.blend(np.asarray(problem.params[best], dtype=float))
    kept = _kept_indices(w_all, values, int(max_kept_trials))
    trial_returns = pd.DataFrame(r @ w_all[kept].T, index=window.index, columns=kept)
    return OptimizationResult(
        weights=pd.Series(w_best, index=window.columns, name="weight"),
        method_blend=pd.Series(blend, index=names[: len(blend)], name="blend", dtype=float),
        method_weights=method_weights,
        objective_value=float(values[best]),
        n_trials=int(values.size),
        trial_objectives=values,
        trial_returns=trial_returns,
        in_sample_returns=pd.Series(r @ w_best, index=window.index, name="portfolio"),
        technique=tech,
        objective=obj,
        search=srch,
        long_only=bool(long_only),
        trial_params=pd.DataFrame(
            np.asarray(problem.params, dtype=float).reshape(-1, problem.dim),
            columns=pd.Index(param_names, name="parameter"),
        ).rename_axis("trial"),
    )

