"""Factor discovery: estimators, mimicking portfolios, rolling out-of-sample factor returns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from equity_factors._lazy import lazy_exports
from equity_factors.factors._base import normalize_method, standardize
from equity_factors.factors.model import FactorModelResult, Mode, fit_factor_model
from equity_factors.factors.portfolios import (
    match_factors,
    mimicking_weights,
    portfolio_returns,
)
from equity_factors.types import FACTOR_METHODS, MODES, FactorMethod

# The estimators subclass scikit-learn's BaseEstimator; importing scikit-learn (and the SciPy
# modules it pulls in) takes 1.6 s, which a command reading its fits from the cache never needs.
# They load on first use (PEP 562).
_LAZY = {
    "FactorEstimator": "equity_factors.factors._estimator",
    "AutoencoderFactors": "equity_factors.factors.autoencoder",
    **{name: "equity_factors.factors.estimators" for name in (
        "FactorAnalysisFactors", "ICAFactors", "NMFFactors", "PCAFactors", "SparsePCAFactors",
        "make_estimator")},
    **{name: "equity_factors.factors.fundamental" for name in (
        "STYLE_NAMES", "FundamentalFactors", "asof_characteristics", "beta_characteristic",
        "low_volatility_characteristic", "momentum_characteristic",
        "technical_characteristics")},
}

if TYPE_CHECKING:
    from equity_factors.factors._estimator import FactorEstimator
    from equity_factors.factors.autoencoder import AutoencoderFactors
    from equity_factors.factors.estimators import (
        FactorAnalysisFactors,
        ICAFactors,
        NMFFactors,
        PCAFactors,
        SparsePCAFactors,
        make_estimator,
    )
    from equity_factors.factors.fundamental import (
        STYLE_NAMES,
        FundamentalFactors,
        asof_characteristics,
        beta_characteristic,
        low_volatility_characteristic,
        momentum_characteristic,
        technical_characteristics,
    )


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "FACTOR_METHODS",
    "MODES",
    "STYLE_NAMES",
    "AutoencoderFactors",
    "FactorAnalysisFactors",
    "FactorEstimator",
    "FactorMethod",
    "FactorModelResult",
    "FundamentalFactors",
    "ICAFactors",
    "Mode",
    "NMFFactors",
    "PCAFactors",
    "SparsePCAFactors",
    "asof_characteristics",
    "beta_characteristic",
    "fit_factor_model",
    "low_volatility_characteristic",
    "make_estimator",
    "match_factors",
    "mimicking_weights",
    "momentum_characteristic",
    "normalize_method",
    "portfolio_returns",
    "standardize",
    "technical_characteristics",
]
