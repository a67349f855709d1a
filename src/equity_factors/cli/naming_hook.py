"""Chooses how factors are named for a command (``--name-factors``, ``--namer``)."""

from __future__ import annotations

import argparse


def names_function(args: argparse.Namespace):
    """A ``names_fn(fit)`` for the workflows: names kept stable against the latest run on the
    same universe and method."""
    from equity_factors.cli.common import context
    from equity_factors.data.llm import load_llm_config
    from equity_factors.workflows.naming import name_factors, previous_names

    ctx = context(args)
    namer = getattr(args, "namer", "auto")
    kind = namer if namer != "auto" else ("llm" if load_llm_config().has_key else "offline")
    return lambda fit: name_factors(ctx, fit, namer=namer,
                                    previous=previous_names(ctx, fit, kind))
