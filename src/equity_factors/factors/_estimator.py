"""The base class of the statistical factor estimators (scikit-learn's estimator contract).

Apart from :mod:`._base` (helpers without scikit-learn), so that reading factor fits from the
results cache never imports scikit-learn (1.6 s with the SciPy modules it pulls in): only
building an estimator does.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from equity_factors.factors._base import (
    RawFit,
    check_n_factors,
    factor_labels,
    orient_columns,
    sklearn_seed,
    standardize,
    validate_returns,
)


class FactorEstimator(BaseEstimator):
    """Base class of the statistical factor estimators (scikit-learn contract).

    Subclasses implement ``_fit_standardized(z, seed) -> RawFit`` on an already standardized
    window; :meth:`fit` does validation, standardization and sign orientation, so the rolling
    engine and a standalone ``fit`` produce the same loadings for the same window.

    Attributes (after ``fit``)
    --------------------------
    loadings_ : DataFrame of shape (n_used_assets, n_factors)
        Rows are the assets used (constant columns are dropped), columns ``F1..Fk``; each
        column is oriented so that it sums to a positive number.
    explained_variance_ratio_ : ndarray of shape (n_factors,) or None
        Share of the standardized returns' total variance explained by each factor, where that
        is defined (PCA, ICA, factor analysis); None otherwise.
    converged_ : bool
    n_iter_ : int or None
        Iterations run by iterative methods; None for closed-form ones.
    dropped_ : tuple of str
        Assets left out because their returns are constant (or have fewer than two values).
    """

    method_name: ClassVar[str] = ""
    #: ConvergenceWarning text; ``{n_iter}`` is filled in.
    convergence_hint: ClassVar[str] = ""

    def fit(self, returns: pd.DataFrame, y: None = None) -> FactorEstimator:
        """Fit on ``returns`` and return self.

        Parameters
        ----------
        returns : DataFrame of shape (n_dates, n_assets)
            Plain daily returns. Each column is z-scored over its observed days, then its
            missing days are set to 0 (no coverage filter here: :func:`fit_factor_model`
            applies one per window); constant columns are left out (``dropped_``).
        y : ignored
        """
        frame = validate_returns(returns)
        z, keep = standardize(frame.to_numpy())
        check_n_factors(self.n_factors, int(keep.sum()), z.shape[0], method=self.method_name)
        raw = self._fit_standardized(z, sklearn_seed(self.random_state))
        signs = orient_columns(raw.loadings)
        labels = factor_labels(raw.loadings.shape[1])
        self.loadings_ = pd.DataFrame(raw.loadings * signs, index=frame.columns[keep],
                                      columns=pd.Index(labels, name="factor"))
        self.explained_variance_ratio_ = raw.explained_variance_ratio
        self.converged_ = raw.converged
        self.n_iter_ = raw.n_iter
        self.dropped_ = tuple(frame.columns[~keep])
        return self

    # -- to implement ---------------------------------------------------------------------
    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> RawFit:  # pragma: no cover
        raise NotImplementedError

    def _warn_not_converged(self, n_iter: int | None) -> None:
        from equity_factors.errors import ConvergenceWarning

        warnings.warn(self.convergence_hint.format(n_iter=n_iter, k=self.n_factors),
                      ConvergenceWarning, stacklevel=3)
