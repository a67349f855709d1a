"""``eqf signals {extremes,momentum,cross-section}`` and ``eqf regime detect``."""

from __future__ import annotations

import argparse

from equity_factors.cli.common import (
    add_factor_model,
    add_period,
    add_universe,
    context,
    factor_request,
    print_files,
    print_run,
)
from equity_factors.cli.console import console, kv_table, progress_factory, table
from equity_factors.cli.flags import add_flags

#: The alerts of ``signals extremes`` in two tables that fit 80 columns: the event (its
#: date is the as-of date printed above it, its value is in the z-score table) and, with
#: --trade, the suggested trade.
ALERT_COLUMNS = ("factor", "kind", "zscore", "direction", "hit_rate", "n_events",
                 "mean_reversion", "half_life")
TRADE_COLUMNS = ("factor", "kind", "action", "size", "holding_days")
ALERT_LABELS = {"zscore": "z", "direction": "dir", "hit_rate": "hit", "n_events": "events",
                "mean_reversion": "mean rev", "holding_days": "days"}
ALERT_FORMATS = {"zscore": "{:+.2f}", "hit_rate": "{:.2f}", "mean_reversion": "{:+.4f}",
                 "half_life": "{:.1f}", "size": "{:.4f}"}


def cmd_extremes(args: argparse.Namespace) -> int:
    from equity_factors.workflows.signals import ExtremesRequest, extremes

    request = ExtremesRequest(factor_request(args), threshold=args.threshold, trade=args.trade)
    with progress_factory() as progress:
        out = extremes(context(args, progress), request, argv=args.argv,
                       output_dir=args.output_dir)
    r = out.result
    console.print(f"{out.fit.universe.label}: {len(r.alerts)} alerts beyond |z| > {r.threshold} "
                  f"on {r.as_of:%Y-%m-%d}")
    console.print(table(r.zscores, title="Factor z-scores"))
    if len(r.alerts):
        console.print(table(r.alerts, title="Alerts", index=False, columns=[
            c for c in ALERT_COLUMNS if c in r.alerts.columns], labels=ALERT_LABELS,
            formats=ALERT_FORMATS))
        trade = [c for c in TRADE_COLUMNS if c in r.alerts.columns]
        if len(trade) > 2:
            console.print(table(r.alerts, title="Suggested trades", index=False, columns=trade,
                                labels=ALERT_LABELS, formats=ALERT_FORMATS))
    print_files(out.files)
    print_run(out.run)
    return 0


def cmd_momentum(args: argparse.Namespace) -> int:
    from equity_factors.workflows.signals import MomentumRequest, momentum

    request = MomentumRequest(factor_request(args), factor=args.factor)
    with progress_factory() as progress:
        out = momentum(context(args, progress), request, argv=args.argv,
                       output_dir=args.output_dir)
    console.print(table(out.result.summary(), title=f"{out.result.factor}: momentum"))
    console.print(f"signal: [bold]{out.result.signal}[/] (score {out.result.score:+.2f})")
    print_files(out.files)
    print_run(out.run)
    return 0


def cmd_cross_section(args: argparse.Namespace) -> int:
    from equity_factors.workflows.signals import CrossSectionRequest, cross_section

    request = CrossSectionRequest(factor_request(args), top_pct=args.top_pct,
                                  bottom_pct=args.bottom_pct, results=args.results,
                                  check_method=args.method)
    with progress_factory() as progress:
        out = cross_section(context(args, progress), request, argv=args.argv,
                            output_dir=args.output_dir)
    res = out.result.ranking
    console.print(f"ranked by {out.result.basis}")
    console.print(table(res.long, title="Long candidates"))
    console.print(table(res.short, title="Short candidates"))
    print_files(out.files)
    print_run(out.run)
    return 0


#: Headers of the regime summary: per-state statistics, short enough for 80 columns.
REGIME_LABELS = {"ann_mean": "mean", "ann_vol": "vol", "persistence": "persist",
                 "expected_duration": "E[spell]", "share_of_days": "share",
                 "mean_spell_days": "spell"}


def cmd_regime(args: argparse.Namespace) -> int:
    from equity_factors.workflows.regime import RegimeRequest, detect

    request = RegimeRequest(factor_request(args), n_regimes=args.n_regimes, predict=args.predict,
                            refit_every=args.refit_every, min_train=args.min_train,
                            restarts=args.restarts)
    with progress_factory() as progress:
        out = detect(context(args, progress), request, argv=args.argv,
                     output_dir=args.output_dir)
    r = out.result
    console.print(table(r.summary(), title="Regimes (latest model)", float_format="{:,.3f}",
                        labels=REGIME_LABELS))
    console.print(kv_table({"date": f"{r.probabilities.index[-1]:%Y-%m-%d}",
                            "regime": f"{r.current_regime} ({r.current_label})",
                            **{f"P(regime {k})": f"{v:.2f}"
                               for k, v in r.current_probabilities.items()}},
                           title="Now (forward-filtered)"))
    console.print(table(out.forecast, title=f"Next {args.predict} days"))
    console.print(table(out.allocation, title="Regime-conditional factor allocation"))
    print_files(out.files)
    print_run(out.run)
    return 0


def register_signals(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("signals", parents=[common], help="factor timing and stock rankings",
                       description="Extreme-value alerts, momentum indicators and "
                                   "cross-sectional rankings from factor returns.")
    ssub = p.add_subparsers(dest="signals_command", metavar="SUBCOMMAND", parser_class=type(p))
    ssub.required = True

    def base(name: str, help_: str) -> argparse.ArgumentParser:
        s = ssub.add_parser(name, parents=[common], help=help_, description=help_)
        command = f"signals {name}"
        add_universe(s, command)
        add_factor_model(s, command)
        add_period(s, command)
        s.add_argument("--output-dir", default=".", help="where to write files (default: here)")
        return s

    s = base("extremes", "factors whose return or cumulative level is extreme (|z| > threshold)")
    add_flags(s, "signals extremes", ["threshold", "trade"])
    s.set_defaults(handler=cmd_extremes)

    s = base("momentum", "RSI, MACD, ADX and z-score of one factor, with a combined signal")
    add_flags(s, "signals momentum", ["factor"])
    s.set_defaults(handler=cmd_momentum)

    s = base("cross-section", "stocks ranked by composite factor score: long/short candidates")
    add_flags(s, "signals cross-section", ["top_pct", "bottom_pct", "results"])
    s.set_defaults(handler=cmd_cross_section)


def register_regime(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("regime", parents=[common], help="market regime detection (HMM)")
    rsub = p.add_subparsers(dest="regime_command", metavar="SUBCOMMAND", parser_class=type(p))
    rsub.required = True
    s = rsub.add_parser("detect", parents=[common], help="detect regimes, forecast, allocate",
                        description="Gaussian HMM on the market and factor returns, fitted point "
                                    "in time; current regime from forward-filtered probabilities.")
    add_universe(s, "regime detect")
    add_period(s, "regime detect")
    add_flags(s, "regime detect", ["n_regimes", "predict"])
    g = s.add_argument_group("factor model (its factor returns are features beside the market)")
    add_factor_model(g, "regime detect")
    add_flags(s, "regime detect", ["refit_every", "min_train", "restarts"])
    s.add_argument("--output-dir", default=".", help="where to write files (default: here)")
    s.set_defaults(handler=cmd_regime)
