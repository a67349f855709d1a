"""The project's exceptions and warnings: one place, so the CLI maps them to exit codes.

A :class:`UserError` is a mistake the user can fix (bad flag, unknown symbol, malformed file).
The CLI prints its message as one line and exits with code 2. Every message says what is wrong
and how to fix it.
"""

from __future__ import annotations


class EqfError(Exception):
    """Base class of every error raised on purpose by equity-factors."""


class UserError(EqfError):
    """Bad input from the user: printed as one line, exit code 2."""


class DataError(UserError):
    """Data that is missing, malformed or inconsistent (a file, a symbol, a store)."""


class StoreError(UserError):
    """The SQLite store cannot be used as it is (newer schema, corrupted, unwritable)."""


class FetchIncomplete(UserError):
    """A fetch made on the way by an analysis command did not deliver everything it needs.

    ``details`` is the fetch's summary (printed before the one-line reason); ``exit_code`` the
    fetch's own (1: a rerun has work left, e.g. after the daily cap; 2: unknown symbols).
    """

    def __init__(self, message: str, details: str = "", exit_code: int = 2) -> None:
        super().__init__(message)
        self.details = details
        self.exit_code = exit_code


class ProviderError(EqfError):
    """A data provider failed for a reason that is not the user's input (network, server)."""


class ConvergenceWarning(UserWarning):
    """An iterative estimator stopped before converging; the message says what to change."""
