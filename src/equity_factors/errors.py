"""The project's exceptions and warnings: one place, so the CLI maps them to exit codes.

A :class:`UserError` is a mistake the user can fix (bad flag, unknown symbol, malformed file).
The CLI prints its message as one line and exits with code 2. Every message says what is wrong
and how to fix it. It is a ``ValueError``, so a Python user of the library can catch it as one.

The computation packages (``factors``, ``optimize``, ``portfolio``, ``signals``, ``regime``)
speak in parameter names, never in command-line flags: they raise :class:`ParameterError`,
whose message names the parameters (``long_pct 0.7 is outside (0, 0.5]``) and which records
them, so the CLI's one error handler can print the same line with the flags the user typed
(``--long-pct 0.7 is outside (0, 0.5]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable


class EqfError(Exception):
    """Base class of every error raised on purpose by equity-factors."""


class UserError(EqfError, ValueError):
    """Bad input from the user: printed as one line, exit code 2."""


class ParameterError(UserError):
    """A bad value of a named parameter of the Python API.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it, naming the parameters by their Python names.
    *params : str
        The parameter names the message mentions (whole words), for :meth:`with_flags`.
    scope : str
        Where the parameters live (``"factors"``, ``"optimizer"``, ``"basket"``, ...), so a
        front end can tell the factor model's ``lookback`` from the optimizer's.
    """

    def __init__(self, message: str, *params: str, scope: str = "") -> None:
        super().__init__(message)
        self.params = tuple(params)
        self.scope = scope

    def with_flags(self, flag_of: Callable[[str, str], str]) -> str:
        """The message with each parameter replaced by ``flag_of(scope, parameter)``."""
        text = str(self)
        for name in sorted(set(self.params), key=len, reverse=True):
            flag = flag_of(self.scope, name)

            def _replacement(_m: re.Match[str], flag: str = flag) -> str:
                return flag

            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", _replacement, text)
        return text


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
