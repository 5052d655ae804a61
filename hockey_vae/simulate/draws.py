"""Vectorised draws from pre-drawn uniforms: weighted picks and locations on the rink.

Every function takes its uniforms as arguments instead of a generator, so the engine
controls the order of random numbers (one block of uniforms per step) and a refactor
cannot change the simulated season by calling the generator in another order.
"""

from __future__ import annotations

import numpy as np

from hockey_vae.simulate.constants import ZONE_X

__all__ = ["pick", "pick_index", "sigmoid", "zone_xy"]


def pick(weights: np.ndarray, cand: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One player per row of `cand` (n, k), drawn with `weights[cand]`; -1 = empty slot.

    `u` (n,) must lie in (0, 1]. Rows whose weights are all 0 return -1.
    """
    c = np.cumsum(weights[cand], axis=1)
    k = (c < (u * c[:, -1])[:, None]).sum(axis=1)
    chosen = cand[np.arange(len(cand)), np.minimum(k, cand.shape[1] - 1)]
    return np.where(c[:, -1] > 0, chosen, -1)


def pick_index(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Column index per row of non-negative `weights` (n, k), u (n,) in (0, 1]."""
    c = np.cumsum(weights, axis=1)
    return np.minimum((c < (u * c[:, -1])[:, None]).sum(axis=1), weights.shape[1] - 1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, elementwise: log-odds -> probability."""
    return 1.0 / (1.0 + np.exp(-x))


def zone_xy(zone: np.ndarray, u1: np.ndarray, u2: np.ndarray,
            boards: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Random location in `zone` (0 own, 1 neutral, 2 offensive) of the actor's view."""
    lo, hi = ZONE_X[zone, 0], ZONE_X[zone, 1]
    x = lo + (hi - lo) * u1
    if not boards:
        return x, -40.0 + 80.0 * u2
    return x, np.sign(u2 - 0.5) * (28.0 + 14.0 * np.abs(2.0 * u2 - 1.0))  # near the boards
