"""One module per kind of run: each turns a :class:`~equity_factors.report.blocks.RunFiles`
into report sections (figures and tables of what the run saved; nothing is refitted)."""
