"""Factor discovery: estimators, mimicking portfolios, rolling out-of-sample factor returns."""

from __future__ import annotations

from equity_factors.factors._base import FactorEstimator, standardize
from equity_factors.factors.autoencoder import AutoencoderFactors
from equity_factors.factors.estimators import (
    FactorAnalysisFactors,
    ICAFactors,
    NMFFactors,
    PCAFactors,
    SparsePCAFactors,
    make_estimator,
    normalize_method,
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
from equity_factors.factors.model import FactorModelResult, Mode, fit_factor_model
from equity_factors.factors.portfolios import (
    match_factors,
    mimicking_weights,
    portfolio_returns,
)
from equity_factors.types import FACTOR_METHODS, MODES, FactorMethod

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
