"""Big Data Cup CSV loader: both published layouts, detection and bad input."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from hockey_vae import schema
from hockey_vae.sources import ParseError, stathletes

COLUMNS_2022 = [
    "game_date", "season_year", "team_name", "opp_team_name", "venue", "period",
    "clock_seconds", "situation_type", "goals_for", "goals_against", "player_name", "event",
    "event_successful", "x_coord", "y_coord", "event_type", "player_name_2", "x_coord_2",
    "y_coord_2", "event_detail_1", "event_detail_2", "event_detail_3",
]
COLUMNS_2021 = [
    "game_date", "Home Team", "Away Team", "Period", "Clock", "Home Team Skaters",
    "Away Team Skaters", "Home Team Goals", "Away Team Goals", "Team", "Player", "Event",
    "X Coordinate", "Y Coordinate", "Detail 1", "Detail 2", "Detail 3", "Detail 4",
    "Player 2", "X Coordinate 2", "Y Coordinate 2",
]
CAN, USA = "Olympic (Women) - Canada", "Olympic (Women) - United States"


def _r22(team, venue, period, clock, gf, ga, player, event, x, y, etype="", p2="",
         d1="", ok="t", situation="5 on 5") -> dict:
    opp = USA if team == CAN else CAN
    return {"game_date": "2022-02-08", "season_year": "2022", "team_name": team,
            "opp_team_name": opp, "venue": venue, "period": period, "clock_seconds": clock,
            "situation_type": situation, "goals_for": gf, "goals_against": ga,
            "player_name": player, "event": event, "event_successful": ok, "x_coord": x,
            "y_coord": y, "event_type": etype, "player_name_2": p2, "event_detail_1": d1}


def rows_2022() -> list[dict]:
    """Canada (home) 2 - 1 USA, the winner in overtime (10-minute OT)."""
    return [
        _r22(CAN, "home", 1, 1200, 0, 0, "Poulin", "Faceoff Win", 100, 42.5, p2="Coyne"),
        _r22(CAN, "home", 1, 1195, 0, 0, "Poulin", "Play", 110, 30, "Direct", "Spooner"),
        _r22(CAN, "home", 1, 1190, 0, 0, "Spooner", "Shot", 170, 40, "Wristshot", d1="Blocked"),
        _r22(USA, "away", 1, 1100, 0, 0, "Knight", "Goal", 185, 45, "Snapshot", d1="On Net"),
        _r22(USA, "away", 1, 1000, 1, 0, "Coyne", "Incomplete Play", 50, 10, "Indirect",
             "Knight", ok="f"),
        _r22(CAN, "home", 2, 600.5, 0, 1, "Daoust", "Penalty Taken", 90, 20, "Tripping",
             "Coyne", situation="5 on 5"),
        _r22(USA, "away", 2, 500, 1, 0, "Knight", "Dump In/Out", 101, 60, ok="f",
             situation="5 on 4"),
        _r22(CAN, "home", 3, 100, 0, 1, "Poulin", "Goal", 189, 42, "Deflection", d1="On Net"),
        _r22(CAN, "home", 4, 598, 1, 1, "Fillier", "Zone Entry", 125, 20, "Carried", "Keller"),
        _r22(CAN, "home", 4, 590, 1, 1, "Fillier", "Shot", 160, 50, "Slapshot", d1="Missed"),
        _r22(CAN, "home", 4, 300, 1, 1, "Fillier", "Goal", 180, 40, "Wristshot", d1="On Net"),
    ]


def _r21(period, clock, team, player, event, x, y, d1="", d2="", p2="",
         hg=0, ag=0, hs=5, as_=5, date="2021-01-08") -> dict:
    return {"game_date": date, "Home Team": "Erie Otters", "Away Team": "Flint Firebirds",
            "Period": period, "Clock": clock, "Home Team Skaters": hs, "Away Team Skaters": as_,
            "Home Team Goals": hg, "Away Team Goals": ag, "Team": team, "Player": player,
            "Event": event, "X Coordinate": x, "Y Coordinate": y, "Detail 1": d1, "Detail 2": d2,
            "Player 2": p2}


def rows_2021() -> list[dict]:
    """Flint (away) beats Erie 1-0 in regulation, with an Erie power play."""
    return [
        _r21(1, "20:00", "Erie Otters", "Jamie Drysdale", "Faceoff Win", 100, 42, p2="Ty Dellandrea"),
        _r21(1, "19:40", "Flint Firebirds", "Ty Dellandrea", "Takeaway", 60, 80),
        _r21(1, "19:30", "Flint Firebirds", "Ty Dellandrea", "Shot", 180, 30, "Wristshot",
             "On Net", hs=4),
        _r21(1, "12:05", "Erie Otters", "Maxim Golod", "Puck Recovery", 20, 5),
        _r21(2, "5:00", "Flint Firebirds", "Ty Dellandrea", "Goal", 175, 44, "Snapshot", "On Net"),
        _r21(3, "0:10", "Erie Otters", "Maxim Golod", "Dump In/Out", 120, 70, "Lost", ag=1),
    ]


def _write(path: Path, columns: list[str], rows: list[dict]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_detect_layout():
    assert stathletes.detect_layout(COLUMNS_2022) == "2022"
    assert stathletes.detect_layout([" Clock", "Team"]) == "2021"
    with pytest.raises(ValueError, match="no Big Data Cup layout"):
        stathletes.detect_layout(["a", "b"])


def test_layout_2022(tmp_path):
    out = stathletes.read(_write(tmp_path / "olympics.csv.gz", COLUMNS_2022, rows_2022()),
                          strict=True, progress=False)
    out.validate()
    ev = out.events.to_pylist()
    assert [e["event_type"] for e in ev] == [
        "faceoff", "pass", "missed_shot", "goal", "failed_pass", "penalty", "dump", "goal",
        "zone_entry", "missed_shot", "goal"]
    game_id = "BDC-20220208-Olympic_Women_United_States-at-Olympic_Women_Canada"
    assert {e["game_id"] for e in ev} == {game_id}
    face = ev[0]
    assert (face["player_id"], face["player2_id"]) == (f"{CAN}:Poulin", f"{USA}:Coyne")
    assert (face["x"], face["y"], face["period_seconds"], face["is_home"]) == (0.0, 0.0, 0.0, True)
    assert ev[1]["player2_id"] == f"{CAN}:Spooner"  # pass target is a teammate
    assert ev[2]["detail"] == "Wristshot; blocked"
    usa_goal = ev[3]
    assert (usa_goal["team"], usa_goal["opponent"], usa_goal["is_home"]) == (USA, CAN, False)
    assert (usa_goal["x"], usa_goal["y"], usa_goal["period_seconds"]) == (85.0, 2.5, 100.0)
    assert ev[5]["game_seconds"] == pytest.approx(1200 + 599.5)
    assert ev[5]["player2_id"] == f"{USA}:Coyne"  # the penalty drawer is an opponent
    assert (ev[6]["skaters_for"], ev[6]["skaters_against"], ev[6]["detail"]) == (5, 4, "lost")
    # overtime of 10 minutes: longest remaining 598 s rounds up to 600 s
    assert ev[-1]["period_seconds"] == 300.0 and ev[-1]["game_seconds"] == 3600 + 300
    assert ev[-1]["season"] == "20212022"
    [game] = out.games.to_pylist()
    assert (game["home_team"], game["home_goals"], game["away_goals"]) == (CAN, 2, 1)
    assert (game["winner"], game["decided_in"]) == ("home", "overtime")
    roster = out.rosters.to_pylist()
    assert {(r["team"], r["player_name"]) for r in roster} >= {(USA, "Keller"), (CAN, "Fillier")}
    assert all(r["position"] is None and r["player_id"].startswith(r["team"]) for r in roster)
    schema.validate_games(out.games)
    schema.validate_rosters(out.rosters)


def test_layout_2021(tmp_path):
    out = stathletes.read(_write(tmp_path / "ohl.csv", COLUMNS_2021, rows_2021()),
                          strict=True, progress=False)
    out.validate()
    ev = out.events.to_pylist()
    assert [e["event_type"] for e in ev] == [
        "faceoff", "takeaway", "shot", "puck_recovery", "goal", "dump"]
    assert ev[0]["game_id"] == "BDC-20210108-Flint_Firebirds-at-Erie_Otters"
    assert ev[0]["player2_id"] == "Flint Firebirds:Ty Dellandrea"
    shot = ev[2]
    assert (shot["period_seconds"], shot["skaters_for"], shot["skaters_against"]) == (30, 5, 4)
    assert (shot["x"], shot["y"], shot["detail"]) == (80.0, -12.5, "Wristshot; on net")
    assert (ev[4]["game_seconds"], ev[5]["goals_for"], ev[5]["goals_against"]) == (2100, 0, 1)
    assert ev[5]["detail"] == "lost"
    [game] = out.games.to_pylist()
    assert (game["home_goals"], game["away_goals"], game["winner"], game["decided_in"]) == (
        0, 1, "away", "regulation")


def test_many_games_in_one_file_deterministic(tmp_path):
    rows = rows_2021() + [dict(r, game_date="2021-01-02") for r in rows_2021()]
    out = stathletes.read(_write(tmp_path / "two.csv", COLUMNS_2021, rows), progress=False)
    out.validate()
    assert out.games.column("game_id").to_pylist() == [
        "BDC-20210102-Flint_Firebirds-at-Erie_Otters", "BDC-20210108-Flint_Firebirds-at-Erie_Otters"]
    again = stathletes.read(tmp_path / "two.csv", progress=False)
    assert again.events.equals(out.events)


@pytest.mark.parametrize(
    ("column", "value", "field", "message"),
    [
        ("Event", "Fight", "Event", "unknown event 'Fight'"),
        ("Clock", "19:7x", "Clock", "malformed clock"),
        ("Clock", "25:00", "Clock", "outside 0-20:00"),
        ("Team", "Nobody", "Team", "neither home"),
        ("Period", "0", "Period", "outside 1-9"),
    ],
)
def test_bad_row_skipped_or_strict(tmp_path, column, value, field, message):
    rows = rows_2021()
    rows[2][column] = value
    path = _write(tmp_path / "bad.csv", COLUMNS_2021, rows)
    out = stathletes.read(path, progress=False)
    out.validate()
    assert out.events.num_rows == 5
    [problem] = out.problems
    assert (problem.row, problem.field, problem.rows) == (4, field, 1)  # line 4 = third data row
    assert message in problem.message
    with pytest.raises(ParseError, match=rf"bad.csv, row 4, field '{field}'.*{message}"):
        stathletes.read(path, strict=True, progress=False)


@pytest.mark.parametrize(("x", "y"), [(201, 40), (100, -1), ("", 40), ("abc", 3)])
def test_bad_coordinates_nulled(tmp_path, x, y):
    rows = rows_2022()
    rows[1].update(x_coord=x, y_coord=y)
    path = _write(tmp_path / "coords.csv", COLUMNS_2022, rows)
    out = stathletes.read(path, progress=False)
    out.validate()
    assert out.events.num_rows == 11
    assert out.events.column("x")[1].as_py() is None
    [problem] = out.problems
    assert (problem.row, problem.field, problem.rows) == (3, "x_coord", 0)
    with pytest.raises(ParseError, match=r"coords.csv, row 3, field 'x_coord'"):
        stathletes.read(path, strict=True, progress=False)


def test_missing_column(tmp_path):
    columns = [c for c in COLUMNS_2022 if c != "clock_seconds"]
    rows = [{k: v for k, v in r.items() if k != "clock_seconds"} for r in rows_2022()]
    path = _write(tmp_path / "nocol.csv", columns, rows)
    with pytest.raises(ParseError, match=r"nocol.csv, row 1, field 'clock_seconds'.*2022"):
        stathletes.read(path, strict=True, progress=False)
    out = stathletes.read(path, progress=False)
    out.validate()
    assert out.files_skipped == 1 and out.events.num_rows == 0
    assert out.problems[0].fatal and "clock_seconds" in out.problems[0].message


def test_empty_and_header_only_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    _write(tmp_path / "header.csv", COLUMNS_2021, [])
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    good = _write(tmp_path / "good.csv", COLUMNS_2021, rows_2021())
    out = stathletes.read(tmp_path, progress=False)
    out.validate()
    assert out.files_read == 1 and out.files_skipped == 3 and out.games.num_rows == 1
    messages = {Path(p.file).name: p.message for p in out.problems}
    assert messages["empty.csv"] == "empty file"
    assert "header only" in messages["header.csv"]
    assert "no Big Data Cup layout" in messages["other.csv"]
    with pytest.raises(ParseError, match="empty.csv: empty file"):
        stathletes.read([tmp_path / "empty.csv", good], strict=True, progress=False)


def test_ingest_cli_writes_canonical_tables(tmp_path, capsys):
    from hockey_vae.cli import main
    from hockey_vae.ingest import load_tables

    (tmp_path / "raw").mkdir()
    _write(tmp_path / "raw" / "a.csv", COLUMNS_2021, rows_2021())
    _write(tmp_path / "raw" / "b.csv.gz", COLUMNS_2022, rows_2022())
    code = main(["ingest", "stathletes", str(tmp_path / "raw"), "--out", str(tmp_path / "out"),
                 "--no-progress"])
    assert code == 0 and "ingested 2 games, 17 events" in capsys.readouterr().out
    tables = load_tables(tmp_path / "out")
    schema.validate_events(tables.events)
    assert tables.games.column("winner").to_pylist() == ["away", "home"]
