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


#: Which flag sets each field of each command's request (dotted paths into nested requests).
#: ``tests/cli/test_cli_flags.py`` checks that every request field is listed here, that each
#: flag exists in the command's parser and that its default is the request's default, so the
#: CLI and the Python API cannot drift apart. Fields set from two flags or derived are listed
#: with the flag that decides them and explained in ``DERIVED``.
_FACTORS = {"universe": "--universe", "start": "--start", "end": "--end",
            "method": "--method", "n_components": "-k", "lookback": "--lookback",
            "refit": "--refit", "mode": "--mode", "min_coverage": "--min-coverage",
            "seed": "--seed"}


def _nested(prefix: str, table: dict[str, str], **override: str) -> dict[str, str]:
    return {f"{prefix}.{k}": override.get(k, v) for k, v in table.items()}


REQUEST_FLAGS: dict[str, dict[str, str]] = {
    "discover": {**_nested("factors", _FACTORS), "namer": "--namer"},
    "optimize": {**_nested("factors", _FACTORS, method="--factor-method",
                           lookback="--factor-lookback", mode=""),
                 "technique": "--technique", "methods": "--methods", "objective": "--objective",
                 "search": "--search", "long_only": "--long-only", "trials": "--trials",
                 "walk_forward": "--walk-forward", "train_window": "--train-window",
                 "test_window": "--test-window", "max_folds": "--max-folds",
                 "lookback": "--lookback", "storage": "--storage", "n_jobs": "--n-jobs",
                 "seed": "--seed", "namer": "--namer"},
    "basket": {"results": "--results", "universe": "--universe",
               "factor_method": "--factor-method", "as_of": "--as-of", "diff": "--diff",
               **{f"spec.{k}": "--" + k.replace("_", "-") for k in (
                   "long_pct", "short_pct", "capital", "net_exposure", "gross_exposure",
                   "sizing", "max_weight", "min_price", "min_adv")}},
    "signals extremes": {**_nested("factors", _FACTORS), "threshold": "--threshold",
                         "trade": "--trade"},
    "signals momentum": {**_nested("factors", _FACTORS), "factor": "--factor", "namer": ""},
    "signals cross-section": {**_nested("factors", _FACTORS), "top_pct": "--top-pct",
                              "bottom_pct": "--bottom-pct", "results": "--results",
                              "check_method": "--method"},
    "regime detect": {**_nested("factors", _FACTORS, mode=""), "n_regimes": "--regimes",
                      "predict": "--predict", "refit_every": "--refit-every",
                      "min_train": "--min-train", "restarts": "--restarts"},
}

#: Fields whose flag is not a one-to-one copy of the default (checked by the test by name).
DERIVED = {
    "factors.method": "--method defaults to None (= pca) so a command reading a results file "
                      "can tell a method the user typed",
    "factors.mode": "optimize and regime fit rolling factors only (no --mode: in-sample fits "
                    "look ahead)",
    "namer": "None unless --name-factors; then --namer (momentum names with the offline namer)",
    "lookback": "optimize: None unless given, so --walk-forward can refuse it (252 otherwise)",
    "check_method": "the --method the user typed, refused when the results file's differs",
    "factors.n_components": "signals and regime default to 5 factors, discover and optimize to 10",
}
