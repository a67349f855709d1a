"""``eqf``: the command tree, error handling and exit codes.

Exit codes: 0 success, 2 user error (one line: what is wrong and how to fix it), 1 anything
else. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from equity_factors import __version__
from equity_factors.cli.flags import flag_for
from equity_factors.data import clock
from equity_factors.errors import ParameterError, UserError


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"eqf: error: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("global options")
    g.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                   help="data directory (default: $EQF_HOME or ~/.equity_factors)")
    g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show full tracebacks")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree (each command module adds its own sub-commands)."""
    from equity_factors.cli import commands

    common = _common()
    parser = _Parser(prog="eqf", parents=[common],
                     description="Find, name, blend, trade and backtest the hidden factors of an "
                                 "equity universe.")
    parser.add_argument("--version", action="version", version=f"eqf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for register in commands.REGISTRY:
        register(sub, common)
    return parser


# Output flags of the commands that write results: checked before any work starts.
_OUTPUT_FILES = {"output": "--output", "export_weights": "--export-weights",
                 "factor_names_output": "--factor-names-output"}
_OUTPUT_FOLDERS = {"output_dir": "--output-dir"}


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse (exit 2, one line) an output path that cannot be written, before any work."""
    from equity_factors.data.outputs import check_output_paths

    check_output_paths(
        files={flag: getattr(args, attr) for attr, flag in _OUTPUT_FILES.items()
               if getattr(args, attr, None)},
        folders={flag: getattr(args, attr) for attr, flag in _OUTPUT_FOLDERS.items()
                 if getattr(args, attr, None)})


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``eqf`` with ``argv``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    args.argv = argv
    try:
        with warnings.catch_warnings():
            if not debug:
                warnings.filterwarnings("ignore", category=FutureWarning)
                warnings.filterwarnings("ignore", category=DeprecationWarning)
            check_outputs(args)
            clock.offset_seconds()  # a malformed EQF_NOW stops here, before any work
            return int(args.handler(args) or 0)
    except ParameterError as exc:
        if debug:
            raise
        message = exc.with_flags(lambda scope, name: flag_for(args.command, scope, name))
        sys.stderr.write(f"eqf: error: {message}\n")
        return 2
    except UserError as exc:
        if debug:
            raise
        details = getattr(exc, "details", "")
        if details:  # e.g. the summary of a fetch made on the way
            sys.stdout.write(details.rstrip() + "\n")
        sys.stderr.write(f"eqf: error: {exc}\n")
        return int(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.stderr.write("eqf: interrupted; what was written so far is kept, rerun to finish\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            raise
        sys.stderr.write(f"eqf: failed: {type(exc).__name__}: {exc} (rerun with --debug for the "
                         "traceback)\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
