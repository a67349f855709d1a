"""Parameter names of the Python API -> the flags a user types, for error messages.

The computation raises :class:`~equity_factors.errors.ParameterError` naming parameters; the CLI
prints the same line with flags. A parameter maps to ``--name-with-dashes`` unless the command
spells it otherwise (the factor model's ``lookback`` is ``--factor-lookback`` in ``optimize``).
"""

from __future__ import annotations

#: Spelled the same way by every command.
COMMON = {"n_factors": "-k", "n_components": "-k", "n_trials": "--trials"}

#: Per command, ``scope.parameter`` (or ``parameter``) -> flag.
BY_COMMAND = {
    "optimize": {"factors.lookback": "--factor-lookback", "factors.method": "--factor-method",
                 "optimizer.lookback": "--lookback"},
    "basket": {"factors.method": "--factor-method", "basket.method": "--factor-method"},
}


def flag_for(command: str, scope: str, parameter: str) -> str:
    """The flag of ``parameter`` (of ``scope``) in ``command`` (e.g. ``"optimize"``)."""
    table = BY_COMMAND.get(command, {})
    for key in (f"{scope}.{parameter}", parameter):
        if key in table:
            return table[key]
    return COMMON.get(parameter, "--" + parameter.replace("_", "-"))
