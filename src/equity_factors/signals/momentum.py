"""Momentum indicators of one factor (RSI, MACD, ADX, z-score), their states, a combined signal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from equity_factors.errors import UserError
from equity_factors.signals.indicators import adx_close_only, macd, rsi, zscore

__all__ = ["MomentumConfig", "MomentumResult", "momentum_signals", "select_factor"]


@dataclass(frozen=True)
class MomentumConfig:
    """Windows and thresholds of :func:`momentum_signals` (defaults: the usual textbook values).

    Attributes
    ----------
    rsi_window, adx_window : int, default 14
    macd_fast, macd_slow, macd_signal : int, default 12, 26, 9
    z_window : int, default 63
        Window of the z-score of the log level (trailing, including the day).
    crossover_days : int, default 5
        A MACD crossover counts as recent when it happened on one of the last ``crossover_days``
        bars, today included.
    overbought, oversold : float, default 70 and 30
    strong_trend, weak_trend : float, default 25 and 20
        ADX above ``strong_trend`` is a strong trend, below ``weak_trend`` a weak one.
    z_extreme : float, default 2.0
        ``|z|`` at which the z-score component saturates and is called extreme.
    signal_threshold : float, default 0.25
        BUY when score >= this, SELL when score <= -this, otherwise HOLD.
    """

    rsi_window: int = 14
    macd_fast: int = 12
    macd_slow: int = 26
    macd_signal: int = 9
    adx_window: int = 14
    z_window: int = 63
    crossover_days: int = 5
    overbought: float = 70.0
    oversold: float = 30.0
    strong_trend: float = 25.0
    weak_trend: float = 20.0
    z_extreme: float = 2.0
    signal_threshold: float = 0.25

    def validate(self) -> None:
        """Raise :class:`UserError` on inconsistent thresholds."""
        if not 0 <= self.oversold < self.overbought <= 100:
            raise UserError(
                f"need 0 <= oversold < overbought <= 100, got {self.oversold} and {self.overbought}"
            )
        if not 0 <= self.weak_trend < self.strong_trend <= 100:
            raise UserError(
                f"need 0 <= weak_trend < strong_trend <= 100, got {self.weak_trend} and "
                f"{self.strong_trend}"
            )
        if self.crossover_days < 1:
            raise UserError(f"crossover_days must be >= 1, got {self.crossover_days}")
        if self.z_extreme <= 0:
            raise UserError(f"z_extreme must be > 0, got {self.z_extreme}")
        if not 0 < self.signal_threshold <= 1:
            raise UserError(f"signal_threshold must be in (0, 1], got {self.signal_threshold}")

    def min_obs(self) -> int:
        """Fewest valid returns for every indicator to have a value on the last day."""
        slow = max(self.macd_fast, self.macd_slow)
        return 1 + max(self.rsi_window, slow - 1 + self.macd_signal - 1,
                       2 * self.adx_window - 1, self.z_window - 1)


@dataclass(frozen=True)
class MomentumResult:
    """Indicators of one factor and their state on the last date.

    Attributes
    ----------
    factor : str
    indicators : DataFrame of shape (n_dates, 12)
        Columns ``level`` (cumulative wealth, first value ``1 + r_0``), ``rsi``, ``macd``,
        ``macd_signal``, ``macd_hist``, ``adx``, ``plus_di``, ``minus_di``, ``zscore``,
        ``trend``, ``reversion``, ``score`` (NaN during the warm-up) and ``signal``
        (BUY/SELL/HOLD, missing during the warm-up). Every row uses data up to that date only.
    state : dict
        The last date's values and states: ``date``, ``rsi``, ``rsi_state`` (overbought /
        oversold / neutral), ``macd``, ``macd_signal``, ``macd_hist``, ``macd_state`` (bullish
        crossover / bearish crossover / above signal / below signal), ``crossover_days_ago``
        (int or None), ``adx``, ``plus_di``, ``minus_di``, ``adx_state`` (strong trend /
        moderate trend / weak trend), ``trend_direction`` (up/down), ``zscore``,
        ``zscore_state`` (extreme high / extreme low / normal), ``score``, ``signal``.
    config : MomentumConfig
    """

    factor: str
    indicators: pd.DataFrame
    state: dict[str, Any]
    config: MomentumConfig = field(default_factory=MomentumConfig)

    @property
    def signal(self) -> str:
        """BUY, SELL or HOLD on the last date."""
        return str(self.state["signal"])

    @property
    def score(self) -> float:
        """Combined score in [-1, 1] on the last date."""
        return float(self.state["score"])

    def summary(self) -> pd.DataFrame:
        """One row per indicator: value and state on the last date."""
        s = self.state
        rows = [
            ("RSI", s["rsi"], s["rsi_state"]),
            ("MACD", s["macd_hist"], s["macd_state"]),
            ("ADX", s["adx"], f"{s['adx_state']}, {s['trend_direction']}"),
            ("Z-score", s["zscore"], s["zscore_state"]),
            ("Combined", s["score"], s["signal"]),
        ]
        return pd.DataFrame(rows, columns=["indicator", "value", "state"]).set_index("indicator")


def select_factor(factor_returns: pd.DataFrame, factor: str,
                  names: Mapping[str, str] | pd.Series | None = None) -> pd.Series:
    """The column of ``factor_returns`` matching ``factor`` by id or by name (case-insensitive).

    Parameters
    ----------
    factor_returns : DataFrame of shape (n_dates, n_factors)
    factor : str
        A column id (``F1``) or a name from ``names``.
    names : mapping or Series, optional
        Factor id -> human name.

    Returns
    -------
    Series of shape (n_dates,), named by the factor id
    """
    key = str(factor).strip().lower()
    ids = {str(c).lower(): c for c in factor_returns.columns}
    if key in ids:
        return factor_returns[ids[key]].rename(ids[key])
    mapping = dict(names.items()) if names is not None else {}
    for fid, name in mapping.items():
        if str(name).strip().lower() == key and fid in factor_returns.columns:
            return factor_returns[fid].rename(fid)
    valid = [str(c) for c in factor_returns.columns]
    valid += [f"{n!r}" for f, n in mapping.items() if f in factor_returns.columns]
    raise UserError(f"unknown factor {factor!r}; valid ids and names: {', '.join(valid)}")


def _rsi_state(value: float, cfg: MomentumConfig) -> str:
    if value > cfg.overbought:
        return "overbought"
    if value < cfg.oversold:
        return "oversold"
    return "neutral"


def _adx_state(value: float, cfg: MomentumConfig) -> str:
    if value > cfg.strong_trend:
        return "strong trend"
    if value < cfg.weak_trend:
        return "weak trend"
    return "moderate trend"


def momentum_signals(returns: pd.Series, *, name: str | None = None,
                     config: MomentumConfig | None = None) -> MomentumResult:
    """RSI, MACD, ADX and z-score of a factor, their states and a combined BUY/SELL/HOLD signal.

    The indicators run on the factor's cumulative wealth level ``W_t = prod_{s<=t} (1 + r_s)``
    (RSI, MACD, close-only ADX: see :func:`~equity_factors.signals.indicators.adx_close_only`);
    the z-score is that of the log level ``ln W_t`` over ``z_window`` days.

    Combined score in [-1, 1], on every date from its own indicators:

    * ``trend = sign(macd - signal) * strength``, ``strength = clip((ADX - weak_trend) /
      (strong_trend - weak_trend), 0, 1)``: MACD direction, counted only as far as ADX says the
      trend is real;
    * ``reversion = (rsi_part + z_part) / 2`` with ``rsi_part = clip((mid - RSI) / half, -1, 1)``
      (``mid``/``half`` = centre/half-width of [oversold, overbought]: +1 at oversold, -1 at
      overbought) and ``z_part = -clip(z / z_extreme, -1, 1)``;
    * ``score = (trend + reversion) / 2``; BUY when ``score >= signal_threshold``, SELL when
      ``score <= -signal_threshold``, else HOLD.

    Interior NaN returns count as 0; leading NaN are skipped.

    Parameters
    ----------
    returns : Series of shape (n_dates,)
        Simple daily returns of one factor.
    name : str, optional
        Label of the factor (default: the Series name).
    config : MomentumConfig, optional

    Returns
    -------
    MomentumResult
    """
    cfg = config or MomentumConfig()
    cfg.validate()
    if isinstance(returns, pd.DataFrame):
        if returns.shape[1] != 1:
            raise UserError("momentum_signals takes one factor; select it with select_factor()")
        returns = returns.iloc[:, 0]
    r = pd.Series(returns, dtype=float)
    started = r.notna().cummax()
    n_valid = int(started.sum())
    if n_valid < cfg.min_obs():
        raise UserError(
            f"factor has {n_valid} days of returns, fewer than the {cfg.min_obs()} the indicator "
            f"windows need; use more history or shorter windows"
        )
    r = r.fillna(0.0).where(started)
    if (r <= -1).any():
        raise UserError("a factor return is <= -100%; pass simple daily returns")
    level = (1.0 + r).cumprod()
    log_level = np.log(level)

    m = macd(level, cfg.macd_fast, cfg.macd_slow, cfg.macd_signal)
    a = adx_close_only(level, cfg.adx_window)
    frame = pd.DataFrame({
        "level": level,
        "rsi": rsi(level, cfg.rsi_window),
        "macd": m["macd"],
        "macd_signal": m["signal"],
        "macd_hist": m["hist"],
        "adx": a["adx"],
        "plus_di": a["plus_di"],
        "minus_di": a["minus_di"],
        "zscore": zscore(log_level, cfg.z_window),
    }, index=r.index)

    strength = ((frame["adx"] - cfg.weak_trend) / (cfg.strong_trend - cfg.weak_trend)).clip(0, 1)
    trend = np.sign(frame["macd_hist"]) * strength
    mid = (cfg.overbought + cfg.oversold) / 2.0
    half = (cfg.overbought - cfg.oversold) / 2.0
    rsi_part = ((mid - frame["rsi"]) / half).clip(-1, 1)
    z_part = -(frame["zscore"] / cfg.z_extreme).clip(-1, 1)
    reversion = (rsi_part + z_part) / 2.0
    score = (trend + reversion) / 2.0
    frame["trend"] = trend
    frame["reversion"] = reversion
    frame["score"] = score
    signal = pd.Series(np.where(score >= cfg.signal_threshold, "BUY",
                                np.where(score <= -cfg.signal_threshold, "SELL", "HOLD")),
                       index=frame.index, dtype=object)
    frame["signal"] = signal.where(score.notna())

    last = frame.iloc[-1]
    if last[["rsi", "macd_hist", "adx", "zscore"]].isna().any():
        raise UserError(
            "an indicator is undefined on the last date (constant factor level?); check the factor"
        )
    hist = frame["macd_hist"].to_numpy()
    prev, cur = hist[:-1], hist[1:]
    bull = np.flatnonzero((prev <= 0) & (cur > 0)) + 1
    bear = np.flatnonzero((prev >= 0) & (cur < 0)) + 1
    last_pos = len(hist) - 1
    last_bull = int(bull[-1]) if len(bull) else -1
    last_bear = int(bear[-1]) if len(bear) else -1
    recent = max(last_bull, last_bear)
    days_ago: int | None = None
    if recent >= 0 and last_pos - recent < cfg.crossover_days:
        days_ago = last_pos - recent
        macd_state = "bullish crossover" if recent == last_bull else "bearish crossover"
    else:
        macd_state = "above signal" if last["macd_hist"] > 0 else "below signal"
    z_last = float(last["zscore"])
    state: dict[str, Any] = {
        "date": frame.index[-1],
        "rsi": float(last["rsi"]),
        "rsi_state": _rsi_state(float(last["rsi"]), cfg),
        "macd": float(last["macd"]),
        "macd_signal": float(last["macd_signal"]),
        "macd_hist": float(last["macd_hist"]),
        "macd_state": macd_state,
        "crossover_days_ago": days_ago,
        "adx": float(last["adx"]),
        "plus_di": float(last["plus_di"]),
        "minus_di": float(last["minus_di"]),
        "adx_state": _adx_state(float(last["adx"]), cfg),
        "trend_direction": "up" if last["plus_di"] >= last["minus_di"] else "down",
        "zscore": z_last,
        "zscore_state": ("extreme high" if z_last > cfg.z_extreme
                         else "extreme low" if z_last < -cfg.z_extreme else "normal"),
        "score": float(last["score"]),
        "signal": str(last["signal"]),
    }
    if name is None:
        name = str(returns.name) if returns.name is not None else "factor"
    label = name
    return MomentumResult(factor=label, indicators=frame, state=state, config=cfg)
