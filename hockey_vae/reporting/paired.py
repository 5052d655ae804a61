"""Paired model-vs-reference differences with a game-level (cluster) bootstrap interval.

Events of one game share its context (score, lineups, opponents), so they are not
independent: resampling games, not events, keeps that dependence in the interval.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cluster_bootstrap", "event_bootstrap"]


def cluster_bootstrap(values: np.ndarray, groups: np.ndarray, *, n_boot: int = 2000,
                      seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, lo, hi): the mean of per-event `values` and its percentile interval when
    whole `groups` (games) are resampled with replacement `n_boot` times (seeded)."""
    values = np.asarray(values, float)
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    sums = np.bincount(g, weights=values)
    counts = np.bincount(g).astype(float)
    rng = np.random.default_rng(seed)
    n_games = len(sums)
    weights = rng.multinomial(n_games, np.full(n_games, 1.0 / n_games), size=n_boot)
    boot = (weights @ sums) / np.maximum(weights @ counts, 1.0)
    a = (1.0 - level) / 2
    lo, hi = np.quantile(boot, [a, 1.0 - a])
    return float(values.mean()), float(lo), float(hi)


def event_bootstrap(values: np.ndarray, *, n_boot: int = 2000, seed: int = 0,
                    level: float = 0.95) -> tuple[float, float, float]:
    """The same interval resampling single events (ignores game clustering; for checks)."""
    values = np.asarray(values, float)
    return cluster_bootstrap(values, np.arange(len(values)), n_boot=n_boot, seed=seed,
                             level=level)
