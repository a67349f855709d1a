"""Every option list is spelled once (``equity_factors.types``) and used from there."""

from typing import get_args

from equity_factors import types


def test_option_lists_are_the_literals_values():
    for alias, values in [(types.FactorMethod, types.FACTOR_METHODS),
                          (types.FitMode, types.MODES),
                          (types.WeightingMethod, types.WEIGHTING_METHODS),
                          (types.Technique, types.TECHNIQUES), (types.Objective, types.OBJECTIVES),
                          (types.Search, types.SEARCHES), (types.Sizing, types.SIZINGS),
                          (types.Namer, types.NAMERS)]:
        assert values == get_args(alias) and len(set(values)) == len(values)


def test_the_computation_uses_the_same_lists():
    from equity_factors.factors import FACTOR_METHODS, MODES
    from equity_factors.optimize import OBJECTIVES, SEARCHES, TECHNIQUES, WEIGHTING_METHODS
    from equity_factors.workflows.naming import NAMERS

    assert FACTOR_METHODS is types.FACTOR_METHODS and MODES is types.MODES
    assert (TECHNIQUES, OBJECTIVES, SEARCHES) == (types.TECHNIQUES, types.OBJECTIVES,
                                                  types.SEARCHES)
    assert NAMERS is types.NAMERS
    # the weighting functions are registered under exactly the declared names, in order
    assert tuple(WEIGHTING_METHODS) == types.WEIGHTING_METHODS
