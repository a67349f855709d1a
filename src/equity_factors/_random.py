"""One helper to turn a user's ``seed`` into a NumPy generator (no module-level randomness)."""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | None


def check_random_state(seed: SeedLike) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    Parameters
    ----------
    seed : int, Generator or None
        An int gives a fresh seeded generator, a Generator is returned as is, and ``None``
        gives an unseeded one (only for interactive use: every command passes a seed).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.default_rng(None if seed is None else int(seed))
    raise TypeError(f"seed must be an int, a numpy Generator or None, not {type(seed).__name__}")


def derive_seed(seed: int, *labels: object) -> int:
    """A stable child seed from ``seed`` and labels (same inputs, same output, any process)."""
    import hashlib

    text = "|".join([str(int(seed)), *map(str, labels)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
