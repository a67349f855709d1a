"""``eqf basket``: long/short positions a trader can execute."""

from __future__ import annotations

import argparse

from equity_factors.cli.common import context, print_files, print_run
from equity_factors.cli.console import console, progress_factory, table
from equity_factors.cli.flags import add_flags

#: Number formats of the positions table: dollars to the dollar, prices to the cent.
POSITION_FORMATS = {"last_price": "{:,.2f}", "position_dollars": "{:,.0f}",
                    "target_weight": "{:.3f}", "composite_score": "{:.4f}"}


def cmd_basket(args: argparse.Namespace) -> int:
    from equity_factors.portfolio import BasketSpec
    from equity_factors.workflows.basket import BasketRequest, basket

    spec = BasketSpec(  # validates the sizing flags before any data is read
        long_pct=args.long_pct, short_pct=args.short_pct, capital=args.capital,
        net_exposure=args.net_exposure, gross_exposure=args.gross_exposure, sizing=args.sizing,
        max_weight=args.max_weight, min_price=args.min_price, min_adv=args.min_adv)
    request = BasketRequest(results=args.results, universe=args.universe, spec=spec,
                            factor_method=args.factor_method, as_of=args.as_of, diff=args.diff)
    with progress_factory() as progress:
        out = basket(context(args, progress), request, argv=args.argv, output=args.output)
    s = out.summary
    console.print(f"factor weights: {out.theta_note}")
    console.print(table(out.basket.positions.set_index("ticker"), title="Basket", max_rows=30,
                        columns=["side", "shares", "last_price", "position_dollars",
                                 "target_weight", "composite_score", "sector"],
                        formats=POSITION_FORMATS))
    console.print(table(s.to_frame().set_index("metric"), title="Summary", float_format="{:,.2f}"))
    if len(s.sector_net):
        console.print(table(s.sector_net.rename("net_dollars").to_frame(),
                            title="Sector net exposure ($)", float_format="{:,.0f}"))
    if s.factor_exposure is not None:
        frame = s.factor_exposure.rename("basket_exposure").to_frame()
        frame["optimized_weight"] = out.theta.reindex(frame.index)
        console.print(table(frame, title="Factor exposure vs optimized weights"))
    for note in out.basket.notes:
        console.print(f"[yellow]note:[/] {note}")
    if len(out.basket.excluded):
        console.print(f"{len(out.basket.excluded)} stocks excluded by filters "
                      f"(see {out.files['basket_summary.json'].name})")
    if out.trades is not None:
        console.print(table(out.trades.set_index("ticker"), title="Trades to reach the new basket"))
    print_files(out.files)
    print_run(out.run)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("basket", parents=[common], help="turn factor weights into a basket",
                       description="Rank stocks by their weight in the optimized blend of factor "
                                   "portfolios and size a long/short basket in whole shares.")
    add_flags(p, "basket")
    p.add_argument("-o", "--output", default="trade_basket.csv",
                   help="basket CSV (default trade_basket.csv)")
    p.set_defaults(handler=cmd_basket)
