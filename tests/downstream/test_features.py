"""Feature builders: geometry, rebound/rush, empty net, game states, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hockey_vae.downstream import game_labels, game_states, shot_features


def _events(rows: list[dict]) -> pd.DataFrame:
    base = {"period": 1, "team": "A", "is_home": True, "player_id": "p1", "goals_for": 0,
            "goals_against": 0, "skaters_for": 5, "skaters_against": 5, "detail": "Wrist Shot",
            "x": 0.0, "y": 0.0}  # fmt: skip
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["event_idx"] = np.arange(len(frame), dtype=np.int32)
    frame["period_seconds"] = frame["game_seconds"] - (frame["period"] - 1) * 1200
    return frame


def test_distance_and_angle_to_the_attacked_net():
    events = _events([
        {"game_id": "G1", "event_type": "shot", "game_seconds": 10.0, "x": 59.0, "y": 0.0},
        {"game_id": "G1", "event_type": "goal", "game_seconds": 50.0, "x": 79.0, "y": 10.0},
        {"game_id": "G1", "event_type": "missed_shot", "game_seconds": 90.0, "x": 92.0, "y": -3.0},
    ])  # fmt: skip
    shots = shot_features(events)
    assert shots["distance"].tolist() == pytest.approx([30.0, np.hypot(10, 10), np.hypot(3, 3)])
    assert shots["angle"].tolist() == pytest.approx([0.0, 45.0, 135.0])
    assert shots["goal"].tolist() == [0, 1, 0]
    assert shots["shot_type"].iloc[0] == "wrist shot"


def test_rebound_and_rush_flags_use_the_shooters_frame():
    events = _events([
        # A shoots, then shoots again 2 s later: rebound, not rush
        {"game_id": "G1", "event_type": "shot", "game_seconds": 10.0, "x": 70.0, "y": 5.0},
        {"game_id": "G1", "event_type": "shot", "game_seconds": 12.0, "x": 80.0, "y": 0.0},
        # B (away) gives the puck away in B's defensive zone (x=-70 in B's frame = +70 for A)
        {"game_id": "G1", "event_type": "giveaway", "game_seconds": 100.0, "x": -70.0,
         "team": "B", "is_home": False},
        {"game_id": "G1", "event_type": "shot", "game_seconds": 102.0, "x": 75.0, "y": 0.0},
        # A takes the puck in its own zone, shoots 3 s later: rush
        {"game_id": "G1", "event_type": "takeaway", "game_seconds": 200.0, "x": -60.0},
        {"game_id": "G1", "event_type": "shot", "game_seconds": 203.0, "x": 70.0, "y": 0.0},
    ])  # fmt: skip
    shots = shot_features(events)
    assert shots["is_rebound"].tolist() == [0, 1, 0, 0]
    assert shots["is_rush"].tolist() == [0, 0, 0, 1]
    assert shots["distance_from_prev"].iloc[2] == pytest.approx(5.0)  # 70 -> 75 in A's frame


def test_empty_net_needs_positions_and_is_null_without_them():
    events = _events([
        {"game_id": "G1", "event_type": "goal", "game_seconds": 10.0, "x": 30.0,
         "on_ice_for": ["p1", "p2"], "on_ice_against": ["q1", "q2"]},
        {"game_id": "G1", "event_type": "shot", "game_seconds": 20.0, "x": 30.0,
         "on_ice_for": ["p1", "p2"], "on_ice_against": ["q1", "qg"]},
    ])  # fmt: skip
    rosters = pd.DataFrame({"game_id": "G1", "team": ["B", "B", "B", "A"],
                            "player_id": ["q1", "q2", "qg", "pg"],
                            "position": ["C", "D", "G", "G"]})  # fmt: skip
    known = shot_features(events, rosters)
    assert known["empty_net_against"].tolist() == [1.0, 0.0]
    assert known["goalie_id"].isna().tolist() == [True, False]
    assert known["goalie_id"].iloc[1] == "qg"
    # pg is never listed: the lists do not name this side's goalie, so unknown, not empty
    assert known["empty_net_for"].isna().all()
    assert known["is_5v5"].tolist() == [0, 1]  # unknown empty net counts as not empty
    unknown = shot_features(events)
    assert unknown["empty_net_against"].isna().all()


def test_a_game_without_shots_gives_no_rows_but_keeps_its_states():
    events = _events([
        {"game_id": "G1", "event_type": "faceoff", "game_seconds": 0.0},
        {"game_id": "G1", "event_type": "hit", "game_seconds": 30.0},
        {"game_id": "G2", "event_type": "shot", "game_seconds": 5.0, "x": 60.0},
    ])  # fmt: skip
    shots = shot_features(events)
    assert shots["game_id"].tolist() == ["G2"]
    games = pd.DataFrame({"game_id": ["G1", "G2"], "home_team": "A", "away_team": "B",
                          "winner": ["home", None]})  # fmt: skip
    states = game_states(events, games)
    assert states["game_id"].tolist() == ["G1", "G1"]  # undecided G2 dropped
    assert (states["score_diff"] == 0).all()


def test_game_states_are_home_view_after_the_event():
    events = _events([
        {"game_id": "G1", "event_type": "goal", "game_seconds": 100.0, "team": "B",
         "is_home": False, "skaters_for": 5, "skaters_against": 4},
        {"game_id": "G1", "event_type": "stoppage", "game_seconds": 150.0, "team": None,
         "is_home": None, "goals_for": None, "goals_against": None, "skaters_for": None,
         "skaters_against": None},
        {"game_id": "G1", "event_type": "goal", "game_seconds": 3700.0, "period": 4,
         "goals_for": 0, "goals_against": 1},
    ])  # fmt: skip
    games = pd.DataFrame({"game_id": ["G1"], "home_team": "A", "away_team": "B",
                          "winner": ["home"], "decided_in": ["overtime"]})  # fmt: skip
    states = game_states(events, games)
    assert states["score_diff"].tolist() == [-1.0, -1.0, 0.0]
    assert states["manpower_diff"].tolist() == [-1.0, -1.0, 0.0]
    assert states["time_remaining"].tolist() == [3500.0, 3450.0, 0.0]
    assert states["is_overtime"].tolist() == [0, 0, 1]
    assert (states["home_win"] == 1).all()  # overtime counts as the final winner
    assert game_labels(games)["home_win"].tolist() == [1]


def test_missing_columns_are_named():
    events = _events([{"game_id": "G1", "event_type": "shot", "game_seconds": 1.0}])
    with pytest.raises(ValueError, match=r"missing column\(s\) \['x', 'detail'\]"):
        shot_features(events.drop(columns=["x", "detail"]))
    with pytest.raises(ValueError, match="winner"):
        game_states(events, pd.DataFrame({"game_id": ["G1"], "home_team": "A", "away_team": "B"}))
    with pytest.raises(TypeError, match="events must be"):
        shot_features([1, 2, 3])


def test_on_ice_lists_without_goalies_are_not_read_as_empty_nets():
    # PWHL-like: on-ice lists only at goals and only skaters; an empty net here would be a leak
    events = _events([
        {"game_id": "G1", "event_type": "shot", "game_seconds": 10.0, "x": 30.0,
         "on_ice_for": None, "on_ice_against": None},
        {"game_id": "G1", "event_type": "shot", "game_seconds": 20.0, "x": 30.0,
         "on_ice_for": None, "on_ice_against": None},
        {"game_id": "G1", "event_type": "goal", "game_seconds": 30.0, "x": 30.0,
         "on_ice_for": ["p1"], "on_ice_against": ["q1"]},
    ])  # fmt: skip
    rosters = pd.DataFrame({"game_id": "G1", "team": ["B", "A"], "player_id": ["qg", "pg"],
                            "position": ["G", "G"]})  # fmt: skip
    shots = shot_features(events, rosters)
    assert shots["empty_net_against"].isna().all()
    assert shots["goalie_id"].isna().all()
