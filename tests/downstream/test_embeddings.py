"""Embedding joins: no look at the shot itself, stated fallbacks, cumulative team state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hockey_vae.downstream import (
    add_player_embeddings,
    add_shooter_embeddings,
    add_team_embedding_state,
    lineup_features,
    static_embeddings,
)


def _event_emb(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"game_id": g, "event_idx": i, "player_id": p, "emb_0": v, "emb_1": -v}
         for g, i, p, v in rows]  # fmt: skip
    )


def test_shooter_embedding_comes_from_an_earlier_event_never_the_shot():
    shots = pd.DataFrame({"game_id": ["G1", "G1", "G1"], "event_idx": [5, 9, 2],
                          "player_id": ["a", "a", "b"]})  # fmt: skip
    emb = _event_emb([("G1", 1, "a", 1.0), ("G1", 5, "a", 50.0), ("G1", 7, "a", 7.0),
                      ("G1", 9, "a", 90.0), ("G2", 0, "b", 3.0)])  # fmt: skip
    static = pd.DataFrame({"player_id": ["b"], "emb_0": [4.0], "emb_1": [-4.0]})
    out = add_shooter_embeddings(shots, emb, static)
    assert out["shooter_emb_0"].tolist() == [1.0, 7.0, 4.0]  # b: static fallback
    assert out["shooter_emb_static"].tolist() == [0, 0, 1]
    assert out["shooter_emb_missing"].tolist() == [0, 0, 0]
    assert out["event_idx"].tolist() == [5, 9, 2]  # row order kept


def test_player_without_embedding_gets_zero_vector_and_indicator():
    shots = pd.DataFrame({"game_id": ["G1", "G1"], "event_idx": [3, 4],
                          "player_id": ["unknown", None]})  # fmt: skip
    out = add_shooter_embeddings(shots, _event_emb([("G1", 0, "a", 1.0)]))
    assert out[["shooter_emb_0", "shooter_emb_1"]].to_numpy().tolist() == [[0, 0], [0, 0]]
    assert out["shooter_emb_missing"].tolist() == [1, 1]
    frame = pd.DataFrame({"goalie_id": ["g", None, "x"]})
    players = pd.DataFrame({"player_id": ["g"], "emb_0": [2.0], "emb_1": [3.0]})
    out = add_player_embeddings(frame, "goalie_id", players, "goalie_")
    assert out["goalie_emb_0"].tolist() == [2.0, 0.0, 0.0]
    assert out["goalie_emb_missing"].tolist() == [0, 1, 1]


def test_static_embeddings_can_exclude_evaluation_games():
    emb = _event_emb([("G1", 0, "a", 1.0), ("G1", 1, "a", 3.0), ("G9", 0, "a", 100.0)])
    static = static_embeddings(emb, game_ids=["G1"])
    assert static.loc[0, "emb_0"] == pytest.approx(2.0)
    assert static.loc[0, "n_events"] == 2


def test_team_state_is_a_cumulative_mean_home_minus_away():
    events = pd.DataFrame({"game_id": "G1", "event_idx": [0, 1, 2, 3],
                           "is_home": [True, False, True, None]})  # fmt: skip
    emb = _event_emb([("G1", 0, "h", 1.0), ("G1", 1, "a", 4.0), ("G1", 2, "h", 3.0)])
    states = pd.DataFrame({"game_id": "G1", "event_idx": [0, 1, 2, 3]})
    out = add_team_embedding_state(states, events, emb)
    assert out["team_emb_diff_0"].tolist() == pytest.approx([1.0, -3.0, -2.0, -2.0])
    assert out["home_emb_n"].tolist() == [1, 1, 2, 2]
    assert out["away_emb_n"].tolist() == [0, 1, 1, 1]
    shrunk = add_team_embedding_state(states, events, emb, shrink=1.0)
    assert shrunk["team_emb_diff_0"].tolist() == pytest.approx([0.5, 0.5 - 2.0, 4 / 3 - 2.0, 4 / 3 - 2.0])


def test_lineup_pooling_by_position_and_missing_players():
    labels = pd.DataFrame({"game_id": ["G1"], "home_team": ["H"], "away_team": ["A"]})
    rosters = pd.DataFrame({
        "game_id": "G1", "team": ["H", "H", "H", "A", "A"],
        "player_id": ["f", "d", "new", "g", "f2"], "position": ["C", "D", "LW", "G", None],
    })  # fmt: skip
    players = pd.DataFrame({"player_id": ["f", "d", "g", "f2"], "emb_0": [1.0, 3.0, 5.0, 7.0],
                            "emb_1": 0.0, "position": [None, None, None, "RW"]})  # fmt: skip
    out = lineup_features(labels, rosters, players)
    assert out["lineup_mean_diff_0"].iloc[0] == pytest.approx(2.0 - 6.0)
    assert out["lineup_F_diff_0"].iloc[0] == pytest.approx(1.0 - 7.0)  # f2's position from table
    assert out["lineup_D_diff_0"].iloc[0] == pytest.approx(3.0 - 0.0)  # no away defence: zero
    assert out["lineup_G_diff_0"].iloc[0] == pytest.approx(0.0 - 5.0)
    assert out["home_missing_frac"].iloc[0] == pytest.approx(1 / 3)
    assert out["away_missing_frac"].iloc[0] == 0.0


def test_embedding_table_without_emb_columns_is_rejected():
    shots = pd.DataFrame({"game_id": ["G1"], "event_idx": [1], "player_id": ["a"]})
    bad = pd.DataFrame({"game_id": ["G1"], "event_idx": [0], "player_id": ["a"], "z0": [1.0]})
    with pytest.raises(ValueError, match="emb_0"):
        add_shooter_embeddings(shots, bad)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['event_idx'\]"):
        add_shooter_embeddings(shots, bad.drop(columns="event_idx").assign(emb_0=1.0))
    assert np.isfinite(add_shooter_embeddings(shots, bad.assign(emb_0=1.0))["shooter_emb_0"]).all()
