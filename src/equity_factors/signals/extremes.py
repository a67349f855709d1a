"""Extreme-value alerts on factor returns, with point-in-time reversion hit rates and half-lives."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.errors import UserError
from equity_factors.signals.indicators import zscore

__all__ = ["ExtremesConfig", "ExtremesResult", "extreme_alerts", "factor_levels", "half_life"]

_KINDS = ("return", "level")


@dataclass(frozen=True)
class ExtremesConfig:
    """Windows and trade rules of :func:`extreme_alerts`.

    Attributes
    ----------
    return_window : int, default 252
        Trailing window (days, including the current one) of the daily-return z-score.
    level_window : int, default 63
        Trailing window of the level z-score: the log cumulative level ``L_t = sum log(1 + r)``
        minus its trailing mean over this window, divided by its trailing std (ddof=1). The same
        window defines the deviation whose AR(1) gives the half-life.
    horizon : int, default 10
        Days after a past event over which reversion is judged (see :func:`extreme_alerts`).
    min_events : int, default 5
        Fewer similar past events than this give size 0 (no evidence to size on).
    max_size : float, default 0.10
        Largest suggested position, as a fraction of capital.
    min_hold, max_hold : int, default 1 and 63
        The holding period (rounded half-life) is clipped to ``[min_hold, max_hold]`` days.
    """

    return_window: int = 252
    level_window: int = 63
    horizon: int = 10
    min_events: int = 5
    max_size: float = 0.10
    min_hold: int = 1
    max_hold: int = 63

    def validate(self) -> None:
        """Raise :class:`UserError` on a window < 2, a horizon < 1 or a bad size/hold range."""
        for name in ("return_window", "level_window"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 2:
                raise UserError(f"{name} must be an integer >= 2, got {value!r}")
        if not isinstance(self.horizon, (int, np.integer)) or self.horizon < 1:
            raise UserError(f"horizon must be an integer >= 1 day, got {self.horizon!r}")
        if not 0 < self.max_size <= 1:
            raise UserError(
                f"max_size must be in (0, 1] (a fraction of capital), got {self.max_size}"
            )
        if not 1 <= self.min_hold <= self.max_hold:
            raise UserError(
                f"need 1 <= min_hold <= max_hold, got {self.min_hold} and {self.max_hold}"
            )
        if self.min_events < 1:
            raise UserError(f"min_events must be >= 1, got {self.min_events}")


@dataclass(frozen=True)
class ExtremesResult:
    """Alerts raised on one evaluation date.

    Attributes
    ----------
    alerts : DataFrame of shape (n_alerts, n_columns)
        One row per (factor, kind) whose ``|z| > threshold`` on ``as_of``, sorted by ``|z|``
        descending. Columns: ``factor``, ``kind`` (``return`` or ``level``), ``date``, ``value``
        (the day's return, or the level's deviation from its trailing mean), ``zscore``,
        ``direction`` (``high``/``low``), ``hit_rate``, ``n_events``, ``mean_reversion`` (mean
        log return of the contrarian trade over ``horizon`` after similar past events),
        ``half_life`` (days); with ``trade=True`` also ``action`` (``BUY``/``SELL`` the factor
        basket), ``size`` (fraction of capital) and ``holding_days``.
    zscores : DataFrame of shape (n_factors, 6)
        Latest state of every factor: ``return``, ``return_z``, ``level_deviation``,
        ``level_z``, ``half_life``, ``phi`` (AR(1) coefficient of the deviation).
    as_of : Timestamp
        Evaluation date (the last row used; an index label).
    threshold : float
    config : ExtremesConfig
    trade : bool
    """

    alerts: pd.DataFrame
    zscores: pd.DataFrame
    as_of: Any
    threshold: float
    config: ExtremesConfig = field(default_factory=ExtremesConfig)
    trade: bool = False

    def summary(self) -> pd.DataFrame:
        """The alerts table (empty, with its columns, when nothing is extreme)."""
        return self.alerts.copy()


def factor_levels(factor_returns: pd.DataFrame) -> pd.DataFrame:
    """Log cumulative level ``L_t = sum_{s<=t} log(1 + r_s)`` per factor.

    Leading NaN stay NaN (the factor did not exist yet); interior NaN count as a 0 return.

    Parameters
    ----------
    factor_returns : DataFrame of shape (n_dates, n_factors)
        Simple daily returns.

    Returns
    -------
    DataFrame of shape (n_dates, n_factors)
    """
    r = factor_returns.astype(float)
    if (r <= -1).any().any():
        raise UserError(
            "a factor return is <= -100%; factor returns must be simple daily returns"
        )
    started = r.notna().cummax()
    levels = np.log1p(r.fillna(0.0)).cumsum().where(started)
    # cumsum of the zeros before the start is 0, so the level starts at log(1 + r_first)
    return levels


def half_life(deviation: pd.Series | np.ndarray, min_obs: int = 20) -> tuple[float, float]:
    """AR(1) half-life of a mean-reverting deviation.

    Fits ``d_t = c + phi d_{t-1} + e_t`` by OLS on all consecutive non-NaN pairs and returns
    ``(half_life, phi)`` with ``half_life = -ln 2 / ln(phi)`` for ``0 < phi < 1``, ``inf`` for
    ``phi >= 1`` (no reversion), ``0`` for ``phi <= 0`` (reverts within a day), and ``NaN`` when
    fewer than ``min_obs`` pairs or a constant regressor.

    Parameters
    ----------
    deviation : Series or ndarray of shape (n_obs,)
    min_obs : int, default 20

    Returns
    -------
    (float, float)
    """
    d = np.asarray(deviation, dtype=float)
    y, x = d[1:], d[:-1]
    ok = ~(np.isnan(y) | np.isnan(x))
    y, x = y[ok], x[ok]
    if len(y) < min_obs:
        return math.nan, math.nan
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx <= 0:
        return math.nan, math.nan
    phi = float(xc @ (y - y.mean()) / sxx)
    if phi >= 1:
        return math.inf, phi
    if phi <= 0:
        return 0.0, phi
    return -math.log(2.0) / math.log(phi), phi


def _episode_starts(z: np.ndarray, threshold: float, sign: int) -> np.ndarray:
    """Positions where ``sign * z > threshold`` and it was not so on the previous day."""
    hit = np.nan_to_num(sign * z, nan=-np.inf) > threshold
    prev = np.concatenate([[False], hit[:-1]])
    return np.flatnonzero(hit & ~prev)


def _history(z: np.ndarray, level: np.ndarray, threshold: float, sign: int, horizon: int,
             end: int) -> tuple[float, int, float]:
    """Hit rate, count and mean contrarian log return of past same-sign episodes.

    Only episode starts ``s`` with ``s + horizon <= end`` count (their outcome is known at
    ``end``). Reversion: ``L_{s+h} - L_s`` has the sign opposite to the event.
    """
    starts = _episode_starts(z[: end + 1], threshold, sign)
    starts = starts[starts + horizon <= end]
    if len(starts) == 0:
        return math.nan, 0, math.nan
    fwd = level[starts + horizon] - level[starts]
    contrarian = -sign * fwd
    return float(np.mean(contrarian > 0)), len(starts), float(np.mean(contrarian))


def _size(hit_rate: float, n_events: int, config: ExtremesConfig) -> float:
    """Half-Kelly of an even-odds bet, capped: ``min(max_size, max(0, (2p - 1) / 2))``."""
    if n_events < config.min_events or not np.isfinite(hit_rate):
        return 0.0
    return float(min(config.max_size, max(0.0, (2.0 * hit_rate - 1.0) / 2.0)))


def _holding(hl: float, config: ExtremesConfig) -> int:
    if math.isnan(hl):
        return int(np.clip(config.horizon, config.min_hold, config.max_hold))
    if math.isinf(hl):
        return config.max_hold
    return int(np.clip(round(hl), config.min_hold, config.max_hold))


def extreme_alerts(
    factor_returns: pd.DataFrame,
    threshold: float = 2.0,
    *,
    trade: bool = False,
    as_of: Any = None,
    config: ExtremesConfig | None = None,
) -> ExtremesResult:
    """Factors whose latest daily return or cumulative level is extreme, judged at ``as_of``.

    For each factor, using only rows up to ``as_of``:

    * ``return_z`` = :func:`~equity_factors.signals.indicators.zscore` of the daily return over
      ``config.return_window`` days (trailing, including the day);
    * ``level_z`` = z-score of the log cumulative level (:func:`factor_levels`) over
      ``config.level_window`` days: deviation from its trailing mean over its trailing std.

    An alert is ``|z| > threshold`` on ``as_of``. For each alert:

    * **hit rate**: past *episodes* of the same kind and sign (first day of a run of days with
      ``sign z > threshold``) whose outcome is known at ``as_of`` (start + ``horizon`` <= as_of);
      an episode reverted when the log level moved against the event over the next ``horizon``
      days. ``hit_rate`` = reverted / episodes (NaN if none);
    * **half-life**: :func:`half_life` of the level deviation (``L_t`` minus its trailing
      ``level_window`` mean) fitted on all data up to ``as_of``;
    * with ``trade=True``: ``action`` SELL the factor basket after a high z (expect a fall), BUY
      after a low one; ``size`` = half-Kelly of an even-odds bet, ``min(max_size, max(0, p - 1/2))``
      with p the hit rate, and 0 with fewer than ``min_events`` past episodes; ``holding_days`` =
      the rounded half-life clipped to ``[min_hold, max_hold]`` (``max_hold`` when it is infinite,
      ``horizon`` when it cannot be estimated).

    Interior NaN returns count as 0 (no move that day); leading NaN mean the factor had not started.

    Parameters
    ----------
    factor_returns : DataFrame of shape (n_dates, n_factors)
        Simple daily factor returns, ascending dates.
    threshold : float, default 2.0
        Alert when ``|z| > threshold``; must be > 0.
    trade : bool, default False
        Add the trade suggestion columns.
    as_of : date-like, optional
        Evaluation date; default the last row. Rows after it are ignored.
    config : ExtremesConfig, optional

    Returns
    -------
    ExtremesResult
    """
    config = config or ExtremesConfig()
    config.validate()
    if not isinstance(factor_returns, pd.DataFrame):
        raise UserError("factor_returns must be a DataFrame (dates x factors)")
    if not (isinstance(threshold, (int, float, np.floating)) and threshold > 0):
        raise UserError(
            f"threshold must be a positive number of standard deviations, got {threshold!r}"
        )
    if factor_returns.shape[1] == 0 or factor_returns.shape[0] == 0:
        raise UserError("factor_returns is empty; run factor discovery first")
    if not factor_returns.index.is_monotonic_increasing:
        raise UserError("factor_returns dates must be ascending; sort the index")
    data = factor_returns
    if as_of is not None:
        key = pd.Timestamp(as_of) if isinstance(factor_returns.index, pd.DatetimeIndex) else as_of
        data = factor_returns.loc[:key]
        if data.empty:
            raise UserError(f"no factor returns on or before as_of={as_of}; pick a later date")
    end = len(data) - 1
    date = data.index[end]
    n_valid = data.notna().sum()
    if int(n_valid.max()) < max(config.return_window, config.level_window):
        raise UserError(
            f"factor returns have {int(n_valid.max())} days, fewer than the z-score window "
            f"{max(config.return_window, config.level_window)}; use more history or shorter windows"
        )

    levels = factor_levels(data)
    state_rows: dict[Any, dict[str, float]] = {}
    alert_rows: list[dict[str, Any]] = []
    for factor in data.columns:
        r = data[factor].astype(float)
        started = r.notna().cummax()
        r_filled = r.fillna(0.0).where(started)
        level = levels[factor].to_numpy()
        z_ret = np.asarray(zscore(r_filled.to_numpy(), config.return_window))
        z_lvl = np.asarray(zscore(level, config.level_window))
        rolling_mean = pd.Series(level).rolling(config.level_window,
                                                min_periods=config.level_window).mean()
        deviation = level - rolling_mean.to_numpy()
        hl, phi = half_life(deviation)
        state_rows[factor] = {
            "return": float(r_filled.iloc[end]),
            "return_z": float(z_ret[end]),
            "level_deviation": float(deviation[end]),
            "level_z": float(z_lvl[end]),
            "half_life": hl,
            "phi": phi,
        }
        lvl_filled = np.nan_to_num(level, nan=0.0)
        for kind, z, value in (("return", z_ret, r_filled.iloc[end]),
                               ("level", z_lvl, deviation[end])):
            zt = z[end]
            if not np.isfinite(zt) or abs(zt) <= threshold:
                continue
            sign = 1 if zt > 0 else -1
            hit, n_events, mean_rev = _history(z, lvl_filled, threshold, sign, config.horizon, end)
            row: dict[str, Any] = {
                "factor": factor,
                "kind": kind,
                "date": date,
                "value": float(value),
                "zscore": float(zt),
                "direction": "high" if sign > 0 else "low",
                "hit_rate": hit,
                "n_events": n_events,
                "mean_reversion": mean_rev,
                "half_life": hl,
            }
            if trade:
                row["action"] = "SELL" if sign > 0 else "BUY"
                row["size"] = _size(hit, n_events, config)
                row["holding_days"] = _holding(hl, config)
            alert_rows.append(row)

    columns = ["factor", "kind", "date", "value", "zscore", "direction", "hit_rate", "n_events",
               "mean_reversion", "half_life"]
    if trade:
        columns += ["action", "size", "holding_days"]
    alerts = pd.DataFrame(alert_rows, columns=columns)
    if not alerts.empty:
        order = np.argsort(-alerts["zscore"].abs().to_numpy(), kind="stable")
        alerts = alerts.iloc[order].reset_index(drop=True)
    zscores = pd.DataFrame.from_dict(state_rows, orient="index")
    zscores.index.name = "factor"
    return ExtremesResult(alerts=alerts, zscores=zscores, as_of=date, threshold=float(threshold),
                          config=config, trade=trade)
