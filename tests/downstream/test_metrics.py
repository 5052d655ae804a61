"""Bootstrap intervals over games: seeded, paired, sensible on degenerate input."""

from __future__ import annotations

import numpy as np
import pytest

from hockey_vae.downstream import evaluate_with_ci, point_metrics


def _data(seed=0, n_games=40, per=25):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_games), per)
    score = rng.normal(size=len(groups))
    y = (rng.random(len(groups)) < 1 / (1 + np.exp(-2 * score))).astype(int)
    good = 1 / (1 + np.exp(-2 * score))
    noise = 1 / (1 + np.exp(-(2 * score + rng.normal(scale=2, size=len(groups)))))
    return y, good, noise, groups


def test_intervals_are_seeded_and_contain_the_point_estimate():
    y, good, noise, groups = _data()
    a = evaluate_with_ci(y, {"good": good, "noise": noise}, groups, n_boot=40, seed=3)
    b = evaluate_with_ci(y, {"good": good, "noise": noise}, groups, n_boot=40, seed=3)
    assert a == b
    for name in ("good", "noise"):
        for m in ("auc", "log_loss", "brier"):
            lo, hi = a[name][f"{m}_ci"]
            assert lo <= a[name][m] <= hi
    diff = a["noise_minus_good"]
    assert diff["log_loss"] > 0 and diff["log_loss_ci"][0] > 0  # paired: clearly worse
    assert a["good"]["n_games"] == 40


def test_degenerate_inputs():
    assert np.isnan(point_metrics(np.zeros(5), np.full(5, 0.1), ["auc"])["auc"])
    assert point_metrics([], [], ["log_loss"])["log_loss"] != point_metrics([], [], ["log_loss"])["log_loss"]
    with pytest.raises(ValueError, match="unknown metric"):
        point_metrics([0, 1], [0.2, 0.8], ["f1"])
    with pytest.raises(ValueError, match="shape"):
        evaluate_with_ci(np.array([0, 1]), {"m": np.array([0.5])}, np.array([0, 1]))
