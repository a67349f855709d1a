"""Factor models over time: in-sample and rolling out-of-sample fits, tracked factor identity."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from equity_factors import __version__
from equity_factors.errors import ConvergenceWarning, ParameterError, UserError
from equity_factors.factors._base import (
    check_n_factors,
    factor_labels,
    normalize_method,
    orient_columns,
    sklearn_seed,
    standardize,
    validate_returns,
)
from equity_factors.factors.portfolios import cosine_matrix, match_factors, unit_gross
from equity_factors.types import MODES, FactorMethod, FitMode
from equity_factors.window_cache import Arrays, RangeHasher, WindowCache, get_many, window_key

if TYPE_CHECKING:
    from equity_factors.factors.fundamental import FundamentalFactors

Mode = FitMode


@dataclass(frozen=True, eq=False)
class FactorModelResult:
    """A fitted factor model: factor returns, loadings, portfolio weights and fit diagnostics.

    Attributes
    ----------
    method : str
        Canonical method name (see ``FACTOR_METHODS``).
    n_factors : int
        Number of factors reported.
    mode : {"rolling", "in-sample"}
    lookback, refit : int or None
        Fit window and refit interval in trading days (None in in-sample mode).
    min_coverage : float
    factor_returns : DataFrame of shape (n_dates, n_factors)
        Daily returns of the factor-mimicking portfolios (plain returns, unit gross). Rolling:
        from the first out-of-sample day (``lookback`` days in); in-sample: every date. For
        ``fundamental``: from the second date on, the returns of the regression portfolios
        scaled to unit gross (the raw coefficients are in ``coefficients``).
    loadings : DataFrame of shape (n_assets, n_factors)
        Loadings of the latest fit (assets in that fit), matched and sign-aligned.
    weights : DataFrame of shape (n_assets, n_factors)
        Portfolio weights of the latest fit (each column sums to 1 in absolute value; for
        ``fundamental`` the unit-gross regression portfolios for the day after the data).
    weights_history : DataFrame, long
        Columns ``fit_date`` (first day the weights are applied), ``symbol``, ``factor``,
        ``weight``; one row per held stock per factor per fit.
    explained_variance_ratio : Series of shape (n_factors,)
        Latest fit; NaN where the method does not define it.
    stability : DataFrame of shape (n_fits, n_factors)
        Index ``fit_date``; |cosine| of each factor's weights with its match in the previous
        fit over the stocks both hold (NaN for the first fit).
    fits : DataFrame of shape (n_fits, ...)
        One row per fit: fit_start, fit_end, apply_start, apply_end, n_assets, n_dropped,
        n_dropped_coverage (too few returns in the window), n_dropped_constant (zero
        variance), converged, n_iter.
    warnings : tuple of str
        Convergence and other warnings raised while fitting (also emitted as warnings).
    params : dict
        Method hyperparameters as given.
    random_state : int or None
        The seed every fit used.
    coefficients : DataFrame of shape (n_dates, n_factors) or None
        ``fundamental`` only: the raw cross-sectional regression coefficients (the factor
        portfolios before scaling to unit gross); None for the other methods.
    """

    method: str
    n_factors: int
    mode: str
    lookback: int | None
    refit: int | None
    min_coverage: float
    factor_returns: pd.DataFrame
    loadings: pd.DataFrame
    weights: pd.DataFrame
    weights_history: pd.DataFrame
    explained_variance_ratio: pd.Series
    stability: pd.DataFrame
    fits: pd.DataFrame
    warnings: tuple[str, ...] = ()
    params: Mapping[str, object] = field(default_factory=dict)
    random_state: int | None = None
    coefficients: pd.DataFrame | None = None

    @property
    def factor_names(self) -> list[str]:
        """Factor column names (``F1..Fk``, or the style names for ``fundamental``)."""
        return [str(c) for c in self.factor_returns.columns]

    def weights_at(self, date: object) -> pd.DataFrame:
        """Weights in force on ``date`` (assets x factors): those of the latest fit_date <= date.

        Raises UserError when ``date`` is before the first fit's apply date.
        """
        ts = pd.Timestamp(date)
        dates = self.fits["apply_start"]
        eligible = dates[dates <= ts]
        if eligible.empty:
            raise UserError(f"no factor weights in force on {ts:%Y-%m-%d}; the first fit applies "
                            f"from {dates.iloc[0]:%Y-%m-%d}")
        fit_date = eligible.iloc[-1]
        part = self.weights_history[self.weights_history["fit_date"] == fit_date]
        wide = part.pivot(index="symbol", columns="factor", values="weight")
        wide = wide.reindex(columns=self.factor_names).fillna(0.0)
        wide.index = pd.Index(np.asarray(wide.index.astype("object")), name="symbol").astype(
            self.weights.index.dtype)
        wide.columns = pd.Index(self.factor_names, name="factor")
        return wide

    def summary(self, n_holdings: int = 5) -> pd.DataFrame:
        """One row per factor: explained variance, stability, holdings of the latest weights.

        Columns: explained_variance_ratio, mean_stability, min_stability, n_long, n_short,
        gross, top (the ``n_holdings`` largest weights, "SYM:weight" joined by ", "), bottom.
        Performance measures (return, volatility, Sharpe) belong to ``equity_factors.metrics``.
        """
        rows = []
        for name in self.factor_names:
            w = self.weights[name].dropna().sort_values(ascending=False)
            stab = self.stability[name] if name in self.stability else pd.Series(dtype=float)

            def fmt(part: pd.Series) -> str:
                return ", ".join(f"{s}:{v:+.4f}" for s, v in part.items())

            rows.append({
                "factor": name,
                "explained_variance_ratio": float(self.explained_variance_ratio.get(name, np.nan)),
                "mean_stability": float(stab.mean()) if stab.notna().any() else np.nan,
                "min_stability": float(stab.min()) if stab.notna().any() else np.nan,
                "n_long": int((w > 0).sum()),
                "n_short": int((w < 0).sum()),
                "gross": float(w.abs().sum()),
                "top": fmt(w.head(n_holdings)),
                "bottom": fmt(w.tail(n_holdings).iloc[::-1]),
            })
        return pd.DataFrame(rows).set_index("factor")


# --------------------------------------------------------------------------- helpers
def _normalize_mode(mode: object) -> str:
    name = str(mode).strip().lower().replace("_", "-") if isinstance(mode, str) else ""
    if name in ("insample", "in-sample"):
        return "in-sample"
    if name == "rolling":
        return "rolling"
    raise UserError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")


def _positive_int(value: object, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, not {value!r}", name,
                             scope="factors")
    return int(value)


def _history_frame(records: list[tuple[pd.Timestamp, np.ndarray, np.ndarray]],
                   symbols: pd.Index, names: list[str]) -> pd.DataFrame:
    """Long (fit_date, symbol, factor, weight) frame built with categorical codes (fast)."""
    k = len(names)
    if not records:
        return pd.DataFrame({"fit_date": pd.DatetimeIndex([]),
                             "symbol": pd.Categorical([], categories=list(symbols)),
                             "factor": pd.Categorical([], categories=names),
                             "weight": np.array([], dtype=np.float64)})
    dates = np.concatenate([np.full(idx.size * k, np.datetime64(d, "ns")) for d, idx, _ in records])
    sym_codes = np.concatenate([np.repeat(idx, k) for _, idx, _ in records])
    fac_codes = np.concatenate([np.tile(np.arange(k), idx.size) for _, idx, _ in records])
    weight = np.concatenate([w.ravel() for _, _, w in records])
    return pd.DataFrame({
        "fit_date": pd.DatetimeIndex(dates),
        "symbol": pd.Categorical.from_codes(sym_codes, categories=pd.Index(symbols.astype(str))),
        "factor": pd.Categorical.from_codes(fac_codes, categories=names),
        "weight": weight,
    })


class _OnFirstFit:
    """An estimator built when it first fits a window: reading every window from the cache
    needs no estimator, so it never imports scikit-learn (1.6 s with the SciPy it pulls in)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build: Callable[[], Any] = build
        self._estimator: Any = None

    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> Any:
        if self._estimator is None:
            self._estimator = self._build()
        return self._estimator._fit_standardized(z, seed)


_WindowFit = tuple[np.ndarray, np.ndarray, np.ndarray, bool, int, int, str]


def _window_fit(win: np.ndarray, where_: tuple, present: np.ndarray,
                covered: np.ndarray, estimator: object, name: str, k: int, seed: int | None,
                min_coverage: float, key: str | None, hit: Mapping[str, np.ndarray] | None,
                window_cache: WindowCache | None) -> _WindowFit:
    """One window's fit: (idx, loadings, evr, converged, n_iter (-1: none), n_dropped_constant,
    convergence message), from ``hit`` (the cache's entry under ``key``) when there is one.

    ``where_`` is (dates, a, b): the window is rows [a, b) (numpy slices only: pandas
    indexing per window costs more than a cached fit).
    """
    dates, a, b = where_
    if hit is not None:
        held = np.flatnonzero(present)
        return (held[hit["idx"]], hit["loadings"], hit["ratio"], bool(hit["converged"][0]),
                int(hit["n_iter"][0]), int(hit["n_constant"][0]),
                bytes(hit["message"]).decode())
    cand = np.flatnonzero(covered)
    z, keep = standardize(win[:, cand])
    idx = cand[keep]
    where = (f"the fit window {dates[a]:%Y-%m-%d}..{dates[b - 1]:%Y-%m-%d} (stocks need "
             f"returns on {min_coverage:.0%} of its {len(win)} days)")
    check_n_factors(k, idx.size, len(win), method=name, where=where)
    message = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        raw = estimator._fit_standardized(z, seed)  # type: ignore[attr-defined]
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            message = str(w.message)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    # C order: reductions over a layout-dependent order would differ from a cached copy's
    b_mat = np.ascontiguousarray(raw.loadings, dtype=np.float64)
    ratio = (np.full(k, np.nan) if raw.explained_variance_ratio is None
             else np.ascontiguousarray(raw.explained_variance_ratio, dtype=np.float64))
    n_iter = int(raw.n_iter) if raw.n_iter is not None else -1
    n_constant = int((~keep).sum())
    if window_cache is not None and key is not None:
        held = np.flatnonzero(present)
        window_cache.put(key, {
            "idx": np.searchsorted(held, idx).astype(np.int64), "loadings": b_mat,
            "ratio": ratio, "converged": np.array([bool(raw.converged)]),
            "n_iter": np.array([n_iter], dtype=np.int64),
            "n_constant": np.array([n_constant], dtype=np.int64),
            "message": np.frombuffer(message.encode(), dtype=np.uint8)})
    return idx, b_mat, ratio, bool(raw.converged), n_iter, n_constant, message


# --------------------------------------------------------------------------- entry point
def fit_factor_model(returns: pd.DataFrame, method: FactorMethod, n_factors: int | None,
                     mode: Mode = "rolling", lookback: int = 252, refit: int = 21,
                     min_coverage: float = 0.9, random_state: object = None,
                     characteristics: Mapping[str, pd.DataFrame] | None = None,
                     sectors: pd.Series | None = None,
                     callback: Callable[[int, int], None] | None = None,
                     window_cache: WindowCache | None = None,
                     **method_params: object) -> FactorModelResult:
    """Fit a factor model and compute its factor-mimicking portfolio returns.

    Statistical methods (pca, ica, nmf, sparse_pca, factor, autoencoder): each fit window's
    returns are standardized per stock (z-score over the window; a stock enters the fit only
    if it has returns on at least ``min_coverage`` of the window's days; its remaining missing
    days are set to 0 after standardizing; zero-variance stocks are dropped), the estimator
    gives loadings B, and factor k's portfolio is w_k = B[:, k] / sum_i |B[i, k]|. Its return
    on day t is sum_i w_k,i r_i(t) on the plain returns; a held stock without a return on t
    earns 0 that day.

    - ``mode="in-sample"``: one fit on the whole period, applied to the same period. It
      describes the period; it looks ahead and must not feed backtests.
    - ``mode="rolling"``: refit every ``refit`` days on the trailing ``lookback`` days;
      weights fitted on returns strictly before tau are applied on [tau, tau + refit).
      Factor identity is kept across refits (assignment on |cosine| of weights over the stocks
      both fits hold, signs flipped to agree); the first fit's factors are oriented so their
      weights sum to a positive number.

    ``fundamental`` is point-in-time by construction (each day's regression uses
    characteristics known the day before), so both modes give the same factor returns;
    ``refit`` only sets how often its weights are recorded in ``weights_history``.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_symbols)
        Plain daily simple returns, NaN where a stock is not listed or has no price.
    method : str
        One of ``FACTOR_METHODS``, case-insensitive.
    n_factors : int or None
        k (None only for fundamental: every characteristic).
    mode : {"rolling", "in-sample"}
    lookback, refit : int
        Trading days of each fit window and between refits (rolling mode).
    min_coverage : float in (0, 1]
    random_state : int, Generator or None
        Resolved once to an int; every fit uses that seed, so a fit depends only on its window.
    characteristics, sectors :
        For ``fundamental`` only (see :class:`FundamentalFactors`); default: momentum, low
        volatility and beta computed from ``returns`` (``technical_characteristics``), no
        sectors (an intercept instead).
    callback : callable(i, n), optional
        Called after each fit window with the number of windows done and their total (one
        window in-sample; ``fundamental`` reports its regressions as one step), for progress
        bars; it should do nothing to the data.
    window_cache : WindowCache, optional
        Where each window's fit is looked up and stored (statistical methods): the key is the
        method's parameters and a digest of the window's returns (the stocks with any return in
        it, their labels and dates), so a window whose data did not change is never refitted and
        gives bit-identical results, and a changed return invalidates exactly the windows that
        contain it. ``fundamental`` does not use it.
    **method_params
        Hyperparameters of the method's estimator (e.g. ``max_iter``).

    Returns
    -------
    FactorModelResult
    """
    name = normalize_method(method)
    mode_name = _normalize_mode(mode)
    frame = validate_returns(returns)
    lookback = _positive_int(lookback, "lookback", 2)
    refit = _positive_int(refit, "refit", 1)
    if isinstance(min_coverage, bool) or not isinstance(min_coverage, (int, float)) \
            or not 0 < float(min_coverage) <= 1:
        raise ParameterError(f"min_coverage must be a number in (0, 1], not {min_coverage!r}",
                             "min_coverage", scope="factors")
    seed = sklearn_seed(random_state)

    def build() -> Any:
        from equity_factors.factors.estimators import make_estimator  # imports scikit-learn

        return make_estimator(name, n_factors, random_state=seed, **method_params)

    # with a window cache, built by the first window it does not hold (none: no scikit-learn)
    estimator: Any = build() if name == "fundamental" or window_cache is None \
        else _OnFirstFit(build)
    if name == "fundamental":
        result = _fit_fundamental(frame, estimator, mode_name, lookback, refit,
                                  float(min_coverage), seed, characteristics, sectors,
                                  dict(method_params))
        if callback is not None:
            callback(1, 1)
        return result
    if characteristics is not None or sectors is not None:
        raise ParameterError(f"characteristics and sectors are used by the fundamental method "
                             f"only, not {name}; drop them or use method fundamental",
                             "method", scope="factors")
    n_factors = _positive_int(n_factors, "n_factors", 1)

    values = frame.to_numpy()
    dates = frame.index
    n_dates = len(dates)
    if mode_name == "rolling":
        if n_dates <= lookback:
            raise ParameterError(f"rolling mode needs more than lookback={lookback} trading days "
                                 f"of returns, got {n_dates}; lower lookback or use a longer "
                                 "period",
                                 "lookback", scope="factors")
        windows = [(p - lookback, p, p, min(p + refit, n_dates))
                   for p in range(lookback, n_dates, refit)]
    else:
        windows = [(0, n_dates, 0, n_dates)]

    k = n_factors
    names = factor_labels(k)
    key_params = {"method": name, "n_factors": k, "min_coverage": float(min_coverage),
                  "seed": seed, "params": sorted((str(a), repr(b)) for a, b in
                                                 method_params.items()),
                  "version": __version__}
    out = np.full((n_dates, k), np.nan)
    records: list[tuple[object, np.ndarray, np.ndarray]] = []
    fit_rows: list[tuple[int, int, int, int, bool, int]] = []  # the fits table, built at the end
    stab_rows: list[np.ndarray] = []
    messages: list[str] = []
    zero_factor_fits = 0
    prev_idx: np.ndarray | None = None
    prev_w: np.ndarray | None = None
    loadings = evr = None
    pos = np.full(values.shape[1], -1, dtype=np.int64)  # scratch: symbol -> row in prev fit
    date_ns = dates.asi8 if isinstance(dates, pd.DatetimeIndex) \
        else pd.util.hash_array(np.asarray(dates)).view(np.int64)
    labels = np.asarray(frame.columns.astype(str), dtype=object)
    date_values = dates.to_numpy()  # unboxed: a Timestamp per window costs more than its fit

    # Each window's linear algebra is small (a T x T eigenproblem): BLAS threads only add
    # synchronization and, on a busy machine, spin-waiting (a 7 s rolling PCA took 60 s).
    observed = ~np.isnan(values)  # one pass, not one per window
    counts = [observed[a:b].sum(axis=0) for a, b, _, _ in windows]
    del observed
    keys: list[str | None] = [None] * len(windows)
    hits: dict[str, Arrays] = {}
    if window_cache is not None:
        # every window's key first (one pass over the data), then one batched lookup
        hasher = RangeHasher(values, date_ns, [x for a, b, _, _ in windows for x in (a, b)])
        for j, ((a, b, _, _), count) in enumerate(zip(windows, counts)):
            held = np.flatnonzero(count > 0)
            keys[j] = window_key("factors", key_params, hasher.digest(a, b, held, labels[held]))
        del hasher
        hits = get_many(window_cache, [key for key in keys if key is not None])
    with threadpool_limits(limits=1, user_api="blas"):
        for done, (a, b, c, d) in enumerate(windows, start=1):
            win = values[a:b]
            count = counts[done - 1]
            present = count > 0
            covered = count >= min_coverage * (b - a) - 1e-9
            key = keys[done - 1]
            fitted = _window_fit(win, (dates, a, b), present, covered, estimator, name, k,
                                 seed, min_coverage, key, hits.pop(key, None) if key else None,
                                 window_cache)
            idx, b_mat, ratio, converged, n_iter, n_constant, message = fitted
            if message:
                messages.append(message)
            weights = unit_gross(b_mat)
            zero_factor_fits += int((np.abs(weights).sum(axis=0) == 0).any())
            common = np.array([], dtype=np.int64)
            if prev_idx is not None:
                pos[prev_idx] = np.arange(prev_idx.size)
                common = idx[pos[idx] >= 0]
            if common.size == 0:  # first fit, or nothing in common: deterministic signs
                order, signs, stab = np.arange(k), orient_columns(weights), np.full(k, np.nan)
            else:
                assert prev_w is not None  # set with prev_idx
                order, signs, stab = match_factors(prev_w[pos[common]],
                                                   weights[np.searchsorted(idx, common)])
            if prev_idx is not None:
                pos[prev_idx] = -1
            weights = weights[:, order] * signs
            loadings = b_mat[:, order] * signs
            evr = ratio[order]
            block = values[c:d][:, idx]
            out[c:d] = np.where(np.isnan(block), 0.0, block) @ weights
            records.append((date_values[c], idx, weights))
            stab_rows.append(stab)
            n_present = int(present.sum())
            fit_rows.append((idx.size, n_present - idx.size, n_present - int(covered.sum()),
                             n_constant, converged, n_iter))
            prev_idx, prev_w = idx, weights
            if callback is not None:
                callback(done, len(windows))

    notes: list[str] = []
    if messages:
        n_bad = sum(1 for r in fit_rows if not r[4])
        notes.append(f"{messages[-1]} (in {n_bad} of {len(fit_rows)} fits; the results use "
                     "what those fits reached)")
    if zero_factor_fits:
        notes.append(f"{name} gave a factor with all-zero loadings in {zero_factor_fits} of "
                     f"{len(fit_rows)} fits (its return is 0 there); lower the penalty "
                     "(alpha) or -k")
    for note in notes:
        warnings.warn(note, ConvergenceWarning, stacklevel=2)

    first = windows[0][2]
    fac_index = pd.Index(names, name="factor")
    last_idx = records[-1][1]
    assets = pd.Index(frame.columns[last_idx], name="symbol")
    spans = np.array([(a, b - 1, c, d - 1) for a, b, c, d in windows], dtype=np.int64)
    table = np.array(fit_rows, dtype=np.int64)
    fits = pd.DataFrame({
        "fit_start": dates[spans[:, 0]], "fit_end": dates[spans[:, 1]],
        "apply_start": dates[spans[:, 2]], "apply_end": dates[spans[:, 3]],
        "n_assets": table[:, 0], "n_dropped": table[:, 1], "n_dropped_coverage": table[:, 2],
        "n_dropped_constant": table[:, 3], "converged": table[:, 4].astype(bool),
        "n_iter": pd.arrays.IntegerArray(np.maximum(table[:, 5], 0), table[:, 5] < 0),
    })
    return FactorModelResult(
        method=name, n_factors=k, mode=mode_name,
        lookback=lookback if mode_name == "rolling" else None,
        refit=refit if mode_name == "rolling" else None,
        min_coverage=float(min_coverage),
        factor_returns=pd.DataFrame(out[first:], index=dates[first:], columns=fac_index),
        loadings=pd.DataFrame(loadings, index=assets, columns=fac_index),
        weights=pd.DataFrame(records[-1][2], index=assets, columns=fac_index),
        weights_history=_history_frame(records, frame.columns, names),
        explained_variance_ratio=pd.Series(evr, index=fac_index,
                                           name="explained_variance_ratio"),
        stability=pd.DataFrame(np.vstack(stab_rows), columns=fac_index,
                               index=pd.DatetimeIndex([r[0] for r in records], name="fit_date")),
        fits=fits, warnings=tuple(notes), params=dict(method_params), random_state=seed,
    )


def _fit_fundamental(frame: pd.DataFrame, estimator: FundamentalFactors, mode_name: str,
                     lookback: int, refit: int, min_coverage: float, seed: int | None,
                     characteristics: Mapping[str, pd.DataFrame] | None,
                     sectors: pd.Series | None, params: dict[str, object]
                     ) -> FactorModelResult:
    """The fundamental method: daily point-in-time regressions, weights recorded every refit."""
    dates = frame.index
    n_dates = len(dates)
    if n_dates < 3:
        raise UserError(f"the fundamental method needs at least 3 trading days of returns, got "
                        f"{n_dates}; use a longer period")
    step = refit if mode_name == "rolling" else n_dates
    rows = list(range(1, n_dates, step))
    with threadpool_limits(limits=1, user_api="blas"):  # thousands of tiny solves
        frame, reg, styles, groups = estimator.regressions(
            frame, characteristics, sectors, keep_rows=(*rows, n_dates))
    names = styles + groups if estimator.include_sectors else styles
    k = len(names)
    fac_index = pd.Index(names, name="factor")

    records: list[tuple[pd.Timestamp, np.ndarray, np.ndarray]] = []
    fit_rows: list[dict[str, object]] = []
    stab_rows: list[np.ndarray] = []
    prev: tuple[np.ndarray, np.ndarray] | None = None
    for p in rows:
        if p not in reg.weights:
            continue
        idx, w = reg.weights[p]
        w = np.nan_to_num(w[:, :k], nan=0.0)
        stab = np.full(k, np.nan)
        if prev is not None:
            common, ia, ib = np.intersect1d(prev[0], idx, return_indices=True)
            if common.size:
                stab = np.abs(np.diag(cosine_matrix(prev[1][ia], w[ib])))
        prev = (idx, w)
        records.append((dates[p], idx, w))
        stab_rows.append(stab)
        end = min(p + step, n_dates) - 1
        fit_rows.append({"fit_start": dates[p - 1], "fit_end": dates[p - 1],
                         "apply_start": dates[p], "apply_end": dates[end],
                         "n_assets": int(idx.size), "n_dropped": 0, "n_dropped_coverage": 0,
                         "n_dropped_constant": 0, "converged": True, "n_iter": pd.NA})
    if not records:
        raise UserError("the fundamental regressions never had more stocks than factors; add "
                        "symbols or use fewer characteristics")
    live_idx, live_w = reg.weights.get(n_dates, records[-1][1:])
    _, live_z = reg.exposures.get(n_dates, (live_idx, np.full((live_idx.size, len(styles)),
                                                              np.nan)))
    loadings_idx = reg.exposures[n_dates][0] if n_dates in reg.exposures else live_idx
    fits = pd.DataFrame(fit_rows)
    fits["n_iter"] = fits["n_iter"].astype("Int64")
    style_cols = pd.Index(styles, name="factor")
    return FactorModelResult(
        method="fundamental", n_factors=k, mode=mode_name,
        lookback=lookback if mode_name == "rolling" else None,
        refit=refit if mode_name == "rolling" else None, min_coverage=min_coverage,
        factor_returns=pd.DataFrame(reg.factor_returns[1:, :k], index=dates[1:],
                                    columns=fac_index),
        coefficients=pd.DataFrame(reg.coefficients[1:, :k], index=dates[1:], columns=fac_index),
        loadings=pd.DataFrame(live_z, index=pd.Index(frame.columns[loadings_idx], name="symbol"),
                              columns=style_cols),
        weights=pd.DataFrame(np.asarray(live_w)[:, :k],
                             index=pd.Index(frame.columns[live_idx], name="symbol"),
                             columns=fac_index),
        weights_history=_history_frame(records, frame.columns, names),
        explained_variance_ratio=pd.Series(np.nan, index=fac_index,
                                           name="explained_variance_ratio"),
        stability=pd.DataFrame(np.vstack(stab_rows), columns=fac_index,
                               index=pd.DatetimeIndex([r[0] for r in records], name="fit_date")),
        fits=fits, warnings=(), params=params, random_state=seed,
    )
