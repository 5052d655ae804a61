"""NHL API play-by-play JSON loader: small built fixtures plus the real sample game."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pytest

from hockey_vae import schema
from hockey_vae.sources import ParseError, nhl_api

HOME, AWAY = 7, 1  # BUF home, NJD away, as in the real sample


def _spot(pid: int, team: int, first: str, last: str, pos: str) -> dict:
    return {"teamId": team, "playerId": pid, "firstName": {"default": first},
            "lastName": {"default": last}, "sweaterNumber": 9, "positionCode": pos}


def _play(order: int, key: str, period: int = 1, clock: str = "01:00", side: str = "right",
          situation: str = "1551", ptype: str = "REG", **details) -> dict:
    play = {"eventId": 1000 - order, "sortOrder": order, "typeDescKey": key,
            "periodDescriptor": {"number": period, "periodType": ptype},
            "timeInPeriod": clock, "situationCode": situation, "homeTeamDefendingSide": side}
    if details:
        play["details"] = details
    return play


def _game(plays: list[dict], home_score: int = 1, away_score: int = 1,
          last_period: str = "REG") -> dict:
    return {
        "id": 2023020001, "season": 20232024, "gameType": 2, "gameDate": "2023-10-10",
        "gameState": "OFF", "gameOutcome": {"lastPeriodType": last_period},
        "homeTeam": {"id": HOME, "abbrev": "BUF", "score": home_score},
        "awayTeam": {"id": AWAY, "abbrev": "NJD", "score": away_score},
        "rosterSpots": [
            _spot(11, HOME, "Home", "Centre", "C"), _spot(12, HOME, "Home", "Wing", "L"),
            _spot(13, HOME, "Home", "Goalie", "G"), _spot(21, AWAY, "Away", "Centre", "C"),
            _spot(22, AWAY, "Away", "Defender", "D"), _spot(23, AWAY, "Away", "Goalie", "G"),
        ],
        "plays": plays,
    }


def _plays() -> list[dict]:
    """A short game, deliberately listed out of sortOrder."""
    return [
        _play(5, "shot-on-goal", clock="00:30", xCoord=-60, yCoord=10, eventOwnerTeamId=HOME,
              shootingPlayerId=11, goalieInNetId=23, shotType="wrist"),
        _play(1, "period-start", clock="00:00"),
        _play(2, "faceoff", clock="00:00", xCoord=0, yCoord=0, eventOwnerTeamId=AWAY,
              winningPlayerId=21, losingPlayerId=11),
        # eventOwnerTeamId is the shooting team on a blocked shot; the blocker acts
        _play(3, "blocked-shot", clock="00:10", xCoord=70, yCoord=-5, eventOwnerTeamId=AWAY,
              blockingPlayerId=12, shootingPlayerId=22, reason="blocked"),
        _play(4, "goal", clock="00:20", situation="1541", xCoord=80, yCoord=-3,
              eventOwnerTeamId=AWAY, scoringPlayerId=21, assist1PlayerId=22, shotType="snap"),
        _play(6, "hit", period=2, clock="05:00", side="left", situation="1560", xCoord=-50,
              yCoord=20, eventOwnerTeamId=HOME, hittingPlayerId=12, hitteePlayerId=22),
        _play(7, "goal", period=2, clock="06:00", side="left", situation="1560", xCoord=85,
              yCoord=4, eventOwnerTeamId=HOME, scoringPlayerId=11),
        _play(8, "penalty", period=2, clock="07:00", side="left", xCoord=10, yCoord=0,
              eventOwnerTeamId=AWAY, committedByPlayerId=22, drawnByPlayerId=12,
              descKey="tripping", typeCode="MIN"),
        _play(9, "giveaway", period=3, clock="01:00", xCoord=30, yCoord=-7,
              eventOwnerTeamId=AWAY, playerId=22),
        _play(10, "stoppage", period=3, clock="02:00", reason="icing"),
        _play(11, "shot-on-goal", period=5, clock="00:00", ptype="SO", situation="0101",
              xCoord=70, yCoord=0, eventOwnerTeamId=AWAY, shootingPlayerId=21),
        _play(12, "game-end", period=5, clock="00:00", ptype="SO"),
    ]


def _write(tmp_path: Path, doc, name: str = "pbp_2023020001.json.gz") -> Path:
    path = tmp_path / name
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def _rows(out) -> list[dict]:
    return out.events.to_pylist()


def test_fixture_events_order_roles_and_views(tmp_path):
    out = nhl_api.read(_write(tmp_path, _game(_plays(), 2, 1, "SO")), progress=False)
    out.validate()
    rows = _rows(out)
    assert [r["event_type"] for r in rows] == [
        "period_start", "faceoff", "blocked_shot", "goal", "shot", "hit", "goal", "penalty",
        "giveaway", "stoppage"]  # sortOrder, shootout plays dropped
    assert [r["event_idx"] for r in rows] == list(range(10))
    by_type = {r["event_type"]: r for r in rows}
    face = by_type["faceoff"]
    assert (face["team"], face["player_id"], face["player2_id"], face["player2_name"]) == (
        "NJD", "21", "11", "Home Centre")
    block = by_type["blocked_shot"]
    assert (block["team"], block["opponent"], block["is_home"]) == ("BUF", "NJD", True)
    assert (block["player_id"], block["player2_id"]) == ("12", "22")
    # home defends right -> home events rotated by 180 degrees
    assert (block["x"], block["y"]) == (-70.0, 5.0)
    away_goal = rows[3]
    assert (away_goal["x"], away_goal["y"], away_goal["player2_id"]) == (80.0, -3.0, "22")
    assert (away_goal["skaters_for"], away_goal["skaters_against"]) == (5, 4)  # "1541": PP
    assert (away_goal["goals_for"], away_goal["goals_against"]) == (0, 0)
    home_shot = rows[4]
    assert (home_shot["x"], home_shot["goals_for"], home_shot["goals_against"]) == (60.0, 0, 1)
    hit = rows[5]  # period 2, home defends left: no rotation; home goalie pulled
    assert (hit["x"], hit["y"], hit["skaters_for"], hit["skaters_against"]) == (-50.0, 20.0, 6, 5)
    assert hit["game_seconds"] == 1200 + 300
    pen = rows[7]
    assert (pen["team"], pen["player_id"], pen["player2_id"], pen["detail"]) == (
        "NJD", "22", "12", "tripping; MIN")
    assert (pen["goals_for"], pen["goals_against"], pen["x"]) == (1, 1, -10.0)
    stop = rows[-1]
    assert stop["team"] is None and stop["goals_for"] is None and stop["detail"] == "icing"
    assert all(r["on_ice_for"] is None for r in rows)


def test_fixture_games_and_rosters(tmp_path):
    out = nhl_api.read(_write(tmp_path, _game(_plays(), 2, 1, "SO")), progress=False)
    game = out.games.to_pylist()[0]
    assert game["game_id"] == "NHL-2023020001" and game["season"] == "20232024"
    assert (game["home_team"], game["away_team"], game["home_goals"], game["away_goals"]) == (
        "BUF", "NJD", 2, 1)
    assert (game["winner"], game["decided_in"]) == ("home", "shootout")
    assert not out.problems  # a shootout explains the extra goal
    roster = out.rosters.to_pylist()
    assert len(roster) == 6
    assert {r["position"] for r in roster} == {"C", "LW", "G", "D"}
    assert {r["team"] for r in roster if r["player_id"].startswith("1")} == {"BUF"}
    schema.validate_rosters(out.rosters)
    schema.validate_games(out.games)


def test_score_mismatch_is_reported(tmp_path):
    out = nhl_api.read(_write(tmp_path, _game(_plays(), 3, 1, "REG")), progress=False)
    schema.validate_events(out.events)
    assert out.games.column("decided_in").to_pylist() == ["regulation"]
    assert any(p.field == "score" and "1-1" in p.message for p in out.problems)


def test_unknown_type_skipped_or_strict(tmp_path):
    plays = _plays()
    plays.append(_play(13, "alien-landing", period=3, clock="03:00"))
    path = _write(tmp_path, _game(plays, 2, 1, "SO"))
    out = nhl_api.read(path, progress=False)
    schema.validate_events(out.events)
    assert out.events.num_rows == 10
    [problem] = out.problems
    assert problem.field == "typeDescKey" and "alien-landing" in problem.message
    assert problem.row == 12 and problem.rows == 1
    with pytest.raises(ParseError, match=r"pbp_2023020001.*row 12.*alien-landing"):
        nhl_api.read(path, strict=True, progress=False)


def test_out_of_rink_coordinates_nulled(tmp_path):
    plays = _plays()
    plays[0]["details"]["xCoord"] = 150
    out = nhl_api.read(_write(tmp_path, _game(plays, 2, 1, "SO")), progress=False)
    schema.validate_events(out.events)
    shot = out.events.to_pylist()[4]
    assert shot["event_type"] == "shot" and shot["x"] is None
    assert any(p.field == "xCoord" and p.rows == 0 for p in out.problems)


def test_bad_files_skipped_with_names(tmp_path):
    good = _write(tmp_path, _game(_plays(), 2, 1, "SO"))
    _write(tmp_path, "{not json", name="broken.json.gz")
    (tmp_path / "shifts.json").write_text("[]")
    dup = copy.deepcopy(_game(_plays(), 2, 1, "SO"))
    _write(tmp_path, dup, name="zz_duplicate.json.gz")
    out = nhl_api.read(tmp_path, progress=False)
    out.validate()
    assert out.games.num_rows == 1 and out.files_read == 1 and out.files_skipped == 3
    messages = {Path(p.file).name: p.message for p in out.problems}
    assert "malformed JSON" in messages["broken.json.gz"]
    assert "not an NHL API play-by-play" in messages["shifts.json"]
    assert "duplicate game" in messages["zz_duplicate.json.gz"]
    with pytest.raises(ParseError, match="broken.json.gz"):
        nhl_api.read([tmp_path / "broken.json.gz", good], strict=True, progress=False)


@pytest.mark.real_data
def test_real_sample_game(shared_data):
    path = shared_data / "nhl_api_sample" / "pbp_2024020001.json.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    out = nhl_api.read(path, strict=True, progress=False)
    out.validate()
    assert not out.problems
    events = out.events.to_pandas()
    assert len(events) == 349
    counts = events["event_type"].value_counts().to_dict()
    assert counts == {"hit": 63, "faceoff": 59, "shot": 49, "stoppage": 46, "missed_shot": 36,
                      "blocked_shot": 35, "giveaway": 34, "takeaway": 7, "penalty": 6,
                      "goal": 5, "period_start": 3, "period_end": 3, "delayed_penalty": 2,
                      "game_end": 1}
    goals = events[events["event_type"] == "goal"]
    assert goals["team"].tolist() == ["NJD", "NJD", "NJD", "BUF", "NJD"]
    game = out.games.to_pylist()[0]
    assert (game["away_team"], game["away_goals"], game["home_team"], game["home_goals"]) == (
        "NJD", 4, "BUF", 1)
    assert (game["winner"], game["decided_in"]) == ("away", "regulation")
    # every acting/secondary id is a dressed player of the right team
    roster = out.rosters.to_pandas()
    assert len(roster) == 40
    team_of = dict(zip(roster["player_id"], roster["team"], strict=True))
    acting = events.dropna(subset=["player_id"])
    assert set(acting["player_id"]) | set(events["player2_id"].dropna()) <= set(team_of)
    assert (acting["player_id"].map(team_of) == acting["team"]).all()
    # rotation: shots and offensive-zone events mostly at x > 25
    shots = events[events["event_type"].isin(["shot", "missed_shot", "goal"])]
    assert (shots["x"] > 25).mean() > 0.95
    blocks = events[events["event_type"] == "blocked_shot"]
    assert (blocks["x"] < -25).mean() > 0.9  # blockers defend their own zone
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        plays = sorted(json.load(fh)["plays"], key=lambda p: p["sortOrder"])
    events["zone"] = [(p.get("details") or {}).get("zoneCode") for p in plays]
    offensive = events[(events["zone"] == "O") & events["x"].notna()]
    defensive = events[(events["zone"] == "D") & events["x"].notna()]
    assert len(offensive) > 100 and (offensive["x"] > 25).mean() > 0.95
    assert (defensive["x"] < -25).mean() > 0.9
    # the final empty-net goal: Buffalo's goalie pulled, 6 skaters against
    last_goal = goals.iloc[-1]
    assert (last_goal["skaters_for"], last_goal["skaters_against"]) == (5, 6)
    assert (last_goal["goals_for"], last_goal["goals_against"]) == (3, 1)


@pytest.mark.real_data
def test_real_sample_on_ice_from_shifts(shared_data):
    folder = shared_data / "nhl_api_sample"
    if not (folder / "shifts_2024020001.json.gz").exists():
        pytest.skip(f"{folder} has no shift chart")
    out = nhl_api.read(folder, strict=True, progress=False)
    out.validate()
    events = out.events.to_pandas()
    with gzip.open(folder / "pbp_2024020001.json.gz", "rt", encoding="utf-8") as fh:
        plays = sorted(json.load(fh)["plays"], key=lambda p: p["sortOrder"])
    codes = [p["situationCode"] for p in plays]
    team_events = events[events["team"].notna()]
    matches = 0
    for i, row in team_events.iterrows():
        away_goalie, away_sk, home_sk, home_goalie = map(int, codes[i])
        home, away = home_sk + home_goalie, away_sk + away_goalie
        expected = (home, away) if row["is_home"] else (away, home)
        matches += (len(row["on_ice_for"]), len(row["on_ice_against"])) == expected
    assert matches / len(team_events) > 0.99  # measured 295 of 296
    acting = team_events[team_events["player_id"].notna()]
    on = [pid in set(ids) for pid, ids in zip(acting["player_id"], acting["on_ice_for"],
                                              strict=True)]
    assert sum(on) / len(on) > 0.98  # one penalised player had just left the ice


def _shift(pid: int, team: int, period: int, start: str, end: str, code: int = 517) -> dict:
    return {"playerId": pid, "teamId": team, "period": period, "startTime": start,
            "endTime": end, "typeCode": code}


def test_shift_chart_fills_on_ice(tmp_path):
    shifts = {"data": [
        _shift(21, AWAY, 1, "00:00", "00:20"),  # away centre's shift ends at its goal
        _shift(22, AWAY, 1, "00:00", "00:30"),
        _shift(23, AWAY, 1, "00:00", "20:00"),
        _shift(11, HOME, 1, "00:00", "00:20"),
        _shift(12, HOME, 1, "00:20", "00:40"),  # comes on at 00:20: not on for the goal
        _shift(13, HOME, 1, "00:00", "20:00"),
        _shift(21, AWAY, 1, "00:20", "00:20", code=505),  # goal marker, not a shift
    ]}
    path = _write(tmp_path, _game(_plays(), 2, 1, "SO"))
    _write(tmp_path, shifts, name="shifts_2023020001.json.gz")
    out = nhl_api.read(tmp_path, strict=True, progress=False)  # shifts file is not a game
    out.validate()
    rows = out.events.to_pylist()
    assert rows[1]["on_ice_for"] == ["21", "22", "23"]  # faceoff at 00:00: [start, end)
    assert rows[1]["on_ice_against"] == ["11", "13"]
    assert rows[3]["on_ice_for"] == ["21", "22", "23"]  # goal at 00:20: (start, end]
    assert rows[3]["on_ice_against"] == ["11", "13"]
    assert rows[4]["on_ice_for"] == ["12", "13"]  # home shot at 00:30
    assert rows[5]["on_ice_for"] is None  # period 2 has no shifts: unknown, not empty
    assert rows[0]["on_ice_for"] is None  # team-less period start
    explicit = nhl_api.read_game(path, shifts=tmp_path / "shifts_2023020001.json.gz")
    assert explicit.events.equals(out.events)


def test_ingest_cli_writes_canonical_tables(tmp_path, capsys):
    from hockey_vae.cli import main
    from hockey_vae.ingest import load_tables

    _write(tmp_path, _game(_plays(), 2, 1, "SO"))
    code = main(["ingest", "nhl_api", str(tmp_path), "--out", str(tmp_path / "out"),
                 "--no-progress"])
    assert code == 0 and "ingested 1 games, 10 events" in capsys.readouterr().out
    tables = load_tables(tmp_path / "out")
    schema.validate_events(tables.events)
    assert tables.games.column("decided_in").to_pylist() == ["shootout"]
