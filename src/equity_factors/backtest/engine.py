"""The accounting engine: target weights in, daily gross/cost/net returns and trades out.

Dollars are the state: each position's value drifts with its returns between rebalances, cash
is equity minus the positions. The work is vectorized per segment between two rebalances
(a cumulative product of ``1 + r``), with a Python loop over rebalances only. The accounting
rules (timing, drift, every cost, capped orders, names whose returns end) are in
``docs/backtest.md``; the tests hold it to an independent per-day, per-position loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from equity_factors.backtest.costs import CostModel
from equity_factors.errors import ParameterError

__all__ = ["FILLS", "RETURN_COLUMNS", "EngineResult", "Fill", "run_engine"]

Fill = Literal["close", "next-open"]
FILLS: tuple[str, ...] = get_args(Fill)

#: Columns of :attr:`EngineResult.returns`, in order.
RETURN_COLUMNS = ("gross", "commission", "slippage", "borrow", "net", "equity", "turnover")

#: An order smaller than this fraction of equity is not placed (float noise of drifted weights
#: that equal their target would otherwise pay a minimum commission).
MIN_ORDER_FRACTION = 1e-9


@dataclass(frozen=True)
class EngineResult:
    """What :func:`run_engine` returns (all frames are new objects; inputs are not changed).

    Attributes
    ----------
    returns : DataFrame of shape (n_days, 7)
        Indexed by date, from the first held day (the first target date) to the end of
        ``returns``. Columns :data:`RETURN_COLUMNS`. Every column of row t is in dollars divided
        by the equity at the close of t-1, so ``net = gross - commission - slippage - borrow``
        exactly and ``equity_t = equity_{t-1} * (1 + net_t)``. ``gross`` is the positions' P&L
        plus cash interest; the trading costs of a rebalance are on the row of the first day
        the new positions are held; ``equity`` is in dollars from ``capital`` (from 1.0 when
        ``capital`` is None); ``turnover`` is the one-way turnover of the trade charged on that
        row (``0.5 * traded notional / equity``, 0 on other days), so two-way traded fraction is
        ``2 * turnover`` and ``commission = commission_bps / 1e4 * 2 * turnover`` without
        per-share fees.
    holdings : DataFrame of shape (n_days, n_assets)
        The dollars held over day t (after that day's trade) divided by the equity at the close
        of t-1: the weights that earn day t's returns (for ``fill="close"`` exactly the weights
        after the trade at the close of t-1). Columns are those of ``returns``.
    positions : DataFrame
        Long table, one block per rebalance after trading: ``date`` (execution date),
        ``ticker``, ``weight`` (position / equity before the trade), ``shares`` (NaN without
        prices or capital), ``side`` ("long"/"short"). Only non-zero positions.
    trades : DataFrame
        Long table of orders: ``date`` (execution date), ``ticker``, ``shares`` (signed, filled;
        NaN without a price), ``notional`` (signed dollars filled), ``cost`` (commission +
        slippage of the order, dollars), ``filled`` (filled / wanted notional, < 1 where capped
        by volume).
    turnover : Series
        One-way turnover per rebalance, indexed by execution date:
        ``0.5 * sum_i |w_i,new - w_i,drifted|`` with both weights as fractions of the equity
        just before the trade (``w_new`` = the weights actually reached, which equal the targets
        unless orders were capped or rounded to whole shares).
    notes : tuple of str
        Plain sentences about anything the engine did that the targets did not say (capped
        orders, dropped notional, names sold because their returns ended).
    """

    returns: pd.DataFrame
    holdings: pd.DataFrame
    positions: pd.DataFrame
    trades: pd.DataFrame
    turnover: pd.Series
    notes: tuple[str, ...]

    def summary(self, benchmark: pd.Series | None = None, periods_per_year: int = 252,
                risk_free: float = 0.0) -> pd.DataFrame:
        """The tear sheet (:func:`~equity_factors.backtest.summary.tear_sheet`) of the gross
        and net returns: a DataFrame with rows ``gross, net``."""
        from equity_factors.backtest.summary import tear_sheet

        rows = {col: tear_sheet(self.returns[col], benchmark, self.turnover, periods_per_year,
                                risk_free) for col in ("gross", "net")}
        return pd.DataFrame.from_dict(rows, orient="index")


# --------------------------------------------------------------------------------------------
# Validation and alignment
# --------------------------------------------------------------------------------------------


def _check_frame(name: str, frame: object) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"{name} must be a DataFrame of shape (n_dates, n_assets), got "
                             f"{type(frame).__name__}", name, scope="backtest")
    if not frame.index.is_unique or not frame.index.is_monotonic_increasing:
        raise ParameterError(f"{name} must have unique dates in increasing order; sort it and "
                             "drop duplicated dates", name, scope="backtest")
    if not frame.columns.is_unique:
        raise ParameterError(f"{name} has duplicated columns; keep one column per ticker", name,
                             scope="backtest")
    return frame


def _aligned(name: str, frame: pd.DataFrame | None, returns: pd.DataFrame) -> np.ndarray | None:
    if frame is None:
        return None
    frame = _check_frame(name, frame)
    # tickers outside returns are ignored: the engine trades the columns of returns
    out = frame.reindex(index=returns.index, columns=returns.columns)
    return np.asarray(out.to_numpy(dtype=float, na_value=np.nan), dtype=np.float64)


def _validate(returns: pd.DataFrame, targets: pd.DataFrame, costs: CostModel,
              capital: float | None, prices: pd.DataFrame | None, volume: pd.DataFrame | None,
              open_returns: pd.DataFrame | None, fill: str, whole_shares: bool) -> np.ndarray:
    """Check the inputs (one clear error each); return the row of each target date."""
    if not isinstance(costs, CostModel):
        raise ParameterError(f"costs must be a CostModel, got {type(costs).__name__}", "costs",
                             scope="backtest")
    if fill not in FILLS:
        raise ParameterError(f"fill {fill!r} is not one of {', '.join(FILLS)}", "fill",
                             scope="backtest")
    _check_frame("returns", returns)
    _check_frame("targets", targets)
    if len(targets) == 0:
        raise ParameterError("targets has no rows; pass at least one rebalance", "targets",
                             scope="backtest")
    missing = targets.columns.difference(returns.columns)
    if len(missing):
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise ParameterError(f"targets has tickers without returns ({shown}); give returns "
                             "for every ticker with a target", "targets", "returns",
                             scope="backtest")
    rows = returns.index.get_indexer(targets.index)
    if (rows < 0).any():
        bad = targets.index[rows < 0][0]
        raise ParameterError(f"target date {bad} is not a row of returns; index targets by the "
                             "first day the new weights earn, a date of returns", "targets",
                             scope="backtest")
    if fill == "close" and rows[0] == 0:
        raise ParameterError(f"the first target date {targets.index[0]} is the first row of "
                             "returns, so there is no previous close to trade at; start the "
                             "targets one row later (or use fill 'next-open')", "targets",
                             scope="backtest")
    if fill == "next-open" and open_returns is None:
        raise ParameterError("fill 'next-open' needs open_returns (open_t / close_{t-1} - 1); "
                             "pass them or use fill 'close'", "open_returns", "fill",
                             scope="backtest")
    if capital is not None and (not math.isfinite(float(capital)) or float(capital) <= 0):
        raise ParameterError(f"capital {capital!r} must be a positive number of dollars (or "
                             "None for equity starting at 1.0)", "capital", scope="backtest")
    needs = [what for what, on in (("whole_shares", whole_shares),
                                   ("a per-share commission", costs.per_share > 0),
                                   ("volume", volume is not None)) if on]
    if needs and (prices is None or capital is None):
        lack = "prices" if prices is None else "capital"
        raise ParameterError(f"{' and '.join(needs)} need share counts, so pass {lack} "
                             f"(prices at the execution bar and a capital in dollars)", lack,
                             scope="backtest")
    if volume is not None and (volume.to_numpy(dtype=float, na_value=np.nan) < 0).any():
        raise ParameterError("volume has negative values; pass shares traded per bar (NaN = "
                             "unknown)", "volume", scope="backtest")
    return rows


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


def run_engine(
    returns: pd.DataFrame,
    targets: pd.DataFrame,
    costs: CostModel,
    *,
    capital: float | None = 1_000_000.0,
    prices: pd.DataFrame | None = None,
    volume: pd.DataFrame | None = None,
    open_returns: pd.DataFrame | None = None,
    fill: Fill = "close",
    whole_shares: bool = False,
) -> EngineResult:
    """Trade to target weights and account for every day: returns, costs, trades, holdings.

    Parameters
    ----------
    returns : DataFrame of shape (n_dates, n_assets)
        Daily simple close-to-close returns; row t is ``close_t / close_{t-1} - 1``. NaN means
        no trade that day and counts as a zero return (the position keeps its last value).
    targets : DataFrame of shape (n_rebalances, n_targets)
        Target weights (fractions of equity, signed, NaN = 0), each row indexed by the **first
        day t whose return the new weights earn**; they must have been decided from data up to
        the close of t-1. Dates must be rows of ``returns``, tickers columns of ``returns``.
        A name that had returns but has none on row t-1 (delisted or halted) has its target set
        to 0: it is sold at its last value and the weight stays in cash (see ``notes``).
    costs : CostModel
    capital : float or None, default 1,000,000
        Starting equity in dollars. None: equity starts at 1.0 and notionals are fractions of
        the starting equity (share counts, per-share fees and volume caps are then unavailable).
    prices : DataFrame of shape (n_dates, n_assets), optional
        Execution prices: closes for ``fill="close"`` (row t-1 is the bar of a trade for day t),
        opens for ``fill="next-open"`` (row t). Missing prices are carried forward from the last
        known one; a name with no price yet is traded in dollars (shares NaN, no per-share fee,
        no cap or impact).
    volume : DataFrame of shape (n_dates, n_assets), optional
        Shares traded in the execution bar (NaN = unknown: no cap and no impact).
    open_returns : DataFrame of shape (n_dates, n_assets), optional
        Overnight returns ``open_t / close_{t-1} - 1``, required for ``fill="next-open"``.
    fill : {"close", "next-open"}, default "close"
        ``"close"``: the trade executes at the close of t-1 (execution date = the row before t).
        ``"next-open"``: at the open of t; the old (drifted) positions earn the overnight return,
        the new ones the rest of day t, ``(1 + r) / (1 + r_on) - 1``.
    whole_shares : bool, default False
        Round each target position to whole shares toward zero at the execution price.

    Returns
    -------
    EngineResult

    Raises
    ------
    ParameterError
        Inputs that do not line up (the message names the parameter and how to fix it).
    """
    rows = _validate(returns, targets, costs, capital, prices, volume, open_returns, fill,
                     whole_shares)
    tickers = returns.columns
    dates = returns.index
    n_days, n = returns.shape
    base = 1.0 if capital is None else float(capital)

    r = np.array(returns.to_numpy(dtype=float, na_value=np.nan), dtype=np.float64, copy=True)
    r_nan = np.isnan(r)
    row_has_nan: np.ndarray = np.asarray(r_nan.any(axis=1))
    if row_has_nan.any():
        r[r_nan] = 0.0
        first_valid = np.argmin(r_nan, axis=0)         # first row with a return
        first_valid[r_nan[first_valid, np.arange(n)]] = n_days  # never any
    else:
        first_valid = np.zeros(n, dtype=np.int64)

    ron = rid = None
    if fill == "next-open":
        on = _aligned("open_returns", open_returns, returns)
        assert on is not None
        ron = np.where(r_nan | np.isnan(on), 0.0, on)
        rid = (1.0 + r) / (1.0 + ron) - 1.0

    px = None
    if prices is not None:
        pf = _check_frame("prices", prices).reindex(index=dates, columns=tickers).astype(float)
        pf = pf.where(pf > 0).ffill()
        px = np.asarray(pf.to_numpy(dtype=float, na_value=np.nan), dtype=np.float64)
    vol = _aligned("volume", volume, returns)
    tcols = tickers.get_indexer(targets.columns)
    tv = np.array(targets.to_numpy(dtype=float, na_value=np.nan), dtype=np.float64, copy=True)
    bad = ~np.isfinite(tv)
    if bad.any():
        if np.isinf(tv[bad]).any():
            raise ParameterError("targets has infinite weights; pass finite weights (NaN = 0)",
                                 "targets", scope="backtest")
        tv[bad] = 0.0
    full_targets = len(tcols) == n and bool((tcols == np.arange(n)).all())

    start = int(rows[0])
    m = n_days - start
    gross = np.zeros(m)
    comm = np.zeros(m)
    slip = np.zeros(m)
    borrow = np.zeros(m)
    turn_row = np.zeros(m)
    equity = np.zeros(m)
    hold = np.zeros((m, n))

    cr = costs.cash_rate / costs.periods_per_year
    br = costs.borrow_rate / costs.periods_per_year
    cb = costs.commission_bps / 1e4
    hb = costs.half_spread_bps / 1e4
    share_counts = px is not None and capital is not None

    v = np.zeros(n)          # dollars per position at the previous close
    e_prev = base            # equity at the previous close
    reb_turnover = np.zeros(len(rows))
    exec_rows = rows - 1 if fill == "close" else rows.copy()
    pos_blocks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]] = []
    trade_blocks: list[tuple[int, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray,
                             np.ndarray | None]] = []
    n_forced = n_capped = 0
    wanted_total = filled_total = 0.0

    for j, a in enumerate(rows):
        a = int(a)
        b = int(rows[j + 1]) if j + 1 < len(rows) else n_days
        e = int(exec_rows[j])
        if full_targets:
            w_full = tv[j]
        else:
            w_full = np.zeros(n)
            w_full[tcols] = tv[j]
        # Only the names held or targeted take part in the trade (the rest stay at zero).
        act = np.flatnonzero((w_full != 0.0) | (v != 0.0))
        w = w_full[act]
        va = v[act]
        if a >= 1 and row_has_nan[a - 1]:
            forced = r_nan[a - 1, act] & (first_valid[act] < a - 1) & (w != 0.0)
            if forced.any():
                n_forced += int(forced.sum())
                w = np.where(forced, 0.0, w)

        # Equity and positions just before the trade.
        if ron is not None:
            on_a = ron[a, act]
            on_pnl = float(np.dot(va, on_a))
            v_pre = va * (1.0 + on_a)
            e_pre = e_prev + on_pnl
        else:
            v_pre = va
            e_pre = e_prev
        p = px[e, act] if px is not None else None
        want = w * e_pre
        if whole_shares and p is not None:
            known = np.isfinite(p)
            want = np.where(known, np.trunc(want / np.where(known, p, 1.0)) * p, want)
        d = want - v_pre
        d[np.abs(d) <= MIN_ORDER_FRACTION * abs(e_pre)] = 0.0
        x = d
        sh = None
        vb = vol[e, act] if vol is not None else None
        if share_counts and p is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                q = d / p                      # wanted shares (NaN without a price)
            sh = q
            if vb is not None:
                capped = np.isfinite(vb) & np.isfinite(q)
                if capped.any():
                    cap = costs.volume_cap * vb
                    if whole_shares:
                        cap = np.floor(cap)
                    # only orders over the cap change: the others fill exactly as wanted (a
                    # round trip through shares would leave float dust of a sold position)
                    over = capped & (np.abs(q) > cap)
                    sh = np.where(over, np.sign(q) * cap, q)
                    x = np.where(over, sh * p, d)
        ax = np.abs(x)
        traded = float(ax.sum())
        c_comm = c_slip = None
        if sh is not None:
            c_comm = cb * ax
            c_slip = hb * ax
            ash = np.abs(sh)
            has = np.isfinite(ash) & (ash > 0)
            if costs.per_share > 0:
                fee = np.maximum(costs.min_commission, costs.per_share * np.where(has, ash, 0.0))
                c_comm = c_comm + np.where(has, fee, 0.0)
            if vb is not None and costs.impact > 0:
                ok = has & np.isfinite(vb) & (vb > 0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    imp = costs.impact * (ash / np.where(ok, vb, 1.0)) ** 2 * ax
                c_slip = c_slip + np.where(ok, imp, 0.0)
        if c_comm is None or c_slip is None:
            comm_d, slip_d = cb * traded, hb * traded
        else:
            comm_d, slip_d = float(c_comm.sum()), float(c_slip.sum())
        hold_p = v_pre + x                      # dollars after the trade

        placed = np.flatnonzero(d)
        if placed.size:
            # None stands for "all NaN" (shares) or "all 1" (filled), filled in at the end
            frac: np.ndarray | None = None
            if x is d:
                wanted_total += traded
                filled_total += traded
            else:
                wanted_total += float(np.abs(d).sum())
                filled_total += traded
                frac = x[placed] / d[placed]
                n_capped += int(np.sum(frac < 1.0 - 1e-12))
            shares_out = sh[placed] if sh is not None else None
            if c_comm is None or c_slip is None:
                order_cost = (cb + hb) * ax[placed]
            else:
                order_cost = c_comm[placed] + c_slip[placed]
            trade_blocks.append((e, act[placed], shares_out, x[placed], order_cost, frac))
        held = np.flatnonzero(hold_p)
        if held.size:
            shares_held = None
            if share_counts and p is not None:
                with np.errstate(invalid="ignore", divide="ignore"):
                    shares_held = hold_p[held] / p[held]
            pos_blocks.append((e, act[held], hold_p[held] / e_pre, shares_held))
        reb_turnover[j] = 0.5 * traded / e_pre

        # Day a: the first day the new positions are held.
        i0 = a - start
        if rid is not None and ron is not None:
            r_in = rid[a, act]
            pnl = on_pnl + float(np.dot(hold_p, r_in))
        else:
            r_in = r[a, act]
            pnl = float(np.dot(hold_p, r_in))
        u_act = hold_p * (1.0 + r_in)
        cash = e_pre - float(hold_p.sum())      # cash does not move overnight
        short_d = float(-hold_p[hold_p < 0].sum())
        borrow_d = br * short_d
        gross_d = pnl + cr * cash
        e_a = e_prev + gross_d - comm_d - slip_d - borrow_d
        gross[i0] = gross_d / e_prev
        comm[i0] = comm_d / e_prev
        slip[i0] = slip_d / e_prev
        borrow[i0] = borrow_d / e_prev
        turn_row[i0] = 0.5 * traded / e_prev
        hold[i0, act] = hold_p / e_prev
        equity[i0] = e_a

        # Days a+1 .. b-1: the held positions drift, no trade (vectorized).
        k = b - a - 1
        cols = act[held]
        u = u_act[held]
        if k > 0:
            growth = np.cumprod(1.0 + r[a + 1:b, cols], axis=0)     # (k, n_held)
            # row sums, not a matrix product: BLAS rounds a row differently with the number
            # of rows, and a backtest ending earlier must give the same numbers to the bit
            vsum = (growth * u).sum(axis=1)                           # positions at each close
            vsum_prev = np.empty(k)
            vsum_prev[0] = float(u.sum())
            vsum_prev[1:] = vsum[:-1]
            short = u < 0
            s_prev = np.empty(k)
            s_prev[0] = float(-u[short].sum())
            if short.any():
                s_prev[1:] = (growth[:-1][:, short] * -u[short]).sum(axis=1)
            else:
                s_prev[1:] = 0.0
            pnl_k = vsum - vsum_prev
            c = pnl_k - cr * vsum_prev - br * s_prev
            if cr == 0.0:
                e_k = e_a + np.cumsum(c)
            else:
                disc = (1.0 + cr) ** np.arange(1, k + 1)
                e_k = disc * (e_a + np.cumsum(c / disc))
            e_prev_k = np.empty(k)
            e_prev_k[0] = e_a
            e_prev_k[1:] = e_k[:-1]
            sl = slice(i0 + 1, i0 + 1 + k)
            gross[sl] = (pnl_k + cr * (e_prev_k - vsum_prev)) / e_prev_k
            borrow[sl] = br * s_prev / e_prev_k
            equity[sl] = e_k
            h = np.empty((k, cols.size))
            h[0] = u
            np.multiply(growth[:-1], u, out=h[1:])
            h /= e_prev_k[:, None]
            hold[sl, cols] = h
            v[act] = 0.0
            v[cols] = u * growth[-1]
            e_prev = float(e_k[-1])
        else:
            v[act] = u_act                        # zero where sold: act covers every holding
            e_prev = e_a

    net = gross - comm - slip - borrow
    out_index = dates[start:]
    returns_out = pd.DataFrame({"gross": gross, "commission": comm, "slippage": slip,
                                "borrow": borrow, "net": net, "equity": equity,
                                "turnover": turn_row}, index=out_index)
    holdings = pd.DataFrame(hold, index=out_index, columns=tickers, copy=False)
    exec_dates = dates[exec_rows]
    turnover = pd.Series(reb_turnover, index=exec_dates, name="turnover")

    positions = _long_frame(
        dates, tickers, pos_blocks,
        lambda blk: {"weight": blk[2], "shares": blk[3], "side": (blk[2] < 0).astype(np.int8)},
        ["date", "ticker", "weight", "shares", "side"])
    if len(positions):
        positions["side"] = pd.Categorical.from_codes(positions["side"].to_numpy(),
                                                      categories=["long", "short"])
    trades = _long_frame(
        dates, tickers, trade_blocks,
        lambda blk: {"shares": blk[2], "notional": blk[3], "cost": blk[4], "filled": blk[5]},
        ["date", "ticker", "shares", "notional", "cost", "filled"])

    notes: list[str] = []
    if n_capped:
        dropped = 1.0 - filled_total / wanted_total if wanted_total > 0 else 0.0
        notes.append(f"{n_capped} orders capped at {costs.volume_cap:.4g} of the bar's volume; "
                     f"the unfilled {dropped:.2%} of wanted notional was dropped, not carried")
    if n_forced:
        notes.append(f"{n_forced} target weights on names with no return on the last close "
                     "before the rebalance (delisted or halted) were set to 0: sold at the "
                     "last value, the weight kept in cash")
    return EngineResult(returns=returns_out, holdings=holdings, positions=positions,
                        trades=trades, turnover=turnover, notes=tuple(notes))


def _long_frame(dates: pd.Index, tickers: pd.Index, blocks: list, columns_of, order: list[str]
                ) -> pd.DataFrame:
    """Stack per-rebalance blocks ``(row, column indices, values...)`` into a long table.

    A value of None in a block means the column is all NaN there (``filled``: all 1).
    """
    if not blocks:
        empty: dict[str, object] = {c: pd.Series(dtype=float) for c in order}
        empty["date"] = pd.Series(dtype=dates.dtype)
        empty["ticker"] = pd.Series(pd.Categorical([], categories=tickers))
        if "side" in empty:
            empty["side"] = pd.Series(pd.Categorical([], categories=["long", "short"]))
        return pd.DataFrame({c: empty[c] for c in order})
    sizes = np.fromiter((blk[1].size for blk in blocks), dtype=np.int64, count=len(blocks))
    row_idx = np.repeat(np.fromiter((blk[0] for blk in blocks), dtype=np.int64,
                                    count=len(blocks)), sizes)
    col_idx = np.concatenate([blk[1] for blk in blocks])
    parts = [columns_of(blk) for blk in blocks]
    data: dict[str, object] = {
        "date": dates[row_idx],
        "ticker": pd.Categorical.from_codes(col_idx, categories=tickers),
    }
    for key in parts[0]:
        fill = 1.0 if key == "filled" else np.nan
        if all(part[key] is None for part in parts):
            data[key] = np.full(int(sizes.sum()), fill)
            continue
        data[key] = np.concatenate([
            part[key] if part[key] is not None else np.full(size, fill)
            for part, size in zip(parts, sizes)])
    return pd.DataFrame({c: data[c] for c in order})
