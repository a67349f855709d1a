"""Chooses how factors are named for a command (``--name-factors``, ``--namer``)."""

from __future__ import annotations

import argparse


def names_function(args: argparse.Namespace):
    """A ``names_fn(fit)`` for the workflows: neutral labels until a namer is available."""
    try:
        from equity_factors.workflows.naming import name_factors
    except ImportError:
        return None
    from equity_factors.cli.common import context

    ctx = context(args)
    return lambda fit: name_factors(ctx, fit, namer=getattr(args, "namer", "auto"))
