"""Probability metrics with bootstrap confidence intervals over games (seeded)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

__all__ = ["METRICS", "point_metrics", "evaluate_with_ci", "calibration_table"]


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p >= 0.5) == (y == 1)))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "auc": _auc,
    "log_loss": lambda y, p: float(log_loss(y, p, labels=[0, 1])),
    "brier": lambda y, p: float(brier_score_loss(y, p, pos_label=1)),
    "accuracy": _accuracy,
}


def point_metrics(y: np.ndarray, p: np.ndarray, metrics: Sequence[str]) -> dict[str, float]:
    """The named METRICS of probabilities `p` (n,) against 0/1 labels `y` (n,)."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; expected some of {list(METRICS)}")
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(y) == 0:
        return {m: float("nan") for m in metrics}
    return {m: METRICS[m](y, p) for m in metrics}


def evaluate_with_ci(
    y: np.ndarray,
    predictions: Mapping[str, np.ndarray],
    groups: np.ndarray,
    metrics: Sequence[str] = ("auc", "log_loss", "brier"),
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
    reference: str | None = None,
) -> dict[str, dict[str, object]]:
    """Metrics per model with percentile bootstrap intervals, resampling whole games.

    `predictions` maps a model name to P(label = 1), each (n,); `groups` (n,) is the game of
    each row. Every model is scored on the same resampled games, so `<name>_minus_<reference>`
    entries give paired intervals of the differences (reference: the first model).
    Returns {name: {metric: value, metric + "_ci": [low, high], "n": rows, "n_games": games}}.
    """
    y = np.asarray(y, dtype=int)
    groups = np.asarray(groups)
    names = list(predictions)
    if not names:
        raise ValueError("predictions is empty")
    reference = names[0] if reference is None else reference
    probs = {k: np.asarray(v, dtype=float) for k, v in predictions.items()}
    for name, p in probs.items():
        if p.shape != y.shape:
            raise ValueError(f"predictions[{name!r}] has shape {p.shape}, expected {y.shape}")
    codes, uniques = pd.factorize(groups)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    rows_of = [order[bounds[g] : bounds[g + 1]] for g in range(len(uniques))]

    point = {k: point_metrics(y, p, metrics) for k, p in probs.items()}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[dict[str, float]]] = {k: [] for k in names}
    for _ in range(n_boot if len(uniques) else 0):
        pick = rng.integers(0, len(uniques), len(uniques))
        rows = np.concatenate([rows_of[g] for g in pick])
        for k in names:
            draws[k].append(point_metrics(y[rows], probs[k][rows], metrics))
    tail = (1.0 - level) / 2.0 * 100.0

    def interval(values: list[float]) -> list[float]:
        values = np.asarray(values, dtype=float)
        values = values[~np.isnan(values)]
        if len(values) == 0:
            return [float("nan"), float("nan")]
        return [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]

    out: dict[str, dict[str, object]] = {}
    for k in names:
        entry: dict[str, object] = {"n": int(len(y)), "n_games": int(len(uniques))}
        for m in metrics:
            entry[m] = point[k][m]
            entry[f"{m}_ci"] = interval([d[m] for d in draws[k]])
        out[k] = entry
    for k in names:
        if k == reference:
            continue
        entry = {}
        for m in metrics:
            entry[m] = point[k][m] - point[reference][m]
            entry[f"{m}_ci"] = interval(
                [a[m] - b[m] for a, b in zip(draws[k], draws[reference], strict=True)]
            )
        out[f"{k}_minus_{reference}"] = entry
    return out


def calibration_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Binned reliability (quantile bins): mean predicted vs observed rate per bin."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(y) == 0 or len(np.unique(y)) < 2:
        return pd.DataFrame(columns=["predicted", "observed"])
    observed, predicted = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    return pd.DataFrame({"predicted": predicted, "observed": observed})
