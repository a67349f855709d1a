"""Autoencoder factors (PyTorch, the optional ``deep`` extra): loadings from a linear decoder."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from equity_factors._optional import missing_message, require
from equity_factors.errors import UserError
from equity_factors.factors._base import RawFit, top_eigen
from equity_factors.factors._estimator import FactorEstimator

TORCH_MISSING = missing_message("torch")


def import_torch() -> Any:
    """Import torch lazily; a UserError with the install command when it is missing."""
    return require("torch")


class AutoencoderFactors(FactorEstimator):
    """A small autoencoder of standardized returns: encoder -> k codes -> linear decoder.

    Each day's cross-section of standardized returns (n values) is encoded into k numbers
    (a linear map followed by ``activation``) and decoded back by a linear map without bias.
    The decoder weight (n x k) plays the role of the loadings. Trained full-batch with Adam on
    the mean squared reconstruction error, on the CPU, in float64, one thread, for at most
    ``max_epochs`` epochs, under ``torch.manual_seed(random_state)`` (the global torch
    generator is restored afterwards). Factors are ordered by the energy of their part of the
    reconstruction.

    ``init="pca"`` (default) starts from the principal components (encoder = V' scaled so the
    codes have standard deviation 0.5, decoder = its inverse scale times V): from a random
    start the optimizer needs about 300 epochs on a plateau before the decoder finds the
    common subspace, so a budget of a few hundred epochs would return noise for some windows.
    With ``activation="linear"`` the PCA start is already optimal (a linear autoencoder spans
    the principal subspace) and training stops at once; ``tanh`` lets the codes saturate on
    extreme days and moves away from PCA. ``init="random"`` uses torch's default
    initialization.

    Parameters
    ----------
    n_factors : int
    max_epochs : int
        Upper bound on full-batch epochs.
    learning_rate, weight_decay : float
        Adam's step size and L2 penalty.
    activation : {"tanh", "linear"}
    init : {"pca", "random"}
    tol : float
        Stop when the best loss has improved by less than ``tol`` (relative) over the last
        20 epochs.
    random_state : int, Generator or None

    Attributes
    ----------
    loadings_ : DataFrame of shape (n_assets, n_factors)
    explained_variance_ratio_ : None
        The decoder columns are not orthogonal, so a per-factor share is not defined.
    converged_ : bool
        Whether the ``tol`` criterion stopped training before ``max_epochs``.
    n_iter_ : int
        Epochs run.
    """

    method_name = "autoencoder"
    _patience: int = 20

    def __init__(self, n_factors: int = 5, *, max_epochs: int = 300,
                 learning_rate: float = 1e-3, weight_decay: float = 0.0,
                 activation: Literal["tanh", "linear"] = "tanh",
                 init: Literal["pca", "random"] = "pca", tol: float = 1e-4,
                 random_state: object = None) -> None:
        self.n_factors = n_factors
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.activation = activation
        self.init = init
        self.tol = tol
        self.random_state = random_state

    def _fit_standardized(self, z: np.ndarray, seed: int | None) -> RawFit:
        torch = import_torch()
        if self.activation not in ("tanh", "linear"):
            raise UserError(f"unknown autoencoder activation {self.activation!r}; choose one of: "
                            "tanh, linear")
        if self.init not in ("pca", "random"):
            raise UserError(f"unknown autoencoder init {self.init!r}; choose one of: pca, random")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # small dense layers: threads only add contention
        try:
            return self._train(torch, z, int(self.n_factors), seed)
        finally:
            torch.set_num_threads(threads)

    def _train(self, torch: Any, z: np.ndarray, k: int, seed: int | None) -> RawFit:
        n = z.shape[1]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0 if seed is None else int(seed))
            x = torch.as_tensor(np.array(z, dtype=np.float64, order="C"))
            encoder = torch.nn.Linear(n, k, dtype=torch.float64)
            decoder = torch.nn.Linear(k, n, bias=False, dtype=torch.float64)
            if self.init == "pca":
                _, s, v = top_eigen(z, k)
                scale = s / np.sqrt(z.shape[0])  # std of each principal component score
                scale = np.where(scale > 0, scale, 1.0)
                c = 0.5 if self.activation == "tanh" else 1.0
                with torch.no_grad():
                    encoder.weight.copy_(torch.as_tensor((v * (c / scale)).T.copy()))
                    encoder.bias.zero_()
                    decoder.weight.copy_(torch.as_tensor(v * (scale / c)))
            act = torch.tanh if self.activation == "tanh" else (lambda a: a)
            params = list(encoder.parameters()) + list(decoder.parameters())
            opt = torch.optim.Adam(params, lr=self.learning_rate,
                                   weight_decay=self.weight_decay)
            best = np.inf
            best_history: list[float] = []
            converged = False
            epochs = 0
            for epoch in range(int(self.max_epochs)):
                opt.zero_grad()
                loss = torch.mean((decoder(act(encoder(x))) - x) ** 2)
                loss.backward()
                opt.step()
                best = min(best, float(loss.detach()))
                best_history.append(best)
                epochs = epoch + 1
                p = self._patience
                if len(best_history) > p and \
                        best_history[-p - 1] - best < self.tol * best_history[-p - 1]:
                    converged = True
                    break
            with torch.no_grad():
                codes = act(encoder(x)).numpy().copy()  # (T, k)
                loadings = decoder.weight.numpy().copy()  # (n, k)
        energy = (codes**2).sum(axis=0) * (loadings**2).sum(axis=0)
        order = np.argsort(-energy, kind="stable")
        return RawFit(loadings=loadings[:, order], explained_variance_ratio=None,
                      converged=converged, n_iter=epochs)
