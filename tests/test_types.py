"""The light copies of option names used by ``eqf --help`` match the computation modules."""

from equity_factors import types


def test_option_lists_match_the_modules():
    from equity_factors.factors import FACTOR_METHODS
    from equity_factors.optimize import WEIGHTING_METHODS

    assert set(types.FACTOR_METHODS) == set(FACTOR_METHODS)
    assert set(types.WEIGHTING_METHODS) == set(WEIGHTING_METHODS)
