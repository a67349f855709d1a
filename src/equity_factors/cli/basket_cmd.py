"""``eqf basket``: long/short positions a trader can execute."""

from __future__ import annotations

import argparse

from equity_factors.cli.common import context, print_files, print_run
from equity_factors.cli.console import console, progress_factory, table

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
    p.add_argument("--results", required=True, help="results JSON from eqf optimize --output")
    p.add_argument("--universe", "--symbols", dest="universe", required=True,
                   help="the universe the results were optimized on")
    p.add_argument("--factor-method", default=None,
                   help="must match the results' factor method (checked; default: theirs)")
    p.add_argument("--long-pct", type=float, default=0.05, help="top share of stocks long (0.05)")
    p.add_argument("--short-pct", type=float, default=0.05,
                   help="bottom share of stocks short (0.05)")
    p.add_argument("--capital", type=float, default=100_000.0, help="capital in $ (100000)")
    p.add_argument("--net-exposure", type=float, default=0.0,
                   help="net exposure n: 1.0 all long, 0 market neutral (default), -1 all short")
    p.add_argument("--gross-exposure", type=float, default=1.0,
                   help="gross exposure g (default 1.0): long book = capital*(g+n)/2, short "
                        "book = capital*(g-n)/2")
    p.add_argument("--sizing", default="score", choices=("score", "equal"),
                   help="within a side: proportional to |composite| (default) or equal")
    p.add_argument("--max-weight", type=float, default=None,
                   help="cap on one position as a fraction of capital (excess redistributed)")
    p.add_argument("--min-price", type=float, default=0.0, help="skip stocks below this price")
    p.add_argument("--min-adv", type=float, default=0.0,
                   help="skip stocks below this average daily dollar volume (when known)")
    p.add_argument("--as-of", help="basket date: only data up to it is used (default: last date)")
    p.add_argument("--diff", metavar="PREVIOUS_CSV",
                   help="also write the trades from this earlier basket to the new one")
    p.add_argument("-o", "--output", default="trade_basket.csv",
                   help="basket CSV (default trade_basket.csv)")
    p.set_defaults(handler=cmd_basket)
