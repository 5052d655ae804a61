"""Benchmark protocol statistics: game-cluster bootstrap, count bins, calibration error."""

import numpy as np
import pytest

from hockey_vae.reporting.bins import bin_masks, count_bin
from hockey_vae.reporting.calibration import expected_calibration_error, reliability_bins
from hockey_vae.reporting.paired import cluster_bootstrap, event_bootstrap


def _games(n_games: int, per_game: int = 30, game_sd: float = 0.0, seed: int = 0):
    """Per-event differences with a shared per-game effect of sd `game_sd`."""
    rng = np.random.default_rng(seed)
    effect = rng.normal(0.1, game_sd, n_games)
    groups = np.repeat(np.arange(n_games), per_game)
    return effect[groups] + rng.normal(0, 0.5, len(groups)), groups


def test_interval_contains_the_diff_and_narrows_with_more_games():
    small, g_small = _games(20, game_sd=0.2, seed=1)
    big, g_big = _games(400, game_sd=0.2, seed=1)
    d, lo, hi = cluster_bootstrap(small, g_small, n_boot=1000, seed=0)
    assert lo < d < hi and d == pytest.approx(small.mean())
    d2, lo2, hi2 = cluster_bootstrap(big, g_big, n_boot=1000, seed=0)
    assert lo2 < d2 < hi2
    assert (hi2 - lo2) < 0.4 * (hi - lo)  # ~ 1 / sqrt(20x the games)


def test_cluster_interval_is_wider_than_event_level_with_game_effects():
    x, g = _games(40, per_game=50, game_sd=0.3, seed=2)
    _, lo_c, hi_c = cluster_bootstrap(x, g, n_boot=1000, seed=0)
    _, lo_e, hi_e = event_bootstrap(x, n_boot=1000, seed=0)
    assert (hi_c - lo_c) > 2.0 * (hi_e - lo_e)
    # without game effects the two agree roughly
    y, g = _games(40, per_game=50, game_sd=0.0, seed=2)
    _, lo_c, hi_c = cluster_bootstrap(y, g, n_boot=1000, seed=0)
    _, lo_e, hi_e = event_bootstrap(y, n_boot=1000, seed=0)
    assert (hi_c - lo_c) == pytest.approx(hi_e - lo_e, rel=0.35)


def test_bootstrap_is_seeded():
    x, g = _games(30, game_sd=0.2)
    assert cluster_bootstrap(x, g, seed=5) == cluster_bootstrap(x, g, seed=5)
    assert np.isnan(cluster_bootstrap(np.zeros(0), np.zeros(0))[0])


def test_bins_boundaries():
    n = np.array([1, 10, 11, 50, 51, 200, 201, 5000, 0, 7])
    known = np.array([True] * 8 + [False, False])
    assert list(count_bin(n, known)) == ["1-10", "1-10", "11-50", "11-50", "51-200", "51-200",
                                         ">200", ">200", "unseen", "unseen"]


def test_bin_masks_need_the_truth_in_the_set_and_join_1_50():
    import pandas as pd

    f = pd.DataFrame({"train_events": [3, 30, 300, 0], "known": [True, True, True, False],
                      "in_set_roster": [True, True, True, False]})
    m = bin_masks(f)
    assert m["1-50"].tolist() == [True, True, False, False]
    assert m[">200"].tolist() == [False, False, True, False]
    assert not m["unseen"].any()  # the unseen event's truth is missing from the list


def test_ece_zero_when_calibrated_larger_when_overconfident():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200_000)
    calibrated = rng.uniform(0, 1, len(p)) < p
    assert expected_calibration_error(p, calibrated) < 0.01
    over = rng.uniform(0, 1, len(p)) < 0.6 * p  # says p, is right 0.6 p of the time
    ece = expected_calibration_error(p, over)
    assert ece == pytest.approx(0.4 * p.mean(), rel=0.05)
    table = reliability_bins(p, over)
    assert table["n_events"].sum() == len(p) and len(table) == 10
