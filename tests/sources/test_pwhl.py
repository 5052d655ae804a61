"""PWHL HockeyTech raw JSON loader: a tiny hand-built game plus real files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hockey_vae.schema import validate_events, validate_games, validate_rosters
from hockey_vae.sources import pwhl
from hockey_vae.sources.base import ParseError


def _p(pid: int, pos: str = "C") -> dict:
    return {"id": pid, "firstName": "First", "lastName": f"P{pid}", "jerseyNumber": pid % 100,
            "position": pos}


def _period(n: int) -> dict:
    return {"id": str(n), "shortName": str(n), "longName": f"{n}"}


def _game(game_id: int = 110, shootout: bool = False) -> dict:
    """MTL (id 3, home) vs NY (id 4). NY attacks to high pixel x in period 1."""
    ev = [
        {"event": "faceoff", "details": {"homePlayer": _p(31), "visitingPlayer": _p(41),
                                         "homeWin": "0", "period": _period(1), "time": "0:00",
                                         "xLocation": 300, "yLocation": 150}},
        {"event": "shot", "details": {"shooter": _p(41), "goalie": _p(39, "G"),
                                      "shooterTeamId": "4", "period": _period(1), "time": "0:21",
                                      "isGoal": False, "shotType": "Wrist", "xLocation": 543,
                                      "yLocation": 113}},
        {"event": "blocked_shot", "details": {"shooter": _p(42), "blocker": _p(32, "LD"),
                                              "shooterTeamId": "4", "period": _period(1),
                                              "time": "0:40", "shotType": "Slap",
                                              "xLocation": 500, "yLocation": 150}},
        {"event": "hit", "details": {"teamId": "3", "player": _p(33), "onPlayer": _p(43),
                                     "period": _period(1), "time": "1:32", "xLocation": 450,
                                     "yLocation": 9}},
        {"event": "shot", "details": {"shooter": _p(31), "goalie": _p(49, "G"),
                                      "shooterTeamId": "3", "period": _period(1), "time": "2:00",
                                      "isGoal": True, "shotType": "Snap", "xLocation": 60,
                                      "yLocation": 150}},
        {"event": "goal", "details": {"team": {"id": 3}, "scoredBy": _p(31),
                                      "assists": [_p(33)], "period": _period(1), "time": "2:00",
                                      "plus_players": [_p(31), _p(33)],
                                      "minus_players": [_p(41)], "xLocation": 60,
                                      "yLocation": 150}},
        {"event": "penalty", "details": {"againstTeam": {"id": 4}, "takenBy": _p(42),
                                         "minutes": "2.00", "description": "Tripping",
                                         "period": _period(2), "time": "3:57"}},
        {"event": "shot", "details": {"shooter": _p(42), "goalie": _p(39, "G"),
                                      "shooterTeamId": "4", "period": _period(2), "time": "5:00",
                                      "isGoal": False, "xLocation": 80, "yLocation": 100}},
        {"event": "goal", "details": {"team": {"id": 4}, "scoredBy": _p(42), "assists": [],
                                      "period": {"id": "OT1"}, "time": "1:00",
                                      "xLocation": 90, "yLocation": 140}},
    ]
    if shootout:
        ev = ev[:-1] + [{"event": "shootout", "details": {"shooter": _p(31), "isGoal": True,
                                                          "shooterTeam": {"id": 3}}}]
    home_goals, away_goals = (2, 1) if shootout else (1, 2)
    roster = lambda ids: [{"info": _p(i, pos)} for i, pos in ids]  # noqa: E731
    summary = {
        "details": {"id": game_id, "GameDateISO8601": "2024-12-04T19:00:00-05:00",
                    "final": "1", "status": "Final"},
        "hasShootout": shootout,
        "homeTeam": {"info": {"id": 3, "abbreviation": "MTL"},
                     "stats": {"goals": home_goals},
                     "skaters": roster([(31, "C"), (32, "LD"), (33, "RW")]),
                     "goalies": roster([(39, "G")])},
        "visitingTeam": {"info": {"id": 4, "abbreviation": "NY"},
                         "stats": {"goals": away_goals},
                         "skaters": roster([(41, "LW"), (42, "RD"), (43, "F")]),
                         "goalies": roster([(49, "G")])},
        "periods": [{"info": _period(n)} for n in (1, 2, 3)] + [{"info": {"id": "4"}}],
    }
    return {"pbp_raw": ev, "summary_raw": summary, "gc_raw": {}}


def _write(path: Path, game: dict | str) -> Path:
    text = game if isinstance(game, str) else json.dumps(game)
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_reads_game(tmp_path: Path) -> None:
    out = pwhl.read(_write(tmp_path / "110.json.gz", _game()), progress=False)
    validate_events(out.events)
    validate_games(out.games)
    validate_rosters(out.rosters)
    ev = out.events.to_pandas()
    assert ev["game_id"].unique().tolist() == ["PWHL-110"]
    assert ev["season"].iloc[0] == "20242025" and str(ev["game_date"].iloc[0]) == "2024-12-04"
    assert len(ev) == 8  # the isGoal shot is folded into its goal
    face = ev.iloc[0]
    assert (face["team"], face["player_id"], face["player2_id"]) == ("NY", "41", "31")
    assert face["x"] == 0 and face["y"] == 0
    shot = ev.iloc[1]
    assert shot["x"] == pytest.approx(543 / 3 - 100, abs=1e-4)  # NY attacks +pixel x in p1
    assert shot["y"] == pytest.approx(42.5 - 113 * 85 / 300, abs=1e-4)
    block = ev.iloc[2]
    assert (block["team"], block["player_id"], block["player2_id"]) == ("MTL", "32", "42")
    assert block["x"] < -25  # in MTL's own end
    goal = ev[ev["event_type"] == "goal"].iloc[0]
    assert goal["team"] == "MTL" and goal["detail"] == "Snap"
    assert goal["x"] == pytest.approx(100 - 60 / 3, abs=1e-4)
    assert list(goal["on_ice_for"]) == ["31", "33"] and list(goal["on_ice_against"]) == ["41"]
    assert (goal["goals_for"], goal["goals_against"]) == (0, 0)
    pen = ev[ev["event_type"] == "penalty"].iloc[0]
    assert pen["team"] == "NY" and (pen["goals_for"], pen["goals_against"]) == (0, 1)
    assert pen["detail"] == "Tripping (2.00 min)" and np.isnan(pen["x"])
    ot_goal = ev.iloc[-1]
    assert ot_goal["period"] == 4 and ot_goal["game_seconds"] == 3660
    # period 2: NY shoots toward low pixel x; OT: no shot, opposite of nothing -> null
    assert ev.iloc[-2]["x"] == pytest.approx(100 - 80 / 3, abs=1e-4)
    assert ev["skaters_for"].isna().all()


def test_games_and_rosters(tmp_path: Path) -> None:
    _write(tmp_path / "110.json", _game())
    _write(tmp_path / "111.json", _game(111, shootout=True))
    out = pwhl.read(tmp_path, progress=False)
    games = out.games.to_pandas().set_index("game_id")
    assert games.loc["PWHL-110", ["home_goals", "away_goals", "winner", "decided_in"]].tolist() \
        == [1, 2, "away", "overtime"]
    assert games.loc["PWHL-111", ["home_goals", "away_goals", "winner", "decided_in"]].tolist() \
        == [2, 1, "home", "shootout"]
    assert "shootout_attempt" not in out.events.column("event_type").to_pylist()
    r = out.rosters.to_pandas()
    assert len(r) == 16
    pos = r[r["game_id"] == "PWHL-110"].set_index("player_id")["position"]
    assert pos["32"] == "D" and pos["39"] == "G" and pd.isna(pos["43"])


@pytest.mark.parametrize("text, match", [
    ("", "empty file"),
    ("{\"pbp_raw\": [", "malformed JSON"),
    ("{\"summary_raw\": {}}", "pbp_raw"),
    ("[1, 2]", "JSON object"),
])
def test_bad_files(tmp_path: Path, text: str, match: str) -> None:
    _write(tmp_path / "1.json", _game(1))
    _write(tmp_path / "2.json", text)
    out = pwhl.read(tmp_path, progress=False)
    validate_events(out.events)
    assert out.files_skipped == 1 and out.games.num_rows == 1
    assert match in out.problems[0].message and out.problems[0].file.endswith("2.json")
    with pytest.raises(ParseError, match=match):
        pwhl.read(tmp_path, strict=True, progress=False)


def test_unknown_event_bad_time_and_coordinates(tmp_path: Path) -> None:
    game = _game()
    game["pbp_raw"].insert(1, {"event": "zamboni", "details": {}})
    game["pbp_raw"][4]["details"]["xLocation"] = 900
    path = _write(tmp_path / "110.json", game)
    out = pwhl.read(path, progress=False)
    validate_events(out.events)
    fields = {p.field: p for p in out.problems}
    assert fields["event"].rows == 1 and "zamboni" in fields["event"].message
    assert "xLocation" in fields
    assert out.events.num_rows == 8
    with pytest.raises(ParseError, match="zamboni"):
        pwhl.read(path, strict=True, progress=False)
    game["pbp_raw"][0]["details"]["time"] = "soon"
    _write(path, game)
    with pytest.raises(ParseError, match="row 0, field 'time'"):
        pwhl.read(path, strict=True, progress=False)


def test_duplicate_games(tmp_path: Path) -> None:
    _write(tmp_path / "110.json", _game())
    _write(tmp_path / "copy.json.gz", _game())
    out = pwhl.read(tmp_path, progress=False)
    assert out.games.num_rows == 1 and "duplicate" in out.problems[0].message
    with pytest.raises(ParseError, match="duplicate"):
        pwhl.read(tmp_path, strict=True, progress=False)


@pytest.mark.real_data
def test_real_files(shared_data: Path) -> None:
    folder = shared_data / "pwhl_hockeytech_raw_fastRhockey"
    names = ["10", "105", "106", "107", "108", "110", "200", "250"]
    out = pwhl.read([folder / "json_raw" / f"{n}.json.gz" for n in names], progress=False)
    out.validate()
    assert out.files_read == len(names) and not out.problems
    ev = out.events.to_pandas()
    games = out.games.to_pandas().set_index("game_id")
    assert games.index.is_unique
    sched = pd.read_parquet(folder / "pwhl_schedule_master.parquet")
    sched.index = "PWHL-" + sched["game_id"].astype(str)
    sched = sched.loc[games.index]
    assert (games["home_goals"] == sched["home_score"].astype(int)).all()
    assert (games["away_goals"] == sched["away_score"].astype(int)).all()
    assert games.loc["PWHL-106", "decided_in"] == "shootout"
    # shots are taken in the attacking half, blocks in the blocker's own half
    shots = ev[ev["event_type"].isin(["shot", "goal"])]
    assert (shots["x"] > 25).mean() > 0.9
    assert (ev.loc[ev["event_type"] == "blocked_shot", "x"] < -25).mean() > 0.9
    # the score accumulated from goals matches the final outside shootouts
    reg = games[games["decided_in"] != "shootout"]
    goals = ev[ev["event_type"] == "goal"].groupby(["game_id", "is_home"]).size().unstack(
        fill_value=0).loc[reg.index]
    assert (goals[True] == reg["home_goals"]).all() and (goals[False] == reg["away_goals"]).all()
    # every acting player dressed for the acting team
    r = out.rosters.to_pandas()
    dressed = set(zip(r["game_id"], r["team"], r["player_id"], strict=True))
    acted = ev.dropna(subset=["player_id", "team"])
    inside = [(g, t, p) in dressed for g, t, p in zip(acted["game_id"], acted["team"],
                                                      acted["player_id"], strict=True)]
    assert np.mean(inside) > 0.97
