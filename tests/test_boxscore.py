"""Box-score rates against hand counts on a two-game fixture; the cross-validated probe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hockey_vae.boxscore import boxscore_rates, player_folds, probe_predictions, r2_by

A_ICE, B_ICE = ["a1", "a2", "ag"], ["b1", "b2", "bg"]
B_ICE2 = ["b1", "bg"]


def _fixture() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [  # game, type, team, p1, p2, x, y, on ice for, on ice against
        ("g1", "faceoff", "A", "a1", "b1", 0.0, 0.0, A_ICE, B_ICE),
        ("g1", "shot", "A", "a1", "bg", 59.0, 0.0, A_ICE, B_ICE),  # 30 ft
        ("g1", "goal", "A", "a1", "a2", 79.0, 0.0, A_ICE, B_ICE),  # 10 ft, a2 assists
        ("g1", "blocked_shot", "B", "b2", "a2", -49.0, 0.0, B_ICE, A_ICE),  # a2 from 40 ft
        ("g1", "missed_shot", "B", "b1", None, 69.0, 20.0, B_ICE, A_ICE),  # 28.3 ft, 45 deg
        ("g1", "hit", "A", "a2", "b1", 10.0, 30.0, A_ICE, B_ICE),
        ("g1", "penalty", "B", "b2", "a1", 0.0, 0.0, B_ICE, A_ICE),
        ("g1", "faceoff", "B", "b1", "a1", 0.0, 0.0, B_ICE, A_ICE),
        ("g2", "shot", "B", "b1", "ag", 59.0, 0.0, B_ICE2, A_ICE),
        ("g2", "giveaway", "A", "a2", None, 0.0, 0.0, A_ICE, B_ICE2),
        ("g2", "takeaway", "B", "b1", None, 0.0, 0.0, B_ICE2, A_ICE),
    ]
    ev = pd.DataFrame(rows, columns=["game_id", "event_type", "team", "player_id",
                                     "player2_id", "x", "y", "on_ice_for", "on_ice_against"])
    ev["event_idx"] = ev.groupby("game_id").cumcount()
    ro = pd.DataFrame(
        [(g, t, p, pos) for g in ("g1", "g2") for t, p, pos in
         [("A", "a1", "C"), ("A", "a2", "D"), ("A", "ag", "G"), ("B", "b1", "C"),
          ("B", "b2", "D"), ("B", "bg", "G")] if not (g == "g2" and p == "b2")],
        columns=["game_id", "team", "player_id", "position"])
    return ev, ro


def test_rates_equal_hand_counts():
    box = boxscore_rates(*_fixture())
    a1, a2, b1, b2 = (box.loc[p] for p in ("a1", "a2", "b1", "b2"))
    assert (a1["games"], a1["goals"], a1["shots_on_goal"]) == (2, 1, 2)
    assert a1["goals_pg"] == 0.5 and a1["shooting_pct"] == 0.5
    assert a1["faceoff_pct"] == 0.5 and a1["faceoffs_pg"] == 1.0
    assert a1["penalties_drawn"] == 1 and a1["on_ice_events"] == 11
    assert a1["shot_distance_mean"] == pytest.approx(20.0)
    assert a1["goals_p100"] == pytest.approx(100.0 / 11)
    assert (a2["assists"], a2["shots_blocked_by_others"], a2["hits"]) == (1, 1, 1)
    assert a2["giveaways_pg"] == 0.5 and a2["shot_distance_mean"] == pytest.approx(40.0)
    assert (b2["games"], b2["blocks"], b2["penalties_pg"]) == (1, 1, 1.0)
    assert b1["miss_pct"] == 0.5 and b1["takeaways"] == 1 and b1["hits_taken"] == 1
    assert b1["shot_angle_mean"] == pytest.approx(22.5)  # 45 deg and 0 deg
    assert box.loc["bg", "save_pct"] == 0.5 and box.loc["bg", "shots_faced"] == 2
    assert box.loc["ag", "save_pct"] == 1.0 and box.loc["ag", "shots_faced_pg"] == 0.5
    assert np.isnan(box.loc["a2", "shooting_pct"])  # no shot on goal: no rate, not 0


def test_game_filter_and_missing_column():
    ev, ro = _fixture()
    box = boxscore_rates(ev, ro, game_ids=["g2"])
    assert box.loc["a1", "games"] == 1 and box.loc["a1", "goals"] == 0
    assert "b2" not in box.index
    with pytest.raises(ValueError, match="on_ice_against"):
        boxscore_rates(ev.drop(columns="on_ice_against"), ro)


def test_folds_are_a_seeded_balanced_partition():
    ids = [f"p{i}" for i in range(23)]
    f = player_folds(ids, 5, seed=3)
    assert sorted(f.index) == sorted(ids)
    assert np.bincount(f.to_numpy()).tolist() in ([5, 5, 5, 4, 4],)
    assert f.equals(player_folds(list(reversed(ids)), 5, seed=3))
    assert not f.equals(player_folds(ids, 5, seed=4))


def test_probe_recovers_a_planted_linear_style_and_not_noise():
    rng = np.random.default_rng(0)
    ids = pd.Index([f"p{i}" for i in range(200)])
    X = pd.DataFrame(rng.standard_normal((200, 4)), index=ids, columns=list("abcd"))
    truth = pd.DataFrame({"planted": 2 * X["a"] - X["c"] + 0.3 * rng.standard_normal(200),
                          "noise": rng.standard_normal(200)}, index=ids)
    X.loc["p0", "b"] = np.nan  # imputed, not dropped
    preds = probe_predictions(X, truth, ["planted", "noise"], player_folds(ids, 5, 0))
    r2 = r2_by(preds).set_index("style")["r2"]
    assert r2["planted"] > 0.95
    assert r2["noise"] < 0.05
    assert len(preds) == 400 and preds["pred"].notna().all()
