"""What a simulation returns: the :class:`SyntheticMarket` and the :class:`GroundTruth` behind
it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from equity_factors.data.synthetic._util import _str_take
from equity_factors.data.synthetic.constants import STYLE_FACTORS
from equity_factors.data.synthetic.params import SyntheticConfig
from equity_factors.errors import UserError

__all__ = ["GroundTruth", "SyntheticMarket"]


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """What the simulator planted.

    Attributes
    ----------
    factor_names : tuple of str
        ``FACTOR_NAMES``: market, 11 ``sector:<name>``, size, value, momentum, low_vol.
    factor_returns : DataFrame of shape (n_dates, 16)
        Planted daily factor returns (drift included).
    returns : DataFrame of shape (n_dates, n_stocks)
        Planted total daily returns; NaN when not listed and on the first listed day.
    exposures : DataFrame
        Long: ``date`` (refresh date), ``symbol``, ``factor`` (a style), ``value``; the style
        exposure in force from that date until the next refresh date.
    static_loadings : DataFrame of shape (n_stocks, 12)
        Index ``symbol``; columns ``market`` (beta) and each ``sector:<name>``.
    regimes : Series of shape (n_dates,)
        Regime name of each date.
    transition_matrix : DataFrame of shape (3, 3)
        Daily transition probabilities, rows = from, columns = to (``REGIMES``).
    idio_vol : Series of shape (n_stocks,)
        Daily idiosyncratic vol in the calm regime.
    """

    factor_names: tuple[str, ...]
    factor_returns: pd.DataFrame
    returns: pd.DataFrame
    exposures: pd.DataFrame
    static_loadings: pd.DataFrame
    regimes: pd.Series
    transition_matrix: pd.DataFrame
    idio_vol: pd.Series

    @cached_property
    def refresh_dates(self) -> pd.DatetimeIndex:
        """Dates on which the style exposures were refreshed, ascending."""
        return pd.DatetimeIndex(np.unique(self.exposures["date"].to_numpy()), name="date")

    @cached_property
    def _listing_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        # First listed day = first return - 1 (the listing day has no previous close).
        ok = ~np.isnan(self.returns.to_numpy())
        n_days = ok.shape[0]
        has = ok.any(axis=0)
        first = np.where(has, ok.argmax(axis=0) - 1, n_days)
        last = np.where(has, n_days - 1 - ok[::-1].argmax(axis=0), -1)
        return first, last

    @cached_property
    def _exposure_dates(self) -> np.ndarray:
        return self.exposures["date"].to_numpy()

    def loadings_at(self, date: object) -> pd.DataFrame:
        """Full loading matrix in force on ``date``.

        Parameters
        ----------
        date : date-like
            A date on or after the first simulated date; a non-business day uses the business
            day before it.

        Returns
        -------
        DataFrame of shape (n_stocks, 16)
            Index = symbols, columns = ``factor_names``; a stock's row is NaN when it is not listed
            on ``date``. Returns on ``date`` satisfy ``r = loadings @ f + idiosyncratic``.
        """
        ts = pd.Timestamp(date)
        dates = self.returns.index
        if ts < dates[0]:
            raise UserError(
                f"date {ts.date()} is before the simulation starts ({dates[0].date()}): "
                "pick a later date"
            )
        refresh = self.refresh_dates
        block_start = refresh[refresh.searchsorted(ts, side="right") - 1].to_datetime64()
        col = self._exposure_dates
        lo = np.searchsorted(col, block_start, "left")
        hi = np.searchsorted(col, block_start, "right")
        if hi <= lo or col[lo] != block_start:  # not sorted by date: fall back to a mask
            rows = self.exposures[col == block_start]
        else:
            rows = self.exposures.iloc[lo:hi]
        styles = rows.pivot(index="symbol", columns="factor", values="value")
        symbols = self.static_loadings.index
        styles = styles.reindex(index=symbols, columns=list(STYLE_FACTORS))
        out = pd.concat([self.static_loadings, styles], axis=1)[list(self.factor_names)]
        pos = dates.searchsorted(ts, side="right") - 1
        first, last = self._listing_bounds
        out.loc[~((first <= pos) & (pos <= last))] = np.nan
        out.index.name = "symbol"
        out.columns.name = None
        return out

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every part as a DataFrame with string column names and a default index (for Parquet)."""
        frames = {
            "factor_returns": self.factor_returns.reset_index(),
            "returns": self.returns.reset_index(),
            "exposures": self.exposures.reset_index(drop=True),
            "static_loadings": self.static_loadings.reset_index(),
            "regimes": self.regimes.rename("regime").reset_index(),
            "transition_matrix": self.transition_matrix.rename_axis("from").reset_index(),
            "idio_vol": self.idio_vol.rename("idio_vol").reset_index(),
        }
        for frame in frames.values():
            frame.columns = [str(c) for c in frame.columns]
        return frames

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame]) -> GroundTruth:
        """Rebuild from :meth:`to_frames` output (an exact round trip)."""
        missing = {"factor_returns", "returns", "exposures", "static_loadings", "regimes",
                   "transition_matrix", "idio_vol"} - set(frames)
        if missing:
            raise UserError(
                f"ground truth is missing {sorted(missing)}: save every frame of to_frames()"
            )

        def wide(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame.set_index("date")
            out.index = pd.DatetimeIndex(out.index, name="date")
            out.columns = pd.Index([str(c) for c in out.columns])
            return out

        factor_returns = wide(frames["factor_returns"])
        returns = wide(frames["returns"])
        regimes_frame = frames["regimes"]
        regimes = pd.Series(
            regimes_frame["regime"].to_numpy(),
            index=pd.DatetimeIndex(regimes_frame["date"], name="date"),
            name="regime",
        ).astype("str")
        tm = frames["transition_matrix"].set_index("from")
        tm.index.name = None
        idio = frames["idio_vol"]
        idio_vol = pd.Series(
            idio["idio_vol"].to_numpy(dtype=float),
            index=pd.Index(idio["symbol"].astype("str"), name="symbol"),
            name="idio_vol",
        )
        static = frames["static_loadings"].set_index("symbol")
        static.index = pd.Index(static.index.astype("str"), name="symbol")
        return cls(
            factor_names=tuple(str(c) for c in factor_returns.columns),
            factor_returns=factor_returns,
            returns=returns,
            exposures=frames["exposures"].reset_index(drop=True),
            static_loadings=static,
            regimes=regimes,
            transition_matrix=tm,
            idio_vol=idio_vol,
        )


@dataclass(frozen=True, eq=False)
class SyntheticMarket:
    """A simulated market.

    Attributes
    ----------
    config : SyntheticConfig
    securities : DataFrame of shape (n_stocks, 5)
        ``symbol, name, sector, list_date, delist_date`` (``delist_date`` = last day with a
        price, NaT when still listed on the last simulated day).
    prices : dict of str to DataFrame of shape (n_dates, n_stocks)
        Keys ``PRICE_FIELDS``; NaN when not listed. ``dividend`` = cash on the ex-date else 0,
        ``split`` = coefficient (2.0 for 2:1) on the effective date else 1, ``volume`` = whole
        shares stored as float.
    fundamentals : DataFrame
        Long: ``symbol, field, period_end, reported_date, value``.
    holdings : DataFrame
        ``etf, symbol, weight, as_of``; weights sum to 1 per (etf, as_of).
    truth : GroundTruth
    """

    config: SyntheticConfig
    securities: pd.DataFrame
    prices: dict[str, pd.DataFrame]
    fundamentals: pd.DataFrame
    holdings: pd.DataFrame
    truth: GroundTruth

    @property
    def symbols(self) -> pd.Index:
        """All symbols, in order."""
        return self.prices["close"].columns

    def bars_long(self, symbols: list[str] | None = None) -> pd.DataFrame:
        """Daily bars in long form, listed days only.

        Parameters
        ----------
        symbols : list of str or None
            Subset of symbols (default all); unknown symbols raise UserError.

        Returns
        -------
        DataFrame of shape (n_bars, 10)
            ``date, symbol, open, high, low, close, adj_close, volume (int64), dividend, split``,
            sorted by symbol then date.
        """
        close = self.prices["close"]
        if symbols is None:
            cols = np.arange(close.shape[1])
        else:
            wanted = [str(s) for s in symbols]
            pos = close.columns.get_indexer(wanted)
            unknown = [s for s, p in zip(wanted, pos, strict=True) if p < 0]
            if unknown:
                raise UserError(
                    f"unknown synthetic symbols {unknown[:5]}: use symbols like "
                    f"{close.columns[0]}"
                )
            cols = pos
        values = close.to_numpy()[:, cols]
        s_loc, d_idx = np.nonzero(~np.isnan(values.T))
        s_idx = cols[s_loc]
        out = {
            "date": close.index.to_numpy()[d_idx],
            "symbol": _str_take(close.columns, s_idx),
        }
        for name in ("open", "high", "low", "close", "adj_close", "volume", "dividend", "split"):
            arr = self.prices[name].to_numpy()[d_idx, s_idx]
            out[name] = arr.astype(np.int64) if name == "volume" else arr
        return pd.DataFrame(out)
