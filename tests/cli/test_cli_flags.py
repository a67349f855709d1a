"""Every field of every command's request has a flag, with the request's default."""

from __future__ import annotations

import argparse
import dataclasses
import typing

import pytest

from equity_factors.cli.flags import DERIVED, REQUEST_FLAGS
from equity_factors.cli.main import build_parser
from equity_factors.workflows.basket import BasketRequest
from equity_factors.workflows.discover import DiscoverRequest
from equity_factors.workflows.optimize import OptimizeRequest
from equity_factors.workflows.regime import RegimeRequest
from equity_factors.workflows.routine import RoutineRequest
from equity_factors.workflows.signals import CrossSectionRequest, ExtremesRequest, MomentumRequest

REQUESTS = {"discover": DiscoverRequest, "optimize": OptimizeRequest, "basket": BasketRequest,
            "signals extremes": ExtremesRequest, "signals momentum": MomentumRequest,
            "signals cross-section": CrossSectionRequest, "regime detect": RegimeRequest,
            "routine": RoutineRequest}


def _leaves(cls, prefix=""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            yield from _leaves(hint, f"{prefix}{f.name}.")
        else:
            default = (f.default if f.default is not dataclasses.MISSING
                       else dataclasses.MISSING)
            yield f"{prefix}{f.name}", default


def _parser(command: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in command.split():
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return parser


def _actions(parser):
    yield from parser._actions


@pytest.mark.parametrize("command", sorted(REQUESTS))
def test_every_request_field_has_a_flag_with_the_requests_default(command):
    table = REQUEST_FLAGS[command]
    leaves = dict(_leaves(REQUESTS[command]))
    assert set(leaves) == set(table), "fields and flags differ"
    by_flag = {s: a for a in _actions(_parser(command)) for s in a.option_strings}
    for field, flag in table.items():
        if flag == "":  # no flag on purpose
            assert field in DERIVED or field.split(".")[-1] in DERIVED, field
            continue
        assert flag in by_flag, f"{command}: {flag} for {field} is not a flag"
        action = by_flag[flag]
        default = leaves[field]
        if field in DERIVED or field.split(".", 1)[-1] in DERIVED or default is \
                dataclasses.MISSING:
            continue
        got = action.default
        if isinstance(default, tuple):
            got = tuple(got)
        assert got == default, f"{command} {flag}: flag default {got!r}, request {default!r}"


def test_derived_fields_are_explained():
    for reason in DERIVED.values():
        assert len(reason) > 20


@pytest.mark.parametrize("command", sorted(REQUESTS))
def test_the_parsers_are_built_from_the_table(command):
    from equity_factors.cli.flags import COMMAND_FLAGS

    by_flag = {s: a for a in _actions(_parser(command)) for s in a.option_strings}
    for flag in COMMAND_FLAGS[command].values():
        action = by_flag[flag.names[0]]
        assert tuple(action.option_strings) == flag.names and action.dest == flag.dest
        assert action.help == flag._help()  # --help text, defaults included, from the table
        if flag.default is not None and not flag.action and flag.show_default:
            shown = " ".join(flag.default) if isinstance(flag.default, tuple) else flag.default
            assert f"(default {shown})" in action.help
