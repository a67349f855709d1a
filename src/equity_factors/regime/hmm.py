"""Gaussian-HMM market regimes: point-in-time fits, forward filtering, per-regime factor stats."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular
from threadpoolctl import ThreadpoolController

from equity_factors import __version__
from equity_factors._random import SeedLike, check_random_state, derive_seed
from equity_factors.errors import ConvergenceWarning, UserError
from equity_factors.window_cache import WindowCache, digest_block, digest_chain, window_key

_CONTROLLER: ThreadpoolController | None = None


def _one_thread() -> Any:
    """BLAS/OpenMP limited to one thread (tiny matrices: more threads only add contention).

    One controller for the process: ``threadpool_limits`` scans the loaded libraries each time
    it is made, which cost 5 ms a refit.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1)


__all__ = [
    "CovarianceType",
    "RegimeHMM",
    "RegimeFit",
    "RegimeResult",
    "RegimeFactorStats",
    "regime_features",
    "regime_labels",
    "spell_lengths",
    "forward_filter",
    "detect_regimes",
    "predict_regime_probabilities",
    "regime_factor_stats",
    "regime_allocation",
]

CovarianceType = Literal["full", "diag"]
_COVARIANCE_TYPES = ("full", "diag")
RETURN_COLUMN = "market_return"


# ----------------------------------------------------------------------------- features
def regime_features(market_returns: pd.Series, factor_returns: pd.DataFrame | None = None,
                    vol_window: int = 21, *, include_vol: bool = False,
                    periods_per_year: int = 252) -> pd.DataFrame:
    """HMM input features: daily returns of the market and factors, optionally trailing vol.

    Columns: ``market_return`` (simple return of day t) and, with ``factor_returns``,
    ``<factor>_return`` for each factor. With ``include_vol=True`` also ``market_vol`` (and
    ``<factor>_vol``) = natural log of the annualized realized volatility
    ``std(r_{t-w+1..t}, ddof=1) * sqrt(periods_per_year)`` over the trailing ``vol_window`` days
    **including** t (the log makes it closer to Gaussian). Every value at t uses data up to t.

    Why the vol columns are off by default: a trailing vol is smooth and lags a regime change by
    about ``vol_window / 2`` days, and its day-to-day persistence breaks the HMM's assumption of
    independent emissions given the state, so the fitted chain spends its states on vol *levels*
    instead of regimes. On the synthetic market (spells of 14-67 days) adding them lowered the
    point-in-time agreement with the planted path from about 0.8 to about 0.5. The same-day
    returns of several factors carry the volatility information without the lag: each day's
    emission density already measures how large the moves are in every state.

    Rows before every feature is defined (the first ``vol_window - 1`` days with vol columns,
    later-starting factors) are dropped. A NaN after that (interior gap) raises
    :class:`UserError`: fill or drop it first. A window of constant returns has no defined
    log-vol and raises too.

    Parameters
    ----------
    market_returns : Series of shape (n_dates,)
        Simple daily returns of the market (e.g. the equal-weighted universe).
    factor_returns : DataFrame of shape (n_dates, n_factors), optional
        Aligned on ``market_returns``' index (reindexed to it).
    vol_window : int, default 21
        Window of the realized vol columns (only with ``include_vol``).
    include_vol : bool, default False
    periods_per_year : int, default 252

    Returns
    -------
    DataFrame of shape (n_rows, (1 + n_factors) * (2 if include_vol else 1))
    """
    if isinstance(vol_window, bool) or not isinstance(vol_window, (int, np.integer)) \
            or vol_window < 2:
        raise UserError(f"vol_window must be an integer >= 2, got {vol_window!r}")
    if not isinstance(market_returns, pd.Series):
        raise UserError("market_returns must be a Series indexed by date")
    series: dict[str, pd.Series] = {"market": market_returns.astype(float)}
    if factor_returns is not None:
        for col in factor_returns.columns:
            key = str(col)
            if key == "market":
                key = "factor_market"
            series[key] = factor_returns[col].reindex(market_returns.index).astype(float)
    ann = math.sqrt(periods_per_year)
    columns: dict[str, pd.Series] = {}
    for key, r in series.items():
        columns[f"{key}_return"] = r
    if include_vol:
        for key, r in series.items():
            vol = r.rolling(vol_window, min_periods=vol_window).std(ddof=1) * ann
            columns[f"{key}_vol"] = np.log(vol.where(vol > 0))
    frame = pd.DataFrame(columns, index=market_returns.index)
    complete = frame.notna().all(axis=1).to_numpy()
    if not complete.any():
        raise UserError(
            "no date has all regime features (need returns for the market and every factor"
            f"{f' over {vol_window} days' if include_vol else ''}); use more history"
        )
    first = int(np.argmax(complete))
    frame = frame.iloc[first:]
    if frame.isna().any().any():
        col = frame.columns[frame.isna().any()][0]
        where = frame.index[frame[col].isna()][0]
        raise UserError(
            f"regime feature {col!r} is missing on {where} (a gap in the returns or a constant "
            f"vol window); fill or drop the gap first"
        )
    return frame


#: A "Crisis" must be at least this much more volatile than the calmest state ...
CRISIS_VOL_RATIO = 1.5
#: ... and last this many days on average (1 / (1 - persistence)); shorter states are transient.
MIN_SPELL_DAYS = 5.0


def regime_labels(means: np.ndarray, vols: np.ndarray,
                  durations: np.ndarray | None = None) -> tuple[str, ...]:
    """Labels of states already ordered by volatility (ascending), from their statistics.

    Volatility tag by position: 2 states ``Low-vol``, ``High-vol``; 3: ``Low-vol``,
    ``High-vol``, ``Extreme-vol``; k >= 4: ``Low-vol``, ``Mid-vol`` (``Mid-vol 1`` ..),
    ``High-vol``, ``Extreme-vol``. Each gets `` bull`` when its mean market return is > 0 and
    `` bear`` otherwise. The most volatile state of 3 or more is called ``Crisis`` only when it
    falls (mean < 0), is at least ``CRISIS_VOL_RATIO`` times as volatile as the calmest state and
    its spells last ``MIN_SPELL_DAYS`` days or more on average: a rising state is never a crisis.
    A state whose expected spell is shorter than ``MIN_SPELL_DAYS`` gets `` (transient)``.

    Parameters
    ----------
    means, vols : ndarray of shape (n_states,)
        Annualized mean return and volatility of the market return in each state.
    durations : ndarray of shape (n_states,), optional
        Expected spell length in days, ``1 / (1 - A_ii)``.
    """
    k = len(vols)
    if k < 2:
        raise UserError(f"need at least 2 regimes, got {k}")
    if k == 2:
        tags = ["Low-vol", "High-vol"]
    elif k == 3:
        tags = ["Low-vol", "High-vol", "Extreme-vol"]
    elif k == 4:
        tags = ["Low-vol", "Mid-vol", "High-vol", "Extreme-vol"]
    else:
        tags = ["Low-vol", *[f"Mid-vol {i}" for i in range(1, k - 2)], "High-vol", "Extreme-vol"]
    dur = np.full(k, np.inf) if durations is None else np.asarray(durations, dtype=float)
    labels = []
    for i, (tag, mu) in enumerate(zip(tags, means)):
        transient = dur[i] < MIN_SPELL_DAYS
        if (k >= 3 and i == k - 1 and mu < 0 and not transient
                and vols[i] >= CRISIS_VOL_RATIO * vols[0]):
            labels.append("Crisis")
            continue
        label = f"{tag} {'bull' if mu > 0 else 'bear'}"
        labels.append(f"{label} (transient)" if transient else label)
    return tuple(labels)


# ----------------------------------------------------------------------------- filtering
def forward_filter(log_emission: np.ndarray, startprob: np.ndarray,
                   transmat: np.ndarray) -> np.ndarray:
    """Forward-filtered state probabilities ``P(s_t | x_0..x_t)``.

    ``a_0 = pi * b_0``; ``a_t = b_t * (a_{t-1} A)``, each step normalized to sum to 1 (the scaled
    form of the log-space recursion ``log a_t = log b_t + logsumexp_i(log a_{t-1}(i) + log A_ij)``),
    so row t uses observations up to t only (unlike smoothed posteriors, which look ahead).

    Parameters
    ----------
    log_emission : ndarray of shape (n_obs, n_states)
        ``log p(x_t | s_t = j)``.
    startprob : ndarray of shape (n_states,)
    transmat : ndarray of shape (n_states, n_states)
        Rows sum to 1 (``A_ij = P(s_{t+1} = j | s_t = i)``).

    Returns
    -------
    ndarray of shape (n_obs, n_states), rows sum to 1
    """
    from hmmlearn import _hmmc

    log_b = np.asarray(log_emission, dtype=float)
    n, k = log_b.shape
    if n == 0:
        return np.empty((0, k))
    # the recursion in scaled form (hmmlearn's C kernel); the rows it returns are the normalized
    # forward variables, i.e. the filtered probabilities; the row maximum of the log densities
    # is taken out first so no row underflows
    frame = np.exp(log_b - log_b.max(axis=1, keepdims=True))
    _, fwd, _ = _hmmc.forward_scaling(np.asarray(startprob, dtype=float),
                                      np.asarray(transmat, dtype=float), frame)
    return np.asarray(fwd)


def _gaussian_logpdf(x: np.ndarray, means: np.ndarray, covars: np.ndarray) -> np.ndarray:
    """``log N(x_t; mu_j, Sigma_j)`` for every row and state, shape (n_obs, n_states)."""
    n, d = x.shape
    out = np.empty((n, len(means)))
    for j, (mu, cov) in enumerate(zip(means, covars)):
        chol = np.linalg.cholesky(cov)
        inv = solve_triangular(chol, np.eye(d), lower=True)  # L^-1: one product, not n solves
        sol = (x - mu) @ inv.T
        maha = np.einsum("ij,ij->i", sol, sol)
        logdet = 2.0 * np.log(np.diag(chol)).sum()
        out[:, j] = -0.5 * (d * math.log(2.0 * math.pi) + logdet + maha)
    return out


# ----------------------------------------------------------------------------- estimator
class RegimeHMM:
    """Gaussian HMM of market regimes, states ordered by volatility (ascending).

    ``fit`` standardizes the features with the training data's mean and std (kept in
    ``center_``/``scale_``), runs Baum-Welch EM (hmmlearn's ``GaussianHMM`` updates, see
    :mod:`._em`) ``n_restarts`` times with seeds drawn from ``random_state`` and keeps the highest
    log-likelihood. Restarts 0, 2, 4, ... start EM from volatility buckets (``energy_init``:
    restart 0 from equal-share buckets, the others from jittered ones), restarts 1, 3, ... from
    hmmlearn's k-means start. Given ``init`` (the previous refit), EM starts from it first and
    the restarts are spent only while they change the likelihood (see :meth:`fit`). It then
    reorders the states by the volatility of the ``market_return`` feature (the first column
    when absent) and labels them with :func:`regime_labels`. Sorting by volatility is the state
    alignment across refits: for scalar volatilities, sorted order is the assignment minimizing
    total ``|log vol_i - log vol_j|`` between two fits (the Hungarian solution for that cost).

    Parameters
    ----------
    n_regimes : int, default 3
    covariance_type : {"full", "diag"}, default "full"
    n_restarts : int, default 5
    n_iter : int, default 100
        EM iterations per restart.
    tol : float, default 1e-2
        EM convergence threshold on the log-likelihood gain (hmmlearn's default; on the
        thousands of rows of a regime fit it is a relative gain below 1e-6).
    periods_per_year : int, default 252
    random_state : int, Generator or None
    restart_tol : float, default 1.0
        With a warm start, a scratch restart that raises the best log-likelihood by this much
        or less ends the restarts of that fit.
    abandon_after, abandon_margin : int, float, default 15, 25.0
        With a warm start, a scratch restart whose log-likelihood after ``abandon_after`` EM
        iterations is more than ``abandon_margin`` below the best fit so far is stopped there
        (it would have to climb that far to matter; on SAMPLE's 29 refits this never cost a
        gain above 2 and halved the iterations the restarts spend). 0 disables it.

    Attributes
    ----------
    feature_names_ : tuple of str
    center_, scale_ : ndarray of shape (n_features,)
    startprob_ : ndarray of shape (n_regimes,)
    transmat_ : ndarray of shape (n_regimes, n_regimes)
    means_ : ndarray of shape (n_regimes, n_features)   (standardized units)
    covars_ : ndarray of shape (n_regimes, n_features, n_features)   (standardized units)
    state_mean_, state_vol_ : ndarray of shape (n_regimes,)
        Annualized mean and volatility of the market return per state (original units).
    labels_ : tuple of str
    log_likelihood_ : float
    converged_ : bool
    n_obs_ : int
    fit_end_ : label of the last training row
    n_restarts_run_ : int
        Scratch restarts spent (all of them without a warm start).
    restart_gain_ : float
        Best log-likelihood minus the warm start's (NaN without one): what the restarts bought.
    n_abandoned_ : int
        Scratch restarts stopped early (see ``abandon_after``).
    em_iterations_ : int
        EM iterations spent by the fit, over all its runs (a machine-independent cost).
    """

    def __init__(self, n_regimes: int = 3, covariance_type: CovarianceType = "full",
                 n_restarts: int = 5, n_iter: int = 100, tol: float = 1e-2,
                 periods_per_year: int = 252, random_state: SeedLike = None,
                 restart_tol: float = 1.0, abandon_after: int = 15,
                 abandon_margin: float = 25.0) -> None:
        self.n_regimes = n_regimes
        self.restart_tol = restart_tol
        self.abandon_after = abandon_after
        self.abandon_margin = abandon_margin
        self.covariance_type = covariance_type
        self.n_restarts = n_restarts
        self.n_iter = n_iter
        self.tol = tol
        self.periods_per_year = periods_per_year
        self.random_state = random_state

    # -- validation
    def _validate_params(self) -> str:
        if isinstance(self.n_regimes, bool) or not isinstance(self.n_regimes, (int, np.integer)) \
                or self.n_regimes < 2:
            raise UserError(f"regimes must be an integer >= 2, got {self.n_regimes!r}")
        cov = str(self.covariance_type).lower()
        if cov not in _COVARIANCE_TYPES:
            raise UserError(
                f"unknown covariance type {self.covariance_type!r}; valid: "
                f"{', '.join(_COVARIANCE_TYPES)}"
            )
        if self.n_restarts < 1:
            raise UserError(f"n_restarts must be >= 1, got {self.n_restarts}")
        if self.n_iter < 1:
            raise UserError(f"n_iter must be >= 1, got {self.n_iter}")
        return cov

    @staticmethod
    def _check_features(features: pd.DataFrame) -> np.ndarray:
        if not isinstance(features, pd.DataFrame) or features.shape[1] == 0:
            raise UserError("features must be a DataFrame (dates x features); see regime_features")
        x = features.to_numpy(dtype=float)
        if not np.isfinite(x).all():
            raise UserError("regime features contain NaN or inf; build them with regime_features")
        return x

    def fit(self, features: pd.DataFrame, init: RegimeHMM | None = None) -> RegimeHMM:
        """Fit on every row of ``features`` (DataFrame, shape (n_obs, n_features)); returns self.

        Without ``init``: ``n_restarts`` EM runs from scratch (see the class docstring), the best
        log-likelihood kept. With ``init`` (a model fitted on an earlier part of the same data,
        e.g. the previous refit): EM first runs from ``init``'s parameters (re-expressed on this
        fit's standardization), then the scratch restarts are spent only while they change the
        likelihood: restart i runs, and the next one only if restart i raised the best
        log-likelihood by more than ``restart_tol``. ``n_restarts_run_`` and
        ``restart_gain_`` (best minus warm-start log-likelihood) record what they bought.
        """
        from equity_factors.regime._em import (
            em_fit,
            energy_init,
            kmeans_init,
            restandardize,
        )

        cov = self._validate_params()
        x = self._check_features(features)
        k = int(self.n_regimes)
        n, d = x.shape
        n_params = (k - 1) + k * (k - 1) + k * d + k * (d * (d + 1) // 2 if cov == "full" else d)
        if n < max(2 * n_params, 30 * k):
            raise UserError(
                f"{n} days are too few to fit a {k}-regime HMM on {d} features (need at least "
                f"{max(2 * n_params, 30 * k)}); use more history or fewer regimes"
            )
        center = x.mean(axis=0)
        scale = x.std(axis=0, ddof=1)
        if (scale <= 1e-12 * np.maximum(1.0, np.abs(center))).any():
            bad = [str(c) for c, s, m in zip(features.columns, scale, center)
                   if s <= 1e-12 * max(1.0, abs(m))]
            raise UserError(
                f"regime feature(s) {', '.join(bad) or 'some'} are constant over the training "
                f"data; regimes need varying returns"
            )
        z = (x - center) / scale
        diag = cov == "diag"
        rng = check_random_state(self.random_state)
        best: Any = None
        best_score = -np.inf
        errors: list[str] = []
        warm_score = np.nan
        runs = abandoned = iterations = 0

        def run(start: Any, scratch: bool = False) -> float:
            nonlocal best, best_score, abandoned, iterations
            abandon = None
            if scratch and init is not None and int(self.abandon_after) > 0 \
                    and np.isfinite(best_score):
                abandon = (int(self.abandon_after), best_score - float(self.abandon_margin))
            try:
                params, score, converged, done = em_fit(z, start, int(self.n_iter),
                                                        float(self.tol), diag, abandon)
            except (ValueError, np.linalg.LinAlgError) as exc:  # degenerate start
                errors.append(str(exc))
                return -np.inf
            iterations += done
            if abandon is not None and score == -np.inf:
                abandoned += 1
            if np.isfinite(score) and score > best_score:
                best, best_score = (params, converged), score
            return score

        def search() -> None:
            nonlocal warm_score, runs
            if init is not None:
                init._check_fitted()
                if tuple(str(c) for c in features.columns) != init.feature_names_:
                    raise UserError("init was fitted on other features; fit without init")
                warm_score = run(restandardize(init._params(), init.center_, init.scale_,
                                               center, scale))
            for restart in range(int(self.n_restarts)):
                seed = int(rng.integers(0, 2**31 - 1))
                before = best_score
                if restart % 2 == 0:
                    start = energy_init(z, k, np.random.default_rng(seed), restart == 0, diag)
                else:
                    start = kmeans_init(z, k, seed, diag)
                run(start, scratch=True)
                runs += 1
                if init is not None and np.isfinite(before) \
                        and not best_score > before + float(self.restart_tol):
                    break  # this restart did not change the likelihood: stop spending them
        # tiny matrices (and k-means on a few thousand rows): threads only add contention
        with _one_thread():
            search()
        if best is None:
            reason = errors[0] if errors else "no finite fit"
            raise UserError(
                f"the HMM fit failed on every restart ({reason}); use fewer regimes or more history"
            )
        params, converged = best
        self._set_state(tuple(str(c) for c in features.columns), center, scale,
                        params.startprob, params.transmat, params.means, params.covars,
                        best_score, converged, n, features.index[-1])
        self.n_restarts_run_ = runs
        self.n_abandoned_ = abandoned
        self.em_iterations_ = iterations
        self.restart_gain_ = float(best_score - warm_score) if init is not None else np.nan
        if not self.converged_:
            warnings.warn(
                f"HMM EM did not converge in {self.n_iter} iterations; raise n_iter or use "
                f"fewer regimes",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _set_state(self, names: tuple[str, ...], center: np.ndarray, scale: np.ndarray,
                   startprob: np.ndarray, transmat: np.ndarray, means: np.ndarray,
                   covars: np.ndarray, score: float, converged: bool, n: int,
                   fit_end: Any, ordered: bool = False) -> None:
        """Set the fitted attributes from raw parameters (states reordered by volatility)."""
        j = names.index(RETURN_COLUMN) if RETURN_COLUMN in names else 0
        covars = np.asarray(covars, dtype=float)
        ppy = float(self.periods_per_year)
        vols = np.sqrt(covars[:, j, j]) * scale[j] * math.sqrt(ppy)
        means_ann = (np.asarray(means)[:, j] * scale[j] + center[j]) * ppy
        order = np.arange(len(vols)) if ordered else np.argsort(vols, kind="stable")
        self.feature_names_ = names
        self.center_ = np.asarray(center, dtype=float)
        self.scale_ = np.asarray(scale, dtype=float)
        self.startprob_ = np.asarray(startprob, dtype=float)[order]
        self.transmat_ = np.asarray(transmat, dtype=float)[np.ix_(order, order)]
        self.means_ = np.asarray(means, dtype=float)[order]
        self.covars_ = covars[order]
        self.state_mean_ = means_ann[order]
        self.state_vol_ = vols[order]
        with np.errstate(divide="ignore"):
            durations = 1.0 / (1.0 - np.diag(self.transmat_))
        self.labels_ = regime_labels(self.state_mean_, self.state_vol_, durations)
        self.log_likelihood_ = float(score)
        self.converged_ = bool(converged)
        self.n_obs_ = int(n)
        self.fit_end_ = fit_end

    def _params(self) -> Any:
        from equity_factors.regime._em import HMMParams

        return HMMParams(self.startprob_, self.transmat_, self.means_, self.covars_)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as numeric arrays (for a window cache); see :meth:`from_arrays`."""
        self._check_fitted()
        return {"center": self.center_, "scale": self.scale_, "startprob": self.startprob_,
                "transmat": self.transmat_, "means": self.means_, "covars": self.covars_,
                "score": np.array([self.log_likelihood_]),
                "converged": np.array([self.converged_]), "n_obs": np.array([self.n_obs_]),
                "n_restarts_run": np.array([getattr(self, "n_restarts_run_", 0)]),
                "restart_gain": np.array([getattr(self, "restart_gain_", np.nan)]),
                "em_iterations": np.array([getattr(self, "em_iterations_", 0)]),
                "n_abandoned": np.array([getattr(self, "n_abandoned_", 0)])}

    def from_arrays(self, arrays: dict[str, np.ndarray], names: tuple[str, ...],
                    fit_end: Any) -> RegimeHMM:
        """Restore a fitted state saved by :meth:`to_arrays` (bit for bit); returns self."""
        self._set_state(names, arrays["center"], arrays["scale"], arrays["startprob"],
                        arrays["transmat"], arrays["means"], arrays["covars"],
                        float(arrays["score"][0]), bool(arrays["converged"][0]),
                        int(arrays["n_obs"][0]), fit_end, ordered=True)
        self.n_restarts_run_ = int(arrays["n_restarts_run"][0])
        self.restart_gain_ = float(arrays["restart_gain"][0])
        self.em_iterations_ = int(arrays.get("em_iterations", [0])[0])
        self.n_abandoned_ = int(arrays.get("n_abandoned", [0])[0])
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "transmat_"):
            raise UserError("the regime model is not fitted; call fit() first")

    def log_emission(self, features: pd.DataFrame) -> np.ndarray:
        """``log p(x_t | s_t = j)`` in the fitted (standardized) units, shape (n_obs, n_regimes).

        The standardization's Jacobian is left out: it is the same for every state, so it
        cancels in the filtered probabilities.
        """
        self._check_fitted()
        if tuple(str(c) for c in features.columns) != self.feature_names_:
            raise UserError(
                f"features have columns {list(features.columns)}, the model was fitted on "
                f"{list(self.feature_names_)}"
            )
        x = self._check_features(features)
        return _gaussian_logpdf((x - self.center_) / self.scale_, self.means_, self.covars_)

    def filter(self, features: pd.DataFrame) -> pd.DataFrame:
        """Forward-filtered regime probabilities (see :func:`forward_filter`).

        Parameters
        ----------
        features : DataFrame of shape (n_obs, n_features)
            Filtering starts at its first row with ``startprob_``.

        Returns
        -------
        DataFrame of shape (n_obs, n_regimes), columns 0..n_regimes-1 (ascending volatility)
        """
        probs = forward_filter(self.log_emission(features), self.startprob_, self.transmat_)
        return pd.DataFrame(probs, index=features.index, columns=range(self.n_regimes))

    def summary(self) -> pd.DataFrame:
        """Per regime: label, annualized mean and vol, persistence and expected duration (days)."""
        self._check_fitted()
        stay = np.diag(self.transmat_)
        with np.errstate(divide="ignore"):
            duration = 1.0 / (1.0 - stay)
        return pd.DataFrame({
            "label": list(self.labels_),
            "ann_mean": self.state_mean_,
            "ann_vol": self.state_vol_,
            "persistence": stay,
            "expected_duration": duration,
        }, index=pd.RangeIndex(self.n_regimes, name="regime"))


# ----------------------------------------------------------------------------- point in time
@dataclass(frozen=True)
class RegimeFit:
    """One refit of the point-in-time schedule.

    ``train_end`` is the last training date; the model filters rows ``block_start`` to
    ``block_end`` (inclusive dates) of the output. ``n_restarts_run`` scratch restarts were
    spent and ``restart_gain`` is what they added to the warm start's log-likelihood (NaN for
    the first refit, which has no warm start).
    """

    train_end: Any
    block_start: Any
    block_end: Any
    n_train: int
    log_likelihood: float
    labels: tuple[str, ...]
    state_mean: tuple[float, ...]
    state_vol: tuple[float, ...]
    n_restarts_run: int = 0
    restart_gain: float = float("nan")
    converged: bool = True
    em_iterations: int = 0
    n_abandoned: int = 0


@dataclass(frozen=True)
class RegimeResult:
    """Point-in-time regime path.

    Attributes
    ----------
    probabilities : DataFrame of shape (n_dates, n_regimes)
        Forward-filtered ``P(regime | data up to t)``; columns 0..n_regimes-1 in ascending
        volatility; NaN before the first refit (``min_train`` rows).
    regimes : Series of shape (n_dates,), Int64
        Most probable regime (missing before the first refit).
    labels : Series of shape (n_dates,)
        Label of that regime in the model that produced the day.
    model : RegimeHMM
        The latest model (fitted on data up to the last refit date).
    fits : tuple of RegimeFit
    """

    probabilities: pd.DataFrame
    regimes: pd.Series
    labels: pd.Series
    model: RegimeHMM
    fits: tuple[RegimeFit, ...]

    @property
    def current_probabilities(self) -> pd.Series:
        """Filtered probabilities on the last date, shape (n_regimes,)."""
        return self.probabilities.iloc[-1]

    @property
    def current_regime(self) -> int:
        """Most probable regime on the last date."""
        return int(self.regimes.iloc[-1])

    @property
    def current_label(self) -> str:
        """Label of the current regime."""
        return str(self.labels.iloc[-1])

    def predict(self, horizon: int) -> pd.DataFrame:
        """Regime probabilities 1..``horizon`` days ahead (:func:`predict_regime_probabilities`)."""
        return predict_regime_probabilities(self.current_probabilities.to_numpy(),
                                            self.model.transmat_, horizon)

    def summary(self) -> pd.DataFrame:
        """The latest model's regimes plus the share of days spent in each and the mean length
        of its spells on the point-in-time path (``mean_spell_days``; NaN if never visited)."""
        table = self.model.summary()
        counts = self.regimes.value_counts(normalize=True)
        table["share_of_days"] = [float(counts.get(i, 0.0)) for i in table.index]
        spells = spell_lengths(self.regimes)
        table["mean_spell_days"] = [float(np.mean(spells[i])) if spells.get(i) else np.nan
                                    for i in table.index]
        return table


def detect_regimes(features: pd.DataFrame, n_regimes: int = 3, refit_every: int = 252,
                   min_train: int = 504, n_restarts: int = 5, random_state: SeedLike = None,
                   *, covariance_type: CovarianceType = "full", n_iter: int = 100,
                   tol: float = 1e-2, warm_start: bool = True, restart_tol: float = 1.0,
                   abandon_after: int = 15, abandon_margin: float = 25.0,
                   window_cache: WindowCache | None = None,
                   callback: Callable[[int, int], None] | None = None) -> RegimeResult:
    """Point-in-time regime path with an expanding-window refit schedule.

    Refits happen at rows ``min_train, min_train + refit_every, ...`` (anchored at the first
    row, so appending data never moves them). The model refitted at row p is trained on rows
    ``0..p-1`` only and forward-filters from row 0; its probabilities are reported for rows
    ``p .. p + refit_every - 1``. Hence the regime reported for day t uses data up to t and
    never changes when data after t changes. Rows before ``min_train`` have no regime.

    Each refit's restarts are seeded from ``derive_seed(base, "regime", p)``, where ``base`` is
    ``random_state`` itself for an int (else one draw from it), so a refit does not depend on
    how many refits came before it. With ``warm_start`` (default) each refit after the first
    starts EM from the previous refit's model and spends its restarts only while they change the
    likelihood (:meth:`RegimeHMM.fit`); the previous model was trained on earlier rows, so this
    stays point in time.

    With ``window_cache`` each refit's model is looked up under a key made of the parameters,
    the refit's position in the schedule and a digest of the training rows ``0..p-1`` (chained
    from the previous refit's, as the warm start is): one more day of data reuses every refit,
    and a changed row refits exactly the models trained on it. A cached model is restored bit
    for bit, so the path is identical to a cold run.

    Parameters
    ----------
    features : DataFrame of shape (n_dates, n_features)
        From :func:`regime_features`.
    n_regimes : int, default 3
    refit_every : int, default 252
    min_train : int, default 504
    n_restarts : int, default 5
    random_state : int, Generator or None
    covariance_type : {"full", "diag"}, default "full"
    n_iter, tol : EM settings per restart
    warm_start : bool, default True
    restart_tol, abandon_after, abandon_margin : float, int, float
        See :class:`RegimeHMM`.
    window_cache : WindowCache, optional
    callback : callable(i, n), optional
        Called after each refit with the number of refits done and their total (for progress
        bars; it should do nothing to the data).

    Returns
    -------
    RegimeResult
    """
    if isinstance(n_regimes, bool) or not isinstance(n_regimes, (int, np.integer)) \
            or n_regimes < 2:
        raise UserError(f"regimes must be an integer >= 2, got {n_regimes!r}")
    if refit_every < 1:
        raise UserError(f"refit_every must be >= 1 day, got {refit_every}")
    if min_train < 2:
        raise UserError(f"min_train must be >= 2 days, got {min_train}")
    RegimeHMM._check_features(features)
    n = len(features)
    if n <= min_train:
        raise UserError(
            f"{n} days of regime features, but the first fit needs {min_train} training days and "
            f"at least one more to label; use more history or a smaller min_train"
        )
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        base = int(random_state)
    else:
        base = int(check_random_state(random_state).integers(0, 2**31 - 1))
    probs = np.full((n, n_regimes), np.nan)
    labels = np.full(n, None, dtype=object)
    fits: list[RegimeFit] = []
    model: RegimeHMM | None = None
    refits = range(min_train, n, refit_every)
    values = features.to_numpy(dtype=float)
    stamps = features.index.asi8 if isinstance(features.index, pd.DatetimeIndex) \
        else np.asarray(features.index)
    names = tuple(str(c) for c in features.columns)
    params = {"n_regimes": int(n_regimes), "covariance_type": str(covariance_type),
              "n_restarts": int(n_restarts), "n_iter": int(n_iter), "tol": float(tol),
              "warm_start": bool(warm_start), "restart_tol": float(restart_tol),
              "abandon_after": int(abandon_after), "abandon_margin": float(abandon_margin),
              "base_seed": base, "version": __version__}
    data_digest, prev_key, last_row = "", "", 0
    # tiny matrices throughout (the filters too): BLAS threads only add contention
    with _one_thread():
        for done, p in enumerate(refits, start=1):
            end = min(p + refit_every, n)
            model_p = RegimeHMM(n_regimes=n_regimes, covariance_type=covariance_type,
                                n_restarts=n_restarts, n_iter=n_iter, tol=tol,
                                random_state=derive_seed(base, "regime", p),
                                restart_tol=restart_tol, abandon_after=abandon_after,
                                abandon_margin=abandon_margin)
            key = None
            hit = None
            if window_cache is not None:
                data_digest = digest_chain(data_digest, digest_block(
                    values[last_row:p], stamps[last_row:p], names))
                last_row = p
                key = window_key("regime", {**params, "row": p, "previous": prev_key}, data_digest)
                prev_key = key
                hit = window_cache.get(key)
            if hit is not None:
                model_p.from_arrays(hit, names, features.index[p - 1])
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)  # counted, told once below
                    model_p.fit(features.iloc[:p], init=model if warm_start else None)
                if window_cache is not None and key is not None:
                    window_cache.put(key, model_p.to_arrays())
            model = model_p
            block = None
            if window_cache is not None:  # the filtered block: this model and rows p..end-1
                block_key = window_key("filter", {"model": key}, digest_block(
                    values[p:end], stamps[p:end], names))
                cached_block = window_cache.get(block_key)
                block = cached_block["probabilities"] if cached_block is not None else None
            if block is None:
                block = model.filter(features.iloc[:end]).to_numpy()[p:end]
                if window_cache is not None:
                    window_cache.put(block_key, {"probabilities": np.ascontiguousarray(block)})
            probs[p:end] = block
            labels[p:end] = np.asarray(model.labels_, dtype=object)[block.argmax(axis=1)]
            fits.append(RegimeFit(
                train_end=features.index[p - 1], block_start=features.index[p],
                block_end=features.index[end - 1], n_train=p,
                log_likelihood=float(model.log_likelihood_), labels=model.labels_,
                state_mean=tuple(map(float, model.state_mean_)),
                state_vol=tuple(map(float, model.state_vol_)),
                n_restarts_run=int(model.n_restarts_run_), restart_gain=float(model.restart_gain_),
                converged=bool(model.converged_), em_iterations=int(model.em_iterations_),
                n_abandoned=int(model.n_abandoned_),
            ))
            if callback is not None:
                callback(done, len(refits))
    assert model is not None
    unconverged = sum(1 for f in fits if not f.converged)
    if unconverged:
        warnings.warn(f"HMM EM did not converge in {n_iter} iterations in {unconverged} of "
                      f"{len(fits)} refits (the results use what they reached); raise n_iter "
                      "or use fewer regimes", ConvergenceWarning, stacklevel=2)
    prob_frame = pd.DataFrame(probs, index=features.index, columns=range(n_regimes))
    valid = ~np.isnan(probs).any(axis=1)
    ids = np.nan_to_num(probs, nan=-1.0).argmax(axis=1)
    regimes = pd.Series(pd.array([int(i) if ok else pd.NA for i, ok in zip(ids, valid)],
                                 dtype="Int64"), index=features.index, name="regime")
    label_series = pd.Series(labels, index=features.index, name="label", dtype=object)
    return RegimeResult(probabilities=prob_frame, regimes=regimes, labels=label_series,
                        model=model, fits=tuple(fits))


def spell_lengths(regimes: pd.Series) -> dict[int, list[int]]:
    """Lengths (days) of the runs of each regime in a path (missing days end a run)."""
    out: dict[int, list[int]] = {}
    prev, run = None, 0
    for value in list(regimes.astype("object")) + [None]:
        value = None if value is None or pd.isna(value) else int(value)
        if value == prev and value is not None:
            run += 1
            continue
        if prev is not None:
            out.setdefault(prev, []).append(run)
        prev, run = value, 1
    return out


# ----------------------------------------------------------------------------- uses of regimes
def predict_regime_probabilities(probabilities: Any, transmat: Any, horizon: int) -> pd.DataFrame:
    """Regime probabilities h = 1..``horizon`` days ahead: ``p_{t+h} = p_t A^h``.

    Parameters
    ----------
    probabilities : array-like of shape (n_regimes,)
        Current (filtered) probabilities.
    transmat : array-like of shape (n_regimes, n_regimes)
    horizon : int, >= 1

    Returns
    -------
    DataFrame of shape (horizon, n_regimes), index ``h`` = 1..horizon; rows sum to 1
    """
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise UserError(f"predict horizon must be an integer >= 1 day, got {horizon!r}")
    p = np.asarray(probabilities, dtype=float)
    a = np.asarray(transmat, dtype=float)
    if a.shape != (len(p), len(p)):
        raise UserError(f"transition matrix shape {a.shape} does not match {len(p)} regimes")
    rows = []
    cur = p / p.sum()
    for _ in range(int(horizon)):
        cur = cur @ a
        cur = cur / cur.sum()  # guard against rounding drift
        rows.append(cur)
    return pd.DataFrame(rows, index=pd.RangeIndex(1, horizon + 1, name="h"),
                        columns=range(len(p)))


@dataclass(frozen=True)
class RegimeFactorStats:
    """Factor performance per regime.

    Attributes
    ----------
    ann_return : DataFrame of shape (n_regimes, n_factors)
        Geometric annualized return ``prod(1 + r)^(ppy/n) - 1`` over the days of the regime.
    sharpe : DataFrame of shape (n_regimes, n_factors)
        ``mean / std(ddof=1) * sqrt(ppy)``, risk-free 0; NaN with fewer than 2 days.
    n_days : Series of shape (n_regimes,)
    lag : int
    """

    ann_return: pd.DataFrame
    sharpe: pd.DataFrame
    n_days: pd.Series
    lag: int

    def summary(self) -> pd.DataFrame:
        """Long table: regime, factor, ann_return, sharpe, n_days."""
        long = pd.DataFrame({
            "ann_return": self.ann_return.stack(),
            "sharpe": self.sharpe.stack(),
        })
        long.index.names = ["regime", "factor"]
        long["n_days"] = [int(self.n_days[r]) for r in long.index.get_level_values(0)]
        return long


def regime_factor_stats(factor_returns: pd.DataFrame, regimes: pd.Series,
                        n_regimes: int | None = None, lag: int = 1,
                        periods_per_year: int = 252) -> RegimeFactorStats:
    """Each factor's annualized return and Sharpe ratio within each regime.

    With ``lag=1`` (default) the return of day t is attributed to the regime known at the close of
    t-1 (the one a trader could act on); ``lag=0`` groups by the same day's regime (descriptive).
    ``regimes`` is aligned on ``factor_returns``' index; days without a regime or with NaN
    returns are left out (per factor).

    Parameters
    ----------
    factor_returns : DataFrame of shape (n_dates, n_factors)
    regimes : Series of shape (n_dates,)
        Integer regime ids (e.g. ``RegimeResult.regimes``), missing allowed.
    n_regimes : int, optional
        Number of regimes (default: max id + 1), so absent regimes still get a row.
    lag : int, default 1
    periods_per_year : int, default 252

    Returns
    -------
    RegimeFactorStats
    """
    if lag < 0:
        raise UserError(f"lag must be >= 0, got {lag}")
    reg = regimes.reindex(factor_returns.index).astype("Float64").shift(lag)
    ids = reg.to_numpy(dtype=float, na_value=np.nan)
    k = int(n_regimes) if n_regimes is not None else int(np.nanmax(ids)) + 1 if np.isfinite(
        ids).any() else 0
    if k < 1:
        raise UserError("no day has a regime; run detect_regimes on a longer history")
    ann = pd.DataFrame(np.nan, index=pd.RangeIndex(k, name="regime"),
                       columns=factor_returns.columns)
    sharpe = ann.copy()
    n_days = pd.Series(0, index=ann.index, name="n_days")
    r_all = factor_returns.astype(float)
    for i in range(k):
        mask = ids == i
        n_days[i] = int(mask.sum())
        block = r_all[mask]
        for f in factor_returns.columns:
            r = block[f].dropna().to_numpy()
            if len(r) == 0:
                continue
            growth = np.prod(1.0 + r)
            ann.loc[i, f] = growth ** (periods_per_year / len(r)) - 1.0 if growth > 0 else -1.0
            if len(r) >= 2:
                sd = r.std(ddof=1)
                sharpe.loc[i, f] = r.mean() / sd * math.sqrt(periods_per_year) if sd > 0 else np.nan
    return RegimeFactorStats(ann_return=ann, sharpe=sharpe, n_days=n_days, lag=lag)


def regime_allocation(stats: RegimeFactorStats, min_days: int = 21) -> pd.DataFrame:
    """Regime-conditional factor weights learned from the in-regime Sharpe ratios.

    Within each regime, weight ``w_f = max(SR_f, 0) / sum_g max(SR_g, 0)`` (long-only, sums to 1);
    a regime where no factor has a positive Sharpe, or with fewer than ``min_days`` days, gets all
    zeros (stay in cash).

    Parameters
    ----------
    stats : RegimeFactorStats
    min_days : int, default 21

    Returns
    -------
    DataFrame of shape (n_regimes, n_factors), rows sum to 1 or 0
    """
    pos = stats.sharpe.clip(lower=0).fillna(0.0)
    enough = stats.n_days >= min_days
    pos = pos.mul(enough.astype(float), axis=0)
    total = pos.sum(axis=1)
    weights = pos.div(total.where(total > 0), axis=0).fillna(0.0)
    return weights
