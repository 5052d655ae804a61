"""Big Data Cup 2022 women's release facts: date order per file, goals without a Goal event,
scores written from the other team's view. Fixtures are built from these facts, never copied."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hockey_vae.sources import ParseError, stathletes

COLUMNS = [
    "game_date", "season_year", "team_name", "opp_team_name", "venue", "period",
    "clock_seconds", "situation_type", "goals_for", "goals_against", "player_name", "event",
    "event_successful", "x_coord", "y_coord", "event_type", "player_name_2", "x_coord_2",
    "y_coord_2", "event_detail_1", "event_detail_2", "event_detail_3",
]
FIN, SWE = "Olympic (Women) - Finland", "Olympic (Women) - Sweden"


def _row(date: str, team: str, clock: int, gf: int, ga: int, event: str, ok: str = "f",
         season: str = "2021", period: int = 1) -> dict:
    home = team == FIN
    return {"game_date": date, "season_year": season, "team_name": team,
            "opp_team_name": SWE if home else FIN, "venue": "home" if home else "away",
            "period": period, "clock_seconds": clock, "situation_type": "5 on 5",
            "goals_for": gf, "goals_against": ga, "player_name": "A Player", "event": event,
            "event_successful": ok, "x_coord": 150, "y_coord": 40, "event_detail_1":
            "On Net" if event == "Shot" else ""}


def _game(date: str, season: str = "2021") -> list[dict]:
    """Finland (home) 1-0 Sweden: the goal is a successful Shot, the score steps up after it."""
    return [
        _row(date, FIN, 1200, 0, 0, "Faceoff Win", "t", season),
        _row(date, FIN, 1100, 0, 0, "Shot", "f", season),
        _row(date, FIN, 1000, 0, 0, "Shot", "t", season),  # the goal
        _row(date, SWE, 990, 0, 1, "Puck Recovery", "t", season),
        _row(date, FIN, 900, 1, 0, "Play", "t", season),
    ]


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_day_first_dates_settled_by_a_day_above_12(tmp_path):
    path = _write(tmp_path / "olympics.csv", _game("8/2/2022") + _game("14/2/2022"))
    out = stathletes.read(path, strict=True, progress=False)
    out.validate()
    dates = sorted(str(d) for d in out.games.column("game_date").to_pylist())
    assert dates == ["2022-02-08", "2022-02-14"]
    assert set(out.games.column("season").to_pylist()) == {"20212022"}
    assert out.events.num_rows == 10 and not out.problems


def test_month_first_dates_settled_by_a_second_field_above_12(tmp_path):
    path = _write(tmp_path / "us.csv", _game("2/8/2022") + _game("2/14/2022"))
    out = stathletes.read(path, strict=True, progress=False)
    assert sorted(str(d) for d in out.games.column("game_date").to_pylist()) == [
        "2022-02-08", "2022-02-14"]


def test_season_year_settles_dates_with_no_day_above_12(tmp_path):
    # 8/2/2022 month-first is August 2 (season 2022-23): season_year 2021 says day-first
    out = stathletes.read(_write(tmp_path / "a.csv", _game("8/2/2022") + _game("12/2/2022")),
                          strict=True, progress=False)
    assert sorted(str(d) for d in out.games.column("game_date").to_pylist()) == [
        "2022-02-08", "2022-02-12"]


def test_ambiguous_dates_are_reported_not_guessed(tmp_path):
    good = _write(tmp_path / "good.csv", _game("2022-02-08"))
    rows = _game("3/4/2022", season="")  # March 4 or April 3: nothing decides
    bad = _write(tmp_path / "ambiguous.csv", rows)
    out = stathletes.read(tmp_path, progress=False)
    assert out.files_read == 1 and out.games.num_rows == 1  # the good sibling is kept
    [problem] = out.problems
    assert problem.file == str(bad) and problem.fatal and problem.field == "game_date"
    assert "day-first or month-first" in problem.message
    with pytest.raises(ParseError, match="ambiguous.csv.*cannot settle the date order"):
        stathletes.read([bad, good], strict=True, progress=False)


def test_mixed_date_orders_are_reported(tmp_path):
    path = _write(tmp_path / "mixed.csv", _game("14/2/2022") + _game("2/15/2022"))
    with pytest.raises(ParseError, match="day-first on some rows and month-first"):
        stathletes.read(path, strict=True, progress=False)


def test_goal_is_a_successful_shot_when_the_file_has_no_goal_event(tmp_path):
    out = stathletes.read(_write(tmp_path / "g.csv", _game("2022-02-08")), strict=True,
                          progress=False)
    types = out.events.column("event_type").to_pylist()
    assert types == ["faceoff", "shot", "goal", "puck_recovery", "pass"]
    assert out.events.column("source_event_type").to_pylist()[2] == "Shot"
    [game] = out.games.to_pylist()
    assert (game["home_goals"], game["away_goals"], game["winner"], game["decided_in"]) == (
        1, 0, "home", "regulation")


def test_score_columns_disagreeing_with_goals_are_reported(tmp_path):
    rows = _game("2022-02-08")
    rows[2]["event_successful"] = "f"  # the goal is lost, the score still steps up
    out = stathletes.read(_write(tmp_path / "d.csv", rows), progress=False)
    out.validate()
    [problem] = out.problems
    assert problem.row == 5 and problem.field == "goals_for"
    assert "score columns say 0-1" not in problem.message
    assert "say 1-0 (home-away)" in problem.message and "give 0-0" in problem.message
    assert out.games.column("winner").to_pylist() == [None]


def test_backwards_score_is_nulled_and_reported(tmp_path):
    rows = _game("2022-02-08") + [_row("2022-02-08", FIN, 800, 1, 0, "Play", "t")]
    rows[3].update(goals_for=1, goals_against=0)  # Sweden's zone entry, Finland's view
    path = _write(tmp_path / "b.csv", rows)
    out = stathletes.read(path, progress=False)
    out.validate()
    [problem] = out.problems
    assert problem.row == 5 and problem.rows == 0 and "runs backwards" in problem.message
    assert out.events.num_rows == 6  # the row is kept, its score is not passed through
    assert out.events.column("goals_for").to_pylist()[3] is None
    assert out.events.column("goals_for").to_pylist()[4] == 1
    with pytest.raises(ParseError, match=r"b.csv, row 5, field 'goals_for'.*backwards"):
        stathletes.read(path, strict=True, progress=False)


def test_field_over_128_kib_skips_that_row_only(tmp_path):
    rows = _game("2022-02-08")
    rows[1]["event_detail_2"] = "x" * 200_000
    out = stathletes.read(_write(tmp_path / "big.csv", rows), progress=False)
    out.validate()
    [problem] = out.problems
    assert problem.row == 3 and problem.rows == 1 and "field limit" in problem.message
    assert out.events.num_rows == 4 and out.games.column("home_goals").to_pylist() == [1]
